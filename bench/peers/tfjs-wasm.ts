// TensorFlow.js with its WebAssembly backend (XNNPACK), fp32: the ONNX graph rebuilt as tf ops in
// NHWC, the layout TensorFlow.js and XNNPACK work in. The graph first goes through our optimisation
// passes (BatchNorm folded into Conv, Relu fused, MatMul normalised to Gemm), which is the graph a
// converter would hand TensorFlow.js too, and Conv/Gemm with their bias and activation become
// tf.fused ops. Flatten of an NHWC tensor is not transposed at run time when a Gemm reads it: the
// Gemm's weight columns are permuted once instead.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { attrFloat, attrInt, attrInts, attrString, opsetOf, type Graph, type Node } from "../../src/graph/ir.js";
import { optimizeGraph } from "../../src/graph/passes/index.js";
import { inferShapes } from "../../src/graph/shape-inference.js";
import { readOnnxModel } from "../../src/onnx/reader.js";
import { clipBounds } from "../../src/reference/interpreter-ops.js";
import type { Batch, LoadedModel, PeerRuntime } from "./types.js";

const require = createRequire(import.meta.url);

/** The directory holding tfjs-backend-wasm's .wasm files. */
export function tfjsWasmDistDir(): string {
  return dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"));
}

/**
 * Whether the wasm backend can use threads here. In Node it cannot: the backend turns its
 * multithreading off there (tensorflow/tfjs#3830), whatever setThreadsCount says.
 */
export async function tfjsWasmSupportsThreads(): Promise<boolean> {
  return Boolean(await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT"));
}

/** Selects the wasm backend with `threads` threads; call once per process, before any tf op. */
export async function initTfjsWasm(threads: number): Promise<void> {
  if (threads > 1 && !(await tfjsWasmSupportsThreads())) {
    throw new Error("the TensorFlow.js wasm backend has no threads in this environment (Node)");
  }
  setWasmPaths(`${tfjsWasmDistDir()}/`);
  setThreadsCount(threads);
  if (!(await tf.setBackend("wasm"))) throw new Error("the TensorFlow.js wasm backend failed to initialise");
  await tf.ready();
}

// ---------------------------------------------------------------------------------------------
// Layouts: where ONNX has [N, C, H, W], TensorFlow.js holds [N, H, W, C].

type Layout =
  | { readonly kind: "onnx" }
  | { readonly kind: "nhwc" }
  /** ONNX Flatten(axis 1) of an NHWC tensor, left in H, W, C order: [N, h*w*c]. */
  | { readonly kind: "flat-nhwc"; readonly c: number; readonly h: number; readonly w: number };

const ONNX: Layout = { kind: "onnx" };
const NHWC: Layout = { kind: "nhwc" };

type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];
type Env = Map<string, tf.Tensor>;
type Step = (env: Env) => void;

class UnsupportedGraphError extends Error {
  constructor(node: Node, why: string) {
    super(`tfjs-wasm peer: ${node.opType} node '${node.name}': ${why}`);
  }
}

/** A tensor in ONNX layout, whatever layout it is held in. */
function toOnnx(x: tf.Tensor, layout: Layout): tf.Tensor {
  if (layout.kind === "nhwc") return tf.transpose(x, [0, 3, 1, 2]);
  if (layout.kind === "flat-nhwc") {
    const { c, h, w } = layout;
    return tf.reshape(tf.transpose(tf.reshape(x, [-1, h, w, c]), [0, 3, 1, 2]), [-1, c * h * w]);
  }
  return x;
}

/** An ONNX constant that broadcasts against an NCHW tensor, made to broadcast against NHWC. */
function constantForNhwc(data: Float32Array, dims: readonly number[]): tf.Tensor {
  if (dims.length > 4) throw new Error(`tfjs-wasm peer: a constant of rank ${dims.length} does not broadcast against an image`);
  const full = [...Array(Math.max(0, 4 - dims.length)).fill(1), ...dims];
  return tf.tidy(() => tf.transpose(tf.tensor(data, full), [0, 2, 3, 1]));
}

/** The permutation of K = c*h*w features from C, H, W order to H, W, C order. */
function nhwcFeatureOrder(c: number, h: number, w: number): Int32Array {
  const order = new Int32Array(c * h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) order[(y * w + x) * c + ch] = ch * h * w + y * w + x;
  return order;
}

function fusedActivation(node: Node): { activation: tf.fused.Activation; clip?: [number, number] } {
  const range = node.activation;
  if (!range) return { activation: "linear" };
  if (range.min === 0 && range.max === Infinity) return { activation: "relu" };
  if (range.min === 0 && range.max === 6) return { activation: "relu6" };
  return { activation: "linear", clip: [range.min, range.max] };
}

function withClip(y: tf.Tensor, clip: [number, number] | undefined): tf.Tensor {
  return clip ? tf.clipByValue(y, clip[0], clip[1]) : y;
}

/** The padding as one number when every side gets the same. */
function uniformPad(pad: ExplicitPadding): number | undefined {
  const sides = [...pad[1], ...pad[2]];
  return sides.every((p) => p === sides[0]) ? sides[0] : undefined;
}

/** The fused activation as separate ops, for the convolutions that have no fused form. */
function activate(y: tf.Tensor, activation: tf.fused.Activation, clip: [number, number] | undefined): tf.Tensor {
  return withClip(activation === "relu" ? tf.relu(y) : activation === "relu6" ? tf.relu6(y) : y, clip);
}

/** Turns the graph into steps over tf tensors; constants become tf tensors once, here. */
class NetworkBuilder {
  readonly steps: Step[] = [];
  readonly constants: tf.Tensor[] = [];
  private readonly layouts = new Map<string, Layout>();

  constructor(private readonly graph: Graph) {
    for (const name of graph.inputs) this.layouts.set(name, this.rank(name) === 4 ? NHWC : ONNX);
  }

  build(): void {
    for (const node of this.graph.nodes) this.addNode(node);
  }

  layoutOf(name: string): Layout {
    const layout = this.layouts.get(name);
    if (!layout) throw new Error(`tfjs-wasm peer: tensor '${name}' is not computed by any node`);
    return layout;
  }

  private rank(name: string): number | undefined {
    return this.graph.values.get(name)?.shape?.length;
  }

  private dims(node: Node, name: string): number[] {
    const shape = this.graph.values.get(name)?.shape;
    if (!shape || shape.slice(1).some((d) => typeof d !== "number")) throw new UnsupportedGraphError(node, `the shape of '${name}' is not known`);
    return shape.map((d) => (typeof d === "number" ? d : -1));
  }

  private floatConstant(node: Node, name: string): Float32Array {
    const data = this.graph.values.get(name)?.initializer;
    if (!(data instanceof Float32Array)) throw new UnsupportedGraphError(node, `'${name}' must be a float32 constant`);
    return data;
  }

  private isConstant(name: string): boolean {
    return Boolean(this.graph.values.get(name)?.initializer);
  }

  private keep<T extends tf.Tensor>(tensor: T): T {
    this.constants.push(tensor);
    return tensor;
  }

  private emit(node: Node, layout: Layout, run: (inputs: tf.Tensor[]) => tf.Tensor): void {
    const [input, ...rest] = node.inputs;
    const others = rest.filter((name) => name && !this.isConstant(name));
    const output = node.outputs[0];
    this.layouts.set(output, layout);
    this.steps.push((env) => env.set(output, run([env.get(input)!, ...others.map((name) => env.get(name)!)])));
  }

  private requireLayout(node: Node, name: string, kind: Layout["kind"]): void {
    if (this.layoutOf(name).kind !== kind) throw new UnsupportedGraphError(node, `expects '${name}' in ${kind} layout`);
  }

  private addNode(node: Node): void {
    if (node.domain !== "") throw new UnsupportedGraphError(node, `domain '${node.domain}'`);
    switch (node.opType) {
      case "Conv":
        return this.conv(node);
      case "Gemm":
        return this.gemm(node);
      case "MatMul":
        return this.matMul(node);
      case "BatchNormalization":
        return this.batchNorm(node);
      case "Relu":
        return this.emit(node, this.layoutOf(node.inputs[0]), ([x]) => tf.relu(x));
      case "Clip":
        return this.clip(node);
      case "MaxPool":
      case "AveragePool":
        return this.pool(node);
      case "GlobalAveragePool":
        this.requireLayout(node, node.inputs[0], "nhwc");
        return this.emit(node, NHWC, ([x]) => tf.mean(x, [1, 2], true));
      case "Add":
        return this.add(node);
      case "Flatten":
        return this.flatten(node);
      case "Identity":
      case "Dropout":
        return this.emit(node, this.layoutOf(node.inputs[0]), ([x]) => x);
      default:
        throw new UnsupportedGraphError(node, "operator not mapped to TensorFlow.js");
    }
  }

  private conv(node: Node): void {
    const [input, weightName, biasName] = node.inputs;
    this.requireLayout(node, input, "nhwc");
    const weights = this.floatConstant(node, weightName);
    const weightDims = this.dims(node, weightName);
    if (weightDims.length !== 4) throw new UnsupportedGraphError(node, "only 2-D convolutions are mapped");
    const [outChannels, groupChannels, kh, kw] = weightDims;
    const group = attrInt(node, "group", 1);
    const strides = attrInts(node, "strides", [1, 1]) as [number, number];
    const dilations = attrInts(node, "dilations", [1, 1]) as [number, number];
    const pad = this.padding(node);
    const bias = biasName ? this.keep(tf.tensor1d(this.floatConstant(node, biasName))) : undefined;
    const { activation, clip } = fusedActivation(node);
    const inChannels = groupChannels * group;
    const oihw = tf.tensor4d(weights, [outChannels, groupChannels, kh, kw]);
    if (group === 1) {
      const filter = this.keep(tf.transpose(oihw, [2, 3, 1, 0]) as tf.Tensor4D);
      this.emit(node, NHWC, ([x]) => withClip(tf.fused.conv2d({ x: x as tf.Tensor4D, filter, strides, pad, dataFormat: "NHWC", dilations, bias, activation }), clip));
    } else if (groupChannels === 1) {
      // Depthwise: output channel c*multiplier + m reads input channel c, in ONNX and in tf alike.
      const multiplier = outChannels / inChannels;
      const filter = this.keep(tf.transpose(tf.reshape(oihw, [inChannels, multiplier, kh, kw]), [2, 3, 0, 1]) as tf.Tensor4D);
      const fusablePad = typeof pad === "string" ? pad : uniformPad(pad);
      if (fusablePad !== undefined) {
        this.emit(node, NHWC, ([x]) =>
          withClip(tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter, strides, pad: fusablePad, dataFormat: "NHWC", dilations, bias, activation }), clip),
        );
      } else {
        // tf.fused.depthwiseConv2d takes only uniform padding.
        this.emit(node, NHWC, ([x]) => {
          const y = tf.depthwiseConv2d(x as tf.Tensor4D, filter, strides, pad, "NHWC", dilations);
          return activate(bias ? tf.add(y, bias) : y, activation, clip);
        });
      }
    } else {
      const filters = tf.split(oihw, group, 0).map((w) => this.keep(tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D));
      this.emit(node, NHWC, ([x]) => {
        const parts = tf.split(x, group, 3).map((xg, g) => tf.conv2d(xg as tf.Tensor4D, filters[g], strides, pad, "NHWC", dilations));
        return activate(bias ? tf.add(tf.concat(parts, 3), bias) : tf.concat(parts, 3), activation, clip);
      });
    }
    oihw.dispose();
  }

  private padding(node: Node): "valid" | "same" | ExplicitPadding {
    const autoPad = attrString(node, "auto_pad", "NOTSET");
    if (autoPad === "VALID") return "valid";
    if (autoPad === "SAME_UPPER") return "same";
    if (autoPad !== "NOTSET") throw new UnsupportedGraphError(node, `auto_pad ${autoPad}`);
    const [top, left, bottom, right] = attrInts(node, "pads", [0, 0, 0, 0]);
    return [[0, 0], [top, bottom], [left, right], [0, 0]];
  }

  private pool(node: Node): void {
    const input = node.inputs[0];
    this.requireLayout(node, input, "nhwc");
    if (attrInt(node, "ceil_mode", 0) !== 0) throw new UnsupportedGraphError(node, "ceil_mode 1");
    if (attrInts(node, "dilations", [1, 1]).some((d) => d !== 1)) throw new UnsupportedGraphError(node, "dilated pooling");
    const size = attrInts(node, "kernel_shape") as [number, number];
    const strides = attrInts(node, "strides", [1, 1]) as [number, number];
    const pad = this.padding(node);
    if (node.opType === "MaxPool") {
      if (node.outputs.length > 1 && node.outputs[1]) throw new UnsupportedGraphError(node, "the indices output");
      this.emit(node, NHWC, ([x]) => tf.maxPool(x as tf.Tensor4D, size, strides, pad));
      return;
    }
    // TensorFlow averages over the window's elements inside the image: ONNX count_include_pad 0.
    const padded = typeof pad !== "string" && pad.flat().some((p) => p !== 0);
    if (padded && attrInt(node, "count_include_pad", 0) !== 0) throw new UnsupportedGraphError(node, "count_include_pad 1 with padding");
    this.emit(node, NHWC, ([x]) => tf.avgPool(x as tf.Tensor4D, size, strides, pad));
  }

  private batchNorm(node: Node): void {
    const [input, scale, offset, mean, variance] = node.inputs;
    const layout = this.layoutOf(input);
    const supported = layout.kind === "nhwc" || (layout.kind === "onnx" && this.rank(input) === 2);
    if (!supported) throw new UnsupportedGraphError(node, "only NCHW or [N, C] inputs are mapped");
    if (node.outputs.length > 1) throw new UnsupportedGraphError(node, "training-mode outputs");
    const epsilon = attrFloat(node, "epsilon", 1e-5);
    const [g, b, m, v] = [scale, offset, mean, variance].map((name) => this.keep(tf.tensor1d(this.floatConstant(node, name))));
    this.emit(node, layout, ([x]) => tf.batchNorm(x, m, v, b, g, epsilon));
  }

  private clip(node: Node): void {
    const bounds = node.inputs.map((name, i) => (i > 0 && name ? { data: this.floatConstant(node, name), dims: [] } : undefined));
    const { min, max } = clipBounds(node, bounds, opsetOf(this.graph, node));
    const relu6 = min === 0 && max === 6;
    this.emit(node, this.layoutOf(node.inputs[0]), ([x]) => (relu6 ? tf.relu6(x) : tf.clipByValue(x, min, max)));
  }

  private add(node: Node): void {
    const [a, b] = node.inputs;
    const constant = [a, b].find((name) => this.isConstant(name));
    if (constant) {
      const variable = constant === a ? b : a;
      const layout = this.layoutOf(variable);
      if (layout.kind === "flat-nhwc") throw new UnsupportedGraphError(node, "a constant added to a flattened NHWC tensor");
      const data = this.floatConstant(node, constant);
      const dims = this.dims(node, constant);
      const c = this.keep(layout.kind === "nhwc" ? constantForNhwc(data, dims) : tf.tensor(data, dims));
      this.emit({ ...node, inputs: [variable] }, layout, ([x]) => tf.add(x, c));
      return;
    }
    const [la, lb] = [this.layoutOf(a), this.layoutOf(b)];
    if (JSON.stringify(la) === JSON.stringify(lb)) {
      this.emit(node, la, ([x, y]) => tf.add(x, y));
      return;
    }
    this.emit(node, ONNX, ([x, y]) => tf.add(toOnnx(x, la), toOnnx(y, lb)));
  }

  private flatten(node: Node): void {
    const input = node.inputs[0];
    const layout = this.layoutOf(input);
    const dims = this.dims(node, input);
    const rank = dims.length;
    const axis = (attrInt(node, "axis", 1) + rank) % rank;
    const outer = (x: tf.Tensor) => x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
    if (layout.kind === "nhwc" && axis === 1) {
      const [, c, h, w] = dims;
      // With one channel or a 1x1 image, H, W, C order is C, H, W order.
      const flat: Layout = c === 1 || h * w === 1 ? ONNX : { kind: "flat-nhwc", c, h, w };
      this.emit(node, flat, ([x]) => tf.reshape(x, [x.shape[0], -1]));
      return;
    }
    this.emit(node, ONNX, ([x]) => {
      const y = toOnnx(x, layout);
      return tf.reshape(y, [outer(y), -1]);
    });
  }

  /** Y = A B^T + bias with B a constant [N, K] (Gemm transB 1, or MatMul's [K, N] transposed). */
  private fullyConnected(node: Node, input: string, weightsNK: Float32Array, n: number, k: number, bias: Float32Array | undefined): void {
    const layout = this.layoutOf(input);
    if (layout.kind === "onnx" && this.rank(input) !== 2) throw new UnsupportedGraphError(node, "only 2-D inputs are mapped");
    if (layout.kind === "nhwc") throw new UnsupportedGraphError(node, "only 2-D inputs are mapped");
    const order = layout.kind === "flat-nhwc" ? nhwcFeatureOrder(layout.c, layout.h, layout.w) : undefined;
    // B as [K, N]: the wasm backend's fused matMul gives wrong results with transposeB (tfjs 4.22).
    const weightsKN = new Float32Array(k * n);
    for (let row = 0; row < n; row++) for (let j = 0; j < k; j++) weightsKN[j * n + row] = weightsNK[row * k + (order ? order[j] : j)];
    const b = this.keep(tf.tensor2d(weightsKN, [k, n]));
    const biasTensor = bias ? this.keep(tf.tensor1d(bias)) : undefined;
    const { activation, clip } = fusedActivation(node);
    this.emit({ ...node, inputs: [input] }, ONNX, ([x]) =>
      withClip(tf.fused.matMul({ a: x as tf.Tensor2D, b, bias: biasTensor, activation }), clip),
    );
  }

  private gemm(node: Node): void {
    const [a, bName, cName] = node.inputs;
    if (attrInt(node, "transA", 0) !== 0) throw new UnsupportedGraphError(node, "transA 1");
    const alpha = attrFloat(node, "alpha", 1);
    const beta = attrFloat(node, "beta", 1);
    const b = this.floatConstant(node, bName);
    const [rows, cols] = this.dims(node, bName);
    const transB = attrInt(node, "transB", 0) === 1;
    const [n, k] = transB ? [rows, cols] : [cols, rows];
    const weights = new Float32Array(n * k);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) weights[i * k + j] = alpha * (transB ? b[i * k + j] : b[j * n + i]);
    let bias: Float32Array | undefined;
    if (cName) {
      const c = this.floatConstant(node, cName);
      if (c.length !== n) throw new UnsupportedGraphError(node, "only a bias of N values is mapped");
      bias = Float32Array.from(c, (v) => beta * v);
    }
    this.fullyConnected(node, a, weights, n, k, bias);
  }

  private matMul(node: Node): void {
    const [a, bName] = node.inputs;
    const b = this.floatConstant(node, bName);
    const dims = this.dims(node, bName);
    if (dims.length !== 2) throw new UnsupportedGraphError(node, "only a 2-D constant B is mapped");
    const [k, n] = dims;
    const weights = new Float32Array(n * k);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) weights[i * k + j] = b[j * n + i];
    this.fullyConnected(node, a, weights, n, k, undefined);
  }
}

/** An ONNX model rebuilt as TensorFlow.js ops; `predict` takes and returns tensors in ONNX layout. */
export class TfjsNetwork {
  private constructor(
    private readonly steps: readonly Step[],
    private readonly constants: readonly tf.Tensor[],
    readonly inputName: string,
    private readonly inputIsImage: boolean,
    private readonly outputName: string,
    private readonly outputLayout: Layout,
  ) {}

  /** `optimize: false` maps the graph as read (BatchNorm, Relu, MatMul as their own ops). */
  static fromOnnx(onnxBytes: Uint8Array, options: { optimize?: boolean } = {}): TfjsNetwork {
    const read = readOnnxModel(onnxBytes);
    const graph = options.optimize === false ? read : inferShapes(optimizeGraph(read, { level: "all" }));
    if (graph.inputs.length !== 1 || graph.outputs.length < 1) throw new Error("tfjs-wasm peer: one input is supported");
    const builder = new NetworkBuilder(graph);
    try {
      builder.build();
    } catch (error) {
      tf.dispose(builder.constants);
      throw error;
    }
    const [input] = graph.inputs;
    const [output] = graph.outputs;
    return new TfjsNetwork(builder.steps, builder.constants, input, builder.layoutOf(input).kind === "nhwc", output, builder.layoutOf(output));
  }

  /** The input tensor for a batch in ONNX layout (NHWC for images): made once, outside timing. */
  inputTensor(batch: Batch): tf.Tensor {
    return tf.tidy(() => {
      const x = tf.tensor(batch.data, [...batch.dims]);
      return this.inputIsImage ? tf.transpose(x, [0, 2, 3, 1]) : x;
    });
  }

  /** Runs the network on an input made by inputTensor; returns the first output in ONNX layout. */
  predict(input: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const env: Env = new Map([[this.inputName, input]]);
      for (const step of this.steps) step(env);
      return toOnnx(env.get(this.outputName)!, this.outputLayout);
    });
  }

  dispose(): void {
    tf.dispose([...this.constants]);
  }
}

class TfjsModel implements LoadedModel {
  private readonly inputs: tf.Tensor[] = [];

  constructor(private readonly network: TfjsNetwork) {}

  async infer(batch: Batch): Promise<Float32Array> {
    const x = this.network.inputTensor(batch);
    const y = this.network.predict(x);
    const values = (await y.data()) as Float32Array;
    tf.dispose([x, y]);
    return values;
  }

  prepareCall(batch: Batch): () => unknown {
    const x = this.network.inputTensor(batch);
    this.inputs.push(x);
    return () => {
      const y = this.network.predict(x);
      y.dataSync();
      y.dispose();
    };
  }

  dispose(): void {
    tf.dispose(this.inputs);
    this.network.dispose();
  }
}

/** TensorFlow.js's wasm backend, fp32 (call once per process). */
export async function createTfjsWasmRuntime(threads: number): Promise<PeerRuntime> {
  await initTfjsWasm(threads);
  return {
    runtime: "tfjs-wasm",
    threads,
    async load(onnxBytes, inputName) {
      const network = TfjsNetwork.fromOnnx(onnxBytes);
      if (network.inputName !== inputName) throw new Error(`tfjs-wasm peer: the model's input is '${network.inputName}', not '${inputName}'`);
      return new TfjsModel(network);
    },
  };
}
