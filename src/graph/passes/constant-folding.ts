// Evaluates, once, every node whose inputs are all constants, with the reference interpreter's
// operators; their outputs become constants. QuantizeLinear/DequantizeLinear are kept: they carry
// the quantization of constant weights that later stages must see.
import { cloneGraph, opsetOf, type Graph, type Node } from "../ir.js";
import { REFERENCE_OPS, type RefTensor } from "../../reference/interpreter-ops.js";
import { dropIfUnused, isOp } from "./rewrite.js";

const KEPT = new Set(["QuantizeLinear", "DequantizeLinear"]);

function constantInputs(graph: Graph, node: Node): (RefTensor | undefined)[] | undefined {
  const inputs: (RefTensor | undefined)[] = [];
  for (const name of node.inputs) {
    if (!name) {
      inputs.push(undefined);
      continue;
    }
    const value = graph.values.get(name);
    if (!value?.initializer) return undefined;
    inputs.push({ data: value.initializer, dims: value.shape as number[] });
  }
  return inputs.some(Boolean) ? inputs : undefined;
}

export function constantFolding(graph: Graph): Graph {
  const result = cloneGraph(graph, { shareTensorData: true });
  const folded: Node[] = [];
  for (const node of result.nodes) {
    if (!isOp(node, ...REFERENCE_OPS.keys()) || KEPT.has(node.opType)) continue;
    const inputs = constantInputs(result, node);
    if (!inputs) continue;
    const outputs = REFERENCE_OPS.get(node.opType)!(node, inputs, opsetOf(result, node));
    node.outputs.forEach((name, i) => {
      if (!name) return;
      const value = result.values.get(name)!;
      value.initializer = outputs[i].data;
      value.shape = [...outputs[i].dims];
    });
    folded.push(node);
  }
  result.nodes = result.nodes.filter((node) => !folded.includes(node));
  dropIfUnused(result, folded.flatMap((node) => node.inputs));
  return result;
}
