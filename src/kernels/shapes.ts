// Shapes of the spatial kernels, shared by the int8 and fp32 families. Activations are NHWC.
import { ShapeError } from "../errors.js";

export interface Conv2dShape {
  readonly batch: number;
  readonly inH: number;
  readonly inW: number;
  readonly inC: number;
  readonly outC: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly padBottom: number;
  readonly padRight: number;
  readonly groups: number;
}

export interface Pool2dShape {
  readonly batch: number;
  readonly inH: number;
  readonly inW: number;
  readonly channels: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly padBottom: number;
  readonly padRight: number;
  /** Given explicitly: ONNX ceil_mode and auto_pad are resolved by the caller. */
  readonly outH: number;
  readonly outW: number;
}

/** Output extent of a convolution along one axis (floor mode). */
export function convOutputSize(input: number, kernel: number, stride: number, dilation: number, padBefore: number, padAfter: number): number {
  return Math.floor((input + padBefore + padAfter - dilation * (kernel - 1) - 1) / stride) + 1;
}

export function conv2dOutputHW(shape: Conv2dShape): { outH: number; outW: number } {
  return {
    outH: convOutputSize(shape.inH, shape.kernelH, shape.strideH, shape.dilationH, shape.padTop, shape.padBottom),
    outW: convOutputSize(shape.inW, shape.kernelW, shape.strideW, shape.dilationW, shape.padLeft, shape.padRight),
  };
}

const CONV2D_SIZES = [
  "batch", "inH", "inW", "inC", "outC", "kernelH", "kernelW", "strideH", "strideW", "dilationH", "dilationW", "groups",
] as const;
const CONV2D_PADS = ["padTop", "padLeft", "padBottom", "padRight"] as const;

/**
 * Throws a ShapeError unless the convolution is well formed (positive sizes, channels divisible by
 * groups). Runs in every kernel call, so it walks fixed key lists and allocates nothing.
 */
export function validateConv2dShape(kernel: string, shape: Conv2dShape): void {
  for (const key of CONV2D_SIZES) requireShapeInteger(kernel, key, shape[key], 1);
  for (const key of CONV2D_PADS) requireShapeInteger(kernel, key, shape[key], 0);
  if (shape.inC % shape.groups !== 0 || shape.outC % shape.groups !== 0) {
    throw new ShapeError(`${kernel}: inC ${shape.inC} and outC ${shape.outC} must be divisible by groups ${shape.groups}`);
  }
  const { outH, outW } = conv2dOutputHW(shape);
  if (outH < 1 || outW < 1) {
    throw new ShapeError(`${kernel}: output would be ${outH}x${outW}; the padded input is smaller than the dilated kernel`);
  }
}

function requireShapeInteger(kernel: string, key: string, value: number, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) {
    throw new ShapeError(`${kernel}: ${key} must be an integer >= ${minimum}, got ${value}`);
  }
}

const POOL_SIZES = ["batch", "inH", "inW", "channels", "kernelH", "kernelW", "strideH", "strideW", "dilationH", "dilationW", "outH", "outW"] as const;
const POOL_PADS = ["padTop", "padLeft", "padBottom", "padRight"] as const;

function requireExtent(kernel: string, key: string, value: number, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) {
    throw new ShapeError(`${kernel}: ${key} must be an integer >= ${minimum}, got ${value}`);
  }
}

/** Output extent along one axis with ceil_mode (the largest a caller can ask for). */
function ceilOutputSize(input: number, kernel: number, stride: number, dilation: number, padBefore: number, padAfter: number): number {
  return Math.ceil((input + padBefore + padAfter - dilation * (kernel - 1) - 1) / stride) + 1;
}

function validateAxis(
  kernel: string, axis: "H" | "W", input: number, window: number, stride: number, dilation: number,
  padBefore: number, padAfter: number, output: number,
): void {
  if (dilation * (window - 1) + 1 > input + padBefore + padAfter) {
    throw new ShapeError(`${kernel}: the dilated ${axis} window (${window}, dilation ${dilation}) exceeds the padded input (${input} + ${padBefore} + ${padAfter})`);
  }
  const floorSize = convOutputSize(input, window, stride, dilation, padBefore, padAfter);
  const ceilSize = ceilOutputSize(input, window, stride, dilation, padBefore, padAfter);
  if (output < floorSize || output > ceilSize) {
    const range = floorSize === ceilSize ? `${floorSize}` : `${floorSize} (floor) or ${ceilSize} (ceil)`;
    throw new ShapeError(`${kernel}: out${axis} ${output} is impossible for this window; expected ${range}`);
  }
}

/**
 * Throws a ShapeError unless the pooling is well formed: positive sizes (pads >= 0), the dilated
 * window fits the padded input, and outH/outW are the floor- or ceil-mode output size.
 */
export function validatePool2dShape(kernel: string, shape: Pool2dShape): void {
  // Fixed key lists rather than Object.entries: this runs inside session.run(), which must not allocate.
  for (let i = 0; i < POOL_SIZES.length; i++) requireExtent(kernel, POOL_SIZES[i], shape[POOL_SIZES[i]], 1);
  for (let i = 0; i < POOL_PADS.length; i++) requireExtent(kernel, POOL_PADS[i], shape[POOL_PADS[i]], 0);
  const s = shape;
  validateAxis(kernel, "H", s.inH, s.kernelH, s.strideH, s.dilationH, s.padTop, s.padBottom, s.outH);
  validateAxis(kernel, "W", s.inW, s.kernelW, s.strideW, s.dilationW, s.padLeft, s.padRight, s.outW);
}
