// Writing a QDQ graph: QuantizeLinear/DequantizeLinear pairs on activations, DequantizeLinear on
// int8 weights and int32 biases (DESIGN.md 5), the standard form any ONNX tool can read and our
// session lowers to integer kernels.
import type { Graph, Node, TensorData, Value } from "../graph/ir.js";
import { uniqueName } from "../graph/ir.js";

export interface ActivationQuant {
  readonly scale: number;
  readonly zeroPoint: number;
  readonly qmin: number;
  readonly qmax: number;
}

export function addConstant(graph: Graph, base: string, data: TensorData, shape: number[], storage?: Value["storage"]): string {
  const name = uniqueName(graph, base);
  const value: Value = { name, dtype: dtypeName(data), shape, initializer: data };
  if (storage) value.storage = storage;
  graph.values.set(name, value);
  return name;
}

function dtypeName(data: TensorData): Value["dtype"] {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Uint8Array) return "uint8";
  if (data instanceof Int32Array) return "int32";
  return "int64";
}

function addNode(graph: Graph, node: Omit<Node, "domain" | "attributes"> & Partial<Pick<Node, "attributes">>): Node {
  const full: Node = { domain: "", attributes: {}, ...node, name: uniqueName(graph, node.name) };
  graph.nodes.push(full);
  return full;
}

/**
 * Inserts `source -> QuantizeLinear -> DequantizeLinear -> dequantized` and returns the names
 * (`dequantized` may be given so a graph output keeps its name).
 */
export function insertQdq(graph: Graph, source: string, quant: ActivationQuant, shape: Value["shape"], dequantized?: string): string {
  const scale = addConstant(graph, `${source}_scale`, Float32Array.of(quant.scale), []);
  const zero = addConstant(graph, `${source}_zero_point`, Int8Array.of(quant.zeroPoint), []);
  const quantized = uniqueName(graph, `${source}_quantized`);
  graph.values.set(quantized, { name: quantized, dtype: "int8", shape });
  addNode(graph, { name: `${source}_QuantizeLinear`, opType: "QuantizeLinear", inputs: [source, scale, zero], outputs: [quantized] });
  const output = dequantized ?? uniqueName(graph, `${source}_dequantized`);
  graph.values.set(output, { name: output, dtype: "float32", shape });
  addNode(graph, { name: `${source}_DequantizeLinear`, opType: "DequantizeLinear", inputs: [quantized, scale, zero], outputs: [output] });
  return output;
}

/** A DequantizeLinear of a constant (per axis when there are several scales). */
export function insertConstantDq(
  graph: Graph,
  base: string,
  codes: Int8Array | Int32Array,
  shape: number[],
  scales: Float32Array,
  axis: number,
  storage?: Value["storage"],
): string {
  const codesName = addConstant(graph, `${base}_quantized`, codes, shape, storage);
  const perAxis = scales.length > 1;
  const scaleName = addConstant(graph, `${base}_scale`, scales, perAxis ? [scales.length] : []);
  const zeros = codes instanceof Int32Array ? new Int32Array(scales.length) : new Int8Array(scales.length);
  const zeroName = addConstant(graph, `${base}_zero_point`, zeros, perAxis ? [scales.length] : [], storage);
  const output = uniqueName(graph, `${base}_dequantized`);
  graph.values.set(output, { name: output, dtype: "float32", shape });
  addNode(graph, {
    name: `${base}_DequantizeLinear`,
    opType: "DequantizeLinear",
    inputs: [codesName, scaleName, zeroName],
    outputs: [output],
    attributes: perAxis ? { axis: { int: axis } } : {},
  });
  return output;
}

/** A Clip that keeps a tensor inside the codes of a narrower-than-int8 grid. */
export function insertClip(graph: Graph, source: string, min: number, max: number, shape: Value["shape"]): string {
  const minName = addConstant(graph, `${source}_clip_min`, Float32Array.of(min), []);
  const maxName = addConstant(graph, `${source}_clip_max`, Float32Array.of(max), []);
  const output = uniqueName(graph, `${source}_clipped`);
  graph.values.set(output, { name: output, dtype: "float32", shape });
  addNode(graph, { name: `${source}_Clip`, opType: "Clip", inputs: [source, minName, maxName], outputs: [output] });
  return output;
}
