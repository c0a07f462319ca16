import { describe, expect, beforeAll } from "vitest";
import { test, fc } from "@fast-check/vitest";
import type { WasmArena } from "../../src/kernels/arena.js";
import {
  prepareQs8AvgPool2d, prepareQs8GlobalAvgPool, qs8AvgPool2d, qs8GlobalAvgPool, qs8MaxPool2d,
  type AvgPoolQuantization, type GlobalPoolShape,
} from "../../src/kernels/qs8-pool.js";
import { convOutputSize, type Pool2dShape } from "../../src/kernels/shapes.js";
import {
  referenceQs8AvgPool2d, referenceQs8GlobalAvgPool, referenceQs8MaxPool2d,
  type AvgPoolReferenceQuantization,
} from "../../src/reference/qs8-pool.js";
import { QuantizationError, ShapeError } from "../../src/errors.js";
import { freshArena } from "../helpers/wasm.js";
import { int8Data, int8Range, mismatches, scale, scratch, zeroPoint } from "./helpers.js";

let arena: WasmArena;
beforeAll(async () => {
  arena = await freshArena();
});

const ceilSize = (input: number, k: number, s: number, d: number, p0: number, p1: number) =>
  Math.ceil((input + p0 + p1 - d * (k - 1) - 1) / s) + 1;

/** A pooling shape with the floor- or ceil-mode output size; the input is grown until a window fits. */
function poolShape(p: {
  batch: number; inH: number; inW: number; channels: number; kernelH: number; kernelW: number;
  strideH: number; strideW: number; dilationH: number; dilationW: number;
  padTop: number; padLeft: number; padBottom: number; padRight: number; ceilMode: boolean;
}): Pool2dShape {
  const inH = Math.max(p.inH, p.dilationH * (p.kernelH - 1) + 1 - p.padTop - p.padBottom);
  const inW = Math.max(p.inW, p.dilationW * (p.kernelW - 1) + 1 - p.padLeft - p.padRight);
  const size = p.ceilMode ? ceilSize : convOutputSize;
  const { ceilMode: _, ...rest } = p;
  return {
    ...rest, inH, inW,
    outH: size(inH, p.kernelH, p.strideH, p.dilationH, p.padTop, p.padBottom),
    outW: size(inW, p.kernelW, p.strideW, p.dilationW, p.padLeft, p.padRight),
  };
}

const shapes: fc.Arbitrary<Pool2dShape> = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  inH: fc.integer({ min: 1, max: 9 }),
  inW: fc.integer({ min: 1, max: 9 }),
  channels: fc.oneof(fc.constantFrom(1, 3, 8, 16, 24), fc.integer({ min: 1, max: 40 })),
  kernelH: fc.integer({ min: 1, max: 4 }),
  kernelW: fc.integer({ min: 1, max: 4 }),
  strideH: fc.integer({ min: 1, max: 3 }),
  strideW: fc.integer({ min: 1, max: 3 }),
  dilationH: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 3 })),
  dilationW: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 3 })),
  padTop: fc.integer({ min: 0, max: 5 }),
  padLeft: fc.integer({ min: 0, max: 5 }),
  padBottom: fc.integer({ min: 0, max: 5 }),
  padRight: fc.integer({ min: 0, max: 5 }),
  ceilMode: fc.boolean(),
}).map(poolShape);

const base = {
  batch: 1, inH: 5, inW: 5, channels: 3, kernelH: 2, kernelW: 2, strideH: 1, strideW: 1,
  dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, ceilMode: false,
};

/** The awkward shapes named in the brief, each run by every pooling test. */
const EXPLICIT: Pool2dShape[] = [
  poolShape({ ...base, channels: 1 }),
  poolShape({ ...base, channels: 3, kernelH: 5, kernelW: 5 }), // 1x1 output
  poolShape({ ...base, channels: 17, inH: 3, inW: 4, kernelH: 2, kernelW: 2, padTop: 5, padLeft: 4, padBottom: 6, padRight: 5 }),
  poolShape({ ...base, channels: 40, inH: 7, inW: 7, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, ceilMode: true }),
  poolShape({ ...base, channels: 8, inH: 6, inW: 9, kernelH: 3, kernelW: 2, strideH: 3, strideW: 4, dilationH: 2, dilationW: 3, padBottom: 4, ceilMode: true }),
  poolShape({ ...base, batch: 2, channels: 64, inH: 4, inW: 4, kernelH: 4, kernelW: 4 }),
  poolShape({ ...base, channels: 24, inH: 1, inW: 1, kernelH: 3, kernelW: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 }),
];

const inputLength = (s: Pool2dShape) => s.batch * s.inH * s.inW * s.channels;
const outputLength = (s: Pool2dShape) => s.batch * s.outH * s.outW * s.channels;

function maxPool(x: Int8Array, shape: Pool2dShape, qmin: number, qmax: number): Int8Array {
  return scratch(arena, () => {
    const out = arena.alloc("int8", outputLength(shape));
    const input = arena.from("int8", x);
    qs8MaxPool2d(arena.kernels, input, shape, { qmin, qmax }, out);
    expect(mismatches(arena.view(input), x)).toEqual([]);
    return arena.view(out).slice();
  });
}

function avgPool(x: Int8Array, shape: Pool2dShape, countIncludePad: boolean, quant: AvgPoolQuantization): Int8Array {
  return scratch(arena, () => {
    const params = prepareQs8AvgPool2d(arena, shape, countIncludePad, quant);
    const out = arena.alloc("int8", outputLength(shape));
    const input = arena.from("int8", x);
    qs8AvgPool2d(arena.kernels, input, params, out);
    expect(mismatches(arena.view(input), x)).toEqual([]);
    return arena.view(out).slice();
  });
}

function globalAvgPool(x: Int8Array, shape: GlobalPoolShape, quant: AvgPoolQuantization): Int8Array {
  return scratch(arena, () => {
    const params = prepareQs8GlobalAvgPool(shape, quant);
    const out = arena.alloc("int8", shape.batch * shape.channels);
    const input = arena.from("int8", x);
    qs8GlobalAvgPool(arena.kernels, input, params, out);
    expect(mismatches(arena.view(input), x)).toEqual([]);
    return arena.view(out).slice();
  });
}

/**
 * Average-pool quantization: a third keep the input's (S, Z) (the dividing path); the rest
 * requantize with S_x / S_y from 2^-10 to 2^12, and now and then the largest ratio allowed, 2^22.
 */
const avgQuantization: fc.Arbitrary<AvgPoolReferenceQuantization> = fc
  .tuple(fc.nat(2), scale(-12, 2), fc.oneof(fc.integer({ min: -12, max: 10 }), fc.constant(22)), zeroPoint, zeroPoint, int8Range)
  .map(([kind, sx, ratioExponent, zx, zy, range]) => {
    const same = kind === 0;
    const sy = same ? sx : sx / 2 ** ratioExponent;
    return { inputScale: sx, inputZeroPoint: zx, outputScale: sy, outputZeroPoint: same ? zx : zy, ...range };
  });

describe("qs8_maxpool2d", () => {
  test.prop([shapes, fc.integer(), int8Range], { numRuns: 1000 })("matches the reference", (shape, seed, { qmin, qmax }) => {
    const x = int8Data(inputLength(shape), seed);
    expect(mismatches(maxPool(x, shape, qmin, qmax), referenceQs8MaxPool2d(x, shape, qmin, qmax))).toEqual([]);
  });

  test.each(EXPLICIT)("explicit shape %o", (shape) => {
    const x = int8Data(inputLength(shape), 99);
    for (const [qmin, qmax] of [[-128, 127], [-5, 127], [-128, -128], [0, 6]]) {
      expect(mismatches(maxPool(x, shape, qmin, qmax), referenceQs8MaxPool2d(x, shape, qmin, qmax))).toEqual([]);
    }
  });

  test("a window wholly in the padding is the max of nothing: qmin", () => {
    const shape = poolShape({ ...base, channels: 2, inH: 1, inW: 1, kernelH: 1, kernelW: 1, padTop: 1, padBottom: 0 });
    expect(Array.from(maxPool(new Int8Array([-100, 50]), shape, -128, 127))).toEqual([-128, -128, -100, 50]);
    expect(Array.from(maxPool(new Int8Array([-100, 50]), shape, -7, 40))).toEqual([-7, -7, -7, 40]);
  });
});

describe("qs8_avgpool2d", () => {
  test.prop([shapes, fc.integer(), fc.boolean(), avgQuantization], { numRuns: 1000 })(
    "matches the reference bit for bit",
    (shape, seed, countIncludePad, quant) => {
      const x = int8Data(inputLength(shape), seed);
      expect(mismatches(avgPool(x, shape, countIncludePad, quant), referenceQs8AvgPool2d(x, shape, countIncludePad, quant)))
        .toEqual([]);
    },
  );

  test.each(EXPLICIT)("explicit shape %o", (shape) => {
    const x = int8Data(inputLength(shape), 3);
    const quants: AvgPoolReferenceQuantization[] = [
      { inputScale: 0.1, inputZeroPoint: -128, outputScale: 0.1, outputZeroPoint: -128, qmin: -128, qmax: 127 },
      { inputScale: 0.1, inputZeroPoint: 127, outputScale: 0.1, outputZeroPoint: 127, qmin: -128, qmax: 127 },
      { inputScale: 0.1, inputZeroPoint: 127, outputScale: 0.3, outputZeroPoint: -128, qmin: -128, qmax: 127 },
      { inputScale: 2 ** 22 * 1e-3, inputZeroPoint: 0, outputScale: 1e-3, outputZeroPoint: 5, qmin: 5, qmax: 127 },
      { inputScale: 1e-4, inputZeroPoint: -3, outputScale: 1, outputZeroPoint: 0, qmin: -128, qmax: 127 },
    ];
    for (const quant of quants) {
      for (const countIncludePad of [false, true]) {
        expect(mismatches(avgPool(x, shape, countIncludePad, quant), referenceQs8AvgPool2d(x, shape, countIncludePad, quant)))
          .toEqual([]);
      }
    }
  });

  test("same (S, Z): ties round to even, padding counts as Z_x only with count_include_pad", () => {
    const same = { inputScale: 0.5, inputZeroPoint: 0, outputScale: 0.5, outputZeroPoint: 0 };
    const pair = poolShape({ ...base, channels: 1, inH: 1, inW: 2, kernelH: 1, kernelW: 2 });
    expect(Array.from(avgPool(new Int8Array([1, 2]), pair, false, same))).toEqual([2]);
    expect(Array.from(avgPool(new Int8Array([-1, -2]), pair, false, same))).toEqual([-2]);
    expect(Array.from(avgPool(new Int8Array([-1, 2]), pair, false, same))).toEqual([0]);
    expect(Array.from(avgPool(new Int8Array([1, 4]), pair, false, same))).toEqual([2]);
    expect(Array.from(avgPool(new Int8Array([-3, -4]), pair, false, same))).toEqual([-4]);
    expect(Array.from(avgPool(new Int8Array([127, 127]), pair, false, same))).toEqual([127]);
    // One real value and one padded position: 9 / 2 -> 4 (even); with Z_x = 3: (9 + 3) / 2 = 6.
    const padded = poolShape({ ...base, channels: 1, inH: 1, inW: 1, kernelH: 1, kernelW: 2, padRight: 1 });
    expect(Array.from(avgPool(new Int8Array([9]), padded, true, same))).toEqual([4]);
    expect(Array.from(avgPool(new Int8Array([9]), padded, false, same))).toEqual([9]);
    expect(Array.from(avgPool(new Int8Array([9]), padded, true, { ...same, inputZeroPoint: 3, outputZeroPoint: 3 }))).toEqual([6]);
  });

  test("windows outside the input give real 0 (Z_y), clamped", () => {
    const shape = poolShape({ ...base, channels: 3, inH: 1, inW: 1, kernelH: 1, kernelW: 1, padTop: 2 });
    const quant = { inputScale: 0.1, inputZeroPoint: 4, outputScale: 0.2, outputZeroPoint: -7, qmin: -5, qmax: 127 };
    const out = avgPool(new Int8Array([14, 24, 34]), shape, false, quant);
    expect(Array.from(out)).toEqual([-5, -5, -5, -5, -5, -5, -2, 3, 8]);
    expect(mismatches(out, referenceQs8AvgPool2d(new Int8Array([14, 24, 34]), shape, false, quant))).toEqual([]);
  });
});

describe("qs8_global_avgpool", () => {
  const globalShapes: fc.Arbitrary<GlobalPoolShape> = fc.record({
    batch: fc.integer({ min: 1, max: 3 }),
    height: fc.integer({ min: 1, max: 9 }),
    width: fc.integer({ min: 1, max: 9 }),
    channels: fc.oneof(fc.constantFrom(1, 3, 8, 16, 24), fc.integer({ min: 1, max: 70 })),
  });

  test.prop([globalShapes, fc.integer(), avgQuantization], { numRuns: 1000 })("matches the reference bit for bit", (shape, seed, quant) => {
    const x = int8Data(shape.batch * shape.height * shape.width * shape.channels, seed);
    expect(mismatches(globalAvgPool(x, shape, quant), referenceQs8GlobalAvgPool(x, shape, quant))).toEqual([]);
  });

  test("large images: 56x56x3 all at the extremes, and 7x7x1024", () => {
    const quants: AvgPoolReferenceQuantization[] = [
      { inputScale: 0.02, inputZeroPoint: -128, outputScale: 0.02, outputZeroPoint: -128, qmin: -128, qmax: 127 },
      { inputScale: 0.02, inputZeroPoint: 127, outputScale: 0.005, outputZeroPoint: -128, qmin: -128, qmax: 127 },
    ];
    for (const shape of [{ batch: 1, height: 56, width: 56, channels: 3 }, { batch: 2, height: 7, width: 7, channels: 1024 }]) {
      const length = shape.batch * shape.height * shape.width * shape.channels;
      for (const fill of [-128, 127]) {
        for (const quant of quants) {
          const x = new Int8Array(length).fill(fill);
          expect(mismatches(globalAvgPool(x, shape, quant), referenceQs8GlobalAvgPool(x, shape, quant))).toEqual([]);
        }
      }
      const x = int8Data(length, 11);
      for (const quant of quants) {
        expect(mismatches(globalAvgPool(x, shape, quant), referenceQs8GlobalAvgPool(x, shape, quant))).toEqual([]);
      }
    }
  });
});

describe("errors", () => {
  const shape = EXPLICIT[3];
  const quant = { inputScale: 0.1, inputZeroPoint: 0, outputScale: 0.2, outputZeroPoint: 0 };
  test("bad shapes throw ShapeError", () => {
    scratch(arena, () => {
      const k = arena.kernels;
      const x = arena.alloc("int8", 4096);
      const out = arena.alloc("int8", 4096);
      const bads: Pool2dShape[] = [
        { ...shape, channels: 0 }, { ...shape, kernelH: 0 }, { ...shape, strideW: 0 }, { ...shape, dilationH: 0 },
        { ...shape, padTop: -1 }, { ...shape, inW: 2.5 }, { ...shape, outH: shape.outH + 1 }, { ...shape, outW: shape.outW - 2 },
        { ...shape, inH: 1, padTop: 0, padBottom: 0, kernelH: 3 },
      ];
      for (const bad of bads) {
        expect(() => qs8MaxPool2d(k, x, bad, { qmin: -128, qmax: 127 }, out)).toThrow(ShapeError);
        expect(() => prepareQs8AvgPool2d(arena, bad, false, quant)).toThrow(ShapeError);
      }
      expect(() => prepareQs8AvgPool2d(arena, { ...shape, kernelH: 4096, kernelW: 4096, inH: 4096, inW: 4096, outH: 1, outW: 1, strideH: 1, strideW: 1 }, false, quant))
        .toThrow(ShapeError);
      expect(() => prepareQs8GlobalAvgPool({ batch: 1, height: 4096, width: 4096, channels: 1 }, quant)).toThrow(ShapeError);
      expect(() => prepareQs8GlobalAvgPool({ batch: 1, height: 0, width: 4, channels: 1 }, quant)).toThrow(ShapeError);
    });
  });

  test("bad quantization throws QuantizationError", () => {
    for (const bad of [0, -1, NaN, Infinity]) {
      expect(() => prepareQs8AvgPool2d(arena, shape, false, { ...quant, inputScale: bad })).toThrow(QuantizationError);
      expect(() => prepareQs8GlobalAvgPool({ batch: 1, height: 2, width: 2, channels: 1 }, { ...quant, outputScale: bad }))
        .toThrow(QuantizationError);
    }
    for (const bad of [-129, 128, 0.5]) {
      expect(() => prepareQs8AvgPool2d(arena, shape, false, { ...quant, inputZeroPoint: bad })).toThrow(QuantizationError);
      expect(() => prepareQs8AvgPool2d(arena, shape, false, { ...quant, outputZeroPoint: bad })).toThrow(QuantizationError);
    }
    expect(() => prepareQs8AvgPool2d(arena, shape, false, { ...quant, qmin: 3, qmax: 2 })).toThrow(QuantizationError);
    expect(() => prepareQs8AvgPool2d(arena, shape, false, { ...quant, outputScale: 0.1 / 2 ** 23 })).toThrow(QuantizationError);
    scratch(arena, () => {
      const x = arena.alloc("int8", 4096);
      const out = arena.alloc("int8", 4096);
      expect(() => qs8MaxPool2d(arena.kernels, x, shape, { qmin: 0, qmax: 128 }, out)).toThrow(QuantizationError);
      const params = prepareQs8GlobalAvgPool({ batch: 1, height: 2, width: 2, channels: 1 }, quant);
      expect(() => qs8GlobalAvgPool(arena.kernels, x, { ...params, rightShift: 32 }, out)).toThrow(QuantizationError);
      expect(() => qs8GlobalAvgPool(arena.kernels, x, { ...params, requantize: false }, out)).not.toThrow();
      expect(() => qs8GlobalAvgPool(arena.kernels, x, { ...params, requantize: false, outputZeroPoint: 1 }, out))
        .toThrow(QuantizationError);
    });
  });

  test("short buffers, overlap and a short multiplier table", () => {
    scratch(arena, () => {
      const k = arena.kernels;
      const x = arena.alloc("int8", inputLength(shape));
      const out = arena.alloc("int8", outputLength(shape));
      const clamp = { qmin: -128, qmax: 127 };
      expect(() => qs8MaxPool2d(k, arena.alloc("int8", inputLength(shape) - 1), shape, clamp, out)).toThrow(RangeError);
      expect(() => qs8MaxPool2d(k, x, shape, clamp, arena.alloc("int8", outputLength(shape) - 1))).toThrow(RangeError);
      expect(() => qs8MaxPool2d(k, x, shape, clamp, arena.alloc("float32", outputLength(shape)))).toThrow(TypeError);
      expect(() => qs8MaxPool2d(k, x, shape, clamp, { ...x, length: outputLength(shape) })).toThrow(RangeError);
      const params = prepareQs8AvgPool2d(arena, shape, true, quant);
      expect(() => qs8AvgPool2d(k, x, params, out)).not.toThrow();
      const table = params.multipliers!;
      expect(() => qs8AvgPool2d(k, x, { ...params, multipliers: { ...table, length: table.length - 1 } }, out)).toThrow(RangeError);
      expect(() => qs8AvgPool2d(k, x, { ...params, multipliers: null }, out)).not.toThrow();
      expect(() => qs8AvgPool2d(k, x, params, { ...x, ptr: x.ptr + 1, length: outputLength(shape) })).toThrow(RangeError);
      const global = prepareQs8GlobalAvgPool({ batch: 2, height: 3, width: 3, channels: 5 }, quant);
      expect(() => qs8GlobalAvgPool(k, arena.alloc("int8", 89), global, out)).toThrow(RangeError);
      expect(() => qs8GlobalAvgPool(k, arena.alloc("int8", 90), global, arena.alloc("int8", 9))).toThrow(RangeError);
    });
  });
});
