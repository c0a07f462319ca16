// Host side of assembly/f32-conv.ts: packs ONNX OIHW weights once (GEMM panels per group, or
// [KH*KW][outC] for depthwise), sizes the scratch, validates and calls.
import { ShapeError } from "../errors.js";
import { requireBuffer, type WasmArena, type WasmBuffer } from "./arena.js";
import { requireDisjoint, requireSameInstance } from "./checks.js";
import {
  requireFloat32Array, requireDimension, resolveClamp,
  type ClampRange,
} from "./f32-common.js";
import { F32_GEMM_PANEL, f32GemmPackedLength, writeF32GemmPanels } from "./f32-gemm.js";
import type { KernelInstance } from "./module.js";
import { conv2dOutputHW, validateConv2dShape, type Conv2dShape } from "./shapes.js";

type Ptr = number;

export interface F32ConvExports {
  f32_conv2d(
    input: Ptr, batch: number, inH: number, inW: number, inC: number, outC: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number, dilationH: number, dilationW: number,
    padTop: number, padLeft: number, outH: number, outW: number, groups: number,
    packed: Ptr, bias: Ptr, output: Ptr, scratch: Ptr, scratchRows: number,
    clampMin: number, clampMax: number,
  ): void;
  f32_dwconv2d(
    input: Ptr, batch: number, inH: number, inW: number, inC: number, outC: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number, dilationH: number, dilationW: number,
    padTop: number, padLeft: number, outH: number, outW: number,
    packed: Ptr, bias: Ptr, output: Ptr, scratch: Ptr,
    clampMin: number, clampMax: number,
  ): void;
}

/** Floats of unfolded input the GEMM path multiplies at a time (a block that stays in L2). */
const IM2COL_BLOCK_FLOATS = 32768;

export interface F32Conv2dParams extends Partial<ClampRange> {
  /** ONNX OIHW: [outC, inCPerGroup, kernelH, kernelW]. */
  readonly weights: Float32Array;
  readonly outC: number;
  readonly inCPerGroup: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly groups: number;
  /** [outC], or null for none. */
  readonly bias: Float32Array | null;
}

/**
 * Conv weights in kernel layout. "gemm": per group, the GEMM panels of the [outC/groups, KH*KW*inCPerGroup]
 * matrix with k ordered (kh, kw, ci), bias padded per group to whole panels. "depthwise"
 * (inCPerGroup 1, groups > 1): weights [KH*KW][outC], bias [outC].
 */
export interface PackedF32Conv2d extends ClampRange {
  readonly kernels: KernelInstance;
  readonly kind: "gemm" | "depthwise";
  readonly outC: number;
  readonly inCPerGroup: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly groups: number;
  readonly weights: WasmBuffer;
  readonly bias: WasmBuffer;
}

/** Packs a Conv layer's weights and bias once, at load time. */
export function packF32Conv2d(arena: WasmArena, params: F32Conv2dParams): PackedF32Conv2d {
  const kernel = "packF32Conv2d";
  const { outC, inCPerGroup, kernelH, kernelW, groups } = params;
  requireDimension(kernel, "outC", outC);
  requireDimension(kernel, "inCPerGroup", inCPerGroup);
  requireDimension(kernel, "kernelH", kernelH);
  requireDimension(kernel, "kernelW", kernelW);
  requireDimension(kernel, "groups", groups);
  if (outC % groups !== 0) throw new ShapeError(`${kernel}: outC ${outC} must be divisible by groups ${groups}`);
  const weights = requireFloat32Array(kernel, "weights", params.weights, outC * inCPerGroup * kernelH * kernelW);
  const bias = params.bias === null ? new Float32Array(outC) : requireFloat32Array(kernel, "bias", params.bias, outC);
  const clamp = resolveClamp(kernel, params.clampMin, params.clampMax);
  const kind = inCPerGroup === 1 && groups > 1 ? "depthwise" : "gemm";
  const packed = kind === "depthwise"
    ? packDepthwise(weights, bias, outC, kernelH * kernelW)
    : packGroupedGemm(weights, bias, params);
  return {
    kernels: arena.kernels, kind, outC, inCPerGroup, kernelH, kernelW, groups, ...clamp,
    weights: arena.from("float32", packed.weights),
    bias: arena.from("float32", packed.bias),
  };
}

function packDepthwise(weights: Float32Array, bias: Float32Array, outC: number, taps: number) {
  const packed = new Float32Array(taps * outC);
  for (let c = 0; c < outC; c++) {
    for (let t = 0; t < taps; t++) packed[t * outC + c] = weights[c * taps + t];
  }
  return { weights: packed, bias };
}

function packGroupedGemm(weights: Float32Array, bias: Float32Array, params: F32Conv2dParams) {
  const { outC, inCPerGroup: groupC, kernelH, kernelW, groups } = params;
  const groupOutC = outC / groups;
  const taps = kernelH * kernelW;
  const K = taps * groupC;
  const groupPackedLength = f32GemmPackedLength(groupOutC, K);
  const paddedGroupOutC = Math.ceil(groupOutC / F32_GEMM_PANEL) * F32_GEMM_PANEL;
  const packed = new Float32Array(groups * groupPackedLength);
  const paddedBias = new Float32Array(groups * paddedGroupOutC);
  const matrix = new Float32Array(groupOutC * K);
  for (let g = 0; g < groups; g++) {
    for (let o = 0; o < groupOutC; o++) {
      const oc = g * groupOutC + o;
      for (let ci = 0; ci < groupC; ci++) {
        for (let t = 0; t < taps; t++) matrix[o * K + t * groupC + ci] = weights[(oc * groupC + ci) * taps + t];
      }
      paddedBias[g * paddedGroupOutC + o] = bias[oc];
    }
    writeF32GemmPanels(matrix, groupOutC, K, packed, g * groupPackedLength);
  }
  return { weights: packed, bias: paddedBias };
}

/** Throws a ShapeError unless `shape` is valid and describes the layer `packed` was built for. */
function validateAgainstPacked(kernel: string, packed: PackedF32Conv2d, shape: Conv2dShape): void {
  validateConv2dShape(kernel, shape);
  requireMatch(kernel, "inC", shape.inC, packed.inCPerGroup * packed.groups);
  requireMatch(kernel, "outC", shape.outC, packed.outC);
  requireMatch(kernel, "groups", shape.groups, packed.groups);
  requireMatch(kernel, "kernelH", shape.kernelH, packed.kernelH);
  requireMatch(kernel, "kernelW", shape.kernelW, packed.kernelW);
}

function requireMatch(kernel: string, key: string, actual: number, packedFor: number): void {
  if (actual !== packedFor) throw new ShapeError(`${kernel}: shape.${key} is ${actual} but the weights were packed for ${packedFor}`);
}

function isDirectGemm(shape: Conv2dShape): boolean {
  return shape.kernelH === 1 && shape.kernelW === 1 && shape.strideH === 1 && shape.strideW === 1 &&
    shape.padTop === 0 && shape.padLeft === 0 && shape.padBottom === 0 && shape.padRight === 0;
}

/** Output pixels unfolded per block on the GEMM path (a multiple of the 4-row tile where possible). */
function im2colRows(packed: PackedF32Conv2d, shape: Conv2dShape): number {
  const { outH, outW } = conv2dOutputHW(shape);
  const K = packed.kernelH * packed.kernelW * packed.inCPerGroup;
  const rows = Math.max(4, Math.floor(IM2COL_BLOCK_FLOATS / K / 4) * 4);
  return Math.min(rows, outH * outW);
}

/** Float32 elements of scratch `f32Conv2d` needs for this shape (0: none). */
export function f32Conv2dScratchSize(packed: PackedF32Conv2d, shape: Conv2dShape): number {
  validateAgainstPacked("f32Conv2dScratchSize", packed, shape);
  if (packed.kind === "depthwise") {
    return packed.outC > shape.inC ? shape.inH * shape.inW * packed.outC : 0;
  }
  if (isDirectGemm(shape)) return 0;
  return im2colRows(packed, shape) * packed.kernelH * packed.kernelW * packed.inCPerGroup;
}

/**
 * output [batch, outH, outW, outC] = clamp(conv(input [batch, inH, inW, inC]) + bias), NHWC.
 * `scratch` holds at least f32Conv2dScratchSize floats (may be null when that is 0).
 */
export function f32Conv2d(
  kernels: KernelInstance,
  packed: PackedF32Conv2d,
  shape: Conv2dShape,
  input: WasmBuffer,
  output: WasmBuffer,
  scratch: WasmBuffer | null,
): void {
  const kernel = "f32Conv2d";
  requireSameInstance(kernel, packed.kernels, kernels);
  const scratchLength = f32Conv2dScratchSize(packed, shape);
  const { outH, outW } = conv2dOutputHW(shape);
  const s = shape;
  const inputLength = s.batch * s.inH * s.inW * s.inC;
  const outputLength = s.batch * outH * outW * s.outC;
  requireBuffer(kernel, "input", input, "float32", inputLength);
  requireBuffer(kernel, "output", output, "float32", outputLength);
  requireDisjoint(kernel, "output", output, outputLength, "input", input, inputLength);
  requireDisjoint(kernel, "output", output, outputLength, "weights", packed.weights, packed.weights.length);
  requireDisjoint(kernel, "output", output, outputLength, "bias", packed.bias, packed.bias.length);
  let scratchPtr = 0;
  if (scratchLength > 0) {
    if (scratch === null) throw new RangeError(`${kernel}: this shape needs ${scratchLength} floats of scratch, got none`);
    requireBuffer(kernel, "scratch", scratch, "float32", scratchLength);
    requireDisjoint(kernel, "scratch", scratch, scratchLength, "input", input, inputLength);
    requireDisjoint(kernel, "scratch", scratch, scratchLength, "output", output, outputLength);
    requireDisjoint(kernel, "scratch", scratch, scratchLength, "weights", packed.weights, packed.weights.length);
    requireDisjoint(kernel, "scratch", scratch, scratchLength, "bias", packed.bias, packed.bias.length);
    scratchPtr = scratch.ptr;
  }
  const { clampMin, clampMax } = packed;
  if (packed.kind === "depthwise") {
    kernels.exports.f32_dwconv2d(
      input.ptr, s.batch, s.inH, s.inW, s.inC, s.outC, s.kernelH, s.kernelW, s.strideH, s.strideW,
      s.dilationH, s.dilationW, s.padTop, s.padLeft, outH, outW,
      packed.weights.ptr, packed.bias.ptr, output.ptr, scratchPtr, clampMin, clampMax,
    );
    return;
  }
  kernels.exports.f32_conv2d(
    input.ptr, s.batch, s.inH, s.inW, s.inC, s.outC, s.kernelH, s.kernelW, s.strideH, s.strideW,
    s.dilationH, s.dilationW, s.padTop, s.padLeft, outH, outW, s.groups,
    packed.weights.ptr, packed.bias.ptr, output.ptr, scratchPtr, im2colRows(packed, shape), clampMin, clampMax,
  );
}
