// QLinearMatMul, MatMulInteger and the com.microsoft QLinearAdd / QLinearMul /
// QLinearGlobalAveragePool that ONNX Runtime's quantization tool emits, against ONNX Runtime
// (see differential.ts); also DQ -> Add / GlobalAveragePool -> Q patterns, which ONNX Runtime
// runs as the same QLinear operators.
import { fc } from "@fast-check/vitest";
import { attr, type OnnxGraphBuilder } from "../../src/onnx/builder.js";
import { differentialSuite, fileZero, floatData, quantizedInput, quantType, rng, scaleArb, zeroArb } from "./differential.js";

const seed = fc.integer({ min: 1, max: 2 ** 31 - 1 });

/** Output codes `y` with (scale, zero point) initializers "ys" / "yz" of the case. */
function outputParams(b: OnnxGraphBuilder, p: (name: string) => string, type: "int8" | "uint8", scale: number, zero: number): void {
  b.output(p("y"), type, undefined)
    .initializer(p("ys"), { type: "float32", dims: [], data: [scale] })
    .initializer(p("yz"), { type, dims: [], data: [fileZero(type, zero)] });
}

const matmul = fc.record({
  type: quantType, aScale: scaleArb(0.005, 0.1), aZero: zeroArb, yScale: scaleArb(0.01, 0.5), yZero: zeroArb,
  batch: fc.constantFrom([], [3], [2, 1]), M: fc.integer({ min: 1, max: 9 }), K: fc.integer({ min: 1, max: 40 }), N: fc.integer({ min: 1, max: 12 }),
  perColumn: fc.boolean(), runtimeB: fc.boolean(), bScale: scaleArb(0.005, 0.1), bZero: zeroArb, seed,
});

/** B constant int8 weights (per tensor or per column), or a second quantized input (per tensor, batched like A). */
differentialSuite("QLinearMatMul", matmul, (b, c, p) => {
  const random = rng(c.seed);
  const dims = [...c.batch, c.M, c.K];
  const aq = quantizedInput(b, p, "a", dims, c.type, c.aScale, c.aZero);
  const feeds = { [p("a")]: { data: floatData(random, dims, c.aScale), dims } };
  outputParams(b, p, c.type, c.yScale, c.yZero);
  if (c.runtimeB) {
    const bDims = [...c.batch, c.K, c.N];
    const bq = quantizedInput(b, p, "b", bDims, c.type, c.bScale, c.bZero);
    feeds[p("b")] = { data: floatData(random, bDims, c.bScale), dims: bDims };
    b.node("QLinearMatMul", [aq, p("a_s"), p("a_z"), bq, p("b_s"), p("b_z"), p("ys"), p("yz")], [p("y")]);
    return { feeds, outputs: [{ name: p("y"), unit: 1 }] };
  }
  const scales = Float32Array.from({ length: c.perColumn ? c.N : 1 }, () => 0.002 + random() * 0.02);
  b.initializer(p("w"), { type: "int8", dims: [c.K, c.N], data: Int8Array.from({ length: c.K * c.N }, () => Math.floor(random() * 255) - 127) })
    .initializer(p("wsc"), { type: "float32", dims: c.perColumn ? [c.N] : [], data: scales })
    .initializer(p("wz"), { type: "int8", dims: c.perColumn ? [c.N] : [], data: new Int8Array(scales.length) })
    .node("QLinearMatMul", [aq, p("a_s"), p("a_z"), p("w"), p("wsc"), p("wz"), p("ys"), p("yz")], [p("y")]);
  return { feeds, outputs: [{ name: p("y"), unit: 1 }] };
}, { casesPerRun: 25, runs: 20, defaultMode: "within one" });

const matmulInteger = fc.record({
  type: quantType, aZero: zeroArb, bZero: zeroArb, perColumn: fc.boolean(), runtimeB: fc.boolean(),
  batch: fc.constantFrom([], [3], [2, 1]), M: fc.integer({ min: 1, max: 9 }), K: fc.integer({ min: 1, max: 40 }), N: fc.integer({ min: 1, max: 12 }), seed,
});

differentialSuite("MatMulInteger", matmulInteger, (b, c, p) => {
  const random = rng(c.seed);
  const aDims = [...c.batch, c.M, c.K];
  const bDims = c.runtimeB ? [...c.batch, c.K, c.N] : [c.K, c.N];
  const aq = quantizedInput(b, p, "a", aDims, c.type, 0.05, 0);
  const feeds = { [p("a")]: { data: floatData(random, aDims, 0.05), dims: aDims } };
  let bq = p("b");
  if (c.runtimeB) {
    bq = quantizedInput(b, p, "b", bDims, c.type, 0.05, 0);
    feeds[p("b")] = { data: floatData(random, bDims, 0.05), dims: bDims };
  } else {
    b.initializer(bq, { type: c.type, dims: bDims, data: Array.from({ length: c.K * c.N }, () => fileZero(c.type, Math.floor(random() * 256) - 128)) });
  }
  // Per column: [N] for a 2-D B, else B's shape with K = 1 (what ONNX Runtime accepts).
  const zDims = !c.perColumn ? [] : bDims.length === 2 ? [c.N] : [...bDims.slice(0, -2), 1, c.N];
  const bZeros = Array.from({ length: zDims.reduce((a, d) => a * d, 1) }, (_, n) => fileZero(c.type, n === 0 ? c.bZero : Math.floor(random() * 80) - 40));
  b.output(p("y"), "int32", undefined)
    .initializer(p("az"), { type: c.type, dims: [], data: [fileZero(c.type, c.aZero)] })
    .initializer(p("bz"), { type: c.type, dims: zDims, data: bZeros })
    .node("MatMulInteger", [aq, bq, p("az"), p("bz")], [p("y")]);
  return { feeds, outputs: [{ name: p("y"), unit: 1 }] };
}, { casesPerRun: 25, runs: 20, defaultMode: "exact" });

/**
 * B's shape: A's with some axes 1 and some leading axes dropped (numpy broadcasting), either way
 * round; now and then one operand is constant codes instead of a quantized input.
 */
const binary = fc.record({
  type: quantType, aScale: scaleArb(0.005, 0.1), aZero: zeroArb, bScale: scaleArb(0.005, 0.1), bZero: zeroArb, yScale: scaleArb(0.01, 0.5), yZero: zeroArb,
  dims: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
  ones: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), drop: fc.integer({ min: 0, max: 4 }), swap: fc.boolean(),
  constant: fc.constantFrom("none", "none", "a", "b"), seed,
});
type Binary = typeof binary extends fc.Arbitrary<infer T> ? T : never;

function binaryShapes(c: Binary): [number[], number[]] {
  const other = c.dims.map((d, i) => (c.ones[i] ? 1 : d)).slice(Math.min(c.drop, c.dims.length - 1));
  return c.swap ? [other, c.dims] : [c.dims, other];
}

function qlinearBinary(op: "QLinearAdd" | "QLinearMul") {
  return (b: OnnxGraphBuilder, c: Binary, p: (name: string) => string) => {
    const random = rng(c.seed);
    const [aDims, bDims] = binaryShapes(c);
    const feeds: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
    // Each operand: quantized from a float input, or (one of them) constant codes with their parameters.
    const operand = (x: "a" | "b", dims: number[], scale: number, zero: number): string => {
      if (c.constant !== x) {
        feeds[p(x)] = { data: floatData(random, dims, scale), dims };
        return quantizedInput(b, p, x, dims, c.type, scale, zero);
      }
      b.initializer(p(`${x}_s`), { type: "float32", dims: [], data: [scale] })
        .initializer(p(`${x}_z`), { type: c.type, dims: [], data: [fileZero(c.type, zero)] })
        .initializer(p(`${x}_q`), { type: c.type, dims, data: Array.from({ length: dims.reduce((n, d) => n * d, 1) }, () => fileZero(c.type, Math.floor(random() * 256) - 128)) });
      return p(`${x}_q`);
    };
    const aq = operand("a", aDims, c.aScale, c.aZero);
    const bq = operand("b", bDims, c.bScale, c.bZero);
    outputParams(b, p, c.type, c.yScale, c.yZero);
    b.node(op, [aq, p("a_s"), p("a_z"), bq, p("b_s"), p("b_z"), p("ys"), p("yz")], [p("y")], {}, { domain: "com.microsoft" });
    return { feeds, outputs: [{ name: p("y"), unit: 1 }] };
  };
}

differentialSuite("com.microsoft QLinearAdd", binary, qlinearBinary("QLinearAdd"), { casesPerRun: 50, runs: 10, defaultMode: "within one" });
differentialSuite("com.microsoft QLinearMul", binary, qlinearBinary("QLinearMul"), { casesPerRun: 50, runs: 10, defaultMode: "within one" });

const pool = fc.record({
  type: quantType, aScale: scaleArb(0.005, 0.1), aZero: zeroArb, yScale: scaleArb(0.005, 0.2), yZero: zeroArb,
  n: fc.integer({ min: 1, max: 2 }), ch: fc.integer({ min: 1, max: 20 }), h: fc.integer({ min: 1, max: 8 }), w: fc.integer({ min: 1, max: 8 }), seed,
});

differentialSuite("com.microsoft QLinearGlobalAveragePool", pool, (b, c, p) => {
  const dims = [c.n, c.ch, c.h, c.w];
  const aq = quantizedInput(b, p, "a", dims, c.type, c.aScale, c.aZero);
  outputParams(b, p, c.type, c.yScale, c.yZero);
  b.node("QLinearGlobalAveragePool", [aq, p("a_s"), p("a_z"), p("ys"), p("yz")], [p("y")], { channels_last: attr.int(0) }, { domain: "com.microsoft" });
  return { feeds: { [p("a")]: { data: floatData(rng(c.seed), dims, c.aScale), dims } }, outputs: [{ name: p("y"), unit: 1 }] };
}, { casesPerRun: 50, runs: 10, defaultMode: "within one" });
