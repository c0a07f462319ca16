// Kernel benchmark: int8 GEMM (WebAssembly SIMD) against our fp32 SIMD GEMM, a plain TypeScript
// fp32 loop, and the measured SIMD dot-product ceiling of this machine.
// Writes bench/results/kernels.json: rows { kernel, shape, impl, gops }.
import { instantiateKernels } from "../src/kernels/module.js";
import { WasmArena } from "../src/kernels/arena.js";
import { packQs8Gemm, qs8Gemm, qs8GemmScratchSize } from "../src/kernels/qs8-gemm.js";
import { packF32Gemm, f32Gemm } from "../src/kernels/f32-gemm.js";
import { f32GemmReference } from "../src/reference/f32-gemm.js";
import { formatTable, measure, writeJson } from "./harness.js";

export interface KernelRow {
  kernel: string;
  shape: string;
  impl: "int8-simd" | "int8-relaxed" | "fp32-simd" | "fp32-js" | "peak";
  gops: number;
}

interface GemmCase {
  readonly label: string;
  readonly M: number;
  readonly N: number;
  readonly K: number;
}

export const GEMM_CASES: readonly GemmCase[] = [
  { label: "64^3", M: 64, N: 64, K: 64 },
  { label: "256^3", M: 256, N: 256, K: 256 },
  { label: "512^3", M: 512, N: 512, K: 512 },
  { label: "1024^3", M: 1024, N: 1024, K: 1024 },
  { label: "fc 1x784x256", M: 1, N: 256, K: 784 },
];

function randomInt8(length: number, seed: number): Int8Array {
  let state = seed;
  return Int8Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return (state >>> 16) % 255 - 127;
  });
}

export async function benchmarkKernels(options: { quick: boolean; log: (line: string) => void }): Promise<KernelRow[]> {
  const kernels = await instantiateKernels();
  const arena = new WasmArena(kernels);
  const maxTime = options.quick ? 0.3 : 1;
  const rows: KernelRow[] = [];
  const cases = options.quick ? GEMM_CASES.filter((c) => c.M !== 1024) : GEMM_CASES;

  const peakIterations = 2_000_000;
  const peak = kernels.exports.peak_i16x8_dot as (iterations: number, seed: number) => number;
  const peakTiming = measure("peak", () => peak(peakIterations, 3), { maxTime });
  rows.push({ kernel: "i32x4.dot_i16x8_s", shape: "registers", impl: "peak", gops: (peakIterations * 8 * 8 * 2) / (peakTiming.medianMs * 1e6) });

  for (const { label, M, N, K } of cases) {
    options.log(`gemm ${label}`);
    const ops = 2 * M * N * K;
    const mark = arena.mark();
    const weights = randomInt8(N * K, 1);
    const packed = packQs8Gemm(arena, {
      weights, N, K, bias: new Int32Array(N), inputZeroPoint: -3,
      multiplier: new Int32Array(N).fill(1 << 30), shift: new Int32Array(N).fill(-8),
      outputZeroPoint: 0, qmin: -128, qmax: 127,
    });
    const input = arena.from("int8", randomInt8(M * K, 2));
    const output = arena.alloc("int8", M * N);
    const scratch = arena.alloc("int8", qs8GemmScratchSize(packed, M));
    const int8 = measure("int8", () => qs8Gemm(kernels, packed, input, M, output, scratch), { maxTime });
    rows.push({ kernel: "gemm", shape: label, impl: "int8-simd", gops: ops / (int8.medianMs * 1e6) });

    const weightsF32 = Float32Array.from(weights, (w) => w / 127);
    const packedF32 = packF32Gemm(arena, { weights: weightsF32, N, K, bias: null });
    const inputF32 = arena.from("float32", Float32Array.from(randomInt8(M * K, 2), (x) => x / 127));
    const outputF32 = arena.alloc("float32", M * N);
    const fp32 = measure("fp32", () => f32Gemm(kernels, packedF32, inputF32, M, outputF32), { maxTime });
    rows.push({ kernel: "gemm", shape: label, impl: "fp32-simd", gops: ops / (fp32.medianMs * 1e6) });

    if (M * N * K <= 512 ** 3) {
      const inputJs = arena.view(inputF32).slice();
      const js = measure("js", () => f32GemmReference(inputJs, M, { weights: weightsF32, N, K, bias: null }), {
        maxTime, minSamples: 2, warmupCalls: 1,
      });
      rows.push({ kernel: "gemm", shape: label, impl: "fp32-js", gops: ops / (js.medianMs * 1e6) });
    }
    arena.release(mark);
  }
  return rows;
}

export function printKernelRows(rows: readonly KernelRow[]): string {
  const peak = rows.find((r) => r.impl === "peak")?.gops ?? NaN;
  const table = rows.map((r) => {
    const same = (impl: KernelRow["impl"]) => rows.find((o) => o.shape === r.shape && o.kernel === r.kernel && o.impl === impl);
    const vsFp32 = same("fp32-simd");
    const vsJs = same("fp32-js");
    return {
      kernel: r.kernel,
      shape: r.shape,
      impl: r.impl,
      "GOP/s": r.gops.toFixed(2),
      "of peak": `${((100 * r.gops) / peak).toFixed(0)}%`,
      "x fp32-simd": vsFp32 ? (r.gops / vsFp32.gops).toFixed(2) : "",
      "x fp32-js": vsJs ? (r.gops / vsJs.gops).toFixed(1) : "",
    };
  });
  return formatTable(table);
}

export function writeKernelRows(rows: readonly KernelRow[], path = "bench/results/kernels.json"): void {
  writeJson(path, rows);
}
