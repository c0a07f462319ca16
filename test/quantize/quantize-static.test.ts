import { describe, expect, test } from "vitest";
import { attr, OnnxGraphBuilder } from "../../src/onnx/builder.js";
import { readOnnxModel } from "../../src/onnx/reader.js";
import { calibrate, quantizeStatic, type CalibrationFeeds } from "../../src/quantize/quantize-static.js";
import { runIntegerReference } from "../../src/reference/integer-interpreter.js";
import { InferenceSession } from "../../src/runtime/session.js";
import { Tensor } from "../../src/runtime/tensor.js";
import type { ObserverMethod } from "../../src/calibrate/index.js";
import { positiveConstant as positive, randomConstant as constant, randomFloats } from "../helpers/graphs.js";



/** A small residual CNN touching every integer kernel: conv (plain, depthwise), BN, ReLU, max/avg/global pools, Add, Flatten, Gemm. */
function residualNet(withSoftmax = false): Uint8Array {
  const b = new OnnxGraphBuilder("residual", 13)
    .input("x", "float32", ["N", 3, 12, 12])
    .output(withSoftmax ? "probs" : "logits", "float32", ["N", 6])
    .initializer("w1", constant([8, 3, 3, 3], 1))
    .initializer("b1", constant([8], 2))
    .initializer("gamma", positive([8], 3))
    .initializer("beta", constant([8], 4))
    .initializer("mean", constant([8], 5, 0.1))
    .initializer("var", positive([8], 6))
    .initializer("wdw", constant([8, 1, 3, 3], 7))
    .initializer("w2", constant([8, 8, 1, 1], 8))
    .initializer("wfc", constant([6, 8], 9))
    .initializer("bfc", constant([6], 10))
    .node("Conv", ["x", "w1", "b1"], ["c1"], { pads: attr.ints([1, 1, 1, 1]) }, { name: "conv1" })
    .node("BatchNormalization", ["c1", "gamma", "beta", "mean", "var"], ["bn1"], {}, { name: "bn1" })
    .node("Relu", ["bn1"], ["r1"], {}, { name: "relu1" })
    .node("MaxPool", ["r1"], ["p1"], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) }, { name: "pool1" })
    .node("Conv", ["p1", "wdw"], ["dw"], { group: attr.int(8), pads: attr.ints([1, 1, 1, 1]) }, { name: "dwconv" })
    .node("Relu", ["dw"], ["r2"], {}, { name: "relu2" })
    .node("Conv", ["r2", "w2"], ["pw"], {}, { name: "pwconv" })
    .node("Add", ["pw", "p1"], ["res"], {}, { name: "residual" })
    .node("Relu", ["res"], ["r3"], {}, { name: "relu3" })
    .node("AveragePool", ["r3"], ["ap"], { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) }, { name: "avgpool" })
    .node("GlobalAveragePool", ["ap"], ["gap"], {}, { name: "gap" })
    .node("Flatten", ["gap"], ["flat"], {}, { name: "flatten" })
    .node("Gemm", ["flat", "wfc", "bfc"], ["logits"], { transB: attr.int(1) }, { name: "fc" });
  if (withSoftmax) b.node("Softmax", ["logits"], ["probs"], {}, { name: "softmax" });
  return b.toBytes();
}

function mlp(): Uint8Array {
  return new OnnxGraphBuilder("mlp", 13)
    .input("x", "float32", ["N", 1, 16, 16])
    .output("y", "float32", ["N", 10])
    .initializer("w1", constant([128, 256], 21, 0.2))
    .initializer("b1", constant([128], 22))
    .initializer("w2", constant([10, 128], 23))
    .node("Flatten", ["x"], ["f"], {}, { name: "flatten" })
    .node("Gemm", ["f", "w1", "b1"], ["h"], { transB: attr.int(1) }, { name: "fc1" })
    .node("Relu", ["h"], ["r"], {}, { name: "relu" })
    .node("MatMul", ["r", "w2t"], ["y"], {}, { name: "fc2" })
    .initializer("w2t", constant([128, 10], 24))
    .toBytes();
}

function batches(dims: number[], count: number, seed: number): CalibrationFeeds[] {
  return Array.from({ length: count }, (_, i) => ({
    x: new Tensor("float32", randomFloats(dims.reduce((a, b) => a * b, 1), seed + i).map((v) => v * 2), dims),
  }));
}

async function outputsOf(model: Uint8Array, feeds: CalibrationFeeds): Promise<Float32Array> {
  const session = await InferenceSession.create(model);
  return (session.runSync(feeds)[session.outputNames[0]].data as Float32Array).slice();
}

describe("quantizeStatic", () => {
  const methods: ObserverMethod[] = ["minmax", "moving-average", "percentile", "histogram", "entropy", "mse"];

  test.each(methods)("%s: the session's int8 outputs equal the scalar integer reference bit for bit", async (method) => {
    const model = residualNet();
    const quantized = await quantizeStatic(model, batches([4, 3, 12, 12], 3, 1), { calibrateMethod: method });
    const feeds = batches([3, 3, 12, 12], 1, 50)[0];
    const session = await InferenceSession.create(quantized.toBytes());
    const actual = session.runSync(feeds).logits;
    const expected = runIntegerReference(readOnnxModel(quantized.toBytes()), { x: { data: feeds.x.data as Float32Array, dims: [3, 3, 12, 12] } }).logits;
    expect(actual.data).toEqual(expected.data);
    const rows = session.summary().rows;
    expect(rows.filter((r) => r.precision === "int8").length).toBeGreaterThanOrEqual(8);
    // conv1 -> relu1 -> pool1 runs as one fused step.
    expect(rows.map((r) => r.kernel)).toContain("qs8_conv2d_small+maxpool");
  });

  test.each([
    [8, true], [6, true], [4, true], [3, true], [8, false], [4, false],
  ] as const)("%i-bit, per-channel %s: bit-exact with the reference, and a saved file reloads to identical outputs", async (bits, perChannel) => {
    const model = residualNet();
    const calibration = await calibrate(model, batches([4, 3, 12, 12], 2, 3), { calibrateMethod: "percentile" });
    const quantized = await quantizeStatic(model, calibration, { weightBits: bits, activationBits: bits, perChannel });
    const feeds = batches([2, 3, 12, 12], 1, 77)[0];
    const fromGraph = await outputsOf(quantized.toBytes(), feeds);
    const reloaded = await outputsOf(new Uint8Array(quantized.toBytes()), feeds);
    expect(reloaded).toEqual(fromGraph);
    const expected = runIntegerReference(readOnnxModel(quantized.toBytes()), { x: { data: feeds.x.data as Float32Array, dims: [2, 3, 12, 12] } });
    expect(fromGraph).toEqual(expected.logits.data);
  });

  test("a spatial Flatten before a Gemm runs as a plain copy on int8 codes (weight columns permuted), bit-exact", async () => {
    const model = new OnnxGraphBuilder("cnn", 13)
      .input("x", "float32", ["N", 2, 8, 8])
      .output("logits", "float32", ["N", 5])
      .initializer("w", constant([3, 2, 3, 3], 31))
      .initializer("wfc", constant([5, 48], 32))
      .node("Conv", ["x", "w"], ["c"], { pads: attr.ints([1, 1, 1, 1]) }, { name: "conv" })
      .node("Relu", ["c"], ["r"], {}, { name: "relu" })
      .node("MaxPool", ["r"], ["p"], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) }, { name: "pool" })
      .node("Flatten", ["p"], ["f"], {}, { name: "flatten" })
      .node("Gemm", ["f", "wfc"], ["logits"], { transB: attr.int(1) }, { name: "fc" })
      .toBytes();
    const quantized = (await quantizeStatic(model, batches([4, 2, 8, 8], 2, 41))).toBytes();
    const feeds = batches([3, 2, 8, 8], 1, 43)[0];
    const session = await InferenceSession.create(quantized);
    const expected = runIntegerReference(readOnnxModel(quantized), { x: { data: feeds.x.data as Float32Array, dims: [3, 2, 8, 8] } });
    expect(session.runSync(feeds).logits.data).toEqual(expected.logits.data);
    const flatten = session.summary().rows.find((r) => r.opType === "Flatten");
    expect(flatten).toMatchObject({ precision: "int8", kernel: "js copy" });
  });

  test("a residual Add on tensors larger than the kernels' initial memory plans and runs, bit-exact", async () => {
    // Sizing the plan's scratch once read views of buffers that had no memory behind them yet.
    const dims = [1, 8, 512, 512];
    const model = new OnnxGraphBuilder("wide", 13)
      .input("x", "float32", dims)
      .output("y", "float32", dims)
      .initializer("w", constant([8, 8, 1, 1], 51))
      .node("Conv", ["x", "w"], ["c"], {}, { name: "conv" })
      .node("Add", ["c", "x"], ["y"], {}, { name: "residual" })
      .toBytes();
    const quantized = (await quantizeStatic(model, batches(dims, 1, 52))).toBytes();
    const feeds = batches(dims, 1, 53)[0];
    const session = await InferenceSession.create(quantized);
    const expected = runIntegerReference(readOnnxModel(quantized), { x: { data: feeds.x.data as Float32Array, dims } });
    expect(session.runSync(feeds).y.data).toEqual(expected.y.data);
  });

  test("8-bit outputs track fp32; lower widths drift more", async () => {
    const model = mlp();
    const data = batches([8, 1, 16, 16], 4, 9);
    const feeds = batches([16, 1, 16, 16], 1, 99)[0];
    const fp32 = await outputsOf(model, feeds);
    const error = async (bits: number) => {
      const q = await quantizeStatic(model, data, { weightBits: bits, activationBits: bits });
      const out = await outputsOf(q.toBytes(), feeds);
      return Math.sqrt(out.reduce((s, v, i) => s + (v - fp32[i]) ** 2, 0) / fp32.reduce((s, v) => s + v * v, 0));
    };
    const [e8, e4, e3] = [await error(8), await error(4), await error(3)];
    expect(e8).toBeLessThan(0.02);
    expect(e8).toBeLessThan(e4);
    expect(e4).toBeLessThan(e3);
  });

  test("sub-8-bit weights are stored packed (int4), 8-bit files are about a quarter of fp32", async () => {
    const model = mlp();
    const data = batches([8, 1, 16, 16], 2, 4);
    const q8 = (await quantizeStatic(model, data)).toBytes();
    const q4 = (await quantizeStatic(model, data, { weightBits: 4 })).toBytes();
    expect(q8.length / model.length).toBeLessThan(0.27);
    expect(q4.length / model.length).toBeLessThan(0.15);
    const graph = readOnnxModel(q4);
    expect([...graph.values.values()].some((v) => v.storage === "int4")).toBe(true);
  });

  test("below 8 bits the model's inputs and outputs keep 8-bit codes unless boundaryBits says otherwise", async () => {
    const model = mlp();
    const data = batches([8, 1, 16, 16], 2, 12);
    const q4 = (await quantizeStatic(model, data, { weightBits: 4, activationBits: 4 })).graph;
    const clips = q4.nodes.filter((n) => n.opType === "Clip");
    // Hidden activations get a Clip to the 4-bit grid; the input's and output's quantization do not.
    expect(clips.length).toBeGreaterThan(0);
    expect(clips.every((n) => n.inputs[0] !== "x")).toBe(true);
    const all4 = (await quantizeStatic(model, data, { weightBits: 4, activationBits: 4, boundaryBits: 4 })).graph;
    expect(all4.nodes.filter((n) => n.opType === "Clip").length).toBeGreaterThan(clips.length);
  });

  test("MatMul weights [K, N] are quantized per output column and run integer", async () => {
    const model = mlp();
    const q = await quantizeStatic(model, batches([8, 1, 16, 16], 2, 5));
    const session = await InferenceSession.create(q.toBytes());
    expect(session.summary().rows.find((r) => r.node === "fc2")?.kernel).toBe("qs8_gemm");
  });

  test("operators not worth quantizing stay fp32 and the summary says so", async () => {
    const q = await quantizeStatic(residualNet(true), batches([2, 3, 12, 12], 2, 6));
    const session = await InferenceSession.create(q.toBytes());
    expect(session.summary().fp32Nodes).toEqual(["softmax"]);
    expect(session.summary().toString()).toContain("fp32 nodes in an integer model: softmax");
  });

  test("nodesToExclude keeps a layer in fp32", async () => {
    const q = await quantizeStatic(residualNet(), batches([2, 3, 12, 12], 2, 7), { nodesToExclude: ["fc"] });
    const session = await InferenceSession.create(q.toBytes());
    const fc = session.summary().rows.find((r) => r.node === "fc")!;
    expect(fc.precision).toBe("fp32");
    expect(fc.kernel).toBe("f32_gemm");
  });

  test("the caller's model and calibration data are not modified", async () => {
    const model = residualNet();
    const copy = model.slice();
    const data = batches([2, 3, 12, 12], 2, 8);
    const before = data.map((d) => (d.x.data as Float32Array).slice());
    const graph = readOnnxModel(model);
    const nodesBefore = JSON.stringify(graph.nodes);
    await quantizeStatic(graph, data);
    expect(model).toEqual(copy);
    expect(JSON.stringify(graph.nodes)).toBe(nodesBefore);
    data.forEach((d, i) => expect(d.x.data).toEqual(before[i]));
  });

  test("empty calibration data is an error", async () => {
    await expect(quantizeStatic(residualNet(), [])).rejects.toThrow(/calibration data is empty/);
  });
});
