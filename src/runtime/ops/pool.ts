// MaxPool, AveragePool, GlobalAveragePool: fp32 on the f32 pool kernels, int8 on the qs8 ones
// (max pooling keeps the input's parameters; average pooling requantizes if they differ).
import { UnsupportedError } from "../../errors.js";
import { attrInt, type Node } from "../../graph/ir.js";
import { readSpatialAttributes, resolveSpatial } from "../../graph/spatial.js";
import { f32AvgPool2d, f32GlobalAvgPool, f32MaxPool2d } from "../../kernels/f32-pool.js";
import {
  prepareQs8AvgPool2d, prepareQs8GlobalAvgPool, qs8AvgPool2d, qs8GlobalAvgPool, qs8MaxPool2d,
} from "../../kernels/qs8-pool.js";
import type { Pool2dShape } from "../../kernels/shapes.js";
import type { BindContext, OpFactory, PrepareContext, PreparedOp } from "./types.js";
import type { LoweredStep } from "../lowering.js";
import { activationClamp } from "./quant-params.js";
import { roundHalfToEven } from "./onnx-requantization.js";

export function pool2dShape(node: Node, inputDims: readonly number[]): Pool2dShape {
  if (inputDims.length !== 4) {
    throw new UnsupportedError(`${node.opType} is supported on 4-D inputs, got rank ${inputDims.length}`, { node: node.name });
  }
  const [batch, channels, inH, inW] = inputDims;
  const spatial = readSpatialAttributes(node, 2);
  const resolved = resolveSpatial(spatial, [inH, inW], node.name);
  return {
    batch, channels, inH, inW,
    kernelH: spatial.kernel[0], kernelW: spatial.kernel[1],
    strideH: spatial.strides[0], strideW: spatial.strides[1],
    dilationH: spatial.dilations[0], dilationW: spatial.dilations[1],
    padTop: resolved.padsBegin[0], padLeft: resolved.padsBegin[1],
    padBottom: resolved.padsEnd[0], padRight: resolved.padsEnd[1],
    outH: resolved.output[0], outW: resolved.output[1],
  };
}

function isGlobalAverage(node: Node): boolean {
  return node.opType === "GlobalAveragePool" || node.opType === "QLinearGlobalAveragePool";
}

function globalShape(b: BindContext) {
  const [batch, channels, height, width] = b.input(0).dims;
  return { batch, channels, height, width };
}

function prepareFloatPool(node: Node): PreparedOp {
  return {
    kernel: node.opType === "MaxPool" ? "f32_maxpool2d" : node.opType === "AveragePool" ? "f32_avgpool2d" : "f32_global_avgpool",
    scratchBytes: () => 0,
    bind(b) {
      const [input, output] = [b.input(0).buffer, b.output(0).buffer];
      if (isGlobalAverage(node)) {
        const { batch, channels, height, width } = globalShape(b);
        return () => f32GlobalAvgPool(b.kernels, batch, height, width, channels, input, output);
      }
      const shape = pool2dShape(node, b.input(0).dims);
      if (node.opType === "MaxPool") return () => f32MaxPool2d(b.kernels, shape, input, output);
      const includePad = attrInt(node, "count_include_pad", 0) === 1;
      return () => f32AvgPool2d(b.kernels, shape, includePad, input, output);
    },
  };
}

function prepareInt8Pool(ctx: PrepareContext, step: Extract<LoweredStep, { op: "qpool" | "qpassthrough" }>): PreparedOp {
  const node = step.node;
  const input = ctx.valueQuant(step.input);
  const output = ctx.valueQuant(step.output);
  const activation = step.op === "qpool" ? step.activation : undefined;
  const quant = {
    inputScale: input.scale, inputZeroPoint: input.zeroPoint, outputScale: output.scale, outputZeroPoint: output.zeroPoint,
    ...activationClamp(activation, output),
  };
  return {
    kernel: node.opType === "MaxPool" ? "qs8_maxpool2d" : node.opType === "AveragePool" ? "qs8_avgpool2d" : "qs8_global_avgpool",
    scratchBytes: () => 0,
    bind(b) {
      const [x, y] = [b.input(0).buffer, b.output(0).buffer];
      if (isGlobalAverage(node)) {
        const params = prepareQs8GlobalAvgPool(globalShape(b), quant);
        return () => qs8GlobalAvgPool(b.kernels, x, params, y);
      }
      const shape = pool2dShape(node, b.input(0).dims);
      if (node.opType === "MaxPool") return () => qs8MaxPool2d(b.kernels, x, shape, { qmin: -128, qmax: 127 }, y);
      const params = prepareQs8AvgPool2d(b.arena, shape, attrInt(node, "count_include_pad", 0) === 1, quant);
      return () => qs8AvgPool2d(b.kernels, x, params, y);
    },
  };
}

/**
 * Global average pooling in the "onnx" mode, as ONNX Runtime's MLAS computes it (portable form):
 * acc = sum - Z_x * count (int32), y = clamp(nearbyint(f32(acc) * f32(S_x / f32(S_y * count))) + Z_y).
 */
function prepareOnnxGlobalAvgPool(ctx: PrepareContext, step: Extract<LoweredStep, { op: "qpool" }>): PreparedOp {
  const input = ctx.valueQuant(step.input);
  const output = ctx.valueQuant(step.output);
  const { qmin, qmax } = activationClamp(step.activation, output);
  const f = Math.fround;
  return {
    kernel: "js_global_avgpool+onnx_requantize",
    scratchBytes: () => 0,
    bind(b) {
      const { batch, channels, height, width } = globalShape(b);
      const pixels = height * width;
      const scale = f(input.scale / f(output.scale * pixels));
      const bias = -input.zeroPoint * pixels;
      const x = b.arena.view(b.input(0).buffer as never) as Int8Array;
      const y = b.arena.view(b.output(0).buffer as never) as Int8Array;
      return () => {
        for (let n = 0; n < batch; n++) {
          const image = n * pixels * channels;
          for (let c = 0; c < channels; c++) {
            let acc = bias;
            for (let p = 0; p < pixels; p++) acc += x[image + p * channels + c];
            const q = roundHalfToEven(f(acc * scale)) + output.zeroPoint;
            y[n * channels + c] = q < qmin ? qmin : q > qmax ? qmax : q;
          }
        }
      };
    },
  };
}

export const preparePool: OpFactory = (ctx, step) => {
  if (step.op === "qpool" && ctx.requantization === "onnx" && isGlobalAverage(step.node)) return prepareOnnxGlobalAvgPool(ctx, step);
  if (step.op === "qpool" || step.op === "qpassthrough") return prepareInt8Pool(ctx, step);
  return prepareFloatPool(step.node);
};
