// The affine mapping real = S * (q - Z) (DESIGN.md 2) on four lanes, shared by the quantize and
// layout kernels so the fused boundary conversions round exactly like the plain ones.
// Not exported to the host.

/**
 * q = clamp(roundHalfToEven(x / S) + Z, qmin, qmax) per lane, as int32 lanes. The caller splats
 * `lowest` = qmin - Z and `highest` = qmax - Z: clamping before adding Z cannot wrap, NaN
 * truncates to 0 (so it lands on Z), and +-Inf saturate.
 */
// @ts-ignore: decorator
@inline
export function quantizeLanes(x: v128, scale: v128, zeroPoint: v128, lowest: v128, highest: v128): v128 {
  const rounded = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(x, scale)));
  return i32x4.add(i32x4.min_s(i32x4.max_s(rounded, lowest), highest), zeroPoint);
}

/** Sixteen f32 values at `x` quantized and packed into one i8x16 vector. */
// @ts-ignore: decorator
@inline
export function quantize16(x: usize, scale: v128, zeroPoint: v128, lowest: v128, highest: v128): v128 {
  const q0 = quantizeLanes(v128.load(x), scale, zeroPoint, lowest, highest);
  const q1 = quantizeLanes(v128.load(x, 16), scale, zeroPoint, lowest, highest);
  const q2 = quantizeLanes(v128.load(x, 32), scale, zeroPoint, lowest, highest);
  const q3 = quantizeLanes(v128.load(x, 48), scale, zeroPoint, lowest, highest);
  return i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3));
}

/** One f32 value quantized through the same lanes, so the tails round exactly like the body. */
// @ts-ignore: decorator
@inline
export function quantizeOne(x: f32, scale: f32, zeroPoint: i32, qmin: i32, qmax: i32): i8 {
  const q = quantizeLanes(
    f32x4.splat(x), f32x4.splat(scale), i32x4.splat(zeroPoint),
    i32x4.splat(qmin - zeroPoint), i32x4.splat(qmax - zeroPoint),
  );
  return <i8>i32x4.extract_lane(q, 0);
}

/** r = S * (q - Z) per lane for int32 lanes q: the difference is exact in f32, the product rounds once. */
// @ts-ignore: decorator
@inline
export function dequantizeLanes(q: v128, scale: v128, zeroPoint: v128): v128 {
  return f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(q, zeroPoint)), scale);
}

/** Sixteen int8 values dequantized and stored as f32 at `out`, `out + 16`, `out + 32`, `out + 48`. */
// @ts-ignore: decorator
@inline
export function dequantize16(q: v128, scale: v128, zeroPoint: v128, out: usize): void {
  const low = i16x8.extend_low_i8x16_s(q);
  const high = i16x8.extend_high_i8x16_s(q);
  v128.store(out, dequantizeLanes(i32x4.extend_low_i16x8_s(low), scale, zeroPoint));
  v128.store(out, dequantizeLanes(i32x4.extend_high_i16x8_s(low), scale, zeroPoint), 16);
  v128.store(out, dequantizeLanes(i32x4.extend_low_i16x8_s(high), scale, zeroPoint), 32);
  v128.store(out, dequantizeLanes(i32x4.extend_high_i16x8_s(high), scale, zeroPoint), 48);
}

/** One int8 value dequantized: the scalar f32 operations are the lanes' operations. */
// @ts-ignore: decorator
@inline
export function dequantizeOne(q: i32, scale: f32, zeroPoint: i32): f32 {
  return <f32>(q - zeroPoint) * scale;
}
