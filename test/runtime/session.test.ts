import { describe, expect, test } from "vitest";
import { attr, OnnxGraphBuilder } from "../../src/onnx/builder.js";
import { readOnnxModel } from "../../src/onnx/reader.js";
import { runReference } from "../../src/reference/interpreter.js";
import { InferenceSession } from "../../src/runtime/session.js";
import { Tensor } from "../../src/runtime/tensor.js";
import { DTypeError, InvalidArgumentError, ModelFormatError, ShapeError, UnsupportedError } from "../../src/errors.js";
import { expectClose, positiveConstant as positive, randomConstant as constant, randomFloats } from "../helpers/graphs.js";



/** Conv-BN-ReLU, MaxPool with ceil_mode, depthwise conv (SAME_UPPER, dilation), residual Add, AvgPool, GAP, Gemm, Softmax. */
function convNet(): Uint8Array {
  const b = new OnnxGraphBuilder("convnet", 13)
    .input("x", "float32", ["N", 3, 11, 9])
    .output("probs", "float32", ["N", 5])
    .initializer("w1", constant([8, 3, 3, 3], 1))
    .initializer("b1", constant([8], 2))
    .initializer("gamma", positive([8], 3))
    .initializer("beta", constant([8], 4))
    .initializer("mean", constant([8], 5, 0.1))
    .initializer("var", positive([8], 6))
    .initializer("wdw", constant([8, 1, 3, 3], 7))
    .initializer("w2", constant([8, 8, 1, 1], 8))
    .initializer("wfc", constant([5, 8], 9))
    .initializer("bfc", constant([5], 10))
    .node("Conv", ["x", "w1", "b1"], ["c1"], { pads: attr.ints([1, 0, 2, 1]) }, { name: "conv1" })
    .node("BatchNormalization", ["c1", "gamma", "beta", "mean", "var"], ["bn1"], { epsilon: attr.float(1e-3) }, { name: "bn1" })
    .node("Relu", ["bn1"], ["r1"], {}, { name: "relu1" })
    .node("MaxPool", ["r1"], ["p1"], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]), ceil_mode: attr.int(1) }, { name: "pool1" })
    .node("Conv", ["p1", "wdw"], ["dw"], { group: attr.int(8), auto_pad: attr.string("SAME_UPPER"), dilations: attr.ints([2, 1]) }, { name: "dwconv" })
    .node("Conv", ["dw", "w2"], ["pw"], {}, { name: "pwconv" })
    .node("Add", ["pw", "p1"], ["res"], {}, { name: "residual" })
    .node("Clip", ["res", "clipMin", "clipMax"], ["act"], {}, { name: "relu6" })
    .initializer("clipMin", { type: "float32", dims: [], data: [0] })
    .initializer("clipMax", { type: "float32", dims: [], data: [6] })
    .node("AveragePool", ["act"], ["ap"], { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]), count_include_pad: attr.int(0) }, { name: "avgpool" })
    .node("GlobalAveragePool", ["ap"], ["gap"], {}, { name: "gap" })
    .node("Flatten", ["gap"], ["flat"], {}, { name: "flatten" })
    .node("Gemm", ["flat", "wfc", "bfc"], ["logits"], { transB: attr.int(1) }, { name: "fc" })
    .node("Softmax", ["logits"], ["probs"], {}, { name: "softmax" });
  return b.toBytes();
}

/** Flatten of an NCHW tensor into MatMul + Add, Transpose, Reshape, Concat along channels. */
function movementNet(): Uint8Array {
  return new OnnxGraphBuilder("movement", 13)
    .input("x", "float32", [2, 4, 3, 5])
    .output("y", "float32", [2, 6])
    .initializer("w", constant([4, 4, 1, 1], 11))
    .initializer("shape", { type: "int64", dims: [2], data: [2, -1] })
    .initializer("wm", constant([120, 6], 12))
    .initializer("bm", constant([6], 13))
    .node("Conv", ["x", "w"], ["c"], {}, { name: "conv" })
    .node("Concat", ["c", "x"], ["cat"], { axis: attr.int(1) }, { name: "concat" })
    .node("Transpose", ["cat"], ["t"], { perm: attr.ints([0, 2, 3, 1]) }, { name: "transpose" })
    .node("Reshape", ["t", "shape"], ["flat"], {}, { name: "reshape" })
    .node("MatMul", ["flat", "wm"], ["mm"], {}, { name: "matmul" })
    .node("Add", ["mm", "bm"], ["y"], {}, { name: "bias" })
    .toBytes();
}

function mlp(): Uint8Array {
  return new OnnxGraphBuilder("mlp", 13)
    .input("x", "float32", ["N", 1, 28, 28])
    .output("y", "float32", ["N", 10])
    .initializer("w1", constant([64, 784], 21, 0.1))
    .initializer("b1", constant([64], 22))
    .initializer("w2", constant([10, 64], 23))
    .node("Flatten", ["x"], ["f"], {}, { name: "flatten" })
    .node("Gemm", ["f", "w1", "b1"], ["h"], { transB: attr.int(1), alpha: attr.float(0.5) }, { name: "fc1" })
    .node("Relu", ["h"], ["r"], {}, { name: "relu" })
    .node("Gemm", ["r", "w2"], ["y"], { transB: attr.int(1) }, { name: "fc2" })
    .toBytes();
}

async function compareWithReference(bytes: Uint8Array, inputName: string, dims: number[], seed: number, relative = 1e-4): Promise<void> {
  const session = await InferenceSession.create(bytes);
  const data = randomFloats(dims.reduce((a, b) => a * b, 1), seed);
  const original = data.slice();
  const outputs = session.runSync({ [inputName]: new Tensor("float32", data, dims) });
  expect(data).toEqual(original);
  const expected = runReference(readOnnxModel(bytes), { [inputName]: { data, dims } });
  for (const name of session.outputNames) {
    expect(outputs[name].dims).toEqual(expected[name].dims);
    expectClose(outputs[name].data as Float32Array, expected[name].data, relative);
  }
}

describe("fp32 sessions match the reference interpreter", () => {
  test.each([1, 2, 5])("conv net at batch %i", async (batch) => {
    await compareWithReference(convNet(), "x", [batch, 3, 11, 9], batch);
  });
  test("data movement, concat, MatMul + Add", async () => {
    await compareWithReference(movementNet(), "x", [2, 4, 3, 5], 7);
  });
  test.each([1, 3, 64])("mlp at batch %i", async (batch) => {
    await compareWithReference(mlp(), "x", [batch, 1, 28, 28], batch + 100);
  });
});

describe("graph optimisation", () => {
  test("BatchNorm folding and activation fusion change outputs by at most 1e-5 relative", async () => {
    const bytes = convNet();
    const dims = [3, 3, 11, 9];
    const data = randomFloats(3 * 3 * 11 * 9, 99);
    const optimised = await InferenceSession.create(bytes);
    const plain = await InferenceSession.create(bytes, { graphOptimizationLevel: "disabled" });
    const a = optimised.runSync({ x: new Tensor("float32", data, dims) }).probs.data.slice();
    const b = plain.runSync({ x: new Tensor("float32", data, dims) }).probs.data.slice();
    expectClose(a, b, 1e-5);
  });

  test("the summary shows the folded, fused graph", async () => {
    const session = await InferenceSession.create(convNet());
    const summary = session.summary();
    const ops = summary.rows.map((r) => r.opType);
    expect(ops).not.toContain("BatchNormalization");
    expect(ops).not.toContain("Relu");
    expect(ops[0]).toMatch(/^Conv\+clamp\(0, Infinity\)/);
    expect(summary.rows.find((r) => r.node === "dwconv")?.kernel).toBe("f32_dwconv2d");
    expect(summary.toString()).toContain("kernels: simd");
    const plain = await InferenceSession.create(convNet(), { graphOptimizationLevel: "disabled" });
    expect(plain.summary().rows.map((r) => r.opType)).toContain("BatchNormalization");
  });

  test("skipPasses leaves a pass out", async () => {
    const session = await InferenceSession.create(convNet(), { skipPasses: ["batchnorm-folding"] });
    expect(session.summary().rows.map((r) => r.opType)).toContain("BatchNormalization");
  });
});

describe("run()", () => {
  test("memory stays flat over 100,000 runs on one session", async () => {
    const session = await InferenceSession.create(mlp());
    const feeds = { x: new Tensor("float32", randomFloats(784, 3), [1, 1, 28, 28]) };
    session.runSync(feeds);
    const kernelBytes = session.memoryBytes;
    const first = Array.from(session.runSync(feeds).y.data as Float32Array);
    const gc = globalThis.gc;
    expect(gc, "vitest runs with --expose-gc (vitest.config.ts)").toBeTypeOf("function");
    gc!();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100_000; i++) session.runSync(feeds);
    gc!();
    expect(session.memoryBytes).toBe(kernelBytes);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(8 * 1024 * 1024);
    expect(Array.from(session.runSync(feeds).y.data as Float32Array)).toEqual(first);
  });

  test("a new batch size re-plans, and the old one still gives the same answer", async () => {
    const session = await InferenceSession.create(mlp());
    const one = randomFloats(784, 5);
    const a = session.runSync({ x: new Tensor("float32", one, [1, 1, 28, 28]) }).y.data.slice();
    const four = new Float32Array(4 * 784);
    four.set(one, 3 * 784);
    const b = session.runSync({ x: new Tensor("float32", four, [4, 1, 28, 28]) }).y.data.slice(30, 40);
    expectClose(b, a, 1e-6);
    expect(session.runSync({ x: new Tensor("float32", one, [1, 1, 28, 28]) }).y.data).toEqual(a);
  });

  test("run() is async like ONNX Runtime's and names inputs and outputs", async () => {
    const session = await InferenceSession.create(mlp());
    expect(session.inputNames).toEqual(["x"]);
    expect(session.outputNames).toEqual(["y"]);
    const out = await session.run({ x: new Tensor("float32", new Float32Array(784), [1, 1, 28, 28]) });
    expect(out.y).toBeInstanceOf(Tensor);
    expect(out.y.dims).toEqual([1, 10]);
  });
});

describe("errors name what is wrong", () => {
  const feeds = (data: Float32Array, dims: number[]) => ({ x: new Tensor("float32", data, dims) });

  async function error(promise: Promise<unknown> | (() => unknown)): Promise<unknown> {
    try {
      await (typeof promise === "function" ? promise() : promise);
    } catch (e) {
      return e;
    }
    throw new Error("expected an error");
  }

  test("malformed and truncated files", async () => {
    const bytes = mlp();
    expect(await error(InferenceSession.create(bytes.slice(0, bytes.length >> 1)))).toBeInstanceOf(ModelFormatError);
    expect(await error(InferenceSession.create(Uint8Array.from({ length: 100 }, (_, i) => (i * 37) & 255)))).toBeInstanceOf(ModelFormatError);
  });

  test("an unsupported operator names the node", async () => {
    const bytes = new OnnxGraphBuilder("bad", 13)
      .input("x", "float32", [1, 4]).output("y", "float32", [1, 4])
      .node("Erf", ["x"], ["y"], {}, { name: "the_erf" })
      .toBytes();
    const e = await error(InferenceSession.create(bytes));
    expect(e).toBeInstanceOf(UnsupportedError);
    expect((e as UnsupportedError).node).toBe("the_erf");
  });

  test("missing input, unknown input, wrong shape, wrong dtype, NaN", async () => {
    const session = await InferenceSession.create(mlp());
    const good = new Float32Array(784);
    const missing = await error(() => session.runSync({}));
    expect(missing).toBeInstanceOf(InvalidArgumentError);
    expect((missing as InvalidArgumentError).tensor).toBe("x");
    expect(await error(() => session.runSync({ ...feeds(good, [1, 1, 28, 28]), z: new Tensor("float32", good, [784]) }))).toBeInstanceOf(InvalidArgumentError);
    const shape = await error(() => session.runSync(feeds(good, [1, 784])));
    expect(shape).toBeInstanceOf(ShapeError);
    expect((shape as ShapeError).message).toContain("[N, 1, 28, 28]");
    expect(await error(() => session.runSync({ x: new Tensor("int32", new Int32Array(784), [1, 1, 28, 28]) as never }))).toBeInstanceOf(DTypeError);
    const nan = good.slice();
    nan[17] = Number.NaN;
    const nanError = await error(() => session.runSync(feeds(nan, [1, 1, 28, 28])));
    expect(nanError).toBeInstanceOf(InvalidArgumentError);
    expect((nanError as Error).message).toContain("NaN at element 17");
  });

  test("NaN in a feed stored channels-last is reported at its NCHW index", async () => {
    const session = await InferenceSession.create(convNet());
    const data = randomFloats(2 * 3 * 11 * 9, 5);
    data[1 * 99 + 40] = Number.NaN;
    const nanError = await error(() => session.runSync({ x: new Tensor("float32", data, [2, 3, 11, 9]) }));
    expect(nanError).toBeInstanceOf(InvalidArgumentError);
    expect((nanError as Error).message).toContain("NaN at element 139");
  });

  test("Tensor checks its data against its dims and type", () => {
    expect(() => new Tensor("float32", new Float32Array(3), [2, 2])).toThrow(ShapeError);
    expect(() => new Tensor("float32", new Int8Array(4) as never, [2, 2])).toThrow(DTypeError);
    expect(new Tensor("int8", [1, 2, 3]).dims).toEqual([3]);
  });
});
