// Elementwise Add of two int8 tensors of the same shape with their own (S, Z), TFLite's scheme
// (DESIGN.md 3.2). With twiceMax = 2 * max(S1, S2):
//   x_i = (q_i - Z_i) << 20,  s_i = MBQM(x_i, M_i) with M_i = S_i / twiceMax,
//   y = clamp(MBQM(s1 + s2, M_out) + Z_y, qmin, qmax) with M_out = twiceMax / (2^20 * S_y).
import { QuantizationError, ShapeError } from "../errors.js";
import { quantizeMultiplier } from "../quant/fixed-point.js";
import { requireBuffer, type WasmBuffer } from "./arena.js";
import {
  INT8_MAX, INT8_MIN, requireDim, requireDisjointOrSame, requireInt8Range, requireScale, requireZeroPoint,
} from "./checks.js";
import type { KernelInstance } from "./module.js";

type Ptr = number;

export interface Qs8AddExports {
  qs8_add(
    a: Ptr, b: Ptr, n: number,
    zeroPointA: number, multiplierA: number, shiftA: number,
    zeroPointB: number, multiplierB: number, shiftB: number,
    multiplierOut: number, shiftOut: number, zeroPointOut: number, qmin: number, qmax: number,
    out: Ptr,
  ): void;
}

/** The quantization of both inputs and the output; qmin..qmax (default int8) is the fused activation. */
export interface Qs8AddQuantization {
  readonly s1: number;
  readonly z1: number;
  readonly s2: number;
  readonly z2: number;
  readonly sy: number;
  readonly zy: number;
  readonly qmin?: number;
  readonly qmax?: number;
}

/** Fixed-point parameters of qs8_add, precomputed once by prepareQs8Add. */
export interface Qs8AddParams {
  readonly zeroPointA: number;
  readonly multiplierA: number;
  readonly shiftA: number;
  readonly zeroPointB: number;
  readonly multiplierB: number;
  readonly shiftB: number;
  readonly multiplierOut: number;
  readonly shiftOut: number;
  readonly zeroPointOut: number;
  readonly qmin: number;
  readonly qmax: number;
}

const ADD_LEFT_SHIFT = 20;
// |s1 + s2| <= 255 * 2^20 (+ rounding) < 2^28; keeping M_out < 4 keeps its left shift <= 2, so
// the kernel's (s1 + s2) << shift cannot wrap.
const MAX_OUTPUT_MULTIPLIER = 4;

/** Computes the fixed-point parameters; throws a QuantizationError for invalid or unusable scales. */
export function prepareQs8Add(quant: Qs8AddQuantization): Qs8AddParams {
  const kernel = "prepareQs8Add";
  const qmin = quant.qmin ?? INT8_MIN;
  const qmax = quant.qmax ?? INT8_MAX;
  requireInt8Range(kernel, qmin, qmax);
  requireScale(kernel, "s1", quant.s1);
  requireScale(kernel, "s2", quant.s2);
  requireScale(kernel, "sy", quant.sy);
  requireZeroPoint(kernel, "z1", quant.z1);
  requireZeroPoint(kernel, "z2", quant.z2);
  requireZeroPoint(kernel, "zy", quant.zy);
  const twiceMax = 2 * Math.max(quant.s1, quant.s2);
  const outputMultiplier = twiceMax / (2 ** ADD_LEFT_SHIFT * quant.sy);
  if (!(outputMultiplier < MAX_OUTPUT_MULTIPLIER)) {
    throw new QuantizationError(
      `${kernel}: output scale ${quant.sy} is too small for input scales ${quant.s1} and ${quant.s2} (needs sy > max(s1, s2) / 2^21)`,
    );
  }
  const a = quantizeMultiplier(quant.s1 / twiceMax);
  const b = quantizeMultiplier(quant.s2 / twiceMax);
  const y = quantizeMultiplier(outputMultiplier);
  return {
    zeroPointA: quant.z1, multiplierA: a.multiplier, shiftA: a.shift,
    zeroPointB: quant.z2, multiplierB: b.multiplier, shiftB: b.shift,
    multiplierOut: y.multiplier, shiftOut: y.shift, zeroPointOut: quant.zy, qmin, qmax,
  };
}

function requireMultiplier(kernel: string, name: string, multiplier: number, shift: number, maxShift: number): void {
  if (!(Number.isInteger(multiplier) && multiplier >= 0 && multiplier <= 0x7fffffff)) {
    throw new QuantizationError(`${kernel}: ${name} multiplier must be an integer in [0, 2^31), got ${multiplier}`);
  }
  if (!(Number.isInteger(shift) && shift >= -31 && shift <= maxShift)) {
    throw new QuantizationError(`${kernel}: ${name} shift must be an integer in [-31, ${maxShift}], got ${shift}`);
  }
}

function requireSameShape(kernel: string, shapeA: readonly number[], shapeB: readonly number[]): number {
  if (shapeA.length !== shapeB.length) {
    throw new ShapeError(`${kernel}: inputs have ranks ${shapeA.length} and ${shapeB.length}; only same-shape Add is supported`);
  }
  let length = 1;
  for (let i = 0; i < shapeA.length; i++) {
    requireDim(kernel, `a dimension ${i}`, shapeA[i], 0);
    if (shapeA[i] !== shapeB[i]) {
      throw new ShapeError(`${kernel}: dimension ${i} is ${shapeA[i]} in a and ${shapeB[i]} in b; only same-shape Add is supported`);
    }
    length *= shapeA[i];
  }
  return length;
}

/** out = a + b elementwise in int8 (out may be a or b itself); shapes must be equal. */
export function qs8Add(
  kernels: KernelInstance,
  a: WasmBuffer, shapeA: readonly number[],
  b: WasmBuffer, shapeB: readonly number[],
  params: Qs8AddParams,
  out: WasmBuffer,
): void {
  const kernel = "qs8Add";
  const length = requireSameShape(kernel, shapeA, shapeB);
  requireInt8Range(kernel, params.qmin, params.qmax);
  requireZeroPoint(kernel, "zeroPointA", params.zeroPointA);
  requireZeroPoint(kernel, "zeroPointB", params.zeroPointB);
  requireZeroPoint(kernel, "zeroPointOut", params.zeroPointOut);
  requireMultiplier(kernel, "input a", params.multiplierA, params.shiftA, 0);
  requireMultiplier(kernel, "input b", params.multiplierB, params.shiftB, 0);
  requireMultiplier(kernel, "output", params.multiplierOut, params.shiftOut, 2);
  requireBuffer(kernel, "a", a, "int8", length);
  requireBuffer(kernel, "b", b, "int8", length);
  requireBuffer(kernel, "out", out, "int8", length);
  requireDisjointOrSame(kernel, "a", a, out, length);
  requireDisjointOrSame(kernel, "b", b, out, length);
  kernels.exports.qs8_add(
    a.ptr, b.ptr, length,
    params.zeroPointA, params.multiplierA, params.shiftA,
    params.zeroPointB, params.multiplierB, params.shiftB,
    params.multiplierOut, params.shiftOut, params.zeroPointOut, params.qmin, params.qmax,
    out.ptr,
  );
}
