// Checks shared by the fp32 kernel wrappers: clamp ranges and weight arrays (aliasing and
// ownership checks are in checks.ts, shared with the int8 wrappers).
import { ShapeError } from "../errors.js";

/** A fused activation as an output range; [-Infinity, Infinity] is none, [0, Infinity] ReLU, [0, 6] ReLU6. */
export interface ClampRange {
  readonly clampMin: number;
  readonly clampMax: number;
}

/** Throws a RangeError unless clampMin <= clampMax are numbers (not NaN). Allocates nothing: every call may run it. */
export function requireClamp(kernel: string, clampMin: number, clampMax: number): void {
  if (typeof clampMin !== "number" || typeof clampMax !== "number" || Number.isNaN(clampMin) || Number.isNaN(clampMax)) {
    throw new RangeError(`${kernel}: clampMin and clampMax must be numbers (not NaN), got ${clampMin} and ${clampMax}`);
  }
  if (clampMin > clampMax) {
    throw new RangeError(`${kernel}: clampMin ${clampMin} exceeds clampMax ${clampMax}`);
  }
}

/** Resolves optional clamp bounds (packing time), rejecting NaN and empty ranges. */
export function resolveClamp(kernel: string, clampMin = -Infinity, clampMax = Infinity): ClampRange {
  requireClamp(kernel, clampMin, clampMax);
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
