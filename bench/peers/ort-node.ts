// ONNX Runtime for Node (onnxruntime-node, native CPU execution provider with its own MLAS
// kernels), on the same ONNX files as the other runtimes. Unlike the wasm backend, its thread
// count is a per-session option: `threads` intra-op threads (1: the calling thread only) and no
// inter-op parallelism, so it measures the same kind of parallelism as the other runtimes.
import * as ort from "onnxruntime-node";
import type { Batch, LoadedModel, PeerRuntime } from "./types.js";

function tensorOf(batch: Batch): ort.Tensor {
  return new ort.Tensor("float32", batch.data, [...batch.dims]);
}

class OrtNodeModel implements LoadedModel {
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly inputName: string,
  ) {}

  async infer(batch: Batch): Promise<Float32Array> {
    const outputs = await this.session.run({ [this.inputName]: tensorOf(batch) });
    return Float32Array.from(outputs[this.session.outputNames[0]].data as Float32Array);
  }

  prepareCall(batch: Batch): () => Promise<unknown> {
    const feeds = { [this.inputName]: tensorOf(batch) };
    return () => this.session.run(feeds);
  }

  dispose(): void {
    void this.session.release();
  }
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
      return new OrtNodeModel(session, inputName);
    },
  };
}
