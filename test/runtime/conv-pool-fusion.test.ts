// Conv -> MaxPool on int8 codes runs as one fused step (runtime/conv-pool-fusion.ts) where the
// kernel allows, as two passes in one step where the weights need a left shift, and unfused
// otherwise; the outputs equal the scalar integer reference bit for bit in every case.
import { describe, expect, test } from "vitest";
import { OnnxGraphBuilder, attr } from "../../src/onnx/builder.js";
import { readOnnxModel } from "../../src/onnx/reader.js";
import { runIntegerReference } from "../../src/reference/integer-interpreter.js";
import { InferenceSession } from "../../src/runtime/session.js";
import { Tensor } from "../../src/runtime/tensor.js";
import { randomFloats } from "../helpers/graphs.js";

interface Case {
  /** Scale of the convolution's output codes: tiny ones make the requantization shift left. */
  readonly outputScale: number;
  readonly pool: readonly [number, number];
  /** The convolution's output is also a graph output (so it must be stored). */
  readonly convOutputRead?: boolean;
}

const [C, H, W, M] = [2, 9, 8, 5];

/** x -> Q -> DQ -> Conv 3x3 (int8 weights) -> Q -> DQ -> [Relu] -> MaxPool -> Q -> DQ -> y, per-tensor parameters. */
function model(c: Case): Uint8Array {
  const weights = Int8Array.from(randomFloats(M * C * 9, 3), (v) => Math.round(v * 100));
  const b = new OnnxGraphBuilder("conv-pool", 13)
    .input("x", "float32", ["N", C, H, W])
    .output("y", "float32", undefined)
    .initializer("xs", { type: "float32", dims: [], data: [0.05] })
    .initializer("xz", { type: "int8", dims: [], data: [3] })
    .initializer("w", { type: "int8", dims: [M, C, 3, 3], data: [...weights] })
    .initializer("ws", { type: "float32", dims: [], data: [0.01] })
    .initializer("wz", { type: "int8", dims: [], data: [0] })
    .initializer("ys", { type: "float32", dims: [], data: [c.outputScale] })
    .initializer("yz", { type: "int8", dims: [], data: [-7] })
    .node("QuantizeLinear", ["x", "xs", "xz"], ["xq"])
    .node("DequantizeLinear", ["xq", "xs", "xz"], ["xf"])
    .node("DequantizeLinear", ["w", "ws", "wz"], ["wf"])
    .node("Conv", ["xf", "wf"], ["c"], { pads: attr.ints([1, 1, 1, 1]) }, { name: "conv" })
    .node("QuantizeLinear", ["c", "ys", "yz"], ["cq"])
    .node("DequantizeLinear", ["cq", "ys", "yz"], ["cf"])
    .node("MaxPool", ["cf"], ["p"], { kernel_shape: attr.ints([...c.pool]), strides: attr.ints([...c.pool]) }, { name: "pool" })
    .node("QuantizeLinear", ["p", "ys", "yz"], ["pq"])
    .node("DequantizeLinear", ["pq", "ys", "yz"], ["y"]);
  if (c.convOutputRead) b.output("cf", "float32", undefined);
  return b.toBytes();
}

async function check(c: Case): Promise<string[]> {
  const bytes = model(c);
  const x = randomFloats(2 * C * H * W, 11).map((v) => 4 * v);
  const session = await InferenceSession.create(bytes, { numThreads: 1 });
  const y = session.runSync({ x: new Tensor("float32", x, [2, C, H, W]) }).y;
  const expected = runIntegerReference(readOnnxModel(bytes), { x: { data: x, dims: [2, C, H, W] } }).y;
  expect(y.dims).toEqual(expected.dims);
  expect(Array.from(y.data as Float32Array)).toEqual(Array.from(expected.data as Float32Array));
  return session.summary().rows.map((r) => r.kernel);
}

describe("Conv -> MaxPool on int8 codes", () => {
  test("2x2 pool: one fused step", async () => {
    const kernels = await check({ outputScale: 0.2, pool: [2, 2] });
    expect(kernels).toContain("qs8_conv2d_small+maxpool");
    expect(kernels).not.toContain("qs8_maxpool2d");
  });

  test("1x3 pool (3 pixels, the 9x8 output's last columns unused): fused", async () => {
    expect(await check({ outputScale: 0.2, pool: [1, 3] })).toContain("qs8_conv2d_small+maxpool");
  });

  test("a requantization that shifts left (not monotone once it wraps): convolution, then pool, in one step", async () => {
    const kernels = await check({ outputScale: 1e-6, pool: [2, 2] });
    expect(kernels).toContain("qs8_conv2d_small, qs8_maxpool2d");
  });

  test("a 3x3 pool (9 pixels) and a convolution output read elsewhere stay two steps", async () => {
    for (const c of [{ outputScale: 0.2, pool: [3, 3] as const }, { outputScale: 0.2, pool: [2, 2] as const, convOutputRead: true }]) {
      const kernels = await check(c);
      expect(kernels).toContain("qs8_conv2d_small");
      expect(kernels).toContain("qs8_maxpool2d");
    }
  });
});
