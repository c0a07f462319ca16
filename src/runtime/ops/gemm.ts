// Gemm (canonical: weights [N, K], transB = 1) and MatMul with a constant right operand:
// fp32 on f32_gemm, or int8 on qs8_gemm when lowered from a QDQ pattern.
import { ShapeError, UnsupportedError } from "../../errors.js";
import { attrFloat, attrInt, type Node } from "../../graph/ir.js";
import { f32Gemm, packF32Gemm } from "../../kernels/f32-gemm.js";
import { packQs8Gemm, qs8Gemm, qs8GemmScratchSize } from "../../kernels/qs8-gemm.js";
import type { LoweredStep } from "../lowering.js";
import { floatWeights, product, scratchBuffer } from "./common.js";
import { quantOfStep } from "./conv.js";
import { prepareOnnxGemm } from "./onnx-linear.js";
import { activationClamp, int8Requantization } from "./quant-params.js";
import type { BindContext, OpFactory, PrepareContext, PreparedOp } from "./types.js";

/** Rows of the GEMM: every dimension of the input but the last. */
function gemmRows(node: Node, inputDims: readonly number[], K: number): number {
  if (inputDims[inputDims.length - 1] !== K) {
    throw new ShapeError(`${node.opType} expects an input whose last dimension is ${K}, got [${inputDims.join(", ")}]`, { node: node.name });
  }
  if (node.opType === "Gemm" && inputDims.length !== 2) {
    throw new ShapeError(`Gemm expects a 2-D input, got [${inputDims.join(", ")}]`, { node: node.name });
  }
  // 4-D values are stored NHWC: their rows are the GEMM's rows only when axis 1 has length 1.
  if (inputDims.length === 4 && inputDims[1] !== 1) {
    throw new UnsupportedError(`${node.opType} on a 4-D input is supported when its axis 1 is 1, got [${inputDims.join(", ")}]`, { node: node.name });
  }
  return product(inputDims) / K;
}

/** Weights as [N, K] with alpha folded in, and the bias as [N] with beta folded in. */
function canonicalFloatGemm(ctx: PrepareContext, node: Node): { weights: Float32Array; N: number; K: number; bias: Float32Array | null } {
  const { data, dims } = floatWeights(ctx, node, 1);
  if (dims.length !== 2) throw new UnsupportedError(`${node.opType} needs a 2-D constant right operand`, { node: node.name });
  const isGemm = node.opType === "Gemm";
  if (isGemm && attrInt(node, "transA", 0) !== 0) throw new UnsupportedError("Gemm with transA = 1 is not supported", { node: node.name });
  const transB = isGemm ? attrInt(node, "transB", 0) : 0;
  const [N, K] = transB ? dims : [dims[1], dims[0]];
  const alpha = isGemm ? attrFloat(node, "alpha", 1) : 1;
  const weights = new Float32Array(N * K);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) weights[n * K + k] = alpha * (transB ? data[n * K + k] : data[k * N + n]);
  let bias: Float32Array | null = null;
  if (isGemm && node.inputs[2]) {
    const c = floatWeights(ctx, node, 2);
    if (c.data.length !== N && c.data.length !== 1) {
      throw new UnsupportedError(`Gemm bias must hold 1 or N = ${N} values (got shape [${c.dims.join(", ")}])`, { node: node.name });
    }
    const beta = attrFloat(node, "beta", 1);
    bias = Float32Array.from({ length: N }, (_, n) => beta * c.data[c.data.length === 1 ? 0 : n]);
  }
  return { weights, N, K, bias };
}

/** Reorders the K columns of [N, K] weights from a flattened NCHW input to a flattened NHWC one. */
export function columnsToNhwc<T extends Float32Array | Int8Array>(weights: T, N: number, [c, h, w]: readonly [number, number, number]): T {
  const K = c * h * w;
  const out = weights.slice() as T;
  for (let n = 0; n < N; n++) {
    for (let ch = 0; ch < c; ch++) {
      for (let p = 0; p < h * w; p++) out[n * K + p * c + ch] = weights[n * K + ch * h * w + p];
    }
  }
  return out;
}

function prepareFloatGemm(ctx: PrepareContext, step: Extract<LoweredStep, { op: "float" }>): PreparedOp {
  const node = step.node;
  const canonical = canonicalFloatGemm(ctx, node);
  const { N, K, bias } = canonical;
  const weights = step.nhwcInput ? columnsToNhwc(canonical.weights, N, step.nhwcInput) : canonical.weights;
  const packed = packF32Gemm(ctx.arena, {
    weights, N, K, bias, clampMin: node.activation?.min ?? -Infinity, clampMax: node.activation?.max ?? Infinity,
  });
  return {
    kernel: "f32_gemm",
    scratchBytes: () => 0,
    bind(b: BindContext) {
      const M = gemmRows(node, b.input(0).dims, K);
      const [input, output] = [b.input(0).buffer, b.output(0).buffer];
      return () => f32Gemm(b.kernels, packed, input, M, output);
    },
  };
}

function prepareInt8Gemm(ctx: PrepareContext, step: Extract<LoweredStep, { op: "qlinear" }>): PreparedOp {
  const { node, weights } = step;
  const quant = quantOfStep(ctx, step);
  const [N, K] = weights.dims;
  const data = step.nhwcInput ? columnsToNhwc(weights.data, N, step.nhwcInput) : weights.data;
  if (ctx.requantization === "onnx") return prepareOnnxGemm(ctx, step, quant, data, (b) => gemmRows(node, b.input(0).dims, K));
  const packed = packQs8Gemm(ctx.arena, {
    weights: data, N, K, bias: weights.bias, inputZeroPoint: quant.input.zeroPoint,
    ...int8Requantization(quant.input, weights.scales, quant.output, activationClamp(step.activation, quant.output)),
  });
  return {
    kernel: "qs8_gemm",
    scratchBytes: (b) => qs8GemmScratchSize(packed, gemmRows(node, b.input(0).dims, K)),
    bind(b, scratch) {
      const M = gemmRows(node, b.input(0).dims, K);
      const [input, output] = [b.input(0).buffer, b.output(0).buffer];
      const scratchBuf = scratchBuffer(scratch, "int8", qs8GemmScratchSize(packed, M));
      return () => qs8Gemm(b.kernels, packed, input, M, output, scratchBuf);
    },
  };
}

export const prepareGemm: OpFactory = (ctx, step) => {
  if (step.op === "qlinear") return prepareInt8Gemm(ctx, step);
  if (step.op === "float") return prepareFloatGemm(ctx, step);
  throw new UnsupportedError(`no Gemm implementation for a ${step.op} step`, { node: step.node.name });
};
