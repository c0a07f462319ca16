// fp32 <-> int8 over whole tensors (DESIGN.md 2), per tensor or per channel along the innermost
// (NHWC channel) axis: q = clamp(roundHalfToEven(x / S) + Z, qmin, qmax), r = S * (q - Z), in f32.
import { QuantizationError, InvalidArgumentError } from "../errors.js";
import { requireBuffer, type WasmArena, type WasmBuffer } from "./arena.js";
import {
  INT8_MAX, INT8_MIN, requireDim, requireDisjoint, requireInt8Range, requireScale, requireZeroPoint,
} from "./checks.js";
import type { KernelInstance } from "./module.js";

type Ptr = number;

export interface QuantizeExports {
  qs8_quantize_f32(x: Ptr, n: number, scale: number, zeroPoint: number, qmin: number, qmax: number, out: Ptr): void;
  qs8_dequantize_f32(q: Ptr, n: number, scale: number, zeroPoint: number, out: Ptr): void;
  qs8_quantize_f32_per_channel(
    x: Ptr, rows: number, channels: number, scale: Ptr, zeroPoint: Ptr, qmin: number, qmax: number, out: Ptr,
  ): void;
  qs8_dequantize_f32_per_channel(q: Ptr, rows: number, channels: number, scale: Ptr, zeroPoint: Ptr, out: Ptr): void;
  qs8_dynamic_quantize_f32(x: Ptr, n: number, out: Ptr, params: Ptr): number;
}

/** Per-tensor affine parameters. The scale is used as float32; qmin..qmax (default int8) sets the bit width. */
export interface AffineParams {
  readonly scale: number;
  readonly zeroPoint: number;
  readonly qmin?: number;
  readonly qmax?: number;
}

/** Per-channel affine parameters in kernel memory, made by preparePerChannelAffine (which checked them). */
export interface PerChannelAffine {
  readonly channels: number;
  /** float32[channels] */
  readonly scale: WasmBuffer;
  /** int32[channels] */
  readonly zeroPoint: WasmBuffer;
  readonly qmin: number;
  readonly qmax: number;
}

const prepared = new WeakSet<PerChannelAffine>();

/** Throws a QuantizationError unless the per-tensor parameters are usable for quantizing. */
export function requireAffine(kernel: string, params: AffineParams): void {
  const qmin = params.qmin ?? INT8_MIN;
  const qmax = params.qmax ?? INT8_MAX;
  requireInt8Range(kernel, qmin, qmax);
  requireScale(kernel, "scale", params.scale);
  requireZeroPoint(kernel, "zeroPoint", params.zeroPoint, qmin, qmax);
}

/** Checks per-channel scales and zero points and copies them into kernel memory (once, at load). */
export function preparePerChannelAffine(
  arena: WasmArena,
  scales: ArrayLike<number>,
  zeroPoints: ArrayLike<number>,
  range: { qmin: number; qmax: number } = { qmin: INT8_MIN, qmax: INT8_MAX },
): PerChannelAffine {
  const kernel = "preparePerChannelAffine";
  requireInt8Range(kernel, range.qmin, range.qmax);
  if (scales.length !== zeroPoints.length || scales.length === 0) {
    throw new QuantizationError(`${kernel}: ${scales.length} scales and ${zeroPoints.length} zero points; need one each per channel`);
  }
  for (let c = 0; c < scales.length; c++) {
    requireScale(kernel, `scale[${c}]`, scales[c]);
    requireZeroPoint(kernel, `zeroPoint[${c}]`, zeroPoints[c], range.qmin, range.qmax);
  }
  const params: PerChannelAffine = Object.freeze({
    channels: scales.length,
    scale: arena.from("float32", scales),
    zeroPoint: arena.from("int32", zeroPoints),
    qmin: range.qmin,
    qmax: range.qmax,
  });
  prepared.add(params);
  return params;
}

function requirePrepared(kernel: string, params: PerChannelAffine): void {
  if (!prepared.has(params)) {
    throw new InvalidArgumentError(`${kernel}: per-channel parameters must come from preparePerChannelAffine`);
  }
  requireBuffer(kernel, "scale", params.scale, "float32", params.channels);
  requireBuffer(kernel, "zeroPoint", params.zeroPoint, "int32", params.channels);
}

/** out[i] = clamp(roundHalfToEven(x[i] / S) + Z, qmin, qmax) for `length` float32 values; NaN -> Z, +-Inf saturate. */
export function qs8QuantizeF32(
  kernels: KernelInstance, x: WasmBuffer, length: number, params: AffineParams, out: WasmBuffer,
): void {
  const kernel = "qs8QuantizeF32";
  requireDim(kernel, "length", length, 0);
  requireAffine(kernel, params);
  requireBuffer(kernel, "x", x, "float32", length);
  requireBuffer(kernel, "out", out, "int8", length);
  requireDisjoint(kernel, "out", out, length, "x", x, length);
  kernels.exports.qs8_quantize_f32(
    x.ptr, length, params.scale, params.zeroPoint, params.qmin ?? INT8_MIN, params.qmax ?? INT8_MAX, out.ptr,
  );
}

/** out[i] = S * (q[i] - Z) in float32 for `length` int8 values. */
export function qs8DequantizeF32(
  kernels: KernelInstance, q: WasmBuffer, length: number, params: AffineParams, out: WasmBuffer,
): void {
  const kernel = "qs8DequantizeF32";
  requireDim(kernel, "length", length, 0);
  requireScale(kernel, "scale", params.scale);
  requireZeroPoint(kernel, "zeroPoint", params.zeroPoint);
  requireBuffer(kernel, "q", q, "int8", length);
  requireBuffer(kernel, "out", out, "float32", length);
  requireDisjoint(kernel, "out", out, length, "q", q, length);
  kernels.exports.qs8_dequantize_f32(q.ptr, length, params.scale, params.zeroPoint, out.ptr);
}

/** qs8QuantizeF32 over rows x channels (channels innermost) with scale[c] and zeroPoint[c] for channel c. */
export function qs8QuantizeF32PerChannel(
  kernels: KernelInstance, x: WasmBuffer, rows: number, params: PerChannelAffine, out: WasmBuffer,
): void {
  const kernel = "qs8QuantizeF32PerChannel";
  requireDim(kernel, "rows", rows, 0);
  requirePrepared(kernel, params);
  const length = rows * params.channels;
  requireBuffer(kernel, "x", x, "float32", length);
  requireBuffer(kernel, "out", out, "int8", length);
  requireDisjoint(kernel, "out", out, length, "x", x, length);
  kernels.exports.qs8_quantize_f32_per_channel(
    x.ptr, rows, params.channels, params.scale.ptr, params.zeroPoint.ptr, params.qmin, params.qmax, out.ptr,
  );
}

/** qs8DequantizeF32 over rows x channels (channels innermost) with scale[c] and zeroPoint[c] for channel c. */
export function qs8DequantizeF32PerChannel(
  kernels: KernelInstance, q: WasmBuffer, rows: number, params: PerChannelAffine, out: WasmBuffer,
): void {
  const kernel = "qs8DequantizeF32PerChannel";
  requireDim(kernel, "rows", rows, 0);
  requirePrepared(kernel, params);
  const length = rows * params.channels;
  requireBuffer(kernel, "q", q, "int8", length);
  requireBuffer(kernel, "out", out, "float32", length);
  requireDisjoint(kernel, "out", out, length, "q", q, length);
  kernels.exports.qs8_dequantize_f32_per_channel(
    q.ptr, rows, params.channels, params.scale.ptr, params.zeroPoint.ptr, out.ptr,
  );
}

/** int32 elements of the scratch qs8DynamicQuantizeF32 needs (where the kernel leaves S and Z). */
export const DYNAMIC_QUANTIZE_SCRATCH_SIZE = 2;

/** The per-tensor parameters qs8DynamicQuantizeF32 chose: int8 codes over [-128, 127]. */
export interface DynamicQParams {
  /** float32, > 0. */
  readonly scale: number;
  /** integer in [-128, 127]. */
  readonly zeroPoint: number;
}

const views = new WeakMap<ArrayBuffer | SharedArrayBuffer, DataView>();

function memoryView(memory: WebAssembly.Memory): DataView {
  let view = views.get(memory.buffer);
  if (!view) {
    view = new DataView(memory.buffer);
    views.set(memory.buffer, view);
  }
  return view;
}

/**
 * ONNX DynamicQuantizeLinear in int8: S = (max(0, max x) - min(0, min x)) / 255 and the uint8 zero
 * point z = roundHalfToEven(clamp(-min(0, min x) / S, 0, 255)), all in float32, give Z = z - 128
 * (the same grid as ONNX's uint8 codes, shifted by 128); then out = clamp(round(x / S) + Z, -128, 127).
 * An all-zero x gets S = 1 (as ONNX Runtime) and Z = -128. NaN or +-Infinity in x (or a range too wide for a
 * float32 scale) throws an InvalidArgumentError and leaves `out` untouched.
 */
export function qs8DynamicQuantizeF32(
  kernels: KernelInstance, x: WasmBuffer, length: number, out: WasmBuffer, scratch: WasmBuffer,
  result: { scale: number; zeroPoint: number } = { scale: 0, zeroPoint: 0 },
): DynamicQParams {
  const kernel = "qs8DynamicQuantizeF32";
  requireDim(kernel, "length", length, 0);
  requireBuffer(kernel, "x", x, "float32", length);
  requireBuffer(kernel, "out", out, "int8", length);
  requireBuffer(kernel, "scratch", scratch, "int32", DYNAMIC_QUANTIZE_SCRATCH_SIZE);
  requireDisjoint(kernel, "out", out, length, "x", x, length);
  requireDisjoint(kernel, "scratch", scratch, DYNAMIC_QUANTIZE_SCRATCH_SIZE, "x", x, length);
  requireDisjoint(kernel, "out", out, length, "scratch", scratch, DYNAMIC_QUANTIZE_SCRATCH_SIZE);
  if (kernels.exports.qs8_dynamic_quantize_f32(x.ptr, length, out.ptr, scratch.ptr) === 0) {
    throw new InvalidArgumentError(`${kernel}: x holds NaN or +-Infinity, or its range is too wide for a float32 scale`);
  }
  // Read through a view kept per memory buffer, so a session's run() allocates nothing here.
  const view = memoryView(kernels.memory);
  result.scale = view.getFloat32(scratch.ptr, true);
  result.zeroPoint = view.getInt32(scratch.ptr + 4, true);
  return result;
}
