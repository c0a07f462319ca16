// QuantizeLinear and DequantizeLinear (per tensor and per axis, int8 and uint8) and
// DynamicQuantizeLinear against ONNX Runtime: no requantization, so both modes are bit-exact.
import { fc } from "@fast-check/vitest";
import { attr } from "../../src/onnx/builder.js";
import { differentialSuite, elementCount, fileZero, quantType, rng, scaleArb, zeroArb } from "./differential.js";

const dimsArb = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 });

/** Float values around the codes of `scale`, a quarter of them exactly halfway between two codes. */
function valuesAround(random: () => number, count: number, scale: number): Float32Array {
  return Float32Array.from({ length: count }, () => {
    const code = Math.floor((random() - 0.5) * 300);
    return random() < 0.25 ? (code + 0.5) * scale : (code + random()) * scale;
  });
}

const perTensor = fc.record({ type: quantType, dims: dimsArb, scale: scaleArb(0.002, 0.5), zero: zeroArb, seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }) });

differentialSuite("QuantizeLinear -> DequantizeLinear per tensor", perTensor, (b, c, p) => {
  b.input(p("x"), "float32", c.dims).output(p("q"), c.type, undefined).output(p("y"), "float32", undefined)
    .initializer(p("s"), { type: "float32", dims: [], data: [c.scale] })
    .initializer(p("z"), { type: c.type, dims: [], data: [fileZero(c.type, c.zero)] })
    .node("QuantizeLinear", [p("x"), p("s"), p("z")], [p("q")])
    .node("DequantizeLinear", [p("q"), p("s"), p("z")], [p("y")]);
  const x = valuesAround(rng(c.seed), elementCount(c.dims), Math.fround(c.scale));
  return { feeds: { [p("x")]: { data: x, dims: c.dims } }, outputs: [{ name: p("q"), unit: 1 }, { name: p("y"), unit: 0 }] };
}, { casesPerRun: 50, runs: 10, defaultMode: "exact" });

const perAxis = fc.record({
  type: quantType,
  dims: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
  axisPick: fc.nat(),
  scales: fc.array(scaleArb(0.002, 0.5), { minLength: 6, maxLength: 6 }),
  zeros: fc.array(zeroArb, { minLength: 6, maxLength: 6 }),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});

differentialSuite("QuantizeLinear -> DequantizeLinear per axis", perAxis, (b, c, p) => {
  const axis = c.axisPick % c.dims.length;
  const length = c.dims[axis];
  const scales = c.scales.slice(0, length);
  b.input(p("x"), "float32", c.dims).output(p("q"), c.type, undefined).output(p("y"), "float32", undefined)
    .initializer(p("s"), { type: "float32", dims: [length], data: scales })
    .initializer(p("z"), { type: c.type, dims: [length], data: c.zeros.slice(0, length).map((z) => fileZero(c.type, z)) })
    .node("QuantizeLinear", [p("x"), p("s"), p("z")], [p("q")], { axis: attr.int(axis - c.dims.length * (c.seed % 2)) })
    .node("DequantizeLinear", [p("q"), p("s"), p("z")], [p("y")], { axis: attr.int(axis) });
  const x = valuesAround(rng(c.seed), elementCount(c.dims), Math.min(...scales.map(Math.fround)));
  return { feeds: { [p("x")]: { data: x, dims: c.dims } }, outputs: [{ name: p("q"), unit: 1 }, { name: p("y"), unit: 0 }] };
}, { casesPerRun: 50, runs: 10, defaultMode: "exact" });

const dynamic = fc.record({
  dims: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 3 }),
  // Hundredths: a range below 255 float32 subnormals makes ONNX Runtime's scale underflow to 0
  // and its zero point 0/0 (undefined behaviour in its C++), so bounds stay off the subnormals.
  low: fc.integer({ min: -2000, max: 500 }).map((v) => v / 100),
  span: fc.integer({ min: 0, max: 4000 }).map((v) => v / 100),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});

differentialSuite("DynamicQuantizeLinear", dynamic, (b, c, p) => {
  b.input(p("x"), "float32", c.dims).output(p("q"), "uint8", undefined).output(p("s"), "float32", undefined).output(p("z"), "uint8", undefined)
    .node("DynamicQuantizeLinear", [p("x")], [p("q"), p("s"), p("z")]);
  const random = rng(c.seed);
  const x = Float32Array.from({ length: elementCount(c.dims) }, () => c.low + random() * c.span);
  return { feeds: { [p("x")]: { data: x, dims: c.dims } }, outputs: [{ name: p("q"), unit: 1 }, { name: p("s"), unit: 0 }, { name: p("z"), unit: 1 }] };
}, { casesPerRun: 50, runs: 10, defaultMode: "exact" });

// ONNX Runtime's dynamically quantized MatMul: with int8 weights (zero point 0) our lowering fuses
// the chain into one int8 GEMM step; with uint8 weights (its older default, zero point not 0) the
// graph runs node by node, A's zero point coming from DynamicQuantizeLinear at run time. All exact
// or fp32 as ONNX Runtime computes it.
const dynamicMatMul = fc.record({
  M: fc.integer({ min: 1, max: 6 }), K: fc.integer({ min: 1, max: 24 }), N: fc.integer({ min: 1, max: 8 }),
  int8Weights: fc.boolean(), wZero: fc.integer({ min: 0, max: 255 }), perColumn: fc.boolean(), withBias: fc.boolean(), seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});

differentialSuite("DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul -> Add", dynamicMatMul, (b, c, p) => {
  const random = rng(c.seed);
  const columns = c.perColumn ? c.N : 1;
  const wType = c.int8Weights ? "int8" : "uint8";
  b.input(p("x"), "float32", [c.M, c.K]).output(p("y"), "float32", undefined)
    .initializer(p("w"), { type: wType, dims: [c.K, c.N], data: Array.from({ length: c.K * c.N }, () => Math.floor(random() * 256) - (c.int8Weights ? 128 : 0)) })
    .initializer(p("wz"), { type: wType, dims: c.perColumn ? [c.N] : [], data: Array.from({ length: columns }, (_, i) => (c.int8Weights ? 0 : i === 0 ? c.wZero : Math.floor(random() * 256))) })
    .initializer(p("ws"), { type: "float32", dims: c.perColumn ? [c.N] : [], data: Array.from({ length: columns }, () => 0.001 + random() * 0.01) })
    .initializer(p("bias"), { type: "float32", dims: [c.N], data: Array.from({ length: c.N }, () => random() - 0.5) })
    .node("DynamicQuantizeLinear", [p("x")], [p("xq"), p("xs"), p("xz")])
    .node("MatMulInteger", [p("xq"), p("w"), p("xz"), p("wz")], [p("acc")])
    .node("Cast", [p("acc")], [p("accf")], { to: attr.int(1) })
    .node("Mul", [p("xs"), p("ws")], [p("scale")])
    .node("Mul", [p("accf"), p("scale")], [c.withBias ? p("product") : p("y")]);
  if (c.withBias) b.node("Add", [p("product"), p("bias")], [p("y")]);
  const x = Float32Array.from({ length: c.M * c.K }, () => (random() - 0.3) * 8);
  return { feeds: { [p("x")]: { data: x, dims: [c.M, c.K] } }, outputs: [{ name: p("y"), unit: 0 }] };
}, { casesPerRun: 25, runs: 20, defaultMode: "exact" });
