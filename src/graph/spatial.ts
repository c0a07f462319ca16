// Kernel, stride, dilation and padding of Conv, MaxPool and AveragePool, read from a node's
// attributes and resolved against an input size as the ONNX operator specification defines them
// (auto_pad, ceil_mode). Shared by shape inference, the reference interpreter and the runtime.
import { ModelFormatError, ShapeError } from "../errors.js";
import { attrInt, attrInts, attrString, hasAttr, type Node } from "./ir.js";

export type AutoPad = "NOTSET" | "SAME_UPPER" | "SAME_LOWER" | "VALID";

export interface SpatialAttributes {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Explicit pads [x1_begin, x2_begin, ..., x1_end, x2_end, ...]; ignored unless autoPad is NOTSET. */
  pads: number[];
  autoPad: AutoPad;
  ceilMode: boolean;
}

export interface ResolvedSpatial {
  /** Output size per spatial axis. */
  output: number[];
  padsBegin: number[];
  padsEnd: number[];
}

const AUTO_PADS: readonly string[] = ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"];

function listOf(node: Node, name: string, length: number, fallback: number, minimum: number): number[] {
  const values = attrInts(node, name, new Array(length).fill(fallback));
  if (values.length !== length) {
    throw new ModelFormatError(`attribute '${name}' has ${values.length} values, expected ${length}`, { node: node.name });
  }
  if (values.some((v) => !Number.isInteger(v) || v < minimum)) {
    throw new ModelFormatError(`attribute '${name}' must hold integers >= ${minimum}, got [${values.join(", ")}]`, { node: node.name });
  }
  return values;
}

/**
 * Reads the spatial attributes of a node over `spatialRank` spatial axes. `kernelFromWeights` is
 * the kernel shape given by the weights (Conv); without it the kernel_shape attribute is required.
 */
export function readSpatialAttributes(node: Node, spatialRank: number, kernelFromWeights?: number[]): SpatialAttributes {
  let kernel: number[];
  if (kernelFromWeights) {
    kernel = kernelFromWeights;
    if (hasAttr(node, "kernel_shape")) {
      const declared = attrInts(node, "kernel_shape");
      if (declared.length !== kernel.length || declared.some((k, i) => k !== kernel[i])) {
        throw new ShapeError(`kernel_shape [${declared.join(", ")}] does not match the weights' [${kernel.join(", ")}]`, { node: node.name });
      }
    }
  } else {
    if (!hasAttr(node, "kernel_shape")) attrInts(node, "kernel_shape"); // throws: it is required
    kernel = listOf(node, "kernel_shape", spatialRank, 1, 1);
  }
  if (kernel.length !== spatialRank) {
    throw new ShapeError(`kernel has ${kernel.length} spatial axes, the input ${spatialRank}`, { node: node.name });
  }
  const autoPad = attrString(node, "auto_pad", "NOTSET");
  if (!AUTO_PADS.includes(autoPad)) {
    throw new ModelFormatError(`auto_pad must be one of ${AUTO_PADS.join(", ")}, got '${autoPad}'`, { node: node.name });
  }
  const ceilMode = attrInt(node, "ceil_mode", 0);
  if (ceilMode !== 0 && ceilMode !== 1) throw new ModelFormatError(`ceil_mode must be 0 or 1, got ${ceilMode}`, { node: node.name });
  return {
    kernel,
    strides: listOf(node, "strides", spatialRank, 1, 1),
    dilations: listOf(node, "dilations", spatialRank, 1, 1),
    pads: listOf(node, "pads", 2 * spatialRank, 0, 0),
    autoPad: autoPad as AutoPad,
    ceilMode: ceilMode === 1,
  };
}

/** Output size and padding along one spatial axis of `inputSize` elements. */
export function resolveAxis(params: SpatialAttributes, axis: number, inputSize: number, node: string): { output: number; begin: number; end: number } {
  const rank = params.kernel.length;
  const stride = params.strides[axis];
  const window = (params.kernel[axis] - 1) * params.dilations[axis] + 1;
  switch (params.autoPad) {
    case "SAME_UPPER":
    case "SAME_LOWER": {
      const output = Math.ceil(inputSize / stride);
      const total = Math.max(0, (output - 1) * stride + window - inputSize);
      const small = Math.floor(total / 2);
      // An odd total puts the extra element at the end (SAME_UPPER) or the beginning (SAME_LOWER).
      return params.autoPad === "SAME_UPPER"
        ? { output, begin: small, end: total - small }
        : { output, begin: total - small, end: small };
    }
    case "VALID": {
      if (inputSize < window) throw new ShapeError(`input size ${inputSize} is smaller than the window ${window} on spatial axis ${axis}`, { node });
      return { output: Math.floor((inputSize - window) / stride) + 1, begin: 0, end: 0 };
    }
    case "NOTSET": {
      const begin = params.pads[axis];
      const end = params.pads[axis + rank];
      const span = inputSize + begin + end - window;
      if (span < 0) {
        throw new ShapeError(`padded input size ${inputSize + begin + end} is smaller than the window ${window} on spatial axis ${axis}`, { node });
      }
      let output = (params.ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
      // With ceil_mode, a window that would start in the end padding is dropped.
      if (params.ceilMode && (output - 1) * stride >= inputSize + begin) output--;
      return { output, begin, end };
    }
  }
}

export function resolveSpatial(params: SpatialAttributes, inputSpatial: readonly number[], node: string): ResolvedSpatial {
  const axes = inputSpatial.map((size, axis) => resolveAxis(params, axis, size, node));
  return { output: axes.map((a) => a.output), padsBegin: axes.map((a) => a.begin), padsEnd: axes.map((a) => a.end) };
}
