// The operators of the reference interpreter, written directly from the ONNX operator
// specification on NCHW typed arrays: plain loops, double-precision accumulation, no cleverness.
// Used as the oracle for the fp32 runtime and by constant folding.
import { ShapeError, UnsupportedError } from "../errors.js";
import {
  allocateTensor,
  attrFloat,
  attrInt,
  attrInts,
  dtypeOf,
  elementCount,
  type Activation,
  type DType,
  type Node,
  type TensorData,
} from "../graph/ir.js";
import { readSpatialAttributes, resolveSpatial, type SpatialAttributes } from "../graph/spatial.js";
import { DataType } from "../onnx/proto.js";

export interface RefTensor {
  data: TensorData;
  dims: number[];
}

export type RefOp = (node: Node, inputs: readonly (RefTensor | undefined)[], opset: number) => RefTensor[];

const FLT_MAX = 3.4028234663852886e38;

function required(node: Node, inputs: readonly (RefTensor | undefined)[], i: number): RefTensor {
  const tensor = inputs[i];
  if (!tensor) throw new ShapeError(`${node.opType}: input ${i} is missing`, { node: node.name });
  return tensor;
}

function floats(node: Node, tensor: RefTensor): Float32Array {
  if (!(tensor.data instanceof Float32Array)) {
    throw new UnsupportedError(`${node.opType}: the reference interpreter computes this operator on float32 only`, { node: node.name });
  }
  return tensor.data;
}

function rowMajorStrides(dims: readonly number[]): number[] {
  const strides = new Array<number>(dims.length);
  let s = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i];
  }
  return strides;
}

function clamp(value: number, activation: Activation | undefined): number {
  return activation ? Math.min(activation.max, Math.max(activation.min, value)) : value;
}

function broadcastDims(node: Node, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const da = a[i - rank + a.length] ?? 1;
    const db = b[i - rank + b.length] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new ShapeError(`${node.opType}: [${a}] and [${b}] do not broadcast`, { node: node.name });
    return da === 1 ? db : da;
  });
}

/** For each element of `outDims`, the flat index into a tensor of `dims` broadcast to it. */
function broadcastIndex(dims: readonly number[], outDims: readonly number[]): Int32Array {
  const rank = outDims.length;
  const strides = rowMajorStrides(dims);
  const total = elementCount(outDims);
  const index = new Int32Array(total);
  const counter = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < total; flat++) {
    let offset = 0;
    for (let d = 0; d < rank; d++) {
      const k = d - rank + dims.length;
      if (k >= 0 && dims[k] !== 1) offset += counter[d] * strides[k];
    }
    index[flat] = offset;
    for (let d = rank - 1; d >= 0; d--) {
      if (++counter[d] < outDims[d]) break;
      counter[d] = 0;
    }
  }
  return index;
}

const add: RefOp = (node, inputs) => {
  const a = required(node, inputs, 0);
  const b = required(node, inputs, 1);
  const dims = broadcastDims(node, a.dims, b.dims);
  const ia = broadcastIndex(a.dims, dims);
  const ib = broadcastIndex(b.dims, dims);
  const out = allocateTensor(dtypeOf(a.data), ia.length);
  if (out instanceof BigInt64Array) {
    const x = a.data as BigInt64Array;
    const y = b.data as BigInt64Array;
    for (let i = 0; i < out.length; i++) out[i] = BigInt.asIntN(64, x[ia[i]] + y[ib[i]]);
  } else {
    const x = a.data as Exclude<TensorData, BigInt64Array>;
    const y = b.data as Exclude<TensorData, BigInt64Array>;
    for (let i = 0; i < out.length; i++) out[i] = x[ia[i]] + y[ib[i]];
  }
  return [{ data: out, dims }];
};

function elementwise(node: Node, x: RefTensor, f: (v: number) => number): RefTensor {
  const input = x.data as Exclude<TensorData, BigInt64Array>;
  const out = allocateTensor(dtypeOf(x.data), input.length) as Exclude<TensorData, BigInt64Array>;
  for (let i = 0; i < input.length; i++) out[i] = f(input[i]);
  return { data: out, dims: [...x.dims] };
}

const relu: RefOp = (node, inputs) => [elementwise(node, required(node, inputs, 0), (v) => Math.max(0, v))];

/** Clip's bounds: attributes before opset 11, optional scalar inputs from 11 on. */
export function clipBounds(node: Node, inputs: readonly (RefTensor | undefined)[], opset: number): Activation {
  if (opset < 11) return { min: attrFloat(node, "min", -FLT_MAX), max: attrFloat(node, "max", FLT_MAX) };
  const bound = (i: number, fallback: number) => {
    const t = inputs[i];
    return t ? Number(t.data[0]) : fallback;
  };
  return { min: bound(1, -FLT_MAX), max: bound(2, FLT_MAX) };
}

const clip: RefOp = (node, inputs, opset) => {
  const { min, max } = clipBounds(node, inputs, opset);
  // Min(max, Max(x, min)): when min > max every element becomes max.
  return [elementwise(node, required(node, inputs, 0), (v) => Math.min(max, Math.max(v, min)))];
};

/** Spatial parameters for exactly two axes; a 1-D operator gets a leading axis of size 1. */
interface Spatial2D {
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  padBegin: [number, number];
  padEnd: [number, number];
  input: [number, number];
  output: [number, number];
}

function spatial2D(node: Node, inputSpatial: number[], params: SpatialAttributes): Spatial2D {
  if (inputSpatial.length !== 1 && inputSpatial.length !== 2) {
    throw new UnsupportedError(`${node.opType}: the reference interpreter handles 1 or 2 spatial axes, not ${inputSpatial.length}`, { node: node.name });
  }
  const resolved = resolveSpatial(params, inputSpatial, node.name);
  const pair = (values: number[], lead: number): [number, number] => (values.length === 1 ? [lead, values[0]] : [values[0], values[1]]);
  return {
    kernel: pair(params.kernel, 1),
    stride: pair(params.strides, 1),
    dilation: pair(params.dilations, 1),
    padBegin: pair(resolved.padsBegin, 0),
    padEnd: pair(resolved.padsEnd, 0),
    input: pair(inputSpatial, 1),
    output: pair(resolved.output, 1),
  };
}

const conv: RefOp = (node, inputs) => {
  const x = required(node, inputs, 0);
  const w = required(node, inputs, 1);
  const bias = inputs[2] && floats(node, inputs[2]);
  const [n, c, ...inSpatial] = x.dims;
  const [m, cPerGroup, ...kernel] = w.dims;
  const group = attrInt(node, "group", 1);
  if (c !== cPerGroup * group || m % group !== 0) throw new ShapeError(`Conv: channels ${c}, weights [${w.dims}], group ${group}`, { node: node.name });
  const s = spatial2D(node, inSpatial, readSpatialAttributes(node, inSpatial.length, kernel));
  const [kh, kw] = s.kernel;
  const [ih, iw] = s.input;
  const [oh, ow] = s.output;
  const xd = floats(node, x);
  const wd = floats(node, w);
  const out = new Float32Array(n * m * oh * ow);
  const mPerGroup = m / group;
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < m; oc++) {
      const g = Math.floor(oc / mPerGroup);
      for (let y = 0; y < oh; y++) {
        for (let xo = 0; xo < ow; xo++) {
          let sum = bias ? bias[oc] : 0;
          for (let ci = 0; ci < cPerGroup; ci++) {
            const ic = g * cPerGroup + ci;
            for (let ky = 0; ky < kh; ky++) {
              const yy = y * s.stride[0] - s.padBegin[0] + ky * s.dilation[0];
              if (yy < 0 || yy >= ih) continue;
              for (let kx = 0; kx < kw; kx++) {
                const xx = xo * s.stride[1] - s.padBegin[1] + kx * s.dilation[1];
                if (xx < 0 || xx >= iw) continue;
                sum += xd[((b * c + ic) * ih + yy) * iw + xx] * wd[((oc * cPerGroup + ci) * kh + ky) * kw + kx];
              }
            }
          }
          out[((b * m + oc) * oh + y) * ow + xo] = clamp(sum, node.activation);
        }
      }
    }
  }
  return [{ data: out, dims: [n, m, ...(inSpatial.length === 1 ? [ow] : [oh, ow])] }];
};

function pool(node: Node, inputs: readonly (RefTensor | undefined)[], kind: "max" | "average"): RefTensor[] {
  const x = required(node, inputs, 0);
  const [n, c, ...inSpatial] = x.dims;
  const s = spatial2D(node, inSpatial, readSpatialAttributes(node, inSpatial.length));
  const includePad = kind === "average" && attrInt(node, "count_include_pad", 0) === 1;
  const [ih, iw] = s.input;
  const [oh, ow] = s.output;
  const xd = x.data as Exclude<TensorData, BigInt64Array>;
  const out = allocateTensor(kind === "max" ? dtypeOf(x.data) : "float32", n * c * oh * ow) as Exclude<TensorData, BigInt64Array>;
  for (let plane = 0; plane < n * c; plane++) {
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        let max = -Infinity;
        let sum = 0;
        let count = 0;
        for (let ky = 0; ky < s.kernel[0]; ky++) {
          const yy = y * s.stride[0] - s.padBegin[0] + ky * s.dilation[0];
          // Positions past the end padding (reached only with ceil_mode) are never counted.
          if (yy >= ih + s.padEnd[0]) continue;
          for (let kx = 0; kx < s.kernel[1]; kx++) {
            const xx = xo * s.stride[1] - s.padBegin[1] + kx * s.dilation[1];
            if (xx >= iw + s.padEnd[1]) continue;
            const inside = yy >= 0 && yy < ih && xx >= 0 && xx < iw;
            if (inside) {
              const v = xd[(plane * ih + yy) * iw + xx];
              max = Math.max(max, v);
              sum += v;
            }
            if (inside || includePad) count++;
          }
        }
        out[(plane * oh + y) * ow + xo] = kind === "max" ? max : sum / count;
      }
    }
  }
  return [{ data: out, dims: [n, c, ...(inSpatial.length === 1 ? [ow] : [oh, ow])] }];
}

const globalAveragePool: RefOp = (node, inputs) => {
  const x = required(node, inputs, 0);
  const [n, c, ...spatial] = x.dims;
  const size = elementCount(spatial);
  const xd = floats(node, x);
  const out = new Float32Array(n * c);
  for (let plane = 0; plane < n * c; plane++) {
    let sum = 0;
    for (let i = 0; i < size; i++) sum += xd[plane * size + i];
    out[plane] = sum / size;
  }
  return [{ data: out, dims: [n, c, ...spatial.map(() => 1)] }];
};

const batchNormalization: RefOp = (node, inputs) => {
  const x = required(node, inputs, 0);
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => floats(node, required(node, inputs, i)));
  const epsilon = attrFloat(node, "epsilon", 1e-5);
  const [n, c] = x.dims;
  const size = elementCount(x.dims.slice(2));
  const xd = floats(node, x);
  const out = new Float32Array(xd.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const factor = scale[ch] / Math.sqrt(variance[ch] + epsilon);
      for (let i = 0; i < size; i++) {
        const k = (b * c + ch) * size + i;
        out[k] = (xd[k] - mean[ch]) * factor + bias[ch];
      }
    }
  }
  return [{ data: out, dims: [...x.dims] }];
};

const gemm: RefOp = (node, inputs) => {
  const a = required(node, inputs, 0);
  const b = required(node, inputs, 1);
  const c = inputs[2];
  const transA = attrInt(node, "transA", 0) === 1;
  const transB = attrInt(node, "transB", 0) === 1;
  const alpha = attrFloat(node, "alpha", 1);
  const beta = attrFloat(node, "beta", 1);
  const [m, k] = transA ? [a.dims[1], a.dims[0]] : [a.dims[0], a.dims[1]];
  const [kb, n] = transB ? [b.dims[1], b.dims[0]] : [b.dims[0], b.dims[1]];
  if (k !== kb) throw new ShapeError(`Gemm: inner dimensions ${k} and ${kb} differ`, { node: node.name });
  const ad = floats(node, a);
  const bd = floats(node, b);
  const ci = c && broadcastIndex(c.dims, [m, n]);
  const cd = c && floats(node, c);
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += ad[transA ? p * m + i : i * k + p] * bd[transB ? j * k + p : p * n + j];
      let y = alpha * sum;
      if (cd && ci) y += beta * cd[ci[i * n + j]];
      out[i * n + j] = clamp(y, node.activation);
    }
  }
  return [{ data: out, dims: [m, n] }];
};

const matMul: RefOp = (node, inputs) => {
  const a = required(node, inputs, 0);
  const b = required(node, inputs, 1);
  const aDims = a.dims.length === 1 ? [1, a.dims[0]] : a.dims;
  const bDims = b.dims.length === 1 ? [b.dims[0], 1] : b.dims;
  const [m, k] = aDims.slice(-2);
  const [kb, n] = bDims.slice(-2);
  if (k !== kb) throw new ShapeError(`MatMul: inner dimensions ${k} and ${kb} differ`, { node: node.name });
  const batch = broadcastDims(node, aDims.slice(0, -2), bDims.slice(0, -2));
  const aBatch = broadcastIndex(aDims.slice(0, -2), batch);
  const bBatch = broadcastIndex(bDims.slice(0, -2), batch);
  const ad = floats(node, a);
  const bd = floats(node, b);
  const out = new Float32Array(aBatch.length * m * n);
  for (let t = 0; t < aBatch.length; t++) {
    const ao = aBatch[t] * m * k;
    const bo = bBatch[t] * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += ad[ao + i * k + p] * bd[bo + p * n + j];
        out[(t * m + i) * n + j] = sum;
      }
    }
  }
  const dims = [...batch];
  if (a.dims.length > 1) dims.push(m);
  if (b.dims.length > 1) dims.push(n);
  return [{ data: out, dims }];
};

function normalisedAxis(node: Node, axis: number, rank: number): number {
  if (axis < -rank || axis >= rank) throw new ShapeError(`${node.opType}: axis ${axis} is out of range for rank ${rank}`, { node: node.name });
  return axis < 0 ? axis + rank : axis;
}

const flatten: RefOp = (node, inputs) => {
  const x = required(node, inputs, 0);
  const rank = x.dims.length;
  let axis = attrInt(node, "axis", 1);
  if (axis < -rank || axis > rank) throw new ShapeError(`Flatten: axis ${axis} is out of range for rank ${rank}`, { node: node.name });
  if (axis < 0) axis += rank;
  return [{ data: x.data, dims: [elementCount(x.dims.slice(0, axis)), elementCount(x.dims.slice(axis))] }];
};

const reshape: RefOp = (node, inputs, opset) => {
  const x = required(node, inputs, 0);
  const target = Array.from(required(node, inputs, 1).data as BigInt64Array, Number);
  const allowZero = opset >= 14 && attrInt(node, "allowzero", 0) === 1;
  const dims = target.map((d, i) => (d === 0 && !allowZero ? x.dims[i] : d));
  const unknown = dims.indexOf(-1);
  if (unknown >= 0) dims[unknown] = elementCount(x.dims) / elementCount(dims.filter((_, i) => i !== unknown));
  if (elementCount(dims) !== elementCount(x.dims) || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(`Reshape: cannot reshape [${x.dims}] to [${target}]`, { node: node.name });
  }
  return [{ data: x.data, dims }];
};

const transpose: RefOp = (node, inputs) => {
  const x = required(node, inputs, 0);
  const rank = x.dims.length;
  const perm = attrInts(node, "perm", x.dims.map((_, i) => rank - 1 - i));
  const dims = perm.map((p) => x.dims[p]);
  const inStrides = rowMajorStrides(x.dims);
  const out = allocateTensor(dtypeOf(x.data), x.data.length);
  const counter = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < out.length; flat++) {
    let source = 0;
    for (let d = 0; d < rank; d++) source += counter[d] * inStrides[perm[d]];
    out[flat] = x.data[source];
    for (let d = rank - 1; d >= 0; d--) {
      if (++counter[d] < dims[d]) break;
      counter[d] = 0;
    }
  }
  return [{ data: out, dims }];
};

const concat: RefOp = (node, inputs) => {
  const parts = inputs.map((_, i) => required(node, inputs, i));
  const axis = normalisedAxis(node, attrInt(node, "axis"), parts[0].dims.length);
  const dims = [...parts[0].dims];
  dims[axis] = parts.reduce((sum, p) => sum + p.dims[axis], 0);
  const outer = elementCount(dims.slice(0, axis));
  const out = allocateTensor(dtypeOf(parts[0].data), elementCount(dims));
  let offset = 0;
  for (let o = 0; o < outer; o++) {
    for (const part of parts) {
      const block = elementCount(part.dims.slice(axis));
      for (let i = 0; i < block; i++) out[offset++] = part.data[o * block + i];
    }
  }
  return [{ data: out, dims }];
};

const softmax: RefOp = (node, inputs, opset) => {
  const x = required(node, inputs, 0);
  const rank = x.dims.length;
  const axis = normalisedAxis(node, attrInt(node, "axis", opset < 13 ? 1 : -1), rank);
  // Before opset 13 the input is coerced to 2-D [prod(dims[:axis]), prod(dims[axis:])] and each row
  // normalised; from 13 on only the one axis is.
  const length = opset < 13 ? elementCount(x.dims.slice(axis)) : x.dims[axis];
  const inner = opset < 13 ? 1 : elementCount(x.dims.slice(axis + 1));
  const outer = elementCount(x.dims.slice(0, axis));
  const xd = floats(node, x);
  const out = new Float32Array(xd.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * length + j) * inner + i;
      let max = -Infinity;
      for (let j = 0; j < length; j++) max = Math.max(max, xd[at(j)]);
      let sum = 0;
      for (let j = 0; j < length; j++) sum += Math.exp(xd[at(j)] - max);
      for (let j = 0; j < length; j++) out[at(j)] = Math.exp(xd[at(j)] - max) / sum;
    }
  }
  return [{ data: out, dims: [...x.dims] }];
};

const identity: RefOp = (node, inputs) => {
  const x = required(node, inputs, 0);
  return [{ data: x.data, dims: [...x.dims] }];
};

/** Index into the scale / zero point of each element: one pair per tensor or per `axis` index. */
function quantIndex(node: Node, dims: readonly number[], paramLength: number, opset: number): (flat: number) => number {
  if (paramLength === 1) return () => 0;
  const axis = normalisedAxis(node, opset >= 13 ? attrInt(node, "axis", 1) : 1, dims.length);
  if (dims[axis] !== paramLength) throw new ShapeError(`${node.opType}: ${paramLength} scales for axis ${axis} of size ${dims[axis]}`, { node: node.name });
  const inner = elementCount(dims.slice(axis + 1));
  return (flat) => Math.floor(flat / inner) % paramLength;
}

export function roundHalfToEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const RANGES: Partial<Record<DType, [number, number]>> = { int8: [-128, 127], uint8: [0, 255] };

const quantizeLinear: RefOp = (node, inputs, opset) => {
  const x = required(node, inputs, 0);
  const scale = floats(node, required(node, inputs, 1));
  const zeroPoint = inputs[2];
  const code = opset >= 21 ? attrInt(node, "output_dtype", 0) : 0;
  const dtype: DType = zeroPoint ? dtypeOf(zeroPoint.data) : code === DataType.INT8 ? "int8" : "uint8";
  const [qmin, qmax] = RANGES[dtype]!;
  const index = quantIndex(node, x.dims, scale.length, opset);
  const xd = floats(node, x);
  const out = allocateTensor(dtype, xd.length) as Int8Array | Uint8Array;
  for (let i = 0; i < xd.length; i++) {
    const p = index(i);
    const z = zeroPoint ? Number(zeroPoint.data[p]) : 0;
    const q = Math.fround(xd[i] / scale[p]);
    out[i] = Number.isNaN(q) ? z : Math.min(qmax, Math.max(qmin, roundHalfToEven(q) + z));
  }
  return [{ data: out, dims: [...x.dims] }];
};

const dequantizeLinear: RefOp = (node, inputs, opset) => {
  const x = required(node, inputs, 0);
  const scale = floats(node, required(node, inputs, 1));
  const zeroPoint = inputs[2];
  const index = quantIndex(node, x.dims, scale.length, opset);
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const p = index(i);
    out[i] = (Number(x.data[i]) - (zeroPoint ? Number(zeroPoint.data[p]) : 0)) * scale[p];
  }
  return [{ data: out, dims: [...x.dims] }];
};

export const REFERENCE_OPS: ReadonlyMap<string, RefOp> = new Map<string, RefOp>([
  ["Conv", conv],
  ["Gemm", gemm],
  ["MatMul", matMul],
  ["Add", add],
  ["Relu", relu],
  ["Clip", clip],
  ["MaxPool", (node, inputs) => pool(node, inputs, "max")],
  ["AveragePool", (node, inputs) => pool(node, inputs, "average")],
  ["GlobalAveragePool", globalAveragePool],
  ["BatchNormalization", batchNormalization],
  ["Flatten", flatten],
  ["Reshape", reshape],
  ["Transpose", transpose],
  ["Concat", concat],
  ["Softmax", softmax],
  ["Identity", identity],
  ["Dropout", identity],
  ["QuantizeLinear", quantizeLinear],
  ["DequantizeLinear", dequantizeLinear],
]);
