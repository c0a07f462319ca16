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

/** Adds a node with a short generated name (`Q3`, `DQ7`): names are stored in every saved file. */
function addNode(graph: Graph, node: Omit<Node, "domain" | "attributes" | "name"> & Partial<Pick<Node, "attributes">>): Node {
  const prefix = node.opType === "QuantizeLinear" ? "Q" : node.opType === "DequantizeLinear" ? "DQ" : node.opType;
  let k = graph.nodes.length;
  while (graph.nodes.some((n) => n.name === `${prefix}${k}`)) k++;
  const full: Node = { domain: "", attributes: {}, ...node, name: `${prefix}${k}` };
  graph.nodes.push(full);
  return full;
}

/** The scale and zero-point constants of activations, one pair per distinct (S, Z). */
export class ActivationParams {
  private readonly names = new Map<string, [string, string]>();
  private count = 0;

  constructor(private readonly graph: Graph) {}

  /** A short base name for the next quantized activation (`a0`, `a1`, ...). */
  nextBase(): string {
    return uniqueName(this.graph, `a${this.count++}`);
  }

  constantsFor(base: string, quant: ActivationQuant): [string, string] {
    const key = `${quant.scale}/${quant.zeroPoint}`;
    let pair = this.names.get(key);
    if (!pair) {
      pair = [
        addConstant(this.graph, `${base}_s`, Float32Array.of(quant.scale), []),
        addConstant(this.graph, `${base}_z`, Int8Array.of(quant.zeroPoint), []),
      ];
      this.names.set(key, pair);
    }
    return pair;
  }
}

/**
 * Inserts `source -> QuantizeLinear -> DequantizeLinear -> dequantized` and returns the names
 * (`dequantized` may be given so a graph output keeps its name). Generated names are short
 * (`a3_q`, `a3`): they are stored in the file, whose size is part of what quantization buys.
 */
export function insertQdq(
  graph: Graph,
  params: ActivationParams,
  source: string,
  quant: ActivationQuant,
  shape: Value["shape"],
  dequantized?: string,
): string {
  const base = params.nextBase();
  const [scale, zero] = params.constantsFor(base, quant);
  const quantized = uniqueName(graph, `${base}_q`);
  graph.values.set(quantized, { name: quantized, dtype: "int8", shape });
  addNode(graph, { opType: "QuantizeLinear", inputs: [source, scale, zero], outputs: [quantized] });
  const output = dequantized ?? uniqueName(graph, base);
  graph.values.set(output, { name: output, dtype: "float32", shape });
  addNode(graph, { opType: "DequantizeLinear", inputs: [quantized, scale, zero], outputs: [output] });
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
  const codesName = addConstant(graph, base, codes, shape, storage);
  const perAxis = scales.length > 1;
  const scaleName = addConstant(graph, `${base}_s`, scales, perAxis ? [scales.length] : []);
  const output = uniqueName(graph, `${base}_dq`);
  graph.values.set(output, { name: output, dtype: "float32", shape });
  addNode(graph, {
    opType: "DequantizeLinear",
    // The zero point is omitted: it defaults to 0 in the codes' type, which is what symmetric weights use.
    inputs: [codesName, scaleName],
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
  addNode(graph, { opType: "Clip", inputs: [source, minName, maxName], outputs: [output] });
  return output;
}

/**
 * Renames every tensor but the graph's inputs and outputs to a short generated name (node names,
 * which errors and summaries report, are kept): a saved model stores each tensor name once per
 * use, and for small models the names are a visible share of the file.
 */
export function compactTensorNames(graph: Graph): void {
  const keep = new Set([...graph.inputs, ...graph.outputs]);
  const renamed = new Map<string, string>();
  let next = 0;
  for (const name of graph.values.keys()) {
    if (keep.has(name)) continue;
    let short: string;
    do short = `t${(next++).toString(36)}`;
    while (keep.has(short) || graph.values.has(short));
    renamed.set(name, short);
  }
  const rename = (name: string) => renamed.get(name) ?? name;
  graph.values = new Map([...graph.values].map(([name, value]) => [rename(name), { ...value, name: rename(name) }]));
  for (const node of graph.nodes) {
    node.inputs = node.inputs.map(rename);
    node.outputs = node.outputs.map(rename);
  }
}
