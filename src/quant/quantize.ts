// Quantize and dequantize (DESIGN.md section 2), per tensor and per axis, matching ONNX
// QuantizeLinear: q = clamp(roundHalfToEven(r / S) + Z, qmin, qmax) with r / S a float32 division.
// NaN quantizes to Z; ±Infinity saturates to qmax / qmin.
import { QuantizationError, ShapeError } from "../errors.js";
import { axisLayout, forEachChannelRun } from "./axis.js";

/**
 * The container of a code range [qmin, qmax]: Uint8Array or Uint16Array when qmin >= 0 (as ONNX
 * uint8/uint16 tensors), Int8Array or Int16Array otherwise, whichever is the narrowest that holds
 * every code; Int32Array beyond 16 bits (int32 biases).
 */
export type QuantizedArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

const INT8 = { type: Int8Array, min: -128, max: 127 } as const;
const UINT8 = { type: Uint8Array, min: 0, max: 255 } as const;
const INT16 = { type: Int16Array, min: -32768, max: 32767 } as const;
const UINT16 = { type: Uint16Array, min: 0, max: 65535 } as const;
const INT32 = { type: Int32Array, min: INT32_MIN, max: INT32_MAX } as const;
const CONTAINERS = [INT8, UINT8, INT16, UINT16, INT32];
const SIGNED_CONTAINERS = [INT8, INT16, INT32];
const UNSIGNED_CONTAINERS = [UINT8, UINT16, INT32];

/** Rounds to the nearest integer, ties to the even one (numpy.round, ONNX QuantizeLinear, std::nearbyint). */
export function roundHalfToEven(x: number): number {
  const rounded = Math.round(x); // ties toward +infinity
  // For a tie Math.round went up by exactly 0.5; step back down when that landed on an odd integer.
  const even = rounded - x === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
  return even === 0 ? 0 : even; // never -0, so codes and tests compare cleanly
}

/** A zero-filled array of the narrowest container for [qmin, qmax] (see QuantizedArray). */
export function codeArray(qmin: number, qmax: number, length: number): QuantizedArray {
  const candidates = qmin >= 0 ? UNSIGNED_CONTAINERS : SIGNED_CONTAINERS;
  const container = candidates.find((candidate) => qmin >= candidate.min && qmax <= candidate.max);
  if (container === undefined) {
    throw new QuantizationError(`no integer container holds the code range [${qmin}, ${qmax}]`);
  }
  return new container.type(length);
}

/** Validates (S, Z, qmin, qmax) and returns S as the float32 value that the arithmetic uses. */
function checkedScale(scale: number, zeroPoint: number, qmin: number, qmax: number, tensor?: string): number {
  if (!Number.isInteger(qmin) || !Number.isInteger(qmax) || qmin >= qmax || qmin < INT32_MIN || qmax > INT32_MAX) {
    throw new QuantizationError(`invalid code range [${qmin}, ${qmax}]`, { tensor });
  }
  if (!Number.isInteger(zeroPoint) || zeroPoint < qmin || zeroPoint > qmax) {
    throw new QuantizationError(`zero point ${zeroPoint} is not an integer in [${qmin}, ${qmax}]`, { tensor });
  }
  return checkedDequantScale(scale, tensor);
}

function checkedDequantScale(scale: number, tensor?: string): number {
  const f32 = Math.fround(scale);
  if (!(f32 > 0) || !Number.isFinite(f32)) {
    throw new QuantizationError(`scale must be a finite float32 > 0, got ${scale}`, { tensor });
  }
  return f32;
}

function quantizeRun(
  data: Float32Array,
  out: QuantizedArray,
  start: number,
  end: number,
  scale: number,
  zeroPoint: number,
  qmin: number,
  qmax: number,
): void {
  for (let i = start; i < end; i++) {
    // Both operands are float32 values, so rounding the double quotient once gives the float32 quotient.
    const ratio = Math.fround(data[i] / scale);
    if (ratio !== ratio) {
      out[i] = zeroPoint;
      continue;
    }
    const q = roundHalfToEven(ratio) + zeroPoint;
    out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
  }
}

function checkContainer(out: QuantizedArray, qmin: number, qmax: number, length: number, tensor?: string): void {
  const container = CONTAINERS.find((candidate) => out instanceof candidate.type);
  if (container === undefined || qmin < container.min || qmax > container.max) {
    throw new QuantizationError(`${out.constructor.name} cannot hold codes in [${qmin}, ${qmax}]`, { tensor });
  }
  if (out.length !== length) {
    throw new ShapeError(`output holds ${out.length} codes, expected ${length}`, { tensor });
  }
}

/** Per-tensor quantization into a new array of the narrowest container for [qmin, qmax]. */
export function quantize(data: Float32Array, scale: number, zeroPoint: number, qmin: number, qmax: number): QuantizedArray {
  const f32Scale = checkedScale(scale, zeroPoint, qmin, qmax);
  const out = codeArray(qmin, qmax, data.length);
  quantizeRun(data, out, 0, data.length, f32Scale, zeroPoint, qmin, qmax);
  return out;
}

/** Per-tensor quantization into a caller-owned array (no allocation: for use at run time). */
export function quantizeInto(
  data: Float32Array,
  scale: number,
  zeroPoint: number,
  qmin: number,
  qmax: number,
  out: QuantizedArray,
): void {
  const f32Scale = checkedScale(scale, zeroPoint, qmin, qmax);
  checkContainer(out, qmin, qmax, data.length);
  quantizeRun(data, out, 0, data.length, f32Scale, zeroPoint, qmin, qmax);
}

/** r = S * (q - Z), computed as the float32 product. */
export function dequantize(codes: ArrayLike<number>, scale: number, zeroPoint: number): Float32Array {
  const f32Scale = checkedDequantScale(scale);
  if (!Number.isInteger(zeroPoint)) throw new QuantizationError(`zero point ${zeroPoint} is not an integer`);
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = f32Scale * (codes[i] - zeroPoint);
  return out;
}

function checkChannelParams(
  channels: number,
  scales: ArrayLike<number>,
  zeroPoints: ArrayLike<number>,
  tensor?: string,
): void {
  if (scales.length !== channels || zeroPoints.length !== channels) {
    throw new QuantizationError(
      `${channels} channels need ${channels} scales and zero points, got ${scales.length} and ${zeroPoints.length}`,
      { tensor },
    );
  }
}

/** Quantization with one (S[c], Z[c]) per index c along `axis` (ONNX QuantizeLinear with axis). */
export function quantizePerAxis(
  data: Float32Array,
  dims: readonly number[],
  axis: number,
  scales: ArrayLike<number>,
  zeroPoints: ArrayLike<number>,
  qmin: number,
  qmax: number,
): QuantizedArray {
  const layout = axisLayout(dims, axis, data.length);
  checkChannelParams(layout.channels, scales, zeroPoints);
  const f32Scales = Array.from({ length: layout.channels }, (_, c) =>
    checkedScale(scales[c], zeroPoints[c], qmin, qmax, `channel ${c}`),
  );
  const out = codeArray(qmin, qmax, data.length);
  forEachChannelRun(layout, (c, start, end) => quantizeRun(data, out, start, end, f32Scales[c], zeroPoints[c], qmin, qmax));
  return out;
}

/** r = S[c] * (q - Z[c]) along `axis` (ONNX DequantizeLinear with axis). */
export function dequantizePerAxis(
  codes: ArrayLike<number>,
  dims: readonly number[],
  axis: number,
  scales: ArrayLike<number>,
  zeroPoints: ArrayLike<number>,
): Float32Array {
  const layout = axisLayout(dims, axis, codes.length);
  checkChannelParams(layout.channels, scales, zeroPoints);
  const f32Scales = Array.from({ length: layout.channels }, (_, c) => {
    if (!Number.isInteger(zeroPoints[c])) throw new QuantizationError(`zero point ${zeroPoints[c]} is not an integer`, { tensor: `channel ${c}` });
    return checkedDequantScale(scales[c], `channel ${c}`);
  });
  const out = new Float32Array(codes.length);
  forEachChannelRun(layout, (c, start, end) => {
    const scale = f32Scales[c];
    const zeroPoint = zeroPoints[c];
    for (let i = start; i < end; i++) out[i] = scale * (codes[i] - zeroPoint);
  });
  return out;
}
