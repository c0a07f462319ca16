import { describe, expect, beforeAll } from "vitest";
import { test, fc } from "@fast-check/vitest";
import {
  headroomMultiplier,
  multiplyByQuantizedMultiplier,
  multiplyByShiftedMultiplier,
  quantizeMultiplier,
  requantize,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from "../../src/quant/fixed-point.js";
import type { WasmArena } from "../../src/kernels/arena.js";
import { freshArena, int32Stream } from "../helpers/wasm.js";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
let arena: WasmArena;
beforeAll(async () => {
  arena = await freshArena();
});

describe("DESIGN.md 3.1 test vectors", () => {
  test("quantizeMultiplier", () => {
    expect(quantizeMultiplier(0.039062500014)).toEqual({ multiplier: 1342177280, shift: -4 });
    expect(quantizeMultiplier(0.2)).toEqual({ multiplier: 1717986918, shift: -2 });
    expect(quantizeMultiplier(1.5)).toEqual({ multiplier: 1610612736, shift: 1 });
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(2 ** -40)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 1073741824, shift: 1 });
    // 1 - 2^-33 rounds up to 2^31 and renormalises.
    expect(quantizeMultiplier(1 - 2 ** -33)).toEqual({ multiplier: 1073741824, shift: 1 });
    expect(() => quantizeMultiplier(Number.NaN)).toThrow(RangeError);
    expect(() => quantizeMultiplier(-1)).toThrow(RangeError);
  });

  test.each([
    ["TypeScript", () => ({ srdhm: saturatingRoundingDoublingHighMul, rdbpot: roundingDivideByPOT, mbqm: multiplyByQuantizedMultiplier })],
    ["WebAssembly", () => {
      const e = arena.kernels.exports;
      return { srdhm: e.saturatingRoundingDoublingHighMul, rdbpot: e.roundingDivideByPOT, mbqm: e.multiplyByQuantizedMultiplier };
    }],
  ] as const)("%s primitives", (_name, get) => {
    const { srdhm, rdbpot, mbqm } = get();
    expect(mbqm(909, 1342177280, -4)).toBe(36);
    expect(mbqm(1000, 1610612736, 1)).toBe(1500);
    expect(srdhm(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
    expect(rdbpot(-5, 1)).toBe(-3);
    expect(rdbpot(5, 1)).toBe(3);
    expect(rdbpot(-6, 2)).toBe(-2);
    expect(rdbpot(INT32_MIN, 31)).toBe(-1);
    expect(rdbpot(INT32_MAX, 31)).toBe(1);
    expect(srdhm(INT32_MAX, INT32_MAX)).toBe(INT32_MAX - 1);
    expect(srdhm(INT32_MIN, INT32_MAX)).toBe(-INT32_MAX);
  });
});

/** Edge inputs every sweep includes. */
const EDGE_X = [INT32_MIN, INT32_MIN + 1, -65536, -2, -1, 0, 1, 2, 65535, INT32_MAX - 1, INT32_MAX];
const EDGE_M = [0, 1, 1 << 30, (1 << 30) + 1, INT32_MAX - 1, INT32_MAX];

function wasmMultiplyArray(x: Int32Array, m: Int32Array, s: Int32Array): Int32Array {
  const mark = arena.mark();
  const out = arena.alloc("int32", x.length);
  const [bx, bm, bs] = [arena.from("int32", x), arena.from("int32", m), arena.from("int32", s)];
  arena.kernels.exports.fixedpoint_multiply_array(bx.ptr, bm.ptr, bs.ptr, x.length, out.ptr);
  const result = arena.view(out).slice();
  arena.release(mark);
  return result;
}

function wasmRequantize(
  acc: Int32Array, rows: number, channels: number, m: Int32Array, s: Int32Array, z: number, qmin: number, qmax: number,
): Int8Array {
  const mark = arena.mark();
  const bAcc = arena.from("int32", acc);
  const [bm, bs] = [arena.from("int32", m), arena.from("int32", s)];
  const out = arena.alloc("int8", rows * channels);
  arena.kernels.exports.qs8_requantize(bAcc.ptr, rows, channels, bm.ptr, bs.ptr, z, qmin, qmax, out.ptr);
  const result = arena.view(out).slice();
  arena.release(mark);
  return result;
}

describe("TypeScript and WebAssembly agree", () => {
  test("on 2 million random inputs and every edge, every shift from -31 to 30", () => {
    const next = int32Stream(12345);
    const n = 1 << 21;
    const x = new Int32Array(n);
    const m = new Int32Array(n);
    const s = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = i < EDGE_X.length * EDGE_M.length * 62 ? EDGE_X[i % EDGE_X.length] : next();
      m[i] = i < EDGE_X.length * EDGE_M.length * 62 ? EDGE_M[Math.floor(i / EDGE_X.length) % EDGE_M.length] : next() & INT32_MAX;
      s[i] = (i % 62) - 31;
    }
    const actual = wasmMultiplyArray(x, m, s);
    let mismatches = 0;
    for (let i = 0; i < n; i++) {
      if (actual[i] !== multiplyByQuantizedMultiplier(x[i], m[i], s[i])) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  test("saturatingRoundingDoublingHighMul and roundingDivideByPOT on random int32 pairs", () => {
    const next = int32Stream(777);
    const exports = arena.kernels.exports;
    for (let i = 0; i < 200_000; i++) {
      const a = i < EDGE_X.length ** 2 ? EDGE_X[i % EDGE_X.length] : next();
      const b = i < EDGE_X.length ** 2 ? EDGE_X[Math.floor(i / EDGE_X.length)] : next();
      const e = i & 31;
      if (exports.saturatingRoundingDoublingHighMul(a, b) !== saturatingRoundingDoublingHighMul(a, b)) {
        throw new Error(`srdhm(${a}, ${b})`);
      }
      if (exports.roundingDivideByPOT(a, e) !== roundingDivideByPOT(a, e)) throw new Error(`rdbpot(${a}, ${e})`);
    }
  });

  test.prop(
    [
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 37 }),
      fc.integer({ min: -128, max: 127 }),
      fc.integer({ min: 0, max: 0x7fffffff }),
      fc.integer(),
    ],
    { numRuns: 300 },
  )("qs8_requantize (SIMD rows) matches requantize per element", (rows, channels, zeroPoint, seedBits, seed) => {
    const next = int32Stream(seed);
    const acc = new Int32Array(rows * channels).map((_, i) => (i % 7 === 0 ? EDGE_X[i % EDGE_X.length] : next() >> (i % 20)));
    const m = new Int32Array(channels).map((_, c) => (c % 5 === 4 ? 0 : (1 << 30) + ((next() ^ seedBits) & 0x3fffffff)));
    const s = new Int32Array(channels).map(() => (next() & 63) % 62 - 31);
    const [qmin, qmax] = seedBits % 3 === 0 ? [zeroPoint, 127] : [-128, 127];
    const actual = wasmRequantize(acc, rows, channels, m, s, zeroPoint, qmin, qmax);
    for (let i = 0; i < acc.length; i++) {
      const c = i % channels;
      expect(actual[i]).toBe(requantize(acc[i], m[c], s[c], zeroPoint, qmin, qmax));
    }
  });
});

describe("headroomMultiplier / multiplyByShiftedMultiplier", () => {
  test.prop([fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 31 })], { numRuns: 2000 })(
    "the BigInt-free high multiply equals the definition", (x, multiplier, rightShift) => {
      expect(multiplyByShiftedMultiplier(x, { multiplier, leftShift: 0, rightShift }))
        .toBe(roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, multiplier), rightShift));
    });

  test.prop([fc.double({ min: 2 ** -20, max: 8, noNaN: true }), fc.integer({ min: 1, max: 2 ** 20 })], { numRuns: 2000 })(
    "rounds x * M to nearest for every |x| <= maxAbs (ties aside), where MBQM may round twice", (real, maxAbs) => {
      const m = headroomMultiplier(real, maxAbs);
      expect(m.rightShift).toBeLessThanOrEqual(31);
      expect(maxAbs * 2 ** m.leftShift).toBeLessThanOrEqual(2 ** 31 - 1);
      const effective = (m.multiplier / 2 ** 31) * 2 ** (m.leftShift - m.rightShift);
      for (const x of [maxAbs, -maxAbs, Math.floor(maxAbs / 3), -Math.floor(maxAbs / 7)]) {
        const exact = x * effective;
        // The high multiply rounds by at most half a unit of 2^-rightShift: only closer ties may go either way.
        if (Math.abs(Math.abs(exact - Math.trunc(exact)) - 0.5) <= 2 ** -m.rightShift) continue;
        expect(multiplyByShiftedMultiplier(x, m)).toBe(Math.round(exact) + 0);
      }
    });

  test("the case that motivated it: -127 * 0.2632 is -33, where MBQM gives -34", () => {
    const real = 1130500522 / 2 ** 32;
    expect(multiplyByQuantizedMultiplier(-127, 1130500522, -1)).toBe(-34);
    expect(multiplyByShiftedMultiplier(-127, headroomMultiplier(real, 255 * 12))).toBe(-33);
  });
});
