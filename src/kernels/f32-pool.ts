// Host side of assembly/f32-pool.ts: validates pooling shapes and buffers, then calls.
import { requireBuffer, type WasmBuffer } from "./arena.js";
import { requireDisjoint } from "./checks.js";
import { requireDimension } from "./f32-common.js";
import type { KernelInstance } from "./module.js";
import { validatePool2dShape, type Pool2dShape } from "./shapes.js";

type Ptr = number;

export interface F32PoolExports {
  f32_maxpool2d(
    input: Ptr, batch: number, inH: number, inW: number, C: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number, dilationH: number, dilationW: number,
    padTop: number, padLeft: number, outH: number, outW: number, output: Ptr,
  ): void;
  f32_avgpool2d(
    input: Ptr, batch: number, inH: number, inW: number, C: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number, dilationH: number, dilationW: number,
    padTop: number, padLeft: number, padBottom: number, padRight: number, outH: number, outW: number,
    countIncludePad: number, output: Ptr,
  ): void;
  f32_global_avgpool(input: Ptr, batch: number, H: number, W: number, C: number, output: Ptr): void;
}

function requirePoolBuffers(kernel: string, shape: Pool2dShape, input: WasmBuffer, output: WasmBuffer): void {
  validatePool2dShape(kernel, shape);
  const inputLength = shape.batch * shape.inH * shape.inW * shape.channels;
  const outputLength = shape.batch * shape.outH * shape.outW * shape.channels;
  requireBuffer(kernel, "input", input, "float32", inputLength);
  requireBuffer(kernel, "output", output, "float32", outputLength);
  requireDisjoint(kernel, "output", output, outputLength, "input", input, inputLength);
}

/** MaxPool2d, NHWC; padding is ignored (a window of padding only gives -Infinity). */
export function f32MaxPool2d(kernels: KernelInstance, shape: Pool2dShape, input: WasmBuffer, output: WasmBuffer): void {
  requirePoolBuffers("f32MaxPool2d", shape, input, output);
  const s = shape;
  kernels.exports.f32_maxpool2d(
    input.ptr, s.batch, s.inH, s.inW, s.channels, s.kernelH, s.kernelW, s.strideH, s.strideW,
    s.dilationH, s.dilationW, s.padTop, s.padLeft, s.outH, s.outW, output.ptr,
  );
}

/**
 * AveragePool2d, NHWC. The divisor counts window positions inside the input, or with
 * `countIncludePad` inside the padded input (never positions past the padding, which ceil mode
 * can create). A window with nothing to count gives 0.
 */
export function f32AvgPool2d(
  kernels: KernelInstance, shape: Pool2dShape, countIncludePad: boolean, input: WasmBuffer, output: WasmBuffer,
): void {
  const kernel = "f32AvgPool2d";
  if (typeof countIncludePad !== "boolean") throw new TypeError(`${kernel}: countIncludePad must be a boolean`);
  requirePoolBuffers(kernel, shape, input, output);
  const s = shape;
  kernels.exports.f32_avgpool2d(
    input.ptr, s.batch, s.inH, s.inW, s.channels, s.kernelH, s.kernelW, s.strideH, s.strideW,
    s.dilationH, s.dilationW, s.padTop, s.padLeft, s.padBottom, s.padRight, s.outH, s.outW,
    countIncludePad ? 1 : 0, output.ptr,
  );
}

/** GlobalAveragePool, NHWC [batch, H, W, C] -> [batch, C]. */
export function f32GlobalAvgPool(
  kernels: KernelInstance, batch: number, H: number, W: number, C: number, input: WasmBuffer, output: WasmBuffer,
): void {
  const kernel = "f32GlobalAvgPool";
  requireDimension(kernel, "batch", batch);
  requireDimension(kernel, "H", H);
  requireDimension(kernel, "W", W);
  requireDimension(kernel, "C", C);
  const inputLength = batch * H * W * C;
  requireBuffer(kernel, "input", input, "float32", inputLength);
  requireBuffer(kernel, "output", output, "float32", batch * C);
  requireDisjoint(kernel, "output", output, batch * C, "input", input, inputLength);
  kernels.exports.f32_global_avgpool(input.ptr, batch, H, W, C, output.ptr);
}
