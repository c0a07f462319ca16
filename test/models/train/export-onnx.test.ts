// The ONNX export against the trained tfjs network: random weights and BatchNorm statistics
// (moved off their initial values by one training step), the same images through tfjs and through
// the plain-JS reference forward pass of the exported file.
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { onnx, type OnnxTypes } from "../../../src/onnx/proto.js";
import { ARCHITECTURES, MODEL_NAMES, type ModelName } from "../../../models/train/architectures.js";
import { exportOnnx, INPUT_NAME, OUTPUT_NAME } from "../../../models/train/export-onnx.js";
import { ReferenceModel } from "../../../models/train/reference-forward.js";
import { Random } from "../../../models/train/random.js";
import { TfjsNetwork } from "../../../models/train/tfjs-network.js";

const EXPECTED_OPS: Record<ModelName, string[]> = {
  simplenet: ["Conv", "Relu", "MaxPool", "Flatten", "Gemm"],
  mlp: ["Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm"],
  resnet: ["Conv", "BatchNormalization", "Relu", "Add", "GlobalAveragePool", "Flatten", "Gemm"],
};

function trainedNetwork(name: ModelName, random: Random): TfjsNetwork {
  const network = new TfjsNetwork(ARCHITECTURES[name], 3);
  network.build(28);
  const images = tf.tensor4d(Float32Array.from({ length: 8 * 784 }, () => random.next()), [8, 28, 28, 1]);
  const labels = tf.oneHot(tf.tensor1d(Int32Array.from({ length: 8 }, () => random.int(10)), "int32"), 10);
  network.training = true;
  tf.train.adam(0.05).minimize(() => tf.losses.softmaxCrossEntropy(labels, network.forward(images)) as tf.Scalar, false, network.trainableVariables());
  network.training = false;
  return network;
}

describe.each(MODEL_NAMES)("%s exported to ONNX", (name) => {
  let bytes: Uint8Array;
  let network: TfjsNetwork;
  const random = new Random(11);

  beforeAll(async () => {
    await tf.setBackend("cpu");
    network = trainedNetwork(name, random);
    bytes = exportOnnx(name, ARCHITECTURES[name], network.weights());
  });

  it("computes the tfjs network's logits", () => {
    const count = 3;
    const pixels = Float32Array.from({ length: count * 784 }, () => random.next());
    const expected = network.forward(tf.tensor4d(pixels, [count, 28, 28, 1])).dataSync();
    // One channel: the NHWC pixels are also the NCHW input.
    const actual = new ReferenceModel(bytes).run({ dims: [count, 1, 28, 28], data: pixels });
    expect(actual.dims).toEqual([count, 10]);
    const scale = Math.max(...expected.map(Math.abs));
    expect(scale).toBeGreaterThan(1e-3);
    actual.data.forEach((v, i) => expect(Math.abs(v - expected[i]) / scale).toBeLessThan(1e-4));
  });

  it("is opset 13 with the standard operators only, input [N,1,28,28] and output logits [N,10]", () => {
    const model = onnx.ModelProto.decode(bytes);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([["", 13]]);
    const graph = model.graph as OnnxTypes.GraphProto;
    const dims = (v: OnnxTypes.IValueInfoProto) => v.type?.tensorType?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue));
    expect(graph.input.map((i) => i.name)).toEqual([INPUT_NAME]);
    expect(dims(graph.input[0])).toEqual(["N", 1, 28, 28]);
    expect(graph.output.map((o) => o.name)).toEqual([OUTPUT_NAME]);
    expect(dims(graph.output[0])).toEqual(["N", 10]);
    expect(graph.node.at(-1)?.output).toEqual([OUTPUT_NAME]);
    expect(new Set(graph.node.map((n) => n.opType))).toEqual(new Set(EXPECTED_OPS[name]));
    for (const gemm of graph.node.filter((n) => n.opType === "Gemm")) {
      expect(Number(gemm.attribute?.find((a) => a.name === "transB")?.i)).toBe(1);
    }
  });
});

describe("resnet export", () => {
  it("keeps every BatchNormalization as its own node, after a Conv, with four parameter tensors", async () => {
    await tf.setBackend("cpu");
    const network = new TfjsNetwork(ARCHITECTURES.resnet, 1);
    network.build(28);
    const graph = onnx.ModelProto.decode(exportOnnx("resnet", ARCHITECTURES.resnet, network.weights())).graph as OnnxTypes.GraphProto;
    const producer = new Map(graph.node.map((n) => [n.output?.[0], n.opType]));
    const norms = graph.node.filter((n) => n.opType === "BatchNormalization");
    expect(norms.length).toBe(graph.node.filter((n) => n.opType === "Conv").length);
    for (const bn of norms) {
      expect(producer.get(bn.input?.[0])).toBe("Conv");
      expect(bn.input?.length).toBe(5);
    }
    expect(graph.node.filter((n) => n.opType === "Add").length).toBe(3);
  });
});
