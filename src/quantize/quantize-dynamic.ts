// Dynamic quantization (DESIGN.md 4) for linear-heavy models: Gemm/MatMul weights become int8
// per output channel offline; each run quantizes the activations from their own range. Saved in
// ONNX Runtime's dynamic form: DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul (-> Add).
import { UnsupportedError } from "../errors.js";
import { attrFloat, attrInt, cloneGraph, pruneUnusedValues, topologicalSort, uniqueName, type Graph, type Node } from "../graph/ir.js";
import { optimizeGraph } from "../graph/passes/index.js";
import { inferShapes } from "../graph/shape-inference.js";
import { readOnnxModel } from "../onnx/reader.js";
import { writeOnnxModel } from "../onnx/writer.js";
import { quantizeWeights } from "../quant/weights.js";
import { addConstant, compactTensorNames } from "./qdq.js";
import type { QuantizedModel } from "./quantize-static.js";

export interface QuantizeDynamicOptions {
  /** Weights per output channel (default true) or per tensor. */
  readonly perChannel?: boolean;
  readonly nodesToExclude?: readonly string[];
}

/** Float [N, K] weights and [N] bias of a canonical Gemm (alpha/beta folded) or a MatMul. */
function linearWeights(graph: Graph, node: Node): { weights: Float32Array; N: number; K: number; bias?: Float32Array } | undefined {
  const value = graph.values.get(node.inputs[1]);
  if (!(value?.initializer instanceof Float32Array) || value.shape?.length !== 2) return undefined;
  const [rows, cols] = value.shape as number[];
  const transB = node.opType === "Gemm" ? attrInt(node, "transB", 0) : 0;
  if (node.opType === "Gemm" && attrInt(node, "transA", 0) !== 0) return undefined;
  const alpha = node.opType === "Gemm" ? attrFloat(node, "alpha", 1) : 1;
  const [N, K] = transB ? [rows, cols] : [cols, rows];
  const data = value.initializer;
  const weights = Float32Array.from({ length: N * K }, (_, i) => {
    const [n, k] = [Math.floor(i / K), i % K];
    return alpha * (transB ? data[n * K + k] : data[k * N + n]);
  });
  const biasValue = node.opType === "Gemm" && node.inputs[2] ? graph.values.get(node.inputs[2])?.initializer : undefined;
  if (node.opType === "Gemm" && node.inputs[2] && (!(biasValue instanceof Float32Array) || (biasValue.length !== N && biasValue.length !== 1))) {
    return undefined;
  }
  const beta = node.opType === "Gemm" ? attrFloat(node, "beta", 1) : 1;
  const bias = biasValue instanceof Float32Array ? Float32Array.from({ length: N }, (_, n) => beta * biasValue[biasValue.length === 1 ? 0 : n]) : undefined;
  return { weights, N, K, bias };
}

function push(graph: Graph, node: Omit<Node, "domain" | "attributes"> & Partial<Node>): void {
  graph.nodes.push({ domain: "", attributes: {}, ...node, name: uniqueName(graph, node.name) });
}

function tensor(graph: Graph, base: string, dtype: "float32" | "uint8" | "int32"): string {
  const name = uniqueName(graph, base);
  graph.values.set(name, { name, dtype, shape: undefined });
  return name;
}

/** Replaces one linear node by the dynamic-quantization chain. */
function quantizeNode(graph: Graph, node: Node, perChannel: boolean): void {
  const linear = linearWeights(graph, node);
  if (!linear) return;
  const { weights, N, K, bias } = linear;
  const quantized = quantizeWeights(weights, [N, K], { bits: 8, perChannel, axis: 0, name: node.inputs[1] });
  // MatMulInteger multiplies A [M, K] by B [K, N]: store the codes transposed.
  const codesKN = new Int8Array(K * N);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) codesKN[k * N + n] = quantized.codes[n * K + k];
  const scales = quantized.scales.length === 1 ? new Float32Array(N).fill(quantized.scales[0]) : quantized.scales;
  const base = node.name;
  const w = addConstant(graph, `${base}_weight_quantized`, codesKN, [K, N]);
  const wZero = addConstant(graph, `${base}_weight_zero_point`, new Int8Array(N), [N]);
  const wScale = addConstant(graph, `${base}_weight_scale`, scales, [N]);
  const [xq, xScale, xZero] = [tensor(graph, `${base}_input_quantized`, "uint8"), tensor(graph, `${base}_input_scale`, "float32"), tensor(graph, `${base}_input_zero_point`, "uint8")];
  push(graph, { name: `${base}_DynamicQuantizeLinear`, opType: "DynamicQuantizeLinear", inputs: [node.inputs[0]], outputs: [xq, xScale, xZero] });
  const acc = tensor(graph, `${base}_accumulator`, "int32");
  push(graph, { name: `${base}_MatMulInteger`, opType: "MatMulInteger", inputs: [xq, w, xZero, wZero], outputs: [acc] });
  const accFloat = tensor(graph, `${base}_accumulator_float`, "float32");
  push(graph, { name: `${base}_Cast`, opType: "Cast", inputs: [acc], outputs: [accFloat], attributes: { to: { int: 1 } } });
  const scale = tensor(graph, `${base}_output_scale`, "float32");
  push(graph, { name: `${base}_scale_Mul`, opType: "Mul", inputs: [xScale, wScale], outputs: [scale] });
  const output = node.outputs[0];
  if (bias) {
    const scaled = tensor(graph, `${base}_scaled`, "float32");
    push(graph, { name: `${base}_Mul`, opType: "Mul", inputs: [accFloat, scale], outputs: [scaled] });
    const biasName = addConstant(graph, `${base}_bias`, bias, [N]);
    push(graph, { name: `${base}_Add`, opType: "Add", inputs: [scaled, biasName], outputs: [output] });
  } else {
    push(graph, { name: `${base}_Mul`, opType: "Mul", inputs: [accFloat, scale], outputs: [output] });
  }
  graph.nodes.splice(graph.nodes.indexOf(node), 1);
}

/** Dynamic int8 quantization of every Gemm/MatMul with constant weights. */
export function quantizeDynamic(model: Uint8Array | Graph, options: QuantizeDynamicOptions = {}): QuantizedModel {
  const source = model instanceof Uint8Array ? readOnnxModel(model) : model;
  const graph = inferShapes(optimizeGraph(cloneGraph(source), { level: "basic" }));
  if ((graph.opsets[""] ?? 0) < 10) throw new UnsupportedError("dynamic quantization needs opset >= 10 (MatMulInteger)");
  const excluded = new Set(options.nodesToExclude ?? []);
  for (const node of [...graph.nodes]) {
    if ((node.opType === "Gemm" || node.opType === "MatMul") && !excluded.has(node.name)) quantizeNode(graph, node, options.perChannel ?? true);
  }
  graph.nodes = topologicalSort(graph);
  pruneUnusedValues(graph);
  compactTensorNames(graph);
  const result = inferShapes(graph);
  return { graph: result, toBytes: () => writeOnnxModel(result, { valueInfo: false }) };
}
