// A scalar reference of a quantized graph: the same lowering as InferenceSession (so the same
// integer steps and parameters), executed with the plain TypeScript reference kernels. The
// session's WebAssembly outputs must equal this bit for bit.
import { UnsupportedError } from "../errors.js";
import { attrInt, type Graph } from "../graph/ir.js";
import { inferShapes } from "../graph/shape-inference.js";
import { optimizeGraph } from "../graph/passes/index.js";
import { lowerGraph, type LoweredStep, type TensorQuant } from "../runtime/lowering.js";
import { conv2dShape } from "../runtime/ops/conv.js";
import { pool2dShape } from "../runtime/ops/pool.js";
import { activationClamp, int8Requantization } from "../runtime/ops/quant-params.js";
import { logicalToPhysical } from "../runtime/layout.js";
import { referenceQs8Add } from "./qs8-add.js";
import { referenceQs8Conv2d } from "./qs8-conv.js";
import { referenceQs8Gemm } from "./qs8-gemm.js";
import { referenceQs8AvgPool2d, referenceQs8GlobalAvgPool, referenceQs8MaxPool2d } from "./qs8-pool.js";
import { referenceDequantize, referenceQuantize } from "./quantize.js";

/** A tensor in ONNX's logical layout (NCHW for 4-D). */
interface Logical {
  data: Float32Array | Int8Array;
  dims: number[];
}

function toNhwc(t: Logical): Int8Array {
  if (t.dims.length !== 4) return t.data as Int8Array;
  const map = logicalToPhysical(t.dims, true);
  const out = new Int8Array(t.data.length);
  for (let i = 0; i < map.length; i++) out[map[i]] = t.data[i];
  return out;
}

function fromNhwc(data: Int8Array, dims: number[]): Logical {
  if (dims.length !== 4) return { data, dims };
  const map = logicalToPhysical(dims, true);
  return { data: Int8Array.from(map, (p) => data[p]), dims };
}

function quantOf(values: ReturnType<typeof lowerGraph>["values"], name: string): TensorQuant {
  return values.get(name)!.quant!;
}

/** Runs an integer (QDQ) model with the scalar reference kernels; float steps are not supported. */
export function runIntegerReference(model: Graph, inputs: Record<string, Logical>): Record<string, Logical> {
  const optimised = inferShapes(optimizeGraph(model, { level: "all" }));
  const lowered = lowerGraph(optimised);
  const shapes = inferShapes(lowered.graph, Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.dims])));
  const dimsOf = (name: string) => shapes.values.get(lowered.values.get(name)?.shapeOf ?? name)!.shape as number[];
  const env = new Map<string, Logical>(Object.entries(inputs));
  for (const step of lowered.steps) env.set(outputName(step), runStep(step, env, lowered, dimsOf));
  return Object.fromEntries(optimised.outputs.map((name) => [name, env.get(name)!]));
}

function outputName(step: LoweredStep): string {
  if (step.op === "float" || step.op === "dynamicquantize") throw new UnsupportedError(`the integer reference runs integer steps only, not ${step.node.opType}`, { node: step.node.name });
  return step.output;
}

function runStep(
  step: LoweredStep,
  env: Map<string, Logical>,
  lowered: ReturnType<typeof lowerGraph>,
  dimsOf: (name: string) => number[],
): Logical {
  const q = (name: string) => quantOf(lowered.values, name);
  switch (step.op) {
    case "quantize": {
      const x = env.get(step.input)!;
      const quant = q(step.output);
      const { qmin, qmax } = activationClamp(step.activation, quant);
      return { data: referenceQuantize(x.data as Float32Array, quant.scale, quant.zeroPoint, qmin, qmax), dims: x.dims };
    }
    case "dequantize": {
      const x = env.get(step.input)!;
      const { scale, zeroPoint } = q(step.input);
      return { data: referenceDequantize(x.data as Int8Array, scale, zeroPoint), dims: x.dims };
    }
    case "qlinear": {
      const x = env.get(step.input)!;
      const [input, output] = [q(step.input), q(step.output)];
      const requant = int8Requantization(input, step.weights.scales, output, activationClamp(step.activation, output));
      const params = { ...requant, bias: step.weights.bias, inputZeroPoint: input.zeroPoint };
      const dims = dimsOf(step.output);
      if (step.node.opType === "Conv") {
        const [outC, inCPerGroup, kernelH, kernelW] = step.weights.dims;
        const shape = conv2dShape(step.node, x.dims, step.weights.dims);
        const y = referenceQs8Conv2d(toNhwc(x), shape, {
          ...params, weights: step.weights.data, outC, inCPerGroup, kernelH, kernelW, groups: attrInt(step.node, "group", 1),
        });
        return fromNhwc(y, dims);
      }
      const [N, K] = step.weights.dims;
      return { data: referenceQs8Gemm(x.data as Int8Array, x.data.length / K, { ...params, weights: step.weights.data, N, K }), dims };
    }
    case "qpassthrough": {
      const x = env.get(step.input)!;
      const dims = dimsOf(step.output);
      if (step.node.opType === "MaxPool") return fromNhwc(referenceQs8MaxPool2d(toNhwc(x), pool2dShape(step.node, x.dims)), dims);
      return { data: x.data, dims };
    }
    case "qpool": {
      const x = env.get(step.input)!;
      const [input, output] = [q(step.input), q(step.output)];
      const quant = {
        inputScale: input.scale, inputZeroPoint: input.zeroPoint, outputScale: output.scale, outputZeroPoint: output.zeroPoint,
        ...activationClamp(step.activation, output),
      };
      const dims = dimsOf(step.output);
      if (step.node.opType === "GlobalAveragePool") {
        const [batch, channels, height, width] = x.dims;
        return fromNhwc(referenceQs8GlobalAvgPool(toNhwc(x), { batch, channels, height, width }, quant), dims);
      }
      const includePad = attrInt(step.node, "count_include_pad", 0) === 1;
      return fromNhwc(referenceQs8AvgPool2d(toNhwc(x), pool2dShape(step.node, x.dims), includePad, quant), dims);
    }
    case "qadd": {
      if (step.constantB) throw new UnsupportedError("the integer reference adds runtime operands only", { node: step.node.name });
      const [a, b] = step.inputs.map((name) => env.get(name)!);
      const [qa, qb, qy] = [q(step.inputs[0]), q(step.inputs[1]), q(step.output)];
      const y = referenceQs8Add(a.data as Int8Array, b.data as Int8Array, {
        s1: qa.scale, z1: qa.zeroPoint, s2: qb.scale, z2: qb.zeroPoint, sy: qy.scale, zy: qy.zeroPoint, ...activationClamp(step.activation, qy),
      });
      return { data: y, dims: a.dims };
    }
    case "float":
    case "qdynamic":
    case "integer":
    case "dynamicquantize":
      throw new UnsupportedError(`the integer reference runs static integer steps only, not ${step.node.opType}`, { node: step.node.name });
  }
}
