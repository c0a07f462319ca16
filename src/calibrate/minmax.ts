// The running minimum and maximum over every batch (PyTorch MinMaxObserver).
import type { QParamsOptions } from "../quant/qparams.js";
import { noDataError, TensorObserverBase, type BatchStats, type ClipRange } from "./observer.js";

export class MinMaxObserver extends TensorObserverBase {
  protected min = Infinity;
  protected max = -Infinity;

  protected accumulate(_data: Float32Array, stats: BatchStats): void {
    this.min = Math.min(this.min, stats.min);
    this.max = Math.max(this.max, stats.max);
  }

  /** [running min, running max]; the quantization options do not change it. */
  range(_options?: QParamsOptions): ClipRange {
    if (this.min > this.max) throw noDataError(this.name);
    return { lo: this.min, hi: this.max };
  }
}
