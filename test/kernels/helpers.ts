// Shared pieces of the kernel tests: scratch buffers released after each case, bit-exact float
// comparison, and arbitraries for quantization parameters.
import { fc } from "@fast-check/vitest";
import type { WasmArena } from "../../src/kernels/arena.js";

/** Runs `body` and releases every buffer it allocated from the arena. */
export function scratch<T>(arena: WasmArena, body: () => T): T {
  const mark = arena.mark();
  try {
    return body();
  } finally {
    arena.release(mark);
  }
}

/** Indices where two float32 arrays differ bit for bit (NaN payloads and signed zeros included). */
export function bitMismatches(actual: Float32Array, expected: Float32Array): number[] {
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const bad: number[] = [];
  for (let i = 0; i < Math.max(a.length, e.length); i++) if (a[i] !== e[i]) bad.push(i);
  return bad;
}

/** Indices where two int8 arrays differ (a plain loop: much faster than a deep equality on large arrays). */
export function mismatches(actual: Int8Array, expected: Int8Array): number[] {
  const bad: number[] = [];
  for (let i = 0; i < Math.max(actual.length, expected.length); i++) if (actual[i] !== expected[i]) bad.push(i);
  return bad;
}

/** Clamp ranges within int8: full int8, signed and narrow ranges of 2..8 bits, and arbitrary ones. */
export const int8Range = fc.oneof(
  fc.constant({ qmin: -128, qmax: 127 }),
  fc.integer({ min: 2, max: 8 }).map((bits) => ({ qmin: -(2 ** (bits - 1)), qmax: 2 ** (bits - 1) - 1 })),
  fc.integer({ min: 2, max: 8 }).map((bits) => ({ qmin: 1 - 2 ** (bits - 1), qmax: 2 ** (bits - 1) - 1 })),
  fc.tuple(fc.integer({ min: -128, max: 127 }), fc.integer({ min: -128, max: 127 }))
    .map(([a, b]) => ({ qmin: Math.min(a, b), qmax: Math.max(a, b) })),
);

/** A zero point, with the extremes -128 and 127 often. */
export const zeroPoint = fc.oneof(fc.constantFrom(-128, 127, 0), fc.integer({ min: -128, max: 127 }));

/** A positive float32 scale m * 2^e over a wide range of magnitudes. */
export function scale(minExponent = -30, maxExponent = 20): fc.Arbitrary<number> {
  return fc
    .tuple(fc.float({ min: 1, max: 2, noNaN: true }), fc.integer({ min: minExponent, max: maxExponent }))
    .map(([m, e]) => Math.fround(m * 2 ** e));
}

/** Deterministic int8 data (xorshift), biased to the extremes now and then. */
export function int8Data(length: number, seed: number): Int8Array {
  let state = seed | 0 || 1;
  return Int8Array.from({ length }, () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const r = state & 0xff;
    return r < 8 ? -128 : r < 16 ? 127 : (r << 24) >> 24;
  });
}
