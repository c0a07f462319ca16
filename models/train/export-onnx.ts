// Writes a trained network as a standard ONNX model (opset 13, NCHW): input `input` [N, 1, 28, 28],
// output `logits` [N, 10]. Conv (OIHW weights, explicit pads), BatchNormalization as its own node
// with the running statistics, Relu, MaxPool, Flatten, Gemm (transB = 1, weights [N, K]), Add,
// GlobalAveragePool.
import { OnnxGraphBuilder, attr, type AttributeValue } from "../../src/onnx/builder.js";
import { CLASSES, IMAGE_SIZE, type Architecture, type ConvSpec, type DenseSpec, type Layers } from "./architectures.js";
import { BATCH_NORM_EPSILON, type WeightArray } from "./tfjs-network.js";

export const INPUT_NAME = "input";
export const OUTPUT_NAME = "logits";

/** Shape of a tensor without its batch dimension: [C, H, W] for images, [K] for rows. */
type FeatureShape = readonly number[];

interface PendingNode {
  readonly opType: string;
  readonly inputs: string[];
  readonly output: string;
  readonly attributes: Record<string, AttributeValue>;
  readonly name: string;
}

class OnnxExporter implements Layers<string> {
  private readonly builder: OnnxGraphBuilder;
  /** Nodes are held back until the graph output is known, so the last one can write `logits`. */
  private readonly nodes: PendingNode[] = [];
  private readonly shapes = new Map<string, FeatureShape>();
  /** Rows produced by Flatten from an image [C, H, W]: the next Gemm needs its weights permuted. */
  private readonly flattenedFrom = new Map<string, FeatureShape>();

  constructor(
    graphName: string,
    private readonly weights: ReadonlyMap<string, WeightArray>,
  ) {
    this.builder = new OnnxGraphBuilder(graphName, 13);
  }

  declareInput(name: string, shape: FeatureShape): string {
    this.shapes.set(name, shape);
    return name;
  }

  conv(x: string, spec: ConvSpec): string {
    const [, h, w] = this.shape(x);
    const { kernel: k, inChannels: ci, outChannels: co, stride, pad } = spec;
    const hwio = this.weight(`${spec.name}.weight`, [k, k, ci, co]);
    const oihw = new Float32Array(hwio.length);
    for (let o = 0; o < co; o++)
      for (let i = 0; i < ci; i++)
        for (let kh = 0; kh < k; kh++)
          for (let kw = 0; kw < k; kw++) oihw[((o * ci + i) * k + kh) * k + kw] = hwio[((kh * k + kw) * ci + i) * co + o];
    const inputs = [x, this.initializer(`${spec.name}.weight`, [co, ci, k, k], oihw)];
    if (spec.bias) inputs.push(this.initializer(`${spec.name}.bias`, [co], this.weight(`${spec.name}.bias`, [co])));
    const out = Math.floor((h + 2 * pad - k) / stride) + 1;
    const outW = Math.floor((w + 2 * pad - k) / stride) + 1;
    return this.emit("Conv", inputs, [co, out, outW], {
      kernel_shape: attr.ints([k, k]),
      strides: attr.ints([stride, stride]),
      pads: attr.ints([pad, pad, pad, pad]),
      dilations: attr.ints([1, 1]),
      group: attr.int(1),
    }, spec.name);
  }

  batchNorm(x: string, name: string, channels: number): string {
    const inputs = [x, ...["gamma", "beta", "mean", "variance"].map((p) => this.initializer(`${name}.${p}`, [channels], this.weight(`${name}.${p}`, [channels])))];
    return this.emit("BatchNormalization", inputs, this.shape(x), { epsilon: attr.float(BATCH_NORM_EPSILON) }, name);
  }

  relu(x: string): string {
    return this.emit("Relu", [x], this.shape(x));
  }

  maxPool(x: string, size: number): string {
    const [c, h, w] = this.shape(x);
    return this.emit("MaxPool", [x], [c, Math.floor(h / size), Math.floor(w / size)], {
      kernel_shape: attr.ints([size, size]),
      strides: attr.ints([size, size]),
      pads: attr.ints([0, 0, 0, 0]),
    });
  }

  flatten(x: string): string {
    const shape = this.shape(x);
    const y = this.emit("Flatten", [x], [shape.reduce((a, b) => a * b, 1)], { axis: attr.int(1) });
    if (shape.length === 3) this.flattenedFrom.set(y, shape);
    return y;
  }

  dense(x: string, spec: DenseSpec): string {
    const { inFeatures: k, outFeatures: n } = spec;
    const inOut = this.weight(`${spec.name}.weight`, [k, n]);
    const rowOf = tfjsRowOrder(this.flattenedFrom.get(x), k);
    const nk = new Float32Array(n * k);
    for (let j = 0; j < n; j++) for (let i = 0; i < k; i++) nk[j * k + i] = inOut[rowOf[i] * n + j];
    const inputs = [
      x,
      this.initializer(`${spec.name}.weight`, [n, k], nk),
      this.initializer(`${spec.name}.bias`, [n], this.weight(`${spec.name}.bias`, [n])),
    ];
    return this.emit("Gemm", inputs, [n], { alpha: attr.float(1), beta: attr.float(1), transA: attr.int(0), transB: attr.int(1) }, spec.name);
  }

  add(a: string, b: string): string {
    return this.emit("Add", [a, b], this.shape(a));
  }

  globalAveragePool(x: string): string {
    return this.emit("GlobalAveragePool", [x], [this.shape(x)[0], 1, 1]);
  }

  /** The model with `last` renamed to the graph output. */
  finish(last: string, outputName: string, inputDims: (number | string)[], outputDims: (number | string)[]): Uint8Array {
    const rename = (t: string) => (t === last ? outputName : t);
    for (const n of this.nodes) this.builder.node(n.opType, n.inputs.map(rename), [rename(n.output)], n.attributes, { name: n.name });
    return this.builder.input(INPUT_NAME, "float32", inputDims).output(outputName, "float32", outputDims).toBytes();
  }

  private emit(opType: string, inputs: string[], shape: FeatureShape, attributes: Record<string, AttributeValue> = {}, name?: string): string {
    const index = this.nodes.length;
    const output = `${name ?? opType.toLowerCase()}_${index}`;
    this.nodes.push({ opType, inputs, output, attributes, name: name ?? `${opType}_${index}` });
    this.shapes.set(output, shape);
    return output;
  }

  private initializer(name: string, dims: number[], data: Float32Array): string {
    this.builder.initializer(name, { type: "float32", dims, data });
    return name;
  }

  private weight(name: string, shape: readonly number[]): Float32Array {
    const w = this.weights.get(name);
    if (!w) throw new Error(`no trained weight '${name}'`);
    if (w.shape.join() !== shape.join()) throw new Error(`weight '${name}' is [${w.shape.join(", ")}], expected [${shape.join(", ")}]`);
    return w.data;
  }

  private shape(x: string): FeatureShape {
    const shape = this.shapes.get(x);
    if (!shape) throw new Error(`unknown tensor '${x}'`);
    return shape;
  }
}

/**
 * For each ONNX Gemm input column (C, H, W order), the tfjs weight row (H, W, C order) holding it.
 * Rows not made by flattening an image keep their order.
 */
function tfjsRowOrder(image: FeatureShape | undefined, k: number): Int32Array {
  const rows = new Int32Array(k);
  if (!image) {
    for (let i = 0; i < k; i++) rows[i] = i;
    return rows;
  }
  const [c, h, w] = image;
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rows[(ch * h + y) * w + x] = (y * w + x) * c + ch;
  return rows;
}

/** The ONNX model bytes of `architecture` with the trained `weights` (tfjs layouts). */
export function exportOnnx(graphName: string, architecture: Architecture, weights: ReadonlyMap<string, WeightArray>): Uint8Array {
  const exporter = new OnnxExporter(graphName, weights);
  const input = exporter.declareInput(INPUT_NAME, [1, IMAGE_SIZE, IMAGE_SIZE]);
  const last = architecture<string>(exporter, input);
  return exporter.finish(last, OUTPUT_NAME, ["N", 1, IMAGE_SIZE, IMAGE_SIZE], ["N", CLASSES]);
}
