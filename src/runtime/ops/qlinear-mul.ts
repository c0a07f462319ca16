// com.microsoft QLinearMul on int8 codes (numpy broadcasting), in JavaScript:
//   p = (a - Z_a) * (b - Z_b)                       (exact: |p| <= 2^16)
//   y = clamp(requant(p, S_a * S_b / S_y) + Z_y, -128, 127)
// with requant the fixed-point multiplier of DESIGN.md 3 by default, or, in "onnx" mode, the
// fp32 product rounded half to even (what ONNX Runtime computes).
import { quantizeMultiplier, requantize } from "../../quant/fixed-point.js";
import type { LoweredStep } from "../lowering.js";
import { broadcastGather, logicalToPhysical } from "../layout.js";
import { roundHalfToEven } from "./onnx-requantization.js";
import type { OpFactory } from "./types.js";

export const prepareQLinearMul: OpFactory = (ctx, step) => {
  const s = step as Extract<LoweredStep, { op: "qadd" }>;
  const [a, b] = s.inputs.map((name) => ctx.valueQuant(name));
  const y = ctx.valueQuant(s.output);
  const real = (a.scale * b.scale) / y.scale;
  const { multiplier, shift } = quantizeMultiplier(real);
  const floatMultiplier = Math.fround(Math.fround(a.scale * b.scale) / y.scale);
  const requant = ctx.requantization === "onnx"
    ? (p: number) => Math.min(127, Math.max(-128, roundHalfToEven(Math.fround(p * floatMultiplier)) + y.zeroPoint))
    : (p: number) => requantize(p, multiplier, shift, y.zeroPoint, -128, 127);
  return {
    kernel: "js",
    scratchBytes: () => 0,
    bind(bind) {
      const [x0, x1, out] = [bind.input(0), bind.input(1), bind.output(0)];
      const [va, vb, vy] = [x0, x1, out].map((v) => bind.arena.view(v.buffer as never) as Int8Array);
      const ga = broadcastGather(out.dims, x0.dims, x0.nhwc);
      const gb = broadcastGather(out.dims, x1.dims, x1.nhwc);
      const scatter = logicalToPhysical(out.dims, out.nhwc);
      const count = scatter.length;
      return () => {
        for (let i = 0; i < count; i++) vy[scatter[i]] = requant((va[ga[i]] - a.zeroPoint) * (vb[gb[i]] - b.zeroPoint));
      };
    },
  };
};
