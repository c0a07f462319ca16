// Data-parallel threads for InferenceSession.run: a batch is cut into contiguous slices; the main
// thread runs the first and worker_threads, each with its own session of the same model, run the
// others. Every sample is computed by the same kernels whatever slice it lands in, so the outputs
// equal a single-threaded run's (models that quantize activations per batch are not split).
import { InvalidArgumentError, UnsupportedError } from "../errors.js";
import type { Tensor } from "./tensor.js";

export interface WireTensor {
  readonly type: string;
  readonly data: Float32Array | Int8Array;
  readonly dims: number[];
}

export type ToWorker =
  | { readonly type: "init"; readonly model: Uint8Array; readonly options: object }
  | { readonly type: "run"; readonly id: number; readonly feeds: Record<string, WireTensor> };

export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "result"; readonly id: number; readonly outputs: Record<string, WireTensor> }
  | { readonly type: "error"; readonly id: number; readonly message: string };

interface NodeWorker {
  postMessage(message: ToWorker, transfer?: ArrayBuffer[]): void;
  on(event: "message", listener: (message: FromWorker) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

/** The default thread count: the cores in Node, one in browsers (their workers are not wired up yet). */
export async function defaultThreadCount(): Promise<number> {
  if (typeof process === "undefined" || !process.versions?.node) return 1;
  const os = await import("node:os");
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

async function startWorker(): Promise<NodeWorker> {
  if (typeof process === "undefined" || !process.versions?.node) {
    throw new UnsupportedError("numThreads > 1 is implemented for Node (worker_threads) only");
  }
  const { Worker } = await import("node:worker_threads");
  const url = new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url);
  // From TypeScript sources (tests, tsx), the worker registers tsx's loader before importing itself.
  const worker = url.pathname.endsWith(".ts")
    ? new Worker(`import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true })
    : new Worker(url);
  return worker as unknown as NodeWorker;
}

/** Workers holding the same model, started on first use and released with the session. */
export class ThreadPool {
  private workers: Promise<NodeWorker[]> | undefined;
  private ready: NodeWorker[] | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (o: Record<string, WireTensor>) => void; reject: (e: Error) => void }>();

  constructor(
    readonly threads: number,
    private readonly model: Uint8Array,
    private readonly options: object,
  ) {}

  private start(): Promise<NodeWorker[]> {
    this.workers ??= Promise.all(
      Array.from({ length: this.threads - 1 }, async () => {
        const worker = await startWorker();
        await new Promise<void>((resolve, reject) => {
          worker.on("error", reject);
          worker.on("message", (message) => {
            if (message.type === "ready") resolve();
            else if (message.type === "error" && message.id < 0) reject(new InvalidArgumentError(`worker failed to load the model: ${message.message}`));
            else this.settle(message);
          });
          worker.postMessage({ type: "init", model: this.model, options: this.options });
        });
        worker.unref();
        return worker;
      }),
    );
    return this.workers;
  }

  private settle(message: FromWorker): void {
    if (message.type === "ready") return;
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    this.pending.delete(message.id);
    if (message.type === "result") waiting.resolve(message.outputs);
    else waiting.reject(new InvalidArgumentError(`worker: ${message.message}`));
  }

  /**
   * Runs `slices[i]` on worker i (the caller runs its own slice meanwhile) and resolves with their
   * outputs. Once the workers are up, the slices are posted before this returns, so they run while
   * the caller computes; only the first call waits for the workers to start.
   */
  runSlices(slices: readonly Record<string, WireTensor>[]): Promise<Record<string, WireTensor>[]> {
    if (this.ready) return this.dispatchAndWait(this.ready, slices);
    return this.start().then((workers) => {
      this.ready = workers;
      return this.dispatchAndWait(workers, slices);
    });
  }

  private async dispatchAndWait(workers: NodeWorker[], slices: readonly Record<string, WireTensor>[]): Promise<Record<string, WireTensor>[]> {
    // Idle workers are unref'd so they never keep a process alive; busy ones must, or Node
    // would exit while the caller awaits them.
    workers.forEach((w) => w.ref());
    try {
      return await this.dispatch(workers, slices);
    } finally {
      workers.forEach((w) => w.unref());
    }
  }

  private dispatch(workers: NodeWorker[], slices: readonly Record<string, WireTensor>[]): Promise<Record<string, WireTensor>[]> {
    return Promise.all(
      slices.map(
        (feeds, i) =>
          new Promise<Record<string, WireTensor>>((resolve, reject) => {
            const id = this.nextId++;
            this.pending.set(id, { resolve, reject });
            workers[i].postMessage({ type: "run", id, feeds }, Object.values(feeds).map((t) => t.data.buffer as ArrayBuffer));
          }),
      ),
    );
  }

  async release(): Promise<void> {
    const workers = await this.workers;
    this.workers = undefined;
    this.ready = undefined;
    await Promise.all((workers ?? []).map((w) => w.terminate()));
  }
}

/** Splits `batch` rows into at most `parts` contiguous [start, end) ranges of near-equal size. */
export function sliceBatch(batch: number, parts: number): [number, number][] {
  const count = Math.min(parts, batch);
  return Array.from({ length: count }, (_, i) => [Math.floor((i * batch) / count), Math.floor(((i + 1) * batch) / count)]);
}

/** Rows [start, end) of every feed (all feeds share the batch dimension). */
export function sliceFeeds(feeds: Readonly<Record<string, Tensor>>, [start, end]: [number, number]): Record<string, WireTensor> {
  const result: Record<string, WireTensor> = {};
  for (const [name, tensor] of Object.entries(feeds)) {
    const row = tensor.size / tensor.dims[0];
    result[name] = { type: tensor.type, data: (tensor.data as Float32Array).slice(start * row, end * row), dims: [end - start, ...tensor.dims.slice(1)] };
  }
  return result;
}
