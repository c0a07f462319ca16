import { describe, expect, beforeAll } from "vitest";
import { test, fc } from "@fast-check/vitest";
import type { WasmArena } from "../../src/kernels/arena.js";
import {
  defaultQs8Conv2dKind, fusedPoolOutputHW, packQs8Conv2d, qs8Conv2d, qs8Conv2dMaxPool, qs8Conv2dScratchSize,
  type FusedMaxPool, type Qs8Conv2dKind, type Qs8Conv2dParams,
} from "../../src/kernels/qs8-conv.js";
import { conv2dOutputHW, type Conv2dShape } from "../../src/kernels/shapes.js";
import { referenceQs8Conv2d } from "../../src/reference/qs8-conv.js";
import { referenceQs8MaxPool2d } from "../../src/reference/qs8-pool.js";
import { ShapeError } from "../../src/errors.js";
import { freshArena } from "../helpers/wasm.js";
import {
  convGeometryArb, firstDifference, guardedInt8, int8Buffer, int8Data, makeRequant, quantStyleArb, readInt8, style, weightData,
  type QuantStyle,
} from "../helpers/qs8.js";

let arena: WasmArena;
beforeAll(async () => {
  arena = await freshArena();
});

function convParams(shape: Conv2dShape, quant: QuantStyle): Qs8Conv2dParams {
  const inCPerGroup = shape.inC / shape.groups;
  const K = inCPerGroup * shape.kernelH * shape.kernelW;
  return {
    weights: weightData(shape.outC * K, quant.seed + 1, quant),
    outC: shape.outC,
    inCPerGroup,
    kernelH: shape.kernelH,
    kernelW: shape.kernelW,
    groups: shape.groups,
    ...makeRequant(quant, shape.outC, K),
  };
}

/**
 * Packs (for `kind`, or the default kernel), runs qs8Conv2d between guard bytes and compares with
 * the reference; restores the arena.
 */
function checkConv(shape: Conv2dShape, quant: QuantStyle, kind?: Qs8Conv2dKind): void {
  const params = convParams(shape, quant);
  const input = int8Data(shape.batch * shape.inH * shape.inW * shape.inC, quant.seed + 2, quant.data);
  const weightsBefore = params.weights.slice();
  const { outH, outW } = conv2dOutputHW(shape);
  const mark = arena.mark();
  try {
    const packed = packQs8Conv2d(arena, params, { kind });
    expect(packed.kind).toBe(kind ?? defaultQs8Conv2dKind(params));
    const inputBuffer = int8Buffer(arena, input);
    const output = guardedInt8(arena, shape.batch * outH * outW * shape.outC);
    const scratch = guardedInt8(arena, qs8Conv2dScratchSize(packed, shape));
    qs8Conv2d(arena.kernels, packed, shape, inputBuffer, output.buffer, scratch.buffer);
    const expected = referenceQs8Conv2d(input, shape, params);
    const mismatch = firstDifference(readInt8(arena, output.buffer), expected);
    expect(mismatch, `first mismatch at NHWC offset ${mismatch}`).toBe(-1);
    expect(output.guardsIntact(), "bytes around the output").toBe(true);
    expect(scratch.guardsIntact(), "bytes around the scratch").toBe(true);
    expect(firstDifference(readInt8(arena, inputBuffer), input), "input changed").toBe(-1);
    expect(firstDifference(params.weights, weightsBefore), "weights changed").toBe(-1);
  } finally {
    arena.release(mark);
  }
}

/** A square-ish default shape for explicit cases. */
function conv(overrides: Partial<Conv2dShape>): Conv2dShape {
  return {
    batch: 1, inH: 5, inW: 6, inC: 3, outC: 4, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1,
    dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 1,
    ...overrides,
  };
}

/**
 * Random geometry whose padded input always covers the dilated kernel: the input extent is drawn
 * as "what the kernel needs" plus a slack, minus the padding (but at least 1).
 */
describe("qs8Conv2d (im2col + GEMM micro-kernel) matches the reference bit for bit", () => {
  const channelsArb = fc.oneof(
    fc.record({ groups: fc.constant(1), inCPerGroup: fc.integer({ min: 1, max: 12 }), outCPerGroup: fc.integer({ min: 1, max: 9 }) }),
    fc.record({ groups: fc.integer({ min: 2, max: 4 }), inCPerGroup: fc.integer({ min: 2, max: 5 }), outCPerGroup: fc.integer({ min: 1, max: 5 }) }),
    // Multiples of 8 per group: each image widened inside its padding first, taps copied whole.
    fc.record({ groups: fc.integer({ min: 1, max: 3 }), inCPerGroup: fc.constantFrom(8, 16, 24), outCPerGroup: fc.integer({ min: 1, max: 7 }) }),
  );
  test.prop([convGeometryArb(4), channelsArb, quantStyleArb], { numRuns: 1000 })(
    "on random shapes, groups and parameters",
    (geometry, { groups, inCPerGroup, outCPerGroup }, quant) => {
      checkConv({ ...geometry, groups, inC: groups * inCPerGroup, outC: groups * outCPerGroup }, quant, "gemm");
    },
  );

  test.each([
    { name: "1x1 output (kernel covers the input)", shape: conv({ inH: 3, inW: 3, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 }) },
    { name: "1x1 output from a 1x1 input", shape: conv({ inH: 1, inW: 1, kernelH: 1, kernelW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 }) },
    { name: "one input and one output channel", shape: conv({ inC: 1, outC: 1 }) },
    { name: "three input channels (RGB), 5x5 kernel", shape: conv({ inC: 3, outC: 8, kernelH: 5, kernelW: 5, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, inH: 9, inW: 9 }) },
    { name: "padding larger than the kernel", shape: conv({ kernelH: 2, kernelW: 2, padTop: 5, padLeft: 4, padBottom: 3, padRight: 6 }) },
    { name: "asymmetric padding", shape: conv({ padTop: 0, padLeft: 2, padBottom: 1, padRight: 0 }) },
    { name: "dilation 2 and 3", shape: conv({ dilationH: 2, dilationW: 3, inH: 9, inW: 10, padTop: 2, padBottom: 2 }) },
    { name: "stride 2 with odd input", shape: conv({ strideH: 2, strideW: 2, inH: 7, inW: 9 }) },
    { name: "groups 2, not depthwise", shape: conv({ inC: 6, outC: 4, groups: 2 }) },
    { name: "groups 3 with odd channels per group", shape: conv({ inC: 9, outC: 9, groups: 3 }) },
    { name: "pointwise 1x1, many channels", shape: conv({ inC: 37, outC: 19, kernelH: 1, kernelW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 }) },
    { name: "pointwise 1x1, batch 2 (one GEMM over both images)", shape: conv({ batch: 2, inC: 40, outC: 9, kernelH: 1, kernelW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 }) },
    { name: "pointwise 1x1 with bottom/right padding (not a plain GEMM)", shape: conv({ inC: 40, outC: 5, kernelH: 1, kernelW: 1, padTop: 0, padLeft: 0, padBottom: 1, padRight: 2 }) },
    { name: "batch 3", shape: conv({ batch: 3, inH: 4, inW: 4 }) },
    { name: "K = 16 exactly (no K tail)", shape: conv({ inC: 4, kernelH: 2, kernelW: 2, outC: 6 }) },
    { name: "larger: 16 -> 24 channels, 3x3, 12x12", shape: conv({ inC: 16, outC: 24, inH: 12, inW: 12 }) },
    { name: "8 channels per group, groups 2, 5x7 output (pixels % 4 = 3), batch 2", shape: conv({ batch: 2, inC: 16, outC: 6, groups: 2, inH: 5, inW: 7 }) },
    { name: "16 channels, padding larger than the kernel", shape: conv({ inC: 16, outC: 5, kernelH: 2, kernelW: 2, padTop: 5, padLeft: 4, padBottom: 3, padRight: 6 }) },
    { name: "16 channels, stride 2, dilation 2, no padding", shape: conv({ inC: 16, outC: 3, strideH: 2, strideW: 2, dilationH: 2, dilationW: 2, inH: 9, inW: 8, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 }) },
    { name: "8 channels, 1x1 output", shape: conv({ inC: 8, outC: 2, inH: 3, inW: 3, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 }) },
  ])("$name", ({ shape }) => {
    checkConv(shape, style({ seed: 3, weights: { bits: 6, shifted: false } }), "gemm");
    checkConv(shape, style({ seed: 4, weights: { bits: 7, shifted: true }, inputZeroPoint: -128 }), "gemm");
    checkConv(shape, style({ seed: shape.inC * 31 + shape.outC }), "gemm");
    checkConv(shape, style({ seed: 5, inputZeroPoint: -128, outputZeroPoint: 127, multiplierKind: "nearMax" }));
    checkConv(shape, style({ seed: 6, inputZeroPoint: 127, outputZeroPoint: -128, clamp: "relu", multiplierKind: "mixed" }));
    checkConv(shape, style({ seed: 7, clamp: "relu6", multiplierKind: "tiny", bias: "extreme", data: "extreme" }));
  });
});

describe("qs8Conv2d depthwise path matches the reference bit for bit", () => {
  test.prop(
    [convGeometryArb(5), fc.integer({ min: 2, max: 20 }), fc.integer({ min: 1, max: 3 }), quantStyleArb],
    { numRuns: 1000 },
  )("on random shapes, channel counts, multipliers and parameters", (geometry, channels, depthMultiplier, quant) => {
    const shape = { ...geometry, inC: channels, outC: channels * depthMultiplier, groups: channels };
    checkConv(shape, quant, "depthwise");
  });

  const depthwise = (channels: number, overrides: Partial<Conv2dShape> = {}) =>
    conv({ inC: channels, outC: channels, groups: channels, ...overrides });
  test.each([
    { name: "8 channels (one full block)", shape: depthwise(8) },
    { name: "3 channels (tail only)", shape: depthwise(3) },
    { name: "2 channels, multiplier 3", shape: depthwise(2, { outC: 6 }) },
    { name: "19 channels (two blocks and a tail), 1x1 output", shape: depthwise(19, { inH: 3, inW: 3, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 }) },
    { name: "32 channels, stride 2, 5x5 kernel", shape: depthwise(32, { kernelH: 5, kernelW: 5, strideH: 2, strideW: 2, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, inH: 9, inW: 8 }) },
    { name: "padding larger than the kernel", shape: depthwise(9, { kernelH: 2, kernelW: 2, padTop: 4, padLeft: 3, padBottom: 5, padRight: 4 }) },
    { name: "dilation 2, asymmetric padding", shape: depthwise(10, { dilationH: 2, dilationW: 2, padTop: 2, padLeft: 0, padBottom: 1, padRight: 3, inH: 7, inW: 7 }) },
    { name: "1x1 kernel (one tap, odd pair)", shape: depthwise(12, { kernelH: 1, kernelW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 }) },
    { name: "1x4 kernel, multiplier 2, batch 2", shape: depthwise(11, { kernelH: 1, kernelW: 4, outC: 22, batch: 2, padTop: 0, padBottom: 0 }) },
  ])("$name", ({ shape }) => {
    checkConv(shape, style({ seed: shape.inC }), "depthwise");
    checkConv(shape, style({ seed: 5, inputZeroPoint: -128, outputZeroPoint: 127, multiplierKind: "nearMax" }));
    checkConv(shape, style({ seed: 6, inputZeroPoint: 127, outputZeroPoint: -128, clamp: "relu", multiplierKind: "mixed" }));
    checkConv(shape, style({ seed: 7, clamp: "relu6", multiplierKind: "tiny", bias: "extreme", data: "extreme" }));
  });
});

describe("qs8Conv2d few-taps path (groups 1, K <= 32) matches the reference bit for bit", () => {
  const smallArb = convGeometryArb(5).chain((geometry) => {
    const maxInC = Math.floor(32 / (geometry.kernelH * geometry.kernelW));
    return fc.record({ inC: fc.integer({ min: 1, max: Math.max(1, maxInC) }), outC: fc.integer({ min: 1, max: 20 }) })
      .map(({ inC, outC }) => ({ ...geometry, inC, outC, groups: 1 }));
  });
  test.prop([smallArb, quantStyleArb], { numRuns: 1000 })("on random shapes and parameters", (shape, quant) => {
    checkConv(shape, quant, "small");
  });

  const valid = { padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 };
  test.each([
    { name: "Fashion-MNIST: 1 -> 12, 3x3, no padding, 28x28", shape: conv({ inC: 1, outC: 12, inH: 28, inW: 28, ...valid }) },
    { name: "Fashion-MNIST: 1 -> 16, 3x3, padding 1, 28x28, batch 2", shape: conv({ batch: 2, inC: 1, outC: 16, inH: 28, inW: 28 }) },
    { name: "RGB 3 -> 8, 3x3, stride 2 (K = 27)", shape: conv({ inC: 3, outC: 8, strideH: 2, strideW: 2, inH: 11, inW: 10 }) },
    { name: "1 -> 32, 5x5, padding 2 (K = 25)", shape: conv({ inC: 1, outC: 32, kernelH: 5, kernelW: 5, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, inH: 9, inW: 9 }) },
    { name: "K = 32 exactly (4x4x2)", shape: conv({ inC: 2, outC: 6, kernelH: 4, kernelW: 4, inH: 7, inW: 8 }) },
    { name: "K = 1 (1x1 conv of one channel)", shape: conv({ inC: 1, outC: 5, kernelH: 1, kernelW: 1, ...valid }) },
    { name: "one output channel, 1x1 output", shape: conv({ inC: 1, outC: 1, inH: 3, inW: 3, ...valid }) },
    { name: "outC 3 and 7 (partial channel groups), odd pixel count", shape: conv({ inC: 2, outC: 7, inH: 5, inW: 3 }) },
    { name: "dilation 2, padding larger than the kernel", shape: conv({ inC: 2, outC: 5, dilationH: 2, dilationW: 2, padTop: 4, padLeft: 5, padBottom: 3, padRight: 4 }) },
    { name: "a kernel row wider than 8 taps (1x9x3 = 27)", shape: conv({ inC: 3, outC: 4, kernelH: 1, kernelW: 9, inW: 12, padTop: 0, padBottom: 0 }) },
  ])("$name", ({ shape }) => {
    checkConv(shape, style({ seed: shape.inC * 31 + shape.outC }), "small");
    checkConv(shape, style({ seed: 5, inputZeroPoint: -128, outputZeroPoint: 127, multiplierKind: "nearMax" }), "small");
    checkConv(shape, style({ seed: 6, inputZeroPoint: 127, outputZeroPoint: -128, clamp: "relu", multiplierKind: "mixed" }), "small");
    checkConv(shape, style({ seed: 7, clamp: "relu6", multiplierKind: "tiny", bias: "extreme", data: "extreme" }), "small");
  });
});

/** Packs for the small kernel, runs qs8Conv2dMaxPool between guard bytes and compares with the reference conv then max pool. */
function checkConvMaxPool(shape: Conv2dShape, pool: FusedMaxPool, quant: QuantStyle): void {
  const params = convParams(shape, quant);
  const input = int8Data(shape.batch * shape.inH * shape.inW * shape.inC, quant.seed + 2, quant.data);
  const conv = conv2dOutputHW(shape);
  const pooled = fusedPoolOutputHW(shape, pool);
  const mark = arena.mark();
  try {
    const packed = packQs8Conv2d(arena, params, { kind: "small" });
    const inputBuffer = int8Buffer(arena, input);
    const output = guardedInt8(arena, shape.batch * pooled.outH * pooled.outW * shape.outC);
    const scratch = guardedInt8(arena, qs8Conv2dScratchSize(packed, shape));
    qs8Conv2dMaxPool(arena.kernels, packed, shape, pool, inputBuffer, output.buffer, scratch.buffer);
    const expected = referenceQs8MaxPool2d(referenceQs8Conv2d(input, shape, params), {
      batch: shape.batch, inH: conv.outH, inW: conv.outW, channels: shape.outC, kernelH: pool.kernelH, kernelW: pool.kernelW,
      strideH: pool.kernelH, strideW: pool.kernelW, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0,
      outH: pooled.outH, outW: pooled.outW,
    });
    const mismatch = firstDifference(readInt8(arena, output.buffer), expected);
    expect(mismatch, `first mismatch at NHWC offset ${mismatch}`).toBe(-1);
    expect(output.guardsIntact(), "bytes around the output").toBe(true);
    expect(scratch.guardsIntact(), "bytes around the scratch").toBe(true);
  } finally {
    arena.release(mark);
  }
}

describe("qs8Conv2dMaxPool (few-taps convolution with a fused max pool) equals the convolution then the pool", () => {
  const poolArb = fc.constantFrom<FusedMaxPool>(
    { kernelH: 2, kernelW: 2 }, { kernelH: 2, kernelW: 2 }, { kernelH: 1, kernelW: 2 }, { kernelH: 2, kernelW: 1 },
    { kernelH: 1, kernelW: 3 }, { kernelH: 3, kernelW: 1 }, { kernelH: 1, kernelW: 4 }, { kernelH: 4, kernelW: 1 },
  );
  const caseArb = fc.tuple(convGeometryArb(4), poolArb).chain(([geometry, pool]) => {
    const maxInC = Math.floor(32 / (geometry.kernelH * geometry.kernelW));
    // Inputs large enough for one pooled pixel at least.
    const grow = (extent: number, stride: number, window: number) => extent + stride * (window - 1);
    return fc.record({ inC: fc.integer({ min: 1, max: Math.max(1, maxInC) }), outC: fc.integer({ min: 1, max: 20 }) }).map(({ inC, outC }) => ({
      shape: { ...geometry, inH: grow(geometry.inH, geometry.strideH, pool.kernelH), inW: grow(geometry.inW, geometry.strideW, pool.kernelW), inC, outC, groups: 1 },
      pool,
    }));
  });
  // Left shifts would make the requantization wrap (not monotone): those weights are rejected (below).
  const monotoneQuantArb = quantStyleArb.filter((q) => q.multiplierKind !== "leftShift" && q.multiplierKind !== "mixed");
  test.prop([caseArb, monotoneQuantArb], { numRuns: 500 })("on random shapes, pools and parameters", ({ shape, pool }, quant) => {
    checkConvMaxPool(shape, pool, quant);
  });

  const valid = { padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 };
  test.each([
    { name: "Fashion-MNIST: 1 -> 12, 3x3, no padding, 28x28 (26x26 -> 13x13)", shape: conv({ inC: 1, outC: 12, inH: 28, inW: 28, ...valid }) },
    { name: "odd convolution output (5x5 -> 2x2, the last row and column unused), batch 2", shape: conv({ batch: 2, inC: 2, outC: 7, inH: 7, inW: 7, ...valid }) },
    { name: "one output channel, padding 1", shape: conv({ inC: 1, outC: 1, inH: 4, inW: 6 }) },
  ])("$name, 2x2 pool", ({ shape }) => {
    const pool = { kernelH: 2, kernelW: 2 };
    checkConvMaxPool(shape, pool, style({ seed: shape.outC }));
    checkConvMaxPool(shape, pool, style({ seed: 5, inputZeroPoint: -128, outputZeroPoint: 127, multiplierKind: "nearMax", clamp: "relu" }));
    checkConvMaxPool(shape, pool, style({ seed: 7, clamp: "relu6", multiplierKind: "tiny", bias: "extreme", data: "extreme" }));
  });

  test("rejects what it cannot fuse: left shifts, other kernels, windows over 4 pixels, pools larger than the output", () => {
    const shape = conv({ inC: 1, outC: 4, inH: 6, inW: 6 });
    const mark = arena.mark();
    try {
      const buffers = (packed: ReturnType<typeof packQs8Conv2d>) =>
        [arena.alloc("int8", 36), arena.alloc("int8", 4 * 36), arena.alloc("int8", qs8Conv2dScratchSize(packed, shape))] as const;
      const leftShift = packQs8Conv2d(arena, convParams(shape, style({ multiplierKind: "leftShift" })), { kind: "small" });
      expect(leftShift.monotone).toBe(false);
      const [i1, o1, s1] = buffers(leftShift);
      expect(() => qs8Conv2dMaxPool(arena.kernels, leftShift, shape, { kernelH: 2, kernelW: 2 }, i1, o1, s1)).toThrow(/left shift/);
      const gemm = packQs8Conv2d(arena, convParams(shape, style()), { kind: "gemm" });
      const [i2, o2, s2] = buffers(gemm);
      expect(() => qs8Conv2dMaxPool(arena.kernels, gemm, shape, { kernelH: 2, kernelW: 2 }, i2, o2, s2)).toThrow(/kind 'gemm'/);
      const small = packQs8Conv2d(arena, convParams(shape, style()), { kind: "small" });
      const [i3, o3, s3] = buffers(small);
      expect(() => qs8Conv2dMaxPool(arena.kernels, small, shape, { kernelH: 3, kernelW: 2 }, i3, o3, s3)).toThrow(/at most 4 pixels/);
      expect(() => qs8Conv2dMaxPool(arena.kernels, small, shape, { kernelH: 1, kernelW: 7 }, i3, o3, s3)).toThrow(ShapeError);
    } finally {
      arena.release(mark);
    }
  });
});

describe("qs8Conv2d reads nothing past its input (input ending at the last byte of memory)", () => {
  test.each([
    { kind: "small", shape: conv({ inC: 1, outC: 4, inH: 9, inW: 9 }) },
    { kind: "small", shape: conv({ inC: 3, outC: 4, kernelH: 1, kernelW: 9, inW: 12, padTop: 0, padBottom: 0 }) },
    { kind: "gemm", shape: conv({ inC: 3, outC: 4 }) },
    { kind: "depthwise", shape: conv({ inC: 11, outC: 11, groups: 11 }) },
  ] as const)("$kind", ({ kind, shape }) => {
    const params = convParams(shape, style({ seed: 3 }));
    const input = int8Data(shape.batch * shape.inH * shape.inW * shape.inC, 4, "uniform");
    const { outH, outW } = conv2dOutputHW(shape);
    const mark = arena.mark();
    try {
      const packed = packQs8Conv2d(arena, params, { kind });
      const output = arena.alloc("int8", shape.batch * outH * outW * shape.outC);
      const scratch = arena.alloc("int8", qs8Conv2dScratchSize(packed, shape));
      const memoryEnd = arena.kernels.memory.buffer.byteLength;
      const rest = arena.alloc("int8", memoryEnd - Math.ceil(arena.mark() / 64) * 64);
      expect(rest.ptr + rest.length).toBe(memoryEnd);
      const inputBuffer = { ptr: memoryEnd - input.length, length: input.length, type: "int8" as const };
      arena.view(inputBuffer).set(input);
      qs8Conv2d(arena.kernels, packed, shape, inputBuffer, output, scratch);
      expect(firstDifference(readInt8(arena, output), referenceQs8Conv2d(input, shape, params))).toBe(-1);
    } finally {
      arena.release(mark);
    }
  });
});

describe("qs8Conv2d rejects bad arguments before writing anything", () => {
  const shape = conv({ inC: 4, outC: 6, groups: 2 });
  const depthwiseShape = conv({ inC: 4, outC: 8, groups: 4 });

  test("packQs8Conv2d: a kind that does not apply to the shape", () => {
    const mark = arena.mark();
    expect(() => packQs8Conv2d(arena, convParams(shape, style()), { kind: "small" })).toThrow(/kind 'small' does not apply/);
    expect(() => packQs8Conv2d(arena, convParams(conv({ inC: 4, outC: 4 }), style()), { kind: "depthwise" })).toThrow(ShapeError);
    expect(() => packQs8Conv2d(arena, convParams(conv({ inC: 4, outC: 4 }), style()), { kind: "small" })).toThrow(ShapeError);
    expect(arena.mark()).toBe(mark);
  });

  test.each([
    ["weights of the wrong length", { weights: new Int8Array(5) }, ShapeError],
    ["outC not divisible by groups", { outC: 5, weights: new Int8Array(5 * 2 * 9) }, ShapeError],
    ["kernelH = 0", { kernelH: 0 }, ShapeError],
    ["groups not an integer", { groups: 1.5 }, ShapeError],
    ["weights not an Int8Array", { weights: new Int16Array(6 * 2 * 9) as unknown as Int8Array }, TypeError],
    ["shift of the wrong length", { shift: new Int32Array(5) }, ShapeError],
    ["multiplier out of range", { multiplier: new Int32Array(6).fill(-5) }, RangeError],
    ["qmin beyond int8", { qmin: -129 }, RangeError],
  ] as const)("packQs8Conv2d: %s", (_name, change, error) => {
    const mark = arena.mark();
    expect(() => packQs8Conv2d(arena, { ...convParams(shape, style()), ...change })).toThrow(error);
    expect(arena.mark()).toBe(mark);
  });

  test.each([
    ["inC differs from the packed weights", shape, { inC: 6 }, ShapeError, /inC/],
    ["outC differs from the packed weights", shape, { outC: 8 }, ShapeError, /outC/],
    ["groups differ from the packed weights", shape, { groups: 1, inC: 2 }, ShapeError, /groups/],
    ["kernel size differs from the packed weights", shape, { kernelW: 2 }, ShapeError, /kernelW/],
    ["stride 0", shape, { strideH: 0 }, ShapeError, /strideH/],
    ["negative padding", shape, { padLeft: -1 }, ShapeError, /padLeft/],
    ["padded input smaller than the dilated kernel", shape, { inH: 1, padTop: 0, padBottom: 0, dilationH: 2 }, ShapeError, /output would be/],
    ["depthwise: channel multiplier differs", depthwiseShape, { outC: 12 }, ShapeError, /outC/],
  ] as const)("qs8Conv2d: %s", (_name, packedShape, change, error, message) => {
    const mark = arena.mark();
    try {
      const packed = packQs8Conv2d(arena, convParams(packedShape, style()));
      const input = int8Buffer(arena, new Int8Array(4096));
      const output = guardedInt8(arena, 4096);
      const scratch = guardedInt8(arena, 4096);
      const bad = { ...packedShape, ...change };
      expect(() => qs8Conv2d(arena.kernels, packed, bad, input, output.buffer, scratch.buffer)).toThrow(error);
      expect(() => qs8Conv2d(arena.kernels, packed, bad, input, output.buffer, scratch.buffer)).toThrow(message);
      expect(output.untouched()).toBe(true);
      expect(scratch.untouched()).toBe(true);
    } finally {
      arena.release(mark);
    }
  });

  test.each([
    ["input too small", "input", -1, RangeError],
    ["output too small", "output", -1, RangeError],
    ["scratch too small", "scratch", -1, RangeError],
    ["input of type uint8", "input", "uint8", TypeError],
  ] as const)("qs8Conv2d (%s), general, few-taps and depthwise", (_name, role, change, error) => {
    for (const packedShape of [shape, depthwiseShape, conv({ inC: 1, outC: 6 })]) {
      const mark = arena.mark();
      try {
        const packed = packQs8Conv2d(arena, convParams(packedShape, style()));
        const { outH, outW } = conv2dOutputHW(packedShape);
        const lengths = {
          input: packedShape.batch * packedShape.inH * packedShape.inW * packedShape.inC,
          output: packedShape.batch * outH * outW * packedShape.outC,
          scratch: qs8Conv2dScratchSize(packed, packedShape),
        };
        const buffers = {
          input: guardedInt8(arena, lengths.input),
          output: guardedInt8(arena, lengths.output),
          scratch: guardedInt8(arena, lengths.scratch),
        };
        const args = { input: buffers.input.buffer, output: buffers.output.buffer, scratch: buffers.scratch.buffer };
        const target = args[role];
        args[role] = typeof change === "number" ? { ...target, length: target.length + change } : { ...target, type: change };
        expect(() => qs8Conv2d(arena.kernels, packed, packedShape, args.input, args.output, args.scratch)).toThrow(error);
        expect(buffers.output.untouched()).toBe(true);
        expect(buffers.scratch.untouched()).toBe(true);
      } finally {
        arena.release(mark);
      }
    }
  });
});
