import { describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import { OnnxGraphBuilder, attr, type OnnxElementType } from "../../src/onnx/builder.js";
import { agreement, runOrt, runOurs, type Agreement } from "./ort.js";

interface ConvCase {
  readonly batch: number;
  readonly inC: number;
  readonly outC: number;
  readonly h: number;
  readonly w: number;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number;
  readonly activations: "int8" | "uint8";
  readonly xScale: number;
  readonly xZero: number;
  readonly yScale: number;
  readonly yZero: number;
  readonly perChannel: boolean;
  readonly withBias: boolean;
  readonly seed: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

const convCase = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  inC: fc.integer({ min: 1, max: 8 }),
  outC: fc.integer({ min: 1, max: 8 }),
  h: fc.integer({ min: 3, max: 9 }),
  w: fc.integer({ min: 3, max: 9 }),
  kernel: fc.constantFrom(1, 3),
  stride: fc.constantFrom(1, 2),
  pad: fc.integer({ min: 0, max: 1 }),
  activations: fc.constantFrom("int8" as const, "uint8" as const),
  xScale: fc.noBias(fc.double({ min: 0.005, max: 0.1, noNaN: true })),
  xZero: fc.integer({ min: -20, max: 20 }),
  yScale: fc.noBias(fc.double({ min: 0.01, max: 0.5, noNaN: true })),
  yZero: fc.integer({ min: -20, max: 20 }),
  perChannel: fc.boolean(),
  withBias: fc.boolean(),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});

/** float x -> QuantizeLinear -> QLinearConv -> DequantizeLinear -> float y. */
function qlinearConvModel(c: ConvCase): { model: Uint8Array; x: Float32Array; dims: number[]; yScale: number } {
  const random = rng(c.seed);
  const shift = c.activations === "uint8" ? 128 : 0;
  const type: OnnxElementType = c.activations;
  const weights = Int8Array.from({ length: c.outC * c.inC * c.kernel * c.kernel }, () => Math.floor(random() * 255) - 127);
  const wScales = Float32Array.from({ length: c.perChannel ? c.outC : 1 }, () => 0.002 + random() * 0.02);
  const bias = Int32Array.from({ length: c.outC }, () => Math.floor((random() - 0.5) * 4000));
  const dims = [c.batch, c.inC, c.h, c.w];
  const x = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (random() - 0.5) * 200 * c.xScale);
  const b = new OnnxGraphBuilder("qlinearconv", 13)
    .input("x", "float32", dims)
    .output("y", "float32", undefined)
    .initializer("xs", { type: "float32", dims: [], data: [c.xScale] })
    .initializer("xz", { type, dims: [], data: [c.xZero + shift] })
    .initializer("w", { type: "int8", dims: [c.outC, c.inC, c.kernel, c.kernel], data: weights })
    .initializer("ws", { type: "float32", dims: c.perChannel ? [c.outC] : [], data: wScales })
    .initializer("wz", { type: "int8", dims: c.perChannel ? [c.outC] : [], data: new Int8Array(wScales.length) })
    .initializer("ys", { type: "float32", dims: [], data: [c.yScale] })
    .initializer("yz", { type, dims: [], data: [c.yZero + shift] })
    .node("QuantizeLinear", ["x", "xs", "xz"], ["xq"])
    .node("QLinearConv", ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", ...(c.withBias ? ["B"] : [])], ["yq"], {
      kernel_shape: attr.ints([c.kernel, c.kernel]),
      strides: attr.ints([c.stride, c.stride]),
      pads: attr.ints([c.pad, c.pad, c.pad, c.pad]),
    })
    .node("DequantizeLinear", ["yq", "ys", "yz"], ["y"]);
  if (c.withBias) b.initializer("B", { type: "int32", dims: [c.outC], data: bias });
  return { model: b.toBytes(), x, dims, yScale: c.yScale };
}

async function compare(c: ConvCase, mode: "fixed-point" | "onnx"): Promise<Agreement> {
  const { model, x, dims, yScale } = qlinearConvModel(c);
  const feeds = { x: { data: x, dims } };
  const [ours, theirs] = await Promise.all([runOurs(model, feeds, mode), runOrt(model, feeds)]);
  return agreement(ours.y, theirs.y, yScale);
}

describe("QLinearConv agrees with ONNX Runtime", () => {
  // Ties round differently in fixed point, so equality is counted over all cases together.
  const total = { count: 0, equal: 0 };
  test.prop([convCase], { numRuns: 100 })("onnx mode: bit-exact", async (c) => {
    const a = await compare(c, "onnx");
    expect(a.maxSteps).toBe(0);
  });
  test.prop([convCase], { numRuns: 100 })("default (fixed-point) mode: every code within one", async (c) => {
    const a = await compare(c, "fixed-point");
    total.count += a.count;
    total.equal += a.equal;
    expect(a.maxSteps).toBeLessThanOrEqual(1);
  });
  test("default (fixed-point) mode: >= 99% of all codes equal", () => {
    expect(total.count).toBeGreaterThan(1000);
    expect(total.equal / total.count).toBeGreaterThanOrEqual(0.99);
  });
});
