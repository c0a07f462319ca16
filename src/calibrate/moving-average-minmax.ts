// Exponential moving averages of each batch's min and max (PyTorch MovingAverageMinMaxObserver):
// the first batch initialises them, then min += c * (batchMin - min), likewise max.
import { InvalidArgumentError } from "../errors.js";
import { MinMaxObserver } from "./minmax.js";
import type { BatchStats, ObserverOptions } from "./observer.js";

export interface MovingAverageOptions extends ObserverOptions {
  /** The weight c of the newest batch, in (0, 1] (default 0.01, as PyTorch). */
  readonly averagingConstant?: number;
}

export function checkAveragingConstant(constant: number, name?: string): number {
  if (!(constant > 0 && constant <= 1)) {
    throw new InvalidArgumentError(`averagingConstant must be in (0, 1], got ${constant}`, { tensor: name });
  }
  return constant;
}

export class MovingAverageMinMaxObserver extends MinMaxObserver {
  readonly averagingConstant: number;

  constructor(options: MovingAverageOptions = {}) {
    super(options);
    this.averagingConstant = checkAveragingConstant(options.averagingConstant ?? 0.01, options.name);
  }

  protected override accumulate(_data: Float32Array, stats: BatchStats): void {
    if (this.min > this.max) {
      this.min = stats.min;
      this.max = stats.max;
      return;
    }
    this.min += this.averagingConstant * (stats.min - this.min);
    this.max += this.averagingConstant * (stats.max - this.max);
  }
}
