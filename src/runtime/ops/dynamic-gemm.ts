// A dynamically quantized MatMul: each run measures its input's range, quantizes it to int8
// (ONNX DynamicQuantizeLinear, shifted from uint8), multiplies on the int8 GEMM and dequantizes
// with S_x * S_w[n] (the f32 products ONNX Runtime's Mul computes), plus the bias.
import { ShapeError } from "../../errors.js";
import { DYNAMIC_QUANTIZE_SCRATCH_SIZE, qs8DynamicQuantizeF32 } from "../../kernels/quantize.js";
import { packQs8GemmDynamic, qs8GemmDequantize, qs8GemmDequantizeScratchSize } from "../../kernels/qs8-gemm-dynamic.js";
import type { LoweredStep } from "../lowering.js";
import { product, scratchBuffer } from "./common.js";
import type { BindContext, OpFactory } from "./types.js";

const ALIGN = 64;
const align = (bytes: number) => Math.ceil(bytes / ALIGN) * ALIGN;

export const prepareDynamicGemm: OpFactory = (ctx, step) => {
  const { node, weights } = step as Extract<LoweredStep, { op: "qdynamic" }>;
  const { N, K } = weights;
  const packed = packQs8GemmDynamic(ctx.arena, { weights: weights.data, N, K });
  const scales = ctx.arena.alloc("float32", N);
  const bias = weights.bias ? ctx.arena.from("float32", weights.bias) : null;
  const rows = (b: BindContext) => {
    const dims = b.input(0).dims;
    if (dims[dims.length - 1] !== K) throw new ShapeError(`expected an input whose last dimension is ${K}, got [${dims.join(", ")}]`, { node: node.name });
    return product(dims) / K;
  };
  const layout = (M: number) => {
    const codes = align(M * K);
    const quantizeScratch = align(4 * DYNAMIC_QUANTIZE_SCRATCH_SIZE);
    return { codes, quantizeScratch, total: codes + quantizeScratch + qs8GemmDequantizeScratchSize(packed, M) };
  };
  return {
    kernel: "qs8_gemm_f32",
    scratchBytes: (b) => layout(rows(b)).total,
    bind(b, scratch) {
      const M = rows(b);
      const parts = layout(M);
      const codes = scratchBuffer(scratch, "int8", M * K);
      const quantizeScratch = scratchBuffer(scratch + parts.codes, "int32", DYNAMIC_QUANTIZE_SCRATCH_SIZE);
      const gemmScratch = scratchBuffer(scratch + parts.codes + parts.quantizeScratch, "int8", qs8GemmDequantizeScratchSize(packed, M));
      const [input, output] = [b.input(0).buffer, b.output(0).buffer];
      const scaleView = b.arena.view(scales);
      const x = { scale: 0, zeroPoint: 0 };
      return () => {
        qs8DynamicQuantizeF32(b.kernels, input, M * K, codes, quantizeScratch, x);
        for (let n = 0; n < N; n++) scaleView[n] = x.scale * weights.scales[n];
        qs8GemmDequantize(b.kernels, packed, codes, M, x.zeroPoint, scales, bias, output, gemmScratch);
      };
    },
  };
};
