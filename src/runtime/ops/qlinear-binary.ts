// Elementwise Add and Mul of two int8 tensors (com.microsoft QLinearAdd / QLinearMul, and Add
// lowered from a QDQ pattern), with numpy broadcasting.
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
import type { Node } from "../../graph/ir.js";
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

/** Runs a 256 x 256 code table over the broadcast operands. */
function tableOp(table: Int8Array): PreparedOp {
  return {
    kernel: "js_int8_table",
    scratchBytes: () => 0,
    bind(bind) {
      const [x0, x1, out] = [bind.input(0), bind.input(1), bind.output(0)];
      const [va, vb, vy] = [x0, x1, out].map((v) => bind.arena.view(v.buffer as never) as Int8Array);
      const ga = broadcastGather(out.dims, x0.dims, x0.nhwc);
      const gb = broadcastGather(out.dims, x1.dims, x1.nhwc);
      const scatter = logicalToPhysical(out.dims, out.nhwc);
      const count = scatter.length;
      return () => {
        for (let i = 0; i < count; i++) vy[scatter[i]] = table[((va[ga[i]] + 128) << 8) | (vb[gb[i]] + 128)];
      };
    },
  };
}

/** The operand as the kernel reads it: itself when it has the output's shape and layout, else gathered into scratch. */
function materialise(bind: BindContext, value: BoundValue, out: BoundValue, scratch: number): { buffer: BoundValue["buffer"]; fill: (() => void) | null } {
  if (sameDims(value.dims, out.dims) && value.nhwc === out.nhwc) return { buffer: value.buffer, fill: null };
  const gather = broadcastGather(out.dims, value.dims, value.nhwc);
  const scatter = logicalToPhysical(out.dims, out.nhwc);
  const buffer = scratchBuffer(scratch, "int8", scatter.length);
  const source = bind.arena.view(value.buffer as never) as Int8Array;
  const target = bind.arena.view(buffer as never) as Int8Array;
  const count = scatter.length;
  return {
    buffer,
    fill: () => {
      for (let i = 0; i < count; i++) target[scatter[i]] = source[gather[i]];
    },
  };
}

function fixedPointAdd(node: Node, a: TensorQuant, b: TensorQuant, y: TensorQuant, clamp: ClampCodes): PreparedOp {
  let params: Qs8AddParams;
  try {
    params = prepareQs8Add({ s1: a.scale, z1: a.zeroPoint, s2: b.scale, z2: b.zeroPoint, sy: y.scale, zy: y.zeroPoint, ...clamp });
  } catch (error) {
    if (error instanceof QuantizationError) throw new QuantizationError(error.message, { node: node.name });
    throw error;
  }
  const outputLength = (bind: BindContext) => bind.output(0).buffer.length;
  const broadcasts = (bind: BindContext) => [bind.input(0), bind.input(1)].filter((v) => !sameDims(v.dims, bind.output(0).dims) || v.nhwc !== bind.output(0).nhwc).length;
  return {
    kernel: "qs8_add",
    scratchBytes: (bind) => broadcasts(bind) * align(outputLength(bind)),
    bind(bind, scratch) {
      const out = bind.output(0);
      const first = materialise(bind, bind.input(0), out, scratch);
      const second = materialise(bind, bind.input(1), out, scratch + (first.fill ? align(outputLength(bind)) : 0));
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
  const [a, b] = s.inputs.map((name) => ctx.valueQuant(name));
  const y = ctx.valueQuant(s.output);
  const clamp = activationClamp(s.activation, y);
  const multiply = s.node.opType === "QLinearMul";
  if (ctx.requantization === "onnx") return tableOp(codeTable(onnxCode(a, b, y, clamp, multiply)));
  if (multiply) return tableOp(codeTable(fixedPointMulCode(a, b, y, clamp)));
  return fixedPointAdd(s.node, a, b, y, clamp);
};
