// Random int8 layer parameters and guarded kernel buffers for the qs8 kernel tests. Bulk data
// comes from a seeded generator (the seed is the fast-check value), so properties shrink on the
// shape rather than on thousands of array elements.
import { fc } from "@fast-check/vitest";
import type { WasmArena, WasmBuffer } from "../../src/kernels/arena.js";
import type { Qs8RequantParams } from "../../src/kernels/qs8-common.js";
import { int32Stream } from "./wasm.js";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** How the per-channel multipliers are drawn. */
export type MultiplierKind = "typical" | "nearMax" | "tiny" | "zero" | "leftShift" | "mixed";
export type ClampKind = "full" | "relu" | "relu6" | "random";
export type BiasKind = "none" | "small" | "extreme";
/** "uniform" int8, "extreme" only -128/127, "small" values in [-4, 3]. */
export type DataKind = "uniform" | "extreme" | "small";

/**
 * Weights of `bits` bits ([-2^(bits-1), 2^(bits-1) - 1]), or with `shifted` that window moved up to
 * start at -1 (all but one value non-negative). Windows of at most 128 values take the relaxed
 * build's relaxed GEMM layouts; 8 bits the plain one.
 */
export interface WeightStyle {
  readonly bits: number;
  readonly shifted: boolean;
}

export interface QuantStyle {
  readonly multiplierKind: MultiplierKind;
  readonly clamp: ClampKind;
  readonly bias: BiasKind;
  readonly inputZeroPoint: number;
  readonly outputZeroPoint: number;
  readonly data: DataKind;
  readonly weights: WeightStyle;
  readonly seed: number;
}

export const zeroPointArb = fc.oneof(fc.constantFrom(-128, 127, 0), fc.integer({ min: -128, max: 127 }));

export const weightStyleArb: fc.Arbitrary<WeightStyle> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<WeightStyle>({ bits: 8, shifted: false }) },
  { weight: 3, arbitrary: fc.record({ bits: fc.constantFrom(7, 6, 5, 4, 2), shifted: fc.boolean() }) },
);

export const quantStyleArb: fc.Arbitrary<QuantStyle> = fc.record({
  multiplierKind: fc.oneof(
    { weight: 4, arbitrary: fc.constant<MultiplierKind>("typical") },
    { weight: 3, arbitrary: fc.constant<MultiplierKind>("mixed") },
    { weight: 1, arbitrary: fc.constantFrom<MultiplierKind>("nearMax", "tiny", "zero", "leftShift") },
  ),
  clamp: fc.constantFrom<ClampKind>("full", "relu", "relu6", "random"),
  bias: fc.constantFrom<BiasKind>("none", "small", "small", "extreme"),
  inputZeroPoint: zeroPointArb,
  outputZeroPoint: zeroPointArb,
  data: fc.oneof(
    { weight: 5, arbitrary: fc.constant<DataKind>("uniform") },
    { weight: 1, arbitrary: fc.constantFrom<DataKind>("extreme", "small") },
  ),
  weights: weightStyleArb,
  seed: fc.integer(),
});

/** A plain style for explicit cases: typical multipliers, no clamp, uniform data. */
export function style(overrides: Partial<QuantStyle> = {}): QuantStyle {
  return {
    multiplierKind: "typical", clamp: "full", bias: "small", inputZeroPoint: 3, outputZeroPoint: -5, data: "uniform",
    weights: { bits: 8, shifted: false }, seed: 42, ...overrides,
  };
}

export function int8Data(length: number, seed: number, kind: DataKind): Int8Array {
  const next = int32Stream(seed);
  const data = new Int8Array(length);
  for (let i = 0; i < length; i++) {
    const r = next();
    data[i] = kind === "uniform" ? r >> 24 : kind === "extreme" ? (r & 1 ? 127 : -128) : r >> 29;
  }
  return data;
}

/** Weights following `style.weights` (the data kind's extremes are those of the weight window). */
export function weightData(length: number, seed: number, style: Pick<QuantStyle, "weights" | "data">): Int8Array {
  const { bits, shifted } = style.weights;
  const next = int32Stream(seed);
  const low = -(2 ** (bits - 1));
  const high = 2 ** (bits - 1) - 1;
  const shift = shifted && bits < 8 ? high - 1 : 0;
  const data = new Int8Array(length);
  for (let i = 0; i < length; i++) {
    const r = next();
    const value = style.data === "uniform" ? r >> (32 - bits) : style.data === "extreme" ? (r & 1 ? high : low) : Math.max(r >> 29, low);
    data[i] = value + shift;
  }
  return data;
}

/**
 * Requantization parameters for `channels` outputs of a reduction of length K, following `style`.
 * "typical" shifts put the accumulators' usual spread onto a few dozen output steps.
 */
export function makeRequant(style: QuantStyle, channels: number, K: number): Qs8RequantParams {
  const next = int32Stream(style.seed ^ 0x5bd1e995);
  const below = (n: number) => (next() >>> 0) % n;
  const typicalShift = Math.round(Math.log2(64 / (6000 * Math.sqrt(K))));
  const kinds: MultiplierKind[] = ["typical", "nearMax", "tiny", "zero", "leftShift"];
  const multiplier = new Int32Array(channels);
  const shift = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    const kind = style.multiplierKind === "mixed" ? kinds[below(kinds.length)] : style.multiplierKind;
    const normal = 0x40000000 + below(0x40000000);
    const shifted = Math.min(Math.max(typicalShift + below(5) - 2, -31), 30);
    [multiplier[c], shift[c]] =
      kind === "typical" ? [normal, shifted]
      : kind === "nearMax" ? [INT32_MAX - below(8), shifted]
      : kind === "tiny" ? (below(2) ? [below(4), shifted] : [normal, -31])
      : kind === "zero" ? [0, below(62) - 31]
      : [normal, 1 + below(30)];
  }
  const bias =
    style.bias === "none" ? null
    : style.bias === "small" ? Int32Array.from({ length: channels }, () => next() >> 18)
    : Int32Array.from({ length: channels }, () => [INT32_MIN, INT32_MAX, INT32_MIN + 1, INT32_MAX - 1][below(4)]);
  const z = style.outputZeroPoint;
  const [qmin, qmax] =
    style.clamp === "full" ? [-128, 127]
    : style.clamp === "relu" ? [z, 127]
    : style.clamp === "relu6" ? [z, Math.min(127, z + 1 + below(100))]
    : ((a: number, b: number) => [Math.min(a, b), Math.max(a, b)])(below(256) - 128, below(256) - 128);
  return { bias, inputZeroPoint: style.inputZeroPoint, multiplier, shift, outputZeroPoint: z, qmin, qmax };
}

/**
 * Random 2-D convolution geometry with kernels up to `maxKernel`: strides, dilations and paddings up
 * to 3, 3 and 4 (padding may exceed the kernel), inputs just large enough for one output and up to
 * 6 more.
 */
export function convGeometryArb(maxKernel: number) {
  const axis = fc.record({
    kernel: fc.integer({ min: 1, max: maxKernel }),
    stride: fc.integer({ min: 1, max: 3 }),
    dilation: fc.integer({ min: 1, max: 3 }),
    padBefore: fc.integer({ min: 0, max: 4 }),
    padAfter: fc.integer({ min: 0, max: 4 }),
    slack: fc.integer({ min: 0, max: 6 }),
  });
  return fc.record({ batch: fc.integer({ min: 1, max: 2 }), h: axis, w: axis }).map(({ batch, h, w }) => {
    const extent = (a: typeof h) => Math.max(1, a.dilation * (a.kernel - 1) + 1 + a.slack - a.padBefore - a.padAfter);
    return {
      batch, inH: extent(h), inW: extent(w), kernelH: h.kernel, kernelW: w.kernel, strideH: h.stride, strideW: w.stride,
      dilationH: h.dilation, dilationW: w.dilation, padTop: h.padBefore, padBottom: h.padAfter, padLeft: w.padBefore, padRight: w.padAfter,
    };
  });
}

const GUARD = 32;
const GUARD_BYTE = 0x5a;

/**
 * An int8 buffer of `length` elements with GUARD bytes on each side, all filled with a pattern,
 * so a test can tell whether a kernel wrote outside it (or, for error paths, wrote at all).
 */
export function guardedInt8(arena: WasmArena, length: number): {
  buffer: WasmBuffer;
  guardsIntact(): boolean;
  untouched(): boolean;
} {
  const region = arena.alloc("int8", length + 2 * GUARD);
  arena.view(region).fill(GUARD_BYTE);
  const buffer: WasmBuffer = { ptr: region.ptr + GUARD, length, type: "int8" };
  const intact = (from: number, to: number) => arena.view(region).subarray(from, to).every((b) => b === GUARD_BYTE);
  return {
    buffer,
    guardsIntact: () => intact(0, GUARD) && intact(GUARD + length, length + 2 * GUARD),
    untouched: () => intact(0, length + 2 * GUARD),
  };
}

/** Copies data into a fresh arena buffer. */
export function int8Buffer(arena: WasmArena, data: Int8Array): WasmBuffer {
  return arena.from("int8", data);
}

/** Reads an int8 buffer back as a copy. */
export function readInt8(arena: WasmArena, buffer: WasmBuffer): Int8Array {
  return new Int8Array(arena.kernels.memory.buffer, buffer.ptr, buffer.length).slice();
}

/** Index of the first element where a and b differ, -1 if equal (typed-array toEqual is slow). */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
