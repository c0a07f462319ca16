// The "onnx" requantization mode: y = saturate(roundHalfToEven(f32(acc) * f32(S_x * S_w / S_y)) + Z_y),
// the way the ONNX reference and ONNX Runtime requantize, instead of DESIGN.md 3's fixed point.

export type RequantizationMode = "fixed-point" | "onnx";

/** Rounds to the nearest integer, ties to even (C's nearbyint in the default rounding mode). */
export function roundHalfToEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** ONNX Runtime's per-channel output scales: (S_x * S_w[c]) / S_y, each operation rounded to fp32. */
export function onnxOutputScales(inputScale: number, weightScales: Float32Array, outputScale: number): Float32Array {
  return Float32Array.from(weightScales, (w) => Math.fround(Math.fround(inputScale * w) / outputScale));
}

/** Requantizes f32(acc) * scale values (already multiplied) into int8 codes in [qmin, qmax]. */
export function requantizeScaled(scaled: Float32Array, count: number, zeroPoint: number, qmin: number, qmax: number, out: Int8Array): void {
  for (let i = 0; i < count; i++) {
    const q = roundHalfToEven(scaled[i]) + zeroPoint;
    out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
  }
}
