// QDQ patterns whose float op our lowering runs on int8 codes and ONNX Runtime fuses into its
// QLinear operators: DequantizeLinear -> Add (numpy broadcasting) / GlobalAveragePool ->
// QuantizeLinear, int8 and uint8 (see differential.ts). (AveragePool is not among them: ONNX
// Runtime runs it in fp32 with its own summation order, which neither mode reproduces bit for bit.)
import { fc } from "@fast-check/vitest";
import type { OnnxGraphBuilder } from "../../src/onnx/builder.js";
import { differentialSuite, fileZero, floatData, quantizedInput, quantType, rng, scaleArb, zeroArb } from "./differential.js";

const seed = fc.integer({ min: 1, max: 2 ** 31 - 1 });
const params = { type: quantType, aScale: scaleArb(0.005, 0.1), aZero: zeroArb, yScale: scaleArb(0.005, 0.3), yZero: zeroArb, seed };

/** DQ of the codes of float input `x`; returns the float tensor's name. */
function dequantized(b: OnnxGraphBuilder, p: (name: string) => string, x: string, dims: readonly number[], type: "int8" | "uint8", scale: number, zero: number): string {
  const q = quantizedInput(b, p, x, dims, type, scale, zero);
  b.node("DequantizeLinear", [q, p(`${x}_s`), p(`${x}_z`)], [p(`${x}_dq`)]);
  return p(`${x}_dq`);
}

/** QuantizeLinear of float `f` into the case's output codes "y". */
function quantizedOutput(b: OnnxGraphBuilder, p: (name: string) => string, f: string, type: "int8" | "uint8", scale: number, zero: number): void {
  b.output(p("y"), type, undefined)
    .initializer(p("ys"), { type: "float32", dims: [], data: [scale] })
    .initializer(p("yz"), { type, dims: [], data: [fileZero(type, zero)] })
    .node("QuantizeLinear", [f, p("ys"), p("yz")], [p("y")]);
}

const add = fc.record({
  ...params, bScale: scaleArb(0.005, 0.1), bZero: zeroArb,
  dims: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }), ones: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), swap: fc.boolean(),
});

differentialSuite("DequantizeLinear -> Add -> QuantizeLinear", add, (b, c, p) => {
  const random = rng(c.seed);
  const other = c.dims.map((d, i) => (c.ones[i] ? 1 : d));
  const [aDims, bDims] = c.swap ? [other, c.dims] : [c.dims, other];
  const a = dequantized(b, p, "a", aDims, c.type, c.aScale, c.aZero);
  const d = dequantized(b, p, "b", bDims, c.type, c.bScale, c.bZero);
  b.node("Add", [a, d], [p("sum")]);
  quantizedOutput(b, p, p("sum"), c.type, c.yScale, c.yZero);
  return {
    feeds: { [p("a")]: { data: floatData(random, aDims, c.aScale), dims: aDims }, [p("b")]: { data: floatData(random, bDims, c.bScale), dims: bDims } },
    outputs: [{ name: p("y"), unit: 1 }],
  };
}, { casesPerRun: 50, runs: 10, defaultMode: "within one" });

/**
 * The pool's input codes are graph outputs too: ONNX Runtime may otherwise drop a
 * QuantizeLinear -> DequantizeLinear pair in front of a pool and average the unquantized floats.
 */
function pooled(b: OnnxGraphBuilder, p: (name: string) => string, c: { type: "int8" | "uint8"; aScale: number; aZero: number }, dims: readonly number[]): string {
  const q = quantizedInput(b, p, "a", dims, c.type, c.aScale, c.aZero);
  b.output(q, c.type, undefined).node("DequantizeLinear", [q, p("a_s"), p("a_z")], [p("a_dq")]);
  return p("a_dq");
}

/**
 * sameParams: the output keeps the input's (scale, zero point), as quantization tools make pools
 * do, so sums land exactly halfway between codes often; ONNX Runtime's fp32 mean rounds those
 * by its rounding noise, which only the onnx mode follows (checked on its own below).
 */
const pool = fc.record({
  ...params, n: fc.integer({ min: 1, max: 2 }), ch: fc.integer({ min: 1, max: 20 }), h: fc.integer({ min: 1, max: 8 }), w: fc.integer({ min: 1, max: 8 }),
});
type Pool = typeof pool extends fc.Arbitrary<infer T> ? T : never;

function globalPoolCase(sameParams: boolean) {
  return (b: OnnxGraphBuilder, c: Pool, p: (name: string) => string) => {
    const dims = [c.n, c.ch, c.h, c.w];
    b.node("GlobalAveragePool", [pooled(b, p, c, dims)], [p("mean")]);
    quantizedOutput(b, p, p("mean"), c.type, sameParams ? c.aScale : c.yScale, sameParams ? c.aZero : c.yZero);
    return { feeds: { [p("a")]: { data: floatData(rng(c.seed), dims, c.aScale), dims } }, outputs: [{ name: p("y"), unit: 1 }] };
  };
}

differentialSuite("DequantizeLinear -> GlobalAveragePool -> QuantizeLinear", pool, globalPoolCase(false), { casesPerRun: 50, runs: 10, defaultMode: "within one" });
differentialSuite("DequantizeLinear -> GlobalAveragePool -> QuantizeLinear, output (S, Z) = input's", pool, globalPoolCase(true), { casesPerRun: 50, runs: 10, defaultMode: "unchecked" });
