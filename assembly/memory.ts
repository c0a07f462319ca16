/** First byte the host may use for its own buffers (everything below holds static data). */
export function heapBase(): usize {
  return __heap_base;
}
