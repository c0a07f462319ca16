// Our int8 session against TensorFlow.js (wasm backend, fp32) in one process, rounds alternating,
// best median of each: a second look at the model table's ratio to TF.js, from one heap and one
// process instead of two processes taking turns.
//   npx tsx bench/ours-vs-tfjs.ts [simplenet,mlp,resnet] [1,64]
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { readOnnxModel } from "../src/onnx/reader.js";
import { quantizeStatic } from "../src/quantize/quantize-static.js";
import { InferenceSession } from "../src/runtime/session.js";
import { Tensor } from "../src/runtime/tensor.js";
import { calibrationFeeds } from "./models.js";
import { randomBatch } from "./peers/job.js";
import { createTfjsWasmRuntime } from "./peers/tfjs-wasm.js";
import { FULL_TIMING, measureMedian } from "./peers/timing.js";

const ROUNDS = 3;
const names = (process.argv[2] ?? "simplenet,mlp,resnet").split(",");
const batches = (process.argv[3] ?? "1,64").split(",").map(Number);
const tfjs = await createTfjsWasmRuntime(1);
for (const file of names.map((n) => `models/${n}.onnx`)) {
  const fp32 = new Uint8Array(readFileSync(file));
  const [inputName] = readOnnxModel(fp32).inputs;
  const sampleDims = readOnnxModel(fp32).values.get(inputName)!.shape!.slice(1) as number[];
  const int8 = (await quantizeStatic(fp32, calibrationFeeds(inputName, sampleDims).feeds)).toBytes();
  const session = await InferenceSession.create(int8, { numThreads: 1 });
  const theirs = await tfjs.load(fp32, inputName);
  for (const batch of batches) {
    const input = randomBatch(batch, sampleDims, batch);
    const feeds = { [inputName]: new Tensor("float32", input.data, input.dims) };
    const tfjsCall = theirs.prepareCall(input);
    let [ours, tf] = [Infinity, Infinity];
    for (let round = 0; round < ROUNDS; round++) {
      ours = Math.min(ours, (await measureMedian(() => session.runSync(feeds), FULL_TIMING)).msMedian);
      tf = Math.min(tf, (await measureMedian(tfjsCall, FULL_TIMING)).msMedian);
    }
    console.log(`${basename(file, ".onnx")} batch ${batch}: ours int8 ${ours.toFixed(3)} ms, TF.js wasm fp32 ${tf.toFixed(3)} ms: ${(tf / ours).toFixed(2)}x`);
  }
}
