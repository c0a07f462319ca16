// The reference forward pass on small graphs computed by hand.
import { describe, expect, it } from "vitest";
import { OnnxGraphBuilder, attr } from "../../../src/onnx/builder.js";
import { UnsupportedError } from "../../../src/errors.js";
import { ReferenceModel, argMaxRows } from "../../../models/train/reference-forward.js";

function model(build: (b: OnnxGraphBuilder) => OnnxGraphBuilder): ReferenceModel {
  return new ReferenceModel(build(new OnnxGraphBuilder("t").input("x", "float32", ["N", 1, 3, 3]).output("y", "float32", ["N"])).toBytes());
}

const X = { dims: [1, 1, 3, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]) };

describe("ReferenceModel", () => {
  it("runs Conv with padding, stride and bias", () => {
    const m = model((b) =>
      b
        .initializer("w", { type: "float32", dims: [2, 1, 2, 2], data: [1, 0, 0, 1, 0, 1, 1, 0] })
        .initializer("b", { type: "float32", dims: [2], data: [10, 20] })
        .node("Conv", ["x", "w", "b"], ["y"], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) }),
    );
    // Padded input rows: 0 0 0 0 0 / 0 1 2 3 0 / 0 4 5 6 0 / 0 7 8 9 0 / 0 0 0 0 0; 2x2 windows at
    // (0,0) (0,2) (2,0) (2,2). Filter 0 adds the main diagonal, filter 1 the anti-diagonal.
    expect(Array.from(m.run(X).data)).toEqual([1 + 10, 3 + 10, 7 + 10, 5 + 9 + 10, 0 + 20, 2 + 20, 4 + 20, 6 + 8 + 20]);
    expect(m.run(X).dims).toEqual([1, 2, 2, 2]);
  });

  it("runs BatchNormalization, Relu, MaxPool, GlobalAveragePool and Add", () => {
    const normalized = (b: OnnxGraphBuilder) =>
      b
        .initializer("s", { type: "float32", dims: [1], data: [2] })
        .initializer("o", { type: "float32", dims: [1], data: [-4] })
        .initializer("m", { type: "float32", dims: [1], data: [1] })
        .initializer("v", { type: "float32", dims: [1], data: [4 - 1e-3] })
        .node("BatchNormalization", ["x", "s", "o", "m", "v"], ["bn"], { epsilon: attr.float(1e-3) })
        .node("Relu", ["bn"], ["r"]);
    // bn = (x - 1) * 2 / 2 - 4 = x - 5; relu: 0 0 0 0 0 1 2 3 4.
    const pooled = model((b) => normalized(b).node("MaxPool", ["r"], ["y"], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([1, 1]) }));
    const y0 = pooled.run(X);
    expect(y0.dims).toEqual([1, 1, 2, 2]);
    [0, 1, 3, 4].forEach((v, i) => expect(y0.data[i]).toBeCloseTo(v, 5));
    const averaged = model((b) => normalized(b).node("Add", ["r", "r"], ["rr"]).node("GlobalAveragePool", ["rr"], ["y"]));
    const y = averaged.run(X);
    expect(y.dims).toEqual([1, 1, 1, 1]);
    expect(y.data[0]).toBeCloseTo(20 / 9, 6);
  });

  it("runs Flatten and Gemm with transB, alpha and beta", () => {
    const m = model((b) =>
      b
        .initializer("w", { type: "float32", dims: [2, 9], data: [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0] })
        .initializer("c", { type: "float32", dims: [2], data: [1, 2] })
        .node("Flatten", ["x"], ["f"], { axis: attr.int(1) })
        .node("Gemm", ["f", "w", "c"], ["y"], { alpha: attr.float(2), beta: attr.float(0.5), transB: attr.int(1) }),
    );
    const batch = { dims: [2, 1, 3, 3], data: Float32Array.from([...X.data, ...X.data.map((v) => -v)]) };
    expect(m.run(batch)).toEqual({ dims: [2, 2], data: Float32Array.from([2 * 10 + 0.5, 2 * 5 + 1, -20 + 0.5, -10 + 1]) });
  });

  it("refuses an operator outside the training export", () => {
    const m = model((b) => b.node("Sigmoid", ["x"], ["y"]));
    expect(() => m.run(X)).toThrow(UnsupportedError);
  });

  it("picks the first of equal largest logits", () => {
    expect(Array.from(argMaxRows(Float32Array.from([0, 3, 3, -1, -5, -2]), 3))).toEqual([1, 0]);
  });
});
