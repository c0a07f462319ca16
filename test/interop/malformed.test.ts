// Malformed quantized models fail at load with typed errors naming the node.
import { describe, expect, it } from "vitest";
import { OnnxGraphBuilder, type OnnxElementType } from "../../src/onnx/builder.js";
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
