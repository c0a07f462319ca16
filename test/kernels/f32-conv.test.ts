import { beforeAll, describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import type { WasmArena, WasmBuffer } from "../../src/kernels/arena.js";
import { f32Conv2d, f32Conv2dScratchSize, packF32Conv2d } from "../../src/kernels/f32-conv.js";
import { conv2dOutputHW, type Conv2dShape } from "../../src/kernels/shapes.js";
import { f32Conv2dReference } from "../../src/reference/f32-conv.js";
import { ShapeError } from "../../src/errors.js";
import { freshArena } from "../helpers/wasm.js";
import { GuardedOutput, abs, describeMismatch, firstOutOfTolerance, randomFloats } from "../helpers/f32.js";

let arena: WasmArena;
beforeAll(async () => {
  arena = await freshArena();
});

const CLAMPS = { none: [-Infinity, Infinity], relu: [0, Infinity], relu6: [0, 6] } as const;
type ClampName = keyof typeof CLAMPS;

interface ConvCase {
  shape: Conv2dShape;
  withBias: boolean;
  clamp: ClampName;
  seed: number;
}

/**
 * Runs kernel and reference on one case; returns the first problem or "". The kernels sum in
 * float32 in another order than the float64 reference, so each element may differ by
 * 1e-5 * (sum |x*w| + |bias|) + 1e-6, the bound computed by the reference on absolute values.
 */
function checkConv({ shape, withBias, clamp, seed }: ConvCase, expectedKind?: "gemm" | "depthwise"): string {
  const { batch, inH, inW, inC, outC, kernelH, kernelW, groups } = shape;
  const { outH, outW } = conv2dOutputHW(shape);
  const x = randomFloats(batch * inH * inW * inC, seed);
  const w = randomFloats(outC * (inC / groups) * kernelH * kernelW, seed + 1);
  const bias = withBias ? randomFloats(outC, seed + 2) : null;
  const [clampMin, clampMax] = CLAMPS[clamp];
  const wCopy = w.slice();
  const mark = arena.mark();
  try {
    const packed = packF32Conv2d(arena, {
      weights: w, outC, inCPerGroup: inC / groups, kernelH, kernelW, groups, bias, clampMin, clampMax,
    });
    if (expectedKind && packed.kind !== expectedKind) return `packed as ${packed.kind}`;
    const scratchSize = f32Conv2dScratchSize(packed, shape);
    const scratch = scratchSize > 0 ? arena.alloc("float32", scratchSize) : null;
    const input = arena.from("float32", x);
    const output = new GuardedOutput(arena, batch * outH * outW * outC);
    f32Conv2d(arena.kernels, packed, shape, input, output.buffer, scratch);
    const actual = output.values();
    const expected = f32Conv2dReference(x, shape, { weights: w, bias, clampMin, clampMax });
    const magnitude = f32Conv2dReference(abs(x), shape, { weights: abs(w), bias: bias && abs(bias) });
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

/** A shape from loose parameters, with the input grown until the dilated kernel fits the padded input. */
function makeShape(p: Omit<Conv2dShape, "inC" | "outC"> & { groupC: number; groupOutC: number }): Conv2dShape {
  const { groupC, groupOutC, ...rest } = p;
  const extentH = p.dilationH * (p.kernelH - 1) + 1;
  const extentW = p.dilationW * (p.kernelW - 1) + 1;
  return {
    ...rest,
    inC: groupC * p.groups,
    outC: groupOutC * p.groups,
    inH: Math.max(p.inH, extentH - p.padTop - p.padBottom),
    inW: Math.max(p.inW, extentW - p.padLeft - p.padRight),
  };
}

const spatial = {
  batch: fc.integer({ min: 1, max: 2 }),
  inH: fc.integer({ min: 1, max: 9 }),
  inW: fc.integer({ min: 1, max: 9 }),
  kernelH: fc.integer({ min: 1, max: 4 }),
  kernelW: fc.integer({ min: 1, max: 4 }),
  strideH: fc.integer({ min: 1, max: 3 }),
  strideW: fc.integer({ min: 1, max: 3 }),
  dilationH: fc.integer({ min: 1, max: 3 }),
  dilationW: fc.integer({ min: 1, max: 3 }),
  padTop: fc.integer({ min: 0, max: 4 }),
  padLeft: fc.integer({ min: 0, max: 4 }),
  padBottom: fc.integer({ min: 0, max: 4 }),
  padRight: fc.integer({ min: 0, max: 4 }),
};
const common = {
  withBias: fc.boolean(),
  clamp: fc.constantFrom<ClampName>("none", "relu", "relu6"),
  seed: fc.integer(),
};

describe("f32Conv2d agrees with the reference", () => {
  test.prop(
    {
      ...common,
      params: fc.record({
        ...spatial,
        groups: fc.integer({ min: 1, max: 3 }),
        groupC: fc.integer({ min: 1, max: 6 }),
        groupOutC: fc.integer({ min: 1, max: 11 }),
      }),
    },
    { numRuns: 1000 },
  )("general and grouped convolutions", ({ params, ...rest }) => {
    expect(checkConv({ shape: makeShape(params), ...rest })).toBe("");
  });

  test.prop(
    {
      ...common,
      params: fc.record({
        ...spatial,
        kernelH: fc.integer({ min: 1, max: 5 }),
        kernelW: fc.integer({ min: 1, max: 5 }),
        groups: fc.integer({ min: 2, max: 40 }),
        groupC: fc.constant(1),
        groupOutC: fc.integer({ min: 1, max: 3 }),
      }),
    },
    { numRuns: 1000 },
  )("depthwise convolutions (channel multiplier 1..3)", ({ params, ...rest }) => {
    expect(checkConv({ shape: makeShape(params), ...rest }, "depthwise")).toBe("");
  });

  test.prop(
    {
      ...common,
      batch: fc.integer({ min: 1, max: 3 }),
      inH: fc.integer({ min: 1, max: 8 }),
      inW: fc.integer({ min: 1, max: 8 }),
      groups: fc.integer({ min: 1, max: 3 }),
      groupC: fc.integer({ min: 1, max: 40 }),
      groupOutC: fc.integer({ min: 1, max: 20 }),
    },
    { numRuns: 300 },
  )("pointwise convolutions (direct GEMM, no scratch)", ({ withBias, clamp, seed, ...p }) => {
    const shape = makeShape({
      ...p, kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
      padTop: 0, padLeft: 0, padBottom: 0, padRight: 0,
    });
    expect(checkConv({ shape, withBias, clamp, seed })).toBe("");
  });

  const base = {
    batch: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
    padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, groups: 1,
  };
  const awkward: [string, Conv2dShape][] = [
    ["RGB input, 3x3 pad 1", { ...base, inH: 7, inW: 6, inC: 3, outC: 8, kernelH: 3, kernelW: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 }],
    ["one input channel to 32 (5x5, MNIST first layer)", { ...base, inH: 28, inW: 28, inC: 1, outC: 32, kernelH: 5, kernelW: 5 }],
    ["one channel in, one out", { ...base, inH: 5, inW: 4, inC: 1, outC: 1, kernelH: 2, kernelW: 3 }],
    ["1x1 output (kernel covers the input)", { ...base, batch: 3, inH: 4, inW: 5, inC: 6, outC: 9, kernelH: 4, kernelW: 5 }],
    ["padding larger than the kernel", { ...base, inH: 3, inW: 2, inC: 2, outC: 5, kernelH: 2, kernelW: 2, padTop: 3, padLeft: 4, padBottom: 3, padRight: 2 }],
    ["asymmetric padding", { ...base, inH: 6, inW: 6, inC: 4, outC: 4, kernelH: 3, kernelW: 3, padTop: 0, padLeft: 2, padBottom: 1, padRight: 0 }],
    ["dilation 2 and 3, stride 2", { ...base, inH: 11, inW: 12, inC: 5, outC: 7, kernelH: 3, kernelW: 3, dilationH: 2, dilationW: 3, strideH: 2, strideW: 2, padTop: 2, padLeft: 1, padBottom: 2, padRight: 3 }],
    ["groups 2", { ...base, inH: 5, inW: 5, inC: 6, outC: 10, kernelH: 3, kernelW: 3, groups: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 }],
    ["groups 4, stride 2", { ...base, batch: 2, inH: 8, inW: 7, inC: 8, outC: 12, kernelH: 3, kernelW: 2, groups: 4, strideH: 2, strideW: 2 }],
    ["1x1 stride 2 (unfolded, not direct)", { ...base, inH: 7, inW: 7, inC: 9, outC: 10, kernelH: 1, kernelW: 1, strideH: 2, strideW: 2 }],
    ["1x1 padded", { ...base, inH: 3, inW: 3, inC: 3, outC: 3, kernelH: 1, kernelW: 1, padTop: 1, padRight: 2 }],
    ["K = 576 in several unfolded blocks", { ...base, inH: 10, inW: 10, inC: 64, outC: 8, kernelH: 3, kernelW: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 }],
    ["K = 4608, 4-row blocks", { ...base, inH: 3, inW: 5, inC: 512, outC: 9, kernelH: 3, kernelW: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 }],
    ["depthwise 3x3, 17 channels (16 + 1)", { ...base, inH: 6, inW: 5, inC: 17, outC: 17, kernelH: 3, kernelW: 3, groups: 17, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 }],
    ["depthwise 20 channels (16 + 4), stride 2", { ...base, batch: 2, inH: 9, inW: 9, inC: 20, outC: 20, kernelH: 3, kernelW: 3, groups: 20, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 }],
    ["depthwise 3 channels, multiplier 4", { ...base, inH: 5, inW: 6, inC: 3, outC: 12, kernelH: 3, kernelW: 2, groups: 3, padTop: 2, padLeft: 0, padBottom: 1, padRight: 1 }],
    ["depthwise with padding larger than the kernel, dilation 2", { ...base, inH: 2, inW: 3, inC: 5, outC: 5, kernelH: 2, kernelW: 2, groups: 5, dilationH: 2, dilationW: 2, padTop: 3, padLeft: 3, padBottom: 3, padRight: 3 }],
  ];
  test.each(awkward)("%s", (_name, shape) => {
    for (const clamp of ["none", "relu6"] as const) {
      expect(checkConv({ shape, withBias: true, clamp, seed: shape.inH * 131 + shape.outC })).toBe("");
    }
    expect(checkConv({ shape, withBias: false, clamp: "relu", seed: 17 })).toBe("");
  });
});

describe("f32Conv2d rejects bad arguments", () => {
  const shape: Conv2dShape = {
    batch: 1, inH: 5, inW: 5, inC: 4, outC: 6, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1,
    dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 2,
  };
  const params = {
    weights: new Float32Array(6 * 2 * 9), outC: 6, inCPerGroup: 2, kernelH: 3, kernelW: 3, groups: 2, bias: null,
  };

  test("packing", () => {
    expect(() => packF32Conv2d(arena, { ...params, weights: new Float32Array(10) })).toThrow(ShapeError);
    expect(() => packF32Conv2d(arena, { ...params, weights: [] as unknown as Float32Array })).toThrow(TypeError);
    expect(() => packF32Conv2d(arena, { ...params, groups: 4 })).toThrow(/divisible by groups/);
    expect(() => packF32Conv2d(arena, { ...params, kernelH: 0 })).toThrow(ShapeError);
    expect(() => packF32Conv2d(arena, { ...params, bias: new Float32Array(5) })).toThrow(ShapeError);
    expect(() => packF32Conv2d(arena, { ...params, clampMin: 6, clampMax: 0 })).toThrow(RangeError);
  });

  test("calling", () => {
    const mark = arena.mark();
    const packed = packF32Conv2d(arena, params);
    const scratchSize = f32Conv2dScratchSize(packed, shape);
    expect(scratchSize).toBeGreaterThan(0);
    const input = arena.alloc("float32", 5 * 5 * 4);
    const output = new GuardedOutput(arena, 5 * 5 * 6);
    const scratch = arena.alloc("float32", scratchSize);
    const call = (s: Conv2dShape, i: WasmBuffer = input, o: WasmBuffer = output.buffer, sc: WasmBuffer | null = scratch) =>
      f32Conv2d(arena.kernels, packed, s, i, o, sc);
    expect(() => call({ ...shape, inC: 6 })).toThrow(/inC is 6 but the weights were packed for 4/);
    expect(() => call({ ...shape, kernelW: 2 })).toThrow(ShapeError);
    expect(() => call({ ...shape, groups: 1 })).toThrow(ShapeError);
    expect(() => call({ ...shape, padTop: -1 })).toThrow(ShapeError);
    expect(() => call({ ...shape, inH: 1, padTop: 0, padBottom: 0 })).toThrow(/output would be/);
    expect(() => call({ ...shape, batch: 2 })).toThrow(/input holds 100 float32 elements, needs 200/);
    expect(() => call(shape, input, { ...output.buffer, length: 149 })).toThrow(RangeError);
    expect(() => call(shape, input, output.buffer, null)).toThrow(/needs \d+ floats of scratch/);
    expect(() => call(shape, input, output.buffer, { ...scratch, length: scratchSize - 1 })).toThrow(RangeError);
    expect(() => call(shape, input, output.buffer, { ...output.buffer, length: scratchSize })).toThrow(/scratch overlaps output/);
    expect(() => call(shape, input, { ...input, length: 150 })).toThrow(/output overlaps input/);
    expect(output.values().every(Number.isNaN)).toBe(true);
    expect(output.guardsIntact()).toBe(true);
    arena.release(mark);
  });

  test("scratch sizes: none for pointwise, widened input for depthwise multipliers", () => {
    const mark = arena.mark();
    const pointwise = packF32Conv2d(arena, { ...params, kernelH: 1, kernelW: 1, weights: new Float32Array(12) });
    const flat = { ...shape, kernelH: 1, kernelW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 };
    expect(f32Conv2dScratchSize(pointwise, flat)).toBe(0);
    expect(f32Conv2dScratchSize(pointwise, { ...flat, padTop: 1 })).toBeGreaterThan(0);
    const depthwise = packF32Conv2d(arena, { ...params, inCPerGroup: 1, groups: 3, weights: new Float32Array(6 * 9) });
    expect(depthwise.kind).toBe("depthwise");
    expect(f32Conv2dScratchSize(depthwise, { ...shape, inC: 3, groups: 3 })).toBe(5 * 5 * 6);
    const plain = packF32Conv2d(arena, { ...params, outC: 3, inCPerGroup: 1, groups: 3, weights: new Float32Array(27) });
    expect(f32Conv2dScratchSize(plain, { ...shape, inC: 3, outC: 3, groups: 3 })).toBe(0);
    arena.release(mark);
  });
});
