// Elementwise Add of two int8 tensors with their own (S, Z), TFLite's scheme (DESIGN.md 3.2):
// both inputs are shifted left by 20 bits, rescaled to a common scale 2 * max(S1, S2) / 2^20,
// added in int32 and requantized to the output scale; a fused activation is the clamp.
import { multiplyByQuantizedMultiplier } from "./fixedpoint";
import { packInt8 } from "./fixedpoint-lanes";
import { ROUNDING_MAGIC, requantBound, requantZeroPoint, requantizeAccumulators, tieThreshold } from "./qs8-microkernel";

const LEFT_SHIFT: i32 = 20;

// @ts-ignore: decorator
@inline
function addScalar(
  a: i32, b: i32,
  zeroPointA: i32, multiplierA: i32, shiftA: i32,
  zeroPointB: i32, multiplierB: i32, shiftB: i32,
  multiplierOut: i32, shiftOut: i32, lowest: i32, highest: i32, zeroPointOut: i32,
): i32 {
  const scaledA = multiplyByQuantizedMultiplier((a - zeroPointA) << LEFT_SHIFT, multiplierA, shiftA);
  const scaledB = multiplyByQuantizedMultiplier((b - zeroPointB) << LEFT_SHIFT, multiplierB, shiftB);
  const y = multiplyByQuantizedMultiplier(scaledA + scaledB, multiplierOut, shiftOut);
  return (y < lowest ? lowest : y > highest ? highest : y) + zeroPointOut;
}

/** requantizeAccumulators' nine fields (init 0) for the output multiplier, splatted, rewritten per call. */
const OUTPUT_FIELDS: usize = memory.data(144, 16);
const FIELD_STRIDE: usize = 16;

/** 2^e as f64 (normal exponents only). */
// @ts-ignore: decorator
@inline
function pow2(e: i32): f64 {
  return reinterpret<f64>(<i64>(1023 + e) << 52);
}

/** Field f of OUTPUT_FIELDS, all four lanes. */
// @ts-ignore: decorator
@inline
function setField(f: usize, value: i32): void {
  v128.store(OUTPUT_FIELDS + f * FIELD_STRIDE, i32x4.splat(value));
}

/** Fills OUTPUT_FIELDS as the host's writeRequantFields does for one channel with init 0. */
function writeOutputFields(multiplier: i32, shift: i32): void {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  const mask = (1 << right) - 1;
  setField(0, 0);
  setField(1, 1 << left);
  setField(2, multiplier);
  setField(3, right > 0 ? 1 << (31 - right) : 0);
  setField(4, right == 0 ? -1 : 0);
  setField(5, mask);
  setField(6, mask >>> 1);
  setField(7, reinterpret<i32>(<f32>(<f64>multiplier * pow2(-31 - right))));
  setField(8, reinterpret<i32>(tieThreshold(right)));
}

/**
 * MBQM((q - Z) << 20, M0, -right) on four lanes of q - Z in [-255, 255], in int32 lanes only:
 * saturatingRoundingDoublingHighMul(x * 2^20, M0) = floor((x * M0 + 2^10) / 2^11)
 * = x * (M0 >> 11) + floor((x * (M0 & 2047) + 2^10) / 2^11), every product below 2^28;
 * then roundingDivideByPOT by `right` (`mask` = 2^right - 1, `halfMask` = mask >> 1).
 */
// @ts-ignore: decorator
@inline
function scaleInput(x: v128, multiplierHigh: v128, multiplierLow: v128, right: i32, mask: v128, halfMask: v128): v128 {
  const product = i32x4.add(
    i32x4.mul(x, multiplierHigh),
    i32x4.shr_s(i32x4.add(i32x4.mul(x, multiplierLow), i32x4.splat(1 << 10)), 11),
  );
  const negative = i32x4.lt_s(product, i32x4.splat(0));
  const roundsUp = i32x4.gt_s(v128.and(product, mask), i32x4.sub(halfMask, negative));
  return i32x4.sub(i32x4.shr_s(product, right), roundsUp);
}

/**
 * out[i] = clamp(MBQM(MBQM((a[i] - Za) << 20, Ma, sa) + MBQM((b[i] - Zb) << 20, Mb, sb), Mo, so) + Zo, qmin, qmax)
 * over n int8 elements. Multipliers are M0 in [0, 2^31); input shifts in [-31, 0], the output
 * shift in [-31, 2] (as prepareQs8Add makes them: the sum then stays below 2^28, so its left shift
 * cannot wrap). `out` may be `a` or `b`.
 *
 * Fast path, 16 elements at a time: v = f32(a - Za) * kA + f32(b - Zb) * kB in f32, clamped and
 * rounded, where kA and kB are the real factors the fixed-point steps approximate
 * (kA = 2^20 * Ma / 2^(31 + ra) * L, ra = -sa, L = 2^lo * Mo / 2^(31 + ro) with lo = max(so, 0),
 * ro = max(-so, 0)). It stands unless some lane lies within `margin` of a half-integer, where
 *   margin = 2L + 2^-(ro + 1) + 255 * (kA + kB) * 2^-21:
 * each input term is within 1 of its real value (two roundings to nearest), so the sum S within 2,
 * which moves W = S * L by at most 2L; the output's two roundings give round(W) unless W lies within
 * 2^-(ro + 1) of a half-integer; and the f32 constants, products and sum each round by at most
 * 2^-23 relative (the constants come from f64), at most 255 * (kA + kB) * 2^-21 in all. Clamping
 * first is exact as in requantizeAccumulators. Otherwise (or when margin >= 1/2, never in practice)
 * those 16 elements take the exact int32 path (addLanes).
 */
export function qs8_add(
  a: usize, b: usize, n: i32,
  zeroPointA: i32, multiplierA: i32, shiftA: i32,
  zeroPointB: i32, multiplierB: i32, shiftB: i32,
  multiplierOut: i32, shiftOut: i32, zeroPointOut: i32, qmin: i32, qmax: i32,
  out: usize,
): void {
  // Clamp before adding the zero point (as qs8_requantize does), so nothing can wrap.
  const lowest = qmin - zeroPointOut;
  const highest = qmax - zeroPointOut;
  writeOutputFields(multiplierOut, shiftOut);
  const zA = i32x4.splat(zeroPointA);
  const zB = i32x4.splat(zeroPointB);
  const highA = i32x4.splat(multiplierA >>> 11);
  const lowA = i32x4.splat(multiplierA & 2047);
  const highB = i32x4.splat(multiplierB >>> 11);
  const lowB = i32x4.splat(multiplierB & 2047);
  const rightA = -shiftA;
  const rightB = -shiftB;
  const maskA = i32x4.splat((1 << rightA) - 1);
  const halfA = i32x4.splat(((1 << rightA) - 1) >>> 1);
  const maskB = i32x4.splat((1 << rightB) - 1);
  const halfB = i32x4.splat(((1 << rightB) - 1) >>> 1);
  const lo = requantBound(qmin, zeroPointOut);
  const hi = requantBound(qmax, zeroPointOut);
  const zOut = requantZeroPoint(zeroPointOut);

  const outputFactor = <f64>multiplierOut * pow2((shiftOut > 0 ? shiftOut : 0) - 31 - (shiftOut > 0 ? 0 : -shiftOut));
  const factorA = <f64>multiplierA * pow2(20 - 31 + shiftA) * outputFactor;
  const factorB = <f64>multiplierB * pow2(20 - 31 + shiftB) * outputFactor;
  const margin = 2 * outputFactor + pow2(-(shiftOut > 0 ? 0 : -shiftOut) - 1) + 255 * (factorA + factorB) * pow2(-21);
  const tie = f32x4.splat(fastPathTie(margin));
  const kA = f32x4.splat(<f32>factorA);
  const kB = f32x4.splat(<f32>factorB);
  const zA16 = i16x8.splat(<i16>zeroPointA);
  const zB16 = i16x8.splat(<i16>zeroPointB);

  const vectorEnd = n & ~15;
  for (let i = 0; i < vectorEnd; i += 16) {
    const va = v128.load(a + <usize>i);
    const vb = v128.load(b + <usize>i);
    // a - Za and b - Zb in [-255, 255]: exact in int16.
    const aLow = i16x8.sub(i16x8.extend_low_i8x16_s(va), zA16);
    const aHigh = i16x8.sub(i16x8.extend_high_i8x16_s(va), zA16);
    const bLow = i16x8.sub(i16x8.extend_low_i8x16_s(vb), zB16);
    const bHigh = i16x8.sub(i16x8.extend_high_i8x16_s(vb), zB16);
    const v0 = fastSum(i32x4.extend_low_i16x8_s(aLow), i32x4.extend_low_i16x8_s(bLow), kA, kB, lo, hi);
    const v1 = fastSum(i32x4.extend_high_i16x8_s(aLow), i32x4.extend_high_i16x8_s(bLow), kA, kB, lo, hi);
    const v2 = fastSum(i32x4.extend_low_i16x8_s(aHigh), i32x4.extend_low_i16x8_s(bHigh), kA, kB, lo, hi);
    const v3 = fastSum(i32x4.extend_high_i16x8_s(aHigh), i32x4.extend_high_i16x8_s(bHigh), kA, kB, lo, hi);
    const nearTie = v128.or(v128.or(tooNearHalf(v0, tie), tooNearHalf(v1, tie)), v128.or(tooNearHalf(v2, tie), tooNearHalf(v3, tie)));
    let bytes: v128;
    if (!v128.any_true(nearTie)) {
      bytes = packInt8(roundedCode(v0, zOut), roundedCode(v1, zOut), roundedCode(v2, zOut), roundedCode(v3, zOut));
    } else {
      const a0 = i16x8.extend_low_i8x16_s(va);
      const a1 = i16x8.extend_high_i8x16_s(va);
      const b0 = i16x8.extend_low_i8x16_s(vb);
      const b1 = i16x8.extend_high_i8x16_s(vb);
      const y0 = addLanes(i32x4.extend_low_i16x8_s(a0), i32x4.extend_low_i16x8_s(b0),
        zA, highA, lowA, rightA, maskA, halfA, zB, highB, lowB, rightB, maskB, halfB, lo, hi, zOut);
      const y1 = addLanes(i32x4.extend_high_i16x8_s(a0), i32x4.extend_high_i16x8_s(b0),
        zA, highA, lowA, rightA, maskA, halfA, zB, highB, lowB, rightB, maskB, halfB, lo, hi, zOut);
      const y2 = addLanes(i32x4.extend_low_i16x8_s(a1), i32x4.extend_low_i16x8_s(b1),
        zA, highA, lowA, rightA, maskA, halfA, zB, highB, lowB, rightB, maskB, halfB, lo, hi, zOut);
      const y3 = addLanes(i32x4.extend_high_i16x8_s(a1), i32x4.extend_high_i16x8_s(b1),
        zA, highA, lowA, rightA, maskA, halfA, zB, highB, lowB, rightB, maskB, halfB, lo, hi, zOut);
      bytes = packInt8(y0, y1, y2, y3);
    }
    v128.store(out + <usize>i, bytes);
  }
  for (let i = vectorEnd; i < n; i++) {
    const y = addScalar(
      load<i8>(a + <usize>i), load<i8>(b + <usize>i),
      zeroPointA, multiplierA, shiftA, zeroPointB, multiplierB, shiftB,
      multiplierOut, shiftOut, lowest, highest, zeroPointOut,
    );
    store<i8>(out + <usize>i, <i8>y);
  }
}

/** The fast path's bound on |v - round(v)|: 1/2 - margin rounded down to f32, 0 (never) past 1/2. */
function fastPathTie(margin: f64): f32 {
  const exact = 0.5 - margin;
  if (!(exact > 0)) return 0;
  const rounded = <f32>exact;
  return <f64>rounded > exact ? reinterpret<f32>(reinterpret<i32>(rounded) - 1) : rounded;
}

/** f32(dA) * kA + f32(dB) * kB, clamped to [lo, hi] (f32 bounds relative to Z_y). */
// @ts-ignore: decorator
@inline
function fastSum(dA: v128, dB: v128, kA: v128, kB: v128, lo: v128, hi: v128): v128 {
  const v = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(dA), kA), f32x4.mul(f32x4.convert_i32x4_s(dB), kB));
  return f32x4.pmin(f32x4.pmax(v, lo), hi);
}

/** Lanes where |v - round(v)| >= tie: the fast result may differ from the exact one there. */
// @ts-ignore: decorator
@inline
function tooNearHalf(v: v128, tie: v128): v128 {
  const rounded = f32x4.sub(f32x4.add(v, f32x4.splat(ROUNDING_MAGIC)), f32x4.splat(ROUNDING_MAGIC));
  return f32x4.ge(f32x4.abs(f32x4.sub(v, rounded)), tie);
}

/** round(v) + Z_y as int32 lanes (zOut from requantZeroPoint). */
// @ts-ignore: decorator
@inline
function roundedCode(v: v128, zOut: v128): v128 {
  return i32x4.sub(f32x4.add(v, f32x4.splat(ROUNDING_MAGIC)), zOut);
}

// @ts-ignore: decorator
@inline
function addLanes(
  a: v128, b: v128,
  zA: v128, highA: v128, lowA: v128, rightA: i32, maskA: v128, halfA: v128,
  zB: v128, highB: v128, lowB: v128, rightB: i32, maskB: v128, halfB: v128,
  lo: v128, hi: v128, zOut: v128,
): v128 {
  const scaledA = scaleInput(i32x4.sub(a, zA), highA, lowA, rightA, maskA, halfA);
  const scaledB = scaleInput(i32x4.sub(b, zB), highB, lowB, rightB, maskB, halfB);
  return requantizeAccumulators(i32x4.add(scaledA, scaledB), OUTPUT_FIELDS, FIELD_STRIDE, zOut, lo, hi);
}
