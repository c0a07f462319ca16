// Small graph-rewriting helpers shared by the passes. They change the graph they are given: a pass
// calls them on its own copy, never on the caller's graph.
import { consumers, uniqueName, type DType, type Graph, type Node, type TensorData } from "../ir.js";

export function isOp(node: Node | undefined, ...opTypes: string[]): node is Node {
  return node !== undefined && node.domain === "" && opTypes.includes(node.opType);
}

/** The one node reading `tensor` (once), if nothing else reads it and it is not a graph output. */
export function soleConsumer(graph: Graph, tensor: string): Node | undefined {
  if (graph.outputs.includes(tensor)) return undefined;
  const readers = consumers(graph).get(tensor) ?? [];
  return readers.length === 1 ? readers[0] : undefined;
}

export function floatConstant(graph: Graph, name: string | undefined): Float32Array | undefined {
  const data = name ? graph.values.get(name)?.initializer : undefined;
  return data instanceof Float32Array ? data : undefined;
}

/** Adds a constant under a fresh name derived from `base`; returns the name. */
export function addConstant(graph: Graph, base: string, dtype: DType, dims: number[], data: TensorData): string {
  const name = uniqueName(graph, base);
  graph.values.set(name, { name, dtype, shape: dims, initializer: data });
  return name;
}

/** Removes the named values no node, graph input or graph output refers to any more. */
export function dropIfUnused(graph: Graph, names: Iterable<string>): void {
  const used = new Set<string>([...graph.inputs, ...graph.outputs]);
  for (const node of graph.nodes) for (const name of [...node.inputs, ...node.outputs]) used.add(name);
  for (const name of names) if (name && !used.has(name)) graph.values.delete(name);
}

export function removeNode(graph: Graph, node: Node): void {
  graph.nodes = graph.nodes.filter((n) => n !== node);
}

/** Makes every node that reads `from` read `to` instead. */
export function redirectReaders(graph: Graph, from: string, to: string): void {
  for (const node of graph.nodes) node.inputs = node.inputs.map((name) => (name === from ? to : name));
}
