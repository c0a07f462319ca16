// Elementwise Add and Mul of two int8 tensors (com.microsoft QLinearAdd / QLinearMul, and Add
// lowered from a QDQ pattern), with numpy broadcasting; the second operand may be constant codes.
//
// Default (fixed-point) mode:
//   Add: the qs8_add kernel (TFLite's scheme, DESIGN.md 3.2); a broadcast operand is first gathered
//        to the output's shape in scratch, so broadcasting changes no arithmetic.
//   Mul: p = (a - Z_a) * (b - Z_b) (exact, |p| <= 2^16), y = clamp(p * M + Z_y) with M = S_a S_b / S_y
//        in fixed point (headroomMultiplier), through a 256 x 256 table of output codes built at
//        load (run() only looks codes up).
// "onnx" mode follows ONNX Runtime's MLAS (its portable form, which the wasm build runs), every
// operation rounded to fp32:
//   Add: c = (f32(S_a (a - Z_a)) + f32(S_b (b - Z_b))) / S_y
//   Mul: c = (f32(S_a (a - Z_a)) * f32(S_b (b - Z_b))) / S_y
//   y = nearbyint(f32(clamp(c, qmin - Z_y, qmax - Z_y) + Z_y))
// where Z_y is the zero point of the file's type: for a uint8 output the fp32 sum is taken with the
// uint8 zero point (its rounding depends on it) and the result shifted back to int8.
import { QuantizationError } from "../../errors.js";
import { prepareQs8Add, qs8Add, type Qs8AddParams } from "../../kernels/qs8-add.js";
import { headroomMultiplier, multiplyByShiftedMultiplier } from "../../quant/fixed-point.js";
import type { LoweredStep, TensorQuant } from "../lowering.js";
import { broadcastGather, logicalToPhysical } from "../layout.js";
import { scratchBuffer } from "./common.js";
import { roundHalfToEven } from "./onnx-requantization.js";
import { activationClamp, type ClampCodes } from "./quant-params.js";
import type { BindContext, BoundValue, OpFactory, PreparedOp } from "./types.js";

type BinaryStep = Extract<LoweredStep, { op: "qadd" }>;

const CODES = 256;
const UINT8_SHIFT = 128;

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Output code of every (a, b) code pair, indexed by (a + 128) * 256 + (b + 128). */
function codeTable(code: (qa: number, qb: number) => number): Int8Array {
  const table = new Int8Array(CODES * CODES);
  for (let qa = -128; qa < 128; qa++) {
    for (let qb = -128; qb < 128; qb++) table[(qa + 128) * CODES + (qb + 128)] = code(qa, qb);
  }
  return table;
}

/** ONNX Runtime's fp32 arithmetic for one pair of codes (see the header). */
function onnxCode(a: TensorQuant, b: TensorQuant, y: TensorQuant, clamp: ClampCodes, multiply: boolean): (qa: number, qb: number) => number {
  const f = Math.fround;
  const offset = y.uint8 ? UINT8_SHIFT : 0;
  const fileZero = y.zeroPoint + offset;
  const [lowest, highest] = [clamp.qmin - y.zeroPoint, clamp.qmax - y.zeroPoint];
  return (qa, qb) => {
    const va = f(a.scale * (qa - a.zeroPoint));
    const vb = f(b.scale * (qb - b.zeroPoint));
    const c = f(f(multiply ? va * vb : va + vb) / y.scale);
    return roundHalfToEven(f((c < lowest ? lowest : c > highest ? highest : c) + fileZero)) - offset;
  };
}

/** |(a - Z_a) * (b - Z_b)| for int8 codes and zero points. */
const MAX_PRODUCT = 255 * 255;

/**
 * The fixed-point QLinearMul code of one pair (see the header), the product shifted into its int32
 * headroom before the multiplier (as average pools do) so that it is not rounded twice.
 */
function fixedPointMulCode(a: TensorQuant, b: TensorQuant, y: TensorQuant, clamp: ClampCodes): (qa: number, qb: number) => number {
  const multiplier = headroomMultiplier((a.scale * b.scale) / y.scale, MAX_PRODUCT);
  const codes = new Map<number, number>();
  return (qa, qb) => {
    const product = (qa - a.zeroPoint) * (qb - b.zeroPoint);
    let code = codes.get(product);
    if (code === undefined) {
      const value = multiplyByShiftedMultiplier(product, multiplier) + y.zeroPoint;
      code = value < clamp.qmin ? clamp.qmin : value > clamp.qmax ? clamp.qmax : value;
      codes.set(product, code);
    }
    return code;
  };
}

/** An operand as bound: a runtime value's codes, or the step's constant codes. */
interface Operand {
  readonly codes: Int8Array;
  readonly dims: readonly number[];
  readonly nhwc: boolean;
  /** The runtime buffer, or null for constant codes. */
  readonly buffer: BoundValue["buffer"] | null;
}

function operands(bind: BindContext, step: BinaryStep): [Operand, Operand] {
  const runtime = (i: number): Operand => {
    const value = bind.input(i);
    return { codes: bind.arena.view(value.buffer as never) as Int8Array, dims: value.dims, nhwc: value.nhwc, buffer: value.buffer };
  };
  const constant = step.constantB;
  return [runtime(0), constant ? { codes: constant.codes, dims: constant.dims, nhwc: false, buffer: null } : runtime(1)];
}

/** Runs a 256 x 256 code table over the broadcast operands. */
function tableOp(step: BinaryStep, table: Int8Array): PreparedOp {
  return {
    kernel: "js_int8_table",
    scratchBytes: () => 0,
    bind(bind) {
      const out = bind.output(0);
      const [a, b] = operands(bind, step);
      const [va, vb] = [a.codes, b.codes];
      const vy = bind.arena.view(out.buffer as never) as Int8Array;
      const ga = broadcastGather(out.dims, a.dims, a.nhwc);
      const gb = broadcastGather(out.dims, b.dims, b.nhwc);
      const scatter = logicalToPhysical(out.dims, out.nhwc);
      const count = scatter.length;
      return () => {
        for (let i = 0; i < count; i++) vy[scatter[i]] = table[((va[ga[i]] + 128) << 8) | (vb[gb[i]] + 128)];
      };
    },
  };
}

/** Whether the kernel can read the operand in place: a runtime value with the output's shape and layout. */
function inPlace(operand: Operand, out: BoundValue): boolean {
  return operand.buffer !== null && sameDims(operand.dims, out.dims) && operand.nhwc === out.nhwc;
}

/** The operand as the kernel reads it: itself when in place, else gathered to the output's shape in scratch. */
function materialise(bind: BindContext, operand: Operand, out: BoundValue, scratch: number): { buffer: BoundValue["buffer"]; fill: (() => void) | null } {
  if (inPlace(operand, out)) return { buffer: operand.buffer!, fill: null };
  const gather = broadcastGather(out.dims, operand.dims, operand.nhwc);
  const scatter = logicalToPhysical(out.dims, out.nhwc);
  const buffer = scratchBuffer(scratch, "int8", scatter.length);
  const source = operand.codes;
  const target = bind.arena.view(buffer as never) as Int8Array;
  const count = scatter.length;
  return {
    buffer,
    fill: () => {
      for (let i = 0; i < count; i++) target[scatter[i]] = source[gather[i]];
    },
  };
}

function fixedPointAdd(step: BinaryStep, a: TensorQuant, b: TensorQuant, y: TensorQuant, clamp: ClampCodes): PreparedOp {
  let params: Qs8AddParams;
  try {
    params = prepareQs8Add({ s1: a.scale, z1: a.zeroPoint, s2: b.scale, z2: b.zeroPoint, sy: y.scale, zy: y.zeroPoint, ...clamp });
  } catch (error) {
    if (error instanceof QuantizationError) throw new QuantizationError(error.message, { node: step.node.name });
    throw error;
  }
  const outputLength = (bind: BindContext) => bind.output(0).buffer.length;
  // Sized on provisional buffers (no memory behind them yet): shapes only, no views.
  const gathered = (bind: BindContext) => {
    const out = bind.output(0);
    const readsInPlace = (i: number) => {
      const value = bind.input(i);
      return sameDims(value.dims, out.dims) && value.nhwc === out.nhwc;
    };
    return (readsInPlace(0) ? 0 : 1) + (step.constantB || !readsInPlace(1) ? 1 : 0);
  };
  return {
    kernel: "qs8_add",
    scratchBytes: (bind) => gathered(bind) * align(outputLength(bind)),
    bind(bind, scratch) {
      const out = bind.output(0);
      const [a, b] = operands(bind, step);
      const first = materialise(bind, a, out, scratch);
      const second = materialise(bind, b, out, scratch + (first.fill ? align(outputLength(bind)) : 0));
      const dims = out.dims;
      const [fillFirst, fillSecond] = [first.fill, second.fill];
      return () => {
        if (fillFirst) fillFirst();
        if (fillSecond) fillSecond();
        qs8Add(bind.kernels, first.buffer, dims, second.buffer, dims, params, out.buffer);
      };
    },
  };
}

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

export const prepareQLinearBinary: OpFactory = (ctx, step) => {
  const s = step as BinaryStep;
  const a = ctx.valueQuant(s.inputs[0]);
  const b = s.constantB ? s.constantB.quant : ctx.valueQuant(s.inputs[1]);
  const y = ctx.valueQuant(s.output);
  const clamp = activationClamp(s.activation, y);
  const multiply = s.node.opType === "QLinearMul";
  if (ctx.requantization === "onnx") return tableOp(s, codeTable(onnxCode(a, b, y, clamp, multiply)));
  if (multiply) return tableOp(s, codeTable(fixedPointMulCode(a, b, y, clamp)));
  return fixedPointAdd(s, a, b, y, clamp);
};
