// The machine's WebAssembly SIMD ceiling for int8 GEMM: i32x4.dot_i16x8_s on registers alone,
// with eight independent accumulators so that latency does not bound throughput.
// Each call does iterations * 8 dot instructions of 8 multiply-accumulates each.

export function peak_i16x8_dot(iterations: i32, seed: i32): i32 {
  const a = i16x8.splat(<i16>seed);
  const b = i16x8.splat(<i16>(seed + 1));
  let acc0 = i32x4.splat(0), acc1 = i32x4.splat(1), acc2 = i32x4.splat(2), acc3 = i32x4.splat(3);
  let acc4 = i32x4.splat(4), acc5 = i32x4.splat(5), acc6 = i32x4.splat(6), acc7 = i32x4.splat(7);
  for (let i = 0; i < iterations; i++) {
    // Each accumulator feeds only its own chain: eight chains in flight, as in a tiled GEMM.
    acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(acc0, a));
    acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(acc1, b));
    acc2 = i32x4.add(acc2, i32x4.dot_i16x8_s(acc2, a));
    acc3 = i32x4.add(acc3, i32x4.dot_i16x8_s(acc3, b));
    acc4 = i32x4.add(acc4, i32x4.dot_i16x8_s(acc4, a));
    acc5 = i32x4.add(acc5, i32x4.dot_i16x8_s(acc5, b));
    acc6 = i32x4.add(acc6, i32x4.dot_i16x8_s(acc6, a));
    acc7 = i32x4.add(acc7, i32x4.dot_i16x8_s(acc7, b));
  }
  const sum = i32x4.add(i32x4.add(i32x4.add(acc0, acc1), i32x4.add(acc2, acc3)), i32x4.add(i32x4.add(acc4, acc5), i32x4.add(acc6, acc7)));
  return i32x4.extract_lane(sum, 0) + i32x4.extract_lane(sum, 3);
}
