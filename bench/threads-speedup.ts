// Our int8 resnet at batch 64 on 1 and on 2 threads in one process, alternating rounds, best median
// of each; then the machine's own ceiling for two threads: one process timing single-threaded
// batches of 32 alone, against two such processes at once (on a VM whose two vCPUs share a physical
// core or its memory bandwidth, that ratio, not 2, bounds what threads can give).
//   npx tsx bench/threads-speedup.ts
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { quantizeStatic } from "../src/quantize/quantize-static.js";
import { InferenceSession } from "../src/runtime/session.js";
import { Tensor } from "../src/runtime/tensor.js";
import { calibrationFeeds } from "./models.js";
import { randomBatch } from "./peers/job.js";
import { FULL_TIMING, measureMedian } from "./peers/timing.js";

const ROUNDS = 3;
const CEILING_SECONDS = 4;

async function resnetSession(numThreads: number): Promise<InferenceSession> {
  const fp32 = new Uint8Array(readFileSync("models/resnet.onnx"));
  const int8 = (await quantizeStatic(fp32, calibrationFeeds("input", [1, 28, 28]).feeds)).toBytes();
  return InferenceSession.create(int8, { numThreads });
}

function feedsOf(batch: number): Record<string, Tensor> {
  const input = randomBatch(batch, [1, 28, 28], batch);
  return { input: new Tensor("float32", input.data, input.dims) };
}

/** Child mode: warms up, waits for the start time, runs batches of 32 for CEILING_SECONDS, sends ms per run. */
async function ceilingChild(startAt: number): Promise<void> {
  const session = await resnetSession(1);
  const feeds = feedsOf(32);
  for (let i = 0; i < 20; i++) session.runSync(feeds);
  while (Date.now() < startAt);
  const start = performance.now();
  let runs = 0;
  while (performance.now() - start < CEILING_SECONDS * 1000) {
    session.runSync(feeds);
    runs++;
  }
  process.send!((performance.now() - start) / runs);
}

/** ms per single-threaded batch-32 run in each of `processes` processes started together. */
function timeConcurrently(processes: number): Promise<number[]> {
  const startAt = Date.now() + 4000;
  const self = fileURLToPath(import.meta.url);
  return Promise.all(
    Array.from({ length: processes }, () => new Promise<number>((resolve, reject) => {
      const child = fork(self, ["--ceiling-child", String(startAt)], { execArgv: ["--import", import.meta.resolve("tsx")] });
      child.once("message", (ms) => resolve(ms as number));
      child.once("exit", (code) => (code === 0 ? undefined : reject(new Error(`ceiling process exited with code ${code}`))));
    })),
  );
}

if (process.argv[2] === "--ceiling-child") {
  await ceilingChild(Number(process.argv[3]));
  process.exit(0);
}

const [one, two] = [await resnetSession(1), await resnetSession(2)];
const feeds = feedsOf(64);
let [single, double] = [Infinity, Infinity];
for (let round = 0; round < ROUNDS; round++) {
  single = Math.min(single, (await measureMedian(() => one.runSync(feeds), FULL_TIMING)).msMedian);
  double = Math.min(double, (await measureMedian(() => two.run(feeds), FULL_TIMING)).msMedian);
}
console.log(`resnet int8, batch 64: 1 thread ${single.toFixed(2)} ms, 2 threads ${double.toFixed(2)} ms: ${(single / double).toFixed(2)}x`);
const [alone] = await timeConcurrently(1);
const together = await timeConcurrently(2);
const ceiling = (2 * alone) / Math.max(...together);
console.log(
  `machine ceiling: batch 32 single-threaded ${alone.toFixed(2)} ms alone, ${together.map((t) => t.toFixed(2)).join(" and ")} ms ` +
    `as two processes at once: two cores give ${ceiling.toFixed(2)}x one core's throughput`,
);
// The worker threads keep the process alive.
process.exit(0);
