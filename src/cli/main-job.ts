// The main job (`npm start`): for every shipped model, calibrate on the shipped calibration
// images, quantize with each method at 8/6/4/3 bits (per-channel and per-tensor weights), plus
// dynamic quantization for the MLP; evaluate everything on the 10,000 test images and write
// results/accuracy.json and results/accuracy.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import type { ObserverMethod } from "../calibrate/index.js";
import { loadImageDataset, toFloatBatch, type ImageDataset } from "../data/fashion-mnist.js";
import { evaluateAccuracy } from "../evaluate/accuracy.js";
import { medianLatencyMs } from "../evaluate/latency.js";
import { quantizeDynamic } from "../quantize/quantize-dynamic.js";
import { calibrate, quantizeStatic, type CalibrationFeeds } from "../quantize/quantize-static.js";
import { InferenceSession } from "../runtime/session.js";
import { Tensor } from "../runtime/tensor.js";
import { formatResultsMarkdown, type AccuracyRow } from "./results-table.js";

const MODELS = ["simplenet", "mlp", "resnet"] as const;
const METHODS: readonly ObserverMethod[] = ["minmax", "moving-average", "percentile", "histogram", "entropy", "mse"];
const BITS = [8, 6, 4, 3] as const;
const GRANULARITIES = ["per-channel", "per-tensor"] as const;

const { values: args } = parseArgs({
  options: {
    models: { type: "string", default: MODELS.join(",") },
    "models-dir": { type: "string", default: "models" },
    out: { type: "string", default: "results" },
    "calibration-images": { type: "string", default: "256" },
    "test-limit": { type: "string" },
  },
});

const modelsDir = args["models-dir"]!;
const dataDir = join(modelsDir, "data");
const test = loadImageDataset(join(dataDir, "fashion-mnist-test-images.gz"), join(dataDir, "fashion-mnist-test-labels.gz"));
const calibrationSet = loadImageDataset(
  join(dataDir, "fashion-mnist-calibration-images.gz"),
  join(dataDir, "fashion-mnist-calibration-labels.gz"),
);
const testLimit = args["test-limit"] ? Number(args["test-limit"]) : undefined;

function calibrationBatches(dataset: ImageDataset, images: number, batch = 64): CalibrationFeeds[] {
  const feeds: CalibrationFeeds[] = [];
  const count = Math.min(images, dataset.count);
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    feeds.push({ input: new Tensor("float32", toFloatBatch(dataset.images, start, n), [n, 1, dataset.rows, dataset.cols]) });
  }
  return feeds;
}

interface Measured {
  accuracy: number;
  latencyB1Ms: number;
  latencyB64Ms: number;
}

async function measure(model: Uint8Array): Promise<Measured> {
  const session = await InferenceSession.create(model);
  const accuracy = evaluateAccuracy(session, test, { batchSize: 100, limit: testLimit });
  return {
    accuracy,
    latencyB1Ms: medianLatencyMs(session, test, 1, { budgetMs: 150 }),
    latencyB64Ms: medianLatencyMs(session, test, 64, { budgetMs: 300, minRuns: 3 }),
  };
}

const selected = args.models!.split(",").filter((m) => existsSync(join(modelsDir, `${m}.onnx`)));
const runsPerModel = METHODS.length * BITS.length * GRANULARITIES.length + 1;
const total = selected.length * runsPerModel + (selected.includes("mlp") ? 1 : 0);
const bar = new cliProgress.SingleBar(
  // Without a terminal (CI logs) the bar is printed as a line every few seconds.
  { format: "{bar} {value}/{total} | {model} {what} | {duration_formatted}", hideCursor: true, etaBuffer: 20, noTTYOutput: true, notTTYSchedule: 5000 },
  cliProgress.Presets.shades_classic,
);
bar.start(total, 0, { model: "", what: "" });

const rows: AccuracyRow[] = [];
const calibrationImages = Number(args["calibration-images"]);
const started = performance.now();
for (const name of selected) {
  const fp32Bytes = new Uint8Array(readFileSync(join(modelsDir, `${name}.onnx`)));
  bar.update({ model: name, what: "fp32" });
  const fp32 = await measure(fp32Bytes);
  const base = { model: name, fp32Accuracy: fp32.accuracy, fp32Bytes: fp32Bytes.length };
  rows.push({ ...base, precision: "fp32", method: "none", bits: 32, granularity: "per-tensor", accuracy: fp32.accuracy, bytes: fp32Bytes.length, latencyB1Ms: fp32.latencyB1Ms, latencyB64Ms: fp32.latencyB64Ms });
  bar.increment();
  const batches = calibrationBatches(calibrationSet, calibrationImages);
  for (const method of METHODS) {
    bar.update({ what: `${method}: calibrating` });
    const calibration = await calibrate(fp32Bytes, batches, { calibrateMethod: method });
    for (const granularity of GRANULARITIES) {
      for (const bits of BITS) {
        bar.update({ what: `${method} ${bits}-bit ${granularity}` });
        const quantized = await quantizeStatic(fp32Bytes, calibration, {
          calibrateMethod: method, perChannel: granularity === "per-channel", weightBits: bits, activationBits: bits,
        });
        const bytes = quantized.toBytes();
        const result = await measure(bytes);
        rows.push({ ...base, precision: "int", method, bits, granularity, accuracy: result.accuracy, bytes: bytes.length, latencyB1Ms: result.latencyB1Ms, latencyB64Ms: result.latencyB64Ms });
        bar.increment();
      }
    }
  }
  if (name === "mlp") {
    bar.update({ what: "dynamic int8" });
    const bytes = quantizeDynamic(fp32Bytes).toBytes();
    const result = await measure(bytes);
    rows.push({ ...base, precision: "int", method: "dynamic", bits: 8, granularity: "per-channel", accuracy: result.accuracy, bytes: bytes.length, latencyB1Ms: result.latencyB1Ms, latencyB64Ms: result.latencyB64Ms });
    bar.increment();
  }
}
bar.stop();

mkdirSync(args.out!, { recursive: true });
writeFileSync(join(args.out!, "accuracy.json"), JSON.stringify(rows, null, 2) + "\n");
const markdown = formatResultsMarkdown(rows, { testImages: testLimit ?? test.count, calibrationImages, seconds: (performance.now() - started) / 1000 });
writeFileSync(join(args.out!, "accuracy.md"), markdown);
console.log(markdown);
console.log(`wrote ${join(args.out!, "accuracy.json")} and ${join(args.out!, "accuracy.md")}`);
