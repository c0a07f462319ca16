// The histogram shared by the percentile, histogram (L2), entropy and MSE observers.
//
// Streaming in bounded memory: a fixed number of equal bins over a grid [lowerEdge, upperEdge]
// that always contains 0 and every value seen. When a batch falls outside the grid, the grid grows
// by an integer factor k >= 2 in bin width, keeping its old edges as a subset of the new ones, so
// every old bin lies inside exactly one new bin and re-binning merges counts without smearing them
// (PyTorch's HistogramObserver interpolates instead). The cost is resolution: after a growth the
// data may span as little as half of the bins. Containing 0 costs nothing that matters: qparams
// widen the range to 0 anyway, so the histogram stays finer than the quantization grid.
import { InvalidArgumentError } from "../errors.js";
import type { QParams, QParamsOptions } from "../quant/qparams.js";
import { TensorObserverBase, noDataError, type BatchStats, type ClipRange, type ObserverOptions } from "./observer.js";

export const DEFAULT_BINS = 2048;

export class StreamingHistogram {
  readonly binCount: number;
  private bins: Float64Array;
  private spare: Float64Array;
  private lo = 0;
  /** 0 while every value seen is 0 (or none was seen): then all the mass sits in bin 0. */
  private width = 0;
  private count = 0;
  private observedMin = Infinity;
  private observedMax = -Infinity;

  constructor(binCount: number = DEFAULT_BINS) {
    if (!Number.isInteger(binCount) || binCount < 16) {
      throw new InvalidArgumentError(`a histogram needs an integer bin count >= 16, got ${binCount}`);
    }
    this.binCount = binCount;
    this.bins = new Float64Array(binCount);
    this.spare = new Float64Array(binCount);
  }

  /** The bin counts (the live array: read, do not write). Its length never changes. */
  get counts(): Float64Array {
    return this.bins;
  }

  get lowerEdge(): number {
    return this.lo;
  }

  get binWidth(): number {
    return this.width;
  }

  /** Values counted so far (NaNs are not). */
  get total(): number {
    return this.count;
  }

  /** The smallest and largest values seen (exact, not bin edges). */
  get min(): number {
    return this.observedMin;
  }

  get max(): number {
    return this.observedMax;
  }

  edge(bin: number): number {
    return this.lo + bin * this.width;
  }

  binOf(value: number): number {
    if (this.width === 0) return 0;
    const bin = Math.floor((value - this.lo) / this.width);
    return bin < 0 ? 0 : bin >= this.binCount ? this.binCount - 1 : bin;
  }

  /** Counts the non-NaN values of a batch whose finite min and max are given (no ±Infinity allowed). */
  add(values: Float32Array, min: number, max: number): void {
    this.cover(Math.min(min, 0), Math.max(max, 0));
    this.observedMin = Math.min(this.observedMin, min);
    this.observedMax = Math.max(this.observedMax, max);
    const bins = this.bins;
    const last = this.binCount - 1;
    const lo = this.lo;
    const perUnit = this.width === 0 ? 0 : 1 / this.width;
    let added = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v !== v) continue;
      const bin = Math.floor((v - lo) * perUnit);
      bins[bin < 0 ? 0 : bin > last ? last : bin]++;
      added++;
    }
    this.count += added;
  }

  /** Grows the grid, if needed, to contain [lo, hi] (lo <= 0 <= hi). */
  private cover(lo: number, hi: number): void {
    if (this.width === 0) {
      if (hi === lo) return;
      const zeros = this.bins[0];
      this.bins.fill(0);
      this.lo = lo;
      this.width = (hi - lo) / this.binCount;
      this.bins[this.binOf(0)] = zeros;
      return;
    }
    const top = this.edge(this.binCount);
    if (lo >= this.lo && hi <= top) return;
    const addLow = lo < this.lo ? Math.ceil((this.lo - lo) / this.width) : 0;
    const addHigh = hi > top ? Math.ceil((hi - top) / this.width) : 0;
    const needed = this.binCount + addLow + addHigh;
    const factor = Math.ceil(needed / this.binCount);
    // Headroom goes to the side(s) that grew: they are the likely ones to grow again.
    const headroom = factor * this.binCount - needed;
    const shift = addLow + (addHigh === 0 ? headroom : addLow === 0 ? 0 : Math.floor(headroom / 2));
    this.spare.fill(0);
    const last = this.binCount - 1;
    // The clamp only matters for growth factors near 2^53, where (i + shift) / factor rounds up.
    for (let i = 0; i < this.binCount; i++) this.spare[Math.min(Math.floor((i + shift) / factor), last)] += this.bins[i];
    [this.bins, this.spare] = [this.spare, this.bins];
    this.lo -= shift * this.width;
    this.width *= factor;
  }

  /** cumulative[i] = counts of bins 0..i-1 (length binCount + 1). */
  cumulative(): Float64Array {
    const sums = new Float64Array(this.binCount + 1);
    for (let i = 0; i < this.binCount; i++) sums[i + 1] = sums[i] + this.bins[i];
    return sums;
  }

  /** Mass at or below x, interpolating linearly inside a bin (values are taken as uniform within bins). */
  massBelow(x: number, cumulative: Float64Array): number {
    if (this.width === 0) return x >= 0 ? this.count : 0;
    const position = (x - this.lo) / this.width;
    if (position <= 0) return 0;
    if (position >= this.binCount) return this.count;
    const bin = Math.floor(position);
    return cumulative[bin] + (position - bin) * this.bins[bin];
  }

  /** The value below which a fraction p (0..1) of the mass lies, clamped to [min, max]. */
  quantile(p: number): number {
    if (this.width === 0) return 0;
    const target = p * this.count;
    let below = 0;
    for (let bin = 0; bin < this.binCount; bin++) {
      const mass = this.bins[bin];
      if (mass > 0 && below + mass >= target) {
        return this.clamp(this.edge(bin) + ((target - below) / mass) * this.width);
      }
      below += mass;
    }
    return this.observedMax;
  }

  clamp(value: number): number {
    return Math.min(Math.max(value, this.observedMin), this.observedMax);
  }
}

/** The quantization grid first, first + step, ..., first + (levels - 1) * step. */
export interface UniformGrid {
  readonly first: number;
  readonly step: number;
  readonly levels: number;
}

/** The points that the codes qmin..qmax dequantize to. */
export function gridOf(qparams: QParams): UniformGrid {
  const { scale, zeroPoint, qmin, qmax } = qparams;
  return { first: scale * (qmin - zeroPoint), step: scale, levels: qmax - qmin + 1 };
}

/**
 * ∫ from grid.first to x of e(t)^2 dt, where e(t) is the distance from t to what t quantizes to:
 * the nearest grid point inside the grid, the end point outside it (negative for x < first).
 */
function squaredErrorIntegral(x: number, grid: UniformGrid): number {
  const { first, step, levels } = grid;
  const cell = (step * step * step) / 12; // ∫ e^2 over one whole step
  const last = first + (levels - 1) * step;
  if (x <= first) {
    const d = first - x;
    return (-d * d * d) / 3;
  }
  if (x >= last) {
    const d = x - last;
    return (levels - 1) * cell + (d * d * d) / 3;
  }
  const t = x - first;
  const steps = Math.min(Math.floor(t / step), levels - 2);
  const r = t - steps * step;
  const d = r <= step / 2 ? r : step - r;
  const partial = (d * d * d) / 3;
  return steps * cell + (r <= step / 2 ? partial : cell - partial);
}

/**
 * The total squared error of quantizing every value in the histogram onto the grid (rounding
 * inside, saturation outside), with the values of a bin spread uniformly across it.
 */
export function expectedSquaredError(histogram: StreamingHistogram, grid: UniformGrid): number {
  const width = histogram.binWidth;
  if (width === 0) return 0; // all mass at 0, which every grid holds exactly
  const counts = histogram.counts;
  let error = 0;
  // The integral at a bin's upper edge is the next bin's lower one: compute each edge once.
  let lowerIntegral = Number.NaN;
  for (let bin = 0; bin < counts.length; bin++) {
    const mass = counts[bin];
    if (mass === 0) {
      lowerIntegral = Number.NaN;
      continue;
    }
    if (lowerIntegral !== lowerIntegral) lowerIntegral = squaredErrorIntegral(histogram.edge(bin), grid);
    const upperIntegral = squaredErrorIntegral(histogram.edge(bin + 1), grid);
    error += (mass / width) * (upperIntegral - lowerIntegral);
    lowerIntegral = upperIntegral;
  }
  return error;
}

export interface HistogramObserverOptions extends ObserverOptions {
  /** Number of bins (default 2048). */
  readonly bins?: number;
}

/** Per-tensor observers that keep a StreamingHistogram and search it for a clip range. */
export abstract class HistogramBasedObserver extends TensorObserverBase {
  readonly histogram: StreamingHistogram;

  constructor(options: HistogramObserverOptions = {}) {
    super(options);
    this.histogram = new StreamingHistogram(options.bins ?? DEFAULT_BINS);
  }

  protected accumulate(data: Float32Array, stats: BatchStats): void {
    this.histogram.add(data, stats.min, stats.max);
  }

  /** The chosen clip, always inside the observed [min, max]. */
  range(options: QParamsOptions = {}): ClipRange {
    const h = this.histogram;
    if (h.total === 0) throw noDataError(this.name);
    if (h.min === h.max) return { lo: h.min, hi: h.max };
    const clip = this.chooseClip(options);
    return { lo: h.clamp(clip.lo), hi: h.clamp(clip.hi) };
  }

  /** Searches the histogram (which holds at least two distinct values). */
  protected abstract chooseClip(options: QParamsOptions): ClipRange;
}
