import { describe, expect, beforeAll } from "vitest";
import { test, fc } from "@fast-check/vitest";
import type { WasmArena, WasmBuffer } from "../../src/kernels/arena.js";
import {
  packQs8GemmDynamic, qs8GemmDequantize, qs8GemmDequantizeScratchSize, type Qs8GemmDynamicParams,
} from "../../src/kernels/qs8-gemm-dynamic.js";
import { referenceQs8GemmDequantize } from "../../src/reference/qs8-gemm.js";
import { ShapeError } from "../../src/errors.js";
import { freshArena } from "../helpers/wasm.js";
import { int32Stream } from "../helpers/wasm.js";
import {
  firstDifference, guardedInt8, int8Buffer, int8Data, readInt8, weightData, weightStyleArb, zeroPointArb, type DataKind,
  type WeightStyle,
} from "../helpers/qs8.js";
import { bitMismatches } from "./helpers.js";

let arena: WasmArena;
beforeAll(async () => {
  arena = await freshArena();
});

interface DynamicCase {
  readonly inputZeroPoint: number;
  readonly data: DataKind;
  /** Scales m * 2^e with e drawn from [minExponent, minExponent + 40]. */
  readonly minExponent: number;
  readonly bias: "none" | "random" | "zero";
  readonly weights: WeightStyle;
  readonly seed: number;
}

const caseArb: fc.Arbitrary<DynamicCase> = fc.record({
  inputZeroPoint: zeroPointArb,
  data: fc.oneof(
    { weight: 5, arbitrary: fc.constant<DataKind>("uniform") },
    { weight: 1, arbitrary: fc.constantFrom<DataKind>("extreme", "small") },
  ),
  minExponent: fc.constantFrom(-40, -30, -20, -150, 90),
  bias: fc.constantFrom("none", "random", "random", "zero"),
  weights: weightStyleArb,
  seed: fc.integer(),
});

function dynamicCase(overrides: Partial<DynamicCase> = {}): DynamicCase {
  return { inputZeroPoint: 3, data: "uniform", minExponent: -30, bias: "random", weights: { bits: 8, shifted: false }, seed: 7, ...overrides };
}

/** Positive float32 scales over ~40 binades (subnormal products and overflow to Inf included by the exponents). */
function scalesFor(N: number, c: DynamicCase): Float32Array {
  const next = int32Stream(c.seed ^ 0x2545f491);
  return Float32Array.from({ length: N }, () => (1 + (next() >>> 9) / 2 ** 23) * 2 ** (c.minExponent + ((next() >>> 0) % 41)));
}

function biasFor(N: number, c: DynamicCase): Float32Array | null {
  if (c.bias === "none") return null;
  if (c.bias === "zero") return Float32Array.from({ length: N }, (_, n) => (n % 2 ? -0 : 0));
  const next = int32Stream(c.seed ^ 0x68e31da4);
  return Float32Array.from({ length: N }, () => next() * 2 ** -(20 + ((next() >>> 0) % 20)));
}

/** Packs, runs qs8GemmDequantize between guard bytes and compares bits with the reference. */
function checkDynamic(M: number, N: number, K: number, c: DynamicCase): void {
  const params: Qs8GemmDynamicParams = { weights: weightData(N * K, c.seed + 1, c), N, K };
  const input = int8Data(M * K, c.seed + 2, c.data);
  const scales = scalesFor(N, c);
  const bias = biasFor(N, c);
  const mark = arena.mark();
  try {
    const packed = packQs8GemmDynamic(arena, params);
    const inputBuffer = int8Buffer(arena, input);
    const scaleBuffer = arena.from("float32", scales);
    const biasBuffer = bias === null ? null : arena.from("float32", bias);
    const output = guardedInt8(arena, 4 * M * N);
    const outputBuffer: WasmBuffer = { ptr: output.buffer.ptr, length: M * N, type: "float32" };
    const scratch = guardedInt8(arena, qs8GemmDequantizeScratchSize(packed, M));
    qs8GemmDequantize(arena.kernels, packed, inputBuffer, M, c.inputZeroPoint, scaleBuffer, biasBuffer, outputBuffer, scratch.buffer);
    const actual = new Float32Array(arena.kernels.memory.buffer, outputBuffer.ptr, M * N).slice();
    const expected = referenceQs8GemmDequantize(input, M, params, c.inputZeroPoint, scales, bias);
    const bad = bitMismatches(actual, expected);
    expect(bad.length, `first mismatch at [${Math.floor(bad[0] / N)}, ${bad[0] % N}]: ${actual[bad[0]]} vs ${expected[bad[0]]}`).toBe(0);
    expect(output.guardsIntact(), "bytes around the output").toBe(true);
    expect(scratch.guardsIntact(), "bytes around the scratch").toBe(true);
    expect(firstDifference(readInt8(arena, inputBuffer), input), "input changed").toBe(-1);
  } finally {
    arena.release(mark);
  }
}

describe("qs8GemmDequantize matches the scalar reference bit for bit", () => {
  test.prop(
    [fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 72 }), caseArb],
    { numRuns: 1000 },
  )("on random shapes, zero points, scales and biases", (M, N, K, c) => {
    checkDynamic(M, N, K, c);
  });

  const awkwardK = [1, 3, 7, 8, 15, 16, 17, 33];
  const awkwardMN = [[1, 1], [1, 6], [1, 37], [6, 1], [4, 2], [5, 3], [8, 9]] as const;
  test.each(awkwardK.flatMap((K) => awkwardMN.map(([M, N]) => ({ M, N, K }))))(
    "M=$M (batch-1 when 1), N=$N, K=$K (not a multiple of 16)",
    ({ M, N, K }) => {
      checkDynamic(M, N, K, dynamicCase({ seed: M * 1000 + N * 100 + K }));
      checkDynamic(M, N, K, dynamicCase({ seed: K, bias: "none", inputZeroPoint: -128 }));
    },
  );

  test.each([
    { name: "Z_x = -128 with extreme data", c: { inputZeroPoint: -128, data: "extreme" } },
    { name: "Z_x = 127 with extreme data", c: { inputZeroPoint: 127, data: "extreme" } },
    { name: "subnormal scales (products underflow, -0 results)", c: { minExponent: -150, bias: "none" } },
    { name: "huge scales (products overflow to Inf)", c: { minExponent: 90 } },
    { name: "zero bias of both signs", c: { bias: "zero", minExponent: -150 } },
    { name: "6-bit weights (relaxed layout)", c: { weights: { bits: 6, shifted: false }, inputZeroPoint: -128 } },
    { name: "7-bit weights shifted (relaxed layout)", c: { weights: { bits: 7, shifted: true }, data: "extreme" } },
  ] as const)("$name", ({ c }) => {
    for (const [M, N, K] of [[1, 1, 1], [1, 5, 17], [7, 3, 33], [4, 8, 64]]) {
      checkDynamic(M, N, K, dynamicCase({ ...c, seed: M + N + K }));
    }
  });

  test("larger shapes: many row tiles and channel blocks, K in the hundreds", () => {
    checkDynamic(67, 45, 300, dynamicCase({ seed: 1 }));
    checkDynamic(16, 64, 517, dynamicCase({ seed: 2, inputZeroPoint: -77 }));
    checkDynamic(3, 129, 1000, dynamicCase({ seed: 3, bias: "none" }));
  });

  test("accumulators wrap like int32 (K = 70,000 of -128 * (127 - -128))", () => {
    const K = 70_000;
    const params: Qs8GemmDynamicParams = { weights: new Int8Array(2 * K).fill(-128), N: 2, K };
    const input = new Int8Array(K).fill(127);
    const mark = arena.mark();
    try {
      const packed = packQs8GemmDynamic(arena, params);
      const output = arena.alloc("float32", 2);
      qs8GemmDequantize(
        arena.kernels, packed, arena.from("int8", input), 1, -128, arena.from("float32", [1, 0.5]), null, output,
        arena.alloc("int8", qs8GemmDequantizeScratchSize(packed, 1)),
      );
      const wrapped = (K * -128 * 255) | 0;
      expect(wrapped).toBeGreaterThan(0);
      expect(Array.from(arena.view(output))).toEqual([Math.fround(wrapped), Math.fround(wrapped * 0.5)]);
      expect(arena.view(output)).toEqual(referenceQs8GemmDequantize(input, 1, params, -128, Float32Array.of(1, 0.5), null));
    } finally {
      arena.release(mark);
    }
  });
});

describe("qs8GemmDequantize rejects bad arguments before writing anything", () => {
  const params = (): Qs8GemmDynamicParams => ({ weights: int8Data(15, 1, "uniform"), N: 3, K: 5 });

  test.each([
    ["weights of the wrong length", { weights: new Int8Array(14) }, ShapeError],
    ["N = 0", { N: 0, weights: new Int8Array(0) }, ShapeError],
    ["K not an integer", { K: 2.5 }, ShapeError],
    ["weights not an Int8Array", { weights: new Uint8Array(15) as unknown as Int8Array }, TypeError],
  ] as const)("packQs8GemmDynamic: %s", (_name, change, error) => {
    const mark = arena.mark();
    expect(() => packQs8GemmDynamic(arena, { ...params(), ...change })).toThrow(error);
    expect(arena.mark()).toBe(mark);
  });

  interface Call {
    M: number; zeroPoint: number; input: WasmBuffer; scales: WasmBuffer; bias: WasmBuffer | null; output: WasmBuffer; scratch: WasmBuffer;
  }
  test.each<[string, (call: Call) => Partial<Call>, ErrorConstructor]>([
    ["M = 0", () => ({ M: 0 }), ShapeError as unknown as ErrorConstructor],
    ["zero point 128", () => ({ zeroPoint: 128 }), RangeError],
    ["zero point 1.5", () => ({ zeroPoint: 1.5 }), RangeError],
    ["input too small", ({ input }) => ({ input: { ...input, length: input.length - 1 } }), RangeError],
    ["scales too short", ({ scales }) => ({ scales: { ...scales, length: 2 } }), RangeError],
    ["scales of type int32", ({ scales }) => ({ scales: { ...scales, type: "int32" } }), TypeError],
    ["bias too short", ({ bias }) => ({ bias: { ...bias!, length: 2 } }), RangeError],
    ["bias at address 0", ({ bias }) => ({ bias: { ...bias!, ptr: 0 } }), RangeError],
    ["output of type int8", ({ output }) => ({ output: { ...output, type: "int8" } }), TypeError],
    ["output too small", ({ output }) => ({ output: { ...output, length: output.length - 1 } }), RangeError],
    ["scratch too small", ({ scratch }) => ({ scratch: { ...scratch, length: scratch.length - 1 } }), RangeError],
    ["output overlapping the scales", ({ scales }) => ({ output: { ...scales, length: 24 } }), RangeError],
    ["scratch overlapping the output", ({ output }) => ({ scratch: { ...output, type: "int8", length: 80 } }), RangeError],
  ])("qs8GemmDequantize: %s", (_name, change, error) => {
    const mark = arena.mark();
    try {
      const packed = packQs8GemmDynamic(arena, params());
      const M = 8;
      const output = guardedInt8(arena, 4 * M * 3);
      const scratch = guardedInt8(arena, qs8GemmDequantizeScratchSize(packed, M));
      const base: Call = {
        M, zeroPoint: 0, input: int8Buffer(arena, int8Data(M * 5, 9, "uniform")), scales: arena.from("float32", [1, 2, 3]),
        bias: arena.from("float32", [1, 2, 3]), output: { ptr: output.buffer.ptr, length: M * 3, type: "float32" }, scratch: scratch.buffer,
      };
      const call = { ...base, ...change(base) };
      expect(() => qs8GemmDequantize(arena.kernels, packed, call.input, call.M, call.zeroPoint, call.scales, call.bias, call.output, call.scratch))
        .toThrow(error);
      expect(output.untouched()).toBe(true);
      expect(scratch.untouched()).toBe(true);
    } finally {
      arena.release(mark);
    }
  });
});
