// NCHW <-> NHWC conversion at the graph boundary (DESIGN.md 5): ONNX tensors are NCHW, the int8
// runtime works in NHWC. The fused variants quantize or dequantize on the way, exactly as the
// kernels of quantize.ts do.
import { requireBuffer, type BufferType, type WasmBuffer } from "./arena.js";
import { INT8_MAX, INT8_MIN, requireDim, requireDisjoint, requireScale, requireZeroPoint } from "./checks.js";
import type { KernelInstance } from "./module.js";
import { requireAffine, type AffineParams } from "./quantize.js";

type Ptr = number;

export interface LayoutExports {
  f32_nchw_to_nhwc(x: Ptr, batch: number, channels: number, pixels: number, out: Ptr): void;
  f32_nhwc_to_nchw(x: Ptr, batch: number, channels: number, pixels: number, out: Ptr): void;
  qs8_nchw_to_nhwc(x: Ptr, batch: number, channels: number, pixels: number, out: Ptr): void;
  qs8_nhwc_to_nchw(x: Ptr, batch: number, channels: number, pixels: number, out: Ptr): void;
  qs8_quantize_nchw_to_nhwc(
    x: Ptr, batch: number, channels: number, pixels: number,
    scale: number, zeroPoint: number, qmin: number, qmax: number, out: Ptr,
  ): void;
  f32_dequantize_nhwc_to_nchw(
    q: Ptr, batch: number, channels: number, pixels: number, scale: number, zeroPoint: number, out: Ptr,
  ): void;
}

/** The four dimensions of an image batch, whichever order its elements are stored in. */
export interface ImageShape {
  readonly batch: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

/** Checks the shape and both buffers; returns the element count. */
function requireImages(
  kernel: string, shape: ImageShape, x: WasmBuffer, xType: BufferType, out: WasmBuffer, outType: BufferType,
): number {
  requireDim(kernel, "batch", shape.batch);
  requireDim(kernel, "channels", shape.channels);
  requireDim(kernel, "height", shape.height);
  requireDim(kernel, "width", shape.width);
  const length = shape.batch * shape.channels * shape.height * shape.width;
  requireBuffer(kernel, "x", x, xType, length);
  requireBuffer(kernel, "out", out, outType, length);
  requireDisjoint(kernel, "out", out, length, "x", x, length);
  return length;
}

/** float32 NCHW -> NHWC. */
export function f32NchwToNhwc(kernels: KernelInstance, x: WasmBuffer, shape: ImageShape, out: WasmBuffer): void {
  requireImages("f32NchwToNhwc", shape, x, "float32", out, "float32");
  kernels.exports.f32_nchw_to_nhwc(x.ptr, shape.batch, shape.channels, shape.height * shape.width, out.ptr);
}

/** float32 NHWC -> NCHW. */
export function f32NhwcToNchw(kernels: KernelInstance, x: WasmBuffer, shape: ImageShape, out: WasmBuffer): void {
  requireImages("f32NhwcToNchw", shape, x, "float32", out, "float32");
  kernels.exports.f32_nhwc_to_nchw(x.ptr, shape.batch, shape.channels, shape.height * shape.width, out.ptr);
}

/** int8 NCHW -> NHWC. */
export function qs8NchwToNhwc(kernels: KernelInstance, x: WasmBuffer, shape: ImageShape, out: WasmBuffer): void {
  requireImages("qs8NchwToNhwc", shape, x, "int8", out, "int8");
  kernels.exports.qs8_nchw_to_nhwc(x.ptr, shape.batch, shape.channels, shape.height * shape.width, out.ptr);
}

/** int8 NHWC -> NCHW. */
export function qs8NhwcToNchw(kernels: KernelInstance, x: WasmBuffer, shape: ImageShape, out: WasmBuffer): void {
  requireImages("qs8NhwcToNchw", shape, x, "int8", out, "int8");
  kernels.exports.qs8_nhwc_to_nchw(x.ptr, shape.batch, shape.channels, shape.height * shape.width, out.ptr);
}

/** float32 NCHW -> int8 NHWC, quantized per tensor as qs8QuantizeF32 does. */
export function qs8QuantizeNchwToNhwc(
  kernels: KernelInstance, x: WasmBuffer, shape: ImageShape, params: AffineParams, out: WasmBuffer,
): void {
  const kernel = "qs8QuantizeNchwToNhwc";
  requireAffine(kernel, params);
  requireImages(kernel, shape, x, "float32", out, "int8");
  kernels.exports.qs8_quantize_nchw_to_nhwc(
    x.ptr, shape.batch, shape.channels, shape.height * shape.width,
    params.scale, params.zeroPoint, params.qmin ?? INT8_MIN, params.qmax ?? INT8_MAX, out.ptr,
  );
}

/** int8 NHWC -> float32 NCHW, dequantized per tensor as qs8DequantizeF32 does. */
export function f32DequantizeNhwcToNchw(
  kernels: KernelInstance, q: WasmBuffer, shape: ImageShape, params: AffineParams, out: WasmBuffer,
): void {
  const kernel = "f32DequantizeNhwcToNchw";
  requireScale(kernel, "scale", params.scale);
  requireZeroPoint(kernel, "zeroPoint", params.zeroPoint);
  requireImages(kernel, shape, q, "int8", out, "float32");
  kernels.exports.f32_dequantize_nhwc_to_nchw(
    q.ptr, shape.batch, shape.channels, shape.height * shape.width, params.scale, params.zeroPoint, out.ptr,
  );
}
