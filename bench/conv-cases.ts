// The convolution layers of the shipped models as kernel benchmark cases: every Conv node of
// models/*.onnx with its input shape at a given batch, distinct shapes once, timed with our int8
// kernel (the kind a session picks) and our fp32 SIMD kernel on the same values. Node only (it
// reads the model files).
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { WasmArena } from "../src/kernels/arena.js";
import { f32Conv2d, f32Conv2dScratchSize, packF32Conv2d } from "../src/kernels/f32-conv.js";
import { packQs8Conv2d, qs8Conv2d, qs8Conv2dScratchSize } from "../src/kernels/qs8-conv.js";
import { conv2dOutputHW, type Conv2dShape } from "../src/kernels/shapes.js";
import { readOnnxModel } from "../src/onnx/reader.js";
import { conv2dShape } from "../src/runtime/ops/conv.js";
import { measure } from "./measure.js";

export interface ConvCase {
  /** "<model> <node>", e.g. "resnet stage1.block1.conv1", and the batch. */
  readonly label: string;
  readonly shape: Conv2dShape;
}

/** The distinct Conv layers of the ONNX files at `batch` (a layer whose shape came before is skipped). */
export function modelConvCases(files: readonly string[], batch: number): ConvCase[] {
  const cases: ConvCase[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const graph = readOnnxModel(new Uint8Array(readFileSync(file)));
    for (const node of graph.nodes.filter((n) => n.opType === "Conv" && n.domain === "")) {
      const inputDims = graph.values.get(node.inputs[0])?.shape;
      const weightDims = graph.values.get(node.inputs[1])?.shape;
      if (!inputDims || !weightDims || !weightDims.every((d) => typeof d === "number")) continue;
      const shape = conv2dShape(node, [batch, ...inputDims.slice(1).map(Number)], weightDims as number[]);
      const key = JSON.stringify(shape);
      if (seen.has(key)) continue;
      seen.add(key);
      cases.push({ label: `${basename(file, ".onnx")} ${node.name} b${batch}`, shape });
    }
  }
  return cases;
}

/** Seeded int8 values in [-127, 127]. */
function randomInt8(length: number, seed: number): Int8Array {
  let state = seed;
  return Int8Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return ((state >>> 16) % 255) - 127;
  });
}

function convMacs(shape: Conv2dShape): number {
  const { outH, outW } = conv2dOutputHW(shape);
  return shape.batch * outH * outW * shape.outC * (shape.inC / shape.groups) * shape.kernelH * shape.kernelW;
}

function gops(shape: Conv2dShape, medianMs: number): number {
  return (2 * convMacs(shape)) / (medianMs * 1e6);
}

/** A case's OIHW weights and NHWC input; the fp32 kernel runs on the same values / 127. */
function convData({ shape }: ConvCase): { weights: Int8Array; input: Int8Array } {
  const weightCount = shape.outC * (shape.inC / shape.groups) * shape.kernelH * shape.kernelW;
  return { weights: randomInt8(weightCount, 3), input: randomInt8(shape.batch * shape.inH * shape.inW * shape.inC, 4) };
}

/** GOP/s of our int8 convolution (the kernel kind packQs8Conv2d picks, as a session would). */
export function timeQs8Conv(arena: WasmArena, conv: ConvCase, maxTime: number): number {
  const { shape } = conv;
  const { weights, input } = convData(conv);
  const { outH, outW } = conv2dOutputHW(shape);
  const mark = arena.mark();
  try {
    const packed = packQs8Conv2d(arena, {
      weights, outC: shape.outC, inCPerGroup: shape.inC / shape.groups, kernelH: shape.kernelH, kernelW: shape.kernelW,
      groups: shape.groups, bias: new Int32Array(shape.outC), inputZeroPoint: -3,
      multiplier: new Int32Array(shape.outC).fill(1 << 30), shift: new Int32Array(shape.outC).fill(-10),
      outputZeroPoint: 0, qmin: -128, qmax: 127,
    });
    const inputBuffer = arena.from("int8", input);
    const output = arena.alloc("int8", shape.batch * outH * outW * shape.outC);
    const scratch = arena.alloc("int8", qs8Conv2dScratchSize(packed, shape));
    const { kernels } = arena;
    return gops(shape, measure("int8 conv", () => qs8Conv2d(kernels, packed, shape, inputBuffer, output, scratch), { maxTime }).medianMs);
  } finally {
    arena.release(mark);
  }
}

/** GOP/s of our fp32 SIMD convolution on the same case. */
export function timeF32Conv(arena: WasmArena, conv: ConvCase, maxTime: number): number {
  const { shape } = conv;
  const { weights, input } = convData(conv);
  const { outH, outW } = conv2dOutputHW(shape);
  const toF32 = (values: Int8Array) => Float32Array.from(values, (v) => v / 127);
  const mark = arena.mark();
  try {
    const packed = packF32Conv2d(arena, {
      weights: toF32(weights), outC: shape.outC, inCPerGroup: shape.inC / shape.groups, kernelH: shape.kernelH,
      kernelW: shape.kernelW, groups: shape.groups, bias: null,
    });
    const inputBuffer = arena.from("float32", toF32(input));
    const output = arena.alloc("float32", shape.batch * outH * outW * shape.outC);
    const scratchLength = f32Conv2dScratchSize(packed, shape);
    const scratch = scratchLength > 0 ? arena.alloc("float32", scratchLength) : null;
    const { kernels } = arena;
    return gops(shape, measure("fp32 conv", () => f32Conv2d(kernels, packed, shape, inputBuffer, output, scratch), { maxTime }).medianMs);
  } finally {
    arena.release(mark);
  }
}
