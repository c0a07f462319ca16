// Malformed quantized models fail at load with typed errors naming the node.
import { describe, expect, it } from "vitest";
import { OnnxGraphBuilder, attr, type OnnxElementType } from "../../src/onnx/builder.js";
import { InferenceSession } from "../../src/runtime/session.js";
import { DTypeError, QuantizationError, ShapeError, UnsupportedError } from "../../src/errors.js";

interface Variant {
  xScale?: number;
  wScales?: number[];
  wZeros?: number[];
  wType?: OnnxElementType;
  yZeroType?: OnnxElementType;
}

function qlinearMatMul(v: Variant): Uint8Array {
  const wScales = v.wScales ?? [0.01];
  const wType = v.wType ?? "int8";
  return new OnnxGraphBuilder("bad", 13)
    .input("x", "float32", [2, 3]).output("y", "float32", undefined)
    .initializer("xs", { type: "float32", dims: [], data: [v.xScale ?? 0.1] })
    .initializer("xz", { type: "int8", dims: [], data: [0] })
    .initializer("w", { type: wType, dims: [3, 4], data: new Array(12).fill(1) })
    .initializer("ws", { type: "float32", dims: wScales.length === 1 ? [] : [wScales.length], data: wScales })
    .initializer("wz", { type: wType, dims: (v.wZeros ?? [0]).length === 1 ? [] : [(v.wZeros ?? [0]).length], data: v.wZeros ?? [0] })
    .initializer("ys", { type: "float32", dims: [], data: [0.2] })
    .initializer("yz", { type: v.yZeroType ?? "int8", dims: [], data: [0] })
    .node("QuantizeLinear", ["x", "xs", "xz"], ["xq"])
    .node("QLinearMatMul", ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["yq"], {}, { name: "mm" })
    .node("DequantizeLinear", ["yq", "ys", "yz"], ["y"])
    .toBytes();
}

async function loadError(model: Uint8Array): Promise<Error & { node?: string }> {
  try {
    await InferenceSession.create(model);
  } catch (error) {
    return error as Error & { node?: string };
  }
  throw new Error("the model loaded");
}

describe("malformed QOperator models", () => {
  it("loads the well-formed model", async () => {
    await expect(InferenceSession.create(qlinearMatMul({}))).resolves.toBeDefined();
  });
  it.each([
    ["scale 0", { xScale: 0 }, QuantizationError],
    ["NaN scale", { xScale: NaN }, QuantizationError],
    ["negative weight scale", { wScales: [-0.1] }, QuantizationError],
    ["per-axis scale of the wrong length", { wScales: [0.1, 0.1, 0.1] }, ShapeError],
    ["non-zero int8 weight zero point", { wZeros: [3] }, UnsupportedError],
    ["uint8 weights with zero point 7", { wType: "uint8", wZeros: [7] }, UnsupportedError],
    ["output zero point of a non-quantized type", { yZeroType: "int32" }, DTypeError],
  ] as const)("%s", async (_, variant, type) => {
    const error = await loadError(qlinearMatMul(variant as Variant));
    expect(error).toBeInstanceOf(type);
    expect(String(error.message) + JSON.stringify(error)).toMatch(/mm|QuantizeLinear|DequantizeLinear/);
  });
  it("runs uint8 weights with zero point 128 (shifted to symmetric int8)", async () => {
    await expect(InferenceSession.create(qlinearMatMul({ wType: "uint8", wZeros: [128] }))).resolves.toBeDefined();
  });
});

/** A model whose node under test is named "bad". */
function oneNode(build: (b: OnnxGraphBuilder) => OnnxGraphBuilder): Uint8Array {
  return build(new OnnxGraphBuilder("bad", 13)).toBytes();
}

/** x [2, 3, 4, 4] float -> QuantizeLinear(xs, xz: `type`) -> "xq". */
function quantizedX(b: OnnxGraphBuilder, type: OnnxElementType = "int8", dims: number[] = [2, 3, 4, 4]): OnnxGraphBuilder {
  return b.input("x", "float32", dims)
    .initializer("xs", { type: "float32", dims: [], data: [0.1] })
    .initializer("xz", { type, dims: [], data: [type === "uint8" ? 128 : 0] })
    .node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]);
}

function scalar(b: OnnxGraphBuilder, name: string, type: OnnxElementType, value: number): OnnxGraphBuilder {
  return b.initializer(name, { type, dims: [], data: [value] });
}

const MS = { domain: "com.microsoft", name: "bad" };

describe("malformed models with the other quantized operators", () => {
  const cases: [string, () => Uint8Array, new (...args: never[]) => Error][] = [
    ["QLinearAdd with output scale 0", () => oneNode((b) => scalar(scalar(quantizedX(b), "ys", "float32", 0), "yz", "int8", 0)
      .output("y", "int8", undefined).node("QLinearAdd", ["xq", "xs", "xz", "xq", "xs", "xz", "ys", "yz"], ["y"], {}, MS)), QuantizationError],
    ["QLinearAdd with an output scale too small for fixed point", () => oneNode((b) => scalar(scalar(quantizedX(b), "ys", "float32", 1e-9), "yz", "int8", 0)
      .output("y", "int8", undefined).node("QLinearAdd", ["xq", "xs", "xz", "xq", "xs", "xz", "ys", "yz"], ["y"], {}, MS)), QuantizationError],
    ["QLinearMul with a NaN input scale", () => oneNode((b) => scalar(scalar(scalar(quantizedX(b), "ys", "float32", 0.1), "yz", "int8", 0), "bs", "float32", NaN)
      .output("y", "int8", undefined).node("QLinearMul", ["xq", "xs", "xz", "xq", "bs", "xz", "ys", "yz"], ["y"], {}, MS)), QuantizationError],
    ["QLinearAdd with a uint8 zero point for int8 codes", () => oneNode((b) => scalar(scalar(scalar(quantizedX(b), "ys", "float32", 0.1), "yz", "int8", 0), "bz", "uint8", 128)
      .output("y", "int8", undefined).node("QLinearAdd", ["xq", "xs", "xz", "xq", "xs", "bz", "ys", "yz"], ["y"], {}, MS)), DTypeError],
    ["QLinearGlobalAveragePool with a negative output scale", () => oneNode((b) => scalar(scalar(quantizedX(b), "ys", "float32", -0.1), "yz", "int8", 0)
      .output("y", "int8", undefined).node("QLinearGlobalAveragePool", ["xq", "xs", "xz", "ys", "yz"], ["y"], { channels_last: attr.int(0) }, MS)), QuantizationError],
    ["QLinearGlobalAveragePool with channels_last = 1", () => oneNode((b) => scalar(scalar(quantizedX(b), "ys", "float32", 0.1), "yz", "int8", 0)
      .output("y", "int8", undefined).node("QLinearGlobalAveragePool", ["xq", "xs", "xz", "ys", "yz"], ["y"], { channels_last: attr.int(1) }, MS)), UnsupportedError],
    ["per-axis QuantizeLinear with 2 scales for 3 channels", () => oneNode((b) => b.input("x", "float32", [2, 3, 4, 4]).output("q", "int8", undefined)
      .initializer("s", { type: "float32", dims: [2], data: [0.1, 0.2] }).initializer("z", { type: "int8", dims: [2], data: [0, 0] })
      .node("QuantizeLinear", ["x", "s", "z"], ["q"], { axis: attr.int(1) }, { name: "bad" })), ShapeError],
    ["per-axis QuantizeLinear with a zero scale", () => oneNode((b) => b.input("x", "float32", [2, 3]).output("q", "uint8", undefined)
      .initializer("s", { type: "float32", dims: [3], data: [0.1, 0, 0.2] }).initializer("z", { type: "uint8", dims: [3], data: [128, 128, 128] })
      .node("QuantizeLinear", ["x", "s", "z"], ["q"], { axis: attr.int(1) }, { name: "bad" })), QuantizationError],
    ["per-axis DequantizeLinear with zero points of another type", () => oneNode((b) => b.input("x", "float32", [2, 3]).output("y", "float32", undefined)
      .initializer("s", { type: "float32", dims: [3], data: [0.1, 0.1, 0.2] }).initializer("z", { type: "int8", dims: [3], data: [0, 0, 0] })
      .initializer("uz", { type: "uint8", dims: [3], data: [0, 0, 0] })
      .node("QuantizeLinear", ["x", "s", "z"], ["q"], { axis: attr.int(1) })
      .node("DequantizeLinear", ["q", "s", "uz"], ["y"], { axis: attr.int(1) }, { name: "bad" })), DTypeError],
    ["MatMulInteger with 3 column zero points for 4 columns", () => oneNode((b) => quantizedX(b, "int8", [2, 3]).output("y", "int32", undefined)
      .initializer("w", { type: "int8", dims: [3, 4], data: new Array(12).fill(1) })
      .initializer("wz", { type: "int8", dims: [3], data: [0, 0, 0] })
      .node("MatMulInteger", ["xq", "w", "xz", "wz"], ["y"], {}, { name: "bad" })), ShapeError],
    ["MatMulInteger with a uint8 zero point for int8 codes", () => oneNode((b) => scalar(quantizedX(b, "int8", [2, 3]), "uz", "uint8", 0).output("y", "int32", undefined)
      .initializer("w", { type: "int8", dims: [3, 4], data: new Array(12).fill(1) })
      .node("MatMulInteger", ["xq", "w", "uz"], ["y"], {}, { name: "bad" })), DTypeError],
    ["MatMulInteger of a float input", () => oneNode((b) => b.input("x", "float32", [2, 3]).output("y", "int32", undefined)
      .initializer("w", { type: "int8", dims: [3, 4], data: new Array(12).fill(1) })
      .node("MatMulInteger", ["x", "w"], ["y"], {}, { name: "bad" })), DTypeError],
    ["ConvInteger with 2 weight zero points for 4 output channels", () => oneNode((b) => quantizedX(b).output("y", "int32", undefined)
      .initializer("w", { type: "int8", dims: [4, 3, 1, 1], data: new Array(12).fill(1) })
      .initializer("wz", { type: "int8", dims: [2], data: [0, 0] })
      .node("ConvInteger", ["xq", "w", "xz", "wz"], ["y"], {}, { name: "bad" })), ShapeError],
    ["ConvInteger with runtime weights", () => oneNode((b) => quantizedX(b).input("w", "float32", [4, 3, 1, 1]).output("y", "int32", undefined)
      .node("QuantizeLinear", ["w", "xs", "xz"], ["wq"])
      .node("ConvInteger", ["xq", "wq"], ["y"], {}, { name: "bad" })), UnsupportedError],
    ["QLinearConv with a bias of the wrong length", () => oneNode((b) => scalar(scalar(quantizedX(b), "ys", "float32", 0.1), "yz", "int8", 0).output("y", "int8", undefined)
      .initializer("w", { type: "int8", dims: [4, 3, 1, 1], data: new Array(12).fill(1) })
      .initializer("ws", { type: "float32", dims: [], data: [0.01] }).initializer("wz", { type: "int8", dims: [], data: [0] })
      .initializer("B", { type: "int32", dims: [3], data: [1, 2, 3] })
      .node("QLinearConv", ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "B"], ["y"], {}, { name: "bad" })), Error],
  ];
  it.each(cases)("%s", async (_, model, type) => {
    const error = await loadError(model());
    expect(error).toBeInstanceOf(type);
    expect(error.node ?? "").toBe("bad");
  });
});
