// What every runtime in the model benchmark provides, and the rows it produces.

export type Runtime = "ours" | "js" | "tfjs-wasm" | "ort-web" | "ort-node";

/** fp32 model, our int8-activation QDQ model, or its uint8-activation form (ONNX Runtime's U8S8). */
export type Precision = "fp32" | "int8" | "uint8";

export interface ModelRow {
  model: string;
  batch: number;
  runtime: Runtime;
  precision: Precision;
  threads: number;
  msMedian: number;
}

/** A float32 input in the model's ONNX layout (NCHW for images). */
export interface Batch {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** One model loaded into one runtime. */
export interface LoadedModel {
  /** The first graph output of one run, for checking runtimes against each other. */
  infer(batch: Batch): Promise<Float32Array>;
  /**
   * Everything a call needs (tensors, feeds) made up front, so that the returned function is only
   * the inference and reading its output into JavaScript: the timed region.
   */
  prepareCall(batch: Batch): () => unknown;
  dispose?(): void;
}

/** A runtime, initialised (thread count fixed) and ready to load ONNX files. */
export interface PeerRuntime {
  readonly runtime: Runtime;
  readonly threads: number;
  load(onnxBytes: Uint8Array, inputName: string): Promise<LoadedModel>;
}
