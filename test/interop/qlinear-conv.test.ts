// QLinearConv and ConvInteger against ONNX Runtime (random shapes, strides, padding, groups,
// int8/uint8 activations, per-tensor/per-channel weight scales, bias): see differential.ts.
import { fc } from "@fast-check/vitest";
import { attr } from "../../src/onnx/builder.js";
import { differentialSuite, elementCount, fileZero, floatData, quantizedInput, quantType, rng, scaleArb, zeroArb } from "./differential.js";

const geometry = {
  batch: fc.integer({ min: 1, max: 2 }),
  groups: fc.constantFrom(1, 1, 2),
  inPerGroup: fc.integer({ min: 1, max: 4 }),
  outPerGroup: fc.integer({ min: 1, max: 4 }),
  h: fc.integer({ min: 3, max: 8 }),
  w: fc.integer({ min: 3, max: 8 }),
  kernel: fc.constantFrom(1, 2, 3),
  stride: fc.constantFrom(1, 2),
  dilation: fc.constantFrom(1, 1, 2),
  pads: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 4, maxLength: 4 }),
  type: quantType,
  xScale: scaleArb(0.005, 0.1),
  xZero: zeroArb,
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
};

type Geometry = { batch: number; groups: number; inPerGroup: number; outPerGroup: number; h: number; w: number; kernel: number; stride: number; dilation: number; pads: number[] };

function convAttributes(c: Geometry) {
  return {
    kernel_shape: attr.ints([c.kernel, c.kernel]),
    strides: attr.ints([c.stride, c.stride]),
    dilations: attr.ints([c.dilation, c.dilation]),
    pads: attr.ints(c.pads),
    group: attr.int(c.groups),
  };
}

/** The input grown until the dilated kernel fits. */
function inputDims(c: Geometry): number[] {
  const span = c.dilation * (c.kernel - 1) + 1;
  return [c.batch, c.groups * c.inPerGroup, Math.max(c.h, span), Math.max(c.w, span)];
}

const qlinearConv = fc.record({ ...geometry, yScale: scaleArb(0.01, 0.5), yZero: zeroArb, perChannel: fc.boolean(), withBias: fc.boolean() });

differentialSuite("QLinearConv", qlinearConv, (b, c, p) => {
  const random = rng(c.seed);
  const dims = inputDims(c);
  const outC = c.groups * c.outPerGroup;
  const weights = Int8Array.from({ length: outC * c.inPerGroup * c.kernel * c.kernel }, () => Math.floor(random() * 255) - 127);
  const wScales = Float32Array.from({ length: c.perChannel ? outC : 1 }, () => 0.002 + random() * 0.02);
  const xq = quantizedInput(b, p, "x", dims, c.type, c.xScale, c.xZero);
  b.output(p("y"), c.type, undefined)
    .initializer(p("w"), { type: "int8", dims: [outC, c.inPerGroup, c.kernel, c.kernel], data: weights })
    .initializer(p("ws"), { type: "float32", dims: c.perChannel ? [outC] : [], data: wScales })
    .initializer(p("wz"), { type: "int8", dims: c.perChannel ? [outC] : [], data: new Int8Array(wScales.length) })
    .initializer(p("ys"), { type: "float32", dims: [], data: [c.yScale] })
    .initializer(p("yz"), { type: c.type, dims: [], data: [fileZero(c.type, c.yZero)] })
    .initializer(p("B"), { type: "int32", dims: [outC], data: Int32Array.from({ length: outC }, () => Math.floor((random() - 0.5) * 4000)) })
    .node("QLinearConv", [xq, p("x_s"), p("x_z"), p("w"), p("ws"), p("wz"), p("ys"), p("yz"), ...(c.withBias ? [p("B")] : [])], [p("y")], convAttributes(c));
  return { feeds: { [p("x")]: { data: floatData(random, dims, c.xScale), dims } }, outputs: [{ name: p("y"), unit: 1 }] };
}, { casesPerRun: 25, runs: 20, defaultMode: "within one" });

const convInteger = fc.record({ ...geometry, wZero: zeroArb });

differentialSuite("ConvInteger", convInteger, (b, c, p) => {
  const random = rng(c.seed);
  const dims = inputDims(c);
  const outC = c.groups * c.outPerGroup;
  const wDims = [outC, c.inPerGroup, c.kernel, c.kernel];
  const weights = Array.from({ length: elementCount(wDims) }, () => fileZero(c.type, Math.floor(random() * 256) - 128));
  const xq = quantizedInput(b, p, "x", dims, c.type, c.xScale, 0);
  b.output(p("y"), "int32", undefined)
    .initializer(p("w"), { type: c.type, dims: wDims, data: weights })
    .initializer(p("xz"), { type: c.type, dims: [], data: [fileZero(c.type, c.xZero)] })
    .initializer(p("wz"), { type: c.type, dims: [], data: [fileZero(c.type, c.wZero)] })
    .node("ConvInteger", [xq, p("w"), p("xz"), p("wz")], [p("y")], convAttributes(c));
  return { feeds: { [p("x")]: { data: floatData(random, dims, c.xScale), dims } }, outputs: [{ name: p("y"), unit: 1 }] };
}, { casesPerRun: 25, runs: 20, defaultMode: "exact" });
