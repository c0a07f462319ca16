// The tensor type users pass to and get from a session, shaped like ONNX Runtime Web's Tensor.
import { DTypeError, ShapeError } from "../errors.js";

export type TensorType = "float32" | "int8" | "uint8" | "int32" | "int64";

export interface TensorDataTypes {
  float32: Float32Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int32: Int32Array;
  int64: BigInt64Array;
}

export type TensorData = TensorDataTypes[TensorType];

const CONSTRUCTORS = {
  float32: Float32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int32: Int32Array,
  int64: BigInt64Array,
} as const;

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** An n-dimensional array: `type`, `data` (a typed array of that type), `dims`. */
export class Tensor<T extends TensorType = TensorType> {
  readonly type: T;
  readonly data: TensorDataTypes[T];
  readonly dims: readonly number[];

  constructor(type: T, data: TensorDataTypes[T] | readonly number[], dims?: readonly number[]) {
    if (!(type in CONSTRUCTORS)) {
      throw new DTypeError(`Tensor: unsupported type '${String(type)}' (expected one of ${Object.keys(CONSTRUCTORS).join(", ")})`);
    }
    const typed = Array.isArray(data) ? fromArray(type, data) : (data as TensorDataTypes[T]);
    if (!(typed instanceof CONSTRUCTORS[type])) {
      throw new DTypeError(`Tensor: data for type '${type}' must be a ${CONSTRUCTORS[type].name}, got ${describe(data)}`);
    }
    const shape = dims ?? [typed.length];
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ShapeError(`Tensor: dims must be non-negative integers, got [${shape.join(", ")}]`);
    }
    if (elementCount(shape) !== typed.length) {
      throw new ShapeError(`Tensor: dims [${shape.join(", ")}] hold ${elementCount(shape)} elements, data has ${typed.length}`);
    }
    this.type = type;
    this.data = typed;
    this.dims = Object.freeze([...shape]);
  }

  get size(): number {
    return this.data.length;
  }
}

function fromArray<T extends TensorType>(type: T, values: readonly number[]): TensorDataTypes[T] {
  if (type === "int64") return BigInt64Array.from(values, (v) => BigInt(v)) as TensorDataTypes[T];
  return (CONSTRUCTORS[type] as unknown as { from(v: readonly number[]): TensorDataTypes[T] }).from(values);
}

function describe(value: unknown): string {
  return value === null || value === undefined ? String(value) : (value as object).constructor?.name ?? typeof value;
}
