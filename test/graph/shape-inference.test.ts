import { describe, expect, test } from "vitest";
import { OnnxGraphBuilder, attr, type AttributeValue, type OnnxElementType, type TensorValue } from "../../src/onnx/builder.js";
import { readOnnxModel } from "../../src/onnx/reader.js";
import { inferShapes } from "../../src/graph/shape-inference.js";
import { readSpatialAttributes, resolveSpatial } from "../../src/graph/spatial.js";
import type { Dim, Graph, Node } from "../../src/graph/ir.js";
import { DTypeError, InvalidArgumentError, ModelFormatError, ShapeError, UnsupportedError } from "../../src/errors.js";

type Input = [name: string, type: OnnxElementType, dims: Dim[]];

interface OneOp {
  inputs: (Input | [string, TensorValue])[];
  attributes?: Record<string, AttributeValue>;
  opset?: number;
  outputs?: string[];
  outputType?: OnnxElementType;
}

/** Reads a model of one `op` node (inputs are graph inputs or constants) and returns its graph. */
function oneOp(op: string, { inputs, attributes = {}, opset = 13, outputs = ["y"], outputType = "float32" }: OneOp): Graph {
  const b = new OnnxGraphBuilder("one", opset);
  for (const input of inputs) {
    if (input.length === 3) b.input(input[0], input[1], input[2]);
    else b.initializer(input[0], input[1]);
  }
  b.node(op, inputs.map((i) => i[0]), outputs, attributes, { name: "op" });
  for (const output of outputs) b.output(output, outputType, undefined);
  return readOnnxModel(b.toBytes());
}

function shapeOf(op: string, spec: OneOp, output = "y"): Dim[] | undefined {
  return oneOp(op, spec).values.get(output)!.shape;
}

function weights(dims: number[], type: OnnxElementType = "float32"): TensorValue {
  return { type, dims, data: new Array(dims.reduce((a, b) => a * b, 1)).fill(0) };
}

const int64s = (values: number[]): TensorValue => ({ type: "int64", dims: [values.length], data: values });

function expectError(fn: () => unknown, type: new (...args: never[]) => Error, node = "op"): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(type);
  expect((error as { node?: string }).node).toBe(node);
}

describe("Conv", () => {
  const conv = (x: Dim[], w: number[], attributes: Record<string, AttributeValue> = {}) =>
    shapeOf("Conv", { inputs: [["x", "float32", x], ["w", weights(w)]], attributes });

  test("pads, strides, dilations", () => {
    expect(conv([1, 3, 32, 32], [8, 3, 3, 3])).toEqual([1, 8, 30, 30]);
    expect(conv([1, 3, 32, 32], [8, 3, 3, 3], { pads: attr.ints([1, 1, 1, 1]) })).toEqual([1, 8, 32, 32]);
    expect(conv([1, 3, 32, 32], [8, 3, 3, 3], { pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([2, 2]) })).toEqual([1, 8, 16, 16]);
    expect(conv([1, 3, 32, 32], [8, 3, 3, 3], { dilations: attr.ints([2, 3]) })).toEqual([1, 8, 28, 26]);
    expect(conv([1, 3, 7, 9], [8, 3, 2, 4], { pads: attr.ints([0, 1, 2, 3]) })).toEqual([1, 8, 8, 10]);
    expect(conv(["N", 3, 32], [4, 3, 5], { strides: attr.ints([3]) })).toEqual(["N", 4, 10]);
  });

  test("groups and depthwise", () => {
    expect(conv([2, 8, 10, 10], [8, 1, 3, 3], { group: attr.int(8) })).toEqual([2, 8, 8, 8]);
    expect(conv([2, 8, 10, 10], [16, 1, 3, 3], { group: attr.int(8) })).toEqual([2, 16, 8, 8]);
    expect(conv([2, 6, 10, 10], [4, 3, 1, 1], { group: attr.int(2) })).toEqual([2, 4, 10, 10]);
    expectError(() => conv([2, 6, 10, 10], [4, 3, 1, 1]), ShapeError);
    expectError(() => conv([2, 6, 10, 10], [4, 2, 1, 1], { group: attr.int(3) }), ShapeError);
  });

  test("auto_pad: output ceil(in / stride), odd padding at the end (SAME_UPPER) or beginning (SAME_LOWER)", () => {
    for (const autoPad of ["SAME_UPPER", "SAME_LOWER"]) {
      expect(conv([1, 1, 7, 6], [1, 1, 3, 3], { auto_pad: attr.string(autoPad), strides: attr.ints([2, 2]) })).toEqual([1, 1, 4, 3]);
      expect(conv([1, 1, 5, 5], [1, 1, 2, 2], { auto_pad: attr.string(autoPad) })).toEqual([1, 1, 5, 5]);
    }
    expect(conv([1, 1, 7, 6], [1, 1, 3, 3], { auto_pad: attr.string("VALID"), strides: attr.ints([2, 2]) })).toEqual([1, 1, 3, 2]);
    const resolved = (autoPad: string) => {
      const node: Node = { name: "n", opType: "Conv", domain: "", inputs: [], outputs: [], attributes: { auto_pad: attr.string(autoPad), strides: attr.ints([2, 1]) } };
      return resolveSpatial(readSpatialAttributes(node, 2, [3, 2]), [6, 5], "n");
    };
    // H: out 3, total pad (3-1)*2+3-6 = 1; W: out 5, total pad 4+2-5 = 1.
    expect(resolved("SAME_UPPER")).toEqual({ output: [3, 5], padsBegin: [0, 0], padsEnd: [1, 1] });
    expect(resolved("SAME_LOWER")).toEqual({ output: [3, 5], padsBegin: [1, 1], padsEnd: [0, 0] });
  });

  test("bias, kernel_shape and input errors", () => {
    expect(shapeOf("Conv", { inputs: [["x", "float32", [1, 2, 4, 4]], ["w", weights([3, 2, 1, 1])], ["b", weights([3])]] })).toEqual([1, 3, 4, 4]);
    expectError(() => shapeOf("Conv", { inputs: [["x", "float32", [1, 2, 4, 4]], ["w", weights([3, 2, 1, 1])], ["b", weights([2])]] }), ShapeError);
    expectError(() => conv([1, 2, 4, 4], [3, 2, 1, 1], { kernel_shape: attr.ints([3, 3]) }), ShapeError);
    expectError(() => conv([1, 2, 2, 2], [3, 2, 3, 3]), ShapeError);
    expectError(() => conv([1, 2, 4], [3, 2, 1, 1]), ShapeError);
    expectError(() => shapeOf("Conv", { inputs: [["x", "int8", [1, 2, 4, 4]], ["w", weights([3, 2, 1, 1], "int8")]] }), DTypeError);
  });
});

describe("pooling", () => {
  const pool = (op: string, x: Dim[], attributes: Record<string, AttributeValue>, opset = 13) =>
    shapeOf(op, { inputs: [["x", "float32", x]], attributes, opset });

  test("MaxPool and AveragePool, floor and ceil_mode", () => {
    const k3s2 = { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]) };
    expect(pool("MaxPool", [1, 2, 6, 6], k3s2)).toEqual([1, 2, 2, 2]);
    expect(pool("MaxPool", [1, 2, 6, 6], { ...k3s2, ceil_mode: attr.int(1) })).toEqual([1, 2, 3, 3]);
    expect(pool("AveragePool", [1, 2, 4, 4], { ...k3s2, pads: attr.ints([1, 1, 1, 1]) })).toEqual([1, 2, 2, 2]);
    expect(pool("AveragePool", [1, 2, 4, 4], { ...k3s2, pads: attr.ints([1, 1, 1, 1]), ceil_mode: attr.int(1) })).toEqual([1, 2, 3, 3]);
    // ceil(5/2)+1 = 4 windows, but the 4th would start in the end padding: dropped.
    const k2s2p1 = { kernel_shape: attr.ints([2]), strides: attr.ints([2]), pads: attr.ints([1, 1]) };
    expect(pool("MaxPool", [1, 1, 5], { ...k2s2p1, ceil_mode: attr.int(1) })).toEqual([1, 1, 3]);
    expect(pool("MaxPool", [1, 1, 5], k2s2p1)).toEqual([1, 1, 3]);
    expect(pool("MaxPool", ["N", 2, 9, 9], { kernel_shape: attr.ints([2, 2]), dilations: attr.ints([2, 2]) })).toEqual(["N", 2, 7, 7]);
    expect(pool("AveragePool", [1, 1, 5, 5], { kernel_shape: attr.ints([2, 2]), auto_pad: attr.string("SAME_LOWER"), count_include_pad: attr.int(1) })).toEqual([1, 1, 5, 5]);
  });

  test("errors", () => {
    expectError(() => pool("MaxPool", [1, 2, 6, 6], {}), ModelFormatError);
    expectError(() => pool("MaxPool", [1, 2, 6, 6], { kernel_shape: attr.ints([3]) }), ModelFormatError);
    expectError(() => pool("MaxPool", [1, 2, 2, 2], { kernel_shape: attr.ints([3, 3]) }), ShapeError);
    expectError(() => pool("AveragePool", [1, 2, 6, 6], { kernel_shape: attr.ints([3, 3]), count_include_pad: attr.int(2) }), ModelFormatError);
    expectError(() => pool("MaxPool", [2, 6], { kernel_shape: attr.ints([3]) }), ShapeError);
    expect(() => oneOp("MaxPool", { inputs: [["x", "float32", [1, 1, 4, 4]]], attributes: { kernel_shape: attr.ints([2, 2]) }, outputs: ["y", "indices"] })).toThrow(UnsupportedError);
  });

  test("GlobalAveragePool", () => {
    expect(shapeOf("GlobalAveragePool", { inputs: [["x", "float32", ["N", 8, 7, 5]]] })).toEqual(["N", 8, 1, 1]);
  });
});

describe("Gemm and MatMul", () => {
  const gemm = (a: Dim[], b: number[], attributes: Record<string, AttributeValue> = {}, c?: number[]) =>
    shapeOf("Gemm", { inputs: [["a", "float32", a], ["b", weights(b)], ...(c ? [["c", weights(c)] as [string, TensorValue]] : [])], attributes });

  test("transA, transB, C broadcast", () => {
    expect(gemm(["N", 4], [4, 3])).toEqual(["N", 3]);
    expect(gemm(["N", 4], [3, 4], { transB: attr.int(1) })).toEqual(["N", 3]);
    expect(gemm([4, 5], [4, 3], { transA: attr.int(1), alpha: attr.float(2), beta: attr.float(0.5) }, [3])).toEqual([5, 3]);
    expect(gemm([2, 4], [4, 3], {}, [2, 1])).toEqual([2, 3]);
    expect(gemm([2, 4], [4, 3], {}, [])).toEqual([2, 3]);
    expectError(() => gemm([2, 4], [5, 3]), ShapeError);
    expectError(() => gemm([2, 4], [4, 3], {}, [4]), ShapeError);
    expectError(() => gemm([2, 4, 1], [4, 3]), ShapeError);
    expectError(() => gemm([2, 4], [4, 3], { transB: attr.int(2) }), ModelFormatError);
  });

  test("MatMul follows numpy.matmul", () => {
    const matMul = (a: Dim[], b: Dim[]) => shapeOf("MatMul", { inputs: [["a", "float32", a], ["b", "float32", b]] });
    expect(matMul([2, 3, 4], [4, 5])).toEqual([2, 3, 5]);
    expect(matMul([4], [4, 5])).toEqual([5]);
    expect(matMul([3, 4], [4])).toEqual([3]);
    expect(matMul([4], [4])).toEqual([]);
    expect(matMul([2, 1, 3, 4], [5, 4, 6])).toEqual([2, 5, 3, 6]);
    expect(matMul(["N", 7, 4], [4, 2])).toEqual(["N", 7, 2]);
    expectError(() => matMul([3, 4], [5, 6]), ShapeError);
    expectError(() => matMul([2, 3, 4], [3, 4, 5]), ShapeError);
  });
});

describe("elementwise", () => {
  test("Add broadcasts like numpy", () => {
    const add = (a: Dim[], b: Dim[]) => shapeOf("Add", { inputs: [["a", "float32", a], ["b", "float32", b]] });
    expect(add(["N", 3, 1, 5], [4, 1])).toEqual(["N", 3, 4, 5]);
    expect(add([2, 3], [])).toEqual([2, 3]);
    expect(add(["N", 1], [1, "N"])).toEqual(["N", "N"]);
    expect(add(["N", 3], [5, 1])).toEqual([5, 3]);
    expectError(() => add([3], [4]), ShapeError);
    expectError(() => shapeOf("Add", { inputs: [["a", "float32", [2]], ["b", "int64", [2]]] }), DTypeError);
  });

  test("Relu, Identity, Dropout keep the shape; Clip bounds by opset", () => {
    for (const op of ["Relu", "Identity", "Dropout"]) expect(shapeOf(op, { inputs: [["x", "float32", ["N", 3]]] })).toEqual(["N", 3]);
    expect(shapeOf("Clip", { inputs: [["x", "float32", [2, 3]]], attributes: { min: attr.float(0), max: attr.float(6) }, opset: 10 })).toEqual([2, 3]);
    const lo: [string, TensorValue] = ["lo", { type: "float32", dims: [], data: [0] }];
    expect(shapeOf("Clip", { inputs: [["x", "float32", [2, 3]], lo] })).toEqual([2, 3]);
    expectError(() => shapeOf("Clip", { inputs: [["x", "float32", [2, 3]], ["lo", weights([2])]] }), ShapeError);
    expectError(() => shapeOf("Clip", { inputs: [["x", "float32", [2, 3]], lo], attributes: { min: attr.int(0) }, opset: 10 }), ModelFormatError);
  });

  test("Softmax: axis default 1 before opset 13, -1 from 13; checked against the rank", () => {
    expect(shapeOf("Softmax", { inputs: [["x", "float32", [2, 3, 4]]], opset: 11 })).toEqual([2, 3, 4]);
    expect(shapeOf("Softmax", { inputs: [["x", "float32", [2]]], opset: 13 })).toEqual([2]);
    // axis 1 (the old default) is out of range for a 1-D input.
    expectError(() => shapeOf("Softmax", { inputs: [["x", "float32", [2]]], opset: 12 }), ShapeError);
    expectError(() => shapeOf("Softmax", { inputs: [["x", "float32", [2, 3]]], attributes: { axis: attr.int(2) } }), ShapeError);
  });

  test("BatchNormalization", () => {
    const params: [string, TensorValue][] = ["s", "b", "m", "v"].map((n) => [n, weights([3])]);
    expect(shapeOf("BatchNormalization", { inputs: [["x", "float32", ["N", 3, 5, 5]], ...params] })).toEqual(["N", 3, 5, 5]);
    expectError(() => shapeOf("BatchNormalization", { inputs: [["x", "float32", ["N", 4, 5, 5]], ...params] }), ShapeError);
    expect(() => shapeOf("BatchNormalization", { inputs: [["x", "float32", [1, 3]], ...params], attributes: { training_mode: attr.int(1) }, opset: 15 })).toThrow(UnsupportedError);
    expect(() => shapeOf("BatchNormalization", { inputs: [["x", "float32", [1, 3]], ...params], attributes: { spatial: attr.int(0) }, opset: 7 })).toThrow(UnsupportedError);
  });
});

describe("data movement", () => {
  test("Flatten", () => {
    const flatten = (x: Dim[], axis?: number) => shapeOf("Flatten", { inputs: [["x", "float32", x]], attributes: axis === undefined ? {} : { axis: attr.int(axis) } });
    expect(flatten(["N", 3, 4, 4])).toEqual(["N", 48]);
    expect(flatten([2, 3, 4], 0)).toEqual([1, 24]);
    expect(flatten([2, 3, 4], 3)).toEqual([24, 1]);
    expect(flatten([2, 3, 4], -1)).toEqual([6, 4]);
    expect(flatten(["N", 3, 4], 2)).toEqual(["op_d0", 4]);
    expectError(() => flatten([2, 3], 3), ShapeError);
  });

  test("Reshape with 0, -1 and allowzero", () => {
    const reshape = (x: Dim[], target: number[], attributes: Record<string, AttributeValue> = {}, opset = 14) =>
      shapeOf("Reshape", { inputs: [["x", "float32", x], ["s", int64s(target)]], attributes, opset });
    expect(reshape(["N", 3, 4, 4], [0, -1])).toEqual(["N", 48]);
    expect(reshape([2, 3, 4], [4, 0, -1])).toEqual([4, 3, 2]);
    expect(reshape(["N", 3, 4, 4], [-1, 48])).toEqual(["N", 48]);
    expect(reshape(["N", 6], [-1, 2, 3])).toEqual(["N", 2, 3]);
    expect(reshape([0, 3], [0, 3], { allowzero: attr.int(1) })).toEqual([0, 3]);
    expect(reshape([2, 3], [0, 3], {}, 13)).toEqual([2, 3]);
    expectError(() => reshape([2, 3], [5, -1]), ShapeError);
    expectError(() => reshape([2, 3], [4, 2]), ShapeError);
    expectError(() => reshape([2, 3], [-1, -1]), ModelFormatError);
    expectError(() => reshape([0, 3], [0, -1], { allowzero: attr.int(1) }), ModelFormatError);
    expectError(() => reshape([2, 3], [1, 2, 0]), ShapeError);
    expect(() => oneOp("Reshape", { inputs: [["x", "float32", [2, 3]], ["s", "int64", [2]]] })).toThrow(UnsupportedError);
  });

  test("Transpose", () => {
    expect(shapeOf("Transpose", { inputs: [["x", "float32", ["N", 3, 5]]] })).toEqual([5, 3, "N"]);
    expect(shapeOf("Transpose", { inputs: [["x", "float32", ["N", 3, 5, 7]]], attributes: { perm: attr.ints([0, 2, 3, 1]) } })).toEqual(["N", 5, 7, 3]);
    expectError(() => shapeOf("Transpose", { inputs: [["x", "float32", [2, 3]]], attributes: { perm: attr.ints([0, 0]) } }), ModelFormatError);
    expectError(() => shapeOf("Transpose", { inputs: [["x", "float32", [2, 3]]], attributes: { perm: attr.ints([0, 1, 2]) } }), ShapeError);
  });

  test("Concat", () => {
    const concat = (shapes: Dim[][], axis: number) =>
      shapeOf("Concat", { inputs: shapes.map((s, i): Input => [`x${i}`, "float32", s]), attributes: { axis: attr.int(axis) } });
    expect(concat([["N", 2, 4], ["N", 3, 4]], 1)).toEqual(["N", 5, 4]);
    expect(concat([[2, 3], [4, 3], [1, 3]], -2)).toEqual([7, 3]);
    expect(concat([["N", 3], [2, 3]], 0)).toEqual(["op_d0", 3]);
    expectError(() => concat([[2, 3], [2, 4]], 0), ShapeError);
    expectError(() => concat([[2, 3], [2, 3, 1]], 0), ShapeError);
    expectError(() => shapeOf("Concat", { inputs: [["x", "float32", [2]]] }), ModelFormatError);
  });
});

describe("QuantizeLinear / DequantizeLinear", () => {
  const scale4: [string, TensorValue] = ["s", { type: "float32", dims: [4], data: [1, 2, 3, 4] }];
  const zero4: [string, TensorValue] = ["z", { type: "int8", dims: [4], data: [0, 0, 0, 0] }];
  const scalar: [string, TensorValue] = ["s", { type: "float32", dims: [], data: [0.5] }];

  test("output dtype from the zero point (uint8 without one, output_dtype from opset 21)", () => {
    const q = (spec: OneOp) => oneOp("QuantizeLinear", spec).values.get("y")!;
    expect(q({ inputs: [["x", "float32", ["N", 4, 2, 2]], scale4, zero4], outputType: "int8" })).toMatchObject({ dtype: "int8", shape: ["N", 4, 2, 2] });
    expect(q({ inputs: [["x", "float32", [3]], scalar], opset: 10, outputType: "uint8" })).toMatchObject({ dtype: "uint8", shape: [3] });
    expect(q({ inputs: [["x", "float32", [3]], scalar], attributes: { output_dtype: attr.int(3) }, opset: 21, outputType: "int8" })).toMatchObject({ dtype: "int8" });
    expect(q({ inputs: [["x", "float32", [2, 3, 4]], scale4, zero4], attributes: { axis: attr.int(-1) }, outputType: "int8" })).toMatchObject({ dtype: "int8" });
    // The declared type of the output must agree with the inferred one.
    expect(() => q({ inputs: [["x", "float32", [3]], scalar], outputType: "int8" })).toThrow(DTypeError);
  });

  test("per-axis parameters must match the axis", () => {
    const int8 = { outputType: "int8" } as const;
    expectError(() => oneOp("QuantizeLinear", { inputs: [["x", "float32", [1, 3, 2, 2]], scale4, zero4], ...int8 }), ShapeError);
    expectError(() => oneOp("QuantizeLinear", { inputs: [["x", "float32", [4, 3]], scale4, zero4], opset: 10, ...int8 }), ShapeError);
    expectError(() => oneOp("QuantizeLinear", { inputs: [["x", "float32", [4, 4]], scale4, ["z", { type: "int8", dims: [2], data: [0, 0] }]], attributes: { axis: attr.int(0) }, ...int8 }), ShapeError);
    expect(() => oneOp("QuantizeLinear", { inputs: [["x", "float32", [4, 4]], scale4, zero4], attributes: { block_size: attr.int(2) }, opset: 21, ...int8 })).toThrow(UnsupportedError);
  });

  test("DequantizeLinear of per-channel 4-bit weights", () => {
    const graph = oneOp("DequantizeLinear", {
      inputs: [["w", { type: "int4", dims: [4, 1, 1, 1], data: [-8, 7, 0, 1] }], scale4, ["z", { type: "int4", dims: [4], data: [0, 0, 0, 0] }]],
      attributes: { axis: attr.int(0) },
      opset: 21,
    });
    expect(graph.values.get("y")).toMatchObject({ dtype: "float32", shape: [4, 1, 1, 1] });
    expectError(() => oneOp("DequantizeLinear", { inputs: [["x", "float32", [4]], scale4] }), DTypeError);
    expectError(() => oneOp("DequantizeLinear", { inputs: [["x", "uint8", [4]], scale4, zero4], attributes: { axis: attr.int(0) } }), DTypeError);
  });
});

describe("inferShapes with concrete input shapes", () => {
  const model = () =>
    readOnnxModel(
      new OnnxGraphBuilder("net", 13)
        .input("x", "float32", ["N", 1, 28, 28])
        .input("extra", "float32", ["N", 10])
        .initializer("w", weights([4, 1, 5, 5]))
        .initializer("fc", weights([10, 4 * 12 * 12]))
        .node("Conv", ["x", "w"], ["c"])
        .node("MaxPool", ["c"], ["p"], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) })
        .node("Flatten", ["p"], ["f"])
        .node("Gemm", ["f", "fc"], ["g"], { transB: attr.int(1) })
        .node("Add", ["g", "extra"], ["y"])
        .output("y", "float32", ["N", 10])
        .toBytes(),
    );

  test("the symbolic batch flows through and becomes concrete", () => {
    const graph = model();
    expect(graph.values.get("f")!.shape).toEqual(["N", 576]);
    const concrete = inferShapes(graph, { x: [4, 1, 28, 28], extra: [4, 10] });
    expect(concrete.values.get("c")!.shape).toEqual([4, 4, 24, 24]);
    expect(concrete.values.get("y")!.shape).toEqual([4, 10]);
    expect(graph.values.get("y")!.shape).toEqual(["N", 10]);
    expect(inferShapes(graph, { x: [2, 1, 28, 28] }).values.get("f")!.shape).toEqual([2, 576]);
  });

  test("inconsistent input shapes", () => {
    const graph = model();
    expect(() => inferShapes(graph, { x: [4, 1, 28, 28], extra: [3, 10] })).toThrow(ShapeError);
    expect(() => inferShapes(graph, { x: [4, 2, 28, 28] })).toThrow(ShapeError);
    expect(() => inferShapes(graph, { x: [4, 28, 28] })).toThrow(ShapeError);
    expect(() => inferShapes(graph, { nope: [1] })).toThrow(InvalidArgumentError);
    expect(() => inferShapes(graph, { x: [4, 1, 28.5, 28] })).toThrow(InvalidArgumentError);
  });

  test("a declared output shape that conflicts with the inferred one", () => {
    const bytes = new OnnxGraphBuilder("bad", 13).input("x", "float32", [2, 3]).node("Relu", ["x"], ["y"]).output("y", "float32", [3, 2]).toBytes();
    expect(() => readOnnxModel(bytes)).toThrow(ShapeError);
  });

  test("unsupported operators name the node and the operator", () => {
    const graph = model();
    const broken = { ...graph, nodes: graph.nodes.map((n) => (n.opType === "Flatten" ? { ...n, opType: "Squeeze" } : n)) };
    expectError(() => inferShapes(broken), UnsupportedError, graph.nodes[2].name);
    expect(() => inferShapes(broken)).toThrow(/Squeeze/);
  });
});
