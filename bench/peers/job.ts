// One runtime at one thread count, measured in a process of its own: ONNX Runtime Web and
// TensorFlow.js fix their thread count when their backend starts, and a fresh process gives every
// runtime the same clean heap. The parent sends a PeerJob over IPC to child.ts and gets the rows
// back, with each model's outputs on a fixed input so that the runtimes can be checked against
// each other.
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { measureMedian, type TimingOptions } from "./timing.js";
import type { Batch, ModelRow, PeerRuntime, Precision, Runtime } from "./types.js";

export interface JobModel {
  readonly name: string;
  readonly inputName: string;
  /** The input's dims after the batch dimension, e.g. [1, 28, 28]. */
  readonly sampleDims: readonly number[];
  /** The ONNX file of each precision this job runs. */
  readonly files: Partial<Record<Precision, string>>;
}

export interface PeerJob {
  readonly runtime: Runtime;
  readonly threads: number;
  readonly models: readonly JobModel[];
  readonly batches: readonly number[];
  readonly timing: TimingOptions;
}

/** The first output of a model on the check input (batch CHECK_BATCH, seed CHECK_SEED). */
export interface CheckOutput {
  readonly model: string;
  readonly precision: Precision;
  readonly values: number[];
}

export interface JobResult {
  readonly rows: ModelRow[];
  readonly checks: CheckOutput[];
  readonly errors: string[];
}

export const CHECK_BATCH = 2;
const CHECK_SEED = 7;

/** Deterministic pixels in [0, 1) (mulberry32), the same in every process. */
export function randomBatch(batch: number, sampleDims: readonly number[], seed: number): Batch {
  const dims = [batch, ...sampleDims];
  let state = seed >>> 0;
  const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  });
  return { data, dims };
}

/** Each process loads only the runtime it measures. */
async function createRuntime(runtime: Runtime, threads: number): Promise<PeerRuntime> {
  switch (runtime) {
    case "ours":
      return (await import("./ours.js")).createOursRuntime(threads);
    case "js":
      return (await import("./plain-js.js")).createPlainJsRuntime();
    case "tfjs-wasm":
      return (await import("./tfjs-wasm.js")).createTfjsWasmRuntime(threads);
    case "ort-web":
      return (await import("./ort-web.js")).createOrtWebRuntime(threads);
    case "ort-node":
      return (await import("./ort-node.js")).createOrtNodeRuntime(threads);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs the job in this process. Failures of one model/precision are reported and skipped. */
export async function executeJob(job: PeerJob, log: (line: string) => void): Promise<JobResult> {
  const runtime = await createRuntime(job.runtime, job.threads);
  const result: JobResult = { rows: [], checks: [], errors: [] };
  const label = `${job.runtime} ${job.threads}t`;
  for (const model of job.models) {
    for (const [precision, path] of Object.entries(model.files) as [Precision, string][]) {
      let loaded;
      try {
        loaded = await runtime.load(new Uint8Array(readFileSync(path)), model.inputName);
        const output = await loaded.infer(randomBatch(CHECK_BATCH, model.sampleDims, CHECK_SEED));
        result.checks.push({ model: model.name, precision, values: Array.from(output) });
        for (const batch of job.batches) {
          // Seeded by the batch size: every runtime times the same input.
          const call = loaded.prepareCall(randomBatch(batch, model.sampleDims, batch));
          const { msMedian, samples } = await measureMedian(call, job.timing);
          result.rows.push({ model: model.name, batch, runtime: job.runtime, precision, threads: job.threads, msMedian });
          log(`${model.name} b${batch} ${label} ${precision}: ${msMedian.toFixed(3)} ms (${samples} samples)`);
        }
      } catch (error) {
        result.errors.push(`${model.name} ${label} ${precision}: ${describe(error)}`);
      } finally {
        loaded?.dispose?.();
      }
    }
  }
  return result;
}

/** Messages from child.ts. */
export type ChildMessage = { type: "log"; line: string } | { type: "result"; result: JobResult } | { type: "error"; message: string };

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));

/** Runs the job in a new Node process (TypeScript through tsx), one job at a time. */
export function runJobInChild(job: PeerJob, log: (line: string) => void): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], { execArgv: ["--import", import.meta.resolve("tsx")], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let result: JobResult | undefined;
    let failure: Error | undefined;
    child.on("message", (message: ChildMessage) => {
      if (message.type === "log") log(message.line);
      else if (message.type === "result") result = message.result;
      else failure = new Error(`${job.runtime} ${job.threads}t: ${message.message}`);
    });
    child.on("error", (error) => (failure ??= error));
    child.on("exit", (code, signal) => {
      if (result) resolve(result);
      else reject(failure ?? new Error(`${job.runtime} ${job.threads}t: the benchmark process exited (${signal ?? `code ${code}`}) without a result`));
    });
    child.send(job);
  });
}
