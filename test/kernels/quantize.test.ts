import { describe, expect, beforeAll } from "vitest";
import { test, fc } from "@fast-check/vitest";
import type { WasmArena } from "../../src/kernels/arena.js";
import {
  DYNAMIC_QUANTIZE_SCRATCH_SIZE, preparePerChannelAffine, qs8DequantizeF32, qs8DequantizeF32PerChannel, qs8DynamicQuantizeF32,
  qs8QuantizeF32, qs8QuantizeF32PerChannel, type AffineParams, type DynamicQParams, type PerChannelAffine,
} from "../../src/kernels/quantize.js";
import {
  referenceDequantize, referenceDequantizePerChannel, referenceDynamicQuantize, referenceQuantize, referenceQuantizePerChannel,
  roundHalfToEven,
} from "../../src/reference/quantize.js";
import { InvalidArgumentError, QuantizationError, ShapeError } from "../../src/errors.js";
import { freshArena } from "../helpers/wasm.js";
import { bitMismatches, int8Data, int8Range, scale, scratch, zeroPoint } from "./helpers.js";

let arena: WasmArena;
beforeAll(async () => {
  arena = await freshArena();
});

function quantize(x: Float32Array, params: AffineParams): Int8Array {
  return scratch(arena, () => {
    const input = arena.from("float32", x);
    const out = arena.alloc("int8", x.length);
    qs8QuantizeF32(arena.kernels, input, x.length, params, out);
    return arena.view(out).slice();
  });
}

function dequantize(q: Int8Array, params: AffineParams): Float32Array {
  return scratch(arena, () => {
    const input = arena.from("int8", q);
    const out = arena.alloc("float32", q.length);
    qs8DequantizeF32(arena.kernels, input, q.length, params, out);
    return arena.view(out).slice();
  });
}

function quantizePerChannel(x: Float32Array, scales: number[], zeroPoints: number[], qmin: number, qmax: number): Int8Array {
  return scratch(arena, () => {
    const params = preparePerChannelAffine(arena, scales, zeroPoints, { qmin, qmax });
    const input = arena.from("float32", x);
    const out = arena.alloc("int8", x.length);
    qs8QuantizeF32PerChannel(arena.kernels, input, x.length / scales.length, params, out);
    return arena.view(out).slice();
  });
}

function dequantizePerChannel(q: Int8Array, scales: number[], zeroPoints: number[]): Float32Array {
  return scratch(arena, () => {
    const params = preparePerChannelAffine(arena, scales, zeroPoints);
    const input = arena.from("int8", q);
    const out = arena.alloc("float32", q.length);
    qs8DequantizeF32PerChannel(arena.kernels, input, q.length / scales.length, params, out);
    return arena.view(out).slice();
  });
}

function dynamicQuantize(x: Float32Array): DynamicQParams & { q: Int8Array } {
  return scratch(arena, () => {
    const input = arena.from("float32", x);
    const out = arena.alloc("int8", x.length);
    const params = qs8DynamicQuantizeF32(arena.kernels, input, x.length, out, arena.alloc("int32", DYNAMIC_QUANTIZE_SCRATCH_SIZE));
    return { ...params, q: arena.view(out).slice() };
  });
}

type ElementMaker = (s: number) => number;

/**
 * Makers of float32 inputs for a scale S: arbitrary floats (NaN, +-Inf, -0, subnormals), exact
 * and nudged half-integer multiples of S (the rounding ties), ordinary values in and beyond range.
 */
function inputs(maxLength: number, minLength = 0): fc.Arbitrary<ElementMaker[]> {
  const element = fc.oneof(
    fc.float().map((v): ElementMaker => () => v),
    fc.integer({ min: -300, max: 300 }).map((k): ElementMaker => (s) => Math.fround((k + 0.5) * s)),
    fc.tuple(fc.integer({ min: -300, max: 300 }), fc.constantFrom(-1, 1))
      .map(([k, d]): ElementMaker => (s) => nextFloat32(Math.fround((k + 0.5) * s), d)),
    fc.float({ min: -300, max: 300, noNaN: true }).map((u): ElementMaker => (s) => Math.fround(u * s)),
  );
  return fc.array(element, { minLength, maxLength });
}

/** The float32 neighbour of v in direction d. */
function nextFloat32(v: number, d: number): number {
  const bits = new Float32Array([v]);
  const int = new Int32Array(bits.buffer);
  int[0] += v === 0 ? (d > 0 ? 1 : -0x7fffffff) : (v > 0) === d > 0 ? 1 : -1;
  return bits[0];
}

const rangeAndZeroPoint = int8Range.chain(({ qmin, qmax }) =>
  fc.integer({ min: qmin, max: qmax }).map((z) => ({ qmin, qmax, zeroPoint: z })));

describe("roundHalfToEven (reference)", () => {
  test("ties go to the even neighbour", () => {
    expect([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999997, -0.50000006].map(roundHalfToEven))
      .toEqual([-2, -2, 0, 0, 2, 2, 4, 0, -1]);
  });
});

describe("qs8_quantize_f32", () => {
  test.prop([inputs(70), scale(), rangeAndZeroPoint], { numRuns: 1000 })(
    "matches the reference bit for bit",
    (makers, s, { qmin, qmax, zeroPoint: z }) => {
      const x = Float32Array.from(makers, (make) => make(s));
      expect(quantize(x, { scale: s, zeroPoint: z, qmin, qmax })).toEqual(referenceQuantize(x, s, z, qmin, qmax));
    },
  );

  test("ONNX QuantizeLinear semantics: half to even, NaN to Z, saturation", () => {
    const x = new Float32Array([0, 1.5, 2.5, -2.5, -1.5, 0.5, -0.5, NaN, Infinity, -Infinity, 1e30, -1e30, -0, 3.4e38]);
    expect(Array.from(quantize(x, { scale: 1, zeroPoint: 0 }))).toEqual([0, 2, 2, -2, -2, 0, 0, 0, 127, -128, 127, -128, 0, 127]);
    expect(Array.from(quantize(x, { scale: 0.5, zeroPoint: -3 }))).toEqual([-3, 0, 2, -8, -6, -2, -4, -3, 127, -128, 127, -128, -3, 127]);
    // 4-bit signed range, zero point at the top.
    expect(Array.from(quantize(x, { scale: 1, zeroPoint: 7, qmin: -8, qmax: 7 })))
      .toEqual([7, 7, 7, 5, 5, 7, 7, 7, 7, -8, 7, -8, 7, 7]);
  });

  test("every tie k + 0.5 for several scales, lengths around the 16-lane blocks", () => {
    for (const s of [1, 0.25, 2 ** -10, 3 * 2 ** -7, 1024]) {
      for (const length of [1, 3, 15, 16, 17, 31, 33, 257]) {
        const x = Float32Array.from({ length }, (_, i) => Math.fround((i - length / 2 + 0.5) * s));
        for (const z of [-128, 0, 127]) {
          expect(quantize(x, { scale: s, zeroPoint: z })).toEqual(referenceQuantize(x, s, z));
        }
      }
    }
  });

  test("division is float32: x / S rounds to a tie that the double quotient misses", () => {
    // 0.3 / 0.2 in float32 is exactly 1.5 (ties to 2); in double it is 1.4999999999999998.
    const x = new Float32Array([0.3, -0.3]);
    expect(Array.from(quantize(x, { scale: 0.2, zeroPoint: 0 }))).toEqual(Array.from(referenceQuantize(x, 0.2, 0)));
    expect(Math.fround(Math.fround(0.3) / Math.fround(0.2))).toBe(1.5);
  });

  test("an empty tensor writes nothing", () => {
    expect(quantize(new Float32Array(0), { scale: 1, zeroPoint: 0 })).toEqual(new Int8Array(0));
  });
});

describe("qs8_dequantize_f32", () => {
  test.prop([fc.integer({ min: 0, max: 100 }), fc.integer(), scale(-60, 60), zeroPoint], { numRuns: 1000 })(
    "matches the reference bit for bit",
    (length, seed, s, z) => {
      const q = int8Data(length, seed);
      expect(bitMismatches(dequantize(q, { scale: s, zeroPoint: z }), referenceDequantize(q, s, z))).toEqual([]);
    },
  );

  test("products that round, overflow to Inf and underflow to subnormals", () => {
    const q = Int8Array.from({ length: 256 }, (_, i) => i - 128);
    for (const s of [0.1, 1 / 3, 3.3895314e38, 1e-45, 1.1754942e-38, 0.007843138]) {
      for (const z of [-128, 0, 127]) {
        expect(bitMismatches(dequantize(q, { scale: s, zeroPoint: z }), referenceDequantize(q, s, z))).toEqual([]);
      }
    }
    expect(Array.from(dequantize(new Int8Array([127, -128]), { scale: 3.4e38, zeroPoint: -128 }))).toEqual([Infinity, 0]);
  });
});

const perChannelCase = fc.record({
  channels: fc.oneof(fc.constantFrom(1, 3, 4, 5), fc.integer({ min: 1, max: 37 })),
  rows: fc.integer({ min: 0, max: 9 }),
});

describe("per-channel quantize and dequantize", () => {
  test.prop([perChannelCase, fc.array(fc.tuple(scale(), fc.nat()), { minLength: 37, maxLength: 37 }), int8Range, inputs(64, 1)], { numRuns: 1000 })(
    "qs8_quantize_f32_per_channel matches the reference",
    ({ channels, rows }, channelParams, { qmin, qmax }, makers) => {
      const scales = channelParams.slice(0, channels).map(([s]) => s);
      const zeroPoints = channelParams.slice(0, channels).map(([, r]) => qmin + (r % (qmax - qmin + 1)));
      const x = Float32Array.from({ length: rows * channels }, (_, i) => makers[i % makers.length](scales[i % channels]));
      expect(quantizePerChannel(x, scales, zeroPoints, qmin, qmax))
        .toEqual(referenceQuantizePerChannel(x, scales, zeroPoints, qmin, qmax));
    },
  );

  test.prop([perChannelCase, fc.array(fc.tuple(scale(-60, 60), zeroPoint), { minLength: 37, maxLength: 37 }), fc.integer()], { numRuns: 1000 })(
    "qs8_dequantize_f32_per_channel matches the reference",
    ({ channels, rows }, channelParams, seed) => {
      const scales = channelParams.slice(0, channels).map(([s]) => s);
      const zeroPoints = channelParams.slice(0, channels).map(([, z]) => z);
      const q = int8Data(rows * channels, seed);
      expect(bitMismatches(dequantizePerChannel(q, scales, zeroPoints), referenceDequantizePerChannel(q, scales, zeroPoints)))
        .toEqual([]);
    },
  );
});

describe("qs8_dynamic_quantize_f32 (ONNX DynamicQuantizeLinear in int8)", () => {
  /** Finite float32 tensors: ordinary ranges of both signs, one-signed ones, tiny and huge magnitudes. */
  const tensor = fc.record({
    length: fc.integer({ min: 0, max: 80 }),
    low: fc.float({ min: -1000, max: 1000, noNaN: true }),
    width: fc.float({ min: 0, max: 2000, noNaN: true }),
    exponent: fc.constantFrom(0, 0, 0, -20, -60, -126, -140, 20, 100),
    ties: fc.boolean(),
    seed: fc.integer(),
  }).map(({ length, low, width, exponent, ties, seed }) => {
    const q = int8Data(length, seed);
    const value = (i: number) => ((q[i] + 128) / 255) * width + low;
    return Float32Array.from({ length }, (_, i) => Math.fround((ties ? Math.round(value(i)) + 0.5 : value(i)) * 2 ** exponent));
  });

  test.prop([tensor], { numRuns: 1000 })("matches the reference: codes, scale and zero point", (x) => {
    const expected = referenceDynamicQuantize(x)!;
    const actual = dynamicQuantize(x);
    expect(actual.scale).toBe(expected.scale);
    expect(actual.zeroPoint).toBe(expected.zeroPoint);
    expect(firstIndexOfDifference(actual.q, expected.q)).toBe(-1);
  });

  test("ONNX's test vectors (numpy's float32 arithmetic; uint8 codes and zero points shifted by 128)", () => {
    const cases: [number[], number, number, number[]][] = [
      [[0, 2, -3, -2.5, 1.34, 0.5], 0.019607844, 153, [153, 255, 0, 26, 221, 179]],
      [[-1, -2.1, -1.3, -2.5, -3.34, -4.0], 0.015686275, 255, [191, 121, 172, 96, 42, 0]],
      [[1, 2.1, 1.3, 2.5, 3.34, 4.0, 1.5, 2.6, 3.9, 4.0, 3.0, 2.345], 0.015686275, 0, [64, 134, 83, 159, 213, 255, 96, 166, 249, 255, 191, 149]],
    ];
    for (const [x, scaleValue, zeroPointU8, codesU8] of cases) {
      const actual = dynamicQuantize(Float32Array.from(x));
      expect(actual.scale).toBe(Math.fround(scaleValue));
      expect(actual.zeroPoint).toBe(zeroPointU8 - 128);
      expect(Array.from(actual.q)).toEqual(codesU8.map((c) => c - 128));
    }
  });

  test("all zeros: S = 1 (as ONNX Runtime), Z = -128 (real 0), every length around the vector blocks", () => {
    for (const length of [0, 1, 7, 8, 9, 33]) {
      const actual = dynamicQuantize(new Float32Array(length));
      expect(actual).toEqual({ scale: 1, zeroPoint: -128, q: new Int8Array(length).fill(-128) });
    }
  });

  test("the extreme values sit in the last lanes and in the scalar tail", () => {
    for (const length of [8, 9, 15, 16, 17, 23]) {
      for (const at of [length - 1, length - 2, 0]) {
        const x = Float32Array.from({ length }, (_, i) => (i === at ? -7 : i % 3));
        const actual = dynamicQuantize(x);
        expect(actual.zeroPoint).toBe(referenceDynamicQuantize(x)!.zeroPoint);
        expect(actual.q[at]).toBe(-128);
        x[at] = 9;
        expect(dynamicQuantize(x).q[at]).toBe(127);
      }
    }
  });

  test("NaN, +-Infinity and ranges too wide for float32 throw and leave the output untouched", () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (const length of [1, 8, 13]) {
        const x = Float32Array.from({ length }, (_, i) => (i === length - 1 ? bad : i));
        expect(referenceDynamicQuantize(x)).toBeNull();
        scratch(arena, () => {
          const out = arena.alloc("int8", length);
          arena.view(out).fill(99);
          const input = arena.from("float32", x);
          const params = arena.alloc("int32", DYNAMIC_QUANTIZE_SCRATCH_SIZE);
          expect(() => qs8DynamicQuantizeF32(arena.kernels, input, length, out, params)).toThrow(InvalidArgumentError);
          expect(arena.view(out).every((v) => v === 99)).toBe(true);
        });
      }
    }
    const wide = Float32Array.of(3e38, -3e38);
    expect(referenceDynamicQuantize(wide)).toBeNull();
    expect(() => dynamicQuantize(wide)).toThrow(InvalidArgumentError);
  });

  test("short, mistyped and overlapping buffers", () => {
    scratch(arena, () => {
      const x = arena.from("float32", new Float32Array(8));
      const q = arena.alloc("int8", 8);
      const params = arena.alloc("int32", 2);
      expect(() => qs8DynamicQuantizeF32(k(), x, 9, q, params)).toThrow(RangeError);
      expect(() => qs8DynamicQuantizeF32(k(), x, 8, arena.alloc("int8", 7), params)).toThrow(RangeError);
      expect(() => qs8DynamicQuantizeF32(k(), x, 8, q, arena.alloc("int32", 1))).toThrow(RangeError);
      expect(() => qs8DynamicQuantizeF32(k(), x, 8, q, arena.alloc("float32", 2))).toThrow(TypeError);
      expect(() => qs8DynamicQuantizeF32(k(), x, 8, { ...q, ptr: x.ptr + 4 }, params)).toThrow(RangeError);
      expect(() => qs8DynamicQuantizeF32(k(), x, 8, q, { ...params, ptr: q.ptr + 4 })).toThrow(RangeError);
      expect(() => qs8DynamicQuantizeF32(k(), x, 8, q, params)).not.toThrow();
    });
  });

  const k = () => arena.kernels;
});

/** Index of the first element where a and b differ, -1 if equal. */
function firstIndexOfDifference(a: Int8Array, b: Int8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe("errors", () => {
  const k = () => arena.kernels;
  test("bad scales, zero points and ranges throw QuantizationError", () => {
    scratch(arena, () => {
      const x = arena.alloc("float32", 4);
      const q = arena.alloc("int8", 4);
      for (const s of [0, -1, NaN, Infinity, -Infinity, 1e-50, 1e39]) {
        expect(() => qs8QuantizeF32(k(), x, 4, { scale: s, zeroPoint: 0 }, q)).toThrow(QuantizationError);
        expect(() => qs8DequantizeF32(k(), q, 4, { scale: s, zeroPoint: 0 }, x)).toThrow(QuantizationError);
      }
      for (const z of [128, -129, 0.5, NaN]) {
        expect(() => qs8QuantizeF32(k(), x, 4, { scale: 1, zeroPoint: z }, q)).toThrow(QuantizationError);
        expect(() => qs8DequantizeF32(k(), q, 4, { scale: 1, zeroPoint: z }, x)).toThrow(QuantizationError);
      }
      expect(() => qs8QuantizeF32(k(), x, 4, { scale: 1, zeroPoint: 8, qmin: -8, qmax: 7 }, q)).toThrow(QuantizationError);
      expect(() => qs8QuantizeF32(k(), x, 4, { scale: 1, zeroPoint: 0, qmin: 1, qmax: 0 }, q)).toThrow(QuantizationError);
      expect(() => qs8QuantizeF32(k(), x, 4, { scale: 1, zeroPoint: 0, qmin: -129, qmax: 0 }, q)).toThrow(QuantizationError);
      expect(() => preparePerChannelAffine(arena, [1, 0], [0, 0])).toThrow(QuantizationError);
      expect(() => preparePerChannelAffine(arena, [1, 1], [0, 300])).toThrow(QuantizationError);
      expect(() => preparePerChannelAffine(arena, [1, 1], [0])).toThrow(QuantizationError);
      expect(() => preparePerChannelAffine(arena, [], [])).toThrow(QuantizationError);
    });
  });

  test("short or mistyped buffers, bad lengths, overlap and unprepared parameters", () => {
    scratch(arena, () => {
      const x = arena.alloc("float32", 8);
      const q = arena.alloc("int8", 8);
      const params = { scale: 1, zeroPoint: 0 };
      expect(() => qs8QuantizeF32(k(), x, 9, params, q)).toThrow(RangeError);
      expect(() => qs8QuantizeF32(k(), x, 8, params, arena.alloc("int8", 7))).toThrow(RangeError);
      expect(() => qs8QuantizeF32(k(), q, 8, params, q)).toThrow(TypeError);
      expect(() => qs8DequantizeF32(k(), x, 8, params, x)).toThrow(TypeError);
      expect(() => qs8QuantizeF32(k(), x, -1, params, q)).toThrow(ShapeError);
      expect(() => qs8QuantizeF32(k(), x, 1.5, params, q)).toThrow(ShapeError);
      const overlapping = { ptr: x.ptr + 4, length: 8, type: "int8" as const };
      expect(() => qs8QuantizeF32(k(), x, 8, params, overlapping)).toThrow(RangeError);
      const perChannel = preparePerChannelAffine(arena, [1, 2, 3, 4], [0, 0, 0, 0]);
      expect(() => qs8QuantizeF32PerChannel(k(), x, 3, perChannel, q)).toThrow(RangeError);
      expect(() => qs8DequantizeF32PerChannel(k(), q, 3, perChannel, x)).toThrow(RangeError);
      const forged: PerChannelAffine = { ...perChannel };
      expect(() => qs8QuantizeF32PerChannel(k(), x, 2, forged, q)).toThrow(InvalidArgumentError);
      expect(() => qs8QuantizeF32PerChannel(k(), x, 2, perChannel, q)).not.toThrow();
    });
  });

  test("inputs are not modified", () => {
    scratch(arena, () => {
      const data = Float32Array.from({ length: 37 }, (_, i) => i * 0.37 - 5);
      const x = arena.from("float32", data);
      qs8QuantizeF32(arena.kernels, x, 37, { scale: 0.1, zeroPoint: 3 }, arena.alloc("int8", 37));
      expect(bitMismatches(arena.view(x), data)).toEqual([]);
    });
  });
});
