import { describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import { OnnxGraphBuilder, attr } from "../../src/onnx/builder.js";
import { onnx } from "../../src/onnx/proto.js";
import { readOnnxModel } from "../../src/onnx/reader.js";
import { writeOnnxModel } from "../../src/onnx/writer.js";
import { ModelFormatError, ShapeError, UnsupportedError } from "../../src/errors.js";
import { optimizeGraph } from "../../src/graph/passes/index.js";
import { runReference } from "../../src/reference/interpreter.js";
import { expectClose, randomFloats as floats, richModel } from "../helpers/graphs.js";

describe("round trip", () => {
  test("read -> write -> read gives the same graph", () => {
    for (const opset of [7, 13, 21]) {
      const graph = readOnnxModel(richModel(opset).toBytes());
      expect(readOnnxModel(writeOnnxModel(graph))).toEqual(graph);
    }
  });

  test("shapes and dtypes are inferred with the symbolic batch", () => {
    const graph = readOnnxModel(richModel().toBytes());
    expect(graph.values.get("c1")!.shape).toEqual(["N", 4, 8, 8]);
    expect(graph.values.get("p1")!.shape).toEqual(["N", 4, 4, 4]);
    expect(graph.values.get("flat")!.shape).toEqual(["N", 64]);
    expect(graph.values.get("y")!.shape).toEqual(["N", 10]);
    expect(graph.values.get("cat")!.shape).toEqual([8, "N"]);
    expect(graph.inputs).toEqual(["x"]);
    expect(graph.outputs).toEqual(["cat", "y"]);
  });

  test("an optimized graph (fused activations, canonical Gemm) writes as standard ONNX and computes the same", () => {
    const graph = optimizeGraph(readOnnxModel(richModel().toBytes()), { level: "all" });
    expect(graph.nodes.some((n) => n.activation)).toBe(true);
    const bytes = writeOnnxModel(graph);
    const reread = readOnnxModel(bytes);
    expect(reread.nodes.some((n) => n.activation)).toBe(false);
    expect(reread.nodes.map((n) => n.opType)).toContain("Relu");
    const x = { data: floats(2 * 3 * 64, 9), dims: [2, 3, 8, 8] };
    const expected = runReference(graph, { x });
    const actual = runReference(reread, { x });
    expectClose(actual.y.data, expected.y.data, 1e-6);
    expectClose(actual.cat.data, expected.cat.data, 1e-6);
    expect(optimizeGraph(reread, { level: "all" }).nodes.map((n) => [n.opType, n.activation])).toEqual(
      graph.nodes.map((n) => [n.opType, n.activation]),
    );
  });

  test("quantization parameters and 4-bit constants survive a round trip", () => {
    const graph = readOnnxModel(
      new OnnxGraphBuilder("q", 21)
        .input("x", "float32", [1, 4])
        .initializer("w4", { type: "int4", dims: [3, 4], data: [-8, -1, 0, 7, 1, 2, 3, 4, -5, -6, -7, 5] })
        .initializer("s", { type: "float32", dims: [3], data: [0.1, 0.2, 0.3] })
        .initializer("z", { type: "int4", dims: [3], data: [0, 1, -1] })
        .node("DequantizeLinear", ["w4", "s", "z"], ["w"], { axis: attr.int(0) })
        .node("Gemm", ["x", "w"], ["y"], { transB: attr.int(1) })
        .output("y", "float32", [1, 3])
        .toBytes(),
    );
    expect(graph.values.get("w4")).toMatchObject({ dtype: "int8", storage: "int4", initializer: Int8Array.from([-8, -1, 0, 7, 1, 2, 3, 4, -5, -6, -7, 5]) });
    graph.values.get("x")!.quant = { scale: Float32Array.of(0.5), zeroPoint: Int32Array.of(-3) };
    graph.values.get("y")!.quant = { scale: Float32Array.of(0.1, 0.2, 0.3), zeroPoint: Int32Array.of(0, 1, 2), axis: 1 };
    const reread = readOnnxModel(writeOnnxModel(graph));
    expect(reread).toEqual(graph);
  });

  test("Constant nodes become constants", () => {
    const graph = readOnnxModel(
      new OnnxGraphBuilder("c", 13)
        .input("x", "float32", [2, 3])
        .node("Constant", [], ["shape"], { value: attr.tensor({ type: "int64", dims: [1], data: [6] }) })
        .node("Constant", [], ["one"], { value_float: attr.float(1) })
        .node("Reshape", ["x", "shape"], ["r"])
        .node("Add", ["r", "one"], ["y"])
        .output("y", "float32", [6])
        .toBytes(),
    );
    expect(graph.nodes.map((n) => n.opType)).toEqual(["Reshape", "Add"]);
    expect(graph.values.get("shape")!.initializer).toEqual(BigInt64Array.of(6n));
    expect(graph.values.get("one")).toMatchObject({ shape: [], initializer: Float32Array.of(1) });
  });

  test("unnamed nodes get unique names; nodes out of order are sorted", () => {
    const model = new OnnxGraphBuilder("u", 13)
      .input("x", "float32", [2])
      .node("Relu", ["a"], ["y"], {}, { name: "" })
      .node("Relu", ["x"], ["a"], {}, { name: "" })
      .output("y", "float32", [2])
      .toModelProto();
    model.graph!.node![0].name = "";
    model.graph!.node![1].name = "";
    const graph = readOnnxModel(onnx.ModelProto.encode(model).finish());
    expect(graph.nodes.map((n) => n.outputs[0])).toEqual(["a", "y"]);
    expect(new Set(graph.nodes.map((n) => n.name)).size).toBe(2);
  });
});

function encode(model: ReturnType<OnnxGraphBuilder["toModelProto"]>): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

function simpleModel(opset = 13): OnnxGraphBuilder {
  return new OnnxGraphBuilder("s", opset).input("x", "float32", [1, 4]).node("Relu", ["x"], ["y"], {}, { name: "relu" }).output("y", "float32", [1, 4]);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("reader errors", () => {
  test("every truncation of a valid model is a ModelFormatError or UnsupportedError", () => {
    const bytes = richModel().toBytes();
    for (let length = 0; length < bytes.length; length += 7) {
      const error = thrown(() => readOnnxModel(bytes.slice(0, length)));
      expect(error instanceof ModelFormatError || error instanceof UnsupportedError, `prefix of ${length} bytes: ${String(error)}`).toBe(true);
    }
  });

  test.prop([fc.uint8Array({ minLength: 0, maxLength: 300 })], { numRuns: 500 })("random bytes never escape as untyped errors", (bytes) => {
    const error = thrown(() => readOnnxModel(bytes));
    expect(error instanceof ModelFormatError || error instanceof UnsupportedError, String(error)).toBe(true);
  });

  test("a model without a graph", () => {
    const model = simpleModel().toModelProto();
    model.graph = null;
    expect(() => readOnnxModel(encode(model))).toThrow(/no graph/);
  });

  test("an undefined tensor names the node and the tensor", () => {
    const error = thrown(() => readOnnxModel(simpleModel().node("Add", ["y", "ghost"], ["z"], {}, { name: "adder" }).toBytes())) as ModelFormatError;
    expect(error).toBeInstanceOf(ModelFormatError);
    expect(error.node).toBe("adder");
    expect(error.tensor).toBe("ghost");
  });

  test("a tensor produced twice", () => {
    const error = thrown(() => readOnnxModel(simpleModel().node("Relu", ["x"], ["y"], {}, { name: "again" }).toBytes())) as ModelFormatError;
    expect(error).toBeInstanceOf(ModelFormatError);
    expect(error.tensor).toBe("y");
  });

  test("a graph output nothing produces, a duplicated output, a cycle", () => {
    expect(() => readOnnxModel(simpleModel().output("nowhere", "float32", [1]).toBytes())).toThrow(ModelFormatError);
    expect(() => readOnnxModel(simpleModel().output("y", "float32", [1, 4]).toBytes())).toThrow(ModelFormatError);
    const cyclic = new OnnxGraphBuilder("c", 13)
      .input("x", "float32", [1])
      .node("Add", ["x", "b"], ["a"], {}, { name: "first" })
      .node("Relu", ["a"], ["b"], {}, { name: "second" })
      .output("b", "float32", [1]);
    expect(() => readOnnxModel(cyclic.toBytes())).toThrow(/cycle/);
  });

  test("unsupported element types name the tensor", () => {
    const model = simpleModel().toModelProto();
    model.graph!.input![0].type!.tensorType!.elemType = onnx.TensorProto.DataType.DOUBLE;
    const error = thrown(() => readOnnxModel(encode(model))) as UnsupportedError;
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error.tensor).toBe("x");
    expect(error.message).toMatch(/DOUBLE/);
  });

  test("an unsupported operator names the node and the operator", () => {
    const error = thrown(() => readOnnxModel(simpleModel().node("Sigmoid", ["y"], ["z"], {}, { name: "sig" }).output("z", "float32", [1, 4]).toBytes())) as UnsupportedError;
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error.node).toBe("sig");
    expect(error.message).toMatch(/Sigmoid/);
    expect(() => readOnnxModel(simpleModel().node("Relu", ["y"], ["z"], {}, { domain: "com.example" }).output("z", "float32", [1, 4]).toBytes())).toThrow(UnsupportedError);
  });

  test("bad attributes", () => {
    const conv = (attributes: Record<string, ReturnType<typeof attr.int>>, wDims = [6, 2, 3, 3]) =>
      new OnnxGraphBuilder("c", 13)
        .input("x", "float32", [1, 4, 5, 5])
        .initializer("w", { type: "float32", dims: wDims, data: new Float32Array(wDims.reduce((a, b) => a * b)) })
        .node("Conv", ["x", "w"], ["y"], attributes, { name: "conv" })
        .output("y", "float32", undefined)
        .toBytes();
    expect(() => readOnnxModel(conv({ group: attr.int(2) }))).not.toThrow();
    // 3 groups do not divide 4 input channels (weights expect 2 per group).
    const error = thrown(() => readOnnxModel(conv({ group: attr.int(3) }))) as ShapeError;
    expect(error).toBeInstanceOf(ShapeError);
    expect(error.node).toBe("conv");
    expect(() => readOnnxModel(conv({ group: attr.int(2) }, [5, 2, 3, 3]))).toThrow(/not divisible by group/);
    expect(() => readOnnxModel(conv({ group: attr.float(2) }))).toThrow(ModelFormatError);
    expect(() => readOnnxModel(conv({ group: attr.int(0) }))).toThrow(ModelFormatError);
    expect(() => readOnnxModel(conv({ group: attr.int(2), auto_pad: attr.string("SAME") }))).toThrow(ModelFormatError);
    expect(() => readOnnxModel(conv({ group: attr.int(2), strides: attr.ints([1]) }))).toThrow(ModelFormatError);
    expect(() => readOnnxModel(conv({ group: attr.int(2), kernel_shape: attr.ints([2, 2]) }))).toThrow(ShapeError);
  });

  test("opsets outside 7..21 and a missing default opset", () => {
    for (const opset of [6, 22]) {
      const error = thrown(() => readOnnxModel(simpleModel(opset).toBytes()));
      expect(error).toBeInstanceOf(UnsupportedError);
      expect(String(error)).toMatch(new RegExp(`opset ${opset}`));
    }
    expect(() => readOnnxModel(simpleModel(7).toBytes())).not.toThrow();
    expect(() => readOnnxModel(simpleModel(21).toBytes())).not.toThrow();
    const model = simpleModel().toModelProto();
    model.opsetImport = [];
    expect(() => readOnnxModel(encode(model))).toThrow(ModelFormatError);
  });

  test("external tensor data is unsupported and names the tensor", () => {
    const model = simpleModel().initializer("big", { type: "float32", dims: [1], data: [1] }).toModelProto();
    model.graph!.initializer![0].externalData = [{ key: "location", value: "weights.bin" }];
    model.graph!.initializer![0].dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    const error = thrown(() => readOnnxModel(encode(model))) as UnsupportedError;
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error.tensor).toBe("big");
  });

  test("Dropout: an unused mask is dropped, a used one is unsupported", () => {
    const model = (useMask: boolean) => {
      const b = new OnnxGraphBuilder("d", 10).input("x", "float32", [2]).node("Dropout", ["x"], ["y", "mask"], {}, { name: "drop" }).output("y", "float32", [2]);
      if (useMask) b.node("Identity", ["mask"], ["m"]).output("m", "float32", [2]);
      return b.toBytes();
    };
    expect(readOnnxModel(model(false)).nodes[0].outputs).toEqual(["y"]);
    expect(() => readOnnxModel(model(true))).toThrow(UnsupportedError);
  });
});
