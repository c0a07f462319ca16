// Plain scalar reference of int8 elementwise Add (TFLite's scheme, DESIGN.md 3.2), computed from
// the real scales: the oracle of the qs8_add kernel.
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from "../quant/fixed-point.js";

export interface AddQuantization {
  readonly s1: number;
  readonly z1: number;
  readonly s2: number;
  readonly z2: number;
  readonly sy: number;
  readonly zy: number;
  readonly qmin: number;
  readonly qmax: number;
}

const LEFT_SHIFT = 20;

/**
 * twiceMax = 2 max(S1, S2); M_i = S_i / twiceMax; M_out = twiceMax / (2^20 S_y);
 * y = clamp(MBQM(MBQM((q1 - Z1) * 2^20, M_1) + MBQM((q2 - Z2) * 2^20, M_2), M_out) + Z_y, qmin, qmax).
 */
export function referenceQs8Add(a: Int8Array, b: Int8Array, q: AddQuantization): Int8Array {
  if (a.length !== b.length) throw new RangeError("referenceQs8Add: inputs differ in length");
  const twiceMax = 2 * Math.max(q.s1, q.s2);
  const m1 = quantizeMultiplier(q.s1 / twiceMax);
  const m2 = quantizeMultiplier(q.s2 / twiceMax);
  const mOut = quantizeMultiplier(twiceMax / (2 ** LEFT_SHIFT * q.sy));
  return Int8Array.from(a, (qa, i) => {
    const scaled1 = multiplyByQuantizedMultiplier((qa - q.z1) * 2 ** LEFT_SHIFT, m1.multiplier, m1.shift);
    const scaled2 = multiplyByQuantizedMultiplier((b[i] - q.z2) * 2 ** LEFT_SHIFT, m2.multiplier, m2.shift);
    const y = multiplyByQuantizedMultiplier(scaled1 + scaled2, mOut.multiplier, mOut.shift) + q.zy;
    return Math.min(Math.max(y, q.qmin), q.qmax);
  });
}
