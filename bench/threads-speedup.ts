// Our int8 resnet at batch 64 on 1 and on 2 threads in one process, alternating rounds, best median
// of each (the model table's 1- and 2-thread rows come from separate processes, minutes apart).
//   npx tsx bench/threads-speedup.ts
import { readFileSync } from "node:fs";
import { quantizeStatic } from "../src/quantize/quantize-static.js";
import { InferenceSession } from "../src/runtime/session.js";
import { Tensor } from "../src/runtime/tensor.js";
import { calibrationFeeds } from "./models.js";
import { randomBatch } from "./peers/job.js";
import { FULL_TIMING, measureMedian } from "./peers/timing.js";

const ROUNDS = 3;
const fp32 = new Uint8Array(readFileSync("models/resnet.onnx"));
const int8 = (await quantizeStatic(fp32, calibrationFeeds("input", [1, 28, 28]).feeds)).toBytes();
const [one, two] = [await InferenceSession.create(int8, { numThreads: 1 }), await InferenceSession.create(int8, { numThreads: 2 })];
const input = randomBatch(64, [1, 28, 28], 64);
const feeds = { input: new Tensor("float32", input.data, input.dims) };
let [single, double] = [Infinity, Infinity];
for (let round = 0; round < ROUNDS; round++) {
  single = Math.min(single, (await measureMedian(() => one.runSync(feeds), FULL_TIMING)).msMedian);
  double = Math.min(double, (await measureMedian(() => two.run(feeds), FULL_TIMING)).msMedian);
}
console.log(`resnet int8, batch 64: 1 thread ${single.toFixed(2)} ms, 2 threads ${double.toFixed(2)} ms: ${(single / double).toFixed(2)}x`);
// The worker threads keep the process alive.
process.exit(0);
