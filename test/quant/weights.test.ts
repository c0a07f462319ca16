import { describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import { accumulatorInit, biasScales, outputMultipliers, quantizeBias, quantizeWeights } from "../../src/quant/weights.js";
import { quantizeMultiplier } from "../../src/quant/fixed-point.js";
import { dequantizePerAxis } from "../../src/quant/quantize.js";
import { InvalidArgumentError, QuantizationError, ShapeError } from "../../src/errors.js";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

describe("quantizeWeights", () => {
  // [Cout = 2, K = 3]: channel 0 has max |w| = 127 (S = 1), channel 1 has 254 (S = 2).
  const weights = Float32Array.of(127, -63.5, 2.5, 254, -3, 5);

  test("per output channel (axis 0), symmetric narrow range, ties to even", () => {
    const q = quantizeWeights(weights, [2, 3]);
    expect(q.codes).toBeInstanceOf(Int8Array);
    expect(Array.from(q.codes)).toEqual([127, -64, 2, 127, -2, 2]);
    expect(Array.from(q.scales)).toEqual([1, 2]);
    expect(q).toMatchObject({ axis: 0, perChannel: true, bits: 8, qmin: -127, qmax: 127 });
  });

  test("per tensor on request", () => {
    const q = quantizeWeights(weights, [2, 3], { perChannel: false });
    expect(Array.from(q.scales)).toEqual([2]);
    expect(Array.from(q.codes)).toEqual([64, -32, 1, 127, -2, 2]);
  });

  test("along axis 1 ([K, N] MatMul weights)", () => {
    const transposed = Float32Array.of(127, 254, -63.5, -3, 2.5, 5);
    const q = quantizeWeights(transposed, [3, 2], { axis: 1 });
    expect(Array.from(q.scales)).toEqual([1, 2]);
    expect(Array.from(q.codes)).toEqual([127, 127, -64, -2, 2, 2]);
    expect(quantizeWeights(transposed, [3, 2], { axis: -1 }).axis).toBe(1);
  });

  test("4-bit weights: codes in [-7, 7]", () => {
    const q = quantizeWeights(Float32Array.of(7, -7, 3.5, -2.5, 0), [1, 5], { bits: 4 });
    expect(Array.from(q.scales)).toEqual([1]);
    expect(Array.from(q.codes)).toEqual([7, -7, 4, -2, 0]);
    expect([q.qmin, q.qmax]).toEqual([-7, 7]);
  });

  test("an all-zero channel gets the minimum scale and zero codes", () => {
    const q = quantizeWeights(Float32Array.of(0, 0, 1, -1), [2, 2]);
    expect(q.scales[0]).toBe(2 ** -23);
    expect(Array.from(q.codes)).toEqual([0, 0, 127, -127]);
  });

  test("invalid input", () => {
    expect(() => quantizeWeights(Float32Array.of(1, Number.NaN), [1, 2], { name: "fc.weight" })).toThrow(InvalidArgumentError);
    expect(() => quantizeWeights(Float32Array.of(1, Number.NaN), [1, 2], { name: "fc.weight" })).toThrow(/fc.weight/);
    expect(() => quantizeWeights(Float32Array.of(1, 2), [1, 2], { bits: 9 })).toThrow(QuantizationError);
    expect(() => quantizeWeights(Float32Array.of(1, 2), [3], {})).toThrow(ShapeError);
  });

  test.prop([fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 2, max: 8 }), fc.integer({ min: 0, max: 2 ** 31 - 1 })])(
    "every non-zero channel reaches ±qmax and no code exceeds it",
    (channels, K, bits, seed) => {
      const weights = Float32Array.from({ length: channels * K }, (_, i) => Math.sin(seed + i * 78.233) * (1 + (i % 5)));
      const q = quantizeWeights(weights, [channels, K], { bits });
      for (let c = 0; c < channels; c++) {
        const row = Array.from(q.codes.subarray(c * K, (c + 1) * K));
        const allZero = weights.subarray(c * K, (c + 1) * K).every((w) => w === 0);
        expect(Math.max(...row.map(Math.abs))).toBe(allZero ? 0 : q.qmax);
        expect(q.qmax).toBe(2 ** (bits - 1) - 1);
      }
    },
  );
});

describe("quantizeBias", () => {
  test("S_b = S_x * S_w[c], rounded half to even, saturated to int32", () => {
    expect(Array.from(biasScales(0.5, [0.25, 2], 2))).toEqual([0.125, 1]);
    expect(Array.from(quantizeBias(Float32Array.of(1, 2.5), 0.5, [0.25, 2]))).toEqual([8, 2]);
    expect(Array.from(quantizeBias(Float32Array.of(1e10, -1e10, 0.0625, -0.1875), 0.5, [0.25]))).toEqual([INT32_MAX, INT32_MIN, 0, -2]);
  });

  test("scale mismatches are rejected", () => {
    expect(() => quantizeBias(Float32Array.of(1, 2, 3), 0.5, [1, 1])).toThrow(QuantizationError);
    expect(() => quantizeBias(Float32Array.of(1), 0, [1])).toThrow(QuantizationError);
    expect(() => quantizeBias(Float32Array.of(1), 1, [Number.NaN])).toThrow(QuantizationError);
  });
});

describe("accumulatorInit", () => {
  const qWeights = Int8Array.of(1, 2, 3, -4, 5, -6);

  test("q_b[c] - Z_x * sum_k q_w[c, k]", () => {
    // Row sums 6 and -5; Z_x = -128.
    expect(Array.from(accumulatorInit(qWeights, 2, 3, Int32Array.of(10, -20), -128))).toEqual([778, -660]);
    expect(Array.from(accumulatorInit(qWeights, 2, 3, undefined, -128))).toEqual([768, -640]);
    expect(Array.from(accumulatorInit(qWeights, 2, 3, undefined, 0))).toEqual([0, 0]);
  });

  test("wraps modulo 2^32 like the kernels' accumulators", () => {
    expect(Array.from(accumulatorInit(Int8Array.of(1), 1, 1, Int32Array.of(INT32_MAX), -1))).toEqual([INT32_MIN]);
  });

  test("shape errors", () => {
    expect(() => accumulatorInit(qWeights, 2, 2, undefined, 0)).toThrow(ShapeError);
    expect(() => accumulatorInit(qWeights, 2, 3, Int32Array.of(1), 0)).toThrow(ShapeError);
    expect(() => accumulatorInit(qWeights, 2, 3, undefined, 0.5)).toThrow(InvalidArgumentError);
  });

  test.prop([
    fc.integer({ min: 1, max: 5 }),
    fc.integer({ min: 1, max: 40 }),
    fc.integer({ min: -128, max: 127 }),
    fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  ], { numRuns: 300 })("starting from accInit, sum q_w * q_x equals q_b + sum q_w * (q_x - Z_x)", (channels, K, zx, seed) => {
    const code = (i: number) => (Math.imul(i + seed, 2654435761) >>> 24) - 128;
    const qw = Int8Array.from({ length: channels * K }, (_, i) => Math.max(code(i), -127));
    const qx = Int8Array.from({ length: K }, (_, k) => code(k + 1000));
    const qb = Int32Array.from({ length: channels }, (_, c) => code(c + 2000) * 1000);
    const init = accumulatorInit(qw, channels, K, qb, zx);
    for (let c = 0; c < channels; c++) {
      let acc = init[c];
      let expected = qb[c];
      for (let k = 0; k < K; k++) {
        acc += qw[c * K + k] * qx[k];
        expected += qw[c * K + k] * (qx[k] - zx);
      }
      expect(acc).toBe(expected);
    }
  });
});

describe("outputMultipliers", () => {
  test("M[c] = S_x * S_w[c] / S_y as M0 * 2^(shift - 31)", () => {
    const { multiplier, shift } = outputMultipliers(0.5, [0.25, 0.078125], 1);
    // 0.125 = 0.5 * 2^-2; 0.0390625 = 0.625 * 2^-4.
    expect(Array.from(multiplier)).toEqual([2 ** 30, 1342177280]);
    expect(Array.from(shift)).toEqual([-2, -4]);
  });

  test("agrees with quantizeMultiplier on the float32 scales", () => {
    const scales = Float32Array.of(0.0123, 0.5, 3e-4);
    const { multiplier, shift } = outputMultipliers(0.02, scales, 0.07);
    scales.forEach((s, c) => {
      const expected = quantizeMultiplier((Math.fround(0.02) * s) / Math.fround(0.07));
      expect([multiplier[c], shift[c]]).toEqual([expected.multiplier, expected.shift]);
    });
    expect(() => outputMultipliers(0.02, scales, 0)).toThrow(QuantizationError);
  });
});

describe("MSE weight clipping", () => {
  test("at 3 bits a few large weights no longer waste the levels: lower squared error than max scaling", () => {
    const rows = 4;
    const cols = 256;
    const weights = Float32Array.from({ length: rows * cols }, (_, i) => (i % cols === 7 ? 3 : Math.sin(i * 12.9898)));
    const error = (clipping: "max" | "mse") => {
      const q = quantizeWeights(weights, [rows, cols], { bits: 3, clipping });
      const back = dequantizePerAxis(q.codes, [rows, cols], 0, q.scales, new Int32Array(rows));
      return weights.reduce((s, w, i) => s + (w - back[i]) ** 2, 0);
    };
    expect(error("mse")).toBeLessThan(0.5 * error("max"));
  });
});
