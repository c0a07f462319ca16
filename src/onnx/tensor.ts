// TensorProto <-> typed arrays. Data is read from raw_data (little-endian) or the typed fields
// (float_data, int32_data, int64_data); 4-bit types are unpacked to one element per byte.
import { ModelFormatError, UnsupportedError } from "../errors.js";
import type { DType, TensorData } from "../graph/ir.js";
import { tensorProto } from "./builder.js";
import { DataType, onnx } from "./proto.js";
import type { OnnxTypes } from "./proto.js";

/** An int64 as protobufjs decodes it: a number, or a Long when the `long` package is present. */
export type Int64Like = number | { toString(): string; toNumber(): number };

export interface ElementType {
  dtype: DType;
  /** Set for 4-bit types, held unpacked in `dtype`. */
  storage?: "int4" | "uint4";
}

const ELEMENT_TYPES: Readonly<Record<number, ElementType>> = {
  [DataType.FLOAT]: { dtype: "float32" },
  [DataType.UINT8]: { dtype: "uint8" },
  [DataType.INT8]: { dtype: "int8" },
  [DataType.INT32]: { dtype: "int32" },
  [DataType.INT64]: { dtype: "int64" },
  [DataType.INT4]: { dtype: "int8", storage: "int4" },
  [DataType.UINT4]: { dtype: "uint8", storage: "uint4" },
};

function dataTypeName(code: number): string {
  const names = onnx.TensorProto.DataType as unknown as Record<number, string | undefined>;
  return names[code] ?? `data type ${code}`;
}

/** The IR element type of an ONNX TensorProto.DataType code; UnsupportedError for the others. */
export function elementType(code: number, tensor: string): ElementType {
  const type = ELEMENT_TYPES[code];
  if (!type) {
    throw new UnsupportedError(`element type ${dataTypeName(code)} is not supported (float32, int8, uint8, int32, int64, int4, uint4 are)`, {
      tensor,
    });
  }
  return type;
}

/** An int64 field as a safe JS integer. */
export function toSafeInteger(value: Int64Like | null | undefined, what: string, context: { node?: string; tensor?: string }): number {
  const n = typeof value === "number" ? value : value == null ? 0 : value.toNumber();
  if (!Number.isSafeInteger(n)) throw new ModelFormatError(`${what} ${String(value)} is not a safe integer`, context);
  return n;
}

export interface DecodedTensor extends ElementType {
  dims: number[];
  data: TensorData;
}

function expectLength(tensor: string, actual: number, expected: number, field: string): void {
  if (actual !== expected) throw new ModelFormatError(`${field} holds ${actual} values, the dims need ${expected}`, { tensor });
}

function fromRaw(raw: Uint8Array, type: ElementType, count: number, tensor: string): TensorData {
  if (type.storage) {
    expectLength(tensor, raw.length, Math.ceil(count / 2), "raw_data (bytes)");
    return unpackNibbles(raw, count, type.storage === "int4");
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (type.dtype) {
    case "float32": {
      expectLength(tensor, raw.length, 4 * count, "raw_data (bytes)");
      return Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
    }
    case "int32": {
      expectLength(tensor, raw.length, 4 * count, "raw_data (bytes)");
      return Int32Array.from({ length: count }, (_, i) => view.getInt32(4 * i, true));
    }
    case "int64": {
      expectLength(tensor, raw.length, 8 * count, "raw_data (bytes)");
      const data = new BigInt64Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getBigInt64(8 * i, true);
      return data;
    }
    // protobufjs hands out a Node Buffer, whose slice() is a view: copy through the constructor.
    case "int8":
      expectLength(tensor, raw.length, count, "raw_data (bytes)");
      return new Int8Array(new Uint8Array(raw).buffer);
    case "uint8":
      expectLength(tensor, raw.length, count, "raw_data (bytes)");
      return new Uint8Array(raw);
  }
}

function fromTypedFields(proto: OnnxTypes.ITensorProto, type: ElementType, count: number, tensor: string): TensorData {
  if (type.storage) {
    const packed = proto.int32Data ?? [];
    expectLength(tensor, packed.length, Math.ceil(count / 2), "int32_data");
    return unpackNibbles(Uint8Array.from(packed), count, type.storage === "int4");
  }
  switch (type.dtype) {
    case "float32": {
      const values = proto.floatData ?? [];
      expectLength(tensor, values.length, count, "float_data");
      return Float32Array.from(values);
    }
    case "int64": {
      const values = proto.int64Data ?? [];
      expectLength(tensor, values.length, count, "int64_data");
      return BigInt64Array.from(values, (v) => BigInt(v.toString()));
    }
    case "int32":
    case "int8":
    case "uint8": {
      const values = proto.int32Data ?? [];
      expectLength(tensor, values.length, count, "int32_data");
      return type.dtype === "int32" ? Int32Array.from(values) : type.dtype === "int8" ? Int8Array.from(values) : Uint8Array.from(values);
    }
  }
}

/** The dims, element type and data of a TensorProto. `name` is used in errors. */
export function decodeTensor(proto: OnnxTypes.ITensorProto, name = proto.name ?? ""): DecodedTensor {
  if (proto.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (proto.externalData?.length ?? 0) > 0) {
    throw new UnsupportedError("tensor data stored in an external file is not supported; embed the data in the model", { tensor: name });
  }
  if (proto.segment) throw new UnsupportedError("segmented tensors are not supported", { tensor: name });
  const type = elementType(proto.dataType ?? 0, name);
  const dims = (proto.dims ?? []).map((d) => toSafeInteger(d, "dimension", { tensor: name }));
  if (dims.some((d) => d < 0)) throw new ModelFormatError(`negative dimension in [${dims.join(", ")}]`, { tensor: name });
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = proto.rawData;
  const data = raw && raw.length > 0 ? fromRaw(raw, type, count, name) : fromTypedFields(proto, type, count, name);
  return { ...type, dims, data };
}

/** Encodes tensor data as a TensorProto (raw little-endian data; 4-bit storage packed two per byte). */
export function encodeTensor(name: string, tensor: DecodedTensor): OnnxTypes.ITensorProto {
  return tensorProto(name, { type: tensor.storage ?? tensor.dtype, dims: tensor.dims, data: tensor.data });
}

/** Two 4-bit values per byte, the first in the low nibble; int4 values are sign-extended. */
export function unpackNibbles(bytes: Uint8Array, count: number, signed: boolean): Int8Array | Uint8Array {
  const out = signed ? new Int8Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const nibble = (bytes[i >> 1] >> ((i & 1) * 4)) & 0xf;
    out[i] = signed && nibble >= 8 ? nibble - 16 : nibble;
  }
  return out;
}
