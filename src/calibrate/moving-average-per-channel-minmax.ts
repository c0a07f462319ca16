// Per-channel moving averages of each batch's min and max (PyTorch
// MovingAveragePerChannelMinMaxObserver): a channel's first batch initialises it, then
// min[c] += c_avg * (batchMin[c] - min[c]), likewise max.
import { checkAveragingConstant } from "./moving-average-minmax.js";
import { PerChannelMinMaxObserver, type PerChannelObserverOptions } from "./per-channel-minmax.js";

export interface MovingAveragePerChannelOptions extends PerChannelObserverOptions {
  /** The weight of the newest batch, in (0, 1] (default 0.01). */
  readonly averagingConstant?: number;
}

export class MovingAveragePerChannelMinMaxObserver extends PerChannelMinMaxObserver {
  readonly averagingConstant: number;

  constructor(options: MovingAveragePerChannelOptions = {}) {
    super(options);
    this.averagingConstant = checkAveragingConstant(options.averagingConstant ?? 0.01, options.name);
  }

  protected override merge(channel: number, lo: number, hi: number): void {
    if (this.min[channel] > this.max[channel]) {
      this.min[channel] = lo;
      this.max[channel] = hi;
      return;
    }
    this.min[channel] += this.averagingConstant * (lo - this.min[channel]);
    this.max[channel] += this.averagingConstant * (hi - this.max[channel]);
  }
}
