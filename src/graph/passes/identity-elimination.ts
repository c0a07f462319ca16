// Removes Identity and (inference-mode) Dropout nodes by letting readers use the input directly.
// When the node's output is a graph output, the producer of its input is renamed to it instead;
// an identity between a graph input or constant and a graph output has to stay.
import { cloneGraph, producers, type Graph } from "../ir.js";
import { dropIfUnused, isOp, redirectReaders, removeNode } from "./rewrite.js";

export function identityElimination(graph: Graph): Graph {
  const result = cloneGraph(graph, { shareTensorData: true });
  for (const node of [...result.nodes]) {
    if (!isOp(node, "Identity", "Dropout") || node.outputs.filter(Boolean).length !== 1) continue;
    const input = node.inputs[0];
    const output = node.outputs[0];
    if (!result.outputs.includes(output)) {
      removeNode(result, node);
      redirectReaders(result, output, input);
      result.values.delete(output);
      dropIfUnused(result, node.inputs.slice(1));
      continue;
    }
    const producer = producers(result).get(input);
    if (!producer || result.outputs.includes(input)) continue;
    removeNode(result, node);
    producer.outputs = producer.outputs.map((name) => (name === input ? output : name));
    redirectReaders(result, input, output);
    result.values.delete(input);
    dropIfUnused(result, node.inputs.slice(1));
  }
  return result;
}
