// Model benchmark: our runtime (int8 and fp32) against the runtimes users would otherwise pick, on
// the same ONNX files in the same run: plain TypeScript, TensorFlow.js (wasm backend), ONNX
// Runtime Web (wasm backend) and ONNX Runtime for Node (native CPU), each ONNX Runtime on fp32,
// our int8 QDQ file and its uint8-activation form, at batch 1 and 64, single-threaded and with 2
// threads where the runtime has threads. Every runtime runs in a process of its own, all of them
// up at once (bench/peers/job.ts); each model and batch is timed in every runtime in turn, and full
// runs go round FULL_ROUNDS times, so the figures of one cell are taken under the same conditions.
// Before timing, each runtime's outputs on a fixed input are checked against ONNX Runtime Web's.
// Writes bench/results/models.json: rows { model, batch, runtime, precision, threads, msMedian }.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import { readOnnxModel } from "../src/onnx/reader.js";
import { quantizeStatic, type CalibrationFeeds } from "../src/quantize/quantize-static.js";
import { Tensor } from "../src/runtime/tensor.js";
import { writeModelChart } from "./chart.js";
import { compareRows, modelBatches, seriesName, seriesOf } from "./model-rows.js";
import { formatTable, writeJson } from "./harness.js";
import { CHECK_BATCH, PeerProcess, randomBatch, type JobModel } from "./peers/job.js";
import { toUint8Activations } from "./peers/qdq-uint8.js";
import { FULL_TIMING, QUICK_TIMING, type TimingOptions } from "./peers/timing.js";
import type { ModelRow, Precision, Runtime } from "./peers/types.js";

export type { ModelRow, Precision, Runtime };

export interface ModelBenchmarkOptions {
  readonly quick: boolean;
  readonly log: (line: string) => void;
  /** ONNX files to measure (default: every models/*.onnx). */
  readonly files?: readonly string[];
}

const MODELS_DIR = "models";
const CALIBRATION_IMAGES = join(MODELS_DIR, "data", "fashion-mnist-calibration-images.gz");
const CALIBRATION_COUNT = 128;
const CALIBRATION_BATCH = 64;
const BATCHES = [1, 64] as const;
/**
 * Full runs time every cell (model, batch, runtime) this many times, the runtimes taking turns, and
 * keep each one's fastest median: this shared machine's speed drifts by up to 2x.
 */
const FULL_ROUNDS = 2;
/** fp32 outputs must agree with ONNX Runtime's to this, relative to max(1, max |output|). */
const FP32_TOLERANCE = 1e-4;

/**
 * The jobs, in order. ONNX Runtime single-threaded comes first: its fp32 outputs are the
 * reference. TensorFlow.js's wasm backend has no threads in Node (tensorflow/tfjs#3830) and plain
 * JS is single-threaded, so both ONNX Runtimes and ours get the 2-thread jobs.
 */
interface JobPlan {
  readonly runtime: Runtime;
  readonly threads: number;
  readonly precisions: readonly Precision[];
}

const PLAN: readonly JobPlan[] = [
  { runtime: "ort-web", threads: 1, precisions: ["fp32", "int8", "uint8"] },
  { runtime: "ours", threads: 1, precisions: ["int8", "fp32"] },
  { runtime: "tfjs-wasm", threads: 1, precisions: ["fp32"] },
  { runtime: "js", threads: 1, precisions: ["fp32"] },
  { runtime: "ort-node", threads: 1, precisions: ["fp32", "int8", "uint8"] },
  { runtime: "ort-web", threads: 2, precisions: ["fp32", "int8", "uint8"] },
  { runtime: "ours", threads: 2, precisions: ["int8", "fp32"] },
  { runtime: "ort-node", threads: 2, precisions: ["fp32", "int8", "uint8"] },
];

export function defaultModelFiles(): string[] {
  const shipped = existsSync(MODELS_DIR) ? readdirSync(MODELS_DIR).filter((f) => f.endsWith(".onnx")).sort() : [];
  if (shipped.length > 0) return shipped.map((f) => join(MODELS_DIR, f));
  throw new Error(`no ONNX models in ${MODELS_DIR}/`);
}

/** Images of an IDX file (gzip), as float pixels / 255, the models' input normalisation. */
function readIdxImages(path: string, count: number): { pixels: Float32Array; dims: number[] } {
  const bytes = gunzipSync(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== 0x803) throw new Error(`${path} is not an IDX file of unsigned bytes [count, rows, cols]`);
  const [available, rows, cols] = [view.getUint32(4), view.getUint32(8), view.getUint32(12)];
  const n = Math.min(count, available);
  return { pixels: Float32Array.from(bytes.subarray(16, 16 + n * rows * cols), (p) => p / 255), dims: [n, 1, rows, cols] };
}

/** A few training images when they fit the model's input, random images otherwise (also bench/ours-vs-tfjs.ts). */
export function calibrationFeeds(inputName: string, sampleDims: readonly number[]): { feeds: CalibrationFeeds[]; source: string } {
  const images = existsSync(CALIBRATION_IMAGES) ? readIdxImages(CALIBRATION_IMAGES, CALIBRATION_COUNT) : undefined;
  const fits = images !== undefined && images.dims.slice(1).join() === sampleDims.join();
  const pool = fits ? images : { pixels: randomBatch(CALIBRATION_COUNT, sampleDims, 1000).data, dims: [CALIBRATION_COUNT, ...sampleDims] };
  const sampleSize = sampleDims.reduce((a, b) => a * b, 1);
  const feeds: CalibrationFeeds[] = [];
  for (let start = 0; start < pool.dims[0]; start += CALIBRATION_BATCH) {
    const n = Math.min(CALIBRATION_BATCH, pool.dims[0] - start);
    feeds.push({ [inputName]: new Tensor("float32", pool.pixels.slice(start * sampleSize, (start + n) * sampleSize), [n, ...sampleDims]) });
  }
  return { feeds, source: `${pool.dims[0]} ${fits ? `images of ${CALIBRATION_IMAGES}` : "random inputs"}` };
}

/** The model's input and the fp32, int8 QDQ and uint8 QDQ files (the last two in `dir`). */
async function prepareModel(file: string, dir: string, log: (line: string) => void): Promise<JobModel> {
  const fp32 = new Uint8Array(readFileSync(file));
  const graph = readOnnxModel(fp32);
  const name = basename(file, ".onnx");
  const [inputName] = graph.inputs;
  const sampleDims = graph.values.get(inputName)?.shape?.slice(1);
  if (!sampleDims?.every((d): d is number => typeof d === "number")) throw new Error(`${file}: the input's shape after the batch dimension must be known`);
  const files: Partial<Record<Precision, string>> = { fp32: file };
  try {
    const { feeds, source } = calibrationFeeds(inputName, sampleDims);
    log(`${name}: quantizing, calibrated on ${source}`);
    const quantized = await quantizeStatic(fp32, feeds);
    const int8 = quantized.toBytes();
    files.int8 = join(dir, `${name}.int8.onnx`);
    files.uint8 = join(dir, `${name}.uint8.onnx`);
    writeFileSync(files.int8, int8);
    writeFileSync(files.uint8, toUint8Activations(int8));
  } catch (error) {
    log(`${name}: quantizeStatic failed, no int8 rows: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { name, inputName, sampleDims, files };
}

/** One runtime's first output on the check input (batch CHECK_BATCH). */
interface Check {
  readonly model: string;
  readonly precision: Precision;
  readonly values: number[];
  readonly runtime: Runtime;
  readonly threads: number;
}

function relativeDifference(values: readonly number[], reference: readonly number[]): number {
  if (values.length !== reference.length) return Infinity;
  const scale = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
  return values.reduce((m, v, i) => Math.max(m, Math.abs(v - reference[i])), 0) / scale;
}

/**
 * Compares every runtime's outputs with ONNX Runtime's (fp32 with fp32, quantized with our int8 QDQ
 * file in ONNX Runtime) and returns the keys of the fp32 results that disagree: a different network.
 */
function checkOutputs(checks: readonly Check[], log: (line: string) => void): Set<string> {
  const rejected = new Set<string>();
  const reference = (model: string, precision: Precision) =>
    checks.find((c) => c.runtime === "ort-web" && c.threads === 1 && c.model === model && c.precision === precision);
  for (const check of checks) {
    const label = `${check.model} ${check.runtime} ${check.threads}t ${check.precision}`;
    const fp32 = reference(check.model, "fp32");
    const int8 = reference(check.model, "int8");
    if (!fp32 || check === fp32) continue;
    const vsFp32 = relativeDifference(check.values, fp32.values);
    if (check.precision === "fp32" && !(vsFp32 <= FP32_TOLERANCE)) {
      rejected.add(`${check.model}|${check.runtime}|${check.threads}|fp32`);
      log(`MISMATCH ${label}: outputs differ from ONNX Runtime's by ${vsFp32.toExponential(2)} (relative), rows dropped`);
    } else if (check.precision !== "fp32") {
      const vsInt8 = int8 && check !== int8 ? `, vs ONNX Runtime int8 ${relativeDifference(check.values, int8.values).toExponential(2)}` : "";
      log(`check ${label}: vs fp32 ${vsFp32.toExponential(2)}${vsInt8} (relative, batch ${CHECK_BATCH})`);
    }
  }
  return rejected;
}

/** A model file loaded in a runtime's process. */
interface Loaded {
  readonly peer: PeerProcess;
  readonly model: JobModel;
  readonly precision: Precision;
  readonly key: string;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Starts every runtime's process and loads every model file it runs there; checks their outputs. */
async function startPeers(models: readonly JobModel[], peers: PeerProcess[], log: (line: string) => void): Promise<{ loaded: Loaded[]; rejected: Set<string> }> {
  const loaded: Loaded[] = [];
  const checks: Check[] = [];
  for (const plan of PLAN) {
    const peer = new PeerProcess(plan.runtime, plan.threads);
    peers.push(peer);
    try {
      await peer.start();
    } catch (error) {
      log(`FAILED ${describe(error)}`);
      continue;
    }
    for (const model of models) {
      for (const precision of plan.precisions) {
        const path = model.files[precision];
        if (!path) continue;
        const key = `${model.name}|${precision}`;
        try {
          const values = await peer.load(key, path, model);
          checks.push({ model: model.name, precision, values, runtime: plan.runtime, threads: plan.threads });
          loaded.push({ peer, model, precision, key });
        } catch (error) {
          log(`FAILED ${model.name} ${precision}: ${describe(error)}`);
        }
      }
    }
    log(`${peer.label}: loaded ${loaded.filter((l) => l.peer === peer).length} model files`);
  }
  return { loaded, rejected: checkOutputs(checks, log) };
}

/** The timing of one call: plain JS takes seconds per batch of 64 on the larger models, so it gets fewer samples. */
function timingFor(runtime: Runtime, quick: boolean): TimingOptions {
  const timing = quick ? QUICK_TIMING : FULL_TIMING;
  return runtime === "js" ? { ...timing, warmupCalls: 1, minSamples: 3 } : timing;
}

/** Measures every model file in every runtime; returns the rows (the caller prints and writes them). */
export async function benchmarkModels(options: ModelBenchmarkOptions): Promise<ModelRow[]> {
  const { log, quick } = options;
  const dir = mkdtempSync(join(tmpdir(), "bench-models-"));
  const peers: PeerProcess[] = [];
  try {
    const models: JobModel[] = [];
    for (const file of options.files ?? defaultModelFiles()) models.push(await prepareModel(file, dir, log));
    const { loaded, rejected } = await startPeers(models, peers, log);
    const best = new Map<string, ModelRow>();
    const rounds = quick ? 1 : FULL_ROUNDS;
    for (const model of models) {
      for (const batch of BATCHES) {
        for (let round = 1; round <= rounds; round++) {
          for (const { peer, precision, key } of loaded.filter((l) => l.model === model)) {
            const { runtime, threads } = peer;
            // Quick runs time plain JS at batch 1 only; rows whose outputs disagree are not timed.
            if ((runtime === "js" && quick && batch !== 1) || rejected.has(`${model.name}|${runtime}|${threads}|${precision}`)) continue;
            try {
              const { msMedian, samples } = await peer.time(key, batch, model, timingFor(runtime, quick));
              log(`${model.name} b${batch} ${peer.label} ${precision}: ${msMedian.toFixed(3)} ms (${samples} samples${rounds > 1 ? `, round ${round} of ${rounds}` : ""})`);
              const row: ModelRow = { model: model.name, batch, runtime, precision, threads, msMedian };
              const rowKey = `${key}|${runtime}|${threads}|${batch}`;
              const previous = best.get(rowKey);
              if (!previous || msMedian < previous.msMedian) best.set(rowKey, row);
            } catch (error) {
              log(`FAILED ${model.name} b${batch} ${precision}: ${describe(error)}`);
            }
          }
        }
      }
    }
    return [...best.values()].sort(compareRows);
  } finally {
    for (const peer of peers) peer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Summary and table.

/** An ONNX Runtime's faster quantized form (int8 or uint8 activations) and its median time. */
export interface OrtQuantized {
  readonly precision: Precision;
  readonly ms: number;
}

export interface ModelSpeedup {
  readonly model: string;
  readonly batch: number;
  readonly oursInt8Ms?: number;
  readonly tfjsFp32Ms?: number;
  /** ONNX Runtime Web (wasm, the runtime ours replaces in a browser) at 1 and at 2 threads. */
  readonly ortWeb1t?: OrtQuantized;
  readonly ortWeb2t?: OrtQuantized;
  /** ONNX Runtime for Node (native code, the fastest option a Node user has) at 1 and at 2 threads. */
  readonly ortNode1t?: OrtQuantized;
  readonly ortNode2t?: OrtQuantized;
}

function fastestOrtQuantized(rows: readonly ModelRow[], runtime: "ort-web" | "ort-node", threads: number): OrtQuantized | undefined {
  const candidates = rows.filter((r) => r.runtime === runtime && r.precision !== "fp32" && r.threads === threads);
  const best = candidates.reduce<ModelRow | undefined>((b, r) => (!b || r.msMedian < b.msMedian ? r : b), undefined);
  return best && { precision: best.precision, ms: best.msMedian };
}

/** Per model and batch: ours int8 against TensorFlow.js fp32 and each ONNX Runtime's best quantized form. */
export function modelSpeedups(rows: readonly ModelRow[]): ModelSpeedup[] {
  return modelBatches(rows).map(({ model, batch }) => {
    const group = rows.filter((r) => r.model === model && r.batch === batch);
    const find = (runtime: Runtime, precision: Precision) => group.find((r) => r.runtime === runtime && r.precision === precision && r.threads === 1)?.msMedian;
    return {
      model,
      batch,
      oursInt8Ms: find("ours", "int8"),
      tfjsFp32Ms: find("tfjs-wasm", "fp32"),
      ortWeb1t: fastestOrtQuantized(group, "ort-web", 1),
      ortWeb2t: fastestOrtQuantized(group, "ort-web", 2),
      ortNode1t: fastestOrtQuantized(group, "ort-node", 1),
      ortNode2t: fastestOrtQuantized(group, "ort-node", 2),
    };
  });
}

function ratio(numerator: number | undefined, denominator: number | undefined): string {
  return numerator !== undefined && denominator !== undefined ? `${(numerator / denominator).toFixed(2)}x` : "";
}

function ratioTo(ort: OrtQuantized | undefined, oursMs: number | undefined): string {
  return ort ? `${ratio(ort.ms, oursMs)} (${ort.precision})` : "";
}

/**
 * One line per model and batch: the median milliseconds of every series, then how many times
 * faster ours int8 (single-threaded) is than TensorFlow.js fp32 and than the faster quantized form
 * of ONNX Runtime Web and of ONNX Runtime for Node, each at 1 thread and at 2 threads.
 */
export function formatModelTable(rows: readonly ModelRow[]): string {
  const sorted = [...rows].sort(compareRows);
  const series = seriesOf(sorted).map(seriesName);
  const table = modelSpeedups(sorted).map((s) => {
    const line: Record<string, string | number> = { model: s.model, batch: s.batch };
    for (const name of series) {
      const row = sorted.find((r) => r.model === s.model && r.batch === s.batch && seriesName(r) === name);
      line[`${name} ms`] = row ? row.msMedian.toFixed(3) : "";
    }
    line["int8 vs tfjs"] = ratio(s.tfjsFp32Ms, s.oursInt8Ms);
    line["int8 vs ORT q"] = ratioTo(s.ortWeb1t, s.oursInt8Ms);
    line["int8 vs ORT q 2t"] = ratioTo(s.ortWeb2t, s.oursInt8Ms);
    line["int8 vs ort-node q"] = ratioTo(s.ortNode1t, s.oursInt8Ms);
    line["int8 vs ort-node q 2t"] = ratioTo(s.ortNode2t, s.oursInt8Ms);
    return line;
  });
  return formatTable(table);
}

export function writeModelRows(rows: readonly ModelRow[], path = "bench/results/models.json"): void {
  writeJson(path, rows);
}

// `tsx bench/models.ts [--quick] [model.onnx ...]`: this benchmark alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values, positionals } = parseArgs({ options: { quick: { type: "boolean", default: false } }, allowPositionals: true });
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  const rows = await benchmarkModels({ quick: values.quick ?? false, log, files: positionals.length > 0 ? positionals : undefined });
  console.log("\nModels (median ms per call; ratios: how many times faster ours int8 is):\n");
  console.log(formatModelTable(rows));
  writeModelRows(rows);
  writeModelChart(rows);
  console.log("\nwrote bench/results/models.json and bench/results/models.svg");
}
