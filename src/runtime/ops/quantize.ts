// QuantizeLinear / DequantizeLinear steps left after QDQ lowering: conversions between fp32 and
// int8 activations at the edges of integer regions (per tensor; layout is preserved).
import type { LoweredStep } from "../lowering.js";
import { qs8DequantizeF32, qs8QuantizeF32 } from "../../kernels/quantize.js";
import { activationClamp } from "./quant-params.js";
import type { OpFactory } from "./types.js";

export const prepareQuantizeLinear: OpFactory = (ctx, step) => {
  const s = step as Extract<LoweredStep, { op: "quantize" | "dequantize" }>;
  const quant = ctx.valueQuant(s.op === "quantize" ? s.output : s.input);
  const clamp = s.op === "quantize" ? activationClamp(s.activation, quant) : undefined;
  const params = { scale: quant.scale, zeroPoint: quant.zeroPoint, ...clamp };
  return {
    kernel: s.op === "quantize" ? "qs8_quantize_f32" : "qs8_dequantize_f32",
    scratchBytes: () => 0,
    bind(b) {
      const [x, y] = [b.input(0).buffer, b.output(0).buffer];
      const length = x.length;
      return s.op === "quantize"
        ? () => qs8QuantizeF32(b.kernels, x, length, params, y)
        : () => qs8DequantizeF32(b.kernels, x, length, params, y);
    },
  };
};
