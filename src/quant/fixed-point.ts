// Fixed-point requantization in TypeScript (DESIGN.md 3.1): the reference that the WebAssembly
// kernels must match bit for bit, and the load-time precomputation of multipliers.
// 64-bit products use BigInt: this is the plain oracle, not a hot path.

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const TWO_POW_31 = 2147483648;

export interface QuantizedMultiplier {
  /** M0, an int32 in [2^30, 2^31), or 0. */
  readonly multiplier: number;
  /** The real multiplier is M0 * 2^(shift - 31); positive shift means a left shift. */
  readonly shift: number;
}

/** Splits frexp-style: returns [q, e] with q in [0.5, 1) and value = q * 2^e (value > 0, finite). */
function frexp(value: number): [number, number] {
  let exponent = Math.floor(Math.log2(value)) + 1;
  let fraction = value / 2 ** exponent;
  // log2 can be off by one next to a power of two; settle it exactly.
  while (fraction >= 1) {
    fraction /= 2;
    exponent += 1;
  }
  while (fraction < 0.5) {
    fraction *= 2;
    exponent -= 1;
  }
  return [fraction, exponent];
}

/** Represents a real multiplier M >= 0 as M0 * 2^(shift - 31), gemmlowp/TFLite style. */
export function quantizeMultiplier(realMultiplier: number): QuantizedMultiplier {
  if (!Number.isFinite(realMultiplier) || realMultiplier < 0) {
    throw new RangeError(`quantizeMultiplier: multiplier must be finite and >= 0, got ${realMultiplier}`);
  }
  if (realMultiplier === 0) return { multiplier: 0, shift: 0 };
  const [fraction, exponent] = frexp(realMultiplier);
  let multiplier = Math.round(fraction * TWO_POW_31);
  let shift = exponent;
  if (multiplier === TWO_POW_31) {
    multiplier /= 2;
    shift += 1;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  if (shift > 30) {
    throw new RangeError(`quantizeMultiplier: multiplier ${realMultiplier} is too large (shift ${shift} > 30)`);
  }
  return { multiplier, shift };
}

/** The high 32 bits of 2*a*b rounded to nearest (ties toward +infinity); INT32_MIN^2 saturates. */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  // BigInt division truncates toward zero, as the definition requires.
  return Number((ab + nudge) / (1n << 31n));
}

/** x / 2^exponent rounded to nearest, ties away from zero; 0 <= exponent <= 31. */
export function roundingDivideByPOT(x: number, exponent: number): number {
  const mask = exponent === 31 ? INT32_MAX : (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** x * M0 * 2^(shift - 31) with TFLite's double rounding; the left shift wraps like int32. */
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const leftShift = Math.max(shift, 0);
  const rightShift = Math.max(-shift, 0);
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x << leftShift, multiplier), rightShift);
}

/** The requantization of one accumulator to an output code: clamp(MBQM(acc) + Z, qmin, qmax). */
export function requantize(
  acc: number,
  multiplier: number,
  shift: number,
  zeroPoint: number,
  qmin: number,
  qmax: number,
): number {
  const value = multiplyByQuantizedMultiplier(acc, multiplier, shift) + zeroPoint;
  return Math.min(Math.max(value, qmin), qmax);
}

export interface ShiftedMultiplier {
  readonly multiplier: number;
  readonly leftShift: number;
  readonly rightShift: number;
}

/**
 * quantizeMultiplier(M) for inputs known to satisfy |x| <= maxAbs, applied as
 * roundingDivideByPOT(saturatingRoundingDoublingHighMul(x * 2^leftShift, M0), rightShift) with both
 * shifts raised by the headroom x has in an int32 (at most until rightShift = 31). Small inputs (an
 * average pool's sum) then keep their fraction bits through the high multiply, which would
 * otherwise round them once before roundingDivideByPOT rounds again: the result is x * M rounded
 * to nearest except within ~2^-(rightShift) of a tie (TFLite's Add left-shifts its inputs for the same reason).
 */
export function headroomMultiplier(realMultiplier: number, maxAbs: number): ShiftedMultiplier {
  const { multiplier, shift } = quantizeMultiplier(realMultiplier);
  let leftShift = Math.max(shift, 0);
  let rightShift = Math.max(-shift, 0);
  while (rightShift < 31 && maxAbs * 2 ** (leftShift + 1) <= INT32_MAX) {
    leftShift++;
    rightShift++;
  }
  return { multiplier, leftShift, rightShift };
}

/**
 * saturatingRoundingDoublingHighMul(x, M0) for M0 >= 0 (no saturation case) without BigInt:
 * floor((x * M0 + 2^30) / 2^31) with M0 split in 16-bit halves so every product is exact in a double.
 */
function highMulNonNegative(x: number, multiplier: number): number {
  const high = Math.floor(multiplier / 65536);
  const low = multiplier - high * 65536;
  return Math.floor((x * high + Math.floor((x * low + 2 ** 30) / 65536)) / 32768);
}

/** roundingDivideByPOT(saturatingRoundingDoublingHighMul(x * 2^leftShift, M0), rightShift); the left shift wraps like int32. */
export function multiplyByShiftedMultiplier(x: number, m: ShiftedMultiplier): number {
  return roundingDivideByPOT(highMulNonNegative(x << m.leftShift, m.multiplier), m.rightShift);
}
