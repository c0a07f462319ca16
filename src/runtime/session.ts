// InferenceSession: the API ONNX Runtime Web users know (create, run, inputNames, outputNames),
// over our graph passes, QDQ lowering and WebAssembly kernels.
import { DTypeError, InvalidArgumentError, ShapeError } from "../errors.js";
import { type Graph } from "../graph/ir.js";
import { optimizeGraph, type OptimizationLevel } from "../graph/passes/index.js";
import { inferShapes } from "../graph/shape-inference.js";
import { WasmArena } from "../kernels/arena.js";
import { instantiateKernels, selectKernelBuild, type KernelBuild, type KernelInstance } from "../kernels/module.js";
import { readOnnxModel } from "../onnx/reader.js";
import { lowerGraph, type LoweredGraph } from "./lowering.js";
import { fuseConvMaxPool } from "./conv-pool-fusion.js";
import { prepareStep } from "./ops/index.js";
import type { PreparedOp } from "./ops/types.js";
import type { RequantizationMode } from "./ops/onnx-requantization.js";
import { buildPlan, shapeKey, type ExecutionPlan, type ValueObserver } from "./plan.js";
import { describeSession, type SessionSummary } from "./summary.js";
import { Tensor } from "./tensor.js";
import { defaultThreadCount, sliceBatch, sliceFeeds, ThreadPool } from "./threads.js";
import { writeOnnxModel } from "../onnx/writer.js";

export interface SessionOptions {
  /** How much the graph is optimised before it runs (ONNX Runtime's names); default "all". */
  readonly graphOptimizationLevel?: OptimizationLevel;
  /** Passes to leave out by name (e.g. "batchnorm-folding"). */
  readonly skipPasses?: readonly string[];
  /**
   * Threads for `run()` (default: the core count in Node; in browsers the core count on
   * cross-origin isolated pages, else 1): a batch is split into slices run in parallel (Node
   * worker_threads, browser module Web Workers), with outputs identical to one thread's.
   * `runSync()` uses one thread.
   */
  readonly numThreads?: number;
  /**
   * Browsers: the URL of the worker script (this package's `runtime/worker.js`, bundled), for
   * bundlers that do not emit it from `new URL("./worker.js", import.meta.url)` themselves.
   */
  readonly workerUrl?: string | URL;
  /**
   * How int8 layers requantize their accumulators: "fixed-point" (default, DESIGN.md 3) or "onnx",
   * saturate(roundHalfToEven(f32(acc) * f32(S_x * S_w / S_y)) + Z_y) as ONNX Runtime does.
   */
  readonly requantization?: RequantizationMode;
  /**
   * Which WebAssembly build runs the kernels: "auto" (default) takes the relaxed-SIMD build when
   * the engine validates it and it passes a self-test against the plain SIMD build, else "simd".
   * Node 20 has relaxed SIMD only behind V8's flag (`enableNodeRelaxedSimd()`), and computes its dot
   * product wrong, so the self-test keeps "simd" there; browsers with relaxed SIMD run "relaxed".
   */
  readonly kernelBuild?: "auto" | KernelBuild;
}

export type ModelSource = Uint8Array | ArrayBuffer | string | Graph;

async function modelBytes(source: Uint8Array | ArrayBuffer | string): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof process !== "undefined" && process.versions?.node) {
    const { readFile } = await import("node:fs/promises");
    return new Uint8Array(await readFile(source));
  }
  const response = await fetch(source);
  if (!response.ok) throw new InvalidArgumentError(`could not load model from '${source}': HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function isGraph(source: ModelSource): source is Graph {
  return typeof source === "object" && source !== null && "nodes" in source && "values" in source;
}

export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private plan: ExecutionPlan | undefined;
  private readonly threadedOutputs = new Map<number, Record<string, Tensor>>();

  private constructor(
    private readonly kernels: KernelInstance,
    private readonly arena: WasmArena,
    private readonly lowered: LoweredGraph,
    private readonly ops: readonly PreparedOp[],
    private readonly weightsTop: number,
    private readonly pool: ThreadPool | undefined,
  ) {
    this.inputNames = [...lowered.graph.inputs];
    this.outputNames = [...lowered.graph.outputs];
  }

  /** Reads, optimises and lowers a model, and packs its weights into kernel memory. */
  static async create(source: ModelSource, options: SessionOptions = {}): Promise<InferenceSession> {
    const bytes = isGraph(source) ? undefined : await modelBytes(source);
    const graph = bytes ? readOnnxModel(bytes) : (source as Graph);
    const optimised = inferShapes(
      optimizeGraph(graph, { level: options.graphOptimizationLevel ?? "all", skip: [...(options.skipPasses ?? [])] }),
    );
    const requantization = options.requantization ?? "fixed-point";
    // ONNX Runtime's float requantization is not fused with pooling (conv-pool-fusion.ts).
    const lowered = requantization === "fixed-point" ? fuseConvMaxPool(lowerGraph(optimised), optimised) : lowerGraph(optimised);
    const build = !options.kernelBuild || options.kernelBuild === "auto" ? await selectKernelBuild() : options.kernelBuild;
    const kernels = await instantiateKernels(build);
    const arena = new WasmArena(kernels);
    const ctx = {
      requantization,
      kernels,
      arena,
      graph: optimised,
      floatConstant: (name: string) => lowered.floatConstants.get(name),
      valueQuant(name: string) {
        const quant = lowered.values.get(name)?.quant;
        if (!quant) throw new InvalidArgumentError("expected an int8 tensor with quantization parameters", { tensor: name });
        return quant;
      },
    };
    const ops = lowered.steps.map((step) => prepareStep(ctx, step));
    const threads = options.numThreads ?? (await defaultThreadCount());
    if (!Number.isInteger(threads) || threads < 1) throw new InvalidArgumentError(`numThreads must be a positive integer, got ${threads}`);
    // Activations quantized per batch would change with the slicing: such models run on one thread.
    const splittable = threads > 1 && !lowered.steps.some((step) => step.op === "qdynamic" || step.op === "dynamicquantize");
    const { workerUrl, ...workerOptions } = options;
    const pool = splittable ? new ThreadPool(threads, bytes ?? writeOnnxModel(graph), workerOptions, workerUrl) : undefined;
    return new InferenceSession(kernels, arena, lowered, ops, arena.mark(), pool);
  }

  /** Threads `run()` uses. */
  get numThreads(): number {
    return this.pool?.threads ?? 1;
  }

  /**
   * Runs the model; outputs are in ONNX layout and are overwritten by the next run of this session.
   * With several threads, a batch is split between them (the outputs are the same).
   */
  async run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    const shapes = this.checkFeeds(feeds);
    const batch = Object.values(shapes)[0]?.[0] ?? 0;
    const sameBatch = Object.values(shapes).every((dims) => dims.length > 0 && dims[0] === batch);
    if (!this.pool || batch < 2 || !sameBatch) return this.runSync(feeds);
    const ranges = sliceBatch(batch, this.pool.threads);
    const others = this.pool.runSlices(ranges.slice(1).map((range) => sliceFeeds(feeds, range)));
    const head = sliceFeeds(feeds, ranges[0]);
    const local = this.runSync(Object.fromEntries(Object.entries(head).map(([name, t]) => [name, new Tensor("float32", t.data as Float32Array, t.dims)])));
    const outputs = this.outputsFor(batch, local);
    const rowsOf = (t: { data: { length: number }; dims: readonly number[] }) => t.data.length / t.dims[0];
    for (const name of this.outputNames) outputs[name].data.set(local[name].data as never, 0);
    const rest = await others;
    rest.forEach((part, i) => {
      for (const name of this.outputNames) outputs[name].data.set(part[name].data as never, ranges[i + 1][0] * rowsOf(outputs[name]));
    });
    return outputs;
  }

  /** Stops the worker threads (a session that is not released keeps none alive: they are unref'd). */
  async release(): Promise<void> {
    await this.pool?.release();
  }

  private outputsFor(batch: number, sample: Record<string, Tensor>): Record<string, Tensor> {
    let outputs = this.threadedOutputs.get(batch);
    if (!outputs) {
      outputs = {};
      for (const [name, tensor] of Object.entries(sample)) {
        const dims = [batch, ...tensor.dims.slice(1)];
        const length = dims.reduce((a, b) => a * b, 1);
        const Data = tensor.data.constructor as new (length: number) => typeof tensor.data;
        outputs[name] = new Tensor(tensor.type, new Data(length), dims);
      }
      this.threadedOutputs.set(batch, outputs);
    }
    return outputs;
  }

  runSync(feeds: Readonly<Record<string, Tensor>>, observer?: ValueObserver): Record<string, Tensor> {
    return this.planFor(feeds).run(feeds, observer);
  }

  /** The nodes as they will run (for the last run's shapes, or symbolic ones before any run). */
  summary(): SessionSummary {
    return describeSession(this.kernels.build, this.lowered, this.ops, this.plan);
  }

  /** Bytes of kernel memory: packed weights plus the current plan's activations and scratch. */
  get memoryBytes(): number {
    return this.arena.bytesUsed;
  }

  private planFor(feeds: Readonly<Record<string, Tensor>>): ExecutionPlan {
    const shapes = this.checkFeeds(feeds);
    const key = shapeKey(shapes);
    if (this.plan?.shapeKey === key) return this.plan;
    this.plan = undefined;
    this.arena.release(this.weightsTop);
    this.plan = buildPlan({ kernels: this.kernels, arena: this.arena, lowered: this.lowered, ops: this.ops, inputShapes: shapes });
    return this.plan;
  }

  private checkFeeds(feeds: Readonly<Record<string, Tensor>>): Record<string, number[]> {
    if (typeof feeds !== "object" || feeds === null) throw new InvalidArgumentError("feeds must be an object of input name -> Tensor");
    const shapes: Record<string, number[]> = {};
    for (const name of this.inputNames) {
      const tensor = feeds[name];
      if (!tensor) throw new InvalidArgumentError(`missing input (the model's inputs are ${this.inputNames.join(", ")})`, { tensor: name });
      if (!(tensor instanceof Tensor)) throw new InvalidArgumentError("feed must be a Tensor", { tensor: name });
      if (tensor.type !== "float32") throw new DTypeError(`input must be float32, got ${tensor.type}`, { tensor: name });
      const declared = this.lowered.graph.values.get(name)?.shape;
      const dims = [...tensor.dims];
      if (declared && (declared.length !== dims.length || declared.some((d, i) => typeof d === "number" && d !== dims[i]))) {
        throw new ShapeError(`expected shape [${declared.join(", ")}], got [${dims.join(", ")}]`, { tensor: name });
      }
      shapes[name] = dims;
    }
    for (const name of Object.keys(feeds)) {
      if (!this.inputNames.includes(name)) throw new InvalidArgumentError(`unknown input (the model's inputs are ${this.inputNames.join(", ")})`, { tensor: name });
    }
    return shapes;
  }
}
