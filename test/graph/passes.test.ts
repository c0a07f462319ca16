import { describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import { OnnxGraphBuilder, attr, type AttributeValue, type TensorValue } from "../../src/onnx/builder.js";
import { readOnnxModel } from "../../src/onnx/reader.js";
import { cloneGraph, type Graph } from "../../src/graph/ir.js";
import {
  PASSES,
  activationFusion,
  batchNormFolding,
  constantFolding,
  deadNodeRemoval,
  gemmNormalisation,
  identityElimination,
  isCanonicalGemm,
  optimizeGraph,
} from "../../src/graph/passes/index.js";
import { runReference, type RefTensor } from "../../src/reference/interpreter.js";
import { InvalidArgumentError } from "../../src/errors.js";
import { expectClose, randomFloats, read, richModel } from "../helpers/graphs.js";

const floats = (dims: number[], seed: number): TensorValue => ({ type: "float32", dims, data: randomFloats(dims.reduce((a, b) => a * b, 1), seed) });
const positive = (n: number, seed: number): TensorValue => ({ type: "float32", dims: [n], data: Array.from(randomFloats(n, seed), (v) => 0.1 + Math.abs(v) * 2) });
const input = (dims: number[], seed: number): RefTensor => ({ data: randomFloats(dims.reduce((a, b) => a * b, 1), seed), dims });
const opTypes = (graph: Graph) => graph.nodes.map((n) => n.opType);

function addBatchNorm(b: OnnxGraphBuilder, x: string, channels: number, seed: number, output: string): OnnxGraphBuilder {
  return b
    .initializer("bn_scale", floats([channels], seed + 1))
    .initializer("bn_bias", floats([channels], seed + 2))
    .initializer("bn_mean", floats([channels], seed + 3))
    .initializer("bn_var", positive(channels, seed + 4))
    .node("BatchNormalization", [x, "bn_scale", "bn_bias", "bn_mean", "bn_var"], [output], { epsilon: attr.float(1e-3) });
}

/** Runs both graphs on the same random inputs and compares every output. */
function expectSameOutputs(before: Graph, after: Graph, inputs: Record<string, RefTensor>, relative = 1e-5): void {
  const expected = runReference(before, inputs);
  const actual = runReference(after, inputs);
  for (const name of before.outputs) {
    expect(actual[name].dims).toEqual(expected[name].dims);
    expectClose(actual[name].data, expected[name].data, relative);
  }
}

const convCase = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  groups: fc.integer({ min: 1, max: 3 }),
  depthwise: fc.boolean(),
  inPerGroup: fc.integer({ min: 1, max: 3 }),
  outPerGroup: fc.integer({ min: 1, max: 3 }),
  kernel: fc.integer({ min: 1, max: 3 }),
  stride: fc.integer({ min: 1, max: 2 }),
  pad: fc.integer({ min: 0, max: 2 }),
  size: fc.integer({ min: 3, max: 6 }),
  bias: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1 << 20 }),
});
type ConvCase = typeof convCase extends fc.Arbitrary<infer T> ? T : never;

function convModel(c: ConvCase, opset = 13): { builder: OnnxGraphBuilder; inputs: Record<string, RefTensor>; channels: number } {
  const inPerGroup = c.depthwise ? 1 : c.inPerGroup;
  const inChannels = c.groups * inPerGroup;
  const channels = c.groups * c.outPerGroup;
  const builder = new OnnxGraphBuilder("conv", opset)
    .input("x", "float32", ["N", inChannels, c.size, c.size])
    .initializer("w", floats([channels, inPerGroup, c.kernel, c.kernel], c.seed));
  if (c.bias) builder.initializer("b", floats([channels], c.seed + 9));
  builder.node("Conv", ["x", "w", ...(c.bias ? ["b"] : [])], ["conv"], {
    group: attr.int(c.groups),
    strides: attr.ints([c.stride, c.stride]),
    pads: attr.ints([c.pad, c.pad, c.pad, c.pad]),
  });
  return { builder, inputs: { x: input([c.batch, inChannels, c.size, c.size], c.seed + 7) }, channels };
}

const gemmCase = fc.record({
  m: fc.integer({ min: 1, max: 3 }),
  k: fc.integer({ min: 1, max: 5 }),
  n: fc.integer({ min: 1, max: 4 }),
  transB: fc.boolean(),
  c: fc.constantFrom("none", "scalar", "row", "matrix", "column"),
  alpha: fc.constantFrom(1, 0.5, -2),
  beta: fc.constantFrom(1, 0.25, 0),
  seed: fc.integer({ min: 0, max: 1 << 20 }),
});
type GemmCase = typeof gemmCase extends fc.Arbitrary<infer T> ? T : never;

function gemmModel(g: GemmCase): { builder: OnnxGraphBuilder; inputs: Record<string, RefTensor> } {
  const cDims = { none: undefined, scalar: [], row: [g.n], matrix: [g.m, g.n], column: [g.m, 1] }[g.c];
  const builder = new OnnxGraphBuilder("gemm", 13)
    .input("a", "float32", [g.m, g.k])
    .initializer("B", floats(g.transB ? [g.n, g.k] : [g.k, g.n], g.seed));
  if (cDims) builder.initializer("C", floats(cDims, g.seed + 1));
  builder.node("Gemm", ["a", "B", ...(cDims ? ["C"] : [])], ["gemm"], {
    transB: attr.int(g.transB ? 1 : 0),
    alpha: attr.float(g.alpha),
    beta: attr.float(g.beta),
  });
  return { builder, inputs: { a: input([g.m, g.k], g.seed + 2) } };
}

describe("batchnorm-folding", () => {
  test.prop([convCase], { numRuns: 150 })("Conv + BatchNormalization: same outputs, no BN", (c) => {
    const { builder, inputs, channels } = convModel(c);
    const before = read(addBatchNorm(builder, "conv", channels, c.seed, "y").output("y", "float32", undefined));
    const after = batchNormFolding(before);
    expect(opTypes(after)).toEqual(["Conv"]);
    expect(after.nodes[0].outputs).toEqual(["y"]);
    expect([...after.values.keys()].some((name) => name.startsWith("bn_"))).toBe(false);
    expectSameOutputs(before, after, inputs);
  });

  test.prop([gemmCase], { numRuns: 150 })("Gemm + BatchNormalization: same outputs, no BN", (g) => {
    const { builder, inputs } = gemmModel(g);
    const before = read(addBatchNorm(builder, "gemm", g.n, g.seed, "y").output("y", "float32", undefined));
    const after = batchNormFolding(before);
    expect(opTypes(after)).toEqual(["Gemm"]);
    expectSameOutputs(before, after, inputs);
  });

  test("a Conv read by something besides the BN is not folded", () => {
    const { builder, channels } = convModel({ batch: 1, groups: 1, depthwise: false, inPerGroup: 2, outPerGroup: 2, kernel: 1, stride: 1, pad: 0, size: 3, bias: false, seed: 1 });
    const graph = read(addBatchNorm(builder, "conv", channels, 1, "y").output("y", "float32", undefined).output("conv", "float32", undefined));
    expect(opTypes(batchNormFolding(graph))).toEqual(["Conv", "BatchNormalization"]);
  });
});

describe("activation-fusion", () => {
  const activations = fc.constantFrom("relu", "relu6", "clip", "clip-attributes");

  function addActivation(b: OnnxGraphBuilder, x: string, kind: string): OnnxGraphBuilder {
    if (kind === "relu") return b.node("Relu", [x], ["y"]);
    if (kind === "clip-attributes") return b.node("Clip", [x], ["y"], { min: attr.float(-0.5), max: attr.float(0.75) });
    const [lo, hi] = kind === "relu6" ? [0, 6] : [-0.25, 0.5];
    return b.initializer("lo", { type: "float32", dims: [], data: [lo] }).initializer("hi", { type: "float32", dims: [], data: [hi] }).node("Clip", [x, "lo", "hi"], ["y"]);
  }

  test.prop([convCase, activations], { numRuns: 100 })("Conv + Relu/Clip", (c, kind) => {
    const { builder, inputs } = convModel(c, kind === "clip-attributes" ? 10 : 13);
    const before = read(addActivation(builder, "conv", kind).output("y", "float32", undefined));
    const after = activationFusion(before);
    expect(opTypes(after)).toEqual(["Conv"]);
    expect(after.nodes[0].activation).toEqual(
      { relu: { min: 0, max: Infinity }, relu6: { min: 0, max: 6 }, clip: { min: -0.25, max: 0.5 }, "clip-attributes": { min: -0.5, max: 0.75 } }[kind],
    );
    expect(after.values.has("lo")).toBe(false);
    expectSameOutputs(before, after, inputs);
  });

  test.prop([gemmCase, activations], { numRuns: 100 })("Gemm + Relu/Clip", (g, kind) => {
    fc.pre(kind !== "clip-attributes");
    const { builder, inputs } = gemmModel(g);
    const before = read(addActivation(builder, "gemm", kind).output("y", "float32", undefined));
    const after = activationFusion(before);
    expect(opTypes(after)).toEqual(["Gemm"]);
    expectSameOutputs(before, after, inputs);
  });

  test("Relu then Clip compose; a Clip with computed bounds is not fused", () => {
    const graph = read(
      new OnnxGraphBuilder("a", 13)
        .input("x", "float32", [1, 2])
        .input("hi", "float32", [])
        .initializer("w", floats([2, 2], 1))
        .initializer("lo", { type: "float32", dims: [], data: [-1] })
        .initializer("six", { type: "float32", dims: [], data: [6] })
        .node("Gemm", ["x", "w"], ["g"])
        .node("Relu", ["g"], ["r"])
        .node("Clip", ["r", "lo", "six"], ["c"])
        .node("Gemm", ["c", "w"], ["g2"])
        .node("Clip", ["g2", "lo", "hi"], ["y"])
        .output("y", "float32", [1, 2]),
    );
    const fused = activationFusion(graph);
    expect(opTypes(fused)).toEqual(["Gemm", "Gemm", "Clip"]);
    expect(fused.nodes[0].activation).toEqual({ min: 0, max: 6 });
    expect(fused.nodes[1].activation).toBeUndefined();
  });
});

describe("constant-folding", () => {
  test("chains of constant nodes collapse into one constant", () => {
    const before = read(
      new OnnxGraphBuilder("c", 13)
        .input("x", "float32", ["N", 6])
        .initializer("w", floats([3, 2], 1))
        .initializer("bias", floats([3], 2))
        .initializer("shape", { type: "int64", dims: [2], data: [1, 6] })
        .initializer("q", { type: "int8", dims: [6], data: [1, 2, 3, 4, 5, 6] })
        .initializer("s", { type: "float32", dims: [], data: [0.5] })
        .node("Transpose", ["w"], ["wt"])
        .node("Add", ["wt", "bias"], ["wb"])
        .node("Reshape", ["wb", "shape"], ["r"])
        .node("Add", ["x", "r"], ["xr"])
        .node("DequantizeLinear", ["q", "s"], ["dq"])
        .node("Add", ["xr", "dq"], ["y"])
        .output("y", "float32", ["N", 6]),
    );
    const after = constantFolding(before);
    expect(opTypes(after)).toEqual(["Add", "DequantizeLinear", "Add"]);
    expect(after.values.get("r")).toMatchObject({ shape: [1, 6] });
    for (const gone of ["w", "bias", "shape", "wt", "wb"]) expect(after.values.has(gone)).toBe(false);
    expectSameOutputs(before, after, { x: input([3, 6], 5) }, 0);
  });
});

describe("identity-elimination", () => {
  test("Identity and Dropout disappear; an output name is kept by renaming its producer", () => {
    const before = read(
      new OnnxGraphBuilder("i", 13)
        .input("x", "float32", [2, 3])
        .node("Relu", ["x"], ["a"])
        .node("Identity", ["a"], ["b"])
        .node("Dropout", ["b"], ["c"])
        .node("Relu", ["c"], ["d"])
        .node("Identity", ["d"], ["y"])
        .node("Identity", ["x"], ["passthrough"])
        .output("y", "float32", [2, 3])
        .output("passthrough", "float32", [2, 3]),
    );
    const after = identityElimination(before);
    expect(opTypes(after)).toEqual(["Relu", "Relu", "Identity"]);
    expect(after.nodes[1]).toMatchObject({ inputs: ["a"], outputs: ["y"] });
    expect(after.values.has("b") || after.values.has("c") || after.values.has("d")).toBe(false);
    expectSameOutputs(before, after, { x: input([2, 3], 3) }, 0);
  });
});

describe("dead-node-removal", () => {
  test("nodes and constants that reach no output go; graph inputs stay", () => {
    const before = read(
      new OnnxGraphBuilder("d", 13)
        .input("x", "float32", [2])
        .input("unused", "float32", [2])
        .initializer("k", floats([2], 1))
        .node("Relu", ["x"], ["y"])
        .node("Add", ["x", "k"], ["dead"])
        .node("Relu", ["dead"], ["dead2"])
        .output("y", "float32", [2]),
    );
    const after = deadNodeRemoval(before);
    expect(opTypes(after)).toEqual(["Relu"]);
    expect([...after.values.keys()].sort()).toEqual(["unused", "x", "y"]);
    expect(after.inputs).toEqual(["x", "unused"]);
  });
});

describe("gemm-normalisation", () => {
  test.prop([gemmCase], { numRuns: 150 })("any Gemm with constant B becomes canonical with the same outputs", (g) => {
    const { builder, inputs } = gemmModel(g);
    const before = read(builder.output("gemm", "float32", undefined));
    const after = gemmNormalisation(before);
    const gemm = after.nodes[0];
    const cVariesByRow = (g.c === "matrix" || g.c === "column") && g.m > 1 && g.beta !== 0;
    expect(isCanonicalGemm(after, gemm)).toBe(!cVariesByRow);
    expect(after.values.get(gemm.inputs[1])!.shape).toEqual([g.n, g.k]);
    expectSameOutputs(before, after, inputs);
  });

  test.prop([fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.boolean(), fc.integer()])(
    "MatMul + Add of a [N] constant becomes one canonical Gemm",
    (k, n, biasFirst, rowBias, seed) => {
      const bias = floats(rowBias ? [1, n] : [n], seed + 1);
      const before = read(
        new OnnxGraphBuilder("m", 13)
          .input("x", "float32", ["N", k])
          .initializer("W", floats([k, n], seed))
          .initializer("bias", bias)
          .node("MatMul", ["x", "W"], ["mm"])
          .node("Add", biasFirst ? ["bias", "mm"] : ["mm", "bias"], ["y"])
          .output("y", "float32", ["N", n]),
      );
      const after = gemmNormalisation(before);
      expect(opTypes(after)).toEqual(["Gemm"]);
      expect(isCanonicalGemm(after, after.nodes[0])).toBe(true);
      expect(after.nodes[0].outputs).toEqual(["y"]);
      expect(after.values.has("W") || after.values.has("mm") || after.values.has("bias")).toBe(false);
      expectSameOutputs(before, after, { x: input([3, k], seed + 2) });
    },
  );

  test("MatMul without a 2-D input or constant weights stays", () => {
    const graph = read(
      new OnnxGraphBuilder("m", 13)
        .input("x", "float32", [2, 3, 4])
        .input("v", "float32", [4, 4])
        .initializer("W", floats([4, 5], 1))
        .node("MatMul", ["x", "W"], ["a"])
        .node("MatMul", ["v", "v"], ["b"])
        .output("a", "float32", [2, 3, 5])
        .output("b", "float32", [4, 4]),
    );
    expect(opTypes(gemmNormalisation(graph))).toEqual(["MatMul", "MatMul"]);
  });
});

describe("the pipeline", () => {
  const model = () => readOnnxModel(richModel().toBytes());

  test("level all: same outputs, only canonical Gemm, no BN/Identity/Dropout/MatMul, fused activations", () => {
    const before = model();
    const after = optimizeGraph(before, { level: "all" });
    const ops = opTypes(after);
    for (const gone of ["BatchNormalization", "Identity", "Dropout", "MatMul", "Relu"]) expect(ops).not.toContain(gone);
    expect(after.nodes.filter((n) => n.opType === "Gemm").every((n) => isCanonicalGemm(after, n))).toBe(true);
    expect(after.nodes.find((n) => n.outputs.includes("r1"))?.activation).toEqual({ min: 0, max: Infinity });
    expect(after.nodes.length).toBeLessThan(before.nodes.length);
    expectSameOutputs(before, after, { x: input([2, 3, 8, 8], 11) });
  });

  test("level basic and skip", () => {
    const before = model();
    const basic = optimizeGraph(before, { level: "basic" });
    expect(opTypes(basic)).toContain("BatchNormalization");
    expect(opTypes(basic)).not.toContain("Identity");
    const skipped = optimizeGraph(before, { level: "all", skip: ["batchnorm-folding"] });
    expect(opTypes(skipped)).toContain("BatchNormalization");
    const disabled = optimizeGraph(before, { level: "disabled" });
    expect(disabled).toEqual(before);
    expect(disabled).not.toBe(before);
    expect(() => optimizeGraph(before, { level: "all", skip: ["no-such-pass"] })).toThrow(InvalidArgumentError);
    expect(() => optimizeGraph(before, { level: "most" as "all" })).toThrow(InvalidArgumentError);
  });

  test("no pass changes the graph it is given", () => {
    const graph = model();
    const snapshot = cloneGraph(graph);
    for (const pass of Object.values(PASSES)) {
      pass(graph);
      expect(graph).toEqual(snapshot);
    }
    optimizeGraph(graph, { level: "all" });
    expect(graph).toEqual(snapshot);
  });

  test.prop([convCase], { numRuns: 40 })("Conv + BN + Relu models: the whole pipeline changes no output", (c) => {
    const { builder, inputs, channels } = convModel(c);
    const attributes: Record<string, AttributeValue> = {};
    const before = read(addBatchNorm(builder, "conv", channels, c.seed, "bn").node("Relu", ["bn"], ["relu"], attributes).node("Identity", ["relu"], ["y"]).output("y", "float32", undefined));
    const snapshot = cloneGraph(before);
    const after = optimizeGraph(before, { level: "all" });
    expect(opTypes(after)).toEqual(["Conv"]);
    expect(before).toEqual(snapshot);
    expectSameOutputs(before, after, inputs);
  });
});
