// Our runtime: InferenceSession over the WebAssembly kernels, on the fp32 model or our int8 QDQ
// model (which it lowers to integer kernels). Single-threaded.
import { InferenceSession } from "../../src/runtime/session.js";
import { Tensor } from "../../src/runtime/tensor.js";
import type { Batch, LoadedModel, PeerRuntime } from "./types.js";

class OursModel implements LoadedModel {
  constructor(
    private readonly session: InferenceSession,
    private readonly inputName: string,
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
    return () => this.session.runSync(feeds);
  }
}

export function createOursRuntime(): PeerRuntime {
  return {
    runtime: "ours",
    threads: 1,
    async load(onnxBytes, inputName) {
      return new OursModel(await InferenceSession.create(onnxBytes), inputName);
    },
  };
}
