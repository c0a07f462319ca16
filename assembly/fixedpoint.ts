// Fixed-point requantization, bit-exact with gemmlowp / the TFLite reference (DESIGN.md 3.1).
// The scalar functions are the definitions; qs8_requantize applies them to whole rows of int32
// accumulators with i32x4 / i64x2 lanes and per-channel multipliers and shifts.

/** The high 32 bits of 2*a*b, rounded to nearest with ties toward +infinity; saturates a == b == INT32_MIN. */
export function saturatingRoundingDoublingHighMul(a: i32, b: i32): i32 {
  if (a == i32.MIN_VALUE && b == i32.MIN_VALUE) return i32.MAX_VALUE;
  // (ab + nudge) / 2^31 truncated toward zero equals floor((ab + 2^30) / 2^31) for both signs.
  return <i32>((<i64>a * <i64>b + (1 << 30)) >> 31);
}

/** x / 2^exponent rounded to nearest, ties away from zero (0 <= exponent <= 31). */
export function roundingDivideByPOT(x: i32, exponent: i32): i32 {
  const mask = (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** x * M0 * 2^(shift - 31) with TFLite's double rounding; the left shift wraps. */
export function multiplyByQuantizedMultiplier(x: i32, multiplier: i32, shift: i32): i32 {
  const leftShift = shift > 0 ? shift : 0;
  const rightShift = shift > 0 ? 0 : -shift;
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x << leftShift, multiplier), rightShift);
}

// Two lanes of multiplyByQuantizedMultiplier in i64 arithmetic. `scaled` holds x * 2^left
// (wrapped to int32, then sign-extended), `multiplier` M0 >= 0 (so the saturating case cannot
// occur), `half` 2^(e-1) or 0, `roundsNegative` -1 where e > 0, `inversePow` 2^(31 - e).
// floor(t / 2^e) is computed as (t * 2^(31-e)) >> 31 because SIMD shifts take one count for all lanes.
// @ts-ignore: decorator
@inline
function requantizeLanes(scaled: v128, multiplier: v128, half: v128, roundsNegative: v128, inversePow: v128): v128 {
  const high = i64x2.shr_s(i64x2.add(i64x2.mul(scaled, multiplier), i64x2.splat(1 << 30)), 31);
  const negative = v128.and(i64x2.lt_s(high, i64x2.splat(0)), roundsNegative);
  const nudged = i64x2.add(i64x2.add(high, half), negative);
  return i64x2.shr_s(i64x2.mul(nudged, inversePow), 31);
}

/**
 * Requantizes `rows x channels` int32 accumulators to int8:
 * out = clamp(multiplyByQuantizedMultiplier(acc, M0[c], shift[c]) + zeroPoint, qmin, qmax),
 * with c the column. `multiplier` (M0 in [0, 2^31)) and `shift` (-31..30) are int32 arrays of
 * length `channels`; qmin..qmax lies within int8.
 * `out` may alias `acc` only if it does not start after it.
 */
export function qs8_requantize(
  acc: usize, rows: i32, channels: i32,
  multiplier: usize, shift: usize,
  zeroPoint: i32, qmin: i32, qmax: i32, out: usize,
): void {
  const vecChannels = channels & ~3;
  // Clamp before adding the zero point, so an accumulator near INT32_MAX cannot wrap around.
  const lowest = qmin - zeroPoint;
  const highest = qmax - zeroPoint;
  const zero = i32x4.splat(zeroPoint);
  const lo = i32x4.splat(lowest);
  const hi = i32x4.splat(highest);
  for (let r = 0; r < rows; r++) {
    const accRow = acc + (<usize>r * <usize>channels << 2);
    const outRow = out + <usize>r * <usize>channels;
    for (let c = 0; c < vecChannels; c += 4) {
      const x = v128.load(accRow + (<usize>c << 2));
      const m = v128.load(multiplier + (<usize>c << 2));
      const s = v128.load(shift + (<usize>c << 2));
      const left = i32x4.max_s(s, i32x4.splat(0));
      const right = i32x4.max_s(i32x4.neg(s), i32x4.splat(0));
      // 1 << left and 2^(31 - right) per lane, built from float exponents (no per-lane shifts in SIMD).
      const leftPow = i32x4.trunc_sat_f32x4_u(i32x4.shl(i32x4.add(left, i32x4.splat(127)), 23));
      const scaled = i32x4.mul(x, leftPow);
      const half = i32x4.trunc_sat_f32x4_u(i32x4.shl(i32x4.add(right, i32x4.splat(126)), 23));
      const roundsNegative = i32x4.ne(right, i32x4.splat(0));
      const inversePow = i32x4.trunc_sat_f32x4_u(i32x4.shl(i32x4.sub(i32x4.splat(158), right), 23));
      const low = requantizeLanes(
        i64x2.extend_low_i32x4_s(scaled), i64x2.extend_low_i32x4_u(m),
        i64x2.extend_low_i32x4_u(half), i64x2.extend_low_i32x4_s(roundsNegative), i64x2.extend_low_i32x4_u(inversePow),
      );
      const high = requantizeLanes(
        i64x2.extend_high_i32x4_s(scaled), i64x2.extend_high_i32x4_u(m),
        i64x2.extend_high_i32x4_u(half), i64x2.extend_high_i32x4_s(roundsNegative), i64x2.extend_high_i32x4_u(inversePow),
      );
      let y = i8x16.shuffle(low, high, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
      y = i32x4.add(i32x4.min_s(i32x4.max_s(y, lo), hi), zero);
      const narrow16 = i16x8.narrow_i32x4_s(y, y);
      const narrow8 = i8x16.narrow_i16x8_s(narrow16, narrow16);
      v128.store32_lane(outRow + <usize>c, narrow8, 0);
    }
    for (let c = vecChannels; c < channels; c++) {
      const x = load<i32>(accRow + (<usize>c << 2));
      let y = multiplyByQuantizedMultiplier(x, load<i32>(multiplier + (<usize>c << 2)), load<i32>(shift + (<usize>c << 2)));
      y = y < lowest ? lowest : y > highest ? highest : y;
      store<i8>(outRow + <usize>c, <i8>(y + zeroPoint));
    }
  }
}

/** Scalar multiplyByQuantizedMultiplier over an array, for testing the WebAssembly side against TypeScript. */
export function fixedpoint_multiply_array(x: usize, multiplier: usize, shift: usize, n: i32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<i32>(out + o, multiplyByQuantizedMultiplier(load<i32>(x + o), load<i32>(multiplier + o), load<i32>(shift + o)));
  }
}

/** saturatingRoundingDoublingHighMul over arrays, for tests. */
export function fixedpoint_high_mul_array(a: usize, b: usize, n: i32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<i32>(out + o, saturatingRoundingDoublingHighMul(load<i32>(a + o), load<i32>(b + o)));
  }
}

/** roundingDivideByPOT over arrays, for tests. */
export function fixedpoint_divide_pot_array(x: usize, exponent: usize, n: i32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<i32>(out + o, roundingDivideByPOT(load<i32>(x + o), load<i32>(exponent + o)));
  }
}
