// Removes nodes none of whose outputs reaches a graph output, and the values only they used.
import { cloneGraph, pruneUnusedValues, type Graph } from "../ir.js";

export function deadNodeRemoval(graph: Graph): Graph {
  const result = cloneGraph(graph, { shareTensorData: true });
  const needed = new Set(result.outputs);
  const live = new Set<number>();
  for (let i = result.nodes.length - 1; i >= 0; i--) {
    const node = result.nodes[i];
    if (!node.outputs.some((name) => needed.has(name))) continue;
    live.add(i);
    for (const input of node.inputs) if (input) needed.add(input);
  }
  result.nodes = result.nodes.filter((_, i) => live.has(i));
  pruneUnusedValues(result);
  return result;
}
