// Bundled for headless Chromium by browser-kernels.ts: the kernel cases of kernel-cases.ts in the
// browser's engine, where relaxed SIMD is on, so both kernel builds can be timed. The page exposes
// one function, which the Node side calls and whose rows it collects.
import "./benchmark-globals.js";
import { WasmArena } from "../../src/kernels/arena.js";
import { instantiateKernels, selectKernelBuild } from "../../src/kernels/module.js";
import {
  F32_PEAK_KERNEL, GEMM_CASES, bestOfRounds, timeF32Gemm, timeF32Peak, timePeak, timeQs8Gemm, timeRelaxedPeak, type KernelRow,
} from "../kernel-cases.js";

/** Rounds of bestOfRounds per GEMM case (as in kernels.ts). */
const ROUNDS = 3;

export interface BrowserKernelOptions {
  readonly maxTime: number;
  /** Labels of GEMM_CASES to run. */
  readonly shapes: readonly string[];
}

async function benchmarkKernelsInPage({ maxTime, shapes }: BrowserKernelOptions): Promise<KernelRow[]> {
  const simd = new WasmArena(await instantiateKernels("simd"));
  // The build a session would choose here: relaxed only where it validates and passes the self-test.
  const relaxed = (await selectKernelBuild()) === "relaxed" ? new WasmArena(await instantiateKernels("relaxed")) : undefined;
  if (!relaxed) console.log("the relaxed-SIMD build does not validate or fails its self-test here: no int8-relaxed rows");
  const peakRow: KernelRow = { kernel: "i32x4.dot_i16x8_s", shape: "registers", impl: "peak", gops: 0, engine: "chromium" };
  const relaxedPeakRow: KernelRow = { kernel: "i32x4.relaxed_dot_i8x16_i7x16_add_s", shape: "registers", impl: "peak", gops: 0, engine: "chromium" };
  const f32PeakRow: KernelRow = { kernel: F32_PEAK_KERNEL, shape: "registers", impl: "peak", gops: 0, engine: "chromium" };
  const rows: KernelRow[] = relaxed ? [peakRow, relaxedPeakRow, f32PeakRow] : [peakRow, f32PeakRow];
  const slice = maxTime / ROUNDS;
  for (const gemm of GEMM_CASES.filter((c) => shapes.includes(c.label))) {
    console.log(`gemm ${gemm.label}`);
    const row = (impl: KernelRow["impl"], gops: number): KernelRow => ({ kernel: "gemm", shape: gemm.label, impl, gops, engine: "chromium" });
    const best = bestOfRounds(ROUNDS, {
      peak: () => timePeak(simd.kernels, slice),
      int8: () => timeQs8Gemm(simd, gemm, slice),
      relaxed: () => (relaxed ? timeQs8Gemm(relaxed, gemm, slice) : 0),
      relaxedPeak: () => (relaxed ? timeRelaxedPeak(relaxed.kernels, slice) : 0),
      fp32: () => timeF32Gemm(simd, gemm, slice),
      f32Peak: () => timeF32Peak(simd.kernels, slice),
    });
    peakRow.gops = Math.max(peakRow.gops, best.peak);
    f32PeakRow.gops = Math.max(f32PeakRow.gops, best.f32Peak);
    relaxedPeakRow.gops = Math.max(relaxedPeakRow.gops, best.relaxedPeak);
    rows.push(row("int8-simd", best.int8));
    if (relaxed) rows.push(row("int8-relaxed", best.relaxed));
    rows.push(row("fp32-simd", best.fp32));
  }
  return rows;
}

(globalThis as Record<string, unknown>).__benchKernels = benchmarkKernelsInPage;
