// The kernels' public surface: every export here becomes a WebAssembly export.
// Pointers are byte offsets into the host-owned memory; the host plans all buffers.
export { heapBase } from "./memory";
export * from "./fixedpoint";
export * from "./qs8-gemm";
export * from "./qs8-conv";
