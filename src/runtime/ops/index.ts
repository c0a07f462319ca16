// The operator table: which implementation prepares each lowered step.
import { UnsupportedError } from "../../errors.js";
import type { LoweredStep } from "../lowering.js";
import { prepareBatchNorm } from "./batchnorm.js";
import { prepareCast } from "./cast.js";
import { prepareConcat } from "./concat.js";
import { prepareConv } from "./conv.js";
import { prepareAdd, prepareClip } from "./elementwise.js";
import { prepareDynamicGemm } from "./dynamic-gemm.js";
import { prepareDynamicQuantizeLinear } from "./dynamic-quantize.js";
import { prepareGemm } from "./gemm.js";
import { prepareConvInteger, prepareMatMulInteger, prepareQLinearMatMul } from "./integer-linear.js";
import { preparePool } from "./pool.js";
import { prepareQLinearBinary } from "./qlinear-binary.js";
import { prepareQuantizeLinear } from "./quantize.js";
import { prepareDataMovement } from "./shape-ops.js";
import { prepareSoftmax } from "./softmax.js";
import type { OpFactory, PrepareContext, PreparedOp } from "./types.js";

const FLOAT_OPS: Readonly<Record<string, OpFactory>> = {
  Conv: prepareConv,
  Gemm: prepareGemm,
  MatMul: prepareGemm,
  Add: prepareAdd,
  Mul: prepareAdd,
  Cast: prepareCast,
  Relu: prepareClip,
  Clip: prepareClip,
  MaxPool: preparePool,
  AveragePool: preparePool,
  GlobalAveragePool: preparePool,
  BatchNormalization: prepareBatchNorm,
  Flatten: prepareDataMovement,
  Reshape: prepareDataMovement,
  Transpose: prepareDataMovement,
  Identity: prepareDataMovement,
  Dropout: prepareDataMovement,
  Concat: prepareConcat,
  Softmax: prepareSoftmax,
};

const INTEGER_OPS: Readonly<Record<Exclude<LoweredStep["op"], "float">, OpFactory>> = {
  qlinear: (ctx, step) => (step.node.opType === "Conv" || step.node.opType === "QLinearConv" ? prepareConv(ctx, step) : prepareGemm(ctx, step)),
  qpassthrough: (ctx, step) => (step.node.opType === "MaxPool" ? preparePool(ctx, step) : prepareDataMovement(ctx, step)),
  qpool: preparePool,
  qadd: prepareQLinearBinary,
  quantize: prepareQuantizeLinear,
  dequantize: prepareQuantizeLinear,
  qdynamic: prepareDynamicGemm,
  dynamicquantize: prepareDynamicQuantizeLinear,
  integer: (ctx, step) => ({ ConvInteger: prepareConvInteger, QLinearMatMul: prepareQLinearMatMul }[step.node.opType] ?? prepareMatMulInteger)(ctx, step),
};

export function prepareStep(ctx: PrepareContext, step: LoweredStep): PreparedOp {
  const node = step.node;
  if (step.op !== "float") return INTEGER_OPS[step.op](ctx, step);
  const factory = node.domain === "" || node.domain === "ai.onnx" ? FLOAT_OPS[node.opType] : undefined;
  if (!factory) {
    throw new UnsupportedError(`operator ${node.domain ? `${node.domain}.` : ""}${node.opType} is not supported`, { node: node.name });
  }
  return factory(ctx, step);
}
