// Timing on top of benchmark.js: warm up first (V8 runs new WebAssembly on its baseline compiler
// until the optimising tier takes over), then report the median time of one call. No Node
// built-ins, so the browser kernel benchmark times with the same code.
import Benchmark from "benchmark";

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
