// Fuses a Relu or Clip into the Conv or Gemm before it (when it is that node's only reader): the
// node's `activation` field records the clamp range [min, max] (Relu: [0, Infinity], Relu6: [0, 6]),
// which an int8 kernel applies as its output clamp and the writer turns back into a Relu/Clip node.
import { cloneGraph, opsetOf, producers, type Activation, type Graph, type Node } from "../ir.js";
import { clipBounds, type RefTensor } from "../../reference/interpreter-ops.js";
import { dropIfUnused, floatConstant, isOp, removeNode, soleConsumer } from "./rewrite.js";

/** The clamp range of a Relu or of a Clip with constant bounds. */
function activationRange(graph: Graph, node: Node): Activation | undefined {
  if (node.opType === "Relu") return { min: 0, max: Infinity };
  const bounds: (RefTensor | undefined)[] = [undefined];
  for (const name of node.inputs.slice(1)) {
    if (!name) {
      bounds.push(undefined);
      continue;
    }
    const data = floatConstant(graph, name);
    if (!data || data.length !== 1) return undefined;
    bounds.push({ data, dims: [] });
  }
  return clipBounds(node, bounds, opsetOf(graph, node));
}

export function activationFusion(graph: Graph): Graph {
  const result = cloneGraph(graph, { shareTensorData: true });
  for (const activation of [...result.nodes]) {
    if (!isOp(activation, "Relu", "Clip")) continue;
    const x = activation.inputs[0];
    const producer = producers(result).get(x);
    if (!isOp(producer, "Conv", "Gemm") || producer.outputs.length !== 1 || soleConsumer(result, x) !== activation) continue;
    const range = activationRange(result, activation);
    if (!range) continue;
    const min = Math.max(range.min, producer.activation?.min ?? -Infinity);
    const max = Math.min(range.max, producer.activation?.max ?? Infinity);
    if (min > max) continue;
    producer.activation = { min, max };
    producer.outputs = [activation.outputs[0]];
    removeNode(result, activation);
    result.values.delete(x);
    dropIfUnused(result, activation.inputs.slice(1));
  }
  return result;
}
