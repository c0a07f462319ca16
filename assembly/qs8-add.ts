// Elementwise Add of two int8 tensors with their own (S, Z), TFLite's scheme (DESIGN.md 3.2):
// both inputs are shifted left by 20 bits, rescaled to a common scale 2 * max(S1, S2) / 2^20,
// added in int32 and requantized to the output scale; a fused activation is the clamp.
import { multiplyByQuantizedMultiplier } from "./fixedpoint";
import { multiplyByQuantizedMultiplierLanes, packInt8 } from "./fixedpoint-lanes";

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

/**
 * out[i] = clamp(MBQM(MBQM((a[i] - Za) << 20, Ma, sa) + MBQM((b[i] - Zb) << 20, Mb, sb), Mo, so) + Zo, qmin, qmax)
 * over n int8 elements. Multipliers are M0 in [0, 2^31) with shifts in [-31, 30]; the host keeps
 * the output shift small enough that the left shift cannot wrap. `out` may be `a` or `b`.
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
  const zA = i32x4.splat(zeroPointA);
  const zB = i32x4.splat(zeroPointB);
  const mA = i32x4.splat(multiplierA);
  const mB = i32x4.splat(multiplierB);
  const mOut = i32x4.splat(multiplierOut);
  const leftA = shiftA > 0 ? shiftA : 0;
  const rightA = shiftA > 0 ? 0 : -shiftA;
  const leftB = shiftB > 0 ? shiftB : 0;
  const rightB = shiftB > 0 ? 0 : -shiftB;
  const leftOut = shiftOut > 0 ? shiftOut : 0;
  const rightOut = shiftOut > 0 ? 0 : -shiftOut;
  const maskA = i32x4.splat((1 << rightA) - 1);
  const halfA = i32x4.splat(((1 << rightA) - 1) >> 1);
  const maskB = i32x4.splat((1 << rightB) - 1);
  const halfB = i32x4.splat(((1 << rightB) - 1) >> 1);
  const maskOut = i32x4.splat((1 << rightOut) - 1);
  const halfOut = i32x4.splat(((1 << rightOut) - 1) >> 1);
  const lo = i32x4.splat(lowest);
  const hi = i32x4.splat(highest);
  const zOut = i32x4.splat(zeroPointOut);

  const vectorEnd = n & ~15;
  for (let i = 0; i < vectorEnd; i += 16) {
    const va = v128.load(a + <usize>i);
    const vb = v128.load(b + <usize>i);
    const aLow = i16x8.extend_low_i8x16_s(va);
    const aHigh = i16x8.extend_high_i8x16_s(va);
    const bLow = i16x8.extend_low_i8x16_s(vb);
    const bHigh = i16x8.extend_high_i8x16_s(vb);
    const y0 = addLanes(i32x4.extend_low_i16x8_s(aLow), i32x4.extend_low_i16x8_s(bLow),
      zA, mA, leftA, rightA, maskA, halfA, zB, mB, leftB, rightB, maskB, halfB,
      mOut, leftOut, rightOut, maskOut, halfOut, lo, hi, zOut);
    const y1 = addLanes(i32x4.extend_high_i16x8_s(aLow), i32x4.extend_high_i16x8_s(bLow),
      zA, mA, leftA, rightA, maskA, halfA, zB, mB, leftB, rightB, maskB, halfB,
      mOut, leftOut, rightOut, maskOut, halfOut, lo, hi, zOut);
    const y2 = addLanes(i32x4.extend_low_i16x8_s(aHigh), i32x4.extend_low_i16x8_s(bHigh),
      zA, mA, leftA, rightA, maskA, halfA, zB, mB, leftB, rightB, maskB, halfB,
      mOut, leftOut, rightOut, maskOut, halfOut, lo, hi, zOut);
    const y3 = addLanes(i32x4.extend_high_i16x8_s(aHigh), i32x4.extend_high_i16x8_s(bHigh),
      zA, mA, leftA, rightA, maskA, halfA, zB, mB, leftB, rightB, maskB, halfB,
      mOut, leftOut, rightOut, maskOut, halfOut, lo, hi, zOut);
    v128.store(out + <usize>i, packInt8(y0, y1, y2, y3));
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

// @ts-ignore: decorator
@inline
function addLanes(
  a: v128, b: v128,
  zA: v128, mA: v128, leftA: i32, rightA: i32, maskA: v128, halfA: v128,
  zB: v128, mB: v128, leftB: i32, rightB: i32, maskB: v128, halfB: v128,
  mOut: v128, leftOut: i32, rightOut: i32, maskOut: v128, halfOut: v128,
  lo: v128, hi: v128, zOut: v128,
): v128 {
  const scaledA = multiplyByQuantizedMultiplierLanes(
    i32x4.shl(i32x4.sub(a, zA), LEFT_SHIFT), mA, leftA, rightA, maskA, halfA);
  const scaledB = multiplyByQuantizedMultiplierLanes(
    i32x4.shl(i32x4.sub(b, zB), LEFT_SHIFT), mB, leftB, rightB, maskB, halfB);
  const y = multiplyByQuantizedMultiplierLanes(i32x4.add(scaledA, scaledB), mOut, leftOut, rightOut, maskOut, halfOut);
  return i32x4.add(i32x4.min_s(i32x4.max_s(y, lo), hi), zOut);
}
