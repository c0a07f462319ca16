import { beforeAll, describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import type { WasmArena } from "../../src/kernels/arena.js";
import { f32AvgPool2d, f32GlobalAvgPool, f32MaxPool2d } from "../../src/kernels/f32-pool.js";
import type { Pool2dShape } from "../../src/kernels/shapes.js";
import { f32AvgPool2dReference, f32GlobalAvgPoolReference, f32MaxPool2dReference } from "../../src/reference/f32-pool.js";
import { ShapeError } from "../../src/errors.js";
import { freshArena } from "../helpers/wasm.js";
import {
  GuardedOutput, abs, describeMismatch, firstDifference, firstOutOfTolerance, randomFloats,
} from "../helpers/f32.js";

let arena: WasmArena;
beforeAll(async () => {
  arena = await freshArena();
});

type Pool = "max" | "avg" | "avg-include-pad";

/**
 * Runs kernel and reference; returns the first problem or "". Max pooling must match exactly
 * (signed zeros included). Averages are summed in float32 by the kernel and in float64 by the
 * reference, so they may differ by 1e-6 relative to the window's mean |x| (plus 1e-12 for all-zero windows).
 */
function checkPool(pool: Pool, shape: Pool2dShape, seed: number): string {
  const { batch, inH, inW, channels, outH, outW } = shape;
  const x = randomFloats(batch * inH * inW * channels, seed, 4);
  const mark = arena.mark();
  try {
    const input = arena.from("float32", x);
    const output = new GuardedOutput(arena, batch * outH * outW * channels);
    let expected: Float32Array;
    let bad: number;
    if (pool === "max") {
      f32MaxPool2d(arena.kernels, shape, input, output.buffer);
      expected = f32MaxPool2dReference(x, shape);
      bad = firstDifference(output.values(), expected);
    } else {
      const includePad = pool === "avg-include-pad";
      f32AvgPool2d(arena.kernels, shape, includePad, input, output.buffer);
      expected = f32AvgPool2dReference(x, shape, includePad);
      const meanAbs = f32AvgPool2dReference(abs(x), shape, includePad);
      bad = firstOutOfTolerance(output.values(), expected, (i) => 1e-6 * meanAbs[i] + 1e-12);
    }
    if (bad >= 0) return describeMismatch(bad, output.values(), expected);
    if (!output.guardsIntact()) return "wrote outside the output";
    if (!arena.view(input).every((v, i) => Object.is(v, x[i]))) return "modified the input";
    return "";
  } finally {
    arena.release(mark);
  }
}

function outputSize(input: number, kernel: number, stride: number, dilation: number, padding: number, ceil: boolean): number {
  const span = input + padding - dilation * (kernel - 1) - 1;
  return (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
}

interface LooseShape extends Omit<Pool2dShape, "outH" | "outW"> {
  ceilMode: boolean;
}

/** A valid shape: the input grown until the dilated window fits the padded input, outH/outW by floor or ceil mode. */
function makeShape({ ceilMode, ...p }: LooseShape): Pool2dShape {
  const inH = Math.max(p.inH, p.dilationH * (p.kernelH - 1) + 1 - p.padTop - p.padBottom);
  const inW = Math.max(p.inW, p.dilationW * (p.kernelW - 1) + 1 - p.padLeft - p.padRight);
  return {
    ...p, inH, inW,
    outH: outputSize(inH, p.kernelH, p.strideH, p.dilationH, p.padTop + p.padBottom, ceilMode),
    outW: outputSize(inW, p.kernelW, p.strideW, p.dilationW, p.padLeft + p.padRight, ceilMode),
  };
}

const looseShape = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  inH: fc.integer({ min: 1, max: 9 }),
  inW: fc.integer({ min: 1, max: 9 }),
  channels: fc.integer({ min: 1, max: 40 }),
  kernelH: fc.integer({ min: 1, max: 4 }),
  kernelW: fc.integer({ min: 1, max: 4 }),
  strideH: fc.integer({ min: 1, max: 3 }),
  strideW: fc.integer({ min: 1, max: 3 }),
  dilationH: fc.integer({ min: 1, max: 2 }),
  dilationW: fc.integer({ min: 1, max: 2 }),
  padTop: fc.integer({ min: 0, max: 3 }),
  padLeft: fc.integer({ min: 0, max: 3 }),
  padBottom: fc.integer({ min: 0, max: 3 }),
  padRight: fc.integer({ min: 0, max: 3 }),
  ceilMode: fc.boolean(),
});

const base = {
  batch: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
  padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, ceilMode: false,
};
const awkward: [string, Pool2dShape][] = [
  ["1x1 output, one channel", makeShape({ ...base, inH: 3, inW: 4, channels: 1, kernelH: 3, kernelW: 4 })],
  ["three channels, 2x2 stride 2", makeShape({ ...base, batch: 2, inH: 6, inW: 5, channels: 3, kernelH: 2, kernelW: 2, strideH: 2, strideW: 2 })],
  ["padding larger than the kernel", makeShape({ ...base, inH: 2, inW: 3, channels: 5, kernelH: 2, kernelW: 1, padTop: 3, padLeft: 2, padBottom: 3, padRight: 2 })],
  ["asymmetric padding, ceil mode", makeShape({ ...base, inH: 7, inW: 6, channels: 20, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padTop: 1, padRight: 1, ceilMode: true })],
  ["dilation 2, 17 channels", makeShape({ ...base, inH: 8, inW: 8, channels: 17, kernelH: 3, kernelW: 2, dilationH: 2, dilationW: 2, padTop: 1, padBottom: 1 })],
  ["64 channels, 3x3 stride 2 pad 1", makeShape({ ...base, inH: 9, inW: 9, channels: 64, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 })],
];

describe("pooling agrees with the reference", () => {
  test.prop([looseShape, fc.integer()], { numRuns: 1000 })("max pool", (loose, seed) => {
    expect(checkPool("max", makeShape(loose), seed)).toBe("");
  });

  test.prop([looseShape, fc.boolean(), fc.integer()], { numRuns: 1000 })("average pool", (loose, includePad, seed) => {
    expect(checkPool(includePad ? "avg-include-pad" : "avg", makeShape(loose), seed)).toBe("");
  });

  test.each(awkward)("%s", (_name, shape) => {
    for (const pool of ["max", "avg", "avg-include-pad"] as const) expect(checkPool(pool, shape, shape.channels)).toBe("");
  });

  test.prop(
    [
      fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 14 }), fc.integer({ min: 1, max: 14 }),
      fc.integer({ min: 1, max: 40 }), fc.integer(),
    ],
    { numRuns: 1000 },
  )("global average pool", (batch, H, W, C, seed) => {
    const x = randomFloats(batch * H * W * C, seed, 4);
    const mark = arena.mark();
    const input = arena.from("float32", x);
    const output = new GuardedOutput(arena, batch * C);
    f32GlobalAvgPool(arena.kernels, batch, H, W, C, input, output.buffer);
    const actual = output.values();
    const expected = f32GlobalAvgPoolReference(x, batch, H, W, C);
    const meanAbs = f32GlobalAvgPoolReference(abs(x), batch, H, W, C);
    const bad = firstOutOfTolerance(actual, expected, (i) => 1e-6 * meanAbs[i] + 1e-12);
    expect(describeMismatch(bad, actual, expected)).toBe("");
    expect(output.guardsIntact()).toBe(true);
    expect(arena.view(input).every((v, i) => Object.is(v, x[i]))).toBe(true);
    arena.release(mark);
  });
});

describe("pooling by hand", () => {
  function run(pool: Pool, shape: Pool2dShape, x: number[]): number[] {
    const mark = arena.mark();
    const input = arena.from("float32", x);
    const output = arena.alloc("float32", shape.batch * shape.outH * shape.outW * shape.channels);
    if (pool === "max") f32MaxPool2d(arena.kernels, shape, input, output);
    else f32AvgPool2d(arena.kernels, shape, pool === "avg-include-pad", input, output);
    const result = Array.from(arena.view(output));
    arena.release(mark);
    return result;
  }
  const one = { batch: 1, channels: 1, dilationH: 1, dilationW: 1 };

  test("ONNX averagepool_2d_ceil: 4x4, 3x3 window, stride 2, ceil mode", () => {
    const shape: Pool2dShape = {
      ...one, inH: 4, inW: 4, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
      padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, outH: 2, outW: 2,
    };
    const x = Array.from({ length: 16 }, (_, i) => i + 1);
    expect(run("avg", shape, x)).toEqual([6, 7.5, 12, 13.5]);
    expect(run("avg-include-pad", shape, x)).toEqual([6, 7.5, 12, 13.5]);
    expect(run("max", shape, x)).toEqual([11, 12, 15, 16]);
  });

  test("count_include_pad counts the padding, never what lies past it", () => {
    // 2x2 input, 2x2 window, padding 1 on all sides: corner windows see one input value.
    const shape: Pool2dShape = {
      ...one, inH: 2, inW: 2, kernelH: 2, kernelW: 2, strideH: 1, strideW: 1,
      padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, outH: 3, outW: 3,
    };
    const x = [1, 2, 3, 4];
    expect(run("avg", shape, x)).toEqual([1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
    expect(run("avg-include-pad", shape, x)).toEqual([0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1]);
    // Ceil mode: a 3x3 window with stride 2 over a 3x3 input padded by 1 at the bottom/right gives
    // 2x2 outputs; the last window spans rows/cols 2..4, where 3 is padding and 4 lies past it.
    const ceil: Pool2dShape = {
      ...one, inH: 3, inW: 3, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
      padTop: 0, padLeft: 0, padBottom: 1, padRight: 1, outH: 2, outW: 2,
    };
    const nine = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(run("avg", ceil, nine)).toEqual([5, 6, 8, 9]);
    expect(run("avg-include-pad", ceil, nine)).toEqual([5, 18 / 6, 24 / 6, 9 / 4]);
  });

  test("a max-pool window of padding only gives -Infinity; an empty average gives 0", () => {
    const shape: Pool2dShape = {
      ...one, inH: 1, inW: 1, kernelH: 1, kernelW: 1, strideH: 1, strideW: 1,
      padTop: 1, padLeft: 0, padBottom: 1, padRight: 0, outH: 3, outW: 1,
    };
    expect(run("max", shape, [5])).toEqual([-Infinity, 5, -Infinity]);
    expect(run("avg", shape, [5])).toEqual([0, 5, 0]);
    expect(run("avg-include-pad", shape, [5])).toEqual([0, 5, 0]);
  });
});

describe("pooling rejects bad arguments", () => {
  const shape: Pool2dShape = {
    batch: 1, inH: 5, inW: 5, channels: 3, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
    dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, outH: 3, outW: 3,
  };

  test("shapes and buffers", () => {
    const mark = arena.mark();
    const input = arena.alloc("float32", 75);
    const output = new GuardedOutput(arena, 27);
    const max = (s: Pool2dShape, o = output.buffer) => f32MaxPool2d(arena.kernels, s, input, o);
    expect(() => max({ ...shape, outH: 4 })).toThrow(/outH 4 is impossible/);
    expect(() => max({ ...shape, outW: 1 })).toThrow(ShapeError);
    expect(() => max({ ...shape, kernelH: 8 })).toThrow(/exceeds the padded input/);
    expect(() => max({ ...shape, channels: 0 })).toThrow(ShapeError);
    expect(() => max({ ...shape, padTop: -1 })).toThrow(ShapeError);
    expect(() => max({ ...shape, strideW: 1.5 })).toThrow(ShapeError);
    expect(() => max({ ...shape, batch: 2 })).toThrow(/input holds 75 float32 elements, needs 150/);
    expect(() => max(shape, { ...output.buffer, length: 26 })).toThrow(RangeError);
    expect(() => max(shape, { ...input, length: 27 })).toThrow(/output overlaps input/);
    expect(() => f32AvgPool2d(arena.kernels, shape, 1 as unknown as boolean, input, output.buffer)).toThrow(TypeError);
    expect(() => f32AvgPool2d(arena.kernels, { ...shape, inH: 1 }, true, input, output.buffer)).toThrow(ShapeError);
    expect(() => f32GlobalAvgPool(arena.kernels, 1, 5, 5, 0, input, output.buffer)).toThrow(ShapeError);
    expect(() => f32GlobalAvgPool(arena.kernels, 1, 5, 6, 3, input, output.buffer)).toThrow(RangeError);
    expect(() => f32GlobalAvgPool(arena.kernels, 1, 5, 5, 3, input, { ...output.buffer, length: 2 })).toThrow(RangeError);
    expect(() => f32GlobalAvgPool(arena.kernels, 1, 5, 5, 3, input, { ...input, type: "int32" })).toThrow(TypeError);
    expect(output.values().every(Number.isNaN)).toBe(true);
    expect(output.guardsIntact()).toBe(true);
    arena.release(mark);
  });
});
