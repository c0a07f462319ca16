// MatMulInteger and ConvInteger (ONNX): int8/uint8 codes minus their zero points, multiplied and
// summed in int32, exactly as the specification (and ONNX Runtime) define them:
//   MatMulInteger: Y[..., m, n] = sum_k (A[..., m, k] - a_zp[m]) * (B[..., k, n] - b_zp[n])
//   ConvInteger:   Y = conv(x - x_zp, w - w_zp[m]), padding counting as x_zp (a zero term).
// a_zp is a scalar or one value per row of A (an [M] vector, or A's shape with K = 1); b_zp a scalar
// or one per column of B ([N], or B's shape with K = 1); x_zp a scalar; w_zp a scalar or one per
// output channel; a_zp may also be a scalar computed at run time (DynamicQuantizeLinear's). Runtime
// inputs are int8 codes (uint8 ones stored shifted by -128, added back here).
// These run as plain loops on the host: the point is exact interop, not speed.
import { ShapeError, UnsupportedError } from "../../errors.js";
import type { Node, TensorData } from "../../graph/ir.js";
import { conv2dOutputHW } from "../../kernels/shapes.js";
import { broadcastGather, logicalToPhysical } from "../layout.js";
import type { LoweredStep, TensorQuant } from "../lowering.js";
import { quantizeMultiplier, multiplyByShiftedMultiplier } from "../../quant/fixed-point.js";
import { onnxOutputScales, roundHalfToEven } from "./onnx-requantization.js";
import { conv2dShape } from "./conv.js";
import { product } from "./common.js";
import type { BindContext, OpFactory, PrepareContext, PreparedOp } from "./types.js";

type IntegerStep = Extract<LoweredStep, { op: "integer" }>;

const UINT8_SHIFT = 128;

/** The codes at input i as the file means them: a constant's data, or a runtime value read through `offset`. */
interface DataInput {
  readonly name: string;
  readonly constant: TensorData | undefined;
  /** Added to the stored int8 codes of a runtime uint8 input. */
  readonly offset: number;
  /** Position among the step's runtime inputs, or -1. */
  readonly runtimeIndex: number;
}

function dataInput(ctx: PrepareContext, step: IntegerStep, i: number): DataInput {
  const name = step.node.inputs[i];
  const value = ctx.graph.values.get(name);
  return {
    name,
    constant: value?.initializer,
    offset: value?.dtype === "uint8" && !value.initializer ? UINT8_SHIFT : 0,
    runtimeIndex: step.inputs.indexOf(name),
  };
}

function zeroPoints(ctx: PrepareContext, node: Node, i: number): ZeroPoints {
  const name = node.inputs[i];
  const value = name ? ctx.graph.values.get(name) : undefined;
  if (!value?.initializer) return { data: new Int32Array(1), dims: [] };
  return { data: Int32Array.from(value.initializer as ArrayLike<number>, Number), dims: (value.shape ?? []) as number[] };
}

/** The logical (row-major) data of a data input for this binding, as int32 codes of the file's type. */
function logicalCodes(b: BindContext, input: DataInput, dims: readonly number[]): () => Int32Array {
  const codes = new Int32Array(product(dims));
  if (input.constant) {
    codes.set(Int32Array.from(input.constant as ArrayLike<number>, Number));
    return () => codes;
  }
  const value = b.input(input.runtimeIndex);
  const view = b.arena.view(value.buffer as never) as Int8Array;
  const gather = logicalToPhysical(value.dims, value.nhwc);
  const { offset } = input;
  return () => {
    for (let i = 0; i < codes.length; i++) codes[i] = view[gather[i]] + offset;
    return codes;
  };
}

function dimsOf(ctx: PrepareContext, b: BindContext, input: DataInput): readonly number[] {
  if (input.runtimeIndex >= 0) return b.input(input.runtimeIndex).dims;
  return ctx.graph.values.get(input.name)!.shape as number[];
}

/**
 * Zero point per row (axis = -2, for A) or per column (axis = -1, for B) of each matrix in the
 * batch: a scalar, a vector along that axis, or a tensor of the data's shape with the other matrix
 * axis 1. Returns for each (batch, index along the axis) the zero point.
 */
function perVectorZeroPoints(node: Node, which: string, zp: ZeroPoints, dataDims: readonly number[], axis: -1 | -2): Int32Array {
  const batch = product(dataDims.slice(0, -2));
  const length = dataDims[dataDims.length + axis];
  const out = new Int32Array(batch * length);
  if (zp.data.length === 1) return out.fill(zp.data[0]);
  if (zp.dims.length === 1 && zp.data.length === length) {
    for (let i = 0; i < out.length; i++) out[i] = zp.data[i % length];
    return out;
  }
  const expected = [...dataDims.slice(0, -2), axis === -2 ? length : 1, axis === -1 ? length : 1];
  if (zp.dims.length !== expected.length || zp.dims.some((d, i) => d !== expected[i])) {
    throw new ShapeError(`${which} zero point has shape [${zp.dims.join(", ")}]; expected a scalar, [${length}] or [${expected.join(", ")}]`, { node: node.name, tensor: node.inputs[axis === -2 ? 2 : 3] });
  }
  out.set(zp.data);
  return out;
}

interface ZeroPoints {
  readonly data: Int32Array;
  readonly dims: readonly number[];
}

/** The operands of an integer matrix product, zero points as the file gives them (uint8 unshifted). */
interface MatMulOperands {
  readonly a: DataInput;
  readonly b: DataInput;
  readonly aZero: ZeroPoints;
  readonly bZero: ZeroPoints;
  /** A's zero point when it is a scalar made at run time. */
  readonly aZeroRuntime: DataInput | null;
}

/** Writes one output element from its int32 sum and column; made once per binding. */
type Emit = (bind: BindContext) => (acc: number, column: number, at: number) => void;

/** sum_k (A[..., m, k] - a_zp[m]) * (B[..., k, n] - b_zp[n]) over numpy-broadcast batches, each sum handed to `emit`. */
function prepareMatMul(ctx: PrepareContext, node: Node, kernel: string, operands: MatMulOperands, emit: Emit): PreparedOp {
  const { a, b: bIn, aZero, bZero, aZeroRuntime } = operands;
  return {
    kernel,
    scratchBytes: () => 0,
    bind(b) {
      const [aDims, bDims] = [dimsOf(ctx, b, a), dimsOf(ctx, b, bIn)];
      if (aDims.length < 2 || bDims.length < 2) throw new UnsupportedError(`${node.opType} is supported on inputs of rank >= 2`, { node: node.name });
      const [M, K, N] = [aDims[aDims.length - 2], aDims[aDims.length - 1], bDims[bDims.length - 1]];
      const out = b.output(0);
      const outBatch = out.dims.slice(0, -2);
      // The first element of each matrix of A and B that each output matrix reads (numpy batch broadcasting).
      const aStarts = broadcastGather(outBatch, aDims.slice(0, -2), false);
      const bStarts = broadcastGather(outBatch, bDims.slice(0, -2), false);
      const rowZero = perVectorZeroPoints(node, "a", aZero, aDims, -2);
      // A scalar zero point made at run time (stored like the codes it belongs to) is read per run.
      const runtimeZero = aZeroRuntime && aZeroRuntime.runtimeIndex >= 0 ? (b.arena.view(b.input(aZeroRuntime.runtimeIndex).buffer as never) as Int8Array) : null;
      const runtimeOffset = aZeroRuntime?.offset ?? 0;
      const columnZero = perVectorZeroPoints(node, "b", bZero, bDims, -1);
      const readA = logicalCodes(b, a, aDims);
      const readB = logicalCodes(b, bIn, bDims);
      const write = emit(b);
      const scatter = logicalToPhysical(out.dims, out.nhwc);
      const batches = aStarts.length;
      return () => {
        if (runtimeZero) rowZero.fill(runtimeZero[0] + runtimeOffset);
        const codesA = readA();
        const codesB = readB();
        let at = 0;
        for (let batch = 0; batch < batches; batch++) {
          const aMatrix = aStarts[batch];
          const bMatrix = bStarts[batch];
          for (let m = 0; m < M; m++) {
            const aRow = (aMatrix * M + m) * K;
            const za = rowZero[aMatrix * M + m];
            for (let n = 0; n < N; n++) {
              const zb = columnZero[bMatrix * N + n];
              let acc = 0;
              for (let k = 0; k < K; k++) acc += (codesA[aRow + k] - za) * (codesB[(bMatrix * K + k) * N + n] - zb);
              write(acc, n, scatter[at++]);
            }
          }
        }
      };
    },
  };
}

export const prepareMatMulInteger: OpFactory = (ctx, step) => {
  const s = step as IntegerStep;
  const operands = {
    a: dataInput(ctx, s, 0), b: dataInput(ctx, s, 1), aZero: zeroPoints(ctx, s.node, 2), bZero: zeroPoints(ctx, s.node, 3), aZeroRuntime: dataInput(ctx, s, 2),
  };
  return prepareMatMul(ctx, s.node, "js_matmul_integer", operands, (b) => {
    const y = b.arena.view(b.output(0).buffer as never) as Int32Array;
    return (acc, _column, at) => {
      y[at] = acc | 0;
    };
  });
};

/**
 * QLinearMatMul whose B is a runtime value too (per-tensor parameters): the exact int32 sums,
 * requantized as the constant-weight QLinearMatMul is in each mode (fixed point, DESIGN.md 3; or
 * ONNX Runtime's f32(acc) * f32(f32(S_a S_b) / S_y) rounded half to even).
 */
export const prepareQLinearMatMul: OpFactory = (ctx, step) => {
  const s = step as IntegerStep;
  const [qa, qb, qy] = [ctx.valueQuant(s.inputs[0]), ctx.valueQuant(s.inputs[1]), ctx.valueQuant(s.output)];
  const fileZero = (name: string, quant: TensorQuant): ZeroPoints => ({ data: Int32Array.of(quant.zeroPoint + (ctx.graph.values.get(name)?.dtype === "uint8" ? UINT8_SHIFT : 0)), dims: [] });
  const [a, b] = [dataInput(ctx, s, 0), dataInput(ctx, s, 3)];
  const operands = { a, b, aZero: fileZero(a.name, qa), bZero: fileZero(b.name, qb), aZeroRuntime: null };
  const onnx = ctx.requantization === "onnx";
  const scale = onnxOutputScales(qa.scale, Float32Array.of(qb.scale), qy.scale)[0];
  const { multiplier, shift } = quantizeMultiplier((qa.scale * qb.scale) / qy.scale);
  const fixed = { multiplier, leftShift: Math.max(shift, 0), rightShift: Math.max(-shift, 0) };
  const f = Math.fround;
  return prepareMatMul(ctx, s.node, onnx ? "js_qlinear_matmul+onnx_requantize" : "js_qlinear_matmul", operands, (bind) => {
    const y = bind.arena.view(bind.output(0).buffer as never) as Int8Array;
    return (acc, _column, at) => {
      const q = (onnx ? roundHalfToEven(f(f(acc) * scale)) : multiplyByShiftedMultiplier(acc, fixed)) + qy.zeroPoint;
      y[at] = q < -128 ? -128 : q > 127 ? 127 : q;
    };
  });
};

export const prepareConvInteger: OpFactory = (ctx, step) => {
  const s = step as IntegerStep;
  const node = s.node;
  const x = dataInput(ctx, s, 0);
  const weights = dataInput(ctx, s, 1);
  const wDims = ctx.graph.values.get(weights.name)!.shape as number[];
  const w = Int32Array.from(weights.constant as ArrayLike<number>, Number);
  const xZero = zeroPoints(ctx, node, 2);
  const wZero = zeroPoints(ctx, node, 3);
  const outC = wDims[0];
  if (xZero.data.length !== 1) throw new ShapeError(`x zero point must be a scalar, got ${xZero.data.length} values`, { node: node.name, tensor: node.inputs[2] });
  if (wZero.data.length !== 1 && wZero.data.length !== outC) {
    throw new ShapeError(`w zero point has ${wZero.data.length} values for ${outC} output channels`, { node: node.name, tensor: node.inputs[3] });
  }
  // Weights minus their zero point, per output channel.
  const perChannel = w.length / outC;
  for (let i = 0; i < w.length; i++) w[i] -= wZero.data[wZero.data.length === 1 ? 0 : Math.floor(i / perChannel)];
  return {
    kernel: "js_conv_integer",
    scratchBytes: () => 0,
    bind(b) {
      const input = b.input(0);
      const shape = conv2dShape(node, input.dims, wDims);
      const { outH, outW } = conv2dOutputHW(shape);
      const out = b.output(0);
      const y = b.arena.view(out.buffer as never) as Int32Array;
      const readX = logicalCodes(b, x, input.dims);
      const outScatter = logicalToPhysical(out.dims, out.nhwc);
      const zx = xZero.data[0];
      const cinPerGroup = wDims[1];
      const outPerGroup = outC / shape.groups;
      const [kh, kw] = [shape.kernelH, shape.kernelW];
      return () => {
        const codes = readX();
        let at = 0;
        for (let n = 0; n < shape.batch; n++) {
          for (let m = 0; m < outC; m++) {
            const group = Math.floor(m / outPerGroup);
            for (let oy = 0; oy < outH; oy++) {
              for (let ox = 0; ox < outW; ox++) {
                let acc = 0;
                for (let c = 0; c < cinPerGroup; c++) {
                  const plane = (n * shape.inC + group * cinPerGroup + c) * shape.inH;
                  for (let ky = 0; ky < kh; ky++) {
                    const iy = oy * shape.strideH - shape.padTop + ky * shape.dilationH;
                    if (iy < 0 || iy >= shape.inH) continue;
                    for (let kx = 0; kx < kw; kx++) {
                      const ix = ox * shape.strideW - shape.padLeft + kx * shape.dilationW;
                      if (ix < 0 || ix >= shape.inW) continue;
                      acc += (codes[(plane + iy) * shape.inW + ix] - zx) * w[((m * cinPerGroup + c) * kh + ky) * kw + kx];
                    }
                  }
                }
                y[outScatter[at++]] = acc | 0;
              }
            }
          }
        }
      };
    },
  };
};
