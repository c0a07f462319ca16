import { beforeAll, describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import type { WasmArena } from "../../src/kernels/arena.js";
import { f32Gemm, packF32Gemm } from "../../src/kernels/f32-gemm.js";
import { f32GemmReference } from "../../src/reference/f32-gemm.js";
import { InvalidArgumentError, ShapeError } from "../../src/errors.js";
import { freshArena } from "../helpers/wasm.js";
import { GuardedOutput, abs, describeMismatch, firstOutOfTolerance, randomFloats } from "../helpers/f32.js";

let arena: WasmArena;
beforeAll(async () => {
  arena = await freshArena();
});

const CLAMPS = {
  none: [-Infinity, Infinity],
  relu: [0, Infinity],
  relu6: [0, 6],
  narrow: [-0.25, 0.5],
} as const;
type ClampName = keyof typeof CLAMPS;

interface GemmCase {
  M: number;
  N: number;
  K: number;
  withBias: boolean;
  clamp: ClampName;
  scale: number;
  seed: number;
}

/**
 * Runs the kernel and the reference on one case and returns a description of the first problem
 * (or "" if none). The SIMD kernel sums in float32 and in another order than the float64
 * reference, so each element may differ by 1e-5 * (sum_k |x*w| + |bias|) + 1e-6, that bound being
 * computed by running the reference on absolute values (clamping cannot widen the difference).
 */
function checkGemm({ M, N, K, withBias, clamp, scale, seed }: GemmCase): string {
  const x = randomFloats(M * K, seed, scale);
  const w = randomFloats(N * K, seed + 1);
  const bias = withBias ? randomFloats(N, seed + 2, scale) : null;
  const [clampMin, clampMax] = CLAMPS[clamp];
  const wCopy = w.slice();
  const mark = arena.mark();
  try {
    const packed = packF32Gemm(arena, { weights: w, N, K, bias, clampMin, clampMax });
    const input = arena.from("float32", x);
    const output = new GuardedOutput(arena, M * N);
    f32Gemm(arena.kernels, packed, input, M, output.buffer);
    const actual = output.values();
    const expected = f32GemmReference(x, M, { weights: w, N, K, bias, clampMin, clampMax });
    const magnitude = f32GemmReference(abs(x), M, { weights: abs(w), N, K, bias: bias && abs(bias) });
    const bad = firstOutOfTolerance(actual, expected, (i) => 1e-5 * magnitude[i] + 1e-6);
    if (bad >= 0) return describeMismatch(bad, actual, expected);
    if (!output.guardsIntact()) return "wrote outside the output";
    if (!arena.view(input).every((v, i) => Object.is(v, x[i]))) return "modified the input";
    if (!w.every((v, i) => Object.is(v, wCopy[i]))) return "packing modified the weights";
    return "";
  } finally {
    arena.release(mark);
  }
}

const clampArb = fc.constantFrom<ClampName>("none", "relu", "relu6", "narrow");

describe("f32Gemm agrees with the reference", () => {
  test.prop(
    {
      M: fc.integer({ min: 1, max: 24 }),
      N: fc.integer({ min: 1, max: 40 }),
      K: fc.integer({ min: 1, max: 90 }),
      withBias: fc.boolean(),
      clamp: clampArb,
      scale: fc.constantFrom(1e-3, 1, 8, 1e3),
      seed: fc.integer(),
    },
    { numRuns: 1000 },
  )("random shapes", (c) => {
    expect(checkGemm(c)).toBe("");
  });

  // Tails of every loop: K not a multiple of 4 or 16, M and N of 1, partial tiles and panels,
  // a row block boundary (K = 300 gives 108-row blocks), and a K so long the row block is one tile.
  test.each([
    [1, 1, 1], [1, 1, 17], [1, 8, 16], [4, 8, 16], [5, 9, 17], [3, 7, 15], [2, 3, 5], [1, 1000, 3],
    [33, 1, 513], [7, 16, 1], [64, 64, 64], [130, 24, 300], [9, 10, 40000], [1, 10, 784], [6, 12, 4],
  ])("M=%i N=%i K=%i", (M, N, K) => {
    for (const clamp of ["none", "relu6"] as const) {
      expect(checkGemm({ M, N, K, withBias: true, clamp, scale: 1, seed: M * 7919 + N * 31 + K })).toBe("");
    }
    expect(checkGemm({ M, N, K, withBias: false, clamp: "relu", scale: 2, seed: K })).toBe("");
  });

  test("fused ReLU6 keeps every output in [0, 6]", () => {
    const [M, N, K] = [9, 13, 21];
    const mark = arena.mark();
    const packed = packF32Gemm(arena, { weights: randomFloats(N * K, 5, 10), N, K, bias: null, clampMin: 0, clampMax: 6 });
    const output = arena.alloc("float32", M * N);
    f32Gemm(arena.kernels, packed, arena.from("float32", randomFloats(M * K, 6, 10)), M, output);
    const values = arena.view(output);
    expect(values.every((v) => v >= 0 && v <= 6)).toBe(true);
    expect(values.some((v) => v === 6)).toBe(true);
    expect(values.some((v) => v === 0)).toBe(true);
    arena.release(mark);
  });
});

describe("f32Gemm rejects bad arguments", () => {
  const N = 5;
  const K = 7;
  const weights = new Float32Array(N * K);

  test("packing", () => {
    expect(() => packF32Gemm(arena, { weights, N, K: 6, bias: null })).toThrow(ShapeError);
    expect(() => packF32Gemm(arena, { weights: Array.from(weights) as unknown as Float32Array, N, K, bias: null })).toThrow(TypeError);
    expect(() => packF32Gemm(arena, { weights, N, K, bias: new Float32Array(4) })).toThrow(ShapeError);
    expect(() => packF32Gemm(arena, { weights: new Float32Array(0), N: 0, K, bias: null })).toThrow(ShapeError);
    expect(() => packF32Gemm(arena, { weights, N: 2.5, K: 14, bias: null })).toThrow(ShapeError);
    expect(() => packF32Gemm(arena, { weights, N, K, bias: null, clampMin: 1, clampMax: 0 })).toThrow(RangeError);
    expect(() => packF32Gemm(arena, { weights, N, K, bias: null, clampMin: Number.NaN })).toThrow(RangeError);
  });

  test("calling", async () => {
    const mark = arena.mark();
    const packed = packF32Gemm(arena, { weights, N, K, bias: null });
    const M = 3;
    const input = arena.alloc("float32", M * K);
    const output = arena.alloc("float32", M * N);
    expect(() => f32Gemm(arena.kernels, packed, input, 0, output)).toThrow(ShapeError);
    expect(() => f32Gemm(arena.kernels, packed, input, 1.5, output)).toThrow(ShapeError);
    expect(() => f32Gemm(arena.kernels, packed, input, M + 1, output)).toThrow(/input holds 21 float32 elements, needs 28/);
    expect(() => f32Gemm(arena.kernels, packed, input, M, { ...output, length: M * N - 1 })).toThrow(RangeError);
    expect(() => f32Gemm(arena.kernels, packed, { ...input, type: "int32" }, M, output)).toThrow(TypeError);
    expect(() => f32Gemm(arena.kernels, packed, input, M, { ...input, length: M * N })).toThrow(/output overlaps input/);
    expect(() => f32Gemm(arena.kernels, packed, input, M, packed.weights)).toThrow(/output overlaps weights/);
    const other = await freshArena();
    expect(() => f32Gemm(other.kernels, packed, input, M, output)).toThrow(InvalidArgumentError);
    arena.release(mark);
  });

  test("a rejected call leaves the output untouched", () => {
    const mark = arena.mark();
    const packed = packF32Gemm(arena, { weights: randomFloats(N * K, 1), N, K, bias: null });
    const output = new GuardedOutput(arena, 2 * N);
    const input = arena.from("float32", randomFloats(2 * K, 2));
    expect(() => f32Gemm(arena.kernels, packed, input, 3, output.buffer)).toThrow(RangeError);
    expect(output.values().every(Number.isNaN)).toBe(true);
    expect(output.guardsIntact()).toBe(true);
    arena.release(mark);
  });
});
