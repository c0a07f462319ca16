// Folds an inference-mode BatchNormalization into the Conv or Gemm before it (when the BN is that
// node's only reader): with f[c] = scale[c] / sqrt(var[c] + epsilon), per output channel c,
//   w'[c, ...] = w[c, ...] * f[c]        b'[c] = (b[c] - mean[c]) * f[c] + B[c]
// (DESIGN.md section 4). For Gemm the channel is the column n of Y = alpha * A' B' + beta * C.
import { attrFloat, attrInt, cloneGraph, producers, type Graph, type Node } from "../ir.js";
import { addConstant, dropIfUnused, floatConstant, isOp, removeNode, soleConsumer } from "./rewrite.js";

interface BatchNormParams {
  factor: Float64Array;
  shift: Float64Array;
}

/** y = x * factor + shift per channel, or undefined when a parameter is not a float32 constant. */
function batchNormParams(graph: Graph, bn: Node): BatchNormParams | undefined {
  const [scale, bias, mean, variance] = bn.inputs.slice(1, 5).map((name) => floatConstant(graph, name));
  if (!scale || !bias || !mean || !variance) return undefined;
  const epsilon = attrFloat(bn, "epsilon", 1e-5);
  const factor = Float64Array.from(scale, (g, c) => g / Math.sqrt(variance[c] + epsilon));
  const shift = Float64Array.from(bias, (beta, c) => beta - mean[c] * factor[c]);
  return { factor, shift };
}

/** New weight and bias constants for a Conv; undefined when they are not constants. */
function foldIntoConv(graph: Graph, conv: Node, { factor, shift }: BatchNormParams): string[] | undefined {
  const [, wName, bName] = conv.inputs;
  const w = floatConstant(graph, wName);
  const b = bName ? floatConstant(graph, bName) : new Float32Array(factor.length);
  if (!w || !b || w.length % factor.length !== 0) return undefined;
  const block = w.length / factor.length;
  const folded = Float32Array.from(w, (v, i) => v * factor[Math.floor(i / block)]);
  const bias = Float32Array.from(b, (v, c) => v * factor[c] + shift[c]);
  const wDims = graph.values.get(wName)!.shape as number[];
  return [
    conv.inputs[0],
    addConstant(graph, `${wName}_bn_folded`, "float32", [...wDims], folded),
    addConstant(graph, `${conv.name}_bias_bn_folded`, "float32", [factor.length], bias),
  ];
}

/** New B and C for a Gemm (C absorbs beta, which becomes 1); undefined when they are not constants. */
function foldIntoGemm(graph: Graph, gemm: Node, { factor, shift }: BatchNormParams): string[] | undefined {
  const [aName, bName, cName] = gemm.inputs;
  const b = floatConstant(graph, bName);
  const bDims = graph.values.get(bName)?.shape as number[];
  const transB = attrInt(gemm, "transB", 0) === 1;
  const n = factor.length;
  if (!b || (transB ? bDims[0] : bDims[1]) !== n) return undefined;
  const k = b.length / n;
  const foldedB = Float32Array.from(b, (v, i) => v * factor[transB ? Math.floor(i / k) : i % n]);

  const c = cName ? floatConstant(graph, cName) : new Float32Array(1);
  const cDims = cName ? (graph.values.get(cName)?.shape as number[]) : [];
  if (!c) return undefined;
  const beta = cName ? attrFloat(gemm, "beta", 1) : 0;
  // C broadcasts to [M, N]: its rows (M or 1) are kept, its columns become N.
  const rows = cDims.length === 2 ? cDims[0] : 1;
  const cols = cDims.length === 0 ? 1 : cDims[cDims.length - 1];
  const foldedC = new Float32Array(rows * n);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < n; j++) foldedC[i * n + j] = beta * c[i * cols + (cols === 1 ? 0 : j)] * factor[j] + shift[j];
  }
  gemm.attributes.beta = { float: 1 };
  return [
    aName,
    addConstant(graph, `${bName}_bn_folded`, "float32", [...bDims], foldedB),
    addConstant(graph, `${gemm.name}_bias_bn_folded`, "float32", cDims.length === 2 ? [rows, n] : [n], foldedC),
  ];
}

export function batchNormFolding(graph: Graph): Graph {
  const result = cloneGraph(graph, { shareTensorData: true });
  for (const bn of [...result.nodes]) {
    if (!isOp(bn, "BatchNormalization") || bn.outputs.filter(Boolean).length !== 1) continue;
    const x = bn.inputs[0];
    const producer = producers(result).get(x);
    if (!isOp(producer, "Conv", "Gemm") || producer.activation || producer.outputs.length !== 1 || soleConsumer(result, x) !== bn) continue;
    const params = batchNormParams(result, bn);
    if (!params) continue;
    const oldInputs = producer.inputs;
    const inputs = producer.opType === "Conv" ? foldIntoConv(result, producer, params) : foldIntoGemm(result, producer, params);
    if (!inputs) continue;
    producer.inputs = inputs;
    producer.outputs = [bn.outputs[0]];
    removeNode(result, bn);
    result.values.delete(x);
    dropIfUnused(result, [...oldInputs, ...bn.inputs]);
  }
  return result;
}
