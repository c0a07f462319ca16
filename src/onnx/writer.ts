// Graph IR -> ONNX bytes, through OnnxGraphBuilder (one encoder for the whole project). What the
// IR holds beyond standard ONNX is written as standard ONNX: a fused activation becomes a Relu or
// Clip node after its Conv/Gemm, quantization parameters a GraphProto.quantization_annotation.
import { ModelFormatError } from "../errors.js";
import { isKnownShape, uniqueName, type Graph, type Node, type Value } from "../graph/ir.js";
import { OnnxGraphBuilder, attr, type OnnxElementType } from "./builder.js";
import { QUANT_KEYS } from "./reader.js";

function elementTypeOf(value: Value): OnnxElementType {
  return value.storage ?? value.dtype;
}

/** Name generator that avoids every name in the graph and every name it already gave out. */
function namer(graph: Graph): (base: string) => string {
  const given = new Set<string>();
  return (base) => {
    let name = uniqueName(graph, base);
    for (let k = 1; given.has(name); k++) name = uniqueName(graph, `${base}_${k}`);
    given.add(name);
    return name;
  };
}

function writeActivation(builder: OnnxGraphBuilder, graph: Graph, node: Node, newName: (base: string) => string): void {
  const { min, max } = node.activation!;
  const output = node.outputs[0];
  const preActivation = newName(`${output}_preactivation`);
  const value = graph.values.get(output);
  if (value) builder.valueInfo(preActivation, elementTypeOf(value), value.shape);
  builder.node(node.opType, node.inputs, [preActivation, ...node.outputs.slice(1)], node.attributes, { name: node.name });
  const activationName = newName(`${node.name}_activation`);
  if (min === 0 && max === Infinity) {
    builder.node("Relu", [preActivation], [output], {}, { name: activationName });
  } else if (graph.opsets[""] < 11) {
    builder.node("Clip", [preActivation], [output], { min: attr.float(min), max: attr.float(max) }, { name: activationName });
  } else {
    const minName = newName(`${activationName}_min`);
    const maxName = newName(`${activationName}_max`);
    builder.initializer(minName, { type: "float32", dims: [], data: [min] });
    builder.initializer(maxName, { type: "float32", dims: [], data: [max] });
    builder.node("Clip", [preActivation, minName, maxName], [output], {}, { name: activationName });
  }
}

function writeQuantization(builder: OnnxGraphBuilder, value: Value, newName: (base: string) => string): void {
  const quant = value.quant!;
  const keys: Record<string, string> = {
    [QUANT_KEYS.scale]: newName(`${value.name}_quant_scale`),
    [QUANT_KEYS.zeroPoint]: newName(`${value.name}_quant_zero_point`),
  };
  const dims = quant.axis === undefined ? [] : [quant.scale.length];
  builder.initializer(keys[QUANT_KEYS.scale], { type: "float32", dims, data: quant.scale });
  builder.initializer(keys[QUANT_KEYS.zeroPoint], { type: "int32", dims, data: quant.zeroPoint });
  if (quant.axis !== undefined) {
    keys[QUANT_KEYS.axis] = newName(`${value.name}_quant_axis`);
    builder.initializer(keys[QUANT_KEYS.axis], { type: "int64", dims: [], data: [quant.axis] });
  }
  builder.quantizationAnnotation(value.name, keys);
}

export interface WriteOptions {
  /** Record the shapes of intermediate tensors (default true); readers can infer them, so leaving them out saves bytes. */
  readonly valueInfo?: boolean;
}

/** Serialises the graph as an ONNX model that readOnnxModel reads back to an equal graph. */
export function writeOnnxModel(graph: Graph, options: WriteOptions = {}): Uint8Array {
  const builder = new OnnxGraphBuilder(graph.name, graph.opsets[""]);
  for (const [domain, version] of Object.entries(graph.opsets)) if (domain !== "") builder.opsetImport(domain, version);
  const valueOf = (name: string) => {
    const value = graph.values.get(name);
    if (!value) throw new ModelFormatError("the graph has no value of this name", { tensor: name });
    return value;
  };
  for (const name of graph.inputs) builder.input(name, elementTypeOf(valueOf(name)), valueOf(name).shape);
  for (const name of graph.outputs) builder.output(name, elementTypeOf(valueOf(name)), valueOf(name).shape);
  const newName = namer(graph);
  for (const value of graph.values.values()) {
    if (value.initializer) {
      if (!isKnownShape(value.shape)) throw new ModelFormatError("a constant needs a known shape", { tensor: value.name });
      builder.initializer(value.name, { type: elementTypeOf(value), dims: value.shape, data: value.initializer });
    } else if (options.valueInfo !== false && !graph.inputs.includes(value.name) && !graph.outputs.includes(value.name)) {
      builder.valueInfo(value.name, elementTypeOf(value), value.shape);
    }
    if (value.quant) writeQuantization(builder, value, newName);
  }
  for (const node of graph.nodes) {
    if (node.activation) writeActivation(builder, graph, node, newName);
    else builder.node(node.opType, node.inputs, node.outputs, node.attributes, { name: node.name, domain: node.domain });
  }
  return builder.toBytes();
}
