// Plain scalar reference of fp32 <-> int8 (DESIGN.md 2), the oracle of the quantize kernels.
// float32 arithmetic is spelled out with Math.fround: for float32 x and S, Math.fround(x / S) is
// the correctly rounded float32 quotient (a double quotient rounds once more, harmlessly, since
// 53 >= 2 * 24 + 2), and Math.fround(S * (q - Z)) the float32 product.

/** Nearest integer to v, ties to the even one. */
export function roundHalfToEven(v: number): number {
  const floor = Math.floor(v);
  const fraction = v - floor;
  if (fraction < 0.5) return floor;
  if (fraction > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** q = clamp(roundHalfToEven(x / S) + Z, qmin, qmax) with the division in float32; NaN -> Z, +-Inf saturate. */
export function quantizeValue(x: number, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  const quotient = Math.fround(Math.fround(x) / Math.fround(scale));
  if (Number.isNaN(quotient)) return zeroPoint;
  const q = roundHalfToEven(quotient) + zeroPoint;
  return Math.min(Math.max(q, qmin), qmax);
}

/** r = S * (q - Z) in float32. */
export function dequantizeValue(q: number, scale: number, zeroPoint: number): number {
  return Math.fround(Math.fround(scale) * (q - zeroPoint));
}

export function referenceQuantize(x: Float32Array, scale: number, zeroPoint: number, qmin = -128, qmax = 127): Int8Array {
  return Int8Array.from(x, (value) => quantizeValue(value, scale, zeroPoint, qmin, qmax));
}

export function referenceDequantize(q: Int8Array, scale: number, zeroPoint: number): Float32Array {
  return Float32Array.from(q, (value) => dequantizeValue(value, scale, zeroPoint));
}

/** Per-channel quantize of rows x channels (channels innermost): channel c uses scales[c], zeroPoints[c]. */
export function referenceQuantizePerChannel(
  x: Float32Array, scales: ArrayLike<number>, zeroPoints: ArrayLike<number>, qmin = -128, qmax = 127,
): Int8Array {
  const channels = scales.length;
  return Int8Array.from(x, (value, i) => quantizeValue(value, scales[i % channels], zeroPoints[i % channels], qmin, qmax));
}

/** Per-channel dequantize of rows x channels (channels innermost). */
export function referenceDequantizePerChannel(q: Int8Array, scales: ArrayLike<number>, zeroPoints: ArrayLike<number>): Float32Array {
  const channels = scales.length;
  return Float32Array.from(q, (value, i) => dequantizeValue(value, scales[i % channels], zeroPoints[i % channels]));
}

/**
 * ONNX DynamicQuantizeLinear (opset 11 function body) shifted to int8, step by step in float32:
 * lo = min(0, min x), hi = max(0, max x), S = (hi - lo) / 255, z = round(clip(0 - lo / S, 0, 255))
 * (ties to even), Z = z - 128, q = clamp(round(x / S) + Z, -128, 127). S = 0 (all zeros) becomes 1,
 * as in ONNX Runtime. Returns null when x holds NaN or +-Infinity or S overflows.
 */
export function referenceDynamicQuantize(x: Float32Array): { q: Int8Array; scale: number; zeroPoint: number } | null {
  let lo = 0;
  let hi = 0;
  for (const value of x) {
    if (Number.isNaN(value)) return null;
    lo = Math.min(lo, value);
    hi = Math.max(hi, value);
  }
  let scale = Math.fround(Math.fround(hi - lo) / 255);
  if (!Number.isFinite(scale)) return null;
  if (scale === 0) scale = 1;
  const zeroPoint = roundHalfToEven(Math.min(Math.max(-Math.fround(lo / scale), 0), 255)) - 128;
  return { q: referenceQuantize(x, scale, zeroPoint), scale, zeroPoint };
}
