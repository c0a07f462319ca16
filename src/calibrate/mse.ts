// Grid search of the clip range minimising the quantization mean squared error over the
// histogram. Candidates shrink each end of the observed range toward 0 in gridSize steps:
// [lo * i / G, hi * j / G] for i, j in 1..G. Symmetric quantization only depends on the larger
// end, so it searches i = j; asymmetric searches the (i, j) grid by coordinate descent (best j for
// the current i, then best i for that j, until neither moves), which costs O(G) evaluations per
// round instead of G^2. Ties keep the wider clip.
import { InvalidArgumentError } from "../errors.js";
import { qparamsFromRange, type QParamsOptions } from "../quant/qparams.js";
import { expectedSquaredError, gridOf, HistogramBasedObserver, type HistogramObserverOptions } from "./histogram.js";
import type { ClipRange } from "./observer.js";

export interface MseObserverOptions extends HistogramObserverOptions {
  /** Candidate fractions per end (default 100: steps of 1% of the observed extent). */
  readonly gridSize?: number;
}

const MAX_ROUNDS = 16;

export class MseObserver extends HistogramBasedObserver {
  readonly gridSize: number;

  constructor(options: MseObserverOptions = {}) {
    super(options);
    this.gridSize = options.gridSize ?? 100;
    if (!Number.isInteger(this.gridSize) || this.gridSize < 1) {
      throw new InvalidArgumentError(`gridSize must be a positive integer, got ${this.gridSize}`, { tensor: options.name });
    }
  }

  protected chooseClip(options: QParamsOptions): ClipRange {
    const h = this.histogram;
    const size = this.gridSize;
    const low = Math.min(h.min, 0);
    const high = Math.max(h.max, 0);
    const clipOf = (i: number, j: number): ClipRange => ({ lo: h.clamp((low * i) / size), hi: h.clamp((high * j) / size) });
    const errorOf = (i: number, j: number) => {
      const clip = clipOf(i, j);
      return expectedSquaredError(h, gridOf(qparamsFromRange(clip.lo, clip.hi, options, this.name)));
    };
    /** The best index for one end, scanning from the widest so that ties keep it. */
    const bestIndex = (error: (k: number) => number): number => {
      let best = size;
      let bestError = error(size);
      for (let k = size - 1; k >= 1; k--) {
        const e = error(k);
        if (e < bestError) {
          best = k;
          bestError = e;
        }
      }
      return best;
    };

    if (options.symmetric) {
      const k = bestIndex((k) => errorOf(k, k));
      return clipOf(k, k);
    }
    let i = size;
    let j = size;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const nextJ = high > 0 ? bestIndex((k) => errorOf(i, k)) : j;
      const nextI = low < 0 ? bestIndex((k) => errorOf(k, nextJ)) : i;
      if (nextI === i && nextJ === j) break;
      i = nextI;
      j = nextJ;
    }
    return clipOf(i, j);
  }
}
