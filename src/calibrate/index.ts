// Observers by calibration method name, and the observer family's public names.
import { InvalidArgumentError } from "../errors.js";
import { EntropyObserver } from "./entropy.js";
import { HistogramObserver } from "./histogram-observer.js";
import { MinMaxObserver } from "./minmax.js";
import { MovingAverageMinMaxObserver } from "./moving-average-minmax.js";
import { MovingAveragePerChannelMinMaxObserver } from "./moving-average-per-channel-minmax.js";
import { MseObserver } from "./mse.js";
import type { ChannelObserver, Observer, TensorObserver } from "./observer.js";
import { PercentileObserver, type PercentileMode } from "./percentile.js";
import { PerChannelMinMaxObserver } from "./per-channel-minmax.js";

export type ObserverMethod = "minmax" | "moving-average" | "percentile" | "histogram" | "entropy" | "mse";

export interface CreateObserverOptions {
  readonly name?: string;
  /** Per-channel observation along this axis ('minmax' and 'moving-average' only). */
  readonly axis?: number;
  /** 'moving-average': weight of the newest batch (default 0.01). */
  readonly averagingConstant?: number;
  /** 'percentile': in percent (default 99.99). */
  readonly percentile?: number;
  /** 'percentile': 'tails' (default) or 'abs'. */
  readonly mode?: PercentileMode;
  /** Histogram-based methods: bin count (default 2048). */
  readonly bins?: number;
  /** 'mse': candidate fractions per end (default 100). */
  readonly gridSize?: number;
}

const METHODS: readonly ObserverMethod[] = ["minmax", "moving-average", "percentile", "histogram", "entropy", "mse"];

export function createObserver(method: "minmax" | "moving-average", options: CreateObserverOptions & { axis: number }): ChannelObserver;
export function createObserver(method: ObserverMethod, options?: CreateObserverOptions & { axis?: undefined }): TensorObserver;
export function createObserver(method: ObserverMethod, options?: CreateObserverOptions): Observer;
export function createObserver(method: ObserverMethod, options: CreateObserverOptions = {}): Observer {
  if (!METHODS.includes(method)) {
    throw new InvalidArgumentError(`unknown calibration method '${String(method)}' (expected ${METHODS.join(", ")})`, { tensor: options.name });
  }
  if (options.axis !== undefined && method !== "minmax" && method !== "moving-average") {
    throw new InvalidArgumentError(`per-channel observation is only available for 'minmax' and 'moving-average', not '${method}'`, {
      tensor: options.name,
    });
  }
  switch (method) {
    case "minmax":
      return options.axis === undefined ? new MinMaxObserver(options) : new PerChannelMinMaxObserver(options);
    case "moving-average":
      return options.axis === undefined ? new MovingAverageMinMaxObserver(options) : new MovingAveragePerChannelMinMaxObserver(options);
    case "percentile":
      return new PercentileObserver(options);
    case "histogram":
      return new HistogramObserver(options);
    case "entropy":
      return new EntropyObserver(options);
    case "mse":
      return new MseObserver(options);
  }
}

export {
  scanBatch,
  TensorObserverBase,
  type ObserverOptions,
  type ClipRange,
  type ChannelClipRanges,
  type TensorObserver,
  type ChannelObserver,
  type Observer,
  type BatchStats,
} from "./observer.js";
export { MinMaxObserver } from "./minmax.js";
export { MovingAverageMinMaxObserver, type MovingAverageOptions } from "./moving-average-minmax.js";
export { PerChannelMinMaxObserver, type PerChannelObserverOptions } from "./per-channel-minmax.js";
export { MovingAveragePerChannelMinMaxObserver, type MovingAveragePerChannelOptions } from "./moving-average-per-channel-minmax.js";
export {
  StreamingHistogram,
  HistogramBasedObserver,
  expectedSquaredError,
  gridOf,
  DEFAULT_BINS,
  type UniformGrid,
  type HistogramObserverOptions,
} from "./histogram.js";
export { PercentileObserver, type PercentileMode, type PercentileObserverOptions } from "./percentile.js";
export { HistogramObserver } from "./histogram-observer.js";
export { EntropyObserver } from "./entropy.js";
export { MseObserver, type MseObserverOptions } from "./mse.js";
