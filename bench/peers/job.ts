// Each runtime at each thread count runs in a process of its own (ONNX Runtime Web and
// TensorFlow.js fix their thread count when their backend starts, and a process of its own gives
// every runtime the same clean heap). The processes stay up for the whole benchmark and take
// turns: the parent asks each in turn to time one model, precision and batch, so that every
// runtime's figure for that cell is taken within seconds of the others', under the same machine
// conditions (on a shared machine whose speed drifts, rows timed minutes apart do not compare).
// child.ts is the process; PeerProcess is its handle in the parent.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TimingOptions } from "./timing.js";
import type { Batch, PeerRuntime, Precision, Runtime } from "./types.js";

export interface JobModel {
  readonly name: string;
  readonly inputName: string;
  /** The input's dims after the batch dimension, e.g. [1, 28, 28]. */
  readonly sampleDims: readonly number[];
  /** The ONNX file of each precision. */
  readonly files: Partial<Record<Precision, string>>;
}

export const CHECK_BATCH = 2;
export const CHECK_SEED = 7;

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
export async function createRuntime(runtime: Runtime, threads: number): Promise<PeerRuntime> {
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

/** Requests to child.ts, answered in order. */
export type ToPeer =
  | { readonly type: "start"; readonly runtime: Runtime; readonly threads: number }
  | { readonly type: "load"; readonly key: string; readonly path: string; readonly inputName: string; readonly sampleDims: readonly number[] }
  | { readonly type: "time"; readonly key: string; readonly batch: number; readonly sampleDims: readonly number[]; readonly timing: TimingOptions };

/** Answers of child.ts: `values` for "load" (the first output on the check input), `msMedian` for "time". */
export type FromPeer =
  | { readonly type: "done"; readonly values?: number[]; readonly msMedian?: number; readonly samples?: number }
  | { readonly type: "failed"; readonly message: string };

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));

/** A runtime's benchmark process: loads models and times calls on request, one request at a time. */
export class PeerProcess {
  private readonly child: ChildProcess;
  private pending: { resolve: (answer: FromPeer) => void; reject: (error: Error) => void } | undefined;
  private exited: Error | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly runtime: Runtime, readonly threads: number) {
    this.child = fork(CHILD, [], { execArgv: ["--import", import.meta.resolve("tsx")], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child.on("message", (answer: FromPeer) => {
      const pending = this.pending;
      this.pending = undefined;
      pending?.resolve(answer);
    });
    this.child.on("exit", (code, signal) => {
      this.exited = new Error(`${this.label}: the benchmark process exited (${signal ?? `code ${code}`})`);
      this.pending?.reject(this.exited);
      this.pending = undefined;
    });
  }

  get label(): string {
    return `${this.runtime} ${this.threads}t`;
  }

  /** Starts the runtime (its thread count fixed from here on). */
  start(): Promise<void> {
    return this.request({ type: "start", runtime: this.runtime, threads: this.threads }).then(() => undefined);
  }

  /** Loads an ONNX file under `key`; returns the first output on the check input. */
  async load(key: string, path: string, model: JobModel): Promise<number[]> {
    const answer = await this.request({ type: "load", key, path, inputName: model.inputName, sampleDims: model.sampleDims });
    return answer.values ?? [];
  }

  /** The median milliseconds of one call of the model loaded under `key` at `batch`. */
  async time(key: string, batch: number, model: JobModel, timing: TimingOptions): Promise<{ msMedian: number; samples: number }> {
    const answer = await this.request({ type: "time", key, batch, sampleDims: model.sampleDims, timing });
    return { msMedian: answer.msMedian ?? NaN, samples: answer.samples ?? 0 };
  }

  close(): void {
    this.child.kill();
  }

  private request(message: ToPeer): Promise<Extract<FromPeer, { type: "done" }>> {
    const next = this.queue.then(
      () =>
        new Promise<FromPeer>((resolve, reject) => {
          if (this.exited) return reject(this.exited);
          this.pending = { resolve, reject };
          this.child.send(message);
        }),
    );
    this.queue = next.catch(() => undefined);
    return next.then((answer) => {
      if (answer.type === "failed") throw new Error(`${this.label}: ${answer.message}`);
      return answer;
    });
  }
}
