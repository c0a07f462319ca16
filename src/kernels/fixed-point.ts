import { requireBuffer, type WasmBuffer } from "./arena.js";
import type { KernelInstance } from "./module.js";

type Ptr = number;

export interface FixedPointExports {
  saturatingRoundingDoublingHighMul(a: number, b: number): number;
  roundingDivideByPOT(x: number, exponent: number): number;
  multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number;
  fixedpoint_multiply_array(x: Ptr, multiplier: Ptr, shift: Ptr, n: number, out: Ptr): void;
  fixedpoint_high_mul_array(a: Ptr, b: Ptr, n: number, out: Ptr): void;
  fixedpoint_divide_pot_array(x: Ptr, exponent: Ptr, n: number, out: Ptr): void;
  qs8_requantize(
    acc: Ptr, rows: number, channels: number, multiplier: Ptr, shift: Ptr,
    zeroPoint: number, qmin: number, qmax: number, out: Ptr,
  ): void;
}

/** Per-output-channel requantization: M0 and shift for each channel, the output zero point and clamp. */
export interface RequantizeParams {
  readonly multiplier: WasmBuffer;
  readonly shift: WasmBuffer;
  readonly zeroPoint: number;
  readonly qmin: number;
  readonly qmax: number;
}

/** Requantizes rows x channels int32 accumulators into int8 (DESIGN.md 3). */
export function qs8Requantize(
  kernels: KernelInstance,
  acc: WasmBuffer,
  rows: number,
  channels: number,
  params: RequantizeParams,
  out: WasmBuffer,
): void {
  requireBuffer("qs8Requantize", "acc", acc, "int32", rows * channels);
  requireBuffer("qs8Requantize", "multiplier", params.multiplier, "int32", channels);
  requireBuffer("qs8Requantize", "shift", params.shift, "int32", channels);
  requireBuffer("qs8Requantize", "out", out, "int8", rows * channels);
  if (!(params.qmin >= -128 && params.qmin <= params.qmax && params.qmax <= 127)) {
    throw new RangeError(`qs8Requantize: clamp range [${params.qmin}, ${params.qmax}] must lie within int8`);
  }
  kernels.exports.qs8_requantize(
    acc.ptr, rows, channels, params.multiplier.ptr, params.shift.ptr,
    params.zeroPoint, params.qmin, params.qmax, out.ptr,
  );
}
