// Trains one of the networks on Fashion-MNIST with tfjs (wasm backend), exports it as ONNX, and
// checks the ONNX file with the plain-JS reference forward pass.
//   npm run train -- --model <simplenet|mlp|resnet> --data <dir with the four .gz files>
//                    [--epochs N] [--out models/<name>.onnx] [--seed 1]
import * as tf from "@tensorflow/tfjs";
import cliProgress from "cli-progress";
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadFashionMnist, toFloatBatch, type ImageDataset } from "../../src/data/fashion-mnist.js";
import { ARCHITECTURES, CLASSES, IMAGE_SIZE, MODEL_NAMES, isModelName, type ModelName } from "./architectures.js";
import { makeBatch, type Batch } from "./batches.js";
import { exportOnnx } from "./export-onnx.js";
import { Random } from "./random.js";
import { RECIPES, learningRateAt, type Recipe } from "./recipes.js";
import { TfjsNetwork } from "./tfjs-network.js";
import { useWasmBackend } from "./tfjs-wasm.js";
import { referenceAccuracy } from "./verify.js";

/** Adam whose learning rate the schedule can change between steps. */
class ScheduledAdam extends tf.AdamOptimizer {
  setLearningRate(rate: number): void {
    this.learningRate = rate;
  }
}

interface Options {
  readonly model: ModelName;
  readonly data: string;
  readonly out: string;
  readonly seed: number;
  readonly recipe: Recipe;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      model: { type: "string" },
      data: { type: "string" },
      epochs: { type: "string" },
      out: { type: "string" },
      seed: { type: "string", default: "1" },
    },
  });
  const usage = `usage: npm run train -- --model <${MODEL_NAMES.join("|")}> --data <dir> [--epochs N] [--out file.onnx] [--seed N]`;
  if (!values.model || !isModelName(values.model) || !values.data) throw new Error(usage);
  const recipe = RECIPES[values.model];
  const epochs = values.epochs === undefined ? recipe.epochs : Number(values.epochs);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a positive integer\n${usage}`);
  return {
    model: values.model,
    data: values.data,
    out: values.out ?? `models/${values.model}.onnx`,
    seed: Number(values.seed),
    recipe: { ...recipe, epochs },
  };
}

function batchTensors(batch: Batch): { images: tf.Tensor4D; labels: tf.Tensor2D } {
  return {
    images: tf.tensor4d(batch.images, [batch.count, IMAGE_SIZE, IMAGE_SIZE, 1]),
    labels: tf.oneHot(tf.tensor1d(batch.labels, "int32"), CLASSES) as tf.Tensor2D,
  };
}

async function trainEpoch(network: TfjsNetwork, optimizer: ScheduledAdam, train: ImageDataset, epoch: number, options: Options, random: Random): Promise<void> {
  const { recipe } = options;
  const stepsPerEpoch = Math.ceil(train.count / recipe.batchSize);
  const order = random.shuffle(Uint32Array.from({ length: train.count }, (_, i) => i));
  const bar = new cliProgress.SingleBar(
    {
      format: `epoch ${epoch + 1}/${recipe.epochs} [{bar}] {value}/{total} batches | loss {loss} | acc {acc}% | lr {lr} | {duration_formatted} (eta {eta_formatted})`,
      noTTYOutput: true,
      notTTYSchedule: 20_000,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(stepsPerEpoch, 0, { loss: "-", acc: "-", lr: "-" });
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  network.training = true;
  for (let step = 0; step < stepsPerEpoch; step++) {
    const start = step * recipe.batchSize;
    const batch = makeBatch(train, order, start, Math.min(train.count, start + recipe.batchSize), recipe.augmentation, random);
    const rate = learningRateAt(recipe, epoch * stepsPerEpoch + step, recipe.epochs * stepsPerEpoch, stepsPerEpoch);
    optimizer.setLearningRate(rate);
    const [loss, hits] = tf.tidy(() => {
      const { images, labels } = batchTensors(batch);
      let predictions: tf.Tensor | undefined;
      const cost = optimizer.minimize(
        () => {
          const logits = network.forward(images);
          predictions = tf.keep(tf.argMax(logits, 1));
          return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
        },
        true,
        network.trainableVariables(),
      );
      const hits = tf.sum(tf.equal(predictions!, tf.argMax(labels, 1)));
      return [cost!.dataSync()[0], hits.dataSync()[0]];
    });
    lossSum += loss * batch.count;
    correct += hits;
    seen += batch.count;
    bar.update(step + 1, { loss: (lossSum / seen).toFixed(4), acc: ((100 * correct) / seen).toFixed(2), lr: rate.toExponential(2) });
    // Training is synchronous: let the progress bar's timer run.
    await new Promise((resolve) => setImmediate(resolve));
  }
  bar.stop();
  network.training = false;
}

/** Test accuracy of the tfjs network in inference mode (BatchNorm on running statistics). */
function evaluate(network: TfjsNetwork, dataset: ImageDataset, batchSize = 500): number {
  let correct = 0;
  for (let start = 0; start < dataset.count; start += batchSize) {
    const count = Math.min(batchSize, dataset.count - start);
    correct += tf.tidy(() => {
      const images = tf.tensor4d(toFloatBatch(dataset.images, start, count), [count, IMAGE_SIZE, IMAGE_SIZE, 1]);
      const labels = tf.tensor1d(dataset.labels.subarray(start, start + count), "int32");
      return tf.sum(tf.equal(tf.argMax(network.forward(images), 1), labels)).dataSync()[0];
    });
  }
  return correct / dataset.count;
}

function percent(fraction: number): string {
  return `${(100 * fraction).toFixed(2)}%`;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const { recipe } = options;
  await useWasmBackend();
  const train = loadFashionMnist(options.data, "train");
  const test = loadFashionMnist(options.data, "t10k");
  const random = new Random(options.seed);
  const network = new TfjsNetwork(ARCHITECTURES[options.model], options.seed);
  network.build(IMAGE_SIZE);
  const optimizer = new ScheduledAdam(recipe.learningRate, 0.9, 0.999, 1e-7);
  console.log(
    `${options.model}: ${network.parameterCount()} parameters, ${recipe.epochs} epochs, batch ${recipe.batchSize}, ` +
      `Adam peak lr ${recipe.learningRate} (warm-up ${recipe.warmupEpochs} epoch, cosine), ` +
      `augmentation ${recipe.augmentation ? JSON.stringify(recipe.augmentation) : "none"}, seed ${options.seed}, backend ${tf.getBackend()}`,
  );
  const started = performance.now();
  let accuracy = 0;
  for (let epoch = 0; epoch < recipe.epochs; epoch++) {
    await trainEpoch(network, optimizer, train, epoch, options, random);
    accuracy = evaluate(network, test);
    writeFileSync(options.out, exportOnnx(options.model, ARCHITECTURES[options.model], network.weights()));
    const minutes = (performance.now() - started) / 60_000;
    console.log(`epoch ${epoch + 1}/${recipe.epochs}: test accuracy ${percent(accuracy)} (tfjs), ${minutes.toFixed(1)} min so far; wrote ${options.out}`);
  }
  const trainingMinutes = (performance.now() - started) / 60_000;
  const checked = performance.now();
  const onnxAccuracy = referenceAccuracy(readFileSync(options.out), test);
  const gap = Math.abs(onnxAccuracy - accuracy) * 100;
  console.log(
    `done: ${options.model} trained in ${trainingMinutes.toFixed(1)} min; test accuracy tfjs ${percent(accuracy)}, ` +
      `ONNX reference forward ${percent(onnxAccuracy)} (gap ${gap.toFixed(2)} points, ${((performance.now() - checked) / 1000).toFixed(0)} s to check)`,
  );
  if (gap > 0.05) throw new Error(`the ONNX export disagrees with tfjs by ${gap.toFixed(2)} points`);
}

await main();
