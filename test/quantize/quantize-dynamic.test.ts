import { describe, expect, test } from "vitest";
import { attr, OnnxGraphBuilder } from "../../src/onnx/builder.js";
import { readOnnxModel } from "../../src/onnx/reader.js";
import { quantizeDynamic } from "../../src/quantize/quantize-dynamic.js";
import { InferenceSession } from "../../src/runtime/session.js";
import { Tensor } from "../../src/runtime/tensor.js";
import { randomConstant, randomFloats } from "../helpers/graphs.js";

const constant = (dims: number[], seed: number) => randomConstant(dims, seed, 0.3);


function mlp(): Uint8Array {
  return new OnnxGraphBuilder("mlp", 13)
    .input("x", "float32", ["N", 64])
    .output("y", "float32", ["N", 10])
    .initializer("w1", constant([48, 64], 1))
    .initializer("b1", constant([48], 2))
    .initializer("w2", constant([48, 10], 3))
    .node("Gemm", ["x", "w1", "b1"], ["h"], { transB: attr.int(1) }, { name: "fc1" })
    .node("Relu", ["h"], ["r"], {}, { name: "relu" })
    .node("MatMul", ["r", "w2"], ["y"], {}, { name: "fc2" })
    .toBytes();
}

async function run(model: Uint8Array, data: Float32Array, batch: number): Promise<Float32Array> {
  const session = await InferenceSession.create(model);
  return (session.runSync({ x: new Tensor("float32", data, [batch, 64]) }).y.data as Float32Array).slice();
}

describe("quantizeDynamic", () => {
  test("saves ONNX Runtime's dynamic form and runs every linear layer on the int8 GEMM", async () => {
    const bytes = quantizeDynamic(mlp()).toBytes();
    const ops = readOnnxModel(bytes).nodes.map((n) => n.opType);
    expect(ops.filter((op) => op === "DynamicQuantizeLinear")).toHaveLength(2);
    expect(ops.filter((op) => op === "MatMulInteger")).toHaveLength(2);
    const session = await InferenceSession.create(bytes);
    const kernels = session.summary().rows.map((r) => r.kernel);
    expect(kernels.filter((k) => k === "qs8_gemm_f32")).toHaveLength(2);
    expect(kernels).not.toContain("f32_gemm");
  });

  test.each([1, 7, 64])("batch %i: outputs track fp32 within 2%", async (batch) => {
    const data = randomFloats(batch * 64, batch);
    const fp32 = await run(mlp(), data, batch);
    const int8 = await run(quantizeDynamic(mlp()).toBytes(), data, batch);
    const error = Math.sqrt(int8.reduce((s, v, i) => s + (v - fp32[i]) ** 2, 0) / fp32.reduce((s, v) => s + v * v, 0));
    expect(error).toBeLessThan(0.02);
  });

  test("activations are quantized per run: scaling the input scales the output", async () => {
    const model = quantizeDynamic(mlp()).toBytes();
    const data = randomFloats(4 * 64, 5);
    const a = await run(model, data, 4);
    const b = await run(model, data.map((v) => v * 100), 4);
    // A static scale would saturate at 100x the range; a dynamic one re-measures it.
    const ratio = b.reduce((s, v) => s + Math.abs(v), 0) / a.reduce((s, v) => s + Math.abs(v), 0);
    expect(ratio).toBeGreaterThan(20);
  });

  test("int8 weights make the file about a quarter of fp32", () => {
    const model = mlp();
    expect(quantizeDynamic(model).toBytes().length / model.length).toBeLessThan(0.4);
  });
});
