// Host side of the int8 convolutions (assembly/qs8-conv.ts, qs8-conv-small.ts, qs8-dwconv.ts):
// packs OIHW weights once into the general (im2col + GEMM micro-kernel), the few-taps ("small") or
// the depthwise layout, validates every call.
import { ShapeError } from "../errors.js";
import { requireBuffer, type WasmArena, type WasmBuffer } from "./arena.js";
import { requireGemmBuffersDisjoint, requireSameInstance } from "./checks.js";
import type { KernelInstance } from "./module.js";
import {
  QS8_REQUANT_FIELDS,
  accumulatorInit,
  requirePositiveInteger,
  validateRequantParams,
  writeRequantFields,
  type Qs8RequantParams,
} from "./qs8-common.js";
import { requantHeader } from "./qs8-gemm.js";
import {
  chooseQs8GemmLayout, qs8GemmTileBytes, qs8PairBlocksBytes, writeQs8PairBlocks, type Qs8GemmLayout,
} from "./qs8-gemm-layout.js";
import { conv2dOutputHW, validateConv2dShape, type Conv2dShape } from "./shapes.js";

type Ptr = number;

export interface Qs8Conv2dExports {
  qs8_conv2d(
    input: Ptr, output: Ptr, packed: Ptr, scratch: Ptr,
    batch: number, inH: number, inW: number, inC: number, outH: number, outW: number, outC: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number, dilationH: number, dilationW: number,
    padTop: number, padLeft: number, groups: number,
    inputZeroPoint: number, outputZeroPoint: number, qmin: number, qmax: number, relaxed: number, weightOffset: number,
  ): void;
  qs8_conv2d_small(
    input: Ptr, output: Ptr, packed: Ptr, scratch: Ptr,
    batch: number, inH: number, inW: number, inC: number, outH: number, outW: number, outC: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number, dilationH: number, dilationW: number,
    padTop: number, padLeft: number, poolH: number, poolW: number,
    inputZeroPoint: number, outputZeroPoint: number, qmin: number, qmax: number,
  ): void;
  qs8_conv2d_depthwise(
    input: Ptr, output: Ptr, packed: Ptr, scratch: Ptr,
    batch: number, inH: number, inW: number, channels: number, outH: number, outW: number, depthMultiplier: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number, dilationH: number, dilationW: number,
    padTop: number, padLeft: number,
    inputZeroPoint: number, outputZeroPoint: number, qmin: number, qmax: number,
  ): void;
}

export interface Qs8Conv2dParams extends Qs8RequantParams {
  /** int8 [outC, inCPerGroup, kernelH, kernelW] (ONNX OIHW). */
  readonly weights: Int8Array;
  readonly outC: number;
  readonly inCPerGroup: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly groups: number;
}

/**
 * A convolution kernel and its weight layout.
 * "gemm": per group, ceil(outC/groups / 2) GEMM pair blocks over K = kernelH*kernelW*inCPerGroup in
 * (ky, kx, ci) order (assembly/qs8-microkernel.ts); any convolution.
 * "small" (groups == 1, K <= 32): ceil(outC / 4) blocks of 4 channels (assembly/qs8-conv-small.ts).
 * "depthwise" (inCPerGroup == 1, groups > 1): see assembly/qs8-dwconv.ts.
 */
export type Qs8Conv2dKind = "gemm" | "small" | "depthwise";

export interface Qs8Conv2dPackOptions {
  /** The kernel to pack for (default: defaultQs8Conv2dKind); it must apply to the shape. */
  readonly kind?: Qs8Conv2dKind;
}

/** Weights and requantization constants in a convolution kernel's layout. */
export interface PackedQs8Conv2d {
  readonly kernels: KernelInstance;
  readonly kind: Qs8Conv2dKind;
  readonly outC: number;
  readonly inCPerGroup: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly groups: number;
  readonly inputZeroPoint: number;
  readonly outputZeroPoint: number;
  readonly qmin: number;
  readonly qmax: number;
  /** The GEMM blocks' layout (plain or relaxed) for kind "gemm"; null for the other kinds. */
  readonly gemmLayout: Qs8GemmLayout | null;
  /**
   * No channel shifts left (or its multiplier is 0), so the requantization is non-decreasing in
   * the accumulator (a left shift wraps like int32): max-pooling accumulators equals max-pooling
   * outputs (qs8Conv2dMaxPool).
   */
  readonly monotone: boolean;
  readonly buffer: WasmBuffer;
}

/** A max pool fused into a convolution: window = stride, no padding, at most 4 pixels. */
export interface FusedMaxPool {
  readonly kernelH: number;
  readonly kernelW: number;
}

/** The largest window of a fused max pool: the small kernel's tile of 4 pixels. */
export const FUSED_POOL_MAX_PIXELS = 4;

/** A packed weight buffer and, for the GEMM kind, its layout. */
interface PackedWeights {
  readonly buffer: WasmBuffer;
  readonly gemmLayout: Qs8GemmLayout | null;
}

/** The largest K = kernelH * kernelW * inC of the "small" kernel. */
export const SMALL_CONV_MAX_TAPS = 32;
const SMALL_LANES = 4;
/** Header and per-pair bytes of the "small" layout (SMALL_HEADER, SMALL_PAIR_BYTES in assembly). */
const SMALL_HEADER_BYTES = QS8_REQUANT_FIELDS * SMALL_LANES * 4;
const SMALL_PAIR_BYTES = 16;
const DEPTHWISE_LANES = 8;
/** DW_HEADER, DW_PAIR_BYTES in assembly/qs8-dwconv.ts. */
const DEPTHWISE_HEADER_BYTES = QS8_REQUANT_FIELDS * DEPTHWISE_LANES * 4;
const DEPTHWISE_PAIR_BYTES = 32;
const TILE_ROWS = 4;

/** The (ky, kx, ci)-ordered [outC/groups, K] weights of one group, from OIHW. */
function groupWeightsForIm2col(params: Qs8Conv2dParams, group: number): Int8Array {
  const { weights, inCPerGroup, kernelH, kernelW } = params;
  const outCPerGroup = params.outC / params.groups;
  const taps = kernelH * kernelW;
  const K = taps * inCPerGroup;
  const reordered = new Int8Array(outCPerGroup * K);
  for (let n = 0; n < outCPerGroup; n++) {
    const oc = group * outCPerGroup + n;
    for (let ci = 0; ci < inCPerGroup; ci++) {
      for (let t = 0; t < taps; t++) reordered[n * K + t * inCPerGroup + ci] = weights[(oc * inCPerGroup + ci) * taps + t];
    }
  }
  return reordered;
}

function packGemm(arena: WasmArena, params: Qs8Conv2dParams, init: Int32Array): PackedWeights {
  const outCPerGroup = params.outC / params.groups;
  const K = params.kernelH * params.kernelW * params.inCPerGroup;
  const gemmLayout = chooseQs8GemmLayout(arena.kernels, params.weights, K);
  const groupBytes = qs8PairBlocksBytes(outCPerGroup, gemmLayout);
  const buffer = arena.alloc("int8", params.groups * groupBytes);
  for (let g = 0; g < params.groups; g++) {
    const channels = (array: Int32Array) => array.subarray(g * outCPerGroup, (g + 1) * outCPerGroup);
    writeQs8PairBlocks(
      arena.kernels.memory.buffer, buffer.ptr + g * groupBytes, groupWeightsForIm2col(params, g), outCPerGroup, K, gemmLayout,
      requantHeader(channels(init), channels(params.multiplier), channels(params.shift)),
    );
  }
  return { buffer, gemmLayout };
}

/**
 * The tap pairs of the "small" layout, in order, as im2col tap indices (ky, kx, ci) per slot (-1:
 * a zero weight). One input channel: taps of kernel rows 2i and 2i + 1 pair column by column, and
 * an odd last row pairs along its columns (assembly/qs8-conv-small.ts pairImages). Otherwise each kernel
 * row's kernelW * inC taps pair in order, an odd last one with a zero weight.
 */
function smallPairing(kernelH: number, kernelW: number, inC: number): (readonly [number, number])[] {
  const pairs: (readonly [number, number])[] = [];
  if (inC === 1) {
    for (let ky = 0; ky + 1 < kernelH; ky += 2) {
      for (let kx = 0; kx < kernelW; kx++) pairs.push([ky * kernelW + kx, (ky + 1) * kernelW + kx]);
    }
    if (kernelH % 2 === 1) {
      const last = (kernelH - 1) * kernelW;
      for (let kx = 0; kx < kernelW; kx += 2) pairs.push([last + kx, kx + 1 < kernelW ? last + kx + 1 : -1]);
    }
    return pairs;
  }
  const run = kernelW * inC;
  for (let ky = 0; ky < kernelH; ky++) {
    for (let v = 0; v < run; v += 2) pairs.push([ky * run + v, v + 1 < run ? ky * run + v + 1 : -1]);
  }
  return pairs;
}

function packSmall(arena: WasmArena, params: Qs8Conv2dParams, init: Int32Array): PackedWeights {
  const { outC } = params;
  const K = params.kernelH * params.kernelW * params.inCPerGroup;
  const pairing = smallPairing(params.kernelH, params.kernelW, params.inCPerGroup);
  const blocks = Math.ceil(outC / SMALL_LANES);
  const blockBytes = SMALL_HEADER_BYTES + pairing.length * SMALL_PAIR_BYTES;
  const buffer = arena.alloc("int8", blocks * blockBytes);
  const memory = arena.kernels.memory.buffer;
  new Uint8Array(memory, buffer.ptr, buffer.length).fill(0);
  const ints = new Int32Array(memory, buffer.ptr, buffer.length / 4);
  const shorts = new Int16Array(memory, buffer.ptr, buffer.length / 2);
  const weights = groupWeightsForIm2col(params, 0);
  for (let b = 0; b < blocks; b++) {
    const base = b * blockBytes;
    const laneChannels = Array.from({ length: SMALL_LANES }, (_, lane) => (b * SMALL_LANES + lane < outC ? b * SMALL_LANES + lane : -1));
    writeRequantFields(ints, base / 4, SMALL_LANES, laneChannels, init, params.multiplier, params.shift);
    laneChannels.forEach((c, lane) => {
      if (c < 0) return;
      pairing.forEach((taps, pair) => {
        taps.forEach((t, slot) => {
          if (t >= 0) shorts[(base + SMALL_HEADER_BYTES + pair * SMALL_PAIR_BYTES) / 2 + 2 * lane + slot] = weights[c * K + t];
        });
      });
    });
  }
  return { buffer, gemmLayout: null };
}

function packDepthwise(arena: WasmArena, params: Qs8Conv2dParams, init: Int32Array): PackedWeights {
  const { weights, groups: channels, outC } = params;
  const multiplier = outC / channels;
  const taps = params.kernelH * params.kernelW;
  const pairs = Math.ceil(taps / 2);
  const blocks = Math.ceil(channels / DEPTHWISE_LANES);
  const blockBytes = DEPTHWISE_HEADER_BYTES + pairs * DEPTHWISE_PAIR_BYTES;
  const buffer = arena.alloc("int8", multiplier * blocks * blockBytes);
  const memory = arena.kernels.memory.buffer;
  new Uint8Array(memory, buffer.ptr, buffer.length).fill(0);
  const ints = new Int32Array(memory, buffer.ptr, buffer.length / 4);
  const shorts = new Int16Array(memory, buffer.ptr, buffer.length / 2);
  for (let j = 0; j < multiplier; j++) {
    for (let b = 0; b < blocks; b++) {
      const base = (j * blocks + b) * blockBytes;
      const laneChannels = Array.from({ length: DEPTHWISE_LANES }, (_, lane) => {
        const c = b * DEPTHWISE_LANES + lane;
        return c < channels ? c * multiplier + j : -1;
      });
      writeRequantFields(ints, base / 4, DEPTHWISE_LANES, laneChannels, init, params.multiplier, params.shift);
      laneChannels.forEach((oc, lane) => {
        if (oc < 0) return;
        for (let t = 0; t < taps; t++) {
          const pairStart = (base + DEPTHWISE_HEADER_BYTES + (t >> 1) * DEPTHWISE_PAIR_BYTES) / 2;
          shorts[pairStart + 2 * lane + (t & 1)] = weights[oc * taps + t];
        }
      });
    }
  }
  return { buffer, gemmLayout: null };
}

/** The kernels that can run a convolution with these weights, fastest first. */
function applicableKinds(params: Qs8Conv2dParams): Qs8Conv2dKind[] {
  const kinds: Qs8Conv2dKind[] = [];
  if (params.inCPerGroup === 1 && params.groups > 1) kinds.push("depthwise");
  if (params.groups === 1 && params.kernelH * params.kernelW * params.inCPerGroup <= SMALL_CONV_MAX_TAPS) kinds.push("small");
  kinds.push("gemm");
  return kinds;
}

/**
 * The kernel packQs8Conv2d picks: depthwise for depthwise convolutions, "small" when the whole
 * receptive field has at most SMALL_CONV_MAX_TAPS taps (first layers on images), else im2col + GEMM.
 */
export function defaultQs8Conv2dKind(params: Qs8Conv2dParams): Qs8Conv2dKind {
  return applicableKinds(params)[0];
}

/** Copies OIHW int8 weights and their requantization into the arena once, in the kernel's layout. */
export function packQs8Conv2d(arena: WasmArena, params: Qs8Conv2dParams, options: Qs8Conv2dPackOptions = {}): PackedQs8Conv2d {
  const kernel = "packQs8Conv2d";
  const { weights, outC, inCPerGroup, kernelH, kernelW, groups } = params;
  for (const [name, value] of Object.entries({ outC, inCPerGroup, kernelH, kernelW, groups })) {
    requirePositiveInteger(kernel, name, value);
  }
  if (outC % groups !== 0) throw new ShapeError(`${kernel}: outC ${outC} must be divisible by groups ${groups}`);
  if (!(weights instanceof Int8Array)) throw new TypeError(`${kernel}: weights must be an Int8Array`);
  const K = inCPerGroup * kernelH * kernelW;
  if (weights.length !== outC * K) {
    throw new ShapeError(
      `${kernel}: weights have ${weights.length} elements, expected outC * inCPerGroup * kernelH * kernelW = ` +
        `${outC} * ${inCPerGroup} * ${kernelH} * ${kernelW} = ${outC * K}`,
    );
  }
  validateRequantParams(kernel, outC, params);
  const init = accumulatorInit(weights, outC, K, params.bias, params.inputZeroPoint);
  const kind = options.kind ?? defaultQs8Conv2dKind(params);
  if (!applicableKinds(params).includes(kind)) {
    throw new ShapeError(`${kernel}: kind '${kind}' does not apply (groups ${groups}, K = ${K}); use one of ${applicableKinds(params).join(", ")}`);
  }
  const pack = { gemm: packGemm, small: packSmall, depthwise: packDepthwise }[kind];
  const { buffer, gemmLayout } = pack(arena, params, init);
  return {
    kernels: arena.kernels,
    kind,
    outC,
    inCPerGroup,
    kernelH,
    kernelW,
    groups,
    inputZeroPoint: params.inputZeroPoint,
    outputZeroPoint: params.outputZeroPoint,
    qmin: params.qmin,
    qmax: params.qmax,
    gemmLayout,
    monotone: params.shift.every((shift, c) => shift <= 0 || params.multiplier[c] === 0),
    buffer,
  };
}

function requireMatchingShape(kernel: string, packed: PackedQs8Conv2d, shape: Conv2dShape): void {
  validateConv2dShape(kernel, shape);
  requireSame(kernel, "outC", shape.outC, packed.outC);
  requireSame(kernel, "groups", shape.groups, packed.groups);
  requireSame(kernel, "inC", shape.inC, packed.inCPerGroup * packed.groups);
  requireSame(kernel, "kernelH", shape.kernelH, packed.kernelH);
  requireSame(kernel, "kernelW", shape.kernelW, packed.kernelW);
}

function requireSame(kernel: string, key: string, actual: number, packed: number): void {
  if (actual !== packed) throw new ShapeError(`${kernel}: shape.${key} is ${actual} but the packed weights have ${packed}`);
}

/** The GEMM layout of weights packed for kind "gemm" (packQs8Conv2d always records it there). */
function gemmLayoutOf(packed: PackedQs8Conv2d): Qs8GemmLayout {
  if (packed.gemmLayout === null) throw new TypeError(`weights packed for kind '${packed.kind}' have no GEMM layout`);
  return packed.gemmLayout;
}

/** int8 scratch elements qs8Conv2d needs for `shape`. */
export function qs8Conv2dScratchSize(packed: PackedQs8Conv2d, shape: Conv2dShape): number {
  requireMatchingShape("qs8Conv2dScratchSize", packed, shape);
  const taps = packed.kernelH * packed.kernelW;
  const { outH, outW } = conv2dOutputHW(shape);
  // Tap offsets (two per pair, rounded to 16 bytes), one widened padded image, 16 bytes of slack.
  if (packed.kind === "depthwise") return 16 * Math.ceil((2 * Math.ceil(taps / 2)) / 4) + widenedImageBytes(shape, outH, outW) + 16;
  if (packed.kind === "small") {
    // The pair offsets (rounded to 16 bytes), then with one input channel the widened image with
    // dilation's worth of extra rows and columns and its two pair images; else four gathered rows
    // when columns are dilated and the widened image (assembly/qs8-conv-small.ts qs8_conv2d_small); and
    // 16 bytes of slack.
    const pairs = smallPairing(packed.kernelH, packed.kernelW, packed.inCPerGroup).length;
    const offsets = 16 * Math.ceil(pairs / 4);
    if (packed.inCPerGroup === 1) {
      const { paddedH, paddedW } = paddedExtent(shape, outH, outW);
      return offsets + 2 * (paddedH + shape.dilationH) * (paddedW + shape.dilationW) + 2 * 4 * paddedH * paddedW + 16;
    }
    const rows = shape.dilationW === 1 ? 0 : TILE_ROWS * 4 * pairs;
    return offsets + rows + widenedImageBytes(shape, outH, outW) + 16;
  }
  const layout = gemmLayoutOf(packed);
  if (!convWidensImages(packed, shape)) return qs8GemmTileBytes("qs8Conv2dScratchSize", layout, shape.batch * outH * outW);
  // Eight widened GEMM rows (a tile and its interleaved copy), then one widened padded image.
  return 2 * TILE_ROWS * 2 * layout.kPadded + widenedImageBytes(shape, outH, outW);
}

/** The rows and columns of the padded input that the output pixels read. */
function paddedExtent(shape: Conv2dShape, outH: number, outW: number): { paddedH: number; paddedW: number } {
  return {
    paddedH: (outH - 1) * shape.strideH + (shape.kernelH - 1) * shape.dilationH + 1,
    paddedW: (outW - 1) * shape.strideW + (shape.kernelW - 1) * shape.dilationW + 1,
  };
}

/** Bytes of one image widened to int16 inside the padding that the output pixels read. */
function widenedImageBytes(shape: Conv2dShape, outH: number, outW: number): number {
  const { paddedH, paddedW } = paddedExtent(shape, outH, outW);
  return 2 * paddedH * paddedW * shape.inC;
}

/**
 * Whether qs8_conv2d widens each padded image first (assembly/qs8-conv.ts convFromWidenedImages):
 * plain layout, inC / groups a multiple of 8, and not a pointwise convolution run as one GEMM.
 */
function convWidensImages(packed: PackedQs8Conv2d, shape: Conv2dShape): boolean {
  const pointwise =
    shape.kernelH === 1 && shape.kernelW === 1 && shape.strideH === 1 && shape.strideW === 1 &&
    shape.padTop === 0 && shape.padLeft === 0 && shape.groups === 1 && conv2dOutputHW(shape).outH === shape.inH &&
    conv2dOutputHW(shape).outW === shape.inW;
  return gemmLayoutOf(packed).relaxed === 0 && packed.inCPerGroup % 8 === 0 && !pointwise;
}

/** NHWC int8 convolution: input [batch, inH, inW, inC], output [batch, outH, outW, outC]. */
export function qs8Conv2d(
  kernels: KernelInstance,
  packed: PackedQs8Conv2d,
  shape: Conv2dShape,
  input: WasmBuffer,
  output: WasmBuffer,
  scratch: WasmBuffer,
): void {
  const kernel = "qs8Conv2d";
  requireSameInstance(kernel, packed.kernels, kernels);
  const scratchSize = qs8Conv2dScratchSize(packed, shape);
  const { outH, outW } = conv2dOutputHW(shape);
  const { batch, inH, inW, inC, outC } = shape;
  requireBuffer(kernel, "input", input, "int8", batch * inH * inW * inC);
  requireBuffer(kernel, "output", output, "int8", batch * outH * outW * outC);
  requireBuffer(kernel, "scratch", scratch, "int8", scratchSize);
  requireGemmBuffersDisjoint(kernel, output, scratch, input, packed.buffer);
  const { kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = shape;
  const { inputZeroPoint, outputZeroPoint, qmin, qmax } = packed;
  if (packed.kind === "depthwise") {
    kernels.exports.qs8_conv2d_depthwise(
      input.ptr, output.ptr, packed.buffer.ptr, scratch.ptr, batch, inH, inW, inC, outH, outW, outC / inC,
      kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, inputZeroPoint, outputZeroPoint, qmin, qmax,
    );
  } else if (packed.kind === "small") {
    kernels.exports.qs8_conv2d_small(
      input.ptr, output.ptr, packed.buffer.ptr, scratch.ptr, batch, inH, inW, inC, outH, outW, outC,
      kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, 1, 1, inputZeroPoint, outputZeroPoint, qmin, qmax,
    );
  } else {
    kernels.exports.qs8_conv2d(
      input.ptr, output.ptr, packed.buffer.ptr, scratch.ptr, batch, inH, inW, inC, outH, outW, outC,
      kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, shape.groups, inputZeroPoint, outputZeroPoint, qmin, qmax, gemmLayoutOf(packed).relaxed, gemmLayoutOf(packed).weightOffset,
    );
  }
}

/** Whether qs8Conv2dMaxPool can run `pool` after weights packed as `packed`. */
export function canFuseMaxPool(packed: PackedQs8Conv2d, pool: FusedMaxPool): boolean {
  return packed.kind === "small" && packed.monotone && pool.kernelH * pool.kernelW <= FUSED_POOL_MAX_PIXELS;
}

/** The output height and width of the max pool over the convolution's output (floor). */
export function fusedPoolOutputHW(shape: Conv2dShape, pool: FusedMaxPool): { outH: number; outW: number } {
  const { outH, outW } = conv2dOutputHW(shape);
  return { outH: Math.floor(outH / pool.kernelH), outW: Math.floor(outW / pool.kernelW) };
}

/**
 * The convolution followed by a max pool of `pool` (stride = window, no padding, floor), in one
 * pass: output [batch, pooledH, pooledW, outC], the convolution's output never stored. Requires
 * canFuseMaxPool; scratch as for qs8Conv2d.
 */
export function qs8Conv2dMaxPool(
  kernels: KernelInstance,
  packed: PackedQs8Conv2d,
  shape: Conv2dShape,
  pool: FusedMaxPool,
  input: WasmBuffer,
  output: WasmBuffer,
  scratch: WasmBuffer,
): void {
  const kernel = "qs8Conv2dMaxPool";
  requireSameInstance(kernel, packed.kernels, kernels);
  requirePositiveInteger(kernel, "pool.kernelH", pool.kernelH);
  requirePositiveInteger(kernel, "pool.kernelW", pool.kernelW);
  if (!canFuseMaxPool(packed, pool)) {
    throw new ShapeError(
      `${kernel}: needs weights packed for the small kernel with no left shift (got kind '${packed.kind}', ` +
        `${packed.monotone ? "no" : "some"} left shifts) and a pool of at most ${FUSED_POOL_MAX_PIXELS} pixels (got ${pool.kernelH}x${pool.kernelW})`,
    );
  }
  const scratchSize = qs8Conv2dScratchSize(packed, shape);
  const { outH, outW } = conv2dOutputHW(shape);
  const pooled = fusedPoolOutputHW(shape, pool);
  if (pooled.outH < 1 || pooled.outW < 1) {
    throw new ShapeError(`${kernel}: the ${pool.kernelH}x${pool.kernelW} pool does not fit the ${outH}x${outW} convolution output`);
  }
  const { batch, inH, inW, inC, outC } = shape;
  requireBuffer(kernel, "input", input, "int8", batch * inH * inW * inC);
  requireBuffer(kernel, "output", output, "int8", batch * pooled.outH * pooled.outW * outC);
  requireBuffer(kernel, "scratch", scratch, "int8", scratchSize);
  requireGemmBuffersDisjoint(kernel, output, scratch, input, packed.buffer);
  const { kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = shape;
  kernels.exports.qs8_conv2d_small(
    input.ptr, output.ptr, packed.buffer.ptr, scratch.ptr, batch, inH, inW, inC, outH, outW, outC,
    kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, pool.kernelH, pool.kernelW,
    packed.inputZeroPoint, packed.outputZeroPoint, packed.qmin, packed.qmax,
  );
}
