// Data and checks shared by the fp32 kernel tests.
import type { WasmArena, WasmBuffer } from "../../src/kernels/arena.js";
import { int32Stream } from "./wasm.js";

/**
 * Deterministic floats in [-scale, scale): mostly uniform, with some exact zeros of both signs and
 * repeated values, so ties and signed zeros show up.
 */
export function randomFloats(length: number, seed: number, scale = 1): Float32Array {
  const next = int32Stream(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const r = next();
    const kind = (r >>> 0) % 32;
    if (kind === 0) out[i] = 0;
    else if (kind === 1) out[i] = -0;
    else if (kind === 2 && i > 0) out[i] = out[i - 1];
    else out[i] = (next() / 2 ** 31) * scale;
  }
  return out;
}

export function abs(values: Float32Array): Float32Array {
  return values.map(Math.abs);
}

const GUARD = 16;
const GUARD_VALUE = -1234.5;

/**
 * An output buffer of `length` floats with guard floats on both sides. The output starts as NaN,
 * so an element the kernel forgets to write fails any comparison.
 */
export class GuardedOutput {
  readonly buffer: WasmBuffer;
  private readonly whole: WasmBuffer & { type: "float32" };

  constructor(private readonly arena: WasmArena, readonly length: number) {
    this.whole = arena.alloc("float32", length + 2 * GUARD);
    const view = arena.view(this.whole);
    view.fill(GUARD_VALUE);
    view.fill(Number.NaN, GUARD, GUARD + length);
    this.buffer = { ptr: this.whole.ptr + GUARD * 4, length, type: "float32" };
  }

  values(): Float32Array {
    return this.arena.view(this.whole).slice(GUARD, GUARD + this.length);
  }

  guardsIntact(): boolean {
    const view = this.arena.view(this.whole);
    for (let i = 0; i < GUARD; i++) {
      if (view[i] !== GUARD_VALUE || view[GUARD + this.length + i] !== GUARD_VALUE) return false;
    }
    return true;
  }
}

/**
 * Index of the first element with |actual - expected| > bound(i), or -1. NaN anywhere in `actual`
 * fails (unwritten output).
 */
export function firstOutOfTolerance(actual: Float32Array, expected: Float32Array, bound: (i: number) => number): number {
  if (actual.length !== expected.length) return 0;
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= bound(i))) return i;
  }
  return -1;
}

/** Index of the first element that differs (signed zeros distinguished), or -1. */
export function firstDifference(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return 0;
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) return i;
  }
  return -1;
}

/** A failure message naming the element, for expect(...).toBe(-1) style checks. */
export function describeMismatch(index: number, actual: Float32Array, expected: Float32Array): string {
  return index < 0 ? "" : `element ${index}: got ${actual[index]}, expected ${expected[index]} (of ${expected.length})`;
}
