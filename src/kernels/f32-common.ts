// Checks shared by the fp32 kernel wrappers: clamp ranges, buffer ownership and aliasing.
import { InvalidArgumentError, ShapeError } from "../errors.js";
import type { WasmBuffer } from "./arena.js";
import type { KernelInstance } from "./module.js";

/** A fused activation as an output range; [-Infinity, Infinity] is none, [0, Infinity] ReLU, [0, 6] ReLU6. */
export interface ClampRange {
  readonly clampMin: number;
  readonly clampMax: number;
}

/** Resolves optional clamp bounds, rejecting NaN and empty ranges. */
export function resolveClamp(kernel: string, clampMin = -Infinity, clampMax = Infinity): ClampRange {
  if (typeof clampMin !== "number" || typeof clampMax !== "number" || Number.isNaN(clampMin) || Number.isNaN(clampMax)) {
    throw new RangeError(`${kernel}: clampMin and clampMax must be numbers (not NaN), got ${clampMin} and ${clampMax}`);
  }
  if (clampMin > clampMax) {
    throw new RangeError(`${kernel}: clampMin ${clampMin} exceeds clampMax ${clampMax}`);
  }
  return { clampMin, clampMax };
}

/** Throws unless `value` is a Float32Array of exactly `length` elements (weights, bias). */
export function requireFloat32Array(kernel: string, role: string, value: unknown, length: number): Float32Array {
  if (!(value instanceof Float32Array)) {
    throw new TypeError(`${kernel}: ${role} must be a Float32Array`);
  }
  if (value.length !== length) {
    throw new ShapeError(`${kernel}: ${role} holds ${value.length} elements, expected ${length}`);
  }
  return value;
}

/** Throws a ShapeError unless the size `value` is an integer >= 1. */
export function requireDimension(kernel: string, role: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new ShapeError(`${kernel}: ${role} must be an integer >= 1, got ${value}`);
  }
}

/** Throws if packed weights were built in another kernel instance's memory. */
export function requireSameInstance(kernel: string, packedIn: KernelInstance, kernels: KernelInstance): void {
  if (packedIn !== kernels) {
    throw new InvalidArgumentError(`${kernel}: the weights were packed for another kernel instance`);
  }
}

/**
 * Throws if the first `lengthA` floats of `a` (which the kernel writes) overlap the first
 * `lengthB` floats of `b` (which it reads or writes).
 */
export function requireDisjoint(
  kernel: string, roleA: string, a: WasmBuffer, lengthA: number, roleB: string, b: WasmBuffer, lengthB: number,
): void {
  if (lengthA > 0 && lengthB > 0 && a.ptr < b.ptr + lengthB * 4 && b.ptr < a.ptr + lengthA * 4) {
    throw new RangeError(`${kernel}: ${roleA} overlaps ${roleB}`);
  }
}
