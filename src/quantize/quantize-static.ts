// Static post-training quantization (DESIGN.md 4): fold BatchNorm, observe the activations of
// the fp32 graph on calibration batches, choose their (S, Z), quantize weights and biases, and
// emit a QDQ graph that InferenceSession lowers to integer kernels and writeOnnxModel saves.
import { createObserver, type ObserverMethod, type TensorObserver } from "../calibrate/index.js";
import { InvalidArgumentError, QuantizationError, UnsupportedError } from "../errors.js";
import {
  attrInt, cloneGraph, consumers, producers, pruneUnusedValues, topologicalSort, uniqueName, type Graph, type Node, type Value,
} from "../graph/ir.js";
import { optimizeGraph } from "../graph/passes/index.js";
import { inferShapes } from "../graph/shape-inference.js";
import { readOnnxModel } from "../onnx/reader.js";
import { writeOnnxModel } from "../onnx/writer.js";
import { quantizeBias, quantizeWeights } from "../quant/weights.js";
import { InferenceSession } from "../runtime/session.js";
import type { Tensor } from "../runtime/tensor.js";
import { ActivationParams, compactTensorNames, insertClip, insertConstantDq, insertQdq, type ActivationQuant } from "./qdq.js";

export type CalibrationFeeds = Readonly<Record<string, Tensor>>;

export interface BitWidths {
  readonly weightBits?: number;
  readonly activationBits?: number;
}

/** Options named after ONNX Runtime's quantize_static where they mean the same. */
export interface QuantizeStaticOptions extends BitWidths {
  /** Weights per output channel (default true) or per tensor. */
  readonly perChannel?: boolean;
  readonly calibrateMethod?: ObserverMethod;
  /** For calibrateMethod 'percentile' (default 99.99). */
  readonly percentile?: number;
  /** Activations symmetric (Z = 0) instead of asymmetric (default false). */
  readonly symmetricActivation?: boolean;
  /** Nodes (by name, after BatchNorm folding) left in fp32. */
  readonly nodesToExclude?: readonly string[];
  /** Bit widths per node name, overriding weightBits/activationBits for that node's weights and output. */
  readonly perNodeBits?: Readonly<Record<string, BitWidths>>;
  /** How weight scales are chosen (see quantizeWeights); default "mse" below 8 bits, else "max". */
  readonly weightClipping?: "max" | "mse";
  /**
   * Bit width of the codes at the model's boundary, its inputs and its outputs (default 8 whatever
   * activationBits says): the input is the data and the output the scores read by the caller, not
   * hidden activations, and at 3-4 bits an argmax over a handful of levels is mostly ties.
   */
  readonly boundaryBits?: number;
  /** Called after each calibration batch. */
  readonly onProgress?: (batch: number, batches: number | undefined) => void;
}

export interface QuantizedModel {
  readonly graph: Graph;
  /** The QDQ model as ONNX bytes. */
  toBytes(): Uint8Array;
}

const LINEAR = new Set(["Conv", "Gemm", "MatMul"]);
const COMPUTE = new Set([...LINEAR, "Add", "AveragePool", "GlobalAveragePool"]);
const PASSTHROUGH = new Set(["MaxPool", "Flatten", "Reshape"]);
const ACTIVATION = new Set(["Relu"]);

/** Which tensors get (S, Z), and which share them (the outputs of data movement and max pooling). */
interface QuantPlan {
  readonly observed: Set<string>;
  readonly sharedWith: Map<string, string>;
  readonly linearNodes: Node[];
  /** Tensor -> bit width of its activation grid. */
  readonly bits: Map<string, number>;
}

function isConstant(graph: Graph, name: string): boolean {
  return Boolean(graph.values.get(name)?.initializer);
}

function widths(options: QuantizeStaticOptions, node: Node): Required<BitWidths> {
  const own = options.perNodeBits?.[node.name] ?? {};
  return {
    weightBits: own.weightBits ?? options.weightBits ?? 8,
    activationBits: own.activationBits ?? options.activationBits ?? 8,
  };
}

/** The tensor a compute node's quantized output is taken at: after its Relu when it has one. */
function quantizedOutput(graph: Graph, node: Node, readers: Map<string, Node[]>, excluded: Set<string>): string {
  const output = node.outputs[0];
  const next = readers.get(output);
  if (next?.length === 1 && ACTIVATION.has(next[0].opType) && !excluded.has(next[0].name) && !graph.outputs.includes(output)) {
    return next[0].outputs[0];
  }
  return output;
}

function planQuantization(graph: Graph, options: QuantizeStaticOptions): QuantPlan {
  const excluded = new Set(options.nodesToExclude ?? []);
  const readers = consumers(graph);
  const observed = new Set<string>();
  const sharedWith = new Map<string, string>();
  const bits = new Map<string, number>();
  const linearNodes: Node[] = [];
  for (const node of graph.nodes) {
    if (excluded.has(node.name)) continue;
    const { activationBits } = widths(options, node);
    if (COMPUTE.has(node.opType)) {
      if (LINEAR.has(node.opType) && !isConstant(graph, node.inputs[1])) continue;
      if (node.opType === "Add" && node.inputs.some((name) => isConstant(graph, name))) continue;
      const inputs = LINEAR.has(node.opType) ? [node.inputs[0]] : node.inputs.filter(Boolean);
      for (const input of inputs) {
        if (!sharedWith.has(input)) observed.add(input);
        if (!bits.has(input)) bits.set(input, activationBits);
      }
      const output = quantizedOutput(graph, node, readers, excluded);
      observed.add(output);
      bits.set(output, activationBits);
      if (LINEAR.has(node.opType)) linearNodes.push(node);
    } else if (PASSTHROUGH.has(node.opType)) {
      const input = node.inputs[0];
      if (observed.has(input) || sharedWith.has(input)) {
        sharedWith.set(node.outputs[0], sharedWith.get(input) ?? input);
        bits.set(node.outputs[0], bits.get(input)!);
      }
    }
  }
  for (const name of [...graph.inputs, ...graph.outputs]) if (bits.has(name)) bits.set(name, options.boundaryBits ?? 8);
  return { observed, sharedWith, linearNodes, bits };
}

function observerFor(options: QuantizeStaticOptions, name: string): TensorObserver {
  const method = options.calibrateMethod ?? "minmax";
  return createObserver(method, { name, percentile: options.percentile }) as TensorObserver;
}

/** Observed activation statistics of one model, reusable for several bit widths and granularities. */
export interface Calibration {
  /** The optimised fp32 graph the statistics belong to. */
  readonly graph: Graph;
  readonly observers: ReadonlyMap<string, TensorObserver>;
  readonly batches: number;
}

function prepareGraph(model: Graph): Graph {
  const graph = inferShapes(optimizeGraph(cloneGraph(model), { level: "all", skip: ["activation-fusion"] }));
  if ((graph.opsets[""] ?? 0) < 13) {
    throw new UnsupportedError(`static quantization needs opset >= 13 (per-axis DequantizeLinear); the model has ${graph.opsets[""]}`);
  }
  return graph;
}

/** Runs the calibration batches through the fp32 graph with an observer on every tensor to quantize. */
export async function calibrate(
  model: Uint8Array | Graph,
  data: Iterable<CalibrationFeeds> | AsyncIterable<CalibrationFeeds>,
  options: QuantizeStaticOptions = {},
): Promise<Calibration> {
  const graph = prepareGraph(model instanceof Uint8Array ? readOnnxModel(model) : model);
  const plan = planQuantization(graph, options);
  const session = await InferenceSession.create(graph, { skipPasses: ["activation-fusion"] });
  const observers = new Map([...plan.observed].map((name) => [name, observerFor(options, name)]));
  const total = Array.isArray(data) ? data.length : undefined;
  let batches = 0;
  for await (const feeds of data) {
    session.runSync(feeds, (name, values) => observers.get(name)?.observe(values));
    batches++;
    options.onProgress?.(batches, total);
  }
  if (batches === 0) throw new InvalidArgumentError("calibration data is empty: at least one batch is needed");
  return { graph, observers, batches };
}

function isCalibration(value: unknown): value is Calibration {
  return typeof value === "object" && value !== null && "observers" in value && "graph" in value;
}

function activationQuant(observer: TensorObserver, bits: number, symmetric: boolean): ActivationQuant {
  const qparams = observer.computeQParams({ bits, symmetric, range: "signed" });
  return { scale: qparams.scale, zeroPoint: qparams.zeroPoint, qmin: qparams.qmin, qmax: qparams.qmax };
}

/** Makes every node of `readers` that reads `from` read `to` instead. */
function rewire(readers: Iterable<Node>, from: string, to: string): void {
  for (const node of readers) node.inputs = node.inputs.map((name) => (name === from ? to : name));
}

/** Puts Q/DQ (and, below 8 bits, a Clip to the narrower grid) after every observed tensor. */
function quantizeActivations(graph: Graph, quant: Map<string, ActivationQuant>): void {
  const producer = producers(graph);
  const params = new ActivationParams(graph);
  for (const [name, q] of quant) {
    const readersBefore = [...graph.nodes];
    const shape = graph.values.get(name)?.shape;
    const isOutput = graph.outputs.includes(name);
    // A graph output keeps its name on the dequantized tensor, so its producer writes a new one.
    let source = name;
    if (isOutput) {
      source = uniqueName(graph, `${name}_f`);
      graph.values.set(source, { ...graph.values.get(name)!, name: source });
      const node = producer.get(name)!;
      node.outputs = node.outputs.map((o) => (o === name ? source : o));
    }
    if (q.qmin > -128 || q.qmax < 127) source = clipToGrid(graph, source, q, producer.get(name), shape);
    else if (!isOutput) source = dropRedundantRelu(graph, source, q, producer.get(name));
    const dequantized = insertQdq(graph, params, source, q, shape, isOutput ? name : undefined);
    if (!isOutput) rewire(readersBefore, name, dequantized);
  }
}

/**
 * A Relu right before a QuantizeLinear whose zero point is the lowest code changes nothing: the
 * quantization already clamps at real 0. Dropping it (as ONNX Runtime's quantizer does) keeps the
 * file small; returns the tensor the QuantizeLinear should read.
 */
function dropRedundantRelu(graph: Graph, source: string, q: ActivationQuant, producer: Node | undefined): string {
  if (producer?.opType !== "Relu" || q.zeroPoint !== q.qmin) return source;
  const input = producer.inputs[0];
  if (graph.outputs.includes(input) || graph.nodes.filter((n) => n.inputs.includes(input)).length !== 1) return source;
  graph.nodes.splice(graph.nodes.indexOf(producer), 1);
  return input;
}

/** Below 8 bits, the output is clipped to the grid's codes: a Relu producing it becomes that Clip. */
function clipToGrid(graph: Graph, source: string, q: ActivationQuant, producer: Node | undefined, shape: Value["shape"]): string {
  const lo = q.scale * (q.qmin - q.zeroPoint);
  const hi = q.scale * (q.qmax - q.zeroPoint);
  if (producer?.opType === "Relu") {
    producer.opType = "Clip";
    producer.inputs = [producer.inputs[0], ...clipBounds(graph, producer.name, Math.max(0, lo), hi)];
    return source;
  }
  return insertClip(graph, source, lo, hi, shape);
}

function clipBounds(graph: Graph, base: string, lo: number, hi: number): [string, string] {
  const min = uniqueName(graph, `${base}_min`);
  const max = uniqueName(graph, `${base}_max`);
  graph.values.set(min, { name: min, dtype: "float32", shape: [], initializer: Float32Array.of(lo) });
  graph.values.set(max, { name: max, dtype: "float32", shape: [], initializer: Float32Array.of(hi) });
  return [min, max];
}

/** Replaces a linear node's float weights and bias by DequantizeLinear of int8 / int32 constants. */
function quantizeLinearNode(graph: Graph, node: Node, index: number, inputScale: number, options: QuantizeStaticOptions): void {
  const weightsValue = graph.values.get(node.inputs[1])!;
  const dims = weightsValue.shape as number[];
  const transB = node.opType === "Gemm" ? attrInt(node, "transB", 0) : node.opType === "Conv" ? 1 : 0;
  const axis = node.opType === "Conv" || transB === 1 ? 0 : 1;
  const { weightBits } = widths(options, node);
  const weights = quantizeWeights(weightsValue.initializer as Float32Array, dims, {
    bits: weightBits, perChannel: options.perChannel ?? true, axis, name: node.inputs[1],
    clipping: options.weightClipping ?? (weightBits < 8 ? "mse" : "max"),
  });
  const storage = weightBits <= 4 ? "int4" : undefined;
  // Short generated names (w0, b0, ...): every name is stored in the file, often twice.
  node.inputs[1] = insertConstantDq(graph, `w${index}`, weights.codes, dims, weights.scales, axis, storage);
  const biasName = node.opType === "MatMul" ? undefined : node.inputs[2];
  if (!biasName) return;
  const bias = graph.values.get(biasName)?.initializer;
  if (!(bias instanceof Float32Array)) throw new UnsupportedError("bias must be a float constant", { node: node.name, tensor: biasName });
  const outChannels = dims[axis];
  const channelScales = weights.scales.length === 1 ? new Float32Array(outChannels).fill(weights.scales[0]) : weights.scales;
  const biasScales = Float32Array.from(channelScales, (s) => inputScale * s);
  node.inputs[2] = insertConstantDq(graph, `b${index}`, quantizeBias(bias, inputScale, channelScales), [outChannels], biasScales, 0);
}

/**
 * Quantizes an fp32 model: weights symmetric per channel (per tensor on request), activations
 * asymmetric per tensor, biases int32, all at the requested widths. The result runs on integer
 * kernels in InferenceSession and saves as a QDQ ONNX model. `calibration` is either the
 * calibration batches or the result of `calibrate` (to quantize one model several ways).
 */
export async function quantizeStatic(
  model: Uint8Array | Graph,
  calibration: Iterable<CalibrationFeeds> | AsyncIterable<CalibrationFeeds> | Calibration,
  options: QuantizeStaticOptions = {},
): Promise<QuantizedModel> {
  const { graph, observers } = isCalibration(calibration) ? calibration : await calibrate(model, calibration, options);
  const plan = planQuantization(graph, options);
  const quant = new Map<string, ActivationQuant>();
  for (const name of plan.observed) {
    const observer = observers.get(name);
    if (!observer) throw new QuantizationError("tensor was not observed during calibration (different nodesToExclude?)", { tensor: name });
    quant.set(name, activationQuant(observer, plan.bits.get(name) ?? 8, options.symmetricActivation ?? false));
  }
  // Tensors that share parameters (after max pooling and data movement) get no Q/DQ of their
  // own: those ops commute with dequantization and the session runs them on int8 codes anyway.
  const paramsOf = new Map(quant);
  for (const [name, shared] of plan.sharedWith) paramsOf.set(name, quant.get(shared)!);

  const result = cloneGraph(graph, { shareTensorData: true });
  const resultNodes = new Map(result.nodes.map((n) => [n.name, n]));
  plan.linearNodes.forEach((node, index) => {
    const inputQuant = paramsOf.get(node.inputs[0]);
    if (!inputQuant) throw new QuantizationError("input of a quantized layer was not calibrated", { node: node.name, tensor: node.inputs[0] });
    quantizeLinearNode(result, resultNodes.get(node.name)!, index, inputQuant.scale, options);
  });
  quantizeActivations(result, quant);
  if ([...result.values.values()].some((v) => v.storage === "int4")) result.opsets[""] = Math.max(result.opsets[""], 21);
  result.nodes = topologicalSort(result);
  pruneUnusedValues(result);
  compactTensorNames(result);
  return { graph: result, toBytes: () => writeOnnxModel(result, { valueInfo: false }) };
}
