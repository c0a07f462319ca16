// The kernel measurements, shared by the Node benchmark (kernels.ts) and the Chromium one
// (browser/kernels-entry.ts), so both engines time the same cases on the same data with the same
// code. No Node built-ins: this module is bundled for the browser.
import type { WasmArena } from "../src/kernels/arena.js";
import { f32Gemm, packF32Gemm } from "../src/kernels/f32-gemm.js";
import type { KernelInstance } from "../src/kernels/module.js";
import { packQs8Gemm, qs8Gemm, qs8GemmScratchSize } from "../src/kernels/qs8-gemm.js";
import { f32GemmReference } from "../src/reference/f32-gemm.js";
import { measure } from "./measure.js";

export type KernelImpl = "int8-simd" | "int8-relaxed" | "fp32-simd" | "fp32-js" | "peak";

/** The JavaScript engine a row was measured in: Node's V8, or headless Chromium's. */
export type Engine = "node" | "chromium";

export interface KernelRow {
  kernel: string;
  shape: string;
  impl: KernelImpl;
  gops: number;
  engine: Engine;
}

export interface GemmCase {
  readonly label: string;
  readonly M: number;
  readonly N: number;
  readonly K: number;
  /** Bits of the symmetric weights (8 unless said): the relaxed build's layouts need <= 7. */
  readonly weightBits?: number;
}

export const GEMM_CASES: readonly GemmCase[] = [
  { label: "64^3", M: 64, N: 64, K: 64 },
  { label: "256^3", M: 256, N: 256, K: 256 },
  { label: "512^3", M: 512, N: 512, K: 512 },
  { label: "512^3 w6", M: 512, N: 512, K: 512, weightBits: 6 },
  { label: "1024^3", M: 1024, N: 1024, K: 1024 },
  { label: "fc 1x784x256", M: 1, N: 256, K: 784 },
];

/** Seeded values in [-limit, limit]; limit 127 gives full 8-bit weights, as symmetric quantization produces. */
function randomInt8(length: number, seed: number, limit = 127): Int8Array {
  let state = seed;
  return Int8Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return ((state >>> 16) % (2 * limit + 1)) - limit;
  });
}

/** A case's int8 weights [N, K] and input [M, K]; the fp32 GEMMs run on the same values / 127. */
function gemmData({ M, N, K, weightBits = 8 }: GemmCase): { weights: Int8Array; input: Int8Array } {
  return { weights: randomInt8(N * K, 1, 2 ** (weightBits - 1) - 1), input: randomInt8(M * K, 2) };
}

function toF32(values: Int8Array): Float32Array {
  return Float32Array.from(values, (v) => v / 127);
}

function gops(gemm: GemmCase, medianMs: number): number {
  return (2 * gemm.M * gemm.N * gemm.K) / (medianMs * 1e6);
}

/**
 * The highest GOP/s of each timer over `rounds` rounds, the timers taking turns within a round:
 * on a shared machine whose speed drifts, kernels compared with each other (and with the peak) are
 * then timed under the same conditions, and a slow spell hits all of them or none.
 */
export function bestOfRounds<K extends string>(rounds: number, timers: Readonly<Record<K, () => number>>): Record<K, number> {
  const best = Object.fromEntries(Object.keys(timers).map((k) => [k, 0])) as Record<K, number>;
  for (let round = 0; round < rounds; round++) {
    for (const key of Object.keys(timers) as K[]) best[key] = Math.max(best[key], timers[key]());
  }
  return best;
}

/**
 * GOP/s of i32x4.dot_i16x8_s alone on registers, in independent chains (assembly/peak.ts): the
 * engine's SIMD dot-product ceiling that the kernel figures are a fraction of.
 */
export function timePeak(kernels: KernelInstance, maxTime: number): number {
  const iterations = 2_000_000;
  const peak = kernels.exports.peak_i16x8_dot as (iterations: number, seed: number) => number;
  const timing = measure("peak", () => peak(iterations, 3), { maxTime });
  return (iterations * 8 * 8 * 2) / (timing.medianMs * 1e6);
}

/**
 * GOP/s of i32x4.relaxed_dot_i8x16_i7x16_add_s alone on registers (assembly/peak.ts), the relaxed
 * build's ceiling: 16 multiply-accumulates per instruction, its accumulate included.
 */
export function timeRelaxedPeak(kernels: KernelInstance, maxTime: number): number {
  const iterations = 2_000_000;
  const peak = kernels.exports.peak_relaxed_dot_add as (iterations: number, seed: number) => number;
  const timing = measure("relaxed peak", () => peak(iterations, 3), { maxTime });
  return (iterations * 8 * 16 * 2) / (timing.medianMs * 1e6);
}

/** The kernel name of the fp32 ceiling's row (timeF32Peak). */
export const F32_PEAK_KERNEL = "f32x4.mul + f32x4.add";

/**
 * GOP/s of f32x4.mul + f32x4.add alone on registers (assembly/peak.ts), the fp32 GEMM's ceiling:
 * one multiply-accumulate per lane per pair, as the fp32 GEMM's inner loop does it.
 */
export function timeF32Peak(kernels: KernelInstance, maxTime: number): number {
  const iterations = 2_000_000;
  const peak = kernels.exports.peak_f32x4_mul_add as (iterations: number, seed: number) => number;
  const timing = measure("fp32 peak", () => peak(iterations, 0.5), { maxTime });
  return (iterations * 12 * 4 * 2) / (timing.medianMs * 1e6);
}

/** GOP/s of our int8 GEMM in the arena's kernel build, weights packed once as a session would. */
export function timeQs8Gemm(arena: WasmArena, gemm: GemmCase, maxTime: number): number {
  const { M, N, K } = gemm;
  const { weights, input } = gemmData(gemm);
  const mark = arena.mark();
  try {
    const packed = packQs8Gemm(arena, {
      weights, N, K, bias: new Int32Array(N), inputZeroPoint: -3,
      multiplier: new Int32Array(N).fill(1 << 30), shift: new Int32Array(N).fill(-8),
      outputZeroPoint: 0, qmin: -128, qmax: 127,
    });
    const inputBuffer = arena.from("int8", input);
    const output = arena.alloc("int8", M * N);
    const scratch = arena.alloc("int8", qs8GemmScratchSize(packed, M));
    const { kernels } = arena;
    return gops(gemm, measure("int8", () => qs8Gemm(kernels, packed, inputBuffer, M, output, scratch), { maxTime }).medianMs);
  } finally {
    arena.release(mark);
  }
}

/** GOP/s of our fp32 SIMD GEMM on the same case. */
export function timeF32Gemm(arena: WasmArena, gemm: GemmCase, maxTime: number): number {
  const { M, N, K } = gemm;
  const { weights, input } = gemmData(gemm);
  const mark = arena.mark();
  try {
    const packed = packF32Gemm(arena, { weights: toF32(weights), N, K, bias: null });
    const inputBuffer = arena.from("float32", toF32(input));
    const output = arena.alloc("float32", M * N);
    const { kernels } = arena;
    return gops(gemm, measure("fp32", () => f32Gemm(kernels, packed, inputBuffer, M, output), { maxTime }).medianMs);
  } finally {
    arena.release(mark);
  }
}

/** GOP/s of the plain TypeScript fp32 loop (src/reference/f32-gemm.ts) on the same case. */
export function timeF32GemmJs(gemm: GemmCase, maxTime: number): number {
  const { M, N, K } = gemm;
  const { weights, input } = gemmData(gemm);
  const params = { weights: toF32(weights), N, K, bias: null };
  const inputF32 = toF32(input);
  return gops(gemm, measure("js", () => f32GemmReference(inputF32, M, params), { maxTime, minSamples: 2, warmupCalls: 1 }).medianMs);
}
