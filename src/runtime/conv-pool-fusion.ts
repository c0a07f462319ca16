// Fuses an int8 Conv with the MaxPool that alone reads its output (Conv -> [ReLU] -> MaxPool, the
// classic small-CNN block) into one step: qs8Conv2dMaxPool reduces each pool window's accumulators
// by max before requantizing once, and the convolution's output is never stored. Exact: the
// requantization is non-decreasing in the accumulator (kernels/qs8-conv.ts, `monotone`).
// Only the fixed-point requantization (ONNX Runtime's float one is not fused) and only what the
// fused kernel does: the few-taps kernel (groups 1, K <= SMALL_CONV_MAX_TAPS) and non-overlapping,
// unpadded pools of at most FUSED_POOL_MAX_PIXELS pixels; prepareConv falls back to two passes when
// the packed weights turn out not to be monotone.
import { attrInt, type Graph, type Node } from "../graph/ir.js";
import { readSpatialAttributes } from "../graph/spatial.js";
import { FUSED_POOL_MAX_PIXELS, SMALL_CONV_MAX_TAPS, type FusedMaxPool } from "../kernels/qs8-conv.js";
import { readersOf, type LoweredGraph, type LoweredStep } from "./lowering.js";

type ConvStep = Extract<LoweredStep, { op: "qlinear" }>;

/** The pool a fused kernel can run for this MaxPool node, or undefined. */
function fusablePool(node: Node): FusedMaxPool | undefined {
  if (node.opType !== "MaxPool" || node.outputs.filter(Boolean).length !== 1) return undefined;
  const spatial = readSpatialAttributes(node, 2);
  const [kernelH, kernelW] = spatial.kernel;
  const nonOverlapping = spatial.strides[0] === kernelH && spatial.strides[1] === kernelW;
  const plain = spatial.dilations.every((d) => d === 1) && spatial.pads.every((p) => p === 0) && spatial.autoPad === "NOTSET" && !spatial.ceilMode;
  const fits = kernelH * kernelW <= FUSED_POOL_MAX_PIXELS && attrInt(node, "storage_order", 0) === 0;
  return nonOverlapping && plain && fits ? { kernelH, kernelW } : undefined;
}

function isSmallConv(step: LoweredStep): step is ConvStep {
  if (step.op !== "qlinear" || step.node.opType !== "Conv" || attrInt(step.node, "group", 1) !== 1) return false;
  const [, inCPerGroup, kernelH, kernelW] = step.weights.dims;
  return step.weights.dims.length === 4 && inCPerGroup * kernelH * kernelW <= SMALL_CONV_MAX_TAPS;
}

/** The lowered graph with each fusable Conv + MaxPool pair of int8 steps replaced by one Conv step. */
export function fuseConvMaxPool(lowered: LoweredGraph, graph: Graph): LoweredGraph {
  const readers = readersOf(lowered.steps);
  const fusedInto = new Map<LoweredStep, ConvStep>();
  const removed = new Set<LoweredStep>();
  for (const step of lowered.steps) {
    if (!isSmallConv(step) || graph.outputs.includes(step.output)) continue;
    const users = readers.get(step.output) ?? [];
    const [pool] = users;
    if (users.length !== 1 || pool.op !== "qpassthrough") continue;
    const window = fusablePool(pool.node);
    if (!window) continue;
    fusedInto.set(step, { ...step, output: pool.output, pool: window });
    removed.add(pool);
  }
  if (removed.size === 0) return lowered;
  const steps = lowered.steps.filter((step) => !removed.has(step)).map((step) => fusedInto.get(step) ?? step);
  return { ...lowered, steps };
}
