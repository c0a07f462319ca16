// Per-channel work along any axis of a row-major tensor. Seen from one axis, a tensor of shape
// dims is [outer, channels, inner]: each channel owns `outer` contiguous runs of `inner` elements.
// Visiting runs instead of elements keeps the per-element loops free of index arithmetic.
import { ShapeError } from "../errors.js";

export interface AxisLayout {
  /** The axis, normalised to 0..rank-1. */
  readonly axis: number;
  /** Product of the dims before the axis. */
  readonly outer: number;
  /** dims[axis]. */
  readonly channels: number;
  /** Product of the dims after the axis: the length of one contiguous run. */
  readonly inner: number;
}

/** Throws a ShapeError unless dims are non-negative integers whose product is `length`. */
export function validateDims(dims: readonly number[], length: number, tensor?: string): void {
  let product = 1;
  for (const dim of dims) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new ShapeError(`dims must be non-negative integers, got [${dims.join(", ")}]`, { tensor });
    }
    product *= dim;
  }
  if (product !== length) {
    throw new ShapeError(`dims [${dims.join(", ")}] hold ${product} elements but the data has ${length}`, { tensor });
  }
}

/** The layout of `dims` around `axis` (negative axes count from the end, as in ONNX and numpy). */
export function axisLayout(dims: readonly number[], axis: number, length: number, tensor?: string): AxisLayout {
  validateDims(dims, length, tensor);
  const rank = dims.length;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ShapeError(`axis ${axis} is out of range for rank ${rank}`, { tensor });
  }
  const normalised = axis < 0 ? axis + rank : axis;
  let outer = 1;
  for (let i = 0; i < normalised; i++) outer *= dims[i];
  let inner = 1;
  for (let i = normalised + 1; i < rank; i++) inner *= dims[i];
  return { axis: normalised, outer, channels: dims[normalised], inner };
}

/** Calls visit(channel, start, end) for every contiguous run [start, end) of one channel, in memory order. */
export function forEachChannelRun(
  layout: AxisLayout,
  visit: (channel: number, start: number, end: number) => void,
): void {
  const { outer, channels, inner } = layout;
  let start = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      visit(c, start, start + inner);
      start += inner;
    }
  }
}
