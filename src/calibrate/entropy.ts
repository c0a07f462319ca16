// TensorRT's entropy calibration: choose the clip whose quantized distribution Q loses the least
// information about the observed distribution P, minimising KL(P || Q) over the histogram.
//
// For a candidate clip, with its qparams' grid: P is the histogram over the bins that quantize
// without saturating (bin centre within half a step of the grid), with the mass outside folded
// into the two end bins. Q is what the quantizer keeps of the in-range mass: the bins falling in
// one quantization cell share that cell's in-range count equally among the bins where P is
// non-zero; the folded outliers are not in Q, which is what makes clipping cost something.
// Q is smoothed with a 1e-4 share of uniform mass so that log(p / q) stays finite.
//
// Candidates shrink both ends of the observed range (widened to 0) toward 0 together, one bin
// of the wider end at a time: for ReLU outputs this is exactly TensorRT's threshold search on
// [0, t]; symmetric quantization sees [-t, t]. Candidates whose quantization step is narrower
// than a bin are skipped, as TensorRT starts its search at as many bins as levels: the histogram
// cannot show what such a grid loses, and KL would then favour absurdly narrow clips; and, as in
// TensorRT, no clip narrower than 128 bins (1/16 of the histogram) is considered. When no
// candidate qualifies (high bit widths), the full observed range is used.
//
// The bin holding 0 is given its neighbour's count first (as NVIDIA's pytorch-quantization does):
// the exact zeros of ReLU outputs and image backgrounds are represented whatever the clip, and
// left as they are they dominate P and pull the clip far too low at 3-4 bits.
import { qparamsFromRange, type QParamsOptions } from "../quant/qparams.js";
import { gridOf, HistogramBasedObserver, type StreamingHistogram, type UniformGrid } from "./histogram.js";
import type { ClipRange } from "./observer.js";

const SMOOTHING = 1e-4;
const MIN_CLIP_BINS = 128;

/** Counts with the zero bin flattened to its larger neighbour, and their running sums. */
function withoutZeroSpike(h: StreamingHistogram): { counts: Float64Array; cumulative: Float64Array; total: number } {
  const counts = h.counts.slice();
  const zero = h.binOf(0);
  const neighbours = [zero - 1, zero + 1].filter((b) => b >= 0 && b < counts.length).map((b) => counts[b]);
  if (neighbours.length) counts[zero] = Math.min(counts[zero], Math.max(...neighbours));
  const cumulative = new Float64Array(counts.length + 1);
  for (let i = 0; i < counts.length; i++) cumulative[i + 1] = cumulative[i] + counts[i];
  return { counts, cumulative, total: cumulative[counts.length] };
}

export class EntropyObserver extends HistogramBasedObserver {
  protected chooseClip(options: QParamsOptions): ClipRange {
    const h = this.histogram;
    const low = Math.min(h.min, 0);
    const high = Math.max(h.max, 0);
    const steps = Math.max(1, Math.ceil(Math.max(-low, high) / h.binWidth));
    const flattened = withoutZeroSpike(h);
    let best: ClipRange = { lo: h.min, hi: h.max };
    let bestDivergence = Infinity;
    // From the widest down, so that ties keep the wider clip.
    for (let k = steps; k >= Math.min(steps, MIN_CLIP_BINS); k--) {
      const clip = { lo: h.clamp((low * k) / steps), hi: h.clamp((high * k) / steps) };
      const grid = gridOf(qparamsFromRange(clip.lo, clip.hi, options, this.name));
      if (grid.step < h.binWidth) break;
      const divergence = klDivergence(h, flattened, grid);
      if (divergence < bestDivergence) {
        best = clip;
        bestDivergence = divergence;
      }
    }
    return best;
  }
}

/** KL(P || Q) for one grid, as described above; Infinity when no mass falls in range. */
function klDivergence(
  h: StreamingHistogram,
  { counts, cumulative, total }: { counts: Float64Array; cumulative: Float64Array; total: number },
  grid: UniformGrid,
): number {
  const width = h.binWidth;
  const { first, step, levels } = grid;
  const centreOf = (bin: number) => h.edge(bin) + width / 2;
  // Bins whose centre quantizes without saturating: [first - step/2, last + step/2].
  const startBin = Math.max(0, Math.ceil((first - step / 2 - h.lowerEdge) / width - 0.5));
  const endBin = Math.min(counts.length - 1, Math.floor((first + (levels - 0.5) * step - h.lowerEdge) / width - 0.5));
  if (startBin > endBin) return Infinity;
  const below = cumulative[startBin];
  const above = total - cumulative[endBin + 1];
  const inRange = total - below - above;
  if (inRange === 0) return Infinity;
  const pOf = (bin: number) => counts[bin] + (bin === startBin ? below : 0) + (bin === endBin ? above : 0);
  const uniform = SMOOTHING / (endBin - startBin + 1);
  const cellOf = (bin: number) => Math.min(Math.max(Math.round((centreOf(bin) - first) / step), 0), levels - 1);

  let divergence = 0;
  let runStart = startBin;
  while (runStart <= endBin) {
    const cell = cellOf(runStart);
    let runEnd = runStart;
    let cellMass = 0;
    let occupied = 0;
    for (; runEnd <= endBin && cellOf(runEnd) === cell; runEnd++) {
      cellMass += counts[runEnd];
      if (pOf(runEnd) > 0) occupied++;
    }
    for (let bin = runStart; bin < runEnd; bin++) {
      const mass = pOf(bin);
      if (mass === 0) continue;
      const p = mass / total;
      const q = (1 - SMOOTHING) * (cellMass / occupied / inRange) + uniform;
      divergence += p * Math.log(p / q);
    }
    runStart = runEnd;
  }
  return divergence;
}
