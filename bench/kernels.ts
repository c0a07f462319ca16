// Kernel benchmark: int8 GEMM (WebAssembly SIMD) against our fp32 SIMD GEMM, a plain TypeScript
// fp32 loop, and the measured SIMD dot-product ceiling, and the shipped models' convolution layers
// in int8 and fp32 (conv-cases.ts), in Node; then the int8 GEMM of both kernel builds and the fp32
// GEMM in headless Chromium (browser-kernels.ts), where relaxed SIMD is on.
// Writes bench/results/kernels.json: rows { kernel, shape, impl, gops, engine }.
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { WasmArena } from "../src/kernels/arena.js";
import { instantiateKernels } from "../src/kernels/module.js";
import { benchmarkKernelsInChromium } from "./browser-kernels.js";
import { modelConvCases, timeF32Conv, timeQs8Conv } from "./conv-cases.js";
import { formatTable, writeJson } from "./harness.js";
import { defaultModelFiles } from "./models.js";
import {
  F32_PEAK_KERNEL, GEMM_CASES, bestOfRounds, timeF32Gemm, timeF32GemmJs, timePeak, timeQs8Gemm, type KernelImpl, type KernelRow,
} from "./kernel-cases.js";

export type { KernelRow };

export interface KernelBenchmarkOptions {
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

/** Rounds of bestOfRounds per GEMM case; each timer gets maxTime / ROUNDS seconds per round. */
const ROUNDS = 3;
/** The batch of the shipped models' convolution layers (the model table's larger batch; less in quick runs). */
const CONV_BATCH = 64;
const QUICK_CONV_BATCH = 8;

async function benchmarkKernelsInNode({ quick, log }: KernelBenchmarkOptions): Promise<KernelRow[]> {
  const arena = new WasmArena(await instantiateKernels("simd"));
  const maxTime = quick ? 0.3 : 1;
  const cases = quick ? GEMM_CASES.filter((c) => c.M !== 1024) : GEMM_CASES;
  const peakRow: KernelRow = { kernel: "i32x4.dot_i16x8_s", shape: "registers", impl: "peak", gops: 0, engine: "node" };
  const rows: KernelRow[] = [peakRow];
  for (const gemm of cases) {
    log(`node: gemm ${gemm.label}`);
    const row = (impl: KernelImpl, gops: number): KernelRow => ({ kernel: "gemm", shape: gemm.label, impl, gops, engine: "node" });
    const best = bestOfRounds(ROUNDS, {
      peak: () => timePeak(arena.kernels, maxTime / ROUNDS),
      int8: () => timeQs8Gemm(arena, gemm, maxTime / ROUNDS),
      fp32: () => timeF32Gemm(arena, gemm, maxTime / ROUNDS),
    });
    peakRow.gops = Math.max(peakRow.gops, best.peak);
    rows.push(row("int8-simd", best.int8), row("fp32-simd", best.fp32));
    // The plain loop takes seconds at 1024^3.
    if (gemm.M * gemm.N * gemm.K <= 512 ** 3) rows.push(row("fp32-js", timeF32GemmJs(gemm, maxTime)));
  }
  for (const conv of modelConvCases(defaultModelFiles(), quick ? QUICK_CONV_BATCH : CONV_BATCH)) {
    log(`node: conv ${conv.label}`);
    const best = bestOfRounds(ROUNDS, {
      int8: () => timeQs8Conv(arena, conv, maxTime / ROUNDS),
      fp32: () => timeF32Conv(arena, conv, maxTime / ROUNDS),
    });
    rows.push({ kernel: "conv", shape: conv.label, impl: "int8-simd", gops: best.int8, engine: "node" });
    rows.push({ kernel: "conv", shape: conv.label, impl: "fp32-simd", gops: best.fp32, engine: "node" });
  }
  return rows;
}

/** Node rows, then Chromium rows (none, with a printed reason, where Chromium is missing). */
export async function benchmarkKernels(options: KernelBenchmarkOptions): Promise<KernelRow[]> {
  return [...(await benchmarkKernelsInNode(options)), ...(await benchmarkKernelsInChromium(options))];
}

/** The ceiling a row is a fraction of: its own engine's peak of the instruction its loop is made of. */
function peakOf(row: KernelRow, rows: readonly KernelRow[]): KernelRow | undefined {
  if (row.impl === "peak") return row;
  const peak = (kernel: string) => rows.find((o) => o.engine === row.engine && o.impl === "peak" && o.kernel === kernel);
  if (row.impl === "int8-relaxed") return peak("i32x4.relaxed_dot_i8x16_i7x16_add_s");
  if (row.impl === "int8-simd") return peak("i32x4.dot_i16x8_s");
  return peak(F32_PEAK_KERNEL);
}

/**
 * One line per row: GOP/s, the fraction of the same engine's peak (the relaxed dot product's for
 * the relaxed build, i32x4.dot_i16x8_s's for the plain int8 GEMM, f32x4 multiply + add for fp32,
 * timed in Chromium only: V8 11.3 in Node runs that register loop slower than our fp32 GEMM, at
 * 29-32 GOP/s against 40, so it bounds nothing there),
 * and the ratios to the same engine's fp32 SIMD GEMM, plain loop and (for the relaxed build)
 * plain-SIMD int8 GEMM.
 */
export function printKernelRows(rows: readonly KernelRow[]): string {
  const table = rows.map((r) => {
    const same = (impl: KernelImpl) => rows.find((o) => o.engine === r.engine && o.kernel === r.kernel && o.shape === r.shape && o.impl === impl);
    const peak = peakOf(r, rows);
    const times = (other: KernelRow | undefined, digits: number) => (other && other !== r ? (r.gops / other.gops).toFixed(digits) : "");
    return {
      engine: r.engine,
      kernel: r.kernel,
      shape: r.shape,
      impl: r.impl,
      "GOP/s": r.gops.toFixed(2),
      "of peak": peak ? `${((100 * r.gops) / peak.gops).toFixed(0)}%` : "",
      "x fp32-simd": times(same("fp32-simd"), 2),
      "x fp32-js": times(same("fp32-js"), 1),
      "x int8-simd": r.impl === "int8-relaxed" ? times(same("int8-simd"), 2) : "",
    };
  });
  return formatTable(table);
}

export function writeKernelRows(rows: readonly KernelRow[], path = "bench/results/kernels.json"): void {
  writeJson(path, rows);
}

// `tsx bench/kernels.ts [--quick]`: this benchmark alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  const rows = await benchmarkKernels({ quick: values.quick ?? false, log });
  console.log(printKernelRows(rows));
  writeKernelRows(rows);
  console.log("\nwrote bench/results/kernels.json");
}
