// Test accuracy of an exported ONNX file with the plain-JS reference forward pass.
//   npx tsx models/train/verify.ts --model models/resnet.onnx [--images <idx.gz> --labels <idx.gz>]
// The default data is the shipped test set (models/data).
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { loadImageDataset, toFloatBatch, type ImageDataset } from "../../src/data/fashion-mnist.js";
import { CLASSES } from "./architectures.js";
import { ReferenceModel, argMaxRows } from "./reference-forward.js";

export const SHIPPED_TEST_IMAGES = fileURLToPath(new URL("../data/fashion-mnist-test-images.gz", import.meta.url));
export const SHIPPED_TEST_LABELS = fileURLToPath(new URL("../data/fashion-mnist-test-labels.gz", import.meta.url));

/** Fraction of `dataset` that the ONNX model classifies right, with the reference forward pass. */
export function referenceAccuracy(modelBytes: Uint8Array, dataset: ImageDataset, batchSize = 100): number {
  const model = new ReferenceModel(modelBytes);
  let correct = 0;
  for (let start = 0; start < dataset.count; start += batchSize) {
    const count = Math.min(batchSize, dataset.count - start);
    const input = { dims: [count, 1, dataset.rows, dataset.cols], data: toFloatBatch(dataset.images, start, count, dataset.rows * dataset.cols) };
    const predictions = argMaxRows(model.run(input).data, CLASSES);
    for (let i = 0; i < count; i++) if (predictions[i] === dataset.labels[start + i]) correct++;
  }
  return correct / dataset.count;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      model: { type: "string" },
      images: { type: "string", default: SHIPPED_TEST_IMAGES },
      labels: { type: "string", default: SHIPPED_TEST_LABELS },
    },
  });
  if (!values.model) throw new Error("usage: verify.ts --model <file.onnx> [--images <idx> --labels <idx>]");
  const dataset = loadImageDataset(values.images, values.labels);
  const started = performance.now();
  const accuracy = referenceAccuracy(readFileSync(values.model), dataset);
  const seconds = (performance.now() - started) / 1000;
  console.log(`${values.model}: reference fp32 accuracy ${(100 * accuracy).toFixed(2)}% on ${dataset.count} images (${seconds.toFixed(1)} s)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
