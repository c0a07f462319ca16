// An fp32 forward pass of an ONNX model in plain JavaScript (NCHW, Float32Array, straight loops),
// independent of tfjs: it reads the model file and checks that the export means what was trained.
// It runs the operators the training export writes and nothing more.
import { onnx, DataType, type OnnxTypes } from "../../src/onnx/proto.js";
import { ModelFormatError, UnsupportedError, ShapeError } from "../../src/errors.js";

export interface Tensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

type Attributes = ReadonlyMap<string, OnnxTypes.IAttributeProto>;
type Kernel = (inputs: Tensor[], attributes: Attributes, node: string) => Tensor;

export class ReferenceModel {
  private readonly initializers = new Map<string, Tensor>();
  private readonly graph: OnnxTypes.IGraphProto;
  readonly inputName: string;
  readonly outputName: string;

  constructor(bytes: Uint8Array) {
    const graph = onnx.ModelProto.decode(bytes).graph;
    if (!graph?.input?.length || !graph.output?.length) throw new ModelFormatError("the model has no graph, input or output");
    this.graph = graph;
    for (const t of graph.initializer ?? []) this.initializers.set(t.name ?? "", decodeTensor(t));
    this.inputName = graph.input.find((i) => !this.initializers.has(i.name ?? ""))?.name ?? "";
    this.outputName = graph.output[0].name ?? "";
  }

  /** The graph output for one input batch, NCHW. */
  run(input: Tensor): Tensor {
    const values = new Map(this.initializers);
    values.set(this.inputName, input);
    for (const node of this.graph.node ?? []) {
      const name = node.name ?? node.opType ?? "?";
      const kernel = KERNELS[node.opType ?? ""];
      if (!kernel) throw new UnsupportedError(`operator ${node.opType} is not in the reference`, { node: name });
      const inputs = (node.input ?? []).filter((i) => i !== "").map((i) => {
        const value = values.get(i);
        if (!value) throw new ModelFormatError(`input '${i}' is not computed yet`, { node: name });
        return value;
      });
      const attributes = new Map((node.attribute ?? []).map((a) => [a.name ?? "", a]));
      values.set(node.output?.[0] ?? "", kernel(inputs, attributes, name));
    }
    const output = values.get(this.outputName);
    if (!output) throw new ModelFormatError(`graph output '${this.outputName}' is never computed`);
    return output;
  }
}

function decodeTensor(t: OnnxTypes.ITensorProto): Tensor {
  const dims = (t.dims ?? []).map(Number);
  if (t.dataType !== DataType.FLOAT) throw new UnsupportedError(`initializer data type ${t.dataType}`, { tensor: t.name ?? "" });
  const count = dims.reduce((a, b) => a * b, 1);
  let data: Float32Array;
  if (t.rawData?.length) {
    const raw = t.rawData;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    data = Float32Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(4 * i, true));
  } else {
    data = Float32Array.from(t.floatData ?? []);
  }
  if (data.length !== count) throw new ModelFormatError(`${data.length} values for dims [${dims.join(", ")}]`, { tensor: t.name ?? "" });
  return { dims, data };
}

function ints(attributes: Attributes, name: string, fallback: number[]): number[] {
  return attributes.get(name)?.ints?.map(Number) ?? fallback;
}

function int(attributes: Attributes, name: string, fallback: number): number {
  const a = attributes.get(name);
  return a ? Number(a.i) : fallback;
}

function float(attributes: Attributes, name: string, fallback: number): number {
  return attributes.get(name)?.f ?? fallback;
}

function conv([x, w, b]: Tensor[], attributes: Attributes, node: string): Tensor {
  const [n, c, h, wd] = x.dims;
  const [m, cw, kh, kw] = w.dims;
  if (int(attributes, "group", 1) !== 1 || cw !== c) throw new ShapeError(`Conv weight [${w.dims.join(", ")}] for ${c} input channels (group 1 only)`, { node });
  const [sh, sw] = ints(attributes, "strides", [1, 1]);
  const [dh, dw] = ints(attributes, "dilations", [1, 1]);
  const [pt, pl, pb, pr] = ints(attributes, "pads", [0, 0, 0, 0]);
  const oh = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((wd + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  const y = new Float32Array(n * m * oh * ow);
  for (let img = 0; img < n; img++) {
    for (let o = 0; o < m; o++) {
      const out = y.subarray((img * m + o) * oh * ow, (img * m + o + 1) * oh * ow);
      out.fill(b ? b.data[o] : 0);
      for (let i = 0; i < c; i++) {
        const plane = x.data.subarray((img * c + i) * h * wd, (img * c + i + 1) * h * wd);
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const weight = w.data[((o * c + i) * kh + ky) * kw + kx];
            // Output columns whose input column ox*sw - pl + kx*dw lies inside the image.
            const xFirst = Math.max(0, Math.ceil((pl - kx * dw) / sw));
            const xEnd = Math.min(ow, Math.floor((wd - 1 + pl - kx * dw) / sw) + 1);
            for (let oy = 0; oy < oh; oy++) {
              const iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= h) continue;
              const row = iy * wd - pl + kx * dw;
              for (let ox = xFirst; ox < xEnd; ox++) out[oy * ow + ox] += weight * plane[row + ox * sw];
            }
          }
        }
      }
    }
  }
  return { dims: [n, m, oh, ow], data: y };
}

function batchNormalization([x, scale, bias, mean, variance]: Tensor[], attributes: Attributes): Tensor {
  const [n, c] = x.dims;
  const spatial = x.data.length / (n * c);
  const epsilon = float(attributes, "epsilon", 1e-5);
  const y = new Float32Array(x.data.length);
  for (let img = 0; img < n; img++) {
    for (let ch = 0; ch < c; ch++) {
      const k = scale.data[ch] / Math.sqrt(variance.data[ch] + epsilon);
      const base = (img * c + ch) * spatial;
      for (let i = 0; i < spatial; i++) y[base + i] = (x.data[base + i] - mean.data[ch]) * k + bias.data[ch];
    }
  }
  return { dims: x.dims, data: y };
}

function relu([x]: Tensor[]): Tensor {
  return { dims: x.dims, data: x.data.map((v) => (v > 0 ? v : 0)) };
}

function maxPool([x]: Tensor[], attributes: Attributes, node: string): Tensor {
  const [n, c, h, w] = x.dims;
  const [kh, kw] = ints(attributes, "kernel_shape", []);
  if (kh === undefined || kw === undefined) throw new ModelFormatError("MaxPool without kernel_shape", { node });
  const [sh, sw] = ints(attributes, "strides", [1, 1]);
  const [pt, pl, pb, pr] = ints(attributes, "pads", [0, 0, 0, 0]);
  const oh = Math.floor((h + pt + pb - kh) / sh) + 1;
  const ow = Math.floor((w + pl + pr - kw) / sw) + 1;
  const y = new Float32Array(n * c * oh * ow);
  for (let p = 0; p < n * c; p++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let best = -Infinity;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pl + kx;
            if (ix >= 0 && ix < w) best = Math.max(best, x.data[(p * h + iy) * w + ix]);
          }
        }
        y[(p * oh + oy) * ow + ox] = best;
      }
    }
  }
  return { dims: [n, c, oh, ow], data: y };
}

function flatten([x]: Tensor[], attributes: Attributes): Tensor {
  const axis = int(attributes, "axis", 1);
  const outer = x.dims.slice(0, axis).reduce((a, b) => a * b, 1);
  return { dims: [outer, x.data.length / outer], data: x.data };
}

function gemm([a, b, c]: Tensor[], attributes: Attributes, node: string): Tensor {
  const alpha = float(attributes, "alpha", 1);
  const beta = float(attributes, "beta", 1);
  const transA = int(attributes, "transA", 0) === 1;
  const transB = int(attributes, "transB", 0) === 1;
  const [m, k] = transA ? [a.dims[1], a.dims[0]] : a.dims;
  const [kb, n] = transB ? [b.dims[1], b.dims[0]] : b.dims;
  if (k !== kb) throw new ShapeError(`Gemm of [${a.dims.join(", ")}] and [${b.dims.join(", ")}]`, { node });
  const y = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a.data[transA ? p * m + i : i * k + p] * b.data[transB ? j * k + p : p * n + j];
      const bias = c ? c.data[c.data.length === n ? j : c.data.length === 1 ? 0 : i * n + j] : 0;
      y[i * n + j] = alpha * sum + beta * bias;
    }
  }
  return { dims: [m, n], data: y };
}

function add([a, b]: Tensor[], _attributes: Attributes, node: string): Tensor {
  if (a.dims.join() !== b.dims.join()) throw new UnsupportedError(`Add of [${a.dims.join(", ")}] and [${b.dims.join(", ")}] (no broadcasting)`, { node });
  return { dims: a.dims, data: a.data.map((v, i) => v + b.data[i]) };
}

function globalAveragePool([x]: Tensor[]): Tensor {
  const [n, c] = x.dims;
  const spatial = x.data.length / (n * c);
  const y = new Float32Array(n * c);
  for (let p = 0; p < n * c; p++) {
    let sum = 0;
    for (let i = 0; i < spatial; i++) sum += x.data[p * spatial + i];
    y[p] = sum / spatial;
  }
  return { dims: [n, c, 1, 1], data: y };
}

const KERNELS: Record<string, Kernel> = {
  Conv: conv,
  BatchNormalization: batchNormalization,
  Relu: relu,
  MaxPool: maxPool,
  Flatten: flatten,
  Gemm: gemm,
  Add: add,
  GlobalAveragePool: globalAveragePool,
};

/** Index of the largest of each row of `classes` logits. */
export function argMaxRows(logits: Float32Array, classes: number): Int32Array {
  const rows = logits.length / classes;
  const predictions = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (logits[r * classes + j] > logits[r * classes + best]) best = j;
    predictions[r] = best;
  }
  return predictions;
}
