// multiplyByQuantizedMultiplier (DESIGN.md 3.1) on four int32 lanes that share one multiplier and
// one shift, as in elementwise Add and average pooling. With a uniform shift every step stays in
// plain i32x4 shifts; only the 64-bit product needs i64x2 lanes. Not exported to the host.

/**
 * x * M0 * 2^(shift - 31) per lane with TFLite's double rounding, bit-exact with the scalar
 * multiplyByQuantizedMultiplier for M0 in [0, 2^31). The caller splats the constants once:
 * `multiplier` = M0, `leftShift` = max(shift, 0), `rightShift` = max(-shift, 0),
 * `mask` = 2^rightShift - 1 and `halfMask` = mask >> 1.
 */
// @ts-ignore: decorator
@inline
export function multiplyByQuantizedMultiplierLanes(
  x: v128, multiplier: v128, leftShift: i32, rightShift: i32, mask: v128, halfMask: v128,
): v128 {
  const shifted = i32x4.shl(x, leftShift);
  // floor((x * M0 + 2^30) / 2^31): saturatingRoundingDoublingHighMul, which cannot saturate as M0 >= 0.
  const nudge = i64x2.splat(1 << 30);
  const low = i64x2.shr_s(i64x2.add(i64x2.extmul_low_i32x4_s(shifted, multiplier), nudge), 31);
  const high = i64x2.shr_s(i64x2.add(i64x2.extmul_high_i32x4_s(shifted, multiplier), nudge), 31);
  const product = i32x4.shuffle(low, high, 0, 2, 4, 6);
  // roundingDivideByPOT: the threshold grows by one for negative lanes (lt_s yields -1 there).
  const negative = i32x4.lt_s(product, i32x4.splat(0));
  const roundsUp = i32x4.gt_s(v128.and(product, mask), i32x4.sub(halfMask, negative));
  return i32x4.sub(i32x4.shr_s(product, rightShift), roundsUp);
}

/** Packs sixteen int32 lanes already within int8 into one i8x16 vector, in order. */
// @ts-ignore: decorator
@inline
export function packInt8(a: v128, b: v128, c: v128, d: v128): v128 {
  return i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(c, d));
}
