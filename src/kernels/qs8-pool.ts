// int8 pooling over NHWC activations (DESIGN.md 3.2). MaxPool keeps the input's (S, Z). Average
// pooling sums in int32; with the output's (S, Z) equal to the input's it divides by the count,
// rounding half to even, otherwise it requantizes with M = S_x / (S_y * count), whose
// fixed-point form is tabulated here once per possible count.
import { QuantizationError, ShapeError } from "../errors.js";
import { headroomMultiplier, type ShiftedMultiplier } from "../quant/fixed-point.js";
import { requireBuffer, type WasmArena, type WasmBuffer } from "./arena.js";
import {
  INT8_MAX, INT8_MIN, requireDim, requireDisjoint, requireInt8Range, requireScale, requireZeroPoint,
} from "./checks.js";
import type { KernelInstance } from "./module.js";
import { validatePool2dShape, type Pool2dShape } from "./shapes.js";

type Ptr = number;

export interface Qs8PoolExports {
  qs8_maxpool2d(
    input: Ptr, batch: number, inH: number, inW: number, channels: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number, dilationH: number, dilationW: number,
    padTop: number, padLeft: number, outH: number, outW: number, qmin: number, qmax: number, out: Ptr,
  ): void;
  qs8_avgpool2d(
    input: Ptr, batch: number, inH: number, inW: number, channels: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number, dilationH: number, dilationW: number,
    padTop: number, padLeft: number, padBottom: number, padRight: number, outH: number, outW: number,
    countIncludePad: number, zeroPointIn: number, requantize: number, multipliers: Ptr,
    zeroPointOut: number, qmin: number, qmax: number, out: Ptr,
  ): void;
  qs8_global_avgpool(
    input: Ptr, batch: number, pixels: number, channels: number,
    zeroPointIn: number, requantize: number, multiplier: number, leftShift: number, rightShift: number,
    zeroPointOut: number, qmin: number, qmax: number, out: Ptr,
  ): void;
}

/** The fused activation of a pooling layer, as a clamp of the output codes. */
export interface Int8Clamp {
  readonly qmin: number;
  readonly qmax: number;
}

/** Input and output quantization of an average pool; qmin..qmax (default int8) is the fused activation. */
export interface AvgPoolQuantization {
  readonly inputScale: number;
  readonly inputZeroPoint: number;
  readonly outputScale: number;
  readonly outputZeroPoint: number;
  readonly qmin?: number;
  readonly qmax?: number;
}

/** Everything qs8AvgPool2d needs, precomputed once by prepareQs8AvgPool2d. */
export interface Qs8AvgPool2dParams {
  readonly shape: Pool2dShape;
  readonly countIncludePad: boolean;
  readonly inputZeroPoint: number;
  readonly outputZeroPoint: number;
  readonly qmin: number;
  readonly qmax: number;
  /** Null when the output's (S, Z) equal the input's: the kernel divides instead. */
  readonly multipliers: WasmBuffer | null;
}

export interface GlobalPoolShape {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** Everything qs8GlobalAvgPool needs, precomputed once by prepareQs8GlobalAvgPool. */
export interface Qs8GlobalAvgPoolParams {
  readonly shape: GlobalPoolShape;
  readonly inputZeroPoint: number;
  readonly outputZeroPoint: number;
  readonly qmin: number;
  readonly qmax: number;
  readonly requantize: boolean;
  readonly multiplier: number;
  readonly leftShift: number;
  readonly rightShift: number;
}

// Sums and zero-point corrections stay within int32 for windows of up to 2^23 positions
// (255 * 2^23 < 2^31), and the kernel's division by the count is exact in f64 up to there.
const MAX_WINDOW = 2 ** 23;
// M * |acc| <= 255 * S_x / S_y; the fixed-point left shift (2^shift <= 2M) must not wrap an
// int32, which holds for S_x / S_y <= 2^22.
const MAX_SCALE_RATIO = 2 ** 22;
/** int32 fields per count in the average-pool multiplier table: M0, left shift, right shift, padding. */
const TABLE_STRIDE = 4;

/**
 * The shape checks of validatePool2dShape (src/kernels/shapes.ts), plus the window limit under
 * which int32 sums and the f64 division stay exact.
 */
function validateQs8PoolShape(kernel: string, shape: Pool2dShape): void {
  validatePool2dShape(kernel, shape);
  if (shape.kernelH * shape.kernelW > MAX_WINDOW) {
    throw new ShapeError(`${kernel}: a ${shape.kernelH}x${shape.kernelW} window exceeds ${MAX_WINDOW} positions`);
  }
}

/** Max pooling (padded positions ignored), clamped to clamp.qmin..qmax; a window wholly in padding gives qmin. */
export function qs8MaxPool2d(
  kernels: KernelInstance, input: WasmBuffer, shape: Pool2dShape, clamp: Int8Clamp, out: WasmBuffer,
): void {
  const kernel = "qs8MaxPool2d";
  validateQs8PoolShape(kernel, shape);
  requireInt8Range(kernel, clamp.qmin, clamp.qmax);
  const inputLength = shape.batch * shape.inH * shape.inW * shape.channels;
  const outputLength = shape.batch * shape.outH * shape.outW * shape.channels;
  requireBuffer(kernel, "input", input, "int8", inputLength);
  requireBuffer(kernel, "out", out, "int8", outputLength);
  requireDisjoint(kernel, "out", out, outputLength, "input", input, inputLength);
  kernels.exports.qs8_maxpool2d(
    input.ptr, shape.batch, shape.inH, shape.inW, shape.channels,
    shape.kernelH, shape.kernelW, shape.strideH, shape.strideW, shape.dilationH, shape.dilationW,
    shape.padTop, shape.padLeft, shape.outH, shape.outW, clamp.qmin, clamp.qmax, out.ptr,
  );
}

function requireAvgPoolQuantization(kernel: string, quant: AvgPoolQuantization): { qmin: number; qmax: number; requantize: boolean } {
  const qmin = quant.qmin ?? INT8_MIN;
  const qmax = quant.qmax ?? INT8_MAX;
  requireInt8Range(kernel, qmin, qmax);
  requireScale(kernel, "inputScale", quant.inputScale);
  requireScale(kernel, "outputScale", quant.outputScale);
  requireZeroPoint(kernel, "inputZeroPoint", quant.inputZeroPoint);
  requireZeroPoint(kernel, "outputZeroPoint", quant.outputZeroPoint);
  const requantize = quant.inputScale !== quant.outputScale || quant.inputZeroPoint !== quant.outputZeroPoint;
  if (requantize && !(quant.inputScale / quant.outputScale <= MAX_SCALE_RATIO)) {
    throw new QuantizationError(
      `${kernel}: inputScale / outputScale = ${quant.inputScale / quant.outputScale} exceeds ${MAX_SCALE_RATIO}`,
    );
  }
  return { qmin, qmax, requantize };
}

/** The fixed-point form of the average's multiplier S_x / (S_y * count). */
/** M = S_x / (S_y count), applied to sums |sum - valid Z_x| <= 255 count shifted into their int32 headroom. */
function averageMultiplier(quant: AvgPoolQuantization, count: number): ShiftedMultiplier {
  return headroomMultiplier(quant.inputScale / (quant.outputScale * count), 255 * count);
}

/**
 * Checks the shape and quantization and, when the output (S, Z) differ from the input's, writes
 * the table of (M0, left shift, right shift, 0) int32 quadruples indexed by count (1..kernelH * kernelW) into the arena.
 */
export function prepareQs8AvgPool2d(
  arena: WasmArena, shape: Pool2dShape, countIncludePad: boolean, quant: AvgPoolQuantization,
): Qs8AvgPool2dParams {
  const kernel = "prepareQs8AvgPool2d";
  validateQs8PoolShape(kernel, shape);
  const { qmin, qmax, requantize } = requireAvgPoolQuantization(kernel, quant);
  let multipliers: WasmBuffer | null = null;
  if (requantize) {
    const window = shape.kernelH * shape.kernelW;
    const table = new Int32Array(TABLE_STRIDE * (window + 1));
    for (let count = 1; count <= window; count++) {
      const { multiplier, leftShift, rightShift } = averageMultiplier(quant, count);
      table.set([multiplier, leftShift, rightShift], TABLE_STRIDE * count);
    }
    multipliers = arena.from("int32", table);
  }
  return Object.freeze({
    shape: Object.freeze({ ...shape }),
    countIncludePad,
    inputZeroPoint: quant.inputZeroPoint,
    outputZeroPoint: quant.outputZeroPoint,
    qmin,
    qmax,
    multipliers,
  });
}

/** Average pooling with the parameters of prepareQs8AvgPool2d (see assembly/qs8-pool.ts for the exact definition). */
export function qs8AvgPool2d(kernels: KernelInstance, input: WasmBuffer, params: Qs8AvgPool2dParams, out: WasmBuffer): void {
  const kernel = "qs8AvgPool2d";
  const shape = params.shape;
  validateQs8PoolShape(kernel, shape);
  requireInt8Range(kernel, params.qmin, params.qmax);
  requireZeroPoint(kernel, "inputZeroPoint", params.inputZeroPoint);
  requireZeroPoint(kernel, "outputZeroPoint", params.outputZeroPoint);
  if (params.multipliers) {
    requireBuffer(kernel, "multipliers", params.multipliers, "int32", TABLE_STRIDE * (shape.kernelH * shape.kernelW + 1));
  } else if (params.inputZeroPoint !== params.outputZeroPoint) {
    throw new QuantizationError(`${kernel}: dividing (no multipliers) needs equal input and output zero points`);
  }
  const inputLength = shape.batch * shape.inH * shape.inW * shape.channels;
  const outputLength = shape.batch * shape.outH * shape.outW * shape.channels;
  requireBuffer(kernel, "input", input, "int8", inputLength);
  requireBuffer(kernel, "out", out, "int8", outputLength);
  requireDisjoint(kernel, "out", out, outputLength, "input", input, inputLength);
  kernels.exports.qs8_avgpool2d(
    input.ptr, shape.batch, shape.inH, shape.inW, shape.channels,
    shape.kernelH, shape.kernelW, shape.strideH, shape.strideW, shape.dilationH, shape.dilationW,
    shape.padTop, shape.padLeft, shape.padBottom, shape.padRight, shape.outH, shape.outW,
    params.countIncludePad ? 1 : 0, params.inputZeroPoint, params.multipliers ? 1 : 0, params.multipliers?.ptr ?? 0,
    params.outputZeroPoint, params.qmin, params.qmax, out.ptr,
  );
}

function validateGlobalPoolShape(kernel: string, shape: GlobalPoolShape): void {
  requireDim(kernel, "batch", shape.batch);
  requireDim(kernel, "height", shape.height);
  requireDim(kernel, "width", shape.width);
  requireDim(kernel, "channels", shape.channels);
  if (shape.height * shape.width > MAX_WINDOW) {
    throw new ShapeError(`${kernel}: ${shape.height}x${shape.width} pixels exceed ${MAX_WINDOW}`);
  }
}

/** Checks the shape and quantization and computes the one multiplier for count = height * width. */
export function prepareQs8GlobalAvgPool(shape: GlobalPoolShape, quant: AvgPoolQuantization): Qs8GlobalAvgPoolParams {
  const kernel = "prepareQs8GlobalAvgPool";
  validateGlobalPoolShape(kernel, shape);
  const { qmin, qmax, requantize } = requireAvgPoolQuantization(kernel, quant);
  const { multiplier, leftShift, rightShift } = requantize
    ? averageMultiplier(quant, shape.height * shape.width)
    : { multiplier: 0, leftShift: 0, rightShift: 0 };
  return Object.freeze({
    shape: Object.freeze({ ...shape }),
    inputZeroPoint: quant.inputZeroPoint,
    outputZeroPoint: quant.outputZeroPoint,
    qmin,
    qmax,
    requantize,
    multiplier,
    leftShift,
    rightShift,
  });
}

/** Global average pooling: NHWC [batch, height, width, channels] in, [batch, channels] out. */
export function qs8GlobalAvgPool(kernels: KernelInstance, input: WasmBuffer, params: Qs8GlobalAvgPoolParams, out: WasmBuffer): void {
  const kernel = "qs8GlobalAvgPool";
  const shape = params.shape;
  validateGlobalPoolShape(kernel, shape);
  requireInt8Range(kernel, params.qmin, params.qmax);
  requireZeroPoint(kernel, "inputZeroPoint", params.inputZeroPoint);
  requireZeroPoint(kernel, "outputZeroPoint", params.outputZeroPoint);
  if (!params.requantize && params.inputZeroPoint !== params.outputZeroPoint) {
    throw new QuantizationError(`${kernel}: dividing (requantize false) needs equal input and output zero points`);
  }
  if (!(Number.isInteger(params.multiplier) && params.multiplier >= 0 && params.multiplier <= 0x7fffffff
    && Number.isInteger(params.leftShift) && params.leftShift >= 0 && params.leftShift <= 31
    && Number.isInteger(params.rightShift) && params.rightShift >= 0 && params.rightShift <= 31)) {
    throw new QuantizationError(`${kernel}: multiplier ${params.multiplier} / shifts ${params.leftShift}, ${params.rightShift} out of range`);
  }
  const pixels = shape.height * shape.width;
  const inputLength = shape.batch * pixels * shape.channels;
  const outputLength = shape.batch * shape.channels;
  requireBuffer(kernel, "input", input, "int8", inputLength);
  requireBuffer(kernel, "out", out, "int8", outputLength);
  requireDisjoint(kernel, "out", out, outputLength, "input", input, inputLength);
  kernels.exports.qs8_global_avgpool(
    input.ptr, shape.batch, pixels, shape.channels,
    params.inputZeroPoint, params.requantize ? 1 : 0, params.multiplier, params.leftShift, params.rightShift,
    params.outputZeroPoint, params.qmin, params.qmax, out.ptr,
  );
}
