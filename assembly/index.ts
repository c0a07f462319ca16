// The kernels' public surface: every export here becomes a WebAssembly export.
// Pointers are byte offsets into the host-owned memory; the host plans all buffers.
export { heapBase } from "./memory";
export * from "./fixedpoint";
export * from "./peak";
export * from "./f32-gemm";
export * from "./f32-conv";
export * from "./f32-pool";
export * from "./qs8-pool";
export * from "./qs8-add";
export * from "./quantize";
export * from "./layout";
export * from "./qs8-gemm";
export * from "./qs8-conv";
export * from "./qs8-conv-small";
export * from "./qs8-dwconv";
export * from "./f32-elementwise";
