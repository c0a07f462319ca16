// The running min and max of every channel along an axis (PyTorch PerChannelMinMaxObserver).
// Memory: two Float64Arrays of the channel count, whatever the number of batches.
import { ShapeError } from "../errors.js";
import { axisLayout, forEachChannelRun } from "../quant/axis.js";
import { perChannelQParamsFromRanges, type PerChannelQParams, type QParamsOptions } from "../quant/qparams.js";
import { infiniteValueError, noDataError, type ChannelClipRanges, type ChannelObserver, type ObserverOptions } from "./observer.js";

export interface PerChannelObserverOptions extends ObserverOptions {
  /** The channel axis (default 0); negative counts from the end. */
  readonly axis?: number;
}

export class PerChannelMinMaxObserver implements ChannelObserver {
  readonly perChannel = true as const;
  readonly name?: string;
  readonly axis: number;
  private nans = 0;
  /** Normalised once the first batch gives the rank. */
  private normalisedAxis = -1;
  /** Per channel; Infinity / -Infinity until the channel has seen a finite value. */
  protected min = new Float64Array(0);
  protected max = new Float64Array(0);

  constructor(options: PerChannelObserverOptions = {}) {
    this.name = options.name;
    this.axis = options.axis ?? 0;
  }

  get nanCount(): number {
    return this.nans;
  }

  observe(data: Float32Array, dims?: readonly number[]): void {
    if (dims === undefined) throw new ShapeError("per-channel observers need the dims of every batch", { tensor: this.name });
    const layout = axisLayout(dims, this.axis, data.length, this.name);
    if (this.normalisedAxis < 0) {
      this.normalisedAxis = layout.axis;
      this.min = new Float64Array(layout.channels).fill(Infinity);
      this.max = new Float64Array(layout.channels).fill(-Infinity);
    } else if (layout.channels !== this.min.length) {
      throw new ShapeError(`axis ${this.axis} has ${layout.channels} channels, earlier batches had ${this.min.length}`, { tensor: this.name });
    }
    const batchMin = new Float64Array(layout.channels).fill(Infinity);
    const batchMax = new Float64Array(layout.channels).fill(-Infinity);
    let nans = 0;
    forEachChannelRun(layout, (c, start, end) => {
      let lo = batchMin[c];
      let hi = batchMax[c];
      for (let i = start; i < end; i++) {
        const v = data[i];
        if (v !== v) {
          nans++;
          continue;
        }
        if (v === Infinity || v === -Infinity) throw infiniteValueError(v, i, this.name);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      batchMin[c] = lo;
      batchMax[c] = hi;
    });
    this.nans += nans;
    for (let c = 0; c < layout.channels; c++) {
      if (batchMin[c] <= batchMax[c]) this.merge(c, batchMin[c], batchMax[c]);
    }
  }

  /** Folds one channel's batch range (finite, lo <= hi) into the running statistics. */
  protected merge(channel: number, lo: number, hi: number): void {
    this.min[channel] = Math.min(this.min[channel], lo);
    this.max[channel] = Math.max(this.max[channel], hi);
  }

  /** Copies of the per-channel [min, max]; the quantization options do not change them. */
  range(_options?: QParamsOptions): ChannelClipRanges {
    if (this.normalisedAxis < 0) throw noDataError(this.name);
    for (let c = 0; c < this.min.length; c++) {
      if (this.min[c] > this.max[c]) throw noDataError(this.name, c);
    }
    return { lo: this.min.slice(), hi: this.max.slice() };
  }

  computeQParams(options: QParamsOptions = {}): PerChannelQParams {
    const { lo, hi } = this.range(options);
    return perChannelQParamsFromRanges(lo, hi, this.normalisedAxis, options, this.name);
  }
}
