// Median latency of one call, for synchronous and asynchronous calls alike (ONNX Runtime's run is
// a Promise), so every runtime of a table is measured the same way: warm-up calls first (V8 starts
// WebAssembly on its baseline tier), then single calls timed until both the time budget and the
// minimum sample count are reached.

export interface TimingOptions {
  /** Warm-up calls before timing (fewer when they exceed `warmupSeconds`). */
  readonly warmupCalls: number;
  readonly warmupSeconds: number;
  /** Seconds of timed calls, once `minSamples` are in. */
  readonly maxTime: number;
  readonly minSamples: number;
}

export const FULL_TIMING: TimingOptions = { warmupCalls: 10, warmupSeconds: 1, maxTime: 1, minSamples: 10 };
export const QUICK_TIMING: TimingOptions = { warmupCalls: 3, warmupSeconds: 0.3, maxTime: 0.15, minSamples: 3 };

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as PromiseLike<unknown>).then === "function";
}

async function call(fn: () => unknown): Promise<void> {
  const result = fn();
  if (isThenable(result)) await result;
}

export interface Timing {
  readonly msMedian: number;
  readonly samples: number;
}

export async function measureMedian(fn: () => unknown, options: TimingOptions): Promise<Timing> {
  const warmupStart = performance.now();
  for (let i = 0; i < options.warmupCalls; i++) {
    await call(fn);
    if (performance.now() - warmupStart > options.warmupSeconds * 1000) break;
  }
  const times: number[] = [];
  const start = performance.now();
  while (times.length < options.minSamples || performance.now() - start < options.maxTime * 1000) {
    const t = performance.now();
    const result = fn();
    if (isThenable(result)) await result;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const middle = times.length >> 1;
  const msMedian = times.length % 2 ? times[middle] : (times[middle - 1] + times[middle]) / 2;
  return { msMedian, samples: times.length };
}
