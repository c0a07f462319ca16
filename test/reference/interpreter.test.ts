import { describe, expect, test } from "vitest";
import { OnnxGraphBuilder, attr, type AttributeValue, type TensorValue } from "../../src/onnx/builder.js";
import { readOnnxModel } from "../../src/onnx/reader.js";
import { runReference, type RefTensor } from "../../src/reference/interpreter.js";
import { roundHalfToEven } from "../../src/reference/interpreter-ops.js";
import { DTypeError, InvalidArgumentError, ShapeError } from "../../src/errors.js";

const f32 = (dims: number[], values: number[] | ((i: number) => number)): RefTensor => ({
  data: typeof values === "function" ? Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => values(i)) : Float32Array.from(values),
  dims,
});

/** Runs one node `op(x, ...constants)` on the float32 input x. */
function runOp(op: string, x: RefTensor, attributes: Record<string, AttributeValue> = {}, constants: [string, TensorValue][] = [], opset = 13): RefTensor {
  const b = new OnnxGraphBuilder("t", opset).input("x", "float32", x.dims);
  for (const [name, value] of constants) b.initializer(name, value);
  b.node(op, ["x", ...constants.map(([name]) => name)], ["y"], attributes).output("y", "float32", undefined);
  return runReference(readOnnxModel(b.toBytes()), { x }).y;
}

const values = (t: RefTensor) => Array.from(t.data, Number);

function expectValues(actual: RefTensor, dims: number[], expected: number[]): void {
  expect(actual.dims).toEqual(dims);
  values(actual).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
}

const ones = (dims: number[]): TensorValue => ({ type: "float32", dims, data: new Array(dims.reduce((a, b) => a * b, 1)).fill(1) });

describe("Conv", () => {
  const x = f32([1, 1, 3, 3], (i) => i + 1);

  test("2x2 kernel, no padding", () => {
    expectValues(runOp("Conv", x, {}, [["w", ones([1, 1, 2, 2])]]), [1, 1, 2, 2], [12, 16, 24, 28]);
  });

  test("SAME_UPPER pads at the end, SAME_LOWER at the beginning", () => {
    expectValues(runOp("Conv", x, { auto_pad: attr.string("SAME_UPPER") }, [["w", ones([1, 1, 2, 2])]]), [1, 1, 3, 3], [12, 16, 9, 24, 28, 15, 15, 17, 9]);
    expectValues(runOp("Conv", x, { auto_pad: attr.string("SAME_LOWER") }, [["w", ones([1, 1, 2, 2])]]), [1, 1, 3, 3], [1, 3, 5, 5, 12, 16, 11, 24, 28]);
  });

  test("stride, dilation, explicit asymmetric pads, bias", () => {
    const w: TensorValue = { type: "float32", dims: [1, 1, 2, 2], data: [1, 10, 100, 1000] };
    // Dilation 2: taps at (0,0), (0,2), (2,0), (2,2) of the 3x3 input.
    expectValues(runOp("Conv", x, { dilations: attr.ints([2, 2]) }, [["w", w]]), [1, 1, 1, 1], [1 + 30 + 700 + 9000]);
    const b: TensorValue = { type: "float32", dims: [1], data: [0.5] };
    // pads [top 1, left 0, bottom 0, right 1], stride 2: windows at rows -1, 1 and columns 0, 2.
    expectValues(runOp("Conv", x, { pads: attr.ints([1, 0, 0, 1]), strides: attr.ints([2, 2]) }, [["w", w], ["b", b]]), [1, 1, 2, 2], [
      100 * 1 + 1000 * 2 + 0.5,
      100 * 3 + 0.5,
      1 * 4 + 10 * 5 + 100 * 7 + 1000 * 8 + 0.5,
      1 * 6 + 100 * 9 + 0.5,
    ]);
  });

  test("groups: each output channel sees only its group's input channels", () => {
    const input = f32([1, 4, 1, 1], [1, 2, 3, 4]);
    const w: TensorValue = { type: "float32", dims: [2, 2, 1, 1], data: [1, 10, 100, 1000] };
    expectValues(runOp("Conv", input, { group: attr.int(2) }, [["w", w]]), [1, 2, 1, 1], [1 + 20, 300 + 4000]);
    const depthwise: TensorValue = { type: "float32", dims: [4, 1, 1, 1], data: [1, 2, 3, 4] };
    expectValues(runOp("Conv", input, { group: attr.int(4) }, [["w", depthwise]]), [1, 4, 1, 1], [1, 4, 9, 16]);
  });

  test("1-D convolution", () => {
    expectValues(runOp("Conv", f32([1, 1, 4], [1, 2, 3, 4]), { pads: attr.ints([1, 0]) }, [["w", ones([1, 1, 2])]]), [1, 1, 4], [1, 3, 5, 7]);
  });
});

describe("pooling", () => {
  const row = f32([1, 1, 1, 5], [1, 2, 3, 4, 5]);

  test("MaxPool with ceil_mode keeps the partial last window", () => {
    const k = { kernel_shape: attr.ints([1, 2]), strides: attr.ints([1, 2]) };
    expectValues(runOp("MaxPool", row, k), [1, 1, 1, 2], [2, 4]);
    expectValues(runOp("MaxPool", row, { ...k, ceil_mode: attr.int(1) }), [1, 1, 1, 3], [2, 4, 5]);
    expectValues(runOp("MaxPool", f32([1, 1, 1, 5], [-1, -2, -3, -4, -5]), { ...k, pads: attr.ints([0, 1, 0, 1]) }), [1, 1, 1, 3], [-1, -2, -4]);
  });

  test("AveragePool count_include_pad", () => {
    const k = { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) };
    const square = f32([1, 1, 3, 3], () => 1);
    expectValues(runOp("AveragePool", square, k), [1, 1, 3, 3], new Array(9).fill(1));
    expectValues(runOp("AveragePool", square, { ...k, count_include_pad: attr.int(1) }), [1, 1, 3, 3], [4, 6, 4, 6, 9, 6, 4, 6, 4].map((v) => v / 9));
  });

  test("AveragePool with ceil_mode never counts positions past the end padding", () => {
    const k = { kernel_shape: attr.ints([1, 2]), strides: attr.ints([1, 2]), ceil_mode: attr.int(1) };
    const flat = f32([1, 1, 1, 5], () => 1);
    expectValues(runOp("AveragePool", flat, { ...k, count_include_pad: attr.int(1) }), [1, 1, 1, 3], [1, 1, 1]);
    expectValues(runOp("AveragePool", flat, { ...k, pads: attr.ints([0, 0, 0, 1]), count_include_pad: attr.int(1) }), [1, 1, 1, 3], [1, 1, 0.5]);
    expectValues(runOp("AveragePool", flat, { ...k, pads: attr.ints([0, 0, 0, 1]) }), [1, 1, 1, 3], [1, 1, 1]);
  });

  test("GlobalAveragePool", () => {
    expectValues(runOp("GlobalAveragePool", f32([1, 2, 2, 2], (i) => i)), [1, 2, 1, 1], [1.5, 5.5]);
  });
});

describe("dense and elementwise", () => {
  test("Gemm with transA, transB, alpha, beta and a broadcast C", () => {
    const a = f32([3, 2], [1, 2, 3, 4, 5, 6]); // A' = [[1, 3, 5], [2, 4, 6]]
    const b: TensorValue = { type: "float32", dims: [2, 3], data: [1, 0, 0, 0, 1, 1] }; // B' = [[1, 0], [0, 1], [0, 1]]
    const c: TensorValue = { type: "float32", dims: [2, 1], data: [100, 200] };
    const y = runOp("Gemm", a, { transA: attr.int(1), transB: attr.int(1), alpha: attr.float(2), beta: attr.float(0.5) }, [["b", b], ["c", c]]);
    expectValues(y, [2, 2], [2 * 1 + 50, 2 * 8 + 50, 2 * 2 + 100, 2 * 10 + 100]);
  });

  test("MatMul broadcasts batch dimensions", () => {
    const a = f32([2, 1, 1, 2], [1, 2, 3, 4]);
    const b: TensorValue = { type: "float32", dims: [3, 2, 1], data: [1, 1, 1, 0, 0, 1] };
    expectValues(runOp("MatMul", a, {}, [["b", b]]), [2, 3, 1, 1], [3, 1, 2, 7, 3, 4]);
    expectValues(runOp("MatMul", f32([2], [1, 2]), {}, [["b", { type: "float32", dims: [2], data: [3, 4] }]]), [], [11]);
  });

  test("Add with numpy broadcasting", () => {
    expectValues(runOp("Add", f32([2, 1], [1, 2]), {}, [["b", { type: "float32", dims: [3], data: [10, 20, 30] }]]), [2, 3], [11, 21, 31, 12, 22, 32]);
  });

  test("BatchNormalization", () => {
    const p = (data: number[]): TensorValue => ({ type: "float32", dims: [2], data });
    const y = runOp("BatchNormalization", f32([1, 2, 1, 2], [1, 2, 3, 4]), { epsilon: attr.float(0) }, [["s", p([2, 1])], ["b", p([1, -1])], ["m", p([1, 2])], ["v", p([4, 1])]]);
    expectValues(y, [1, 2, 1, 2], [1, 2, 0, 1]);
  });

  test("Relu and Clip (attributes before opset 11, inputs after; min > max gives max)", () => {
    const x = f32([5], [-2, -0.5, 0, 3, 9]);
    expectValues(runOp("Relu", x), [5], [0, 0, 0, 3, 9]);
    expectValues(runOp("Clip", x, { min: attr.float(-1), max: attr.float(6) }, [], 10), [5], [-1, -0.5, 0, 3, 6]);
    expectValues(runOp("Clip", x, {}, [["lo", { type: "float32", dims: [], data: [0] }]], 13), [5], [0, 0, 0, 3, 9]);
    expectValues(runOp("Clip", x, {}, [["lo", { type: "float32", dims: [], data: [2] }], ["hi", { type: "float32", dims: [], data: [1] }]]), [5], [1, 1, 1, 1, 1]);
  });

  test("Softmax normalises the flattened tail before opset 13 and one axis from 13", () => {
    const x = f32([1, 2, 2], [0, 1, 2, 3]);
    const old = values(runOp("Softmax", x, {}, [], 11));
    expect(old.reduce((a, b) => a + b)).toBeCloseTo(1, 6);
    const e = [0, 1, 2, 3].map(Math.exp);
    old.forEach((v, i) => expect(v).toBeCloseTo(e[i] / (e[0] + e[1] + e[2] + e[3]), 6));
    const current = values(runOp("Softmax", x, {}, [], 13));
    expect(current[0] + current[1]).toBeCloseTo(1, 6);
    expect(current[2] + current[3]).toBeCloseTo(1, 6);
    const axis1 = values(runOp("Softmax", x, { axis: attr.int(1) }, [], 13));
    expect(axis1[0] + axis1[2]).toBeCloseTo(1, 6);
  });
});

describe("data movement", () => {
  const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);

  test("Transpose, Flatten, Reshape, Concat, Identity, Dropout", () => {
    expectValues(runOp("Transpose", x), [3, 2], [1, 4, 2, 5, 3, 6]);
    expectValues(runOp("Transpose", f32([1, 2, 3], [1, 2, 3, 4, 5, 6]), { perm: attr.ints([2, 0, 1]) }), [3, 1, 2], [1, 4, 2, 5, 3, 6]);
    expectValues(runOp("Flatten", f32([2, 3, 1], [1, 2, 3, 4, 5, 6]), { axis: attr.int(0) }), [1, 6], [1, 2, 3, 4, 5, 6]);
    expectValues(runOp("Reshape", x, {}, [["s", { type: "int64", dims: [2], data: [-1, 2] }]]), [3, 2], [1, 2, 3, 4, 5, 6]);
    expectValues(runOp("Concat", x, { axis: attr.int(1) }, [["c", { type: "float32", dims: [2, 1], data: [7, 8] }]]), [2, 4], [1, 2, 3, 7, 4, 5, 6, 8]);
    expectValues(runOp("Identity", x), [2, 3], [1, 2, 3, 4, 5, 6]);
    expectValues(runOp("Dropout", x, { ratio: attr.float(0.5) }, [], 10), [2, 3], [1, 2, 3, 4, 5, 6]);
  });
});

describe("QuantizeLinear / DequantizeLinear", () => {
  test("rounding half to even", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfToEven)).toEqual([0, 2, 2, -0, -2, -2, 2, -3]);
  });

  test("quantize saturates, rounds half to even, NaN goes to the zero point; per-axis round trip", () => {
    const build = (opset: number) =>
      new OnnxGraphBuilder("q", opset)
        .input("x", "float32", [2, 4])
        .initializer("s", { type: "float32", dims: [], data: [0.5] })
        .initializer("z", { type: "int8", dims: [], data: [1] })
        .initializer("sc", { type: "float32", dims: [2], data: [0.1, 2] })
        .initializer("zc", { type: "uint8", dims: [2], data: [128, 3] })
        .node("QuantizeLinear", ["x", "s", "z"], ["q"])
        .node("QuantizeLinear", ["x", "sc", "zc"], ["qc"], { axis: attr.int(0) })
        .node("DequantizeLinear", ["qc", "sc", "zc"], ["d"], { axis: attr.int(0) })
        .output("q", "int8", [2, 4])
        .output("d", "float32", [2, 4]);
    const graph = readOnnxModel(build(13).toBytes());
    const out = runReference(graph, { x: f32([2, 4], [0.25, 0.75, -0.25, 1000, -1000, NaN, 1.25, 3]) });
    expect(out.q.data).toEqual(Int8Array.of(1, 3, 1, 127, -128, 1, 3, 7));
    // Row 0 scale 0.1, zero point 128; row 1 scale 2, zero point 3 (uint8 saturates at 0 and 255).
    expectValues(out.d, [2, 4], [0.2, 0.8, -0.2, 12.7, -6, 0, 2, 4]);
  });
});

describe("inputs are checked", () => {
  const graph = readOnnxModel(new OnnxGraphBuilder("c", 13).input("x", "float32", ["N", 2]).input("z", "float32", ["N", 2]).node("Add", ["x", "z"], ["y"]).output("y", "float32", ["N", 2]).toBytes());
  const two = f32([1, 2], [1, 2]);

  test("missing, unknown, mistyped, misshaped", () => {
    expect(() => runReference(graph, { x: two })).toThrow(InvalidArgumentError);
    expect(() => runReference(graph, { x: two, z: two, w: two })).toThrow(InvalidArgumentError);
    expect(() => runReference(graph, { x: two, z: { data: Int32Array.of(1, 2), dims: [1, 2] } })).toThrow(DTypeError);
    expect(() => runReference(graph, { x: two, z: f32([2, 1], [1, 2]) })).toThrow(ShapeError);
    expect(() => runReference(graph, { x: two, z: f32([2, 2], [1, 2, 3, 4]) })).toThrow(ShapeError);
    expect(() => runReference(graph, { x: two, z: { data: new Float32Array(3), dims: [1, 2] } })).toThrow(InvalidArgumentError);
    expectValues(runReference(graph, { x: two, z: two }).y, [1, 2], [2, 4]);
  });
});
