// The graph IR every stage after the ONNX reader works on: values (with dtype, shape, constant
// data and quantization parameters), nodes in topological order, and the graph that holds them.
// Tensor data is never written in place: a stage that changes a constant makes a new array, so
// graphs may share arrays safely.
import type { AttributeValue, TensorValue } from "../onnx/builder.js";
import { ModelFormatError } from "../errors.js";

export type { AttributeValue, TensorValue };

export type DType = "float32" | "int8" | "uint8" | "int32" | "int64";

/** A dimension: a size, or a symbol (ONNX dim_param such as 'N') bound when the session is created. */
export type Dim = number | string;

export type TensorData = Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

/** Affine quantization parameters of a value: per tensor (one scale) or per `axis` (one scale per index). */
export interface QuantParams {
  scale: Float32Array;
  zeroPoint: Int32Array;
  axis?: number;
}

export interface Value {
  name: string;
  dtype: DType;
  /** undefined when not even the rank is known. */
  shape: Dim[] | undefined;
  /** Constant data (row-major); its presence makes the value a constant. */
  initializer?: TensorData;
  /** Element type used when serialised, for 4-bit constants (held unpacked, one value per element, in `int8`/`uint8`). */
  storage?: "int4" | "uint4";
  quant?: QuantParams;
}

/**
 * An activation fused into a Conv or Gemm node by the activation-fusion pass: the node's output is
 * clamped to [min, max] (Relu is {min: 0, max: Infinity}, Relu6 {min: 0, max: 6}).
 */
export interface Activation {
  min: number;
  max: number;
}

export interface Node {
  name: string;
  opType: string;
  /** "" for the default ONNX domain. */
  domain: string;
  /** Tensor names; "" marks an omitted optional input (as in ONNX). */
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
  activation?: Activation;
}

export interface Graph {
  name: string;
  /** Operator set version per domain ("" is the default ONNX domain). */
  opsets: Record<string, number>;
  /** Names of the graph inputs the caller feeds (constants are not inputs). */
  inputs: string[];
  outputs: string[];
  /** In topological order. */
  nodes: Node[];
  values: Map<string, Value>;
}

export const DTYPE_BYTES: Readonly<Record<DType, number>> = { float32: 4, int8: 1, uint8: 1, int32: 4, int64: 8 };

export function allocateTensor(dtype: DType, length: number): TensorData {
  switch (dtype) {
    case "float32":
      return new Float32Array(length);
    case "int8":
      return new Int8Array(length);
    case "uint8":
      return new Uint8Array(length);
    case "int32":
      return new Int32Array(length);
    case "int64":
      return new BigInt64Array(length);
  }
}

export function dtypeOf(data: TensorData): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Uint8Array) return "uint8";
  if (data instanceof Int32Array) return "int32";
  return "int64";
}

function copyTensor(data: TensorData): TensorData {
  return data.slice();
}

/** Number of elements of a fully known shape. */
export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function isKnownShape(shape: readonly Dim[] | undefined): shape is number[] {
  return shape !== undefined && shape.every((d) => typeof d === "number");
}

/** The opset version a node is interpreted under. */
export function opsetOf(graph: Graph, node: Node): number {
  const version = graph.opsets[node.domain];
  if (version === undefined) throw new ModelFormatError(`no opset import for domain '${node.domain}'`, { node: node.name });
  return version;
}

// ---------------------------------------------------------------------------------------------
// Attributes with defaults and type checks. A missing attribute without a default is a format
// error, as is an attribute of the wrong type.

type AttributeKind = "int" | "float" | "ints" | "floats" | "string" | "tensor";

function attribute(node: Node, name: string, kind: AttributeKind): AttributeValue | undefined {
  const value = node.attributes[name];
  if (value === undefined) return undefined;
  if (!(kind in value)) {
    throw new ModelFormatError(`attribute '${name}' of ${node.opType} must be of type ${kind}, got ${Object.keys(value)[0]}`, {
      node: node.name,
    });
  }
  return value;
}

function missing(node: Node, name: string): never {
  throw new ModelFormatError(`${node.opType} requires attribute '${name}'`, { node: node.name });
}

export function hasAttr(node: Node, name: string): boolean {
  return node.attributes[name] !== undefined;
}

export function attrInt(node: Node, name: string, fallback?: number): number {
  const value = attribute(node, name, "int") as { int: number } | undefined;
  return value ? value.int : fallback ?? missing(node, name);
}

export function attrFloat(node: Node, name: string, fallback?: number): number {
  const value = attribute(node, name, "float") as { float: number } | undefined;
  return value ? value.float : fallback ?? missing(node, name);
}

export function attrInts(node: Node, name: string, fallback?: readonly number[]): number[] {
  const value = attribute(node, name, "ints") as { ints: readonly number[] } | undefined;
  if (value) return [...value.ints];
  return fallback ? [...fallback] : missing(node, name);
}

export function attrFloats(node: Node, name: string, fallback?: readonly number[]): number[] {
  const value = attribute(node, name, "floats") as { floats: readonly number[] } | undefined;
  if (value) return [...value.floats];
  return fallback ? [...fallback] : missing(node, name);
}

export function attrString(node: Node, name: string, fallback?: string): string {
  const value = attribute(node, name, "string") as { string: string } | undefined;
  return value ? value.string : fallback ?? missing(node, name);
}

export function attrTensor(node: Node, name: string): TensorValue {
  const value = attribute(node, name, "tensor") as { tensor: TensorValue } | undefined;
  return value ? value.tensor : missing(node, name);
}

// ---------------------------------------------------------------------------------------------
// Copies and structure.

function copyTensorValueData(data: TensorValue["data"]): TensorValue["data"] {
  return ArrayBuffer.isView(data) ? (data as TensorData).slice() : Array.from(data);
}

function cloneAttribute(value: AttributeValue, copyData: boolean): AttributeValue {
  if ("ints" in value) return { ints: [...value.ints] };
  if ("floats" in value) return { floats: [...value.floats] };
  if ("tensor" in value) {
    const t = value.tensor;
    return { tensor: { type: t.type, dims: [...t.dims], data: copyData ? copyTensorValueData(t.data) : t.data } };
  }
  return { ...value };
}

function cloneNode(node: Node, copyData = true): Node {
  const attributes: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(node.attributes)) attributes[key] = cloneAttribute(value, copyData);
  const copy: Node = {
    name: node.name,
    opType: node.opType,
    domain: node.domain,
    inputs: [...node.inputs],
    outputs: [...node.outputs],
    attributes,
  };
  if (node.activation) copy.activation = { ...node.activation };
  return copy;
}

function cloneValue(value: Value, copyData = true): Value {
  const copy: Value = { name: value.name, dtype: value.dtype, shape: value.shape ? [...value.shape] : undefined };
  if (value.initializer) copy.initializer = copyData ? copyTensor(value.initializer) : value.initializer;
  if (value.storage) copy.storage = value.storage;
  if (value.quant) {
    copy.quant = { scale: value.quant.scale.slice(), zeroPoint: value.quant.zeroPoint.slice() };
    if (value.quant.axis !== undefined) copy.quant.axis = value.quant.axis;
  }
  return copy;
}

export interface CloneOptions {
  /**
   * Share constant tensor data with the source instead of copying it (what passes do: tensor data
   * is never written in place). Everything else is always copied.
   */
  shareTensorData?: boolean;
}

/** A copy of the graph that can be changed without affecting the original. */
export function cloneGraph(graph: Graph, options: CloneOptions = {}): Graph {
  const copyData = !options.shareTensorData;
  return {
    name: graph.name,
    opsets: { ...graph.opsets },
    inputs: [...graph.inputs],
    outputs: [...graph.outputs],
    nodes: graph.nodes.map((node) => cloneNode(node, copyData)),
    values: new Map([...graph.values].map(([name, value]) => [name, cloneValue(value, copyData)])),
  };
}

/** The node producing each tensor. */
export function producers(graph: Graph): Map<string, Node> {
  const result = new Map<string, Node>();
  for (const node of graph.nodes) for (const output of node.outputs) if (output) result.set(output, node);
  return result;
}

/** The nodes reading each tensor (a node reading a tensor twice appears twice). */
export function consumers(graph: Graph): Map<string, Node[]> {
  const result = new Map<string, Node[]>();
  for (const node of graph.nodes) {
    for (const input of node.inputs) {
      if (!input) continue;
      const list = result.get(input);
      if (list) list.push(node);
      else result.set(input, [node]);
    }
  }
  return result;
}

/** `base`, or `base_<k>` for the first k that names no value and no node yet. */
export function uniqueName(graph: Graph, base: string): string {
  const taken = (name: string) => graph.values.has(name) || graph.nodes.some((n) => n.name === name || n.outputs.includes(name));
  if (!taken(base)) return base;
  for (let k = 1; ; k++) if (!taken(`${base}_${k}`)) return `${base}_${k}`;
}

/** Drops values that no node, graph input or graph output refers to (in place, on a graph the caller owns). */
export function pruneUnusedValues(graph: Graph): void {
  const used = new Set<string>([...graph.inputs, ...graph.outputs]);
  for (const node of graph.nodes) for (const name of [...node.inputs, ...node.outputs]) if (name) used.add(name);
  for (const name of [...graph.values.keys()]) if (!used.has(name)) graph.values.delete(name);
}

/**
 * Nodes in a topological order, keeping the given order wherever it already is one. Checks that
 * every input is defined (graph input, constant or node output), that no tensor is produced twice,
 * and that there is no cycle.
 */
export function topologicalSort(graph: Graph): Node[] {
  const available = new Set<string>(graph.inputs);
  for (const [name, value] of graph.values) if (value.initializer) available.add(name);
  const producer = new Map<string, Node>();
  for (const node of graph.nodes) {
    for (const output of node.outputs) {
      if (!output) continue;
      if (available.has(output) || producer.has(output)) {
        throw new ModelFormatError("tensor is produced more than once (or overwrites a graph input or constant)", {
          node: node.name,
          tensor: output,
        });
      }
      producer.set(output, node);
    }
  }
  const pending = new Map<Node, number>();
  const waiting = new Map<string, Node[]>();
  for (const node of graph.nodes) {
    let count = 0;
    for (const input of new Set(node.inputs)) {
      if (!input || available.has(input)) continue;
      if (!producer.has(input)) throw new ModelFormatError("input refers to an undefined tensor", { node: node.name, tensor: input });
      count++;
      const list = waiting.get(input);
      if (list) list.push(node);
      else waiting.set(input, [node]);
    }
    pending.set(node, count);
  }
  const order: Node[] = [];
  const placed = new Set<Node>();
  // Repeatedly take the first ready node in the original order: O(n^2) worst case, but models are
  // a few hundred nodes and this keeps an already-sorted graph exactly as it is.
  let progress = true;
  while (order.length < graph.nodes.length && progress) {
    progress = false;
    for (const node of graph.nodes) {
      if (placed.has(node) || pending.get(node) !== 0) continue;
      placed.add(node);
      order.push(node);
      progress = true;
      for (const output of node.outputs) for (const next of waiting.get(output) ?? []) pending.set(next, pending.get(next)! - 1);
    }
  }
  if (order.length < graph.nodes.length) {
    const stuck = graph.nodes.find((node) => !placed.has(node))!;
    throw new ModelFormatError("the graph has a cycle through this node", { node: stuck.name });
  }
  return order;
}
