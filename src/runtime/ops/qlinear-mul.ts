// com.microsoft QLinearMul on int8 codes (numpy broadcasting), in JavaScript:
//   p = (a - Z_a) * (b - Z_b)                       (exact: |p| <= 2^16)
//   y = clamp(requant(p, S_a * S_b / S_y) + Z_y, -128, 127)
// with requant the fixed-point multiplier of DESIGN.md 3 by default. The "onnx" mode follows ONNX
// Runtime's MLAS (scalar/wasm form) instead: y = nearbyint(clamp(f32(S_a (a - Z_a)) * f32(S_b (b - Z_b)) / S_y) + Z_y),
// every operation rounded to fp32.
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
  const [lowest, highest] = [-128 - y.zeroPoint, 127 - y.zeroPoint];
  const f = Math.fround;
  const multiply = ctx.requantization === "onnx"
    ? (qa: number, qb: number) => {
      const c = f(f(f(a.scale * (qa - a.zeroPoint)) * f(b.scale * (qb - b.zeroPoint))) / y.scale);
      return roundHalfToEven(f((c < lowest ? lowest : c > highest ? highest : c) + y.zeroPoint));
    }
    : (qa: number, qb: number) => requantize((qa - a.zeroPoint) * (qb - b.zeroPoint), multiplier, shift, y.zeroPoint, -128, 127);
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
        for (let i = 0; i < count; i++) vy[scatter[i]] = multiply(va[ga[i]], vb[gb[i]]);
      };
    },
  };
};
