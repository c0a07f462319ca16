// A plain reference interpreter of the graph IR (NCHW, as ONNX defines it): the oracle the tests of
// the fp32 runtime compare against. It bypasses every optimisation and runs each node with the
// straightforward loops of interpreter-ops.ts.
import { DTypeError, InvalidArgumentError, ShapeError, UnsupportedError } from "../errors.js";
import { dtypeOf, elementCount, opsetOf, type Graph, type Node } from "../graph/ir.js";
import { REFERENCE_OPS, type RefTensor } from "./interpreter-ops.js";

export type { RefTensor };

function checkInput(graph: Graph, name: string, tensor: RefTensor, bindings: Map<string, number>): void {
  const value = graph.values.get(name)!;
  if (dtypeOf(tensor.data) !== value.dtype) {
    throw new DTypeError(`expected ${value.dtype} data, got ${dtypeOf(tensor.data)}`, { tensor: name });
  }
  if (tensor.data.length !== elementCount(tensor.dims)) {
    throw new InvalidArgumentError(`${tensor.data.length} elements for dims [${tensor.dims.join(", ")}]`, { tensor: name });
  }
  const declared = value.shape;
  if (!declared) return;
  const mismatch = () => new ShapeError(`dims [${tensor.dims.join(", ")}] do not match the declared [${declared.join(", ")}]`, { tensor: name });
  if (declared.length !== tensor.dims.length) throw mismatch();
  declared.forEach((d, i) => {
    const bound = typeof d === "number" ? d : bindings.get(d);
    if (bound !== undefined && bound !== tensor.dims[i]) throw mismatch();
    if (typeof d === "string") bindings.set(d, tensor.dims[i]);
  });
}

function runNode(graph: Graph, node: Node, env: Map<string, RefTensor>): void {
  const op = node.domain === "" ? REFERENCE_OPS.get(node.opType) : undefined;
  if (!op) throw new UnsupportedError(`the reference interpreter has no ${node.opType}`, { node: node.name });
  const inputs = node.inputs.map((name) => (name ? env.get(name) : undefined));
  node.inputs.forEach((name, i) => {
    if (name && !inputs[i]) throw new InvalidArgumentError("input has not been computed", { node: node.name, tensor: name });
  });
  const outputs = op(node, inputs, opsetOf(graph, node));
  node.outputs.forEach((name, i) => {
    if (name && outputs[i]) env.set(name, outputs[i]);
  });
}

/** Runs the graph on the given inputs and returns its outputs. */
export function runReference(graph: Graph, inputs: Record<string, RefTensor>): Record<string, RefTensor> {
  for (const name of Object.keys(inputs)) {
    if (!graph.inputs.includes(name)) throw new InvalidArgumentError(`not an input of the graph (inputs: ${graph.inputs.join(", ")})`, { tensor: name });
  }
  const env = new Map<string, RefTensor>();
  const bindings = new Map<string, number>();
  for (const name of graph.inputs) {
    const tensor = inputs[name];
    if (!tensor) throw new InvalidArgumentError("missing graph input", { tensor: name });
    checkInput(graph, name, tensor, bindings);
    env.set(name, tensor);
  }
  for (const value of graph.values.values()) {
    if (value.initializer) env.set(value.name, { data: value.initializer, dims: value.shape as number[] });
  }
  for (const node of graph.nodes) runNode(graph, node, env);
  return Object.fromEntries(graph.outputs.map((name) => [name, env.get(name)!]));
}
