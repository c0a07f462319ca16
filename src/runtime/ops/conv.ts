// Conv: fp32 on f32_conv2d, or int8 on qs8_conv2d when lowered from a QDQ pattern.
import { ShapeError, UnsupportedError } from "../../errors.js";
import { attrInt, type Node } from "../../graph/ir.js";
import { readSpatialAttributes, resolveSpatial } from "../../graph/spatial.js";
import { f32Conv2d, f32Conv2dScratchSize, packF32Conv2d } from "../../kernels/f32-conv.js";
import {
  canFuseMaxPool, fusedPoolOutputHW, packQs8Conv2d, qs8Conv2d, qs8Conv2dMaxPool, qs8Conv2dScratchSize,
  type FusedMaxPool, type PackedQs8Conv2d,
} from "../../kernels/qs8-conv.js";
import { qs8MaxPool2d } from "../../kernels/qs8-pool.js";
import { conv2dOutputHW, type Conv2dShape, type Pool2dShape } from "../../kernels/shapes.js";
import type { LoweredStep } from "../lowering.js";
import { prepareOnnxConv } from "./onnx-linear.js";
import { activationClamp, int8Requantization } from "./quant-params.js";
import { floatWeights, scratchBuffer } from "./common.js";
import type { BindContext, OpFactory, PreparedOp } from "./types.js";

/** The kernel's view of a Conv node over an NCHW input of `inputDims`. */
export function conv2dShape(node: Node, inputDims: readonly number[], weightDims: readonly number[]): Conv2dShape {
  if (inputDims.length !== 4 || weightDims.length !== 4) {
    throw new UnsupportedError(`Conv is supported on 4-D inputs (2-D convolution), got rank ${inputDims.length}`, { node: node.name });
  }
  const [batch, inC, inH, inW] = inputDims;
  const [outC, , kernelH, kernelW] = weightDims;
  const spatial = readSpatialAttributes(node, 2, [kernelH, kernelW]);
  const resolved = resolveSpatial(spatial, [inH, inW], node.name);
  const groups = attrInt(node, "group", 1);
  if (weightDims[1] * groups !== inC) {
    throw new ShapeError(`Conv weights expect ${weightDims[1] * groups} input channels (group ${groups}), the input has ${inC}`, { node: node.name });
  }
  return {
    batch, inH, inW, inC, outC, kernelH, kernelW,
    strideH: spatial.strides[0], strideW: spatial.strides[1],
    dilationH: spatial.dilations[0], dilationW: spatial.dilations[1],
    padTop: resolved.padsBegin[0], padLeft: resolved.padsBegin[1],
    padBottom: resolved.padsEnd[0], padRight: resolved.padsEnd[1],
    groups,
  };
}

function prepareFloatConv(ctx: Parameters<OpFactory>[0], node: Node): PreparedOp {
  const { data: weights, dims } = floatWeights(ctx, node, 1);
  const bias = node.inputs[2] ? floatWeights(ctx, node, 2).data : null;
  const groups = attrInt(node, "group", 1);
  const packed = packF32Conv2d(ctx.arena, {
    weights, outC: dims[0], inCPerGroup: dims[1], kernelH: dims[2], kernelW: dims[3], groups, bias,
    clampMin: node.activation?.min ?? -Infinity, clampMax: node.activation?.max ?? Infinity,
  });
  const shapeOf = (b: BindContext) => conv2dShape(node, b.input(0).dims, dims);
  return {
    kernel: packed.kind === "depthwise" ? "f32_dwconv2d" : "f32_conv2d",
    scratchBytes: (b) => 4 * f32Conv2dScratchSize(packed, shapeOf(b)),
    bind(b, scratch) {
      const shape = shapeOf(b);
      const [input, output] = [b.input(0).buffer, b.output(0).buffer];
      const scratchBuf = scratchBuffer(scratch, "float32", f32Conv2dScratchSize(packed, shape));
      return () => f32Conv2d(b.kernels, packed, shape, input, output, scratchBuf);
    },
  };
}

function prepareInt8Conv(ctx: Parameters<OpFactory>[0], step: Extract<LoweredStep, { op: "qlinear" }>, values: BindQuant): PreparedOp {
  const { node, weights } = step;
  const dims = weights.dims;
  const requant = int8Requantization(values.input, weights.scales, values.output, activationClamp(step.activation, values.output));
  const packed = packQs8Conv2d(ctx.arena, {
    weights: weights.data, outC: dims[0], inCPerGroup: dims[1], kernelH: dims[2], kernelW: dims[3],
    groups: attrInt(node, "group", 1), bias: weights.bias, inputZeroPoint: values.input.zeroPoint, ...requant,
  });
  const shapeOf = (b: BindContext) => conv2dShape(node, b.input(0).dims, dims);
  if (step.pool) return withMaxPool(packed, step.pool, shapeOf);
  return {
    kernel: { depthwise: "qs8_conv2d_depthwise", small: "qs8_conv2d_small", gemm: "qs8_conv2d" }[packed.kind],
    scratchBytes: (b) => qs8Conv2dScratchSize(packed, shapeOf(b)),
    bind(b, scratch) {
      const shape = shapeOf(b);
      const [input, output] = [b.input(0).buffer, b.output(0).buffer];
      const scratchBuf = scratchBuffer(scratch, "int8", qs8Conv2dScratchSize(packed, shape));
      return () => qs8Conv2d(b.kernels, packed, shape, input, output, scratchBuf);
    },
  };
}

/**
 * The convolution and the max pool fused into it (conv-pool-fusion.ts): one pass when the packed
 * weights allow it (canFuseMaxPool), else the convolution into scratch and qs8MaxPool2d from there.
 */
function withMaxPool(packed: PackedQs8Conv2d, pool: FusedMaxPool, shapeOf: (b: BindContext) => Conv2dShape): PreparedOp {
  const convScratch = (b: BindContext) => qs8Conv2dScratchSize(packed, shapeOf(b));
  if (canFuseMaxPool(packed, pool)) {
    return {
      kernel: "qs8_conv2d_small+maxpool",
      scratchBytes: convScratch,
      bind(b, scratch) {
        const shape = shapeOf(b);
        const [input, output] = [b.input(0).buffer, b.output(0).buffer];
        const scratchBuf = scratchBuffer(scratch, "int8", convScratch(b));
        return () => qs8Conv2dMaxPool(b.kernels, packed, shape, pool, input, output, scratchBuf);
      },
    };
  }
  const convBytes = (b: BindContext) => {
    const shape = shapeOf(b);
    const { outH, outW } = conv2dOutputHW(shape);
    return shape.batch * outH * outW * shape.outC;
  };
  return {
    kernel: `${packed.kind === "small" ? "qs8_conv2d_small" : "qs8_conv2d"}, qs8_maxpool2d`,
    scratchBytes: (b) => alignScratch(convBytes(b)) + convScratch(b),
    bind(b, scratch) {
      const shape = shapeOf(b);
      const { outH, outW } = conv2dOutputHW(shape);
      const [input, output] = [b.input(0).buffer, b.output(0).buffer];
      const convOutput = scratchBuffer(scratch, "int8", convBytes(b));
      const scratchBuf = scratchBuffer(scratch + alignScratch(convBytes(b)), "int8", convScratch(b));
      const pooled = fusedPoolOutputHW(shape, pool);
      const poolShape: Pool2dShape = {
        batch: shape.batch, channels: shape.outC, inH: outH, inW: outW, kernelH: pool.kernelH, kernelW: pool.kernelW,
        strideH: pool.kernelH, strideW: pool.kernelW, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0,
        outH: pooled.outH, outW: pooled.outW,
      };
      return () => {
        qs8Conv2d(b.kernels, packed, shape, input, convOutput, scratchBuf);
        qs8MaxPool2d(b.kernels, convOutput, poolShape, { qmin: -128, qmax: 127 }, output);
      };
    },
  };
}

/** Scratch offsets kept 16-byte aligned. */
function alignScratch(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

export interface BindQuant {
  readonly input: { scale: number; zeroPoint: number };
  readonly output: { scale: number; zeroPoint: number };
}

export const prepareConv: OpFactory = (ctx, step) => {
  if (step.op === "qlinear" && ctx.requantization === "onnx") {
    // The session fuses pools only under the fixed-point requantization (conv-pool-fusion.ts).
    if (step.pool) throw new UnsupportedError("a fused max pool needs the fixed-point requantization", { node: step.node.name });
    return prepareOnnxConv(ctx, step, quantOfStep(ctx, step));
  }
  if (step.op === "qlinear") return prepareInt8Conv(ctx, step, quantOfStep(ctx, step));
  return prepareFloatConv(ctx, step.node);
};

export function quantOfStep(ctx: Parameters<OpFactory>[0], step: Extract<LoweredStep, { op: "qlinear" }>): BindQuant {
  const input = ctx.valueQuant(step.input);
  const output = ctx.valueQuant(step.output);
  return { input, output };
}
