// What every observer shares: the streaming contract (observe batches, then ask for a clip range
// and qparams), the checks on observed data, and the per-tensor base class.
//
// NaN in observed data is skipped and counted (nanCount): a NaN says nothing about the range, and
// at run time it quantizes to Z anyway. ±Infinity is an InvalidArgumentError naming the tensor:
// an infinite activation means the fp32 model is broken, and no finite clip could represent it.
import { InvalidArgumentError, QuantizationError } from "../errors.js";
import { validateDims } from "../quant/axis.js";
import { qparamsFromRange, type PerChannelQParams, type QParams, type QParamsOptions } from "../quant/qparams.js";

export interface ObserverOptions {
  /** The observed tensor's name, used in error messages. */
  readonly name?: string;
}

/** A clip range [lo, hi] with lo <= hi (not necessarily containing 0: qparams widen it). */
export interface ClipRange {
  readonly lo: number;
  readonly hi: number;
}

export interface ChannelClipRanges {
  readonly lo: Float64Array;
  readonly hi: Float64Array;
}

/** An observer with one clip range for the whole tensor. */
export interface TensorObserver {
  readonly perChannel: false;
  readonly name?: string;
  /** NaNs seen and skipped so far. */
  readonly nanCount: number;
  /** Adds one batch; dims, if given, must describe data.length elements. */
  observe(data: Float32Array, dims?: readonly number[]): void;
  /** The chosen clip; searching observers choose it for the quantization described by options. */
  range(options?: QParamsOptions): ClipRange;
  computeQParams(options?: QParamsOptions): QParams;
}

/** An observer with one clip range per index along a channel axis. */
export interface ChannelObserver {
  readonly perChannel: true;
  readonly name?: string;
  readonly nanCount: number;
  /** The channel axis as given (negative counts from the end). */
  readonly axis: number;
  /** dims are required: they locate the channel axis. */
  observe(data: Float32Array, dims?: readonly number[]): void;
  range(options?: QParamsOptions): ChannelClipRanges;
  computeQParams(options?: QParamsOptions): PerChannelQParams;
}

export type Observer = TensorObserver | ChannelObserver;

export interface BatchStats {
  /** Min and max of the non-NaN values (Infinity / -Infinity when there are none). */
  readonly min: number;
  readonly max: number;
  readonly finite: number;
  readonly nan: number;
}

/** One pass over a batch: min, max and counts; ±Infinity throws InvalidArgumentError. */
export function scanBatch(data: Float32Array, name?: string): BatchStats {
  let min = Infinity;
  let max = -Infinity;
  let nan = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== v) {
      nan++;
      continue;
    }
    if (v === Infinity || v === -Infinity) throw infiniteValueError(v, i, name);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max, finite: data.length - nan, nan };
}

export function infiniteValueError(value: number, index: number, name?: string): InvalidArgumentError {
  return new InvalidArgumentError(`observed ${value} at element ${index}: calibration data must be finite`, { tensor: name });
}

export function noDataError(name?: string, channel?: number): QuantizationError {
  const where = channel === undefined ? "" : ` in channel ${channel}`;
  return new QuantizationError(`no finite values observed${where}: run calibration batches before computing qparams`, { tensor: name });
}

/** Per-tensor observers: validation and NaN bookkeeping here, statistics in the subclass. */
export abstract class TensorObserverBase implements TensorObserver {
  readonly perChannel = false as const;
  readonly name?: string;
  private nans = 0;

  constructor(options: ObserverOptions = {}) {
    this.name = options.name;
  }

  get nanCount(): number {
    return this.nans;
  }

  observe(data: Float32Array, dims?: readonly number[]): void {
    if (dims !== undefined) validateDims(dims, data.length, this.name);
    const stats = scanBatch(data, this.name);
    this.nans += stats.nan;
    if (stats.finite > 0) this.accumulate(data, stats);
  }

  /** Adds a batch holding at least one finite value (NaNs included, to be skipped). */
  protected abstract accumulate(data: Float32Array, stats: BatchStats): void;

  abstract range(options?: QParamsOptions): ClipRange;

  computeQParams(options: QParamsOptions = {}): QParams {
    const { lo, hi } = this.range(options);
    return qparamsFromRange(lo, hi, options, this.name);
  }
}
