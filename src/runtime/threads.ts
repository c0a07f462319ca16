// Data-parallel threads for InferenceSession.run: a batch is cut into contiguous slices; the main
// thread runs the first and workers (worker_threads in Node, module Web Workers in browsers), each
// with its own session of the same model, run the others. Every sample is computed by the same
// kernels whatever slice it lands in, so the outputs equal a single-threaded run's (models that
// quantize activations per batch are not split).
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

/** What the pool needs of a worker: Node's worker_threads and browsers' Web Workers both fit. */
interface ThreadWorker {
  postMessage(message: ToWorker, transfer?: ArrayBuffer[]): void;
  onMessage(listener: (message: FromWorker) => void): void;
  onError(listener: (error: Error) => void): void;
  /** Node: whether the worker keeps the process alive (browsers have no such notion). */
  keepAlive(alive: boolean): void;
  terminate(): Promise<unknown>;
}

const isNode = () => typeof process !== "undefined" && !!process.versions?.node;

/**
 * The default thread count: the cores in Node; in a browser, the cores where the page is
 * cross-origin isolated (the setting under which a page expects to use them), else one.
 */
export async function defaultThreadCount(): Promise<number> {
  if (!isNode()) {
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    return isolated ? Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1) : 1;
  }
  const os = await import("node:os");
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

async function startNodeWorker(): Promise<ThreadWorker> {
  const { Worker } = await import("node:worker_threads");
  const url = new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url);
  // From TypeScript sources (tests, tsx), the worker registers tsx's loader before importing itself.
  const worker = url.pathname.endsWith(".ts")
    ? new Worker(`import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true })
    : new Worker(url);
  return {
    postMessage: (message, transfer) => worker.postMessage(message, transfer),
    onMessage: (listener) => worker.on("message", listener),
    onError: (listener) => worker.on("error", listener),
    keepAlive: (alive) => (alive ? worker.ref() : worker.unref()),
    terminate: () => worker.terminate(),
  };
}

/**
 * A module Web Worker running this package's worker entry: `workerUrl` when given (a page that
 * bundles the package serves the worker bundle itself), else worker.js beside this module, which
 * bundlers that understand `new URL(..., import.meta.url)` (Vite, webpack 5) emit.
 */
function startWebWorker(workerUrl: string | URL | undefined): ThreadWorker {
  const worker = new Worker(workerUrl ?? new URL("./worker.js", import.meta.url), { type: "module" });
  return {
    postMessage: (message, transfer) => worker.postMessage(message, transfer ?? []),
    onMessage: (listener) => worker.addEventListener("message", (event) => listener(event.data as FromWorker)),
    onError: (listener) => worker.addEventListener("error", (event) => listener(new Error(event.message || "the worker failed to start"))),
    keepAlive: () => undefined,
    terminate: async () => worker.terminate(),
  };
}

async function startWorker(workerUrl: string | URL | undefined): Promise<ThreadWorker> {
  if (isNode()) return startNodeWorker();
  if (typeof Worker === "undefined") throw new UnsupportedError("numThreads > 1 needs worker_threads (Node) or Web Workers");
  return startWebWorker(workerUrl);
}

/** Workers holding the same model, started on first use and released with the session. */
export class ThreadPool {
  private workers: Promise<ThreadWorker[]> | undefined;
  private ready: ThreadWorker[] | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (o: Record<string, WireTensor>) => void; reject: (e: Error) => void }>();

  constructor(
    readonly threads: number,
    private readonly model: Uint8Array,
    private readonly options: object,
    private readonly workerUrl?: string | URL,
  ) {}

  private start(): Promise<ThreadWorker[]> {
    this.workers ??= Promise.all(
      Array.from({ length: this.threads - 1 }, async () => {
        const worker = await startWorker(this.workerUrl);
        await new Promise<void>((resolve, reject) => {
          worker.onError(reject);
          worker.onMessage((message) => {
            if (message.type === "ready") resolve();
            else if (message.type === "error" && message.id < 0) reject(new InvalidArgumentError(`worker failed to load the model: ${message.message}`));
            else this.settle(message);
          });
          worker.postMessage({ type: "init", model: this.model, options: this.options });
        });
        worker.keepAlive(false);
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

  private async dispatchAndWait(workers: ThreadWorker[], slices: readonly Record<string, WireTensor>[]): Promise<Record<string, WireTensor>[]> {
    // Idle workers are unref'd so they never keep a process alive; busy ones must, or Node
    // would exit while the caller awaits them.
    workers.forEach((w) => w.keepAlive(true));
    try {
      return await this.dispatch(workers, slices);
    } finally {
      workers.forEach((w) => w.keepAlive(false));
    }
  }

  private dispatch(workers: ThreadWorker[], slices: readonly Record<string, WireTensor>[]): Promise<Record<string, WireTensor>[]> {
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
