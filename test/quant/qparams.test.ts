import { describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import {
  MIN_SCALE,
  perChannelQParams,
  qparamsFromRange,
  quantRange,
  type QuantRangeKind,
} from "../../src/quant/qparams.js";
import { dequantize, quantize } from "../../src/quant/quantize.js";
import { QuantizationError, InvalidArgumentError, ShapeError } from "../../src/errors.js";

describe("quantRange", () => {
  test("signed, narrow and unsigned ranges", () => {
    expect(quantRange(8)).toEqual({ qmin: -128, qmax: 127 });
    expect(quantRange(8, "narrow")).toEqual({ qmin: -127, qmax: 127 });
    expect(quantRange(8, "unsigned")).toEqual({ qmin: 0, qmax: 255 });
    expect(quantRange(2)).toEqual({ qmin: -2, qmax: 1 });
    expect(quantRange(2, "narrow")).toEqual({ qmin: -1, qmax: 1 });
    expect(quantRange(4, "unsigned")).toEqual({ qmin: 0, qmax: 15 });
    expect(quantRange(16)).toEqual({ qmin: -32768, qmax: 32767 });
    expect(quantRange(16, "unsigned")).toEqual({ qmin: 0, qmax: 65535 });
  });

  test("bits outside 2..16 and unknown kinds are rejected", () => {
    for (const bits of [1, 17, 8.5, Number.NaN]) expect(() => quantRange(bits)).toThrow(QuantizationError);
    expect(() => quantRange(8, "uint" as QuantRangeKind)).toThrow(QuantizationError);
  });
});

describe("qparamsFromRange, hand-computed", () => {
  test("[-1, 3] at 8 bits signed", () => {
    // S = 4/255 rounded to float32; Z = round(-128 + 1/S) = round(-64.25) = -64.
    expect(qparamsFromRange(-1, 3)).toEqual({ scale: Math.fround(4 / 255), zeroPoint: -64, qmin: -128, qmax: 127 });
  });

  test("[-1, 3] at 8 bits unsigned: Z shifted by 128", () => {
    expect(qparamsFromRange(-1, 3, { range: "unsigned" })).toEqual({ scale: Math.fround(4 / 255), zeroPoint: 64, qmin: 0, qmax: 255 });
  });

  test("symmetric weights: Z = 0, S = max|x| / 127", () => {
    expect(qparamsFromRange(-0.5, 1.27, { symmetric: true, range: "narrow" })).toEqual({
      scale: Math.fround(0.01),
      zeroPoint: 0,
      qmin: -127,
      qmax: 127,
    });
    expect(qparamsFromRange(-2.54, 1, { symmetric: true }).scale).toBe(Math.fround(0.02));
    expect(qparamsFromRange(-2.54, 1, { symmetric: true }).zeroPoint).toBe(0);
  });

  test("symmetric unsigned puts Z at the centre code", () => {
    expect(qparamsFromRange(-1.27, 0.5, { symmetric: true, range: "unsigned" })).toEqual({
      scale: Math.fround(0.01),
      zeroPoint: 128,
      qmin: 0,
      qmax: 255,
    });
  });

  test("ranges not containing 0 are widened to contain it", () => {
    expect(qparamsFromRange(2, 10)).toEqual({ scale: Math.fround(10 / 255), zeroPoint: -128, qmin: -128, qmax: 127 });
    expect(qparamsFromRange(-10, -2)).toEqual({ scale: Math.fround(10 / 255), zeroPoint: 127, qmin: -128, qmax: 127 });
    expect(qparamsFromRange(2, 10, { bits: 4 })).toEqual({ scale: Math.fround(10 / 15), zeroPoint: -8, qmin: -8, qmax: 7 });
  });

  test("degenerate ranges give the tiny positive scale", () => {
    expect(qparamsFromRange(0, 0)).toEqual({ scale: MIN_SCALE, zeroPoint: -128, qmin: -128, qmax: 127 });
    expect(qparamsFromRange(0, 0, { symmetric: true })).toEqual({ scale: MIN_SCALE, zeroPoint: 0, qmin: -128, qmax: 127 });
    expect(MIN_SCALE).toBe(2 ** -23);
    // A very narrow range is clamped to the same floor.
    expect(qparamsFromRange(0, 1e-12).scale).toBe(MIN_SCALE);
  });

  test("4 bits, [-1, 1]: 15 steps", () => {
    const { scale, zeroPoint } = qparamsFromRange(-1, 1, { bits: 4 });
    expect(scale).toBe(Math.fround(2 / 15));
    // -8 + 1/S where 1/S is 7.5 up to float32 rounding of S: the zero point sits at -1 or 0.
    expect(zeroPoint).toBe(Math.round(-8 + 1 / scale));
  });

  test("invalid ranges and options throw QuantizationError", () => {
    expect(() => qparamsFromRange(Number.NaN, 1)).toThrow(QuantizationError);
    expect(() => qparamsFromRange(0, Number.NaN)).toThrow(QuantizationError);
    expect(() => qparamsFromRange(-Infinity, 1)).toThrow(QuantizationError);
    expect(() => qparamsFromRange(2, 1)).toThrow(/lo > hi/);
    expect(() => qparamsFromRange(-1, 1, { bits: 1 })).toThrow(QuantizationError);
    expect(() => qparamsFromRange(-1, 1, { bits: 17 })).toThrow(QuantizationError);
    expect(() => qparamsFromRange(-1e300, 1e300)).toThrow(/too wide/);
    expect(() => qparamsFromRange(Number.NaN, 1, {}, "conv1.out")).toThrow(/tensor 'conv1.out'/);
  });
});

describe("perChannelQParams along any axis", () => {
  // dims [2, 3, 2]: element (i, j, k) sits at 6i + 2j + k.
  const data = Float32Array.from([
    -1, 2, /**/ 0, 4, /**/ 8, -16,
    3, 0.5, /**/ -32, 1, /**/ 2, 6,
  ]);
  const dims = [2, 3, 2];
  const symmetric = { symmetric: true, range: "narrow" } as const;

  test("axis 0", () => {
    const q = perChannelQParams(data, dims, 0, symmetric);
    expect(q.axis).toBe(0);
    expect(Array.from(q.scales)).toEqual([16 / 127, 32 / 127].map(Math.fround));
    expect(Array.from(q.zeroPoints)).toEqual([0, 0]);
    expect([q.qmin, q.qmax]).toEqual([-127, 127]);
  });

  test("axis 1", () => {
    const q = perChannelQParams(data, dims, 1, symmetric);
    // channel 0: {-1, 2, 3, 0.5}; channel 1: {0, 4, -32, 1}; channel 2: {8, -16, 2, 6}.
    expect(Array.from(q.scales)).toEqual([3 / 127, 32 / 127, 16 / 127].map(Math.fround));
  });

  test("last axis, as -1 and as 2, asymmetric", () => {
    const q = perChannelQParams(data, dims, -1);
    expect(q.axis).toBe(2);
    // channel 0: [-32, 8]; channel 1: [-16, 6].
    expect(Array.from(q.scales)).toEqual([40 / 255, 22 / 255].map(Math.fround));
    expect(Array.from(q.zeroPoints)).toEqual([
      Math.round(-128 + 32 / Math.fround(40 / 255)),
      Math.round(-128 + 16 / Math.fround(22 / 255)),
    ]);
    expect(perChannelQParams(data, dims, 2)).toEqual(q);
  });

  test("bad axes, dims and data are reported", () => {
    expect(() => perChannelQParams(data, dims, 3)).toThrow(ShapeError);
    expect(() => perChannelQParams(data, dims, -4)).toThrow(ShapeError);
    expect(() => perChannelQParams(data, [2, 3], 0)).toThrow(ShapeError);
    expect(() => perChannelQParams(Float32Array.of(1, Number.NaN), [2], 0, {}, "w")).toThrow(InvalidArgumentError);
    expect(() => perChannelQParams(Float32Array.of(1, Infinity), [2], 0)).toThrow(InvalidArgumentError);
  });
});

const f32 = (min: number, max: number) => fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true });
const kinds = fc.constantFrom<QuantRangeKind>("signed", "narrow", "unsigned");

describe("qparamsFromRange, properties", () => {
  test.prop([f32(-1e6, 1e6), f32(-1e6, 1e6), fc.integer({ min: 2, max: 16 }), fc.boolean(), kinds], { numRuns: 2000 })(
    "S is a float32 > 0, Z an integer code, and real 0 is exactly representable",
    (a, b, bits, symmetric, range) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      const q = qparamsFromRange(lo, hi, { bits, symmetric, range });
      expect(q.scale).toBeGreaterThan(0);
      expect(Math.fround(q.scale)).toBe(q.scale);
      expect(Number.isInteger(q.zeroPoint)).toBe(true);
      expect(q.zeroPoint).toBeGreaterThanOrEqual(q.qmin);
      expect(q.zeroPoint).toBeLessThanOrEqual(q.qmax);
      const codes = quantize(Float32Array.of(0), q.scale, q.zeroPoint, q.qmin, q.qmax);
      expect(codes[0]).toBe(q.zeroPoint);
      expect(dequantize(codes, q.scale, q.zeroPoint)[0]).toBe(0);
    },
  );
});
