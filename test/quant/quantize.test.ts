import { describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import {
  codeArray,
  dequantize,
  dequantizePerAxis,
  quantize,
  quantizeInto,
  quantizePerAxis,
  roundHalfToEven,
} from "../../src/quant/quantize.js";
import { qparamsFromRange, type QuantRangeKind } from "../../src/quant/qparams.js";
import { QuantizationError, ShapeError } from "../../src/errors.js";

describe("roundHalfToEven", () => {
  test("ties go to the even neighbour", () => {
    const cases: [number, number][] = [
      [0.5, 0], [1.5, 2], [2.5, 2], [3.5, 4], [-0.5, 0], [-1.5, -2], [-2.5, -2], [-3.5, -4],
      [0.49999999999999994, 0], [2.4999999, 2], [2.5000001, 3], [-2.5000001, -3], [7, 7], [-7, -7],
      [2 ** 53, 2 ** 53], [Infinity, Infinity], [-Infinity, -Infinity],
    ];
    for (const [x, expected] of cases) expect(roundHalfToEven(x)).toBe(expected);
    expect(Object.is(roundHalfToEven(-0.4), 0)).toBe(true);
    expect(roundHalfToEven(Number.NaN)).toBeNaN();
  });

  test.prop([fc.double({ min: -1e9, max: 1e9, noNaN: true })])("is a nearest integer, even on ties", (x) => {
    const r = roundHalfToEven(x);
    expect(Number.isInteger(r)).toBe(true);
    expect(Math.abs(r - x)).toBeLessThanOrEqual(0.5);
    if (Math.abs(r - x) === 0.5) expect(r % 2).toBe(0);
  });
});

describe("quantize, hand-computed", () => {
  test("ties at S = 0.5 round half to even", () => {
    const data = Float32Array.of(0.25, 0.75, 1.25, -0.25, -0.75, -1.25, 1.0);
    expect(Array.from(quantize(data, 0.5, 0, -128, 127))).toEqual([0, 2, 2, 0, -2, -2, 2]);
    expect(Array.from(quantize(data, 0.5, 10, -128, 127))).toEqual([10, 12, 12, 10, 8, 8, 12]);
  });

  test("r / S is a float32 division", () => {
    const scale = Math.fround(1 / 7);
    const r = Math.fround(4.5 * scale);
    // In double r / S is 4.50000016 (nearest 5); as float32 it is exactly 4.5, a tie, so 4.
    expect(r / scale).toBeGreaterThan(4.5);
    expect(quantize(Float32Array.of(r), scale, 0, -128, 127)[0]).toBe(4);
  });

  test("the scale is used as its float32 value", () => {
    const a = quantize(Float32Array.of(1, 2, 3), 0.1, 0, -128, 127);
    const b = quantize(Float32Array.of(1, 2, 3), Math.fround(0.1), 0, -128, 127);
    expect(a).toEqual(b);
  });

  test("NaN quantizes to Z, ±Infinity and large values saturate", () => {
    const data = Float32Array.of(Number.NaN, Infinity, -Infinity, 1e30, -1e30, 3.4e38);
    expect(Array.from(quantize(data, 0.1, -5, -128, 127))).toEqual([-5, 127, -128, 127, -128, 127]);
    expect(Array.from(quantize(data, 1, 3, 0, 15))).toEqual([3, 15, 0, 15, 0, 15]);
  });

  test("the container is the narrowest integer array for the code range", () => {
    expect(quantize(new Float32Array(1), 1, 0, -128, 127)).toBeInstanceOf(Int8Array);
    expect(quantize(new Float32Array(1), 1, 0, -8, 7)).toBeInstanceOf(Int8Array);
    expect(quantize(new Float32Array(1), 1, 0, 0, 255)).toBeInstanceOf(Uint8Array);
    expect(quantize(new Float32Array(1), 1, 0, -32768, 32767)).toBeInstanceOf(Int16Array);
    expect(quantize(new Float32Array(1), 1, 0, 0, 65535)).toBeInstanceOf(Uint16Array);
    expect(quantize(new Float32Array(1), 1, 0, -2147483648, 2147483647)).toBeInstanceOf(Int32Array);
    expect(quantize(new Float32Array(1), 1, 0, 0, 15)).toBeInstanceOf(Uint8Array);
    expect(codeArray(-129, 0, 1)).toBeInstanceOf(Int16Array);
    expect(codeArray(0, 65536, 1)).toBeInstanceOf(Int32Array);
    expect(() => codeArray(0, 2 ** 32, 1)).toThrow(QuantizationError);
  });

  test("invalid parameters throw QuantizationError", () => {
    const data = Float32Array.of(1);
    for (const scale of [0, -1, Number.NaN, Infinity, 1e-50]) {
      expect(() => quantize(data, scale, 0, -128, 127)).toThrow(QuantizationError);
    }
    expect(() => quantize(data, 1, 128, -128, 127)).toThrow(/zero point/);
    expect(() => quantize(data, 1, 0.5, -128, 127)).toThrow(/zero point/);
    expect(() => quantize(data, 1, 0, 5, 5)).toThrow(/code range/);
    expect(() => dequantize([1], 0, 0)).toThrow(QuantizationError);
  });

  test("quantizeInto writes into the caller's array and checks it", () => {
    const out = new Int8Array(3);
    quantizeInto(Float32Array.of(-1, 0, 1), 0.5, 1, -128, 127, out);
    expect(Array.from(out)).toEqual([-1, 1, 3]);
    expect(() => quantizeInto(Float32Array.of(1), 1, 0, 0, 255, new Int8Array(1))).toThrow(QuantizationError);
    expect(() => quantizeInto(Float32Array.of(1), 1, 0, -128, 127, new Int8Array(2))).toThrow(ShapeError);
  });

  test("dequantize is S * (q - Z)", () => {
    expect(Array.from(dequantize(Int8Array.of(-128, 0, 127), 0.5, -1))).toEqual([-63.5, 0.5, 64]);
    expect(Array.from(dequantize(Uint8Array.of(0, 128, 255), 0.25, 128))).toEqual([-32, 0, 31.75]);
  });
});

describe("per axis", () => {
  // dims [2, 2]: rows along axis 0, columns along axis 1.
  const data = Float32Array.of(1, 2, 3, 4);

  test("axis 0", () => {
    const codes = quantizePerAxis(data, [2, 2], 0, [1, 0.5], [0, 1], -128, 127);
    expect(Array.from(codes)).toEqual([1, 2, 7, 9]);
    expect(Array.from(dequantizePerAxis(codes, [2, 2], 0, [1, 0.5], [0, 1]))).toEqual([1, 2, 3, 4]);
  });

  test("axis 1", () => {
    const codes = quantizePerAxis(data, [2, 2], 1, [1, 0.5], [0, 1], -128, 127);
    expect(Array.from(codes)).toEqual([1, 5, 3, 9]);
    expect(Array.from(dequantizePerAxis(codes, [2, 2], 1, [1, 0.5], [0, 1]))).toEqual([1, 2, 3, 4]);
  });

  test("last axis of a rank-3 tensor, as -1", () => {
    const codes = quantizePerAxis(data, [2, 1, 2], -1, [1, 0.5], [0, 1], -128, 127);
    expect(Array.from(codes)).toEqual([1, 5, 3, 9]);
  });

  test("middle axis of a rank-3 tensor", () => {
    // dims [2, 3, 1]: channel of element i is i % 3.
    const values = Float32Array.of(1, 1, 1, 2, 2, 2);
    const codes = quantizePerAxis(values, [2, 3, 1], 1, [1, 0.5, 0.25], [0, 0, -3], -8, 7);
    expect(Array.from(codes)).toEqual([1, 2, 1, 2, 4, 5]);
  });

  test("mismatched lengths are rejected", () => {
    expect(() => quantizePerAxis(data, [2, 2], 0, [1], [0], -128, 127)).toThrow(QuantizationError);
    expect(() => quantizePerAxis(data, [4, 2], 0, [1, 1, 1, 1], [0, 0, 0, 0], -128, 127)).toThrow(ShapeError);
    expect(() => quantizePerAxis(data, [2, 2], 0, [1, 0], [0, 0], -128, 127)).toThrow(/channel 1/);
    expect(() => dequantizePerAxis(Int8Array.of(1, 2, 3, 4), [2, 2], 1, [1, 1], [0, 0.5])).toThrow(QuantizationError);
  });
});

const f32 = (min: number, max: number) => fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true });
const kinds = fc.constantFrom<QuantRangeKind>("signed", "narrow", "unsigned");
const anyFloat32 = fc.oneof(fc.float(), fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -0));

describe("properties", () => {
  test.prop(
    [f32(-1e6, 1e6), f32(-1e6, 1e6), fc.integer({ min: 2, max: 16 }), fc.boolean(), kinds, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 32 })],
    { numRuns: 2000 },
  )("dequantize(quantize(x)) is within S/2 of x inside the range", (a, b, bits, symmetric, range, positions) => {
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    const q = qparamsFromRange(lo, hi, { bits, symmetric, range });
    const data = Float32Array.from(positions, (t) => Math.min(Math.max(Math.fround(lo + t * (hi - lo)), lo), hi));
    const back = dequantize(quantize(data, q.scale, q.zeroPoint, q.qmin, q.qmax), q.scale, q.zeroPoint);
    for (let i = 0; i < data.length; i++) {
      // S/2 plus float32 rounding of r / S (up to 2^-9 of S at 16 bits) and of S * (q - Z).
      const tolerance = q.scale * (0.5 + 2 ** -8) + Math.abs(data[i]) * 2 ** -22;
      expect(Math.abs(back[i] - data[i])).toBeLessThanOrEqual(tolerance);
    }
  });

  test.prop(
    [f32(-1e4, 1e4), f32(-1e4, 1e4), fc.integer({ min: 2, max: 16 }), fc.boolean(), kinds, fc.array(anyFloat32, { maxLength: 64 })],
    { numRuns: 2000 },
  )("codes stay within [qmin, qmax] for every width 2..16", (a, b, bits, symmetric, range, values) => {
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    const q = qparamsFromRange(lo, hi, { bits, symmetric, range });
    const codes = quantize(Float32Array.from(values), q.scale, q.zeroPoint, q.qmin, q.qmax);
    if (bits <= 8) expect(codes).toBeInstanceOf(range === "unsigned" ? Uint8Array : Int8Array);
    else expect(codes).toBeInstanceOf(range === "unsigned" ? Uint16Array : Int16Array);
    for (const code of codes) {
      expect(code).toBeGreaterThanOrEqual(q.qmin);
      expect(code).toBeLessThanOrEqual(q.qmax);
    }
  });

  test.prop([fc.integer({ min: 1, max: 4 }).chain((rank) => fc.tuple(
    fc.array(fc.integer({ min: 1, max: 4 }), { minLength: rank, maxLength: rank }),
    fc.integer({ min: 0, max: rank - 1 }),
  ))], { numRuns: 300 })("per-axis quantization equals per-tensor quantization of each channel", ([dims, axis]) => {
    const length = dims.reduce((x, y) => x * y, 1);
    const data = Float32Array.from({ length }, (_, i) => Math.sin(i * 12.9898) * 10);
    const channels = dims[axis];
    const scales = Float32Array.from({ length: channels }, (_, c) => 0.05 * (c + 1));
    const zeroPoints = Int32Array.from({ length: channels }, (_, c) => c - 2);
    const codes = quantizePerAxis(data, dims, axis, scales, zeroPoints, -128, 127);
    const inner = dims.slice(axis + 1).reduce((x, y) => x * y, 1);
    for (let i = 0; i < length; i++) {
      const c = Math.floor(i / inner) % channels;
      expect(codes[i]).toBe(quantize(data.subarray(i, i + 1), scales[c], zeroPoints[c], -128, 127)[0]);
    }
  });
});
