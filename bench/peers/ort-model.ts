// A model loaded in ONNX Runtime (Web or Node: both expose onnxruntime-common's session API), as
// the benchmark's LoadedModel. Each package builds its own Tensor class, so the caller passes it.
import type { Batch, LoadedModel } from "./types.js";

interface OrtSession {
  readonly outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
  release(): Promise<void>;
}

export type OrtTensorOf = (batch: Batch) => unknown;

export class OrtModel implements LoadedModel {
  constructor(
    private readonly session: OrtSession,
    private readonly inputName: string,
    private readonly tensorOf: OrtTensorOf,
  ) {}

  async infer(batch: Batch): Promise<Float32Array> {
    const outputs = await this.session.run({ [this.inputName]: this.tensorOf(batch) });
    return Float32Array.from(outputs[this.session.outputNames[0]].data as Float32Array);
  }

  prepareCall(batch: Batch): () => Promise<unknown> {
    const feeds = { [this.inputName]: this.tensorOf(batch) };
    return () => this.session.run(feeds);
  }

  dispose(): void {
    void this.session.release();
  }
}
