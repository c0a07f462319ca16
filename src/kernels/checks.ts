// Argument checks shared by the kernel wrappers. They run in every call function, so none of
// them allocates; each throws a typed error that names the kernel and the argument.
import { InvalidArgumentError, QuantizationError, ShapeError } from "../errors.js";
import type { BufferType, WasmBuffer } from "./arena.js";
import type { KernelInstance } from "./module.js";

const BYTES: Record<BufferType, number> = { int8: 1, uint8: 1, int32: 4, float32: 4 };
export const INT8_MIN = -128;
export const INT8_MAX = 127;

/** Throws a ShapeError unless `value` is an integer >= `minimum` (and small enough to index memory). */
export function requireDim(kernel: string, name: string, value: number, minimum = 1): void {
  if (!Number.isInteger(value) || value < minimum || value > 0x7fffffff) {
    throw new ShapeError(`${kernel}: ${name} must be an integer >= ${minimum}, got ${value}`);
  }
}

/** Throws a QuantizationError unless `scale` is a finite positive number that stays so in float32. */
export function requireScale(kernel: string, name: string, scale: number): void {
  const single = Math.fround(scale);
  if (!(single > 0 && single < Infinity)) {
    throw new QuantizationError(`${kernel}: ${name} must be finite and > 0 in float32, got ${scale}`);
  }
}

/** Throws a QuantizationError unless qmin..qmax is a non-empty integer range within int8. */
export function requireInt8Range(kernel: string, qmin: number, qmax: number): void {
  if (!(Number.isInteger(qmin) && Number.isInteger(qmax) && INT8_MIN <= qmin && qmin <= qmax && qmax <= INT8_MAX)) {
    throw new QuantizationError(`${kernel}: clamp range [${qmin}, ${qmax}] must be integers within [-128, 127]`);
  }
}

/** Throws a QuantizationError unless `zeroPoint` is an integer in [qmin, qmax]. */
export function requireZeroPoint(kernel: string, name: string, zeroPoint: number, qmin = INT8_MIN, qmax = INT8_MAX): void {
  if (!Number.isInteger(zeroPoint) || zeroPoint < qmin || zeroPoint > qmax) {
    throw new QuantizationError(`${kernel}: ${name} must be an integer in [${qmin}, ${qmax}], got ${zeroPoint}`);
  }
}

function overlaps(a: WasmBuffer, aLength: number, b: WasmBuffer, bLength: number): boolean {
  const aEnd = a.ptr + aLength * BYTES[a.type];
  const bEnd = b.ptr + bLength * BYTES[b.type];
  return a.ptr < bEnd && b.ptr < aEnd && aLength > 0 && bLength > 0;
}

/**
 * Throws a RangeError if the first `lengthA` elements of `a` (which the kernel writes) overlap the
 * first `lengthB` elements of `b` (which it reads or writes).
 */
export function requireDisjoint(
  kernel: string, roleA: string, a: WasmBuffer, lengthA: number, roleB: string, b: WasmBuffer, lengthB: number,
): void {
  if (overlaps(a, lengthA, b, lengthB)) throw new RangeError(`${kernel}: ${roleA} overlaps ${roleB}`);
}

/**
 * requireDisjoint on whole buffers for a GEMM-like kernel that writes `output` and `scratch` and
 * reads `input` and `weights`.
 */
export function requireGemmBuffersDisjoint(
  kernel: string, output: WasmBuffer, scratch: WasmBuffer, input: WasmBuffer, weights: WasmBuffer,
): void {
  requireDisjoint(kernel, "output", output, output.length, "scratch", scratch, scratch.length);
  requireDisjoint(kernel, "output", output, output.length, "input", input, input.length);
  requireDisjoint(kernel, "output", output, output.length, "weights", weights, weights.length);
  requireDisjoint(kernel, "scratch", scratch, scratch.length, "input", input, input.length);
  requireDisjoint(kernel, "scratch", scratch, scratch.length, "weights", weights, weights.length);
}

/** Throws if packed weights were built in another kernel instance's memory. */
export function requireSameInstance(kernel: string, packedIn: KernelInstance, kernels: KernelInstance): void {
  if (packedIn !== kernels) throw new InvalidArgumentError(`${kernel}: the weights were packed for another kernel instance`);
}

/** As requireDisjoint, but `out` may also be exactly `input` (an elementwise kernel working in place). */
export function requireDisjointOrSame(
  kernel: string, inputRole: string, input: WasmBuffer, out: WasmBuffer, length: number,
): void {
  if (input.ptr !== out.ptr && overlaps(input, length, out, length)) {
    throw new RangeError(`${kernel}: out partly overlaps ${inputRole}; use the same buffer or a separate one`);
  }
}
