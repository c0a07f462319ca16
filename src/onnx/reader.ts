// ONNX bytes -> graph IR. Everything a model file can get wrong is reported here, by node and
// tensor, before any other stage sees the graph: malformed bytes, a missing graph, undefined or
// doubly produced tensors, unsupported element types, operators or opsets, inconsistent shapes.
import { ModelFormatError, UnsupportedError } from "../errors.js";
import { topologicalSort, type AttributeValue, type Dim, type Graph, type Node, type QuantParams, type Value } from "../graph/ir.js";
import { inferShapes, isSupportedOp } from "../graph/shape-inference.js";
import { onnx } from "./proto.js";
import type { OnnxTypes } from "./proto.js";
import { decodeTensor, elementType, toSafeInteger, type DecodedTensor } from "./tensor.js";

/** Default-domain opset versions this runtime implements. */
export const MIN_OPSET = 7;
export const MAX_OPSET = 21;

/** Keys of GraphProto.quantization_annotation naming the parameter tensors (AXIS is this project's addition). */
export const QUANT_KEYS = { scale: "SCALE_TENSOR", zeroPoint: "ZERO_POINT_TENSOR", axis: "AXIS" } as const;

const utf8 = new TextDecoder("utf-8");

function decodeModel(bytes: Uint8Array): OnnxTypes.ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new ModelFormatError(`not a valid ONNX model (${error instanceof Error ? error.message : String(error)})`);
  }
}

function normaliseDomain(domain: string | null | undefined): string {
  return !domain || domain === "ai.onnx" ? "" : domain;
}

function readOpsets(model: OnnxTypes.ModelProto): Record<string, number> {
  const opsets: Record<string, number> = {};
  for (const entry of model.opsetImport) opsets[normaliseDomain(entry.domain)] = toSafeInteger(entry.version, "opset version", {});
  const version = opsets[""];
  if (version === undefined) throw new ModelFormatError("the model imports no opset for the default ONNX domain");
  if (version < MIN_OPSET || version > MAX_OPSET) {
    throw new UnsupportedError(`default-domain opset ${version} is not supported (${MIN_OPSET}..${MAX_OPSET} are)`);
  }
  return opsets;
}

function valueFromTensor(name: string, tensor: DecodedTensor): Value {
  const value: Value = { name, dtype: tensor.dtype, shape: tensor.dims, initializer: tensor.data };
  if (tensor.storage) value.storage = tensor.storage;
  return value;
}

function readValueInfo(info: OnnxTypes.IValueInfoProto): Value {
  const name = info.name ?? "";
  const tensorType = info.type?.tensorType;
  if (!tensorType) throw new UnsupportedError("only tensor-typed values are supported (not sequences, maps or optionals)", { tensor: name });
  const { dtype, storage } = elementType(tensorType.elemType ?? 0, name);
  const shape: Dim[] | undefined = tensorType.shape?.dim?.map((dim, i): Dim => {
    if (dim.dimParam) return dim.dimParam;
    if (dim.dimValue == null) return `${name}_unk${i}`;
    const size = toSafeInteger(dim.dimValue, "dimension", { tensor: name });
    if (size < 0) throw new ModelFormatError(`negative dimension ${size}`, { tensor: name });
    return size;
  });
  const value: Value = { name, dtype, shape };
  if (storage) value.storage = storage;
  return value;
}

function readAttribute(proto: OnnxTypes.IAttributeProto, node: string): AttributeValue {
  const T = onnx.AttributeProto.AttributeType;
  const name = proto.name ?? "";
  const context = { node };
  if (proto.refAttrName) throw new UnsupportedError(`attribute '${name}' refers to a function attribute`, context);
  switch (proto.type) {
    case T.INT:
      return { int: toSafeInteger(proto.i, `attribute '${name}'`, context) };
    case T.FLOAT:
      return { float: proto.f ?? 0 };
    case T.INTS:
      return { ints: (proto.ints ?? []).map((v) => toSafeInteger(v, `attribute '${name}'`, context)) };
    case T.FLOATS:
      return { floats: [...(proto.floats ?? [])] };
    case T.STRING:
      return { string: utf8.decode(proto.s ?? new Uint8Array()) };
    case T.TENSOR: {
      const tensor = decodeTensor(proto.t ?? {}, `${node}.${name}`);
      return { tensor: { type: tensor.storage ?? tensor.dtype, dims: tensor.dims, data: tensor.data } };
    }
    case T.UNDEFINED:
    case undefined:
    case null:
      throw new ModelFormatError(`attribute '${name}' has no type`, context);
    default:
      throw new UnsupportedError(`attribute '${name}' is of type ${T[proto.type] ?? proto.type}, which is not supported`, context);
  }
}

function readNode(proto: OnnxTypes.INodeProto, name: string): Node {
  const opType = proto.opType ?? "";
  const domain = normaliseDomain(proto.domain);
  if (!opType) throw new ModelFormatError("node has no operator type", { node: name });
  const node: Node = { name, opType, domain, inputs: [...(proto.input ?? [])], outputs: [...(proto.output ?? [])], attributes: {} };
  if (opType !== "Constant" && !isSupportedOp(node)) {
    throw new UnsupportedError(`unsupported operator ${domain ? `${domain}.` : ""}${opType}`, { node: name });
  }
  for (const attribute of proto.attribute ?? []) {
    const key = attribute.name ?? "";
    if (!key) throw new ModelFormatError("attribute without a name", { node: name });
    if (key in node.attributes) throw new ModelFormatError(`attribute '${key}' appears twice`, { node: name });
    node.attributes[key] = readAttribute(attribute, name);
  }
  return node;
}

/** A Constant node's value, as the initializer it is turned into. */
function constantValue(node: Node): Value {
  const output = node.outputs[0];
  const keys = Object.keys(node.attributes);
  if (node.inputs.length !== 0 || node.outputs.length !== 1 || !output || keys.length !== 1) {
    throw new ModelFormatError("Constant needs no inputs, one output and exactly one value attribute", { node: node.name });
  }
  const attribute = node.attributes[keys[0]];
  const tensor = (dtype: "float32" | "int64", dims: number[], data: Float32Array | BigInt64Array): Value => ({ name: output, dtype, shape: dims, initializer: data });
  if (keys[0] === "value" && "tensor" in attribute) {
    const t = attribute.tensor;
    const storage = t.type === "int4" || t.type === "uint4" ? t.type : undefined;
    const value: Value = {
      name: output,
      dtype: storage === "int4" ? "int8" : storage === "uint4" ? "uint8" : (t.type as Value["dtype"]),
      shape: [...t.dims],
      initializer: t.data as Value["initializer"],
    };
    if (storage) value.storage = storage;
    return value;
  }
  if (keys[0] === "value_float" && "float" in attribute) return tensor("float32", [], Float32Array.of(attribute.float));
  if (keys[0] === "value_floats" && "floats" in attribute) return tensor("float32", [attribute.floats.length], Float32Array.from(attribute.floats));
  if (keys[0] === "value_int" && "int" in attribute) return tensor("int64", [], BigInt64Array.of(BigInt(attribute.int)));
  if (keys[0] === "value_ints" && "ints" in attribute) return tensor("int64", [attribute.ints.length], BigInt64Array.from(attribute.ints, BigInt));
  throw new UnsupportedError(`Constant with attribute '${keys[0]}' is not supported`, { node: node.name });
}

function uniqueNodeName(proto: OnnxTypes.INodeProto, index: number, taken: Set<string>): string {
  const base = proto.name || `${proto.opType || "node"}_${index}`;
  let name = base;
  for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
  taken.add(name);
  return name;
}

function addValue(values: Map<string, Value>, value: Value, what: string): void {
  if (!value.name) throw new ModelFormatError(`${what} without a name`);
  if (values.has(value.name)) throw new ModelFormatError(`${what} '${value.name}' is defined more than once`, { tensor: value.name });
  values.set(value.name, value);
}

/** Dropout's mask is a bool tensor this runtime does not hold; an unused mask output is dropped. */
function dropUnusedMasks(nodes: Node[], outputs: readonly string[]): void {
  const used = new Set<string>(outputs);
  for (const node of nodes) for (const input of node.inputs) used.add(input);
  for (const node of nodes) {
    if (node.opType === "Dropout" && node.outputs.length > 1 && !used.has(node.outputs[1])) node.outputs.length = 1;
  }
}

function integerScalar(value: Value | undefined): number | undefined {
  const data = value?.initializer;
  if (!data || data.length !== 1) return undefined;
  return Number(data[0]);
}

/** Reads GraphProto.quantization_annotation into Value.quant; returns the parameter tensors' names. */
function readQuantAnnotations(graph: OnnxTypes.IGraphProto, values: Map<string, Value>, target: Map<string, Value>): Set<string> {
  const parameterTensors = new Set<string>();
  for (const annotation of graph.quantizationAnnotation ?? []) {
    const tensor = annotation.tensorName ?? "";
    const keys = new Map((annotation.quantParameterTensorNames ?? []).map((e) => [e.key ?? "", e.value ?? ""]));
    const lookup = (key: string, required: boolean) => {
      const name = keys.get(key);
      if (name === undefined) {
        if (required) throw new ModelFormatError(`quantization annotation lacks ${key}`, { tensor });
        return undefined;
      }
      const value = values.get(name);
      if (!value?.initializer) throw new ModelFormatError(`quantization parameter '${name}' is not a constant`, { tensor });
      parameterTensors.add(name);
      return value;
    };
    const scale = lookup(QUANT_KEYS.scale, true)!;
    const zeroPoint = lookup(QUANT_KEYS.zeroPoint, false);
    const axis = lookup(QUANT_KEYS.axis, false);
    const annotated = target.get(tensor);
    if (!annotated) throw new ModelFormatError("quantization annotation of an undefined tensor", { tensor });
    if (!(scale.initializer instanceof Float32Array)) throw new ModelFormatError("quantization scale must be float32", { tensor });
    const quant: QuantParams = {
      scale: scale.initializer.slice(),
      zeroPoint: zeroPoint ? Int32Array.from(zeroPoint.initializer!, Number) : new Int32Array(scale.initializer.length),
    };
    if (quant.zeroPoint.length !== quant.scale.length) throw new ModelFormatError("quantization scale and zero point differ in length", { tensor });
    if (axis) {
      const index = integerScalar(axis);
      if (index === undefined) throw new ModelFormatError("quantization axis must be an integer scalar", { tensor });
      quant.axis = index;
    }
    annotated.quant = quant;
  }
  return parameterTensors;
}

/** Parses an ONNX model into the graph IR, with every value's dtype and (possibly symbolic) shape. */
export function readOnnxModel(bytes: Uint8Array): Graph {
  const model = decodeModel(bytes);
  const opsets = readOpsets(model);
  const proto = model.graph;
  if (!proto) throw new ModelFormatError("the model has no graph");
  if ((proto.sparseInitializer?.length ?? 0) > 0) throw new UnsupportedError("sparse initializers are not supported");

  const values = new Map<string, Value>();
  for (const tensor of proto.initializer ?? []) addValue(values, valueFromTensor(tensor.name ?? "", decodeTensor(tensor)), "initializer");

  const inputs: string[] = [];
  for (const info of proto.input ?? []) {
    // Before IR version 4 initializers were listed as inputs too; they stay constants.
    if (values.get(info.name ?? "")?.initializer) continue;
    addValue(values, readValueInfo(info), "graph input");
    inputs.push(info.name!);
  }

  const takenNames = new Set<string>();
  const nodes: Node[] = [];
  (proto.node ?? []).forEach((nodeProto, index) => {
    const node = readNode(nodeProto, uniqueNodeName(nodeProto, index, takenNames));
    if (node.opType === "Constant") addValue(values, constantValue(node), "constant");
    else nodes.push(node);
  });

  const outputs = (proto.output ?? []).map((info) => info.name ?? "");
  if (new Set(outputs).size !== outputs.length) throw new ModelFormatError("a graph output is listed more than once");
  dropUnusedMasks(nodes, outputs);
  const produced = new Set(nodes.flatMap((node) => node.outputs));
  for (const info of proto.output ?? []) {
    const name = info.name ?? "";
    if (!name) throw new ModelFormatError("graph output without a name");
    if (!values.has(name) && !produced.has(name)) throw new ModelFormatError("graph output is not produced by any node", { tensor: name });
    if (!values.has(name)) values.set(name, readValueInfo(info));
  }
  for (const info of proto.valueInfo ?? []) {
    const name = info.name ?? "";
    if (produced.has(name) && !values.has(name)) values.set(name, readValueInfo(info));
  }

  const graph: Graph = { name: proto.name ?? "", opsets, inputs, outputs, nodes, values };
  graph.nodes = topologicalSort(graph);
  const inferred = inferShapes(graph);
  for (const name of readQuantAnnotations(proto, values, inferred.values)) {
    const used = inferred.outputs.includes(name) || inferred.nodes.some((node) => node.inputs.includes(name));
    if (!used) inferred.values.delete(name);
  }
  return inferred;
}
