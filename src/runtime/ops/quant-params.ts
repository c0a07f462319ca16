// Integer-op parameters derived from quantization parameters (DESIGN.md 3): output multipliers
// M[c] = S_x * S_w[c] / S_y in fixed point, and clamp ranges from fused activations.
import type { Activation } from "../../graph/ir.js";
import { quantizeMultiplier } from "../../quant/fixed-point.js";
import type { TensorQuant } from "../lowering.js";

export interface ClampCodes {
  readonly qmin: number;
  readonly qmax: number;
}

/** The int8 codes a fused activation [min, max] keeps (ReLU: qmin = Z_y; ReLU6: qmax = Z_y + round(6/S_y)). */
export function activationClamp(activation: Activation | undefined, output: TensorQuant): ClampCodes {
  if (!activation) return { qmin: -128, qmax: 127 };
  const lo = Number.isFinite(activation.min) ? output.zeroPoint + Math.round(activation.min / output.scale) : -128;
  const hi = Number.isFinite(activation.max) ? output.zeroPoint + Math.round(activation.max / output.scale) : 127;
  return { qmin: Math.min(Math.max(lo, -128), 127), qmax: Math.max(Math.min(hi, 127), -128) };
}

export interface Int8Requantization extends ClampCodes {
  readonly multiplier: Int32Array;
  readonly shift: Int32Array;
  readonly outputZeroPoint: number;
}

export function int8Requantization(
  input: TensorQuant,
  weightScales: Float32Array,
  output: TensorQuant,
  clamp: ClampCodes,
): Int8Requantization {
  const multiplier = new Int32Array(weightScales.length);
  const shift = new Int32Array(weightScales.length);
  weightScales.forEach((weightScale, c) => {
    const q = quantizeMultiplier((input.scale * weightScale) / output.scale);
    multiplier[c] = q.multiplier;
    shift[c] = q.shift;
  });
  return { multiplier, shift, outputZeroPoint: output.zeroPoint, ...clamp };
}
