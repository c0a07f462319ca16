// Helpers for graph tests: deterministic random data, closeness checks, and reading a builder's model.
import { expect } from "vitest";
import { OnnxGraphBuilder, attr, type TensorValue } from "../../src/onnx/builder.js";
import { readOnnxModel } from "../../src/onnx/reader.js";
import type { Graph, TensorData } from "../../src/graph/ir.js";

/** Deterministic floats in [-1, 1) (mulberry32). */
export function randomFloats(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  });
}

export function read(builder: OnnxGraphBuilder): Graph {
  return readOnnxModel(builder.toBytes());
}

/** |a - b| <= relative * max(1, max |b|) elementwise. */
export function expectClose(actual: TensorData, expected: TensorData, relative: number): void {
  expect(actual.length).toBe(expected.length);
  const a = Array.from(actual, Number);
  const b = Array.from(expected, Number);
  const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
  const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  expect(worst).toBeLessThanOrEqual(relative * scale);
}

/** A small CNN touching every supported operator, with a symbolic batch. */
export function richModel(opset = 13): OnnxGraphBuilder {
  const b = new OnnxGraphBuilder("rich", opset)
    .input("x", "float32", ["N", 3, 8, 8])
    .initializer("w1", { type: "float32", dims: [4, 3, 3, 3], data: randomFloats(108, 1) })
    .initializer("b1", { type: "float32", dims: [4], data: randomFloats(4, 2) })
    .initializer("gamma", { type: "float32", dims: [4], data: [1, 0.5, 2, 1.5] })
    .initializer("beta", { type: "float32", dims: [4], data: [0, 0.1, -0.1, 0.2] })
    .initializer("mean", { type: "float32", dims: [4], data: [0.1, 0, -0.2, 0.3] })
    .initializer("var", { type: "float32", dims: [4], data: [1, 2, 0.5, 0.25] })
    .initializer("wd", { type: "float32", dims: [4, 1, 3, 3], data: randomFloats(36, 3) })
    .initializer("fc", { type: "float32", dims: [64, 10], data: randomFloats(640, 4) })
    .initializer("fcb", { type: "float32", dims: [10], data: randomFloats(10, 5) })
    .initializer("shape", { type: "int64", dims: [2], data: [0, -1] })
    .node("Conv", ["x", "w1", "b1"], ["c1"], { pads: attr.ints([1, 1, 1, 1]) })
    .node("BatchNormalization", ["c1", "gamma", "beta", "mean", "var"], ["bn"], { epsilon: attr.float(1e-3) })
    .node("Relu", ["bn"], ["r1"])
    .node("Conv", ["r1", "wd"], ["dw"], { group: attr.int(4), auto_pad: attr.string("SAME_UPPER") })
    .node("Add", ["dw", "r1"], ["res"])
    .node("MaxPool", ["res"], ["p1"], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) })
    .node("Identity", ["p1"], ["id"])
    .node("Reshape", ["id", "shape"], ["flat"])
    .node("Dropout", ["flat"], ["drop"])
    .node("MatMul", ["drop", "fc"], ["mm"])
    .node("Add", ["mm", "fcb"], ["logits"])
    .node("Softmax", ["logits"], ["y"]);
  if (opset >= 11) {
    b.initializer("lo", { type: "float32", dims: [], data: [0] })
      .initializer("hi", { type: "float32", dims: [], data: [6] })
      .node("Clip", ["res", "lo", "hi"], ["clipped"])
      .node("GlobalAveragePool", ["clipped"], ["gap"])
      .node("Flatten", ["gap"], ["gflat"])
      .node("Transpose", ["gflat"], ["gt"], { perm: attr.ints([1, 0]) })
      .node("Concat", ["gt", "gt"], ["cat"], { axis: attr.int(0) })
      .output("cat", "float32", [8, "N"]);
  }
  return b.output("y", "float32", ["N", 10]);
}

/** A float constant of random values in [-scale, scale). */
export function randomConstant(dims: number[], seed: number, scale = 0.5): TensorValue {
  return { type: "float32", dims, data: randomFloats(dims.reduce((a, b) => a * b, 1), seed).map((x) => x * scale) };
}

/** A float constant of random values in [0.5, 1.5) (BatchNorm scales and variances). */
export function positiveConstant(dims: number[], seed: number): TensorValue {
  return { type: "float32", dims, data: randomFloats(dims.reduce((a, b) => a * b, 1), seed).map((x) => 0.5 + Math.abs(x)) };
}
