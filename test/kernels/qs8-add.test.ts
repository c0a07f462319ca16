import { describe, expect, beforeAll } from "vitest";
import { test, fc } from "@fast-check/vitest";
import type { WasmArena } from "../../src/kernels/arena.js";
import { prepareQs8Add, qs8Add, type Qs8AddQuantization } from "../../src/kernels/qs8-add.js";
import { referenceQs8Add } from "../../src/reference/qs8-add.js";
import { QuantizationError, ShapeError } from "../../src/errors.js";
import { freshArena } from "../helpers/wasm.js";
import { int8Data, int8Range, mismatches, scale, scratch, zeroPoint } from "./helpers.js";

let arena: WasmArena;
beforeAll(async () => {
  arena = await freshArena();
});

function add(a: Int8Array, b: Int8Array, quant: Qs8AddQuantization): Int8Array {
  return scratch(arena, () => {
    const params = prepareQs8Add(quant);
    const out = arena.alloc("int8", a.length);
    const [inputA, inputB] = [arena.from("int8", a), arena.from("int8", b)];
    qs8Add(arena.kernels, inputA, [a.length], inputB, [b.length], params, out);
    expect([...mismatches(arena.view(inputA), a), ...mismatches(arena.view(inputB), b)]).toEqual([]);
    return arena.view(out).slice();
  });
}

function expectMatch(a: Int8Array, b: Int8Array, quant: Required<Qs8AddQuantization>): void {
  expect(mismatches(add(a, b, quant), referenceQs8Add(a, b, quant))).toEqual([]);
}

/** Scales with input ratios up to 2^20 either way and the output scale from 2^-20 to 2^6 of the larger input's. */
const scales = fc
  .tuple(scale(-20, 5), fc.integer({ min: -20, max: 20 }), fc.float({ min: 1, max: 2, noNaN: true }), fc.integer({ min: -20, max: 6 }))
  .map(([s1, ratioExponent, m, outputExponent]) => {
    const s2 = Math.fround(s1 * m * 2 ** ratioExponent);
    return { s1, s2, sy: Math.fround(Math.max(s1, s2) * m * 2 ** outputExponent) };
  });

const quantization = fc.tuple(scales, zeroPoint, zeroPoint, zeroPoint, int8Range)
  .map(([s, z1, z2, zy, r]) => ({ ...s, z1, z2, zy, ...r }));

describe("qs8_add", () => {
  test.prop([fc.oneof(fc.integer({ min: 0, max: 70 }), fc.constantFrom(1, 15, 16, 17, 48)), fc.integer(), quantization], { numRuns: 1000 })(
    "matches the reference bit for bit",
    (length, seed, quant) => {
      expectMatch(int8Data(length, seed), int8Data(length, ~seed), quant);
    },
  );

  test("every pair of int8 codes, equal and skewed scales, extreme zero points, fused ReLU", () => {
    const a = Int8Array.from({ length: 65536 }, (_, i) => (i & 0xff) - 128);
    const b = Int8Array.from({ length: 65536 }, (_, i) => (i >> 8) - 128);
    const cases: Required<Qs8AddQuantization>[] = [
      { s1: 0.05, z1: 0, s2: 0.05, z2: 0, sy: 0.1, zy: 0, qmin: -128, qmax: 127 },
      { s1: 0.02, z1: -128, s2: 0.07, z2: 127, sy: 0.09, zy: -128, qmin: -128, qmax: 127 },
      { s1: 1e-6, z1: 127, s2: 1, z2: -128, sy: 0.5, zy: 3, qmin: 3, qmax: 127 },
      { s1: 0.1, z1: 5, s2: 0.1 * 2 ** -20, z2: -5, sy: 2 ** -18, zy: 0, qmin: 0, qmax: 100 },
      { s1: 3, z1: 0, s2: 0.5, z2: 10, sy: 3 / 2 ** 20, zy: 127, qmin: -128, qmax: 127 },
      // W = (a - 3) / 4 + 3 (b + 7) / 4: every fourth pair an exact half-integer, where f32 rounding (ties to even) differs.
      { s1: 0.1, z1: 3, s2: 0.3, z2: -7, sy: 0.4, zy: -2, qmin: -128, qmax: 127 },
    ];
    for (const quant of cases) expectMatch(a, b, quant);
  });

  test("equal scales add the codes exactly", () => {
    const a = new Int8Array([1, -1, 50, -50, 127, -128, 0, 3]);
    const b = new Int8Array([2, -2, 60, -60, 127, -128, 0, -3]);
    const quant = { s1: 0.1, z1: 0, s2: 0.1, z2: 0, sy: 0.1, zy: 0, qmin: -128, qmax: 127 };
    expect(Array.from(add(a, b, quant))).toEqual([3, -3, 110, -110, 127, -128, 0, 0]);
  });

  test("out may be one of the inputs (in place)", () => {
    scratch(arena, () => {
      const data = int8Data(37, 5);
      const other = int8Data(37, 6);
      const quant = { s1: 0.03, z1: -3, s2: 0.05, z2: 7, sy: 0.06, zy: -1, qmin: -128, qmax: 127 };
      const a = arena.from("int8", data);
      const b = arena.from("int8", other);
      qs8Add(arena.kernels, a, [37], b, [37], prepareQs8Add(quant), a);
      expect(mismatches(arena.view(a).slice(), referenceQs8Add(data, other, quant))).toEqual([]);
      expect(mismatches(arena.view(b).slice(), other)).toEqual([]);
    });
  });
});

describe("errors", () => {
  const good = { s1: 0.1, z1: 0, s2: 0.2, z2: 0, sy: 0.3, zy: 0 };
  test("invalid scales, zero points and clamp ranges throw QuantizationError", () => {
    for (const bad of [0, -0.1, NaN, Infinity, 1e-50]) {
      expect(() => prepareQs8Add({ ...good, s1: bad })).toThrow(QuantizationError);
      expect(() => prepareQs8Add({ ...good, s2: bad })).toThrow(QuantizationError);
      expect(() => prepareQs8Add({ ...good, sy: bad })).toThrow(QuantizationError);
    }
    for (const bad of [128, -129, 1.5]) {
      expect(() => prepareQs8Add({ ...good, z1: bad })).toThrow(QuantizationError);
      expect(() => prepareQs8Add({ ...good, zy: bad })).toThrow(QuantizationError);
    }
    expect(() => prepareQs8Add({ ...good, qmin: 5, qmax: 4 })).toThrow(QuantizationError);
    // An output scale below max(S1, S2) / 2^21 would need a left shift that wraps.
    expect(() => prepareQs8Add({ ...good, sy: 0.2 / 2 ** 22 })).toThrow(QuantizationError);
    expect(() => prepareQs8Add({ ...good, sy: 0.2 / 2 ** 20 })).not.toThrow();
  });

  test("bad shapes, short buffers, partial overlap and forged parameters", () => {
    scratch(arena, () => {
      const k = arena.kernels;
      const params = prepareQs8Add(good);
      const a = arena.alloc("int8", 12);
      const b = arena.alloc("int8", 12);
      const out = arena.alloc("int8", 12);
      expect(() => qs8Add(k, a, [3, 4], b, [4, 3], params, out)).toThrow(ShapeError);
      expect(() => qs8Add(k, a, [12], b, [3, 4], params, out)).toThrow(ShapeError);
      expect(() => qs8Add(k, a, [3, -4], b, [3, -4], params, out)).toThrow(ShapeError);
      expect(() => qs8Add(k, a, [13], b, [13], params, arena.alloc("int8", 13))).toThrow(RangeError);
      expect(() => qs8Add(k, a, [12], b, [12], params, arena.alloc("int8", 11))).toThrow(RangeError);
      expect(() => qs8Add(k, a, [12], b, [12], params, arena.alloc("int32", 12))).toThrow(TypeError);
      expect(() => qs8Add(k, a, [12], b, [12], params, { ptr: a.ptr + 1, length: 12, type: "int8" })).toThrow(RangeError);
      expect(() => qs8Add(k, a, [12], b, [12], { ...params, shiftOut: 5 }, out)).toThrow(QuantizationError);
      expect(() => qs8Add(k, a, [12], b, [12], { ...params, multiplierA: -1 }, out)).toThrow(QuantizationError);
      expect(() => qs8Add(k, a, [12], b, [12], { ...params, zeroPointB: 300 }, out)).toThrow(QuantizationError);
      expect(() => qs8Add(k, a, [3, 4], b, [3, 4], params, out)).not.toThrow();
      expect(() => qs8Add(k, a, [0], b, [0], params, out)).not.toThrow();
    });
  });
});
