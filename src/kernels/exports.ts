// The WebAssembly exports of assembly/index.ts, as the host sees them (pointers are byte offsets).
type Ptr = number;

export interface KernelExports extends Record<string, unknown> {
  heapBase(): number;

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
