// QuantizeLinear / DequantizeLinear steps left after QDQ lowering: conversions between fp32 and
// int8 activations at the edges of integer regions (layout is preserved). Per tensor they run on
// the quantize kernels; per axis (one (scale, zero point) per index along an axis) as a host loop
// with the same arithmetic: q = clamp(roundHalfToEven(f32(x / S)) + Z), x = f32(S * (q - Z)).
import type { LoweredStep, PerAxisQuant } from "../lowering.js";
import { qs8DequantizeF32, qs8QuantizeF32 } from "../../kernels/quantize.js";
import { logicalToPhysical } from "../layout.js";
import { roundHalfToEven } from "./onnx-requantization.js";
import { activationClamp } from "./quant-params.js";
import type { BindContext, OpFactory, PreparedOp } from "./types.js";

type ConversionStep = Extract<LoweredStep, { op: "quantize" | "dequantize" }>;

/** The index along `axis` of the element at each physical position. */
function axisIndexOf(b: BindContext, axis: number): Int32Array {
  const value = b.input(0);
  const dims = value.dims;
  const inner = dims.slice(axis + 1).reduce((a, c) => a * c, 1);
  const physical = logicalToPhysical(dims, value.nhwc);
  const index = new Int32Array(physical.length);
  for (let i = 0; i < physical.length; i++) index[physical[i]] = Math.floor(i / inner) % dims[axis];
  return index;
}

function preparePerAxis(step: ConversionStep, perAxis: PerAxisQuant): PreparedOp {
  const { scales, zeroPoints } = perAxis;
  const f = Math.fround;
  return {
    kernel: step.op === "quantize" ? "js_quantize_per_axis" : "js_dequantize_per_axis",
    scratchBytes: () => 0,
    bind(b) {
      const channel = axisIndexOf(b, perAxis.axis);
      const count = channel.length;
      if (step.op === "dequantize") {
        const q = b.arena.view(b.input(0).buffer as never) as Int8Array;
        const y = b.arena.view(b.output(0).buffer as never) as Float32Array;
        return () => {
          for (let i = 0; i < count; i++) y[i] = scales[channel[i]] * (q[i] - zeroPoints[channel[i]]);
        };
      }
      const x = b.arena.view(b.input(0).buffer as never) as Float32Array;
      const q = b.arena.view(b.output(0).buffer as never) as Int8Array;
      return () => {
        for (let i = 0; i < count; i++) {
          const c = channel[i];
          const v = x[i];
          // NaN quantizes to the zero point (DESIGN.md 2); +-Infinity saturate through the clamp.
          const r = v !== v ? zeroPoints[c] : roundHalfToEven(f(v / scales[c])) + zeroPoints[c];
          q[i] = r < -128 ? -128 : r > 127 ? 127 : r;
        }
      };
    },
  };
}

export const prepareQuantizeLinear: OpFactory = (ctx, step) => {
  const s = step as ConversionStep;
  if (s.perAxis) return preparePerAxis(s, s.perAxis);
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
