// fp32 Add and clamp against the plain TypeScript definitions, bit for bit (signed zeros, NaN and
// infinities included), on random lengths around the 4-lane vector width.
import { beforeAll, describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import type { WasmArena } from "../../src/kernels/arena.js";
import { f32Add, f32Clamp, f32FirstNaN } from "../../src/kernels/f32-elementwise.js";
import { freshArena } from "../helpers/wasm.js";

let arena: WasmArena;
beforeAll(async () => {
  arena = await freshArena();
});

const special = fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e-45, -3.4e38, 6, -1);
const value = fc.oneof(fc.float({ noDefaultInfinity: false }), special);
const length = fc.oneof(fc.integer({ min: 0, max: 70 }), fc.constantFrom(1, 3, 4, 5, 15, 16, 17));
const bounds = fc.constantFrom([-Infinity, Infinity], [0, Infinity], [0, 6], [-1, 1], [-0, 0]);

function clampOf(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Bit patterns, so that -0 compares exactly; every NaN as one (engines differ in NaN payloads). */
function bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length), (b, i) => (Number.isNaN(values[i]) ? 0x7fc00000 : b));
}

describe("f32Add", () => {
  test.prop([length.chain((n) => fc.tuple(fc.array(value, { minLength: n, maxLength: n }), fc.array(value, { minLength: n, maxLength: n }))), bounds], { numRuns: 1000 })(
    "equals fround(a + b) clamped, bit for bit",
    ([a, b], [lo, hi]) => {
      const mark = arena.mark();
      try {
        const n = a.length;
        const x = arena.from("float32", a);
        const y = arena.from("float32", b);
        const out = arena.alloc("float32", n);
        f32Add(arena.kernels, x, y, n, out, lo, hi);
        const expected = Float32Array.from(a, (v, i) => clampOf(Math.fround(Math.fround(v) + Math.fround(b[i])), lo, hi));
        expect(bits(arena.view(out).slice() as Float32Array)).toEqual(bits(expected));
      } finally {
        arena.release(mark);
      }
    },
  );

  test("in place, and bad buffers", () => {
    const mark = arena.mark();
    try {
      const a = arena.from("float32", [1, 2, 3, 4, 5]);
      const b = arena.from("float32", [10, 20, 30, 40, 50]);
      f32Add(arena.kernels, a, b, 5, a);
      expect(Array.from(arena.view(a))).toEqual([11, 22, 33, 44, 55]);
      expect(() => f32Add(arena.kernels, a, b, 6, a)).toThrow(/holds 5/);
      expect(() => f32Add(arena.kernels, a, b, 5, { ...a, ptr: a.ptr + 4 })).toThrow(/partly overlaps/);
      expect(() => f32Add(arena.kernels, a, b, 5, a, 1, 0)).toThrow(/exceeds/);
      expect(() => f32Add(arena.kernels, a, b, -1, a)).toThrow(/length/);
    } finally {
      arena.release(mark);
    }
  });
});

describe("f32Clamp", () => {
  test.prop([length.chain((n) => fc.array(value, { minLength: n, maxLength: n })), bounds], { numRuns: 1000 })(
    "equals x < lo ? lo : x > hi ? hi : x, bit for bit (NaN passes through)",
    (values, [lo, hi]) => {
      const mark = arena.mark();
      try {
        const x = arena.from("float32", values);
        const out = arena.alloc("float32", values.length);
        f32Clamp(arena.kernels, x, values.length, out, lo, hi);
        const expected = Float32Array.from(values, (v) => clampOf(Math.fround(v), lo, hi));
        expect(bits(arena.view(out).slice() as Float32Array)).toEqual(bits(expected));
      } finally {
        arena.release(mark);
      }
    },
  );
});

describe("f32FirstNaN", () => {
  const finite = fc.float({ noNaN: true, noDefaultInfinity: false });
  test.prop([fc.array(finite, { maxLength: 70 }), fc.array(fc.nat(), { maxLength: 3 })], { numRuns: 500 })(
    "finds the first NaN at any position, or returns -1",
    (values, nanSeeds) => {
      const mark = arena.mark();
      try {
        const data = Float32Array.from(values);
        for (const seed of nanSeeds) if (data.length > 0) data[seed % data.length] = NaN;
        const x = arena.from("float32", data);
        expect(f32FirstNaN(arena.kernels, x, data.length)).toBe(data.findIndex(Number.isNaN));
      } finally {
        arena.release(mark);
      }
    },
  );
});
