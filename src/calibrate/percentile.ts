// Clip at a percentile of the observed distribution, so that a few outliers do not stretch the
// scale: either of each tail ([q(1 - p), q(p)]) or of |x| ([-t, t] with p of the mass inside,
// as ONNX Runtime's and NVIDIA's percentile calibrators). Quantiles are interpolated within the
// streaming histogram's bins, so they are accurate to about one bin width.
import { InvalidArgumentError } from "../errors.js";
import { HistogramBasedObserver, type HistogramObserverOptions } from "./histogram.js";
import type { ClipRange } from "./observer.js";

export type PercentileMode = "tails" | "abs";

export interface PercentileObserverOptions extends HistogramObserverOptions {
  /** In percent, in (0, 100] (default 99.99). */
  readonly percentile?: number;
  /** 'tails' (default): each tail separately; 'abs': the percentile of |x|. */
  readonly mode?: PercentileMode;
}

const BISECTION_STEPS = 64;

export class PercentileObserver extends HistogramBasedObserver {
  readonly percentile: number;
  readonly mode: PercentileMode;

  constructor(options: PercentileObserverOptions = {}) {
    super(options);
    this.percentile = options.percentile ?? 99.99;
    this.mode = options.mode ?? "tails";
    if (!(this.percentile > 0 && this.percentile <= 100)) {
      throw new InvalidArgumentError(`percentile must be in (0, 100], got ${this.percentile}`, { tensor: options.name });
    }
    if (this.mode !== "tails" && this.mode !== "abs") {
      throw new InvalidArgumentError(`mode must be 'tails' or 'abs', got '${String(this.mode)}'`, { tensor: options.name });
    }
  }

  protected chooseClip(): ClipRange {
    const p = this.percentile / 100;
    const h = this.histogram;
    if (this.mode === "tails") return { lo: h.quantile(1 - p), hi: h.quantile(p) };
    const t = this.absQuantile(p);
    return { lo: -t, hi: t };
  }

  /** The smallest t with a fraction p of the mass in [-t, t], by bisection (the mass grows with t). */
  private absQuantile(p: number): number {
    const h = this.histogram;
    const cumulative = h.cumulative();
    const target = p * h.total;
    let low = 0;
    let high = Math.max(-h.min, h.max);
    for (let step = 0; step < BISECTION_STEPS; step++) {
      const t = (low + high) / 2;
      if (h.massBelow(t, cumulative) - h.massBelow(-t, cumulative) >= target) high = t;
      else low = t;
    }
    return high;
  }
}
