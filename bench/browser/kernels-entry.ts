// Bundled for headless Chromium by browser-kernels.ts: the kernel cases of kernel-cases.ts in the
// browser's engine, where relaxed SIMD is on, so both kernel builds can be timed. The page exposes
// one function, which the Node side calls and whose rows it collects.
import "./benchmark-globals.js";
import { WasmArena } from "../../src/kernels/arena.js";
import { instantiateKernels, selectKernelBuild } from "../../src/kernels/module.js";
import { GEMM_CASES, timeF32Gemm, timePeak, timeQs8Gemm, type KernelRow } from "../kernel-cases.js";

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
  const rows: KernelRow[] = [{ kernel: "i32x4.dot_i16x8_s", shape: "registers", impl: "peak", gops: timePeak(simd.kernels, maxTime), engine: "chromium" }];
  for (const gemm of GEMM_CASES.filter((c) => shapes.includes(c.label))) {
    console.log(`gemm ${gemm.label}`);
    const row = (impl: KernelRow["impl"], gops: number): KernelRow => ({ kernel: "gemm", shape: gemm.label, impl, gops, engine: "chromium" });
    rows.push(row("int8-simd", timeQs8Gemm(simd, gemm, maxTime)));
    if (relaxed) rows.push(row("int8-relaxed", timeQs8Gemm(relaxed, gemm, maxTime)));
    rows.push(row("fp32-simd", timeF32Gemm(simd, gemm, maxTime)));
  }
  return rows;
}

(globalThis as Record<string, unknown>).__benchKernels = benchmarkKernelsInPage;
