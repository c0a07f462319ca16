// PyTorch's HistogramObserver idea: narrow the clip range bin by bin from the sparser tail (the
// side whose trimming clips the least mass so far), and keep the candidate whose quantization
// has the least squared (L2) error over the histogram. The error of each candidate is computed
// for the actual grid its qparams give (widened to 0, rounded scale and zero point), and the
// whole path is searched rather than stopping at the first increase.
import { qparamsFromRange, type QParamsOptions } from "../quant/qparams.js";
import { expectedSquaredError, gridOf, HistogramBasedObserver } from "./histogram.js";
import type { ClipRange } from "./observer.js";

export class HistogramObserver extends HistogramBasedObserver {
  protected chooseClip(options: QParamsOptions): ClipRange {
    const h = this.histogram;
    const counts = h.counts;
    const zeroBin = h.binOf(0);
    // The clip never moves past the bin of 0: qparams would widen it back to 0 anyway.
    let start = Math.min(h.binOf(h.min), zeroBin);
    let end = Math.max(h.binOf(h.max), zeroBin);
    const clipOf = (from: number, to: number): ClipRange => ({ lo: h.clamp(h.edge(from)), hi: h.clamp(h.edge(to + 1)) });
    const errorOf = (clip: ClipRange) => expectedSquaredError(h, gridOf(qparamsFromRange(clip.lo, clip.hi, options, this.name)));

    let best = clipOf(start, end);
    let bestError = errorOf(best);
    let clippedBelow = 0;
    let clippedAbove = 0;
    while (start < zeroBin || end > zeroBin) {
      const trimLow =
        end === zeroBin ||
        (start < zeroBin &&
          (clippedBelow + counts[start] < clippedAbove + counts[end] ||
            (clippedBelow + counts[start] === clippedAbove + counts[end] && zeroBin - start > end - zeroBin)));
      if (trimLow) clippedBelow += counts[start++];
      else clippedAbove += counts[end--];
      const clip = clipOf(start, end);
      const error = errorOf(clip);
      if (error < bestError) {
        best = clip;
        bestError = error;
      }
    }
    return best;
  }
}
