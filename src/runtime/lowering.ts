// Lowering: which kernel runs each part of an optimised graph. QDQ patterns
// (DequantizeLinear -> float op -> QuantizeLinear, with int8 constants behind the weights' DQ)
// become integer steps that read and write int8 tensors directly, the way ONNX Runtime treats a
// QDQ model; every other node runs in fp32, and the Q/DQ nodes left over become conversions.
import { DTypeError, QuantizationError, ShapeError, UnsupportedError } from "../errors.js";
import type { FusedMaxPool } from "../kernels/qs8-conv.js";
import { int8Quant, isQOperator, lowerQOperator, symmetricInt8Weights } from "./qoperator-lowering.js";
import { attrFloat, attrInt, consumers, opsetOf, producers, uniqueName, type Activation, type Graph, type Node, type TensorData, type Value } from "../graph/ir.js";

/**
 * Per-axis parameters of a QuantizeLinear/DequantizeLinear of a runtime value: one (scale, zero point)
 * per index along `axis` (non-negative), zero points in int8 form (uint8 ones shifted by -128).
 */
export interface PerAxisQuant {
  readonly axis: number;
  readonly scales: Float32Array;
  readonly zeroPoints: Int32Array;
}

/** A constant int8/uint8 operand as int8 codes (uint8 shifted by -128) with its parameters. */
export interface ConstantCodes {
  readonly codes: Int8Array;
  readonly dims: readonly number[];
  readonly quant: TensorQuant;
}

/** Per-tensor affine parameters of an int8 runtime value. */
export interface TensorQuant {
  readonly scale: number;
  readonly zeroPoint: number;
  /** The file's tensor is uint8: these are its codes shifted by -128 (DESIGN.md 2), zeroPoint included. */
  readonly uint8?: boolean;
}

/** How a runtime value is stored: fp32, int8 codes (uint8 ones shifted, DESIGN.md 2), or int32 (MatMulInteger/ConvInteger results). */
export type RuntimeDType = "float32" | "int8" | "int32";

export interface RuntimeValueInfo {
  readonly name: string;
  readonly dtype: RuntimeDType;
  readonly quant?: TensorQuant;
  /** The graph value whose shape this one has, when it is not itself in the graph. */
  readonly shapeOf?: string;
}

/** Weights of an integer Conv or Gemm: int8 codes laid out like the float op's constant. */
export interface QuantizedWeights {
  readonly data: Int8Array;
  readonly dims: readonly number[];
  /** One scale per output channel (or a single scale). */
  readonly scales: Float32Array;
  /** int32 bias codes at scale S_x * S_w[c], or null. */
  readonly bias: Int32Array | null;
}

/** Set on a Flatten whose readers all take its input in our NHWC order instead of ONNX's NCHW. */
interface KeepsNhwc {
  readonly keepsNhwc?: boolean;
}

/** Set on a Gemm whose weight columns are permuted at load to read a flattened [C, H, W] input in NHWC order. */
interface ReadsNhwc {
  readonly nhwcInput?: readonly [number, number, number];
}

/** Weights of a dynamically quantized MatMul: int8 [N, K] codes, per-column scales, a float bias. */
export interface DynamicWeights {
  readonly data: Int8Array;
  readonly N: number;
  readonly K: number;
  readonly scales: Float32Array;
  readonly bias: Float32Array | null;
}

export type LoweredStep =
  | ({ readonly op: "float"; readonly node: Node } & KeepsNhwc & ReadsNhwc)
  | ({
      readonly op: "qlinear"; readonly node: Node; readonly input: string; readonly output: string; readonly weights: QuantizedWeights;
      readonly activation?: Activation;
      /** A max pool over a Conv's output, fused in (conv-pool-fusion.ts): `output` is the pool's. */
      readonly pool?: FusedMaxPool;
    } & ReadsNhwc)
  | ({ readonly op: "qpassthrough"; readonly node: Node; readonly input: string; readonly output: string } & KeepsNhwc)
  /** Elementwise Add/Mul of int8 values; the second operand may be constant codes (then `inputs` holds the first only). */
  | { readonly op: "qadd"; readonly node: Node; readonly inputs: readonly string[]; readonly output: string; readonly activation?: Activation; readonly constantB?: ConstantCodes }
  | { readonly op: "qpool"; readonly node: Node; readonly input: string; readonly output: string; readonly activation?: Activation }
  | { readonly op: "quantize"; readonly node: Node; readonly input: string; readonly output: string; readonly activation?: Activation; readonly perAxis?: PerAxisQuant }
  | { readonly op: "qdynamic"; readonly node: Node; readonly input: string; readonly output: string; readonly weights: DynamicWeights }
  | { readonly op: "dequantize"; readonly node: Node; readonly input: string; readonly output: string; readonly perAxis?: PerAxisQuant }
  /** MatMulInteger / ConvInteger: int8 (or shifted uint8) runtime inputs and constants -> an int32 runtime value. */
  | { readonly op: "integer"; readonly node: Node; readonly inputs: readonly string[]; readonly output: string }
  /** A DynamicQuantizeLinear no MatMulInteger pattern absorbed: uint8 codes (stored shifted), scale and zero point as runtime values. */
  | { readonly op: "dynamicquantize"; readonly node: Node; readonly input: string; readonly outputs: readonly [string, string, string] };

export interface LoweredGraph {
  readonly graph: Graph;
  readonly steps: readonly LoweredStep[];
  readonly values: ReadonlyMap<string, RuntimeValueInfo>;
  /** Float constants the float steps read, including weights dequantized from int8 constants. */
  readonly floatConstants: ReadonlyMap<string, Float32Array>;
}

const INTEGER_LINEAR = new Set(["Conv", "Gemm", "MatMul"]);
const INTEGER_PASSTHROUGH = new Set(["MaxPool", "Flatten", "Reshape"]);
const INTEGER_POOL = new Set(["AveragePool", "GlobalAveragePool"]);

interface Matcher {
  readonly graph: Graph;
  readonly producer: Map<string, Node>;
  readonly consumer: Map<string, Node[]>;
  /** Float tensors that are the dequantized form of an int8 runtime value made by lowering. */
  readonly virtualDQ: Map<string, { source: string; quant: TensorQuant }>;
}

function scalarConstant(graph: Graph, name: string | undefined): number | undefined {
  const data = name ? graph.values.get(name)?.initializer : undefined;
  return data?.length === 1 ? Number(data[0]) : undefined;
}

/**
 * The (scale, zero point) of a QuantizeLinear/DequantizeLinear node as an int8 runtime value, if
 * per tensor and int8 or uint8 (uint8 shifted to int8, DESIGN.md 2).
 */
function perTensorParams(graph: Graph, node: Node): TensorQuant | undefined {
  const scale = scalarConstant(graph, node.inputs[1]);
  if (scale === undefined) return undefined;
  const dtype = graph.values.get(node.opType === "QuantizeLinear" ? node.outputs[0] : node.inputs[0])?.dtype;
  if (dtype !== "int8" && dtype !== "uint8") return undefined;
  const zeroName = node.inputs[2];
  const zeroPoint = zeroName ? scalarConstant(graph, zeroName) : 0;
  if (zeroPoint === undefined) return undefined;
  return int8Quant(node, dtype, scale, zeroPoint, { scale: node.inputs[1], zeroPoint: zeroName });
}

/**
 * The per-axis parameters of a QuantizeLinear/DequantizeLinear of a runtime value (opset 13+,
 * a 1-D constant scale along `axis`), each pair checked; undefined when the scale is not 1-D.
 */
function perAxisParams(graph: Graph, node: Node): PerAxisQuant | undefined {
  const scaleValue = graph.values.get(node.inputs[1]);
  const scales = scaleValue?.initializer;
  if (!(scales instanceof Float32Array) || scaleValue?.shape?.length !== 1) return undefined;
  if (attrInt(node, "block_size", 0) !== 0) throw new UnsupportedError("blocked quantization (block_size) is not supported", { node: node.name });
  const data = graph.values.get(node.opType === "QuantizeLinear" ? node.outputs[0] : node.inputs[0]);
  const rank = data?.shape?.length;
  if ((data?.dtype !== "int8" && data?.dtype !== "uint8") || rank === undefined) return undefined;
  const axis = normaliseAxis(attrInt(node, "axis", 1), rank);
  const length = data.shape![axis];
  if (axis < 0 || axis >= rank || (typeof length === "number" && length !== scales.length)) {
    throw new ShapeError(`per-axis scale has ${scales.length} values for axis ${attrInt(node, "axis", 1)} of a rank-${rank} tensor of shape [${data.shape!.join(", ")}]`, { node: node.name, tensor: node.inputs[1] });
  }
  const zeros = node.inputs[2] ? graph.values.get(node.inputs[2])?.initializer : undefined;
  if (node.inputs[2] && !zeros) throw new UnsupportedError("a per-axis zero point must be a constant", { node: node.name, tensor: node.inputs[2] });
  if (zeros && zeros.length !== scales.length) {
    throw new ShapeError(`per-axis zero point has ${zeros.length} values for ${scales.length} scales`, { node: node.name, tensor: node.inputs[2] });
  }
  const zeroPoints = new Int32Array(scales.length);
  scales.forEach((scale, c) => {
    zeroPoints[c] = int8Quant(node, data.dtype as "int8" | "uint8", scale, zeros ? Number(zeros[c]) : 0, { scale: node.inputs[1], zeroPoint: node.inputs[2] }).zeroPoint;
  });
  return { axis, scales, zeroPoints };
}

function producedBy(m: Matcher, name: string | undefined, opType: string): Node | undefined {
  const node = name ? m.producer.get(name) : undefined;
  return node?.opType === opType ? node : undefined;
}

/** The DequantizeLinear feeding `name` from a non-constant int8 tensor, with its parameters. */
function activationDQ(m: Matcher, name: string | undefined): { source: string; quant: TensorQuant } | undefined {
  const virtual = name ? m.virtualDQ.get(name) : undefined;
  if (virtual) return virtual;
  const dq = producedBy(m, name, "DequantizeLinear");
  if (!dq || m.graph.values.get(dq.inputs[0])?.initializer) return undefined;
  const quant = perTensorParams(m.graph, dq);
  return quant ? { source: dq.inputs[0], quant } : undefined;
}

interface OutputQ {
  readonly output: string;
  readonly quant: TensorQuant;
  /** A Relu/Clip between the op and its QuantizeLinear, applied as a clamp of the output codes. */
  readonly activation?: Activation;
  /** The nodes the integer step replaces besides the op itself. */
  readonly absorbed: readonly Node[];
}

function soleReader(m: Matcher, name: string): Node | undefined {
  if (m.graph.outputs.includes(name)) return undefined;
  const readers = m.consumer.get(name) ?? [];
  return readers.length === 1 && readers[0].inputs[0] === name ? readers[0] : undefined;
}

function constantBounds(m: Matcher, node: Node): Activation | undefined {
  if (node.opType === "Relu") return { min: 0, max: Infinity };
  if (node.opType !== "Clip") return undefined;
  if (opsetOf(m.graph, node) < 11) return { min: attrFloat(node, "min", -Infinity), max: attrFloat(node, "max", Infinity) };
  const min = node.inputs[1] ? scalarConstant(m.graph, node.inputs[1]) : -Infinity;
  const max = node.inputs[2] ? scalarConstant(m.graph, node.inputs[2]) : Infinity;
  return min === undefined || max === undefined ? undefined : { min, max };
}

/** The QuantizeLinear that alone reads `name` (possibly through one Relu/Clip). */
function soleQ(m: Matcher, name: string): OutputQ | undefined {
  let reader = soleReader(m, name);
  let activation: Activation | undefined;
  const absorbed: Node[] = [];
  if (reader && reader.opType !== "QuantizeLinear") {
    activation = constantBounds(m, reader);
    if (!activation) return undefined;
    absorbed.push(reader);
    reader = soleReader(m, reader.outputs[0]);
  }
  if (reader?.opType !== "QuantizeLinear") return undefined;
  const quant = perTensorParams(m.graph, reader);
  if (!quant) return undefined;
  absorbed.push(reader);
  return { output: reader.outputs[0], quant, activation, absorbed };
}

function dequantizeConstant(graph: Graph, dq: Node): Float32Array | undefined {
  const codes = graph.values.get(dq.inputs[0])?.initializer;
  const scales = dq.inputs[1] ? graph.values.get(dq.inputs[1])?.initializer : undefined;
  const zeros = dq.inputs[2] ? graph.values.get(dq.inputs[2])?.initializer : undefined;
  const dims = graph.values.get(dq.inputs[0])?.shape as number[] | undefined;
  if (!codes || !scales || !dims || codes instanceof BigInt64Array) return undefined;
  const rank = dims.length;
  const axis = scales.length === 1 ? 0 : normaliseAxis(attrInt(dq, "axis", 1), rank);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channels = scales.length === 1 ? 1 : dims[axis];
  const result = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const c = scales.length === 1 ? 0 : Math.floor(i / inner) % channels;
    const zero = zeros ? Number(zeros[scales.length === 1 ? 0 : c]) : 0;
    result[i] = Math.fround(Number(scales[c]) * (Number(codes[i]) - zero));
  }
  return result;
}

function normaliseAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Int8 weights (and int32 bias) behind a Conv/Gemm's DequantizeLinear inputs, per output channel. */
function quantizedWeights(m: Matcher, node: Node, inputScale: number): QuantizedWeights | undefined {
  const dqw = producedBy(m, node.inputs[1], "DequantizeLinear");
  if (!dqw) return undefined;
  const codes = m.graph.values.get(dqw.inputs[0]);
  const scales = dqw.inputs[1] ? m.graph.values.get(dqw.inputs[1])?.initializer : undefined;
  if (!codes?.initializer || !(scales instanceof Float32Array)) return undefined;
  const zeros = dqw.inputs[2] ? m.graph.values.get(dqw.inputs[2])?.initializer : undefined;
  const symmetric = symmetricInt8Weights(codes.initializer, zeros);
  if (!symmetric) return undefined;
  const dims = codes.shape as number[];
  // Conv weights are [Cout, ...]; Gemm's B is [N, K] with transB = 1, else (and MatMul's) [K, N].
  const transB = node.opType === "Gemm" ? attrInt(node, "transB", 0) : 0;
  const outAxis = node.opType === "Conv" || transB === 1 ? 0 : 1;
  if (scales.length !== 1 && normaliseAxis(attrInt(dqw, "axis", 1), dims.length) !== outAxis) return undefined;
  const outChannels = dims[outAxis];
  if (scales.length !== 1 && scales.length !== outChannels) {
    throw new QuantizationError(`per-axis scale has ${scales.length} values for ${outChannels} channels`, { node: dqw.name, tensor: dqw.inputs[1] });
  }
  const data = outAxis === 0 ? symmetric : transpose2d(symmetric, dims[0], dims[1]);
  const layoutDims = outAxis === 0 ? dims : [dims[1], dims[0]];
  const perChannel = scales.length === 1 ? new Float32Array(outChannels).fill(scales[0]) : scales;
  const bias = quantizedBias(m, node, inputScale, perChannel);
  if (bias === undefined) return undefined;
  return { data, dims: layoutDims, scales: perChannel, bias };
}

function transpose2d(data: Int8Array, rows: number, cols: number): Int8Array {
  const out = new Int8Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/** The bias as int32 codes at S_x * S_w[c]: from a DQ'd int32 constant, a float constant, or none. */
function quantizedBias(m: Matcher, node: Node, inputScale: number, weightScales: Float32Array): Int32Array | null | undefined {
  const name = node.inputs[2];
  if (!name) return null;
  const dq = producedBy(m, name, "DequantizeLinear");
  const real = dq ? dequantizeConstant(m.graph, dq) : (m.graph.values.get(name)?.initializer as TensorData | undefined);
  if (!(real instanceof Float32Array) || real.length !== weightScales.length) return undefined;
  // Requantizing at exactly S_x * S_w[c] reproduces the stored codes when the file used that scale.
  return Int32Array.from(real, (b, c) => saturateInt32(Math.round(b / (inputScale * weightScales[c]))));
}

function saturateInt32(value: number): number {
  return Math.min(Math.max(value, -2147483648), 2147483647);
}

function sameQuant(a: TensorQuant, b: TensorQuant): boolean {
  return a.scale === b.scale && a.zeroPoint === b.zeroPoint;
}

/** Finds the integer pattern rooted at a float node, or undefined to run it in fp32. */
function matchInteger(m: Matcher, node: Node, values: Map<string, RuntimeValueInfo>): { step: LoweredStep; absorbed: readonly Node[] } | undefined {
  const out = node.outputs.length === 1 ? soleQ(m, node.outputs[0]) : undefined;
  if (!out) return undefined;
  if (out.activation && node.activation) return undefined;
  const activation = out.activation ?? node.activation;
  const step = integerStep(m, node, out, activation);
  if (!step) return undefined;
  values.set(out.output, { name: out.output, dtype: "int8", quant: out.quant });
  return { step, absorbed: out.absorbed };
}

function integerStep(m: Matcher, node: Node, out: OutputQ, activation: Activation | undefined): LoweredStep | undefined {
  if (INTEGER_LINEAR.has(node.opType)) {
    const x = activationDQ(m, node.inputs[0]);
    if (!x) return undefined;
    if (node.opType === "Gemm" && (attrInt(node, "transA", 0) !== 0 || attrFloat(node, "alpha", 1) !== 1 || attrFloat(node, "beta", 1) !== 1)) {
      return undefined;
    }
    const weights = quantizedWeights(m, node, x.quant.scale);
    if (!weights) return undefined;
    return { op: "qlinear", node, input: x.source, output: out.output, weights, activation };
  }
  if (INTEGER_PASSTHROUGH.has(node.opType)) {
    const x = activationDQ(m, node.inputs[0]);
    if (!x || !sameQuant(x.quant, out.quant) || activation) return undefined;
    return { op: "qpassthrough", node, input: x.source, output: out.output };
  }
  if (INTEGER_POOL.has(node.opType)) {
    const x = activationDQ(m, node.inputs[0]);
    if (!x) return undefined;
    return { op: "qpool", node, input: x.source, output: out.output, activation };
  }
  if (node.opType === "Add") {
    const a = activationDQ(m, node.inputs[0]);
    const b = activationDQ(m, node.inputs[1]);
    if (!a || !b) return undefined;
    return { op: "qadd", node, inputs: [a.source, b.source], output: out.output, activation };
  }
  return undefined;
}

function markInt8(values: Map<string, RuntimeValueInfo>, name: string, quant: TensorQuant): void {
  values.set(name, { name, dtype: "int8", quant });
}

/**
 * Lowers an optimised graph (BatchNorm folded, activations fused, Gemm canonical) into steps.
 * The graph must have shapes for its constants; activations' shapes are inferred per run shape.
 */
/**
 * Max pooling and data movement commute with dequantization, so DQ -> MaxPool/Flatten/Reshape
 * runs on the int8 codes, and its float output becomes a virtual DQ of the int8 result (a real
 * dequantize step is kept only if some float op reads it).
 */
function propagateThroughPassthrough(m: Matcher, node: Node, values: Map<string, RuntimeValueInfo>): LoweredStep[] | undefined {
  const x = INTEGER_PASSTHROUGH.has(node.opType) && node.outputs.length === 1 ? activationDQ(m, node.inputs[0]) : undefined;
  if (!x) return undefined;
  const floatOutput = node.outputs[0];
  const output = uniqueName(m.graph, `${floatOutput}_int8`);
  values.set(output, { name: output, dtype: "int8", quant: x.quant, shapeOf: floatOutput });
  m.virtualDQ.set(floatOutput, { source: output, quant: x.quant });
  return [
    { op: "qpassthrough", node, input: x.source, output },
    { op: "dequantize", node, input: output, output: floatOutput },
  ];
}

/** The other input of a binary node, given one of them. */
function otherInput(node: Node, name: string): string | undefined {
  if (node.inputs.length !== 2) return undefined;
  return node.inputs[0] === name ? node.inputs[1] : node.inputs[1] === name ? node.inputs[0] : undefined;
}

/**
 * ONNX Runtime's dynamic quantization of a MatMul: DynamicQuantizeLinear(x) -> MatMulInteger(x_q,
 * W_q, x_zp, w_zp) -> Cast(float) -> Mul by Mul(x_scale, w_scale) -> optional Add of a bias.
 * The whole chain becomes one step that quantizes x per run and multiplies on the int8 GEMM.
 */
function matchDynamic(m: Matcher, dql: Node): { step: LoweredStep; absorbed: Node[] } | undefined {
  const [xq, xScale, xZero] = dql.outputs;
  const matmul = soleReader(m, xq);
  if (matmul?.opType !== "MatMulInteger" || matmul.inputs[2] !== xZero) return undefined;
  const weights = m.graph.values.get(matmul.inputs[1]);
  const weightZero = matmul.inputs[3] ? m.graph.values.get(matmul.inputs[3])?.initializer : undefined;
  if (!(weights?.initializer instanceof Int8Array) || weights.shape?.length !== 2) return undefined;
  if (weightZero && Array.from(weightZero as Int8Array).some((z) => Number(z) !== 0)) return undefined;
  const cast = soleReader(m, matmul.outputs[0]);
  if (cast?.opType !== "Cast" || attrInt(cast, "to") !== 1) return undefined;
  const readers = m.consumer.get(cast.outputs[0]) ?? [];
  const mul = readers.length === 1 && readers[0].opType === "Mul" ? readers[0] : undefined;
  const scaleName = mul ? otherInput(mul, cast.outputs[0]) : undefined;
  const scaleMul = scaleName ? m.producer.get(scaleName) : undefined;
  const weightScaleName = scaleMul?.opType === "Mul" ? otherInput(scaleMul, xScale) : undefined;
  const weightScales = weightScaleName ? m.graph.values.get(weightScaleName)?.initializer : undefined;
  const [K, N] = weights.shape as number[];
  if (!mul || !scaleMul || !(weightScales instanceof Float32Array) || (weightScales.length !== N && weightScales.length !== 1)) return undefined;
  if ((m.consumer.get(xScale) ?? []).length !== 1 || (m.consumer.get(scaleName!) ?? []).length !== 1) return undefined;
  const absorbed = [matmul, cast, scaleMul, mul];
  let output = mul.outputs[0];
  let bias: Float32Array | null = null;
  const mulReaders = m.consumer.get(output) ?? [];
  const add = mulReaders.length === 1 && mulReaders[0].opType === "Add" ? mulReaders[0] : undefined;
  const biasData = add?.opType === "Add" ? m.graph.values.get(otherInput(add, output) ?? "")?.initializer : undefined;
  if (add && biasData instanceof Float32Array && biasData.length === N && !m.graph.outputs.includes(output)) {
    bias = biasData;
    output = add.outputs[0];
    absorbed.push(add);
  }
  const data = transpose2d(weights.initializer, K, N);
  const scales = weightScales.length === N ? weightScales : new Float32Array(N).fill(weightScales[0]);
  return { step: { op: "qdynamic", node: matmul, input: dql.inputs[0], output, weights: { data, N, K, scales, bias } }, absorbed };
}

/**
 * MatMulInteger(A, B, a_zero_point, b_zero_point) / ConvInteger(x, w, x_zero_point, w_zero_point):
 * each data input is a constant or an int8/uint8 value already running as int8 codes (made by a
 * QuantizeLinear or a QOperator node); zero points are constants. The product is an int32 value.
 */
function integerLinearStep(graph: Graph, node: Node, values: Map<string, RuntimeValueInfo>): LoweredStep {
  const runtime: string[] = [];
  for (const i of [0, 1]) {
    const name = node.inputs[i];
    if (graph.values.get(name)?.initializer) continue;
    if (node.opType === "ConvInteger" && i === 1) throw new UnsupportedError("ConvInteger needs constant weights", { node: node.name, tensor: name });
    if (values.get(name)?.dtype !== "int8") {
      throw new UnsupportedError(`${node.opType} input ${i} must be a constant or the int8/uint8 output of a QuantizeLinear or QOperator node`, { node: node.name, tensor: name });
    }
    runtime.push(name);
  }
  if (runtime.length === 0 || !runtime.includes(node.inputs[0])) throw new UnsupportedError(`${node.opType} with a constant first input is not supported`, { node: node.name });
  for (const i of [2, 3]) {
    const name = node.inputs[i];
    if (!name) continue;
    const zero = graph.values.get(name);
    const data = graph.values.get(node.inputs[i - 2]);
    if (zero?.dtype !== data?.dtype) {
      throw new DTypeError(`${node.opType} zero point (input ${i}) is ${zero?.dtype}, its data (input ${i - 2}) ${data?.dtype}`, { node: node.name, tensor: name });
    }
    // A's zero point may be computed per run (DynamicQuantizeLinear's, in ONNX Runtime's dynamic graphs) if it is a scalar.
    const runtimeScalar = i === 2 && node.opType === "MatMulInteger" && values.get(name)?.dtype === "int8" && zero?.shape?.length === 0;
    if (runtimeScalar) {
      runtime.push(name);
      continue;
    }
    if (!zero?.initializer) throw new UnsupportedError(`${node.opType} zero point (input ${i}) must be a constant${i === 2 ? " or a scalar made at run time" : ""}`, { node: node.name, tensor: name });
    checkZeroPointLength(node, i, zero.initializer.length, data?.shape);
  }
  values.set(node.outputs[0], { name: node.outputs[0], dtype: "int32" });
  return { op: "integer", node, inputs: runtime, output: node.outputs[0] };
}

/**
 * A MatMulInteger/ConvInteger zero point has one value, or one per row of A (input 2), per column
 * of B or per output channel of w (input 3); checked here where the data's dimension is static.
 */
function checkZeroPointLength(node: Node, input: number, length: number, dataShape: readonly (number | string)[] | undefined): void {
  if (length === 1 || !dataShape) return;
  const axis = node.opType === "ConvInteger" ? (input === 3 ? 0 : -1) : input === 2 ? dataShape.length - 2 : dataShape.length - 1;
  const expected = axis < 0 ? 1 : dataShape[axis];
  const perMatrix = typeof expected === "number" && length % expected === 0 && node.opType === "MatMulInteger";
  if (typeof expected === "number" && length !== expected && !perMatrix) {
    throw new ShapeError(`${node.opType} zero point (input ${input}) has ${length} values for ${expected} ${input === 2 ? "rows" : node.opType === "ConvInteger" ? "output channels" : "columns"}`, { node: node.name, tensor: node.inputs[input] });
  }
}

/** A QuantizeLinear step; a Clip/Relu that only feeds it becomes the clamp of its codes. */
function quantizeStep(m: Matcher, node: Node, absorbed: Set<Node>): LoweredStep {
  const clip = m.producer.get(node.inputs[0]);
  const activation = clip && soleReader(m, clip.outputs[0]) === node ? constantBounds(m, clip) : undefined;
  if (!clip || !activation) return { op: "quantize", node, input: node.inputs[0], output: node.outputs[0] };
  absorbed.add(clip);
  return { op: "quantize", node, input: clip.inputs[0], output: node.outputs[0], activation };
}

export function lowerGraph(graph: Graph): LoweredGraph {
  const m: Matcher = { graph, producer: producers(graph), consumer: consumers(graph), virtualDQ: new Map() };
  const values = new Map<string, RuntimeValueInfo>();
  const absorbed = new Set<Node>();
  const integer = new Map<Node, LoweredStep[]>();

  for (const node of graph.nodes) {
    if (isQOperator(node)) {
      integer.set(node, [lowerQOperator(graph, node, values)]);
      continue;
    }
    const match = matchInteger(m, node, values);
    if (match) {
      integer.set(node, [match.step]);
      for (const other of match.absorbed) absorbed.add(other);
      continue;
    }
    if (node.opType === "DynamicQuantizeLinear") {
      const dynamic = matchDynamic(m, node);
      if (dynamic) {
        integer.set(node, [dynamic.step]);
        for (const other of dynamic.absorbed) absorbed.add(other);
        continue;
      }
      const [codes, scale, zeroPoint] = node.outputs;
      values.set(codes, { name: codes, dtype: "int8" });
      values.set(zeroPoint, { name: zeroPoint, dtype: "int8" });
      integer.set(node, [{ op: "dynamicquantize", node, input: node.inputs[0], outputs: [codes, scale, zeroPoint] }]);
      continue;
    }
    if ((node.opType === "MatMulInteger" || node.opType === "ConvInteger") && !absorbed.has(node)) {
      integer.set(node, [integerLinearStep(graph, node, values)]);
      continue;
    }
    if (node.opType === "QuantizeLinear" && !absorbed.has(node)) {
      const quant = perTensorParams(graph, node);
      const perAxis = quant ? undefined : perAxisParams(graph, node);
      if (perAxis) {
        values.set(node.outputs[0], { name: node.outputs[0], dtype: "int8" });
        integer.set(node, [{ op: "quantize", node, input: node.inputs[0], output: node.outputs[0], perAxis }]);
        continue;
      }
      if (!quant) throw new UnsupportedError("QuantizeLinear is supported per tensor or per axis to int8 or uint8 only", { node: node.name });
      markInt8(values, node.outputs[0], quant);
      integer.set(node, [quantizeStep(m, node, absorbed)]);
      continue;
    }
    const propagated = propagateThroughPassthrough(m, node, values);
    if (propagated) integer.set(node, propagated);
  }

  const steps: LoweredStep[] = [];
  const floatConstants = new Map<string, Float32Array>();
  for (const node of graph.nodes) {
    if (absorbed.has(node)) continue;
    const lowered = integer.get(node);
    if (lowered) {
      steps.push(...lowered);
      continue;
    }
    if (node.opType === "DequantizeLinear") {
      if (graph.values.get(node.inputs[0])?.initializer) {
        const data = dequantizeConstant(graph, node);
        if (!data) throw new UnsupportedError("DequantizeLinear of this constant is not supported", { node: node.name });
        floatConstants.set(node.outputs[0], data);
        continue;
      }
      const quant = perTensorParams(graph, node);
      const perAxis = quant ? undefined : perAxisParams(graph, node);
      if (perAxis) {
        if (!values.has(node.inputs[0])) values.set(node.inputs[0], { name: node.inputs[0], dtype: "int8" });
        steps.push({ op: "dequantize", node, input: node.inputs[0], output: node.outputs[0], perAxis });
        continue;
      }
      if (!quant) throw new UnsupportedError("DequantizeLinear of an activation is supported per tensor or per axis from int8 or uint8 only", { node: node.name });
      markInt8(values, node.inputs[0], quant);
      steps.push({ op: "dequantize", node, input: node.inputs[0], output: node.outputs[0] });
      continue;
    }
    steps.push({ op: "float", node });
  }
  for (const [name, value] of graph.values) {
    if (value.initializer instanceof Float32Array) floatConstants.set(name, value.initializer);
  }
  const kept = flattenInNhwcOrder(pruneUnread(steps, graph), graph);
  return { graph, steps: kept, values: completeValues(graph, kept, values, floatConstants), floatConstants };
}

/**
 * A Flatten of an NCHW tensor gathers channels apart; when only Gemms read it, the Gemms' weight
 * columns are permuted instead (once, at load) and the Flatten copies our NHWC data as it is.
 */
function flattenInNhwcOrder(steps: LoweredStep[], graph: Graph): LoweredStep[] {
  const readers = readersOf(steps);
  const changed = new Map<LoweredStep, LoweredStep>();
  for (const step of steps) {
    if (step.node.opType !== "Flatten" || (step.op !== "float" && step.op !== "qpassthrough")) continue;
    // The node's own input names the graph value (an integer step reads its int8 twin, not in the graph).
    const input = graph.values.get(step.node.inputs[0])?.shape;
    if (!input || input.length !== 4 || !input.slice(1).every((d): d is number => typeof d === "number")) continue;
    if (attrInt(step.node, "axis", 1) !== 1 || graph.outputs.includes(stepOutputs(step)[0])) continue;
    const [, c, h, w] = input as [unknown, number, number, number];
    const users = readers.get(stepOutputs(step)[0]) ?? [];
    const gemmLike = (u: LoweredStep) =>
      (u.op === "qlinear" || u.op === "float") && (u.node.opType === "Gemm" || u.node.opType === "MatMul") && stepInputs(u)[0] === stepOutputs(step)[0];
    if (users.length === 0 || !users.every(gemmLike) || c === 1 || h * w === 1) continue;
    changed.set(step, { ...step, keepsNhwc: true } as LoweredStep);
    for (const user of users) changed.set(user, { ...user, nhwcInput: [c, h, w] } as LoweredStep);
  }
  return steps.map((step) => changed.get(step) ?? step);
}

/** Drops dequantize steps whose float output nothing reads any more (their consumers went integer). */
function pruneUnread(steps: LoweredStep[], graph: Graph): LoweredStep[] {
  let current = steps;
  for (;;) {
    const read = new Set<string>(graph.outputs);
    for (const step of current) for (const name of stepInputs(step)) read.add(name);
    const kept = current.filter((step) => step.op !== "dequantize" || read.has(step.output));
    if (kept.length === current.length) return kept;
    current = kept;
  }
}

function completeValues(
  graph: Graph,
  steps: readonly LoweredStep[],
  values: Map<string, RuntimeValueInfo>,
  constants: ReadonlyMap<string, Float32Array>,
): Map<string, RuntimeValueInfo> {
  const all = new Map(values);
  const ensureFloat = (name: string) => {
    if (name && !all.has(name) && !constants.has(name) && !graph.values.get(name)?.initializer) {
      all.set(name, { name, dtype: "float32" });
    }
  };
  for (const name of graph.inputs) ensureFloat(name);
  for (const step of steps) {
    for (const name of stepInputs(step)) ensureFloat(name);
    for (const name of stepOutputs(step)) ensureFloat(name);
  }
  return all;
}

/** For each value, the steps that read it. */
export function readersOf(steps: readonly LoweredStep[]): Map<string, LoweredStep[]> {
  const readers = new Map<string, LoweredStep[]>();
  for (const step of steps) for (const name of stepInputs(step)) readers.set(name, [...(readers.get(name) ?? []), step]);
  return readers;
}

export function stepInputs(step: LoweredStep): readonly string[] {
  switch (step.op) {
    case "float":
      return step.node.inputs.filter(Boolean);
    case "qadd":
    case "integer":
      return step.inputs;
    default:
      return [step.input];
  }
}

export function stepOutputs(step: LoweredStep): readonly string[] {
  if (step.op === "float") return step.node.outputs.filter(Boolean);
  return step.op === "dynamicquantize" ? step.outputs : [step.output];
}

export type { Value };
