// Shapes and element types of every value, from the graph inputs and constants forward, per the
// ONNX operator specification (attribute defaults and version differences included). Symbolic
// dimensions (dim_param) flow through; given concrete input shapes, every shape becomes concrete.
import { DTypeError, InvalidArgumentError, ModelFormatError, ShapeError, UnsupportedError } from "../errors.js";
import {
  attrFloat,
  attrInt,
  attrInts,
  cloneGraph,
  opsetOf,
  type Dim,
  type DType,
  type Graph,
  type Node,
  type TensorData,
  type Value,
} from "./ir.js";
import { broadcastShapes, broadcastsTo, formatShape, productDim, quotientDim, sameElementCount, sumDim, type DimContext } from "./dims.js";
import { readSpatialAttributes, resolveAxis } from "./spatial.js";
import { DataType } from "../onnx/proto.js";

export interface ValueType {
  dtype: DType;
  shape: Dim[] | undefined;
}

/** What a shape rule sees of its node. */
export interface RuleContext extends DimContext {
  readonly node: Node;
  readonly opset: number;
  /** The value of input i, or undefined when the optional input is omitted. */
  input(i: number): Value | undefined;
  /** The value of input i; a format error when it is omitted. */
  require(i: number): Value;
  /** The constant data of input i, if it is a constant. */
  constant(i: number): TensorData | undefined;
}

/** Output types, one per output the operator supports (index-aligned with the node's outputs). */
export type ShapeRule = (ctx: RuleContext) => ValueType[];

function shapeError(ctx: RuleContext, message: string): never {
  throw new ShapeError(`${ctx.node.opType}: ${message}`, { node: ctx.node.name });
}

function formatError(ctx: RuleContext, message: string): never {
  throw new ModelFormatError(`${ctx.node.opType}: ${message}`, { node: ctx.node.name });
}

function expectDType(ctx: RuleContext, value: Value, allowed: readonly DType[]): DType {
  if (!allowed.includes(value.dtype)) {
    throw new DTypeError(`${ctx.node.opType} does not accept ${value.dtype} (expected ${allowed.join(" or ")})`, {
      node: ctx.node.name,
      tensor: value.name,
    });
  }
  return value.dtype;
}

function expectSameDType(ctx: RuleContext, values: readonly Value[]): DType {
  for (const value of values.slice(1)) {
    if (value.dtype !== values[0].dtype) {
      throw new DTypeError(`${ctx.node.opType} needs inputs of one type: ${values[0].dtype} and ${value.dtype}`, {
        node: ctx.node.name,
        tensor: value.name,
      });
    }
  }
  return values[0].dtype;
}

function expectRank(ctx: RuleContext, value: Value, shape: readonly Dim[], test: (rank: number) => boolean, wanted: string): void {
  if (!test(shape.length)) shapeError(ctx, `input '${value.name}' ${formatShape(shape)} must have ${wanted}`);
}

/** Normalises an axis in [-rank, rank + extra - 1] to [0, rank + extra - 1]. */
function normaliseAxis(ctx: { node: Node }, axis: number, rank: number, extra = 0): number {
  if (axis < -rank || axis >= rank + extra) {
    throw new ShapeError(`${ctx.node.opType}: axis ${axis} is out of range for rank ${rank}`, { node: ctx.node.name });
  }
  return axis < 0 ? axis + rank : axis;
}

/** A dimension both shapes agree on (a known size wins over a symbol). */
function unifyDim(ctx: RuleContext, a: Dim, b: Dim, what: string): Dim {
  if (a === b || typeof b === "string") return a;
  if (typeof a === "string") return b;
  return shapeError(ctx, `${what}: ${a} vs ${b}`);
}

const FLOAT: readonly DType[] = ["float32"];

function sameAsInput(ctx: RuleContext, allowed: readonly DType[]): ValueType[] {
  const x = ctx.require(0);
  return [{ dtype: expectDType(ctx, x, allowed), shape: x.shape && [...x.shape] }];
}

function conv(ctx: RuleContext): ValueType[] {
  const x = ctx.require(0);
  const w = ctx.require(1);
  const b = ctx.input(2);
  const dtype = expectSameDType(ctx, [x, w, ...(b ? [b] : [])]);
  expectDType(ctx, x, FLOAT);
  const group = attrInt(ctx.node, "group", 1);
  if (!Number.isInteger(group) || group < 1) formatError(ctx, `group must be a positive integer, got ${group}`);
  if (!x.shape || !w.shape) return [{ dtype, shape: undefined }];
  expectRank(ctx, x, x.shape, (r) => r >= 3, "rank >= 3 (N, C, spatial...)");
  if (w.shape.length !== x.shape.length) shapeError(ctx, `weights ${formatShape(w.shape)} and input ${formatShape(x.shape)} differ in rank`);
  const kernel = w.shape.slice(2);
  if (!kernel.every((k): k is number => typeof k === "number")) shapeError(ctx, `kernel shape ${formatShape(kernel)} must be known`);
  const params = readSpatialAttributes(ctx.node, kernel.length, kernel);
  const [n, c, ...spatial] = x.shape;
  const [m, cPerGroup] = w.shape;
  if (typeof c === "number" && typeof cPerGroup === "number" && c !== cPerGroup * group) {
    shapeError(ctx, `input has ${c} channels but weights expect ${cPerGroup} per group x ${group} groups`);
  }
  if (typeof m === "number" && m % group !== 0) shapeError(ctx, `${m} output channels are not divisible by group ${group}`);
  if (b?.shape) {
    if (b.shape.length !== 1) shapeError(ctx, `bias ${formatShape(b.shape)} must be [${m}]`);
    unifyDim(ctx, b.shape[0], m, "bias length vs output channels");
  }
  const output = spatial.map((size, axis) => (typeof size === "number" ? resolveAxis(params, axis, size, ctx.node.name).output : ctx.fresh()));
  return [{ dtype, shape: [n, m, ...output] }];
}

function gemm(ctx: RuleContext): ValueType[] {
  const a = ctx.require(0);
  const b = ctx.require(1);
  const c = ctx.input(2);
  const dtype = expectSameDType(ctx, [a, b, ...(c ? [c] : [])]);
  expectDType(ctx, a, FLOAT);
  const transA = attrInt(ctx.node, "transA", 0);
  const transB = attrInt(ctx.node, "transB", 0);
  for (const [name, v] of [["transA", transA], ["transB", transB]] as const) if (v !== 0 && v !== 1) formatError(ctx, `${name} must be 0 or 1, got ${v}`);
  attrFloat(ctx.node, "alpha", 1);
  attrFloat(ctx.node, "beta", 1);
  if (!a.shape || !b.shape) return [{ dtype, shape: undefined }];
  expectRank(ctx, a, a.shape, (r) => r === 2, "rank 2");
  expectRank(ctx, b, b.shape, (r) => r === 2, "rank 2");
  const [m, ka] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  unifyDim(ctx, ka, kb, "inner dimensions of A and B differ");
  if (c?.shape && !broadcastsTo(c.shape, [m, n])) shapeError(ctx, `C ${formatShape(c.shape)} does not broadcast to [${m}, ${n}]`);
  return [{ dtype, shape: [m, n] }];
}

/** numpy matmul shapes; MatMulInteger multiplies (u)int8 codes into int32. */
function matMulOf(inputTypes: readonly DType[], integer: boolean) {
  return (ctx: RuleContext): ValueType[] => {
    const a = ctx.require(0);
    const b = ctx.require(1);
    expectDType(ctx, a, inputTypes);
    expectDType(ctx, b, inputTypes);
    const dtype = integer ? "int32" : expectSameDType(ctx, [a, b]);
    if (!a.shape || !b.shape) return [{ dtype, shape: undefined }];
    expectRank(ctx, a, a.shape, (r) => r >= 1, "rank >= 1");
    expectRank(ctx, b, b.shape, (r) => r >= 1, "rank >= 1");
    const a2 = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
    const b2 = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
    unifyDim(ctx, a2[a2.length - 1], b2[b2.length - 2], `inner dimensions of ${formatShape(a.shape)} and ${formatShape(b.shape)} differ`);
    const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2), ctx);
    const shape = [...batch];
    if (a.shape.length > 1) shape.push(a2[a2.length - 2]);
    if (b.shape.length > 1) shape.push(b2[b2.length - 1]);
    return [{ dtype, shape }];
  };
}

const CAST_TARGETS: Readonly<Record<number, DType>> = {
  [DataType.FLOAT]: "float32", [DataType.INT8]: "int8", [DataType.UINT8]: "uint8", [DataType.INT32]: "int32", [DataType.INT64]: "int64",
};

function cast(ctx: RuleContext): ValueType[] {
  const x = ctx.require(0);
  const to = CAST_TARGETS[attrInt(ctx.node, "to")];
  if (!to) throw new UnsupportedError(`Cast to type ${attrInt(ctx.node, "to")} is not supported`, { node: ctx.node.name });
  return [{ dtype: to, shape: x.shape && [...x.shape] }];
}

/** DynamicQuantizeLinear: uint8 codes of x, and the scalar scale and zero point it chose. */
function dynamicQuantizeLinear(ctx: RuleContext): ValueType[] {
  const x = ctx.require(0);
  expectDType(ctx, x, FLOAT);
  return [
    { dtype: "uint8", shape: x.shape && [...x.shape] },
    { dtype: "float32", shape: [] },
    { dtype: "uint8", shape: [] },
  ];
}

function add(ctx: RuleContext): ValueType[] {
  const a = ctx.require(0);
  const b = ctx.require(1);
  const dtype = expectSameDType(ctx, [a, b]);
  expectDType(ctx, a, ["float32", "int32", "int64"]);
  return [{ dtype, shape: a.shape && b.shape ? broadcastShapes(a.shape, b.shape, ctx) : undefined }];
}

function isScalarShape(shape: readonly Dim[] | undefined): boolean {
  return shape !== undefined && shape.every((d) => d === 1);
}

function clip(ctx: RuleContext): ValueType[] {
  const x = ctx.require(0);
  const dtype = expectDType(ctx, x, FLOAT);
  if (ctx.opset < 11) {
    attrFloat(ctx.node, "min", -3.4028234663852886e38);
    attrFloat(ctx.node, "max", 3.4028234663852886e38);
  } else {
    for (const i of [1, 2]) {
      const bound = ctx.input(i);
      if (!bound) continue;
      expectSameDType(ctx, [x, bound]);
      if (bound.shape && !isScalarShape(bound.shape)) shapeError(ctx, `'${bound.name}' ${formatShape(bound.shape)} must be a scalar`);
    }
  }
  return [{ dtype, shape: x.shape && [...x.shape] }];
}

function pool(ctx: RuleContext, allowed: readonly DType[]): ValueType[] {
  const x = ctx.require(0);
  const dtype = expectDType(ctx, x, allowed);
  if (ctx.node.opType === "AveragePool") {
    const include = attrInt(ctx.node, "count_include_pad", 0);
    if (include !== 0 && include !== 1) formatError(ctx, `count_include_pad must be 0 or 1, got ${include}`);
  }
  if (ctx.node.opType === "MaxPool" && attrInt(ctx.node, "storage_order", 0) !== 0) {
    throw new UnsupportedError("MaxPool storage_order 1 (column major) is not supported", { node: ctx.node.name });
  }
  if (!x.shape) return [{ dtype, shape: undefined }];
  expectRank(ctx, x, x.shape, (r) => r >= 3, "rank >= 3 (N, C, spatial...)");
  const [n, c, ...spatial] = x.shape;
  const params = readSpatialAttributes(ctx.node, spatial.length);
  const output = spatial.map((size, axis) => (typeof size === "number" ? resolveAxis(params, axis, size, ctx.node.name).output : ctx.fresh()));
  return [{ dtype, shape: [n, c, ...output] }];
}

function globalAveragePool(ctx: RuleContext): ValueType[] {
  const x = ctx.require(0);
  const dtype = expectDType(ctx, x, FLOAT);
  if (!x.shape) return [{ dtype, shape: undefined }];
  expectRank(ctx, x, x.shape, (r) => r >= 3, "rank >= 3 (N, C, spatial...)");
  return [{ dtype, shape: [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)] }];
}

function batchNormalization(ctx: RuleContext): ValueType[] {
  const x = ctx.require(0);
  const params = [1, 2, 3, 4].map((i) => ctx.require(i));
  const dtype = expectSameDType(ctx, [x, ...params]);
  expectDType(ctx, x, FLOAT);
  attrFloat(ctx.node, "epsilon", 1e-5);
  if (ctx.opset < 9 && attrInt(ctx.node, "spatial", 1) !== 1) {
    throw new UnsupportedError("BatchNormalization with spatial=0 is not supported", { node: ctx.node.name });
  }
  if (ctx.opset >= 14 && attrInt(ctx.node, "training_mode", 0) !== 0) {
    throw new UnsupportedError("BatchNormalization in training mode is not supported", { node: ctx.node.name });
  }
  if (!x.shape) return [{ dtype, shape: undefined }];
  expectRank(ctx, x, x.shape, (r) => r >= 2, "rank >= 2 (N, C, ...)");
  for (const p of params) {
    if (!p.shape) continue;
    if (p.shape.length !== 1) shapeError(ctx, `'${p.name}' ${formatShape(p.shape)} must be [${x.shape[1]}]`);
    unifyDim(ctx, p.shape[0], x.shape[1], `'${p.name}' length vs channels`);
  }
  return [{ dtype, shape: [...x.shape] }];
}

function flatten(ctx: RuleContext): ValueType[] {
  const x = ctx.require(0);
  const axisAttr = attrInt(ctx.node, "axis", 1);
  if (!x.shape) return [{ dtype: x.dtype, shape: undefined }];
  const axis = normaliseAxis(ctx, axisAttr, x.shape.length, 1);
  return [{ dtype: x.dtype, shape: [productDim(x.shape.slice(0, axis), ctx), productDim(x.shape.slice(axis), ctx)] }];
}

/** The integer values of a constant int64 (or int32) tensor. */
function constantIntegers(data: TensorData | undefined): number[] | undefined {
  if (data instanceof BigInt64Array) return Array.from(data, Number);
  if (data instanceof Int32Array) return Array.from(data);
  return undefined;
}

function reshape(ctx: RuleContext): ValueType[] {
  const x = ctx.require(0);
  const shapeInput = ctx.require(1);
  expectDType(ctx, shapeInput, ["int64"]);
  const target = constantIntegers(ctx.constant(1));
  if (!target) throw new UnsupportedError("Reshape needs a constant shape input", { node: ctx.node.name, tensor: shapeInput.name });
  if (shapeInput.shape && shapeInput.shape.length !== 1) shapeError(ctx, `shape input must be 1-D, got ${formatShape(shapeInput.shape)}`);
  const allowZero = ctx.opset >= 14 ? attrInt(ctx.node, "allowzero", 0) : 0;
  if (target.some((d) => d < -1)) formatError(ctx, `invalid target shape [${target.join(", ")}]`);
  const inferred = target.filter((d) => d === -1).length;
  if (inferred > 1) formatError(ctx, `at most one -1 is allowed in [${target.join(", ")}]`);
  if (allowZero && inferred && target.includes(0)) formatError(ctx, "allowzero=1 forbids a shape with both 0 and -1");
  if (!x.shape) {
    const needsInput = inferred > 0 || (target.includes(0) && !allowZero);
    return [{ dtype: x.dtype, shape: needsInput ? undefined : target }];
  }
  const input = x.shape;
  const shape: Dim[] = target.map((d, i) => {
    if (d !== 0 || allowZero) return d;
    if (i >= input.length) shapeError(ctx, `0 at index ${i} copies a dimension the input ${formatShape(input)} does not have`);
    return input[i];
  });
  const unknown = shape.indexOf(-1);
  if (unknown >= 0) shape[unknown] = quotientDim(input, shape.filter((_, i) => i !== unknown), ctx);
  if (!sameElementCount(input, shape)) shapeError(ctx, `cannot reshape ${formatShape(input)} to ${formatShape(shape)}`);
  return [{ dtype: x.dtype, shape }];
}

function transpose(ctx: RuleContext): ValueType[] {
  const x = ctx.require(0);
  if (!x.shape) return [{ dtype: x.dtype, shape: undefined }];
  const shape = x.shape;
  const perm = attrInts(ctx.node, "perm", shape.map((_, i) => shape.length - 1 - i));
  if (perm.length !== shape.length) shapeError(ctx, `perm [${perm.join(", ")}] does not match input rank ${shape.length}`);
  const sorted = [...perm].sort((a, b) => a - b);
  if (sorted.some((p, i) => p !== i)) formatError(ctx, `perm [${perm.join(", ")}] is not a permutation`);
  return [{ dtype: x.dtype, shape: perm.map((p) => shape[p]) }];
}

function concat(ctx: RuleContext): ValueType[] {
  const inputs = ctx.node.inputs.map((_, i) => ctx.require(i));
  if (inputs.length === 0) formatError(ctx, "needs at least one input");
  const dtype = expectSameDType(ctx, inputs);
  const axisAttr = attrInt(ctx.node, "axis");
  const shapes = inputs.map((v) => v.shape);
  if (!shapes.every((s): s is Dim[] => s !== undefined)) return [{ dtype, shape: undefined }];
  const rank = shapes[0].length;
  if (shapes.some((s) => s.length !== rank)) shapeError(ctx, `inputs differ in rank: ${shapes.map(formatShape).join(", ")}`);
  const axis = normaliseAxis(ctx, axisAttr, rank);
  const shape = [...shapes[0]];
  for (const s of shapes.slice(1)) {
    for (let d = 0; d < rank; d++) if (d !== axis) shape[d] = unifyDim(ctx, shape[d], s[d], `inputs differ on axis ${d}`);
  }
  shape[axis] = sumDim(shapes.map((s) => s[axis]), ctx);
  return [{ dtype, shape }];
}

function softmax(ctx: RuleContext): ValueType[] {
  const x = ctx.require(0);
  const dtype = expectDType(ctx, x, FLOAT);
  const axis = attrInt(ctx.node, "axis", ctx.opset < 13 ? 1 : -1);
  if (x.shape) normaliseAxis(ctx, axis, x.shape.length);
  return [{ dtype, shape: x.shape && [...x.shape] }];
}

function dropout(ctx: RuleContext): ValueType[] {
  if (ctx.opset >= 12 && ctx.input(2)) {
    throw new UnsupportedError("Dropout with a training_mode input is not supported (inference only)", { node: ctx.node.name });
  }
  return sameAsInput(ctx, FLOAT);
}

const QUANTIZED: readonly DType[] = ["int8", "uint8"];

/** Checks the scale and zero point of QuantizeLinear / DequantizeLinear against the quantized axis. */
function checkQuantParams(ctx: RuleContext, data: Value, scale: Value, zeroPoint: Value | undefined): void {
  expectDType(ctx, scale, FLOAT);
  if (ctx.opset >= 21 && attrInt(ctx.node, "block_size", 0) !== 0) {
    throw new UnsupportedError("blocked quantization (block_size > 0) is not supported", { node: ctx.node.name });
  }
  const axisAttr = ctx.opset >= 13 ? attrInt(ctx.node, "axis", 1) : 1;
  for (const param of zeroPoint ? [scale, zeroPoint] : [scale]) {
    if (!param.shape || param.shape.length === 0 || isScalarShape(param.shape)) continue;
    if (ctx.opset < 13 || param.shape.length !== 1) shapeError(ctx, `'${param.name}' ${formatShape(param.shape)} must be a scalar${ctx.opset < 13 ? "" : " or 1-D"}`);
    if (!data.shape) continue;
    const axis = normaliseAxis(ctx, axisAttr, data.shape.length);
    unifyDim(ctx, param.shape[0], data.shape[axis], `'${param.name}' length vs the size of axis ${axis}`);
  }
  if (zeroPoint?.shape && scale.shape && !sameElementCount(zeroPoint.shape, scale.shape)) {
    shapeError(ctx, `zero point ${formatShape(zeroPoint.shape)} and scale ${formatShape(scale.shape)} differ`);
  }
}

const OUTPUT_DTYPES: Readonly<Record<number, DType>> = { [DataType.INT8]: "int8", [DataType.UINT8]: "uint8" };

function quantizeLinear(ctx: RuleContext): ValueType[] {
  const x = ctx.require(0);
  const scale = ctx.require(1);
  const zeroPoint = ctx.input(2);
  expectDType(ctx, x, FLOAT);
  if (zeroPoint) {
    expectDType(ctx, zeroPoint, QUANTIZED);
    if (zeroPoint.storage) throw new UnsupportedError(`quantizing to ${zeroPoint.storage} is not supported`, { node: ctx.node.name });
  }
  checkQuantParams(ctx, x, scale, zeroPoint);
  let dtype: DType = zeroPoint?.dtype ?? "uint8";
  const code = ctx.opset >= 21 ? attrInt(ctx.node, "output_dtype", 0) : 0;
  if (code !== 0) {
    const requested = OUTPUT_DTYPES[code];
    if (!requested) throw new UnsupportedError(`output_dtype ${code} is not supported (int8 and uint8 are)`, { node: ctx.node.name });
    if (zeroPoint && zeroPoint.dtype !== requested) formatError(ctx, `output_dtype ${requested} differs from the zero point's ${zeroPoint.dtype}`);
    dtype = requested;
  }
  return [{ dtype, shape: x.shape && [...x.shape] }];
}

function dequantizeLinear(ctx: RuleContext): ValueType[] {
  const x = ctx.require(0);
  const scale = ctx.require(1);
  const zeroPoint = ctx.input(2);
  expectDType(ctx, x, ["int8", "uint8", "int32"]);
  if (zeroPoint) expectSameDType(ctx, [x, zeroPoint]);
  checkQuantParams(ctx, x, scale, zeroPoint);
  return [{ dtype: "float32", shape: x.shape && [...x.shape] }];
}

/** Shape rules by operator type (default ONNX domain). */
export const SHAPE_RULES: ReadonlyMap<string, ShapeRule> = new Map<string, ShapeRule>([
  ["Conv", conv],
  ["Gemm", gemm],
  ["MatMul", matMulOf(FLOAT, false)],
  ["MatMulInteger", matMulOf(QUANTIZED, true)],
  ["Add", add],
  ["Mul", add],
  ["Cast", cast],
  ["DynamicQuantizeLinear", dynamicQuantizeLinear],
  ["Relu", (ctx) => sameAsInput(ctx, ["float32", "int8", "int32"])],
  ["Clip", clip],
  ["MaxPool", (ctx) => pool(ctx, ["float32", "int8", "uint8"])],
  ["AveragePool", (ctx) => pool(ctx, FLOAT)],
  ["GlobalAveragePool", globalAveragePool],
  ["BatchNormalization", batchNormalization],
  ["Flatten", flatten],
  ["Reshape", reshape],
  ["Transpose", transpose],
  ["Concat", concat],
  ["Softmax", softmax],
  ["Identity", (ctx) => sameAsInput(ctx, ["float32", "int8", "uint8", "int32", "int64"])],
  ["Dropout", dropout],
  ["QuantizeLinear", quantizeLinear],
  ["DequantizeLinear", dequantizeLinear],
]);

// --- QOperator form: quantized operators that carry their (scale, zero point) inputs ----------

/** Input `i` of the node as a float tensor of the same shape, for reusing the float ops' shape rules. */
function withInputs(ctx: RuleContext, indices: readonly number[]): RuleContext {
  const input = (i: number): Value | undefined => {
    const value = indices[i] === undefined ? undefined : ctx.input(indices[i]);
    return value && { ...value, dtype: "float32" };
  };
  return {
    ...ctx,
    input,
    require: (i) => input(i) ?? formatError(ctx, `input ${indices[i]} is required`),
    constant: (i) => ctx.constant(indices[i]),
  };
}

/**
 * Checks one (scale, zero point) pair of a QOperator node: a float scale with one value (or, when
 * `axisLength` is given, one per channel) and a zero point of the quantized tensor's own type.
 */
function checkQLinearParams(ctx: RuleContext, data: Value, scaleIndex: number, zeroIndex: number, axisLength?: Dim): void {
  const scale = ctx.require(scaleIndex);
  const zeroPoint = ctx.input(zeroIndex);
  expectDType(ctx, scale, FLOAT);
  expectDType(ctx, data, QUANTIZED);
  if (zeroPoint) expectSameDType(ctx, [data, zeroPoint]);
  for (const param of zeroPoint ? [scale, zeroPoint] : [scale]) {
    if (!param.shape || isScalarShape(param.shape)) continue;
    if (axisLength === undefined || param.shape.length !== 1) shapeError(ctx, `'${param.name}' ${formatShape(param.shape)} must be a scalar${axisLength === undefined ? "" : " or 1-D"}`);
    unifyDim(ctx, param.shape[0], axisLength, `'${param.name}' length vs the number of output channels`);
  }
}

/** Stands for a QOperator node's output codes (the type of its zero point) when checking their parameters. */
function outputCodes(ctx: RuleContext, like: Value, zeroIndex: number): Value {
  return { ...like, name: ctx.node.outputs[0], dtype: ctx.input(zeroIndex)?.dtype ?? "uint8" };
}

/** The output type of a QOperator node: its output zero point's type (uint8 when omitted). */
function qlinearOutput(ctx: RuleContext, zeroIndex: number, shape: Dim[] | undefined): ValueType[] {
  return [{ dtype: ctx.input(zeroIndex)?.dtype ?? "uint8", shape }];
}

function qlinearConv(ctx: RuleContext): ValueType[] {
  const [x, w, b] = [ctx.require(0), ctx.require(3), ctx.input(8)];
  checkQLinearParams(ctx, x, 1, 2);
  checkQLinearParams(ctx, w, 4, 5, w.shape?.[0]);
  checkQLinearParams(ctx, outputCodes(ctx, x, 7), 6, 7);
  if (b) expectDType(ctx, b, ["int32"]);
  return qlinearOutput(ctx, 7, conv(withInputs(ctx, [0, 3, 8]))[0].shape);
}

function qlinearMatMul(ctx: RuleContext): ValueType[] {
  const [a, b] = [ctx.require(0), ctx.require(3)];
  checkQLinearParams(ctx, a, 1, 2);
  checkQLinearParams(ctx, b, 4, 5, b.shape?.[b.shape.length - 1]);
  checkQLinearParams(ctx, outputCodes(ctx, a, 7), 6, 7);
  return qlinearOutput(ctx, 7, matMulOf(FLOAT, false)(withInputs(ctx, [0, 3]))[0].shape);
}

function convInteger(ctx: RuleContext): ValueType[] {
  const [x, w] = [ctx.require(0), ctx.require(1)];
  expectDType(ctx, x, QUANTIZED);
  expectDType(ctx, w, QUANTIZED);
  for (const [data, zero] of [[x, ctx.input(2)], [w, ctx.input(3)]] as const) if (zero) expectSameDType(ctx, [data, zero]);
  return [{ dtype: "int32", shape: conv(withInputs(ctx, [0, 1]))[0].shape }];
}

/** com.microsoft QLinearAdd / QLinearMul: (A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp), numpy broadcasting. */
function qlinearBinary(ctx: RuleContext): ValueType[] {
  const [a, b] = [ctx.require(0), ctx.require(3)];
  checkQLinearParams(ctx, a, 1, 2);
  checkQLinearParams(ctx, b, 4, 5);
  expectSameDType(ctx, [a, b]);
  checkQLinearParams(ctx, outputCodes(ctx, a, 7), 6, 7);
  const shape = a.shape && b.shape ? broadcastShapes(a.shape, b.shape, ctx) : undefined;
  return [{ dtype: ctx.input(7)?.dtype ?? a.dtype, shape }];
}

function qlinearGlobalAveragePool(ctx: RuleContext): ValueType[] {
  const x = ctx.require(0);
  checkQLinearParams(ctx, x, 1, 2);
  checkQLinearParams(ctx, outputCodes(ctx, x, 4), 3, 4);
  if (attrInt(ctx.node, "channels_last", 0) !== 0) {
    throw new UnsupportedError("QLinearGlobalAveragePool with channels_last = 1 is not supported", { node: ctx.node.name });
  }
  return [{ dtype: ctx.input(4)?.dtype ?? x.dtype, shape: globalAveragePool(withInputs(ctx, [0]))[0].shape }];
}

const QOPERATOR_RULES: ReadonlyMap<string, ShapeRule> = new Map<string, ShapeRule>([
  ["QLinearConv", qlinearConv],
  ["QLinearMatMul", qlinearMatMul],
  ["ConvInteger", convInteger],
]);

/** ONNX Runtime's contrib operators (domain com.microsoft) this runtime implements. */
export const MICROSOFT_SHAPE_RULES: ReadonlyMap<string, ShapeRule> = new Map<string, ShapeRule>([
  ["QLinearAdd", qlinearBinary],
  ["QLinearMul", qlinearBinary],
  ["QLinearGlobalAveragePool", qlinearGlobalAveragePool],
]);

export const MICROSOFT_DOMAIN = "com.microsoft";

function shapeRuleOf(node: Node): ShapeRule | undefined {
  if (node.domain === "") return SHAPE_RULES.get(node.opType) ?? QOPERATOR_RULES.get(node.opType);
  return node.domain === MICROSOFT_DOMAIN ? MICROSOFT_SHAPE_RULES.get(node.opType) : undefined;
}

export function isSupportedOp(node: Node): boolean {
  return shapeRuleOf(node) !== undefined;
}

// ---------------------------------------------------------------------------------------------

/** Combines a declared shape (value_info, graph output) with the inferred one. */
function mergeShapes(name: string, declared: Dim[] | undefined, inferred: Dim[] | undefined, fresh: ReadonlySet<string>): Dim[] | undefined {
  if (!declared) return inferred;
  if (!inferred) return declared;
  if (declared.length !== inferred.length) {
    throw new ShapeError(`declared shape ${formatShape(declared)} has another rank than the inferred ${formatShape(inferred)}`, { tensor: name });
  }
  return inferred.map((d, i) => {
    const other = declared[i];
    if (typeof d === "number") {
      if (typeof other === "number" && other !== d) {
        throw new ShapeError(`declared shape ${formatShape(declared)} conflicts with the inferred ${formatShape(inferred)}`, { tensor: name });
      }
      return d;
    }
    // A symbol from the inputs keeps its name; a declared size or name beats a fresh symbol.
    return fresh.has(d) || typeof other === "number" ? other : d;
  });
}

function bindInputShapes(graph: Graph, inputShapes: Record<string, number[]>): Map<string, number> {
  const bindings = new Map<string, number>();
  for (const [name, dims] of Object.entries(inputShapes)) {
    if (!graph.inputs.includes(name)) throw new InvalidArgumentError(`'${name}' is not an input of the graph (inputs: ${graph.inputs.join(", ")})`, { tensor: name });
    if (!dims.every((d) => Number.isInteger(d) && d >= 0)) throw new InvalidArgumentError(`shape ${formatShape(dims)} must hold non-negative integers`, { tensor: name });
    const declared = graph.values.get(name)!.shape;
    if (!declared) continue;
    if (declared.length !== dims.length) throw new ShapeError(`shape ${formatShape(dims)} does not match the declared ${formatShape(declared)}`, { tensor: name });
    declared.forEach((d, i) => {
      const bound = typeof d === "number" ? d : bindings.get(d);
      if (bound !== undefined && bound !== dims[i]) {
        throw new ShapeError(`shape ${formatShape(dims)} does not match the declared ${formatShape(declared)}${typeof d === "string" ? ` with ${d} = ${bound}` : ""}`, { tensor: name });
      }
      if (typeof d === "string") bindings.set(d, dims[i]);
    });
  }
  return bindings;
}

function makeContext(graph: Graph, node: Node, freshSymbols: Set<string>): RuleContext {
  let counter = 0;
  const ctx: RuleContext = {
    node,
    opset: opsetOf(graph, node),
    input(i) {
      const name = node.inputs[i];
      if (!name) return undefined;
      const value = graph.values.get(name);
      if (!value) throw new ModelFormatError("input refers to an undefined tensor", { node: node.name, tensor: name });
      return value;
    },
    require(i) {
      return ctx.input(i) ?? formatError(ctx, `input ${i} is required`);
    },
    constant(i) {
      return ctx.input(i)?.initializer;
    },
    fresh() {
      const symbol = `${node.name}_d${counter++}`;
      freshSymbols.add(symbol);
      return symbol;
    },
    fail(message) {
      return shapeError(ctx, message);
    },
  };
  return ctx;
}

/**
 * Returns a copy of the graph in which every value has its dtype and shape. `inputShapes` gives
 * concrete shapes for graph inputs (checked against the declared ones; a symbol such as 'N' takes
 * the same size everywhere); the result's shapes are then concrete wherever they can be.
 * Constant data is shared with the given graph.
 */
export function inferShapes(graph: Graph, inputShapes: Record<string, number[]> = {}): Graph {
  const result = cloneGraph(graph, { shareTensorData: true });
  const bindings = bindInputShapes(graph, inputShapes);
  const substitute = (shape: Dim[] | undefined) => shape?.map((d) => (typeof d === "string" ? bindings.get(d) ?? d : d));
  for (const value of result.values.values()) value.shape = substitute(value.shape);
  for (const [name, dims] of Object.entries(inputShapes)) result.values.get(name)!.shape = [...dims];
  const freshSymbols = new Set<string>();
  for (const node of result.nodes) {
    const rule = shapeRuleOf(node);
    if (!rule) {
      throw new UnsupportedError(`unsupported operator ${node.domain ? `${node.domain}.` : ""}${node.opType}`, { node: node.name });
    }
    const types = rule(makeContext(result, node, freshSymbols));
    node.outputs.forEach((name, i) => {
      if (!name) return;
      const type = types[i];
      if (!type) throw new UnsupportedError(`${node.opType} output ${i} ('${name}') is not supported`, { node: node.name, tensor: name });
      const declared = result.values.get(name);
      if (declared && declared.dtype !== type.dtype) {
        throw new DTypeError(`declared type ${declared.dtype} differs from the inferred ${type.dtype}`, { node: node.name, tensor: name });
      }
      const shape = mergeShapes(name, declared?.shape, type.shape, freshSymbols);
      result.values.set(name, { ...declared, name, dtype: type.dtype, shape });
    });
  }
  return result;
}
