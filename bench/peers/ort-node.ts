// ONNX Runtime for Node (onnxruntime-node, native CPU execution provider with its own MLAS
// kernels), on the same ONNX files as the other runtimes. Unlike the wasm backend, its thread
// count is a per-session option: `threads` intra-op threads (1: the calling thread only) and no
// inter-op parallelism, so it measures the same kind of parallelism as the other runtimes.
import * as ort from "onnxruntime-node";
import { OrtModel } from "./ort-model.js";
import type { Batch, PeerRuntime } from "./types.js";

function tensorOf(batch: Batch): ort.Tensor {
  return new ort.Tensor("float32", batch.data, [...batch.dims]);
}

/** onnxruntime-node's CPU execution provider with `threads` intra-op threads. */
export function createOrtNodeRuntime(threads: number): PeerRuntime {
  ort.env.logLevel = "error";
  return {
    runtime: "ort-node",
    threads,
    async load(onnxBytes, inputName) {
      const session = await ort.InferenceSession.create(onnxBytes, {
        executionProviders: ["cpu"],
        graphOptimizationLevel: "all",
        executionMode: "sequential",
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
      });
      return new OrtModel(session, inputName, tensorOf);
    },
  };
}
