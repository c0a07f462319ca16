// Plain scalar reference of int8 pooling over NHWC activations (DESIGN.md 3.2), straight from the
// definitions: the oracle of the qs8-pool kernels.
import { headroomMultiplier, multiplyByShiftedMultiplier } from "../quant/fixed-point.js";
import type { Pool2dShape } from "../kernels/shapes.js";

export interface AvgPoolReferenceQuantization {
  readonly inputScale: number;
  readonly inputZeroPoint: number;
  readonly outputScale: number;
  readonly outputZeroPoint: number;
  readonly qmin: number;
  readonly qmax: number;
}

interface Window {
  /** Input values of the window positions inside the input, in no particular order. */
  readonly values: number[];
  /** Window positions inside the padded extent [-padTop, inH + padBottom) x [-padLeft, inW + padRight). */
  readonly paddedCount: number;
}

function windowAt(x: Int8Array, s: Pool2dShape, n: number, oh: number, ow: number, c: number): Window {
  const values: number[] = [];
  let paddedRows = 0;
  let paddedCols = 0;
  for (let kh = 0; kh < s.kernelH; kh++) {
    const ih = oh * s.strideH - s.padTop + kh * s.dilationH;
    if (ih >= -s.padTop && ih < s.inH + s.padBottom) paddedRows++;
  }
  for (let kw = 0; kw < s.kernelW; kw++) {
    const iw = ow * s.strideW - s.padLeft + kw * s.dilationW;
    if (iw >= -s.padLeft && iw < s.inW + s.padRight) paddedCols++;
  }
  for (let kh = 0; kh < s.kernelH; kh++) {
    const ih = oh * s.strideH - s.padTop + kh * s.dilationH;
    if (ih < 0 || ih >= s.inH) continue;
    for (let kw = 0; kw < s.kernelW; kw++) {
      const iw = ow * s.strideW - s.padLeft + kw * s.dilationW;
      if (iw < 0 || iw >= s.inW) continue;
      values.push(x[((n * s.inH + ih) * s.inW + iw) * s.channels + c]);
    }
  }
  return { values, paddedCount: paddedRows * paddedCols };
}

function mapOutputs(s: Pool2dShape, f: (n: number, oh: number, ow: number, c: number) => number): Int8Array {
  const out = new Int8Array(s.batch * s.outH * s.outW * s.channels);
  let i = 0;
  for (let n = 0; n < s.batch; n++) {
    for (let oh = 0; oh < s.outH; oh++) {
      for (let ow = 0; ow < s.outW; ow++) {
        for (let c = 0; c < s.channels; c++) out[i++] = f(n, oh, ow, c);
      }
    }
  }
  return out;
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);

/** clamp(max over the window positions inside the input, qmin, qmax); an empty window is -inf, so qmin. */
export function referenceQs8MaxPool2d(x: Int8Array, s: Pool2dShape, qmin = -128, qmax = 127): Int8Array {
  return mapOutputs(s, (n, oh, ow, c) => clamp(Math.max(-Infinity, ...windowAt(x, s, n, oh, ow, c).values), qmin, qmax));
}

/** round(total / count), ties to even, for integers total and count > 0. */
export function divideRoundingHalfEven(total: number, count: number): number {
  const quotient = Math.floor(total / count);
  const twiceRemainder = 2 * (total - quotient * count);
  if (twiceRemainder > count || (twiceRemainder === count && quotient % 2 !== 0)) return quotient + 1;
  return quotient;
}

/**
 * The average of `valid` input values with sum `sum` over a divisor `count`:
 * - output (S, Z) equal to the input's: q = clamp(round((sum + (count - valid) Z_x) / count)), each of
 *   the count - valid padded positions counting as Z_x (real 0), ties to even;
 * - otherwise q = clamp((sum - valid Z_x) * M + Z_y) with M = S_x / (S_y count) in fixed point, the sum
 *   shifted into its int32 headroom first (headroomMultiplier with |sum - valid Z_x| <= 255 count);
 * - count 0 (nothing to average): clamp(Z_y), real 0.
 */
export function averageCode(sum: number, valid: number, count: number, q: AvgPoolReferenceQuantization): number {
  if (count === 0) return clamp(q.outputZeroPoint, q.qmin, q.qmax);
  if (q.inputScale === q.outputScale && q.inputZeroPoint === q.outputZeroPoint) {
    return clamp(divideRoundingHalfEven(sum + (count - valid) * q.inputZeroPoint, count), q.qmin, q.qmax);
  }
  const m = headroomMultiplier(q.inputScale / (q.outputScale * count), 255 * count);
  return clamp(multiplyByShiftedMultiplier(sum - valid * q.inputZeroPoint, m) + q.outputZeroPoint, q.qmin, q.qmax);
}

/**
 * Average pooling; the divisor is the number of window positions inside the padded extent when
 * countIncludePad (PyTorch's rule: pads count, a ceil-mode overhang does not), else the number
 * inside the input.
 */
export function referenceQs8AvgPool2d(
  x: Int8Array, s: Pool2dShape, countIncludePad: boolean, q: AvgPoolReferenceQuantization,
): Int8Array {
  return mapOutputs(s, (n, oh, ow, c) => {
    const { values, paddedCount } = windowAt(x, s, n, oh, ow, c);
    const sum = values.reduce((a, b) => a + b, 0);
    return averageCode(sum, values.length, countIncludePad ? paddedCount : values.length, q);
  });
}

/** Global average pooling: NHWC [batch, height, width, channels] in, [batch, channels] out. */
export function referenceQs8GlobalAvgPool(
  x: Int8Array, dims: { batch: number; height: number; width: number; channels: number }, q: AvgPoolReferenceQuantization,
): Int8Array {
  const pixels = dims.height * dims.width;
  const out = new Int8Array(dims.batch * dims.channels);
  for (let n = 0; n < dims.batch; n++) {
    for (let c = 0; c < dims.channels; c++) {
      let sum = 0;
      for (let p = 0; p < pixels; p++) sum += x[(n * pixels + p) * dims.channels + c];
      out[n * dims.channels + c] = averageCode(sum, pixels, pixels, q);
    }
  }
  return out;
}
