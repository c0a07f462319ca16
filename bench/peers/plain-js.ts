// The "js" row: a plain TypeScript fp32 forward pass on typed arrays, no WebAssembly. It is the
// reference interpreter (straightforward loops per ONNX operator) on the graph as read.
import type { Graph } from "../../src/graph/ir.js";
import { readOnnxModel } from "../../src/onnx/reader.js";
import { runReference, type RefTensor } from "../../src/reference/interpreter.js";
import type { Batch, LoadedModel, PeerRuntime } from "./types.js";

class PlainJsModel implements LoadedModel {
  constructor(
    private readonly graph: Graph,
    private readonly inputName: string,
  ) {}

  private inputs(batch: Batch): Record<string, RefTensor> {
    return { [this.inputName]: { data: batch.data, dims: [...batch.dims] } };
  }

  async infer(batch: Batch): Promise<Float32Array> {
    return Float32Array.from(runReference(this.graph, this.inputs(batch))[this.graph.outputs[0]].data as Float32Array);
  }

  prepareCall(batch: Batch): () => unknown {
    const inputs = this.inputs(batch);
    return () => runReference(this.graph, inputs);
  }
}

export function createPlainJsRuntime(): PeerRuntime {
  return {
    runtime: "js",
    threads: 1,
    async load(onnxBytes, inputName) {
      return new PlainJsModel(readOnnxModel(onnxBytes), inputName);
    },
  };
}
