import { describe, expect, beforeAll } from "vitest";
import { test, fc } from "@fast-check/vitest";
import type { WasmArena } from "../../src/kernels/arena.js";
import {
  preparePerChannelAffine, qs8DequantizeF32, qs8DequantizeF32PerChannel, qs8QuantizeF32, qs8QuantizeF32PerChannel,
  type AffineParams, type PerChannelAffine,
} from "../../src/kernels/quantize.js";
import {
  referenceDequantize, referenceDequantizePerChannel, referenceQuantize, referenceQuantizePerChannel, roundHalfToEven,
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
