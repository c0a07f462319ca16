import { describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import Long from "long";
import { onnx, DataType, type OnnxTypes } from "../../src/onnx/proto.js";
import { decodeTensor, encodeTensor, unpackNibbles } from "../../src/onnx/tensor.js";
import { packNibbles } from "../../src/onnx/builder.js";
import { ModelFormatError, UnsupportedError } from "../../src/errors.js";

/** Through the wire format, as a reader would see it. */
function wire(proto: OnnxTypes.ITensorProto): OnnxTypes.TensorProto {
  return onnx.TensorProto.decode(onnx.TensorProto.encode(onnx.TensorProto.create(proto)).finish());
}

describe("decodeTensor", () => {
  test("typed fields", () => {
    expect(decodeTensor(wire({ name: "f", dims: [2], dataType: DataType.FLOAT, floatData: [1.5, -2] }))).toEqual({
      dtype: "float32",
      dims: [2],
      data: Float32Array.of(1.5, -2),
    });
    expect(decodeTensor(wire({ dims: [3], dataType: DataType.INT8, int32Data: [-128, 0, 127] })).data).toEqual(Int8Array.of(-128, 0, 127));
    expect(decodeTensor(wire({ dims: [2], dataType: DataType.UINT8, int32Data: [0, 255] })).data).toEqual(Uint8Array.of(0, 255));
    expect(decodeTensor(wire({ dims: [2], dataType: DataType.INT32, int32Data: [-5, 2147483647] })).data).toEqual(Int32Array.of(-5, 2147483647));
    const big = Long.fromString("-9007199254740993");
    expect(decodeTensor(wire({ dims: [2], dataType: DataType.INT64, int64Data: [big, 7] })).data).toEqual(BigInt64Array.of(-9007199254740993n, 7n));
  });

  test("raw little-endian data", () => {
    const raw = new Uint8Array(8);
    new DataView(raw.buffer).setFloat32(0, 3.25, true);
    new DataView(raw.buffer).setFloat32(4, -1, true);
    expect(decodeTensor(wire({ dims: [2], dataType: DataType.FLOAT, rawData: raw })).data).toEqual(Float32Array.of(3.25, -1));
    const raw64 = new Uint8Array(8);
    new DataView(raw64.buffer).setBigInt64(0, -3n, true);
    expect(decodeTensor(wire({ dims: [1], dataType: DataType.INT64, rawData: raw64 })).data).toEqual(BigInt64Array.of(-3n));
    // Unaligned raw data (offset 1 in a larger buffer) still decodes.
    const shifted = new Uint8Array(9);
    shifted.set(raw, 1);
    expect(decodeTensor({ dims: [2], dataType: DataType.FLOAT, rawData: shifted.subarray(1) }).data).toEqual(Float32Array.of(3.25, -1));
  });

  test("4-bit types unpack, low nibble first, int4 sign-extended", () => {
    expect(decodeTensor(wire({ dims: [3], dataType: DataType.INT4, rawData: Uint8Array.of(0x8f, 0x07) }))).toEqual({
      dtype: "int8",
      storage: "int4",
      dims: [3],
      data: Int8Array.of(-1, -8, 7),
    });
    expect(decodeTensor(wire({ dims: [2], dataType: DataType.UINT4, int32Data: [0xf1] }))).toEqual({
      dtype: "uint8",
      storage: "uint4",
      dims: [2],
      data: Uint8Array.of(1, 15),
    });
  });

  test("scalars and empty tensors", () => {
    expect(decodeTensor(wire({ dataType: DataType.FLOAT, floatData: [2] }))).toEqual({ dtype: "float32", dims: [], data: Float32Array.of(2) });
    expect(decodeTensor(wire({ dims: [0, 3], dataType: DataType.INT32 })).data).toEqual(new Int32Array(0));
  });

  test("errors name the tensor", () => {
    const cases: [OnnxTypes.ITensorProto, typeof ModelFormatError | typeof UnsupportedError][] = [
      [{ name: "t", dims: [3], dataType: DataType.FLOAT, floatData: [1, 2] }, ModelFormatError],
      [{ name: "t", dims: [2], dataType: DataType.FLOAT, rawData: new Uint8Array(7) }, ModelFormatError],
      [{ name: "t", dims: [3], dataType: DataType.INT4, rawData: new Uint8Array(1) }, ModelFormatError],
      [{ name: "t", dims: [1], dataType: onnx.TensorProto.DataType.DOUBLE, doubleData: [1] }, UnsupportedError],
      [{ name: "t", dims: [1], dataType: onnx.TensorProto.DataType.BOOL, int32Data: [1] }, UnsupportedError],
      [{ name: "t", dims: [1], dataType: DataType.FLOAT, externalData: [{ key: "location", value: "w.bin" }] }, UnsupportedError],
      [{ name: "t", dims: [-1], dataType: DataType.FLOAT }, ModelFormatError],
    ];
    for (const [proto, type] of cases) {
      expect(() => decodeTensor(wire(proto))).toThrow(type);
      try {
        decodeTensor(wire(proto));
      } catch (error) {
        expect((error as ModelFormatError).tensor).toBe("t");
      }
    }
  });
});

describe("encodeTensor / decodeTensor round trip", () => {
  const dims = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });
  const count = (d: number[]) => d.reduce((a, b) => a * b, 1);

  test.prop([dims, fc.integer()])("float32", (d, seed) => {
    const data = Float32Array.from({ length: count(d) }, (_, i) => Math.fround(Math.sin(seed + i) * 1e3));
    expect(decodeTensor(wire(encodeTensor("t", { dtype: "float32", dims: d, data })))).toEqual({ dtype: "float32", dims: d, data });
  });

  test.prop([dims, fc.integer()])("int8, uint8, int32, int64", (d, seed) => {
    const n = count(d);
    for (const tensor of [
      { dtype: "int8" as const, data: Int8Array.from({ length: n }, (_, i) => seed + i * 37) },
      { dtype: "uint8" as const, data: Uint8Array.from({ length: n }, (_, i) => seed + i * 37) },
      { dtype: "int32" as const, data: Int32Array.from({ length: n }, (_, i) => seed * (i + 1)) },
      { dtype: "int64" as const, data: BigInt64Array.from({ length: n }, (_, i) => BigInt(seed) * 2n ** 33n + BigInt(i)) },
    ]) {
      expect(decodeTensor(wire(encodeTensor("t", { ...tensor, dims: d })))).toEqual({ ...tensor, dims: d });
    }
  });

  test.prop([fc.array(fc.integer({ min: -8, max: 7 }), { maxLength: 33 })])("int4 packs and unpacks", (values) => {
    const data = Int8Array.from(values);
    expect(unpackNibbles(packNibbles(data), data.length, true)).toEqual(data);
    expect(decodeTensor(wire(encodeTensor("t", { dtype: "int8", storage: "int4", dims: [data.length], data })))).toEqual({
      dtype: "int8",
      storage: "int4",
      dims: [data.length],
      data,
    });
  });
});
