// Index arithmetic between ONNX's logical layout and our physical one (NHWC for 4-D values).
// Maps are built when a plan is bound, so ops that need logical order (reshape, concat,
// broadcasting) run as plain gathers without index arithmetic in run().

/** Row-major strides of `dims`. */
export function strides(dims: readonly number[]): number[] {
  const result = new Array<number>(dims.length);
  let stride = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    result[i] = stride;
    stride *= dims[i];
  }
  return result;
}

/** For each logical (row-major ONNX) index, the physical index where the element is stored. */
export function logicalToPhysical(dims: readonly number[], nhwc: boolean): Int32Array {
  const count = dims.reduce((a, b) => a * b, 1);
  const map = new Int32Array(count);
  if (!nhwc) {
    for (let i = 0; i < count; i++) map[i] = i;
    return map;
  }
  const [n, c, h, w] = dims;
  let i = 0;
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) map[i++] = ((b * h + y) * w + x) * c + ch;
  return map;
}

/** Physical stride of each logical axis (NHWC for 4-D values). */
export function physicalStrides(dims: readonly number[], nhwc: boolean): number[] {
  if (!nhwc) return strides(dims);
  const [, c, h, w] = dims;
  return [h * w * c, 1, w * c, c];
}

/**
 * For an output of `outDims`, the physical index of the input element that numpy broadcasting
 * reads, per output logical index.
 */
export function broadcastGather(outDims: readonly number[], inDims: readonly number[], inNhwc: boolean): Int32Array {
  const rank = outDims.length;
  const padded = [...new Array<number>(rank - inDims.length).fill(1), ...inDims];
  const inStrides = physicalStrides(inDims, inNhwc);
  const paddedStrides = [...new Array<number>(rank - inDims.length).fill(0), ...inStrides];
  const count = outDims.reduce((a, b) => a * b, 1);
  const map = new Int32Array(count);
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < count; i++) {
    let offset = 0;
    for (let axis = 0; axis < rank; axis++) if (padded[axis] !== 1) offset += index[axis] * paddedStrides[axis];
    map[i] = offset;
    for (let axis = rank - 1; axis >= 0; axis--) {
      if (++index[axis] < outDims[axis]) break;
      index[axis] = 0;
    }
  }
  return map;
}
