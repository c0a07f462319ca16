// Bundled for headless Chromium by bench/browser-threads.ts: times one int8 model at one batch
// with 1 and 2 threads (module Web Workers), alternating, and leaves the rows on globalThis.
import { InferenceSession } from "../../src/runtime/session.js";
import { Tensor } from "../../src/runtime/tensor.js";

interface Job {
  readonly model: string;
  readonly batch: number;
  readonly warmup: number;
  readonly samples: number;
}

async function main(): Promise<void> {
  const state = globalThis as Record<string, unknown>;
  const job = JSON.parse(state.__job as string) as Job;
  const workerUrl = URL.createObjectURL(new Blob([state.__workerCode as string], { type: "text/javascript" }));
  const model = Uint8Array.from(atob(state.__model as string), (c) => c.charCodeAt(0));
  const data = Float32Array.from({ length: job.batch * 784 }, (_, i) => ((i * 7919) % 255) / 255);
  const feeds = { input: new Tensor("float32", data, [job.batch, 1, 28, 28]) };
  const sessions = [await InferenceSession.create(model, { numThreads: 1 }), await InferenceSession.create(model, { numThreads: 2, workerUrl })];
  const times: number[][] = [[], []];
  for (const session of sessions) for (let i = 0; i < job.warmup; i++) await session.run(feeds);
  // Alternating the two keeps a slow phase of a shared machine from landing on one of them.
  for (let i = 0; i < job.samples; i++) {
    for (const [s, session] of sessions.entries()) {
      const start = performance.now();
      await session.run(feeds);
      times[s].push(performance.now() - start);
    }
  }
  await sessions[1].release();
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  state.__result = sessions.map((session, s) => ({ threads: session.numThreads, msMedian: median(times[s]) }));
}

main().catch((error: unknown) => {
  (globalThis as Record<string, unknown>).__error = String(error instanceof Error ? error.stack : error);
});
