// Our runtime: InferenceSession over the WebAssembly kernels, on the fp32 model or our int8 QDQ
// model (which it lowers to integer kernels). One thread calls runSync; more call run(), which
// splits the batch across worker threads.
import { InferenceSession } from "../../src/runtime/session.js";
import { Tensor } from "../../src/runtime/tensor.js";
import type { Batch, LoadedModel, PeerRuntime } from "./types.js";

class OursModel implements LoadedModel {
  constructor(
    private readonly session: InferenceSession,
    private readonly inputName: string,
    private readonly threads: number,
  ) {}

  private feeds(batch: Batch): Record<string, Tensor> {
    return { [this.inputName]: new Tensor("float32", batch.data, batch.dims) };
  }

  async infer(batch: Batch): Promise<Float32Array> {
    const outputs = await this.session.run(this.feeds(batch));
    return Float32Array.from(outputs[this.session.outputNames[0]].data as Float32Array);
  }

  prepareCall(batch: Batch): () => unknown {
    const feeds = this.feeds(batch);
    return this.threads > 1 ? () => this.session.run(feeds) : () => this.session.runSync(feeds);
  }
}

export function createOursRuntime(threads = 1): PeerRuntime {
  return {
    runtime: "ours",
    threads,
    async load(onnxBytes, inputName) {
      return new OursModel(await InferenceSession.create(onnxBytes, { numThreads: threads }), inputName, threads);
    },
  };
}
