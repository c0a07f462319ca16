// QLinearMatMul, com.microsoft QLinearAdd / QLinearMul / QLinearGlobalAveragePool, and U8S8 QDQ
// models against ONNX Runtime: bit-exact in "onnx" mode where our arithmetic follows it, within
// one code (and >= 99% equal overall) in the default fixed-point mode.
import { describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import { OnnxGraphBuilder, attr, type OnnxElementType } from "../../src/onnx/builder.js";
import { agreement, runOrt, runOurs } from "./ort.js";

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

// Unbiased scales: the bounds fast-check favours (0.005, 0.1, ...) make exact rounding ties common,
// where fixed point and ONNX Runtime's fp32 legitimately round apart.
const common = {
  activations: fc.constantFrom("int8" as const, "uint8" as const),
  aScale: fc.noBias(fc.double({ min: 0.005, max: 0.1, noNaN: true })),
  aZero: fc.integer({ min: -30, max: 30 }),
  bScale: fc.noBias(fc.double({ min: 0.005, max: 0.1, noNaN: true })),
  bZero: fc.integer({ min: -30, max: 30 }),
  yScale: fc.noBias(fc.double({ min: 0.01, max: 0.5, noNaN: true })),
  yZero: fc.integer({ min: -30, max: 30 }),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
};

type Common = { activations: "int8" | "uint8"; aScale: number; aZero: number; bScale: number; bZero: number; yScale: number; yZero: number; seed: number };

function randomInput(random: () => number, dims: readonly number[], scale: number): Float32Array {
  return Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (random() - 0.5) * 200 * scale);
}

/** Quantizes float inputs, applies `body` on the codes, dequantizes "yq" into "y". */
function model(c: Common, inputs: Record<string, readonly number[]>, body: (b: OnnxGraphBuilder, type: OnnxElementType, shift: number) => void): { bytes: Uint8Array; feeds: Record<string, { data: Float32Array; dims: readonly number[] }> } {
  const random = rng(c.seed);
  const shift = c.activations === "uint8" ? 128 : 0;
  const b = new OnnxGraphBuilder("qop", 13).output("y", "float32", undefined)
    .initializer("as", { type: "float32", dims: [], data: [c.aScale] })
    .initializer("az", { type: c.activations, dims: [], data: [c.aZero + shift] })
    .initializer("bs", { type: "float32", dims: [], data: [c.bScale] })
    .initializer("bz", { type: c.activations, dims: [], data: [c.bZero + shift] })
    .initializer("ys", { type: "float32", dims: [], data: [c.yScale] })
    .initializer("yz", { type: c.activations, dims: [], data: [c.yZero + shift] });
  const feeds: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
  for (const [name, dims] of Object.entries(inputs)) {
    const p = name === "a" ? "a" : "b";
    b.input(name, "float32", dims).node("QuantizeLinear", [name, `${p}s`, `${p}z`], [`${name}q`]);
    feeds[name] = { data: randomInput(random, dims, p === "a" ? c.aScale : c.bScale), dims };
  }
  body(b, c.activations, shift);
  b.node("DequantizeLinear", ["yq", "ys", "yz"], ["y"]);
  return { bytes: b.toBytes(), feeds };
}

/** Runs the property in both modes; `exactInOnnxMode` says whether our onnx mode follows ORT bit for bit. */
function differential<T extends Common>(name: string, arb: fc.Arbitrary<T>, build: (c: T) => ReturnType<typeof model>, exactInOnnxMode: boolean, runs: number, minEqual = 0.99) {
  describe(`${name} agrees with ONNX Runtime`, () => {
    const total = { count: 0, equal: 0 };
    test.prop([arb], { numRuns: runs })("default mode: every code within one", async (c) => {
      const { bytes, feeds } = build(c);
      const [ours, theirs] = await Promise.all([runOurs(bytes, feeds, "fixed-point"), runOrt(bytes, feeds)]);
      const a = agreement(ours.y, theirs.y, c.yScale);
      total.count += a.count;
      total.equal += a.equal;
      expect(a.maxSteps).toBeLessThanOrEqual(1);
    });
    test(`default mode: >= ${minEqual * 100}% of all codes equal`, () => {
      expect(total.count).toBeGreaterThan(300);
      expect(total.equal / total.count).toBeGreaterThanOrEqual(minEqual);
    });
    test.prop([arb], { numRuns: runs })(`onnx mode: ${exactInOnnxMode ? "bit-exact" : "within one code"}`, async (c) => {
      const { bytes, feeds } = build(c);
      const [ours, theirs] = await Promise.all([runOurs(bytes, feeds, "onnx"), runOrt(bytes, feeds)]);
      expect(agreement(ours.y, theirs.y, c.yScale).maxSteps).toBeLessThanOrEqual(exactInOnnxMode ? 0 : 1);
    });
  });
}

const matmulCase = fc.record({ ...common, M: fc.integer({ min: 1, max: 9 }), K: fc.integer({ min: 1, max: 40 }), N: fc.integer({ min: 1, max: 12 }), perColumn: fc.boolean() });
differential("QLinearMatMul", matmulCase, (c) => model(c, { a: [c.M, c.K] }, (b, type, shift) => {
  const random = rng(c.seed + 1);
  const bScales = Float32Array.from({ length: c.perColumn ? c.N : 1 }, () => 0.002 + random() * 0.02);
  b.initializer("w", { type: "int8", dims: [c.K, c.N], data: Int8Array.from({ length: c.K * c.N }, () => Math.floor(random() * 255) - 127) })
    .initializer("wsc", { type: "float32", dims: c.perColumn ? [c.N] : [], data: bScales })
    .initializer("wz", { type: "int8", dims: c.perColumn ? [c.N] : [], data: new Int8Array(bScales.length) })
    .node("QLinearMatMul", ["aq", "as", "az", "w", "wsc", "wz", "ys", "yz"], ["yq"]);
  void type; void shift;
}), true, 80);

const binaryCase = fc.record({ ...common, dims: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }), broadcastB: fc.boolean() });
const binaryBody = (op: string) => (b: OnnxGraphBuilder) => b.node(op, ["aq", "as", "az", "bq", "bs", "bz", "ys", "yz"], ["yq"], {}, { domain: "com.microsoft" });
differential("com.microsoft QLinearAdd", binaryCase, (c) => model(c, { a: c.dims, b: c.broadcastB ? c.dims.slice(1) : c.dims }, binaryBody("QLinearAdd")), true, 60);
differential("com.microsoft QLinearMul", binaryCase, (c) => model(c, { a: c.dims, b: c.broadcastB ? c.dims.slice(1) : c.dims }, binaryBody("QLinearMul")), true, 60);

const poolCase = fc.record({ ...common, n: fc.integer({ min: 1, max: 2 }), ch: fc.integer({ min: 1, max: 10 }), h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 7 }) });
differential("com.microsoft QLinearGlobalAveragePool", poolCase, (c) => model(c, { a: [c.n, c.ch, c.h, c.w] }, (b) => {
  b.node("QLinearGlobalAveragePool", ["aq", "as", "az", "ys", "yz"], ["yq"], { channels_last: attr.int(0) }, { domain: "com.microsoft" });
}), true, 60);
