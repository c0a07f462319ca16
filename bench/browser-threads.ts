// Threads in the browser: our int8 resnet at batch 64 in headless Chromium with 1 and 2 threads
// (module Web Workers on a cross-origin isolated page). Writes bench/results/browser-threads.json:
// rows { model, batch, runtime, precision, threads, msMedian, engine }.
// `tsx bench/browser-threads.ts [--quick]` runs it alone; `npm run bench` runs it last.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { quantizeStatic } from "../src/quantize/quantize-static.js";
import { Tensor } from "../src/runtime/tensor.js";
import { CHROMIUM, bundleForBrowser, runInChromium } from "../test/browser/chromium.js";
import { formatTable, writeJson } from "./harness.js";

const MODEL = "resnet";
const BATCH = 64;

export interface BrowserThreadRow {
  model: string;
  batch: number;
  runtime: "ours";
  precision: "int8";
  threads: number;
  msMedian: number;
  engine: "chromium";
}

/** The shipped model quantized as the model benchmark does (128 calibration images, defaults). */
async function quantizedModel(): Promise<Uint8Array> {
  const images = gunzipSync(readFileSync("models/data/fashion-mnist-calibration-images.gz")).subarray(16, 16 + 128 * 784);
  const input = new Tensor("float32", Float32Array.from(images, (p) => p / 255), [128, 1, 28, 28]);
  return (await quantizeStatic(new Uint8Array(readFileSync(`models/${MODEL}.onnx`)), [{ input }])).toBytes();
}

export async function benchmarkBrowserThreads({ quick, log }: { quick: boolean; log: (line: string) => void }): Promise<BrowserThreadRow[]> {
  if (!existsSync(CHROMIUM)) {
    log(`SKIPPED the browser threads benchmark: ${CHROMIUM} not found (Debian: apt-get install chromium)`);
    return [];
  }
  log(`browser threads: ${MODEL} int8, batch ${BATCH}`);
  const [code, workerCode, model] = await Promise.all([
    bundleForBrowser(fileURLToPath(new URL("./browser/threads-entry.ts", import.meta.url))),
    bundleForBrowser(fileURLToPath(new URL("../src/runtime/worker.ts", import.meta.url))),
    quantizedModel(),
  ]);
  const job = { model: MODEL, batch: BATCH, warmup: 5, samples: quick ? 15 : 40 };
  const timings = await runInChromium<{ threads: number; msMedian: number }[]>(code, {
    isolated: true,
    globals: { __workerCode: workerCode, __model: Buffer.from(model).toString("base64"), __job: JSON.stringify(job) },
  });
  return timings.map(({ threads, msMedian }) => ({ model: MODEL, batch: BATCH, runtime: "ours", precision: "int8", threads, msMedian, engine: "chromium" }));
}

export function formatBrowserThreadRows(rows: readonly BrowserThreadRow[]): string {
  const one = rows.find((r) => r.threads === 1)?.msMedian ?? NaN;
  return formatTable(rows.map((r) => ({ model: r.model, batch: r.batch, threads: r.threads, "ms median": r.msMedian.toFixed(2), speedup: `${(one / r.msMedian).toFixed(2)}x` })));
}

export function writeBrowserThreadRows(rows: readonly BrowserThreadRow[], path = "bench/results/browser-threads.json"): void {
  writeJson(path, rows);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
  const rows = await benchmarkBrowserThreads({ quick: values.quick ?? false, log: (line) => process.stderr.write(`[bench] ${line}\n`) });
  console.log(formatBrowserThreadRows(rows));
  writeBrowserThreadRows(rows);
}
