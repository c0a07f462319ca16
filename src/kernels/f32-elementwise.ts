// Host side of assembly/f32-elementwise.ts: fp32 Add and clamp (Relu/Clip) over whole tensors, and
// the NaN scan of feeds.
import { requireBuffer, type WasmBuffer } from "./arena.js";
import { requireDim, requireDisjointOrSame } from "./checks.js";
import { requireClamp } from "./f32-common.js";
import type { KernelInstance } from "./module.js";

type Ptr = number;

export interface F32ElementwiseExports {
  f32_add(a: Ptr, b: Ptr, n: number, lo: number, hi: number, out: Ptr): void;
  f32_clamp(x: Ptr, n: number, lo: number, hi: number, out: Ptr): void;
  f32_first_nan(x: Ptr, n: number): number;
}

/** out = clamp(a + b, clampMin, clampMax) over `length` floats (no clamp by default); out may be a or b. */
export function f32Add(
  kernels: KernelInstance, a: WasmBuffer, b: WasmBuffer, length: number, out: WasmBuffer, clampMin = -Infinity, clampMax = Infinity,
): void {
  const kernel = "f32Add";
  requireClamp(kernel, clampMin, clampMax);
  requireDim(kernel, "length", length, 0);
  requireBuffer(kernel, "a", a, "float32", length);
  requireBuffer(kernel, "b", b, "float32", length);
  requireBuffer(kernel, "out", out, "float32", length);
  requireDisjointOrSame(kernel, "a", a, out, length);
  requireDisjointOrSame(kernel, "b", b, out, length);
  kernels.exports.f32_add(a.ptr, b.ptr, length, clampMin, clampMax, out.ptr);
}

/** out = clamp(x, clampMin, clampMax) over `length` floats (NaN stays NaN); out may be x. */
export function f32Clamp(kernels: KernelInstance, x: WasmBuffer, length: number, out: WasmBuffer, clampMin: number, clampMax: number): void {
  const kernel = "f32Clamp";
  requireClamp(kernel, clampMin, clampMax);
  requireDim(kernel, "length", length, 0);
  requireBuffer(kernel, "x", x, "float32", length);
  requireBuffer(kernel, "out", out, "float32", length);
  requireDisjointOrSame(kernel, "x", x, out, length);
  kernels.exports.f32_clamp(x.ptr, length, clampMin, clampMax, out.ptr);
}

/** The index of the first NaN among the first `length` floats of x, or -1. */
export function f32FirstNaN(kernels: KernelInstance, x: WasmBuffer, length: number): number {
  const kernel = "f32FirstNaN";
  requireDim(kernel, "length", length, 0);
  requireBuffer(kernel, "x", x, "float32", length);
  return kernels.exports.f32_first_nan(x.ptr, length);
}
