// Classification accuracy of a session over an image dataset, in batches.
import { toFloatBatch, type ImageDataset } from "../data/fashion-mnist.js";
import type { InferenceSession } from "../runtime/session.js";
import { Tensor } from "../runtime/tensor.js";

export interface EvaluateOptions {
  readonly batchSize?: number;
  /** Evaluate only the first `limit` images. */
  readonly limit?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

function argmax(data: Float32Array | Int8Array, offset: number, length: number): number {
  let best = 0;
  for (let k = 1; k < length; k++) if (data[offset + k] > data[offset + best]) best = k;
  return best;
}

/** Top-1 accuracy as a fraction of 1. */
export function evaluateAccuracy(session: InferenceSession, dataset: ImageDataset, options: EvaluateOptions = {}): number {
  const batchSize = options.batchSize ?? 64;
  const total = Math.min(options.limit ?? dataset.count, dataset.count);
  const [inputName] = session.inputNames;
  const [outputName] = session.outputNames;
  let correct = 0;
  for (let start = 0; start < total; start += batchSize) {
    const count = Math.min(batchSize, total - start);
    const input = new Tensor("float32", toFloatBatch(dataset.images, start, count), [count, 1, dataset.rows, dataset.cols]);
    const logits = session.runSync({ [inputName]: input })[outputName];
    const classes = logits.dims[1];
    for (let i = 0; i < count; i++) {
      if (argmax(logits.data as Float32Array, i * classes, classes) === dataset.labels[start + i]) correct++;
    }
    options.onProgress?.(start + count, total);
  }
  return correct / total;
}
