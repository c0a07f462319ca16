// Conv and Gemm in the "onnx" requantization mode: the int8 GEMM kernel's f32-output form
// (qs8_gemm_f32) computes f32(acc) * f32(S_x * S_w[c] / S_y) exactly as ONNX Runtime's MLAS
// requantization does, and the host rounds half to even, adds Z_y and saturates. The accumulator
// start (bias - Z_x * sum_k w) rides in the packed blocks' row-sum field with a "zero point" of -1,
// so the kernel adds it once per output. Convolution gathers patches (im2col, padding = Z_x) per
// group and runs the same GEMM; this path favours exactness over speed.
import { attrInt } from "../../graph/ir.js";
import type { WasmArena } from "../../kernels/arena.js";
import { accumulatorInit } from "../../kernels/qs8-common.js";
import { packQs8GemmDynamic, qs8GemmDequantize, qs8GemmDequantizeScratchSize, type PackedQs8GemmDynamic } from "../../kernels/qs8-gemm-dynamic.js";
import { conv2dOutputHW, type Conv2dShape } from "../../kernels/shapes.js";
import type { LoweredStep, QuantizedWeights } from "../lowering.js";
import { conv2dShape, type BindQuant } from "./conv.js";
import { scratchBuffer } from "./common.js";
import { onnxOutputScales, requantizeScaled } from "./onnx-requantization.js";
import { activationClamp } from "./quant-params.js";
import type { BindContext, PrepareContext, PreparedOp } from "./types.js";

/** The kernel adds header * (-inputZeroPoint): -1 makes it add the header, our accumulator start. */
const ADD_HEADER = -1;
const ALIGN = 16;

function align(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN;
}

interface OnnxGemm {
  readonly packed: PackedQs8GemmDynamic;
  readonly scales: ReturnType<WasmArena["alloc"]>;
}

/** Packs int8 [N, K] weights with their accumulator start (bias - Z_x * row sum) and the f32 output scales. */
function packOnnxGemm(arena: WasmArena, weights: Int8Array, N: number, K: number, bias: Int32Array | null, inputZeroPoint: number, scales: Float32Array): OnnxGemm {
  const rowSums = accumulatorInit(weights, N, K, bias, inputZeroPoint);
  return { packed: packQs8GemmDynamic(arena, { weights, N, K, rowSums }), scales: arena.from("float32", scales) };
}

interface Requant {
  readonly zeroPoint: number;
  readonly qmin: number;
  readonly qmax: number;
}

function requantOf(step: Extract<LoweredStep, { op: "qlinear" }>, quant: BindQuant): Requant {
  return { zeroPoint: quant.output.zeroPoint, ...activationClamp(step.activation, quant.output) };
}

/** GEMM rows M of [M, K] int8 input -> int8 [M, N] output through f32 scratch. */
export function prepareOnnxGemm(ctx: PrepareContext, step: Extract<LoweredStep, { op: "qlinear" }>, quant: BindQuant, weights: Int8Array, rows: (b: BindContext) => number): PreparedOp {
  const [N, K] = step.weights.dims;
  const gemm = packOnnxGemm(ctx.arena, weights, N, K, step.weights.bias, quant.input.zeroPoint, onnxOutputScales(quant.input.scale, step.weights.scales, quant.output.scale));
  const requant = requantOf(step, quant);
  const layout = (M: number) => ({ floats: align(4 * M * N), tile: qs8GemmDequantizeScratchSize(gemm.packed, M) });
  return {
    kernel: "qs8_gemm_f32+onnx_requantize",
    scratchBytes: (b) => {
      const l = layout(rows(b));
      return l.floats + l.tile;
    },
    bind(b, scratch) {
      const M = rows(b);
      const l = layout(M);
      const floats = scratchBuffer(scratch, "float32", M * N);
      const tile = scratchBuffer(scratch + l.floats, "int8", l.tile);
      const [input, output] = [b.input(0).buffer, b.output(0).buffer];
      const scaled = b.arena.view(floats as never) as Float32Array;
      const out = b.arena.view(output as never) as Int8Array;
      return () => {
        qs8GemmDequantize(b.kernels, gemm.packed, input, M, ADD_HEADER, gemm.scales, null, floats, tile);
        requantizeScaled(scaled, M * N, requant.zeroPoint, requant.qmin, requant.qmax, out);
      };
    },
  };
}

/** OIHW weights of one group as [CoutPerGroup, KH * KW * CinPerGroup] in the patch order (kh, kw, c). */
function groupWeights(weights: QuantizedWeights, group: number, groups: number): Int8Array {
  const [outC, cin, kh, kw] = weights.dims;
  const perGroup = outC / groups;
  const K = kh * kw * cin;
  const out = new Int8Array(perGroup * K);
  for (let o = 0; o < perGroup; o++) {
    for (let c = 0; c < cin; c++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) out[o * K + (y * kw + x) * cin + c] = weights.data[(((group * perGroup + o) * cin + c) * kh + y) * kw + x];
      }
    }
  }
  return out;
}

/** Fills patches[m, (ky, kx, c)] from the NHWC input for one group; padding reads Z_x. */
function gatherPatches(shape: Conv2dShape, outH: number, outW: number, group: number, input: Int8Array, patches: Int8Array, zeroPoint: number): void {
  const cin = shape.inC / shape.groups;
  const K = shape.kernelH * shape.kernelW * cin;
  let m = 0;
  for (let n = 0; n < shape.batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++, m++) {
        for (let ky = 0; ky < shape.kernelH; ky++) {
          const iy = oy * shape.strideH - shape.padTop + ky * shape.dilationH;
          for (let kx = 0; kx < shape.kernelW; kx++) {
            const ix = ox * shape.strideW - shape.padLeft + kx * shape.dilationW;
            const at = m * K + (ky * shape.kernelW + kx) * cin;
            const inside = iy >= 0 && iy < shape.inH && ix >= 0 && ix < shape.inW;
            const from = ((n * shape.inH + iy) * shape.inW + ix) * shape.inC + group * cin;
            for (let c = 0; c < cin; c++) patches[at + c] = inside ? input[from + c] : zeroPoint;
          }
        }
      }
    }
  }
}

export function prepareOnnxConv(ctx: PrepareContext, step: Extract<LoweredStep, { op: "qlinear" }>, quant: BindQuant): PreparedOp {
  const { node, weights } = step;
  const groups = attrInt(node, "group", 1);
  const [outC, cin, kh, kw] = weights.dims;
  const perGroup = outC / groups;
  const K = kh * kw * cin;
  const scales = onnxOutputScales(quant.input.scale, weights.scales, quant.output.scale);
  const gemms = Array.from({ length: groups }, (_, g) => packOnnxGemm(
    ctx.arena, groupWeights(weights, g, groups), perGroup, K, weights.bias && weights.bias.slice(g * perGroup, (g + 1) * perGroup),
    quant.input.zeroPoint, scales.slice(g * perGroup, (g + 1) * perGroup),
  ));
  const requant = requantOf(step, quant);
  const layout = (b: BindContext) => {
    const shape = conv2dShape(node, b.input(0).dims, weights.dims);
    const { outH, outW } = conv2dOutputHW(shape);
    const M = shape.batch * outH * outW;
    return { shape, outH, outW, M, patches: align(M * K), floats: align(4 * M * perGroup), tile: qs8GemmDequantizeScratchSize(gemms[0].packed, M) };
  };
  return {
    kernel: "im2col+qs8_gemm_f32+onnx_requantize",
    scratchBytes: (b) => {
      const l = layout(b);
      return l.patches + l.floats + l.tile;
    },
    bind(b, scratch) {
      const l = layout(b);
      const patches = scratchBuffer(scratch, "int8", l.M * K);
      const floats = scratchBuffer(scratch + l.patches, "float32", l.M * perGroup);
      const tile = scratchBuffer(scratch + l.patches + l.floats, "int8", l.tile);
      const input = b.arena.view(b.input(0).buffer as never) as Int8Array;
      const output = b.arena.view(b.output(0).buffer as never) as Int8Array;
      const patchView = b.arena.view(patches as never) as Int8Array;
      const scaled = b.arena.view(floats as never) as Float32Array;
      const codes = new Int8Array(l.M * perGroup);
      return () => {
        for (let g = 0; g < groups; g++) {
          gatherPatches(l.shape, l.outH, l.outW, g, input, patchView, quant.input.zeroPoint);
          qs8GemmDequantize(b.kernels, gemms[g].packed, patches, l.M, ADD_HEADER, gemms[g].scales, null, floats, tile);
          requantizeScaled(scaled, l.M * perGroup, requant.zeroPoint, requant.qmin, requant.qmax, codes);
          for (let m = 0; m < l.M; m++) for (let o = 0; o < perGroup; o++) output[m * outC + g * perGroup + o] = codes[m * perGroup + o];
        }
      };
    },
  };
}
