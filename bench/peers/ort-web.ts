// ONNX Runtime Web's WebAssembly backend, run in Node. Its thread count is global and fixed when
// the first session initialises the backend, so one process measures one thread count (the model
// benchmark runs each in its own child process). The .wasm files are taken from node_modules, so
// nothing is downloaded.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import * as ort from "onnxruntime-web";
import { OrtModel } from "./ort-model.js";
import type { Batch, PeerRuntime } from "./types.js";

const require = createRequire(import.meta.url);

/** The directory holding onnxruntime-web's .wasm and .mjs files. */
export function ortWebDistDir(): string {
  return dirname(require.resolve("onnxruntime-web/ort-wasm-simd-threaded.wasm"));
}

let configuredThreads: number | undefined;

function configure(threads: number): void {
  if (configuredThreads !== undefined && configuredThreads !== threads) {
    throw new Error(`onnxruntime-web is already set up with ${configuredThreads} thread(s) in this process; use a new process for ${threads}`);
  }
  configuredThreads = threads;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.wasmPaths = `${pathToFileURL(ortWebDistDir()).href}/`;
  ort.env.logLevel = "error";
}

function tensorOf(batch: Batch): ort.Tensor {
  return new ort.Tensor("float32", batch.data, [...batch.dims]);
}

/** onnxruntime-web's wasm backend with `threads` threads (1: no worker threads at all). */
export function createOrtWebRuntime(threads: number): PeerRuntime {
  configure(threads);
  return {
    runtime: "ort-web",
    threads,
    async load(onnxBytes, inputName) {
      const session = await ort.InferenceSession.create(onnxBytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
      return new OrtModel(session, inputName, tensorOf);
    },
  };
}
