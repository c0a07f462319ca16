// Writes ONNX models from TypeScript: used by training export, by saving quantized models, and by
// tests that build small models to run.
import { onnx, DataType } from "./proto.js";
import type { OnnxTypes } from "./proto.js";

export type OnnxElementType = "float32" | "uint8" | "int8" | "int32" | "int64" | "int4" | "uint4";

const ELEMENT_CODES: Record<OnnxElementType, number> = {
  float32: DataType.FLOAT,
  uint8: DataType.UINT8,
  int8: DataType.INT8,
  int32: DataType.INT32,
  int64: DataType.INT64,
  int4: DataType.INT4,
  uint4: DataType.UINT4,
};

export function elementTypeCode(type: OnnxElementType): number {
  return ELEMENT_CODES[type];
}

/** An attribute value with its ONNX type made explicit (1 and 1.0 are the same JS number). */
export type AttributeValue =
  | { int: number }
  | { float: number }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { string: string }
  | { tensor: TensorValue };

export const attr = {
  int: (value: number): AttributeValue => ({ int: value }),
  float: (value: number): AttributeValue => ({ float: value }),
  ints: (value: readonly number[]): AttributeValue => ({ ints: value }),
  floats: (value: readonly number[]): AttributeValue => ({ floats: value }),
  string: (value: string): AttributeValue => ({ string: value }),
  tensor: (value: TensorValue): AttributeValue => ({ tensor: value }),
};

/** Tensor data for an initializer or a tensor attribute. int4/uint4 data are given one value per element. */
export interface TensorValue {
  readonly type: OnnxElementType;
  readonly dims: readonly number[];
  readonly data: ArrayLike<number> | BigInt64Array;
}

/** Encodes a tensor as a TensorProto with raw little-endian data (4-bit types packed two per byte). */
export function tensorProto(name: string, value: TensorValue): OnnxTypes.ITensorProto {
  const count = value.dims.reduce((a, b) => a * b, 1);
  if (value.data.length !== count) {
    throw new RangeError(`tensor ${name}: ${value.data.length} values for dims [${value.dims.join(", ")}] (${count})`);
  }
  return { name, dims: [...value.dims], dataType: ELEMENT_CODES[value.type], rawData: rawBytes(value) };
}

function rawBytes({ type, data }: TensorValue): Uint8Array {
  switch (type) {
    case "float32":
      return bytesOf(Float32Array.from(data as ArrayLike<number>));
    case "uint8":
      return Uint8Array.from(data as ArrayLike<number>);
    case "int8":
      return bytesOf(Int8Array.from(data as ArrayLike<number>));
    case "int32":
      return bytesOf(Int32Array.from(data as ArrayLike<number>));
    case "int64":
      return bytesOf(data instanceof BigInt64Array ? data : BigInt64Array.from(Array.from(data as ArrayLike<number>, BigInt)));
    case "int4":
    case "uint4":
      return packNibbles(data as ArrayLike<number>);
  }
}

function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength).slice();
}

/** Two 4-bit values per byte, the first in the low nibble (ONNX INT4/UINT4 layout). */
export function packNibbles(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) bytes[i >> 1] |= (values[i] & 0xf) << ((i & 1) * 4);
  return bytes;
}

function attributeProto(name: string, value: AttributeValue): OnnxTypes.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ("int" in value) return { name, type: T.INT, i: value.int };
  if ("float" in value) return { name, type: T.FLOAT, f: value.float };
  if ("ints" in value) return { name, type: T.INTS, ints: [...value.ints] };
  if ("floats" in value) return { name, type: T.FLOATS, floats: [...value.floats] };
  if ("string" in value) return { name, type: T.STRING, s: new TextEncoder().encode(value.string) };
  return { name, type: T.TENSOR, t: tensorProto(name, value.tensor) };
}

/** `dims` undefined declares a tensor of unknown rank. */
function valueInfo(name: string, type: OnnxElementType, dims: readonly (number | string)[] | undefined): OnnxTypes.IValueInfoProto {
  const shape = dims && { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) };
  return { name, type: { tensorType: { elemType: ELEMENT_CODES[type], ...(shape && { shape }) } } };
}

export interface NodeOptions {
  readonly name?: string;
  readonly domain?: string;
}

/** Builds one ONNX graph and wraps it in a model. */
export class OnnxGraphBuilder {
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly valueInfos: OnnxTypes.IValueInfoProto[] = [];
  private readonly annotations: OnnxTypes.ITensorAnnotation[] = [];
  private readonly domains = new Map<string, number>();

  constructor(
    private readonly graphName: string,
    private readonly opset = 13,
  ) {}

  input(name: string, type: OnnxElementType, dims: readonly (number | string)[] | undefined): this {
    this.inputs.push(valueInfo(name, type, dims));
    return this;
  }

  output(name: string, type: OnnxElementType, dims: readonly (number | string)[] | undefined): this {
    this.outputs.push(valueInfo(name, type, dims));
    return this;
  }

  /** Declares the type and shape of an intermediate tensor (GraphProto.value_info). */
  valueInfo(name: string, type: OnnxElementType, dims: readonly (number | string)[] | undefined): this {
    this.valueInfos.push(valueInfo(name, type, dims));
    return this;
  }

  /** Imports an operator set for a domain other than the default one (set in the constructor). */
  opsetImport(domain: string, version: number): this {
    this.domains.set(domain, version);
    return this;
  }

  /**
   * Annotates a tensor with the names of the tensors holding its quantization parameters
   * (GraphProto.quantization_annotation; ONNX predefines the keys SCALE_TENSOR and ZERO_POINT_TENSOR).
   */
  quantizationAnnotation(tensor: string, parameterTensors: Record<string, string>): this {
    this.annotations.push({
      tensorName: tensor,
      quantParameterTensorNames: Object.entries(parameterTensors).map(([key, value]) => ({ key, value })),
    });
    return this;
  }

  initializer(name: string, value: TensorValue): this {
    this.initializers.push(tensorProto(name, value));
    return this;
  }

  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attributes: Record<string, AttributeValue> = {},
    options: NodeOptions = {},
  ): this {
    const domain = options.domain ?? "";
    if (domain !== "" && !this.domains.has(domain)) this.domains.set(domain, 1);
    this.nodes.push({
      opType,
      // The default domain is the empty string: leaving it unset saves bytes in every node.
      ...(domain === "" ? {} : { domain }),
      name: options.name ?? `${opType}_${this.nodes.length}`,
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attributes).map(([key, value]) => attributeProto(key, value)),
    });
    return this;
  }

  toModelProto(): OnnxTypes.ModelProto {
    return onnx.ModelProto.create({
      irVersion: this.opset >= 21 ? 10 : this.opset >= 15 ? 8 : 7,
      producerName: "int8-wasm-runtime",
      opsetImport: [{ domain: "", version: this.opset }, ...[...this.domains].map(([domain, version]) => ({ domain, version }))],
      graph: {
        name: this.graphName,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
        node: this.nodes,
        valueInfo: this.valueInfos,
        quantizationAnnotation: this.annotations,
      },
    });
  }

  toBytes(): Uint8Array {
    return onnx.ModelProto.encode(this.toModelProto()).finish();
  }
}
