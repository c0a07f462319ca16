import { describe, expect, beforeAll } from "vitest";
import { test, fc } from "@fast-check/vitest";
import { WasmArena, type WasmBuffer } from "../../src/kernels/arena.js";
import { enableNodeRelaxedSimd, instantiateKernels } from "../../src/kernels/module.js";
import { packQs8Gemm, qs8Gemm, qs8GemmScratchSize, type Qs8GemmParams } from "../../src/kernels/qs8-gemm.js";
import { referenceQs8Gemm } from "../../src/reference/qs8-gemm.js";
import { ShapeError } from "../../src/errors.js";
import { freshArena } from "../helpers/wasm.js";
import {
  firstDifference, guardedInt8, int8Buffer, int8Data, makeRequant, quantStyleArb, readInt8, style, weightData, type QuantStyle,
} from "../helpers/qs8.js";

let arena: WasmArena;
beforeAll(async () => {
  arena = await freshArena();
});

function gemmParams(N: number, K: number, quant: QuantStyle): Qs8GemmParams {
  return { weights: weightData(N * K, quant.seed + 1, quant), N, K, ...makeRequant(quant, N, K) };
}

/** Packs, runs qs8Gemm between guard bytes and compares with the reference; restores the arena. */
function checkGemm(M: number, N: number, K: number, quant: QuantStyle): void {
  const params = gemmParams(N, K, quant);
  const input = int8Data(M * K, quant.seed + 2, quant.data);
  const weightsBefore = params.weights.slice();
  const mark = arena.mark();
  try {
    const packed = packQs8Gemm(arena, params);
    const inputBuffer = int8Buffer(arena, input);
    const output = guardedInt8(arena, M * N);
    const scratch = guardedInt8(arena, qs8GemmScratchSize(packed, M));
    qs8Gemm(arena.kernels, packed, inputBuffer, M, output.buffer, scratch.buffer);
    const actual = readInt8(arena, output.buffer);
    const expected = referenceQs8Gemm(input, M, params);
    const firstMismatch = firstDifference(actual, expected);
    expect(firstMismatch, `first mismatch at [${Math.floor(firstMismatch / N)}, ${firstMismatch % N}]`).toBe(-1);
    expect(output.guardsIntact(), "bytes around the output").toBe(true);
    expect(scratch.guardsIntact(), "bytes around the scratch").toBe(true);
    expect(firstDifference(readInt8(arena, inputBuffer), input), "input changed").toBe(-1);
    expect(firstDifference(params.weights, weightsBefore), "weights changed").toBe(-1);
  } finally {
    arena.release(mark);
  }
}

describe("qs8Gemm matches the scalar reference bit for bit", () => {
  test.prop(
    [fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 72 }), quantStyleArb],
    { numRuns: 1000 },
  )("on random shapes and parameters", (M, N, K, quant) => {
    checkGemm(M, N, K, quant);
  });

  const awkwardK = [1, 3, 7, 8, 15, 16, 17, 33];
  const awkwardMN = [[1, 1], [1, 6], [1, 37], [6, 1], [4, 2], [5, 3], [8, 9]] as const;
  test.each(awkwardK.flatMap((K) => awkwardMN.map(([M, N]) => ({ M, N, K }))))(
    "M=$M (batch-1 FC when 1), N=$N, K=$K (not a multiple of 16)",
    ({ M, N, K }) => {
      checkGemm(M, N, K, style({ seed: M * 1000 + N * 100 + K }));
      checkGemm(M, N, K, style({ seed: K, multiplierKind: "mixed", clamp: "relu", bias: "extreme" }));
    },
  );

  test.each([
    { name: "Z_x = -128, Z_y = 127", quant: { inputZeroPoint: -128, outputZeroPoint: 127 } },
    { name: "Z_x = 127, Z_y = -128", quant: { inputZeroPoint: 127, outputZeroPoint: -128 } },
    { name: "multipliers near 2^31", quant: { multiplierKind: "nearMax" } },
    { name: "tiny multipliers", quant: { multiplierKind: "tiny" } },
    { name: "zero multipliers", quant: { multiplierKind: "zero" } },
    { name: "left shifts (wrapping)", quant: { multiplierKind: "leftShift" } },
    { name: "ReLU clamp", quant: { clamp: "relu", outputZeroPoint: -128 } },
    { name: "ReLU6 clamp", quant: { clamp: "relu6", outputZeroPoint: -20 } },
    { name: "extreme data (-128/127 only)", quant: { data: "extreme", inputZeroPoint: -128 } },
    { name: "bias at the int32 limits", quant: { bias: "extreme" } },
  ] as const)("$name", ({ quant }) => {
    for (const [M, N, K] of [[1, 1, 1], [1, 5, 17], [7, 3, 33], [4, 8, 64]]) {
      checkGemm(M, N, K, style({ ...quant, seed: M + N + K }));
    }
  });

  test.each([
    { name: "7-bit weights", weights: { bits: 7, shifted: false } },
    { name: "7-bit weights shifted to [-1, 126]", weights: { bits: 7, shifted: true } },
    { name: "6-bit weights", weights: { bits: 6, shifted: false } },
    { name: "4-bit weights shifted", weights: { bits: 4, shifted: true } },
    { name: "2-bit weights", weights: { bits: 2, shifted: false } },
  ] as const)("$name (the weight windows the relaxed build packs in its relaxed layout)", ({ weights }) => {
    for (const [M, N, K] of [[1, 1, 1], [5, 3, 17], [4, 8, 64], [9, 13, 100], [3, 5, 33]]) {
      checkGemm(M, N, K, style({ weights, seed: M * N + K }));
      checkGemm(M, N, K, style({ weights, seed: K, data: "extreme", inputZeroPoint: -128, multiplierKind: "mixed", bias: "extreme" }));
    }
  });

  test("larger shapes: many row tiles and channel blocks, K in the hundreds", () => {
    checkGemm(67, 45, 300, style({ seed: 1 }));
    checkGemm(16, 64, 517, style({ seed: 2, multiplierKind: "mixed" }));
    checkGemm(3, 129, 1000, style({ seed: 3, clamp: "relu6" }));
    checkGemm(21, 30, 777, style({ seed: 4, weights: { bits: 6, shifted: false } }));
    checkGemm(13, 17, 301, style({ seed: 5, weights: { bits: 7, shifted: true } }));
  });

  // K = 1, w = 1, Z_x = 0: acc = bias[n] + x[m], so each channel sees the 256 accumulators around
  // its bias, which is put where M0 * 2^(shift - 31) * acc crosses k + 1/2: the requantization's
  // rounding ties, where a fast approximate path must hand over to the exact one.
  test.prop(
    [
      fc.array(
        fc.record({
          multiplier: fc.oneof(fc.integer({ min: 2 ** 30, max: 2 ** 31 - 1 }), fc.constantFrom(2 ** 30, 2 ** 31 - 1)),
          shift: fc.oneof(fc.integer({ min: -24, max: 4 }), fc.constantFrom(0, -1, -2, 1)),
          k: fc.integer({ min: -120, max: 120 }),
        }),
        { minLength: 1, maxLength: 9 },
      ),
      fc.integer({ min: -3, max: 3 }),
    ],
    { numRuns: 1000 },
  )("near every kind of rounding tie", (channels, nudge) => {
    const N = channels.length;
    const bias = Int32Array.from(channels, ({ multiplier, shift, k }) => {
      const tie = ((k + 0.5) * 2 ** (31 - shift)) / multiplier;
      return Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(tie) + nudge));
    });
    const params: Qs8GemmParams = {
      weights: new Int8Array(N).fill(1), N, K: 1, bias, inputZeroPoint: 0,
      multiplier: Int32Array.from(channels, (c) => c.multiplier), shift: Int32Array.from(channels, (c) => c.shift),
      outputZeroPoint: 0, qmin: -128, qmax: 127,
    };
    const input = Int8Array.from({ length: 256 }, (_, i) => i - 128);
    const mark = arena.mark();
    try {
      const packed = packQs8Gemm(arena, params);
      const output = arena.alloc("int8", 256 * N);
      qs8Gemm(arena.kernels, packed, int8Buffer(arena, input), 256, output, arena.alloc("int8", qs8GemmScratchSize(packed, 256)));
      const mismatch = firstDifference(readInt8(arena, output), referenceQs8Gemm(input, 256, params));
      expect(mismatch, `first mismatch at row ${Math.floor(mismatch / N)}, channel ${mismatch % N}`).toBe(-1);
    } finally {
      arena.release(mark);
    }
  });

  test("packs the relaxed layout exactly where the build and the weight window allow", async () => {
    expect(await enableNodeRelaxedSimd()).toBe(true);
    const relaxed = new WasmArena(await instantiateKernels("relaxed"));
    for (const [bits, layout] of [[8, 0], [7, 1], [6, 1], [3, 1]] as const) {
      const params = gemmParams(4, 40, style({ weights: { bits, shifted: false } }));
      expect(packQs8Gemm(relaxed, params).layout.relaxed, `${bits}-bit weights, relaxed build`).toBe(layout);
      const mark = arena.mark();
      expect(packQs8Gemm(arena, params).layout.relaxed, `${bits}-bit weights, simd build`).toBe(0);
      arena.release(mark);
    }
  });
});

describe("qs8Gemm rejects bad arguments before writing anything", () => {
  const base = (): Qs8GemmParams => gemmParams(3, 5, style());

  test.each([
    ["weights of the wrong length", { weights: new Int8Array(14) }, ShapeError],
    ["N = 0", { N: 0, weights: new Int8Array(0) }, ShapeError],
    ["K not an integer", { K: 2.5 }, ShapeError],
    ["weights not an Int8Array", { weights: new Uint8Array(15) as unknown as Int8Array }, TypeError],
    ["bias of the wrong length", { bias: new Int32Array(2) }, ShapeError],
    ["bias not an Int32Array", { bias: new Float32Array(3) as unknown as Int32Array }, TypeError],
    ["multiplier of the wrong length", { multiplier: new Int32Array(4) }, ShapeError],
    ["negative multiplier", { multiplier: Int32Array.of(1 << 30, -1, 1 << 30) }, RangeError],
    ["shift 31", { shift: Int32Array.of(0, 31, 0) }, RangeError],
    ["shift -32", { shift: Int32Array.of(-32, 0, 0) }, RangeError],
    ["input zero point 128", { inputZeroPoint: 128 }, RangeError],
    ["output zero point -129", { outputZeroPoint: -129 }, RangeError],
    ["qmin > qmax", { qmin: 10, qmax: 9 }, RangeError],
    ["qmax beyond int8", { qmax: 128 }, RangeError],
  ] as const)("packQs8Gemm: %s", (_name, change, error) => {
    const mark = arena.mark();
    expect(() => packQs8Gemm(arena, { ...base(), ...change })).toThrow(error);
    expect(arena.mark()).toBe(mark);
  });

  type Call = { M: number; input: WasmBuffer; output: WasmBuffer; scratch?: WasmBuffer };
  test.each<[string, (call: Call) => Partial<Call>, ErrorConstructor]>([
    ["M = 0", () => ({ M: 0 }), ShapeError as unknown as ErrorConstructor],
    ["M not an integer", () => ({ M: 1.5 }), ShapeError as unknown as ErrorConstructor],
    ["input too small", ({ input }) => ({ input: { ...input, length: input.length - 1 } }), RangeError],
    ["input of type int32", ({ input }) => ({ input: { ...input, type: "int32" } }), TypeError],
    ["output too small", ({ output }) => ({ output: { ...output, length: output.length - 1 } }), RangeError],
    ["scratch too small", ({ scratch }) => ({ scratch: { ...scratch!, length: scratch!.length - 1 } }), RangeError],
    ["scratch missing", () => ({ scratch: undefined }), TypeError],
    ["output overlapping the input", ({ input }) => ({ output: { ...input, ptr: input.ptr + 1, length: 8 * 3 } }), RangeError],
    ["scratch overlapping the output", ({ output }) => ({ scratch: { ...output, length: 80 } }), RangeError],
  ])("qs8Gemm: %s", (_name, change, error) => {
    const mark = arena.mark();
    try {
      const params = base();
      const packed = packQs8Gemm(arena, params);
      const M = 8;
      const input = int8Buffer(arena, int8Data(M * 5, 9, "uniform"));
      const output = guardedInt8(arena, M * 3);
      const scratch = guardedInt8(arena, qs8GemmScratchSize(packed, M));
      const call = { M, input, output: output.buffer, scratch: scratch.buffer, ...change({ M, input, output: output.buffer, scratch: scratch.buffer }) };
      expect(() => qs8Gemm(arena.kernels, packed, call.input, call.M, call.output, call.scratch)).toThrow(error);
      expect(output.untouched()).toBe(true);
      expect(scratch.untouched()).toBe(true);
    } finally {
      arena.release(mark);
    }
  });

  test("qs8Gemm: weights packed for another kernel instance", async () => {
    const other = await instantiateKernels();
    const mark = arena.mark();
    try {
      const packed = packQs8Gemm(arena, base());
      const input = int8Buffer(arena, new Int8Array(5));
      const output = guardedInt8(arena, 3);
      const scratch = arena.alloc("int8", qs8GemmScratchSize(packed, 1));
      expect(() => qs8Gemm(other, packed, input, 1, output.buffer, scratch)).toThrow(/another kernel instance/);
      expect(output.untouched()).toBe(true);
    } finally {
      arena.release(mark);
    }
  });
});
