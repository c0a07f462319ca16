// Lowering of the QOperator form (ONNX QLinearConv / QLinearMatMul, ONNX Runtime's com.microsoft
// QLinearAdd / QLinearMul / QLinearGlobalAveragePool): operators that carry their own (scale, zero
// point) inputs become the same integer steps as the QDQ patterns. uint8 tensors (zero point often
// 128, from older tools) run on the int8 kernels by the lossless shift of DESIGN.md 2: the uint8
// code q with zero point Z is the int8 code q - 128 with zero point Z - 128.
import { DTypeError, QuantizationError, UnsupportedError } from "../errors.js";
import { attrInt, type Graph, type Node, type TensorData } from "../graph/ir.js";
import { MICROSOFT_DOMAIN } from "../graph/shape-inference.js";
import type { LoweredStep, QuantizedWeights, RuntimeValueInfo, TensorQuant } from "./lowering.js";

const UINT8_SHIFT = 128;

/** The int8 form of an int8/uint8 tensor's (scale, zero point), after checking both are valid. */
export function int8Quant(node: Node, dtype: "int8" | "uint8", scale: number, zeroPoint: number, tensors: { scale?: string; zeroPoint?: string }): TensorQuant {
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new QuantizationError(`scale must be finite and > 0, got ${scale}`, { node: node.name, tensor: tensors.scale });
  }
  const [lo, hi] = dtype === "int8" ? [-128, 127] : [0, 255];
  if (!Number.isInteger(zeroPoint) || zeroPoint < lo || zeroPoint > hi) {
    throw new QuantizationError(`${dtype} zero point must be an integer in [${lo}, ${hi}], got ${zeroPoint}`, { node: node.name, tensor: tensors.zeroPoint });
  }
  return dtype === "uint8" ? { scale, zeroPoint: zeroPoint - UINT8_SHIFT, uint8: true } : { scale, zeroPoint };
}

/**
 * Weight codes as int8 with zero point 0 (the kernels' symmetric weights): int8 codes with zero
 * points 0, or uint8 codes with zero points 128 (shifted). Undefined for any other zero point.
 */
export function symmetricInt8Weights(codes: TensorData, zeroPoints: TensorData | undefined): Int8Array | undefined {
  if (codes instanceof Int8Array) {
    return !zeroPoints || Array.from(zeroPoints as Int8Array).every((z) => Number(z) === 0) ? codes : undefined;
  }
  if (!(codes instanceof Uint8Array)) return undefined;
  if (!zeroPoints || !Array.from(zeroPoints as Uint8Array).every((z) => Number(z) === UINT8_SHIFT)) return undefined;
  return Int8Array.from(codes, (q) => q - UINT8_SHIFT);
}

interface QContext {
  readonly graph: Graph;
  readonly node: Node;
}

function constantOf(q: QContext, index: number, what: string): TensorData {
  const name = q.node.inputs[index];
  const data = name ? q.graph.values.get(name)?.initializer : undefined;
  if (!data) throw new UnsupportedError(`${q.node.opType} needs a constant ${what} (input ${index}${name ? ` '${name}'` : ""})`, { node: q.node.name, tensor: name });
  return data;
}

function dtypeOf(q: QContext, index: number): "int8" | "uint8" {
  const name = q.node.inputs[index];
  const dtype = q.graph.values.get(name)?.dtype;
  if (dtype !== "int8" && dtype !== "uint8") throw new DTypeError(`${q.node.opType} input ${index} must be int8 or uint8, got ${dtype}`, { node: q.node.name, tensor: name });
  return dtype;
}

/** Per-tensor (scale, zero point) of the tensor `data` from inputs `scaleIndex` and `zeroIndex` (optional). */
function perTensor(q: QContext, dtype: "int8" | "uint8", scaleIndex: number, zeroIndex: number): TensorQuant {
  const scales = constantOf(q, scaleIndex, "scale");
  const zeroName = q.node.inputs[zeroIndex];
  const zeros = zeroName ? constantOf(q, zeroIndex, "zero point") : undefined;
  if (scales.length !== 1 || (zeros && zeros.length !== 1)) {
    throw new QuantizationError(`${q.node.opType} expects a per-tensor scale and zero point (inputs ${scaleIndex}, ${zeroIndex}), got ${scales.length} and ${zeros?.length ?? 1} values`, { node: q.node.name, tensor: q.node.inputs[scaleIndex] });
  }
  return int8Quant(q.node, dtype, Number(scales[0]), zeros ? Number(zeros[0]) : 0, { scale: q.node.inputs[scaleIndex], zeroPoint: zeroName });
}

/** The quantized value `name`, recorded as an int8 runtime value; a second, different record is an error. */
function recordInt8(q: QContext, values: Map<string, RuntimeValueInfo>, name: string, quant: TensorQuant): void {
  const known = values.get(name)?.quant;
  if (known && (known.scale !== quant.scale || known.zeroPoint !== quant.zeroPoint)) {
    throw new QuantizationError(`'${name}' is quantized with (${known.scale}, ${known.zeroPoint}) where it is made but (${quant.scale}, ${quant.zeroPoint}) here`, { node: q.node.name, tensor: name });
  }
  values.set(name, { name, dtype: "int8", quant });
}

/** Constant weights of QLinearConv ([Cout, ...], outAxis 0) or QLinearMatMul's B ([K, N], outAxis 1) with their bias. */
function weightsOf(q: QContext, outAxis: 0 | 1): QuantizedWeights {
  const { node } = q;
  const codes = constantOf(q, 3, "weight tensor");
  const dims = q.graph.values.get(node.inputs[3])!.shape as number[];
  if (outAxis === 1 && dims.length !== 2) throw new UnsupportedError(`QLinearMatMul supports a 2-D constant B, got rank ${dims.length}`, { node: node.name });
  const channels = dims[outAxis];
  const scales = Float32Array.from(constantOf(q, 4, "weight scale") as Float32Array);
  const zeros = node.inputs[5] ? constantOf(q, 5, "weight zero point") : undefined;
  for (const [what, data] of [["scale", scales], ["zero point", zeros]] as const) {
    if (data && data.length !== 1 && data.length !== channels) {
      throw new QuantizationError(`weight ${what} has ${data.length} values for ${channels} output channels`, { node: node.name, tensor: node.inputs[what === "scale" ? 4 : 5] });
    }
  }
  const dtype = dtypeOf(q, 3);
  scales.forEach((s, c) => int8Quant(node, dtype, s, zeros ? Number(zeros[zeros.length === 1 ? 0 : c]) : 0, { scale: node.inputs[4], zeroPoint: node.inputs[5] }));
  const symmetric = symmetricInt8Weights(codes, zeros);
  if (!symmetric) {
    throw new UnsupportedError(`weights with a zero point other than ${dtype === "uint8" ? 128 : 0} are not supported (the int8 kernels take symmetric weights)`, { node: node.name, tensor: node.inputs[5] });
  }
  const data = outAxis === 0 ? symmetric : transpose2d(symmetric, dims[0], dims[1]);
  const perChannel = scales.length === 1 ? new Float32Array(channels).fill(scales[0]) : scales;
  return { data, dims: outAxis === 0 ? dims : [dims[1], dims[0]], scales: perChannel, bias: biasOf(q, channels) };
}

/** QLinearConv's int32 bias: already codes at S_x * S_w[c], as the kernels take it. */
function biasOf(q: QContext, channels: number): Int32Array | null {
  if (q.node.opType !== "QLinearConv" || !q.node.inputs[8]) return null;
  const bias = constantOf(q, 8, "bias");
  if (!(bias instanceof Int32Array)) throw new DTypeError("QLinearConv bias must be int32", { node: q.node.name, tensor: q.node.inputs[8] });
  if (bias.length !== channels) throw new QuantizationError(`bias has ${bias.length} values for ${channels} output channels`, { node: q.node.name, tensor: q.node.inputs[8] });
  return bias;
}

function transpose2d(data: Int8Array, rows: number, cols: number): Int8Array {
  const out = new Int8Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

const LINEAR = new Set(["QLinearConv", "QLinearMatMul"]);
const MICROSOFT = new Set(["QLinearAdd", "QLinearMul", "QLinearGlobalAveragePool"]);

/** Whether `node` is a QOperator node lowerQOperator handles. */
export function isQOperator(node: Node): boolean {
  return (node.domain === "" && LINEAR.has(node.opType)) || (node.domain === MICROSOFT_DOMAIN && MICROSOFT.has(node.opType));
}

/**
 * The integer step of a QOperator node, recording its quantized inputs and output as int8 runtime
 * values. Throws UnsupportedError/QuantizationError naming the node when it cannot run on integers.
 */
export function lowerQOperator(graph: Graph, node: Node, values: Map<string, RuntimeValueInfo>): LoweredStep {
  const q: QContext = { graph, node };
  const output = node.outputs[0];
  const outputIndex = node.opType === "QLinearGlobalAveragePool" ? 3 : 6;
  const outputDtype = graph.values.get(output)?.dtype;
  if (outputDtype !== "int8" && outputDtype !== "uint8") throw new DTypeError(`${node.opType} output must be int8 or uint8`, { node: node.name, tensor: output });
  const y = perTensor(q, outputDtype, outputIndex, outputIndex + 1);
  if (node.opType === "QLinearAdd" || node.opType === "QLinearMul") return binaryStep(q, values, y);
  const x = perTensor(q, dtypeOf(q, 0), 1, 2);
  if (graph.values.get(node.inputs[0])?.initializer) throw new UnsupportedError(`${node.opType} with a constant first input is not supported`, { node: node.name });
  recordInt8(q, values, node.inputs[0], x);
  recordInt8(q, values, output, y);
  if (node.opType === "QLinearGlobalAveragePool") {
    if (attrInt(node, "channels_last", 0) !== 0 || graph.values.get(node.inputs[0])?.shape?.length !== 4) {
      throw new UnsupportedError("QLinearGlobalAveragePool is supported on 4-D NCHW inputs (channels_last = 0)", { node: node.name });
    }
    return { op: "qpool", node, input: node.inputs[0], output };
  }
  if (node.opType === "QLinearMatMul" && !graph.values.get(node.inputs[3])?.initializer) {
    recordInt8(q, values, node.inputs[3], perTensor(q, dtypeOf(q, 3), 4, 5));
    return { op: "integer", node, inputs: [node.inputs[0], node.inputs[3]], output };
  }
  return { op: "qlinear", node, input: node.inputs[0], output, weights: weightsOf(q, node.opType === "QLinearConv" ? 0 : 1) };
}

/**
 * QLinearAdd / QLinearMul (A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp): both operands
 * runtime values, or one of them constant codes. Both operations commute (in fp32 too), so a
 * constant A is taken as the constant second operand.
 */
function binaryStep(q: QContext, values: Map<string, RuntimeValueInfo>, y: TensorQuant): LoweredStep {
  const { graph, node } = q;
  const operands = [0, 3].map((i) => ({ name: node.inputs[i], quant: perTensor(q, dtypeOf(q, i), i + 1, i + 2) }));
  const constant = operands.filter((o) => graph.values.get(o.name)?.initializer);
  if (constant.length === 2) throw new UnsupportedError(`${node.opType} of two constants is not supported`, { node: node.name });
  const [first, second] = constant.length === 1 && constant[0] === operands[0] ? [operands[1], operands[0]] : operands;
  recordInt8(q, values, first.name, first.quant);
  recordInt8(q, values, node.outputs[0], y);
  if (constant.length === 0) {
    recordInt8(q, values, second.name, second.quant);
    return { op: "qadd", node, inputs: [first.name, second.name], output: node.outputs[0] };
  }
  const value = graph.values.get(second.name)!;
  const data = value.initializer!;
  const codes = data instanceof Uint8Array ? Int8Array.from(data, (c) => c - UINT8_SHIFT) : (data as Int8Array);
  return { op: "qadd", node, inputs: [first.name], output: node.outputs[0], constantB: { codes, dims: value.shape as number[], quant: second.quant } };
}
