// `npx tsx bench/ort-accuracy.ts`: each shipped model quantized to int8 (per-channel weights, MSE
// calibration, saved as QDQ ONNX), evaluated on the 10,000 test images by our runtime and by ONNX
// Runtime Web on the same file (its int8 form and the uint8-activation form it runs fastest).
// Checks the interop claim that a saved model gives the same accuracy in both.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadImageDataset, toFloatBatch, type ImageDataset } from "../src/data/fashion-mnist.js";
import { evaluateAccuracy } from "../src/evaluate/accuracy.js";
import { calibrate, quantizeStatic } from "../src/quantize/quantize-static.js";
import { InferenceSession } from "../src/runtime/session.js";
import { Tensor } from "../src/runtime/tensor.js";
import { createOrtWebRuntime } from "./peers/ort-web.js";
import { toUint8Activations } from "./peers/qdq-uint8.js";
import { formatTable } from "./harness.js";

const data = join("models", "data");
const test = loadImageDataset(join(data, "fashion-mnist-test-images.gz"), join(data, "fashion-mnist-test-labels.gz"));
const calibrationSet = loadImageDataset(join(data, "fashion-mnist-calibration-images.gz"), join(data, "fashion-mnist-calibration-labels.gz"));
const ort = createOrtWebRuntime(1);

async function ortAccuracy(model: Uint8Array, dataset: ImageDataset): Promise<number> {
  const loaded = await ort.load(model, "input");
  let correct = 0;
  for (let start = 0; start < dataset.count; start += 100) {
    const count = Math.min(100, dataset.count - start);
    const logits = await loaded.infer({ data: toFloatBatch(dataset.images, start, count), dims: [count, 1, 28, 28] });
    for (let i = 0; i < count; i++) {
      let best = 0;
      for (let k = 1; k < 10; k++) if (logits[i * 10 + k] > logits[i * 10 + best]) best = k;
      if (best === dataset.labels[start + i]) correct++;
    }
  }
  loaded.dispose?.();
  return correct / dataset.count;
}

const rows: Record<string, string>[] = [];
for (const name of ["simplenet", "mlp", "resnet"]) {
  const fp32 = new Uint8Array(readFileSync(join("models", `${name}.onnx`)));
  const batches = [0, 64, 128, 192].map((start) => ({ input: new Tensor("float32", toFloatBatch(calibrationSet.images, start, 64), [64, 1, 28, 28]) }));
  const int8 = (await quantizeStatic(fp32, await calibrate(fp32, batches, { calibrateMethod: "mse" }))).toBytes();
  const ours = evaluateAccuracy(await InferenceSession.create(int8), test, { batchSize: 100 });
  const ortInt8 = await ortAccuracy(int8, test);
  const ortUint8 = await ortAccuracy(toUint8Activations(int8), test);
  process.stderr.write(`${name} done\n`);
  rows.push({
    model: name, "ours int8 %": (100 * ours).toFixed(2), "ORT int8 %": (100 * ortInt8).toFixed(2), "ORT uint8 %": (100 * ortUint8).toFixed(2),
    "max |diff| (points)": (100 * Math.max(Math.abs(ours - ortInt8), Math.abs(ours - ortUint8))).toFixed(2),
  });
}
console.log(formatTable(rows));
