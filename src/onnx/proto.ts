// The ONNX protobuf schema, as generated code from the `onnx-proto` package.
import onnxProto from "onnx-proto";

export const onnx = onnxProto.onnx;
export type { onnx as OnnxTypes } from "onnx-proto";

/** ONNX TensorProto.DataType codes used by this project (INT4/UINT4 postdate the schema package). */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  UINT4: 21,
  INT4: 22,
} as const;
