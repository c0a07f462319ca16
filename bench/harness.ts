// Timing on top of benchmark.js: warm up first (V8 runs new WebAssembly on its baseline compiler
// until the optimising tier takes over), then report the median time of one call.
import Benchmark from "benchmark";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export interface Timing {
  readonly medianMs: number;
  readonly samples: number;
}

export interface MeasureOptions {
  /** Seconds benchmark.js may spend on one measurement. */
  readonly maxTime?: number;
  readonly minSamples?: number;
  /** Calls made before timing starts. */
  readonly warmupCalls?: number;
}

export function measure(name: string, fn: () => void, options: MeasureOptions = {}): Timing {
  for (let i = 0; i < (options.warmupCalls ?? 5); i++) fn();
  const bench = new Benchmark(name, fn, {
    maxTime: options.maxTime ?? 1,
    minSamples: options.minSamples ?? 5,
    initCount: 1,
  });
  bench.run();
  if (bench.error) throw bench.error;
  const sample = [...bench.stats.sample].sort((a, b) => a - b);
  const middle = sample.length >> 1;
  const medianSeconds = sample.length % 2 ? sample[middle] : (sample[middle - 1] + sample[middle]) / 2;
  return { medianMs: medianSeconds * 1000, samples: sample.length };
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(value, null, 2) + "\n");
}

/** Formats rows of objects as a fixed-width text table. */
export function formatTable(rows: readonly Record<string, string | number>[]): string {
  if (rows.length === 0) return "(no rows)";
  const keys = Object.keys(rows[0]);
  const cells = rows.map((row) => keys.map((key) => String(row[key])));
  const widths = keys.map((key, i) => Math.max(key.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) => values.map((v, i) => v.padStart(widths[i])).join("  ");
  return [line(keys), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
