// The calibration set shipped with the models: training images (never test images) chosen with a
// fixed seed, the same number from each class (the remainder to the lowest class numbers), in a
// shuffled order so that any prefix is roughly balanced too.
//   npx tsx models/train/make-calibration-set.ts --data <dir> [--count 512] [--seed 1] [--out-dir models/data]
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { loadFashionMnist, type ImageDataset } from "../../src/data/fashion-mnist.js";
import { writeIdxGzFile } from "../../src/data/idx.js";
import { InvalidArgumentError } from "../../src/errors.js";
import { CLASSES } from "./architectures.js";
import { Random } from "./random.js";

export const CALIBRATION_IMAGES_FILE = "fashion-mnist-calibration-images.gz";
export const CALIBRATION_LABELS_FILE = "fashion-mnist-calibration-labels.gz";

/** Indices of `count` items, ceil/floor(count / classes) per class, picked and ordered by `seed`. */
export function stratifiedSample(labels: Uint8Array, count: number, classes: number, seed: number): Uint32Array {
  const random = new Random(seed);
  const byClass = Array.from({ length: classes }, () => [] as number[]);
  labels.forEach((label, i) => byClass[label]?.push(i));
  const picked: number[] = [];
  byClass.forEach((members, c) => {
    const wanted = Math.floor(count / classes) + (c < count % classes ? 1 : 0);
    if (members.length < wanted) throw new InvalidArgumentError(`class ${c} has ${members.length} items, ${wanted} wanted`);
    picked.push(...random.shuffle(Uint32Array.from(members)).subarray(0, wanted));
  });
  return random.shuffle(Uint32Array.from(picked));
}

export function subset(dataset: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const pixels = dataset.rows * dataset.cols;
  const images = new Uint8Array(indices.length * pixels);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    images.set(dataset.images.subarray(indices[i] * pixels, (indices[i] + 1) * pixels), i * pixels);
    labels[i] = dataset.labels[indices[i]];
  }
  return { images, labels, count: indices.length, rows: dataset.rows, cols: dataset.cols };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      data: { type: "string" },
      count: { type: "string", default: "512" },
      seed: { type: "string", default: "1" },
      "out-dir": { type: "string", default: fileURLToPath(new URL("../data/", import.meta.url)) },
    },
  });
  if (!values.data) throw new Error("usage: make-calibration-set.ts --data <dir> [--count 512] [--seed 1] [--out-dir models/data]");
  const train = loadFashionMnist(values.data, "train");
  const sample = subset(train, stratifiedSample(train.labels, Number(values.count), CLASSES, Number(values.seed)));
  const outDir = values["out-dir"];
  writeIdxGzFile(join(outDir, CALIBRATION_IMAGES_FILE), { dims: [sample.count, sample.rows, sample.cols], data: sample.images });
  writeIdxGzFile(join(outDir, CALIBRATION_LABELS_FILE), { dims: [sample.count], data: sample.labels });
  const perClass = Array.from({ length: CLASSES }, (_, c) => sample.labels.filter((l) => l === c).length);
  console.log(`wrote ${sample.count} training images (per class ${perClass.join(", ")}) to ${outDir}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
