import { afterAll, describe, expect, test } from "vitest";
import { attr, OnnxGraphBuilder } from "../../src/onnx/builder.js";
import { quantizeStatic } from "../../src/quantize/quantize-static.js";
import { InferenceSession } from "../../src/runtime/session.js";
import { Tensor } from "../../src/runtime/tensor.js";
import { sliceBatch } from "../../src/runtime/threads.js";
import { randomConstant, randomFloats } from "../helpers/graphs.js";

function cnn(): Uint8Array {
  return new OnnxGraphBuilder("cnn", 13)
    .input("x", "float32", ["N", 2, 10, 10])
    .output("y", "float32", ["N", 4])
    .initializer("w", randomConstant([6, 2, 3, 3], 1))
    .initializer("fw", randomConstant([4, 6 * 8 * 8], 2, 0.1))
    .node("Conv", ["x", "w"], ["c"], {}, { name: "conv" })
    .node("Relu", ["c"], ["r"], {}, { name: "relu" })
    .node("Flatten", ["r"], ["f"], {}, { name: "flatten" })
    .node("Gemm", ["f", "fw"], ["y"], { transB: attr.int(1) }, { name: "fc" })
    .toBytes();
}

const sessions: InferenceSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.release()));
});

describe("numThreads", () => {
  test("sliceBatch covers the batch in near-equal contiguous parts", () => {
    expect(sliceBatch(7, 2)).toEqual([[0, 3], [3, 7]]);
    expect(sliceBatch(1, 4)).toEqual([[0, 1]]);
    expect(sliceBatch(64, 3).map(([a, b]) => b - a)).toEqual([21, 21, 22]);
  });

  test.each(["fp32", "int8"] as const)("%s: two threads give exactly the single-threaded outputs", async (precision) => {
    const model = precision === "fp32"
      ? cnn()
      : (await quantizeStatic(cnn(), [{ x: new Tensor("float32", randomFloats(8 * 200, 3), [8, 2, 10, 10]) }])).toBytes();
    const threaded = await InferenceSession.create(model, { numThreads: 2 });
    const single = await InferenceSession.create(model, { numThreads: 1 });
    sessions.push(threaded, single);
    expect(threaded.numThreads).toBe(2);
    for (const batch of [7, 64]) {
      const feeds = { x: new Tensor("float32", randomFloats(batch * 200, batch), [batch, 2, 10, 10]) };
      const expected = (await single.run(feeds)).y.data.slice();
      const actual = await threaded.run(feeds);
      expect(actual.y.dims).toEqual([batch, 4]);
      expect(actual.y.data).toEqual(expected);
    }
  }, 60_000);

  test("numThreads must be a positive integer", async () => {
    await expect(InferenceSession.create(cnn(), { numThreads: 0 })).rejects.toThrow(/numThreads/);
  });
});
