// Latency of one session.run at a given batch size: median over repeated runs after a warm-up
// (V8 first runs WebAssembly on its baseline compiler).
import { toFloatBatch, type ImageDataset } from "../data/fashion-mnist.js";
import type { InferenceSession } from "../runtime/session.js";
import { Tensor } from "../runtime/tensor.js";

export interface LatencyOptions {
  readonly warmupRuns?: number;
  /** Stop after this many milliseconds of timed runs (at least `minRuns`). */
  readonly budgetMs?: number;
  readonly minRuns?: number;
}

export function medianLatencyMs(session: InferenceSession, dataset: ImageDataset, batch: number, options: LatencyOptions = {}): number {
  const input = new Tensor("float32", toFloatBatch(dataset.images, 0, batch), [batch, 1, dataset.rows, dataset.cols]);
  const feeds = { [session.inputNames[0]]: input };
  for (let i = 0; i < (options.warmupRuns ?? 5); i++) session.runSync(feeds);
  const times: number[] = [];
  const budget = options.budgetMs ?? 300;
  const started = performance.now();
  while (times.length < (options.minRuns ?? 5) || performance.now() - started < budget) {
    const t = performance.now();
    session.runSync(feeds);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  return times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
}
