import { describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import { expectedSquaredError, gridOf, HistogramBasedObserver, StreamingHistogram } from "../../src/calibrate/histogram.js";
import { createObserver } from "../../src/calibrate/index.js";
import { qparamsFromRange } from "../../src/quant/qparams.js";
import { dequantize, quantize } from "../../src/quant/quantize.js";
import { InvalidArgumentError } from "../../src/errors.js";
import { laplaceBatch, uniformBatch, uniformStream } from "../helpers/distributions.js";

function addBatch(h: StreamingHistogram, values: Float32Array): void {
  const finite = values.filter((v) => !Number.isNaN(v));
  h.add(values, Math.min(...finite), Math.max(...finite));
}

describe("StreamingHistogram", () => {
  test("the first batch spans [min(lo, 0), max(hi, 0)] in equal bins", () => {
    const h = new StreamingHistogram(16);
    addBatch(h, Float32Array.of(2, 4, 8, 8));
    expect([h.lowerEdge, h.binWidth, h.total, h.min, h.max]).toEqual([0, 0.5, 4, 2, 8]);
    // 2 -> bin 4, 4 -> bin 8, 8 (the top edge) -> the last bin.
    expect(Array.from(h.counts).flatMap((c, i) => (c ? [[i, c]] : []))).toEqual([[4, 1], [8, 1], [15, 2]]);
  });

  test("growth merges whole bins: the high side doubles the width", () => {
    const h = new StreamingHistogram(16);
    addBatch(h, Float32Array.of(0, 1, 8)); // width 0.5 over [0, 8]
    addBatch(h, Float32Array.of(9)); // needs [0, 9]: width 1 over [0, 16], old bins pair up
    expect([h.lowerEdge, h.binWidth, h.total]).toEqual([0, 1, 4]);
    expect(Array.from(h.counts).flatMap((c, i) => (c ? [[i, c]] : []))).toEqual([[0, 1], [1, 1], [7, 1], [9, 1]]);
  });

  test("growth on the low side puts the headroom below", () => {
    const h = new StreamingHistogram(16);
    addBatch(h, Float32Array.of(0, 8)); // [0, 8], width 0.5
    addBatch(h, Float32Array.of(-1)); // 2 more bins below: factor 2, the 14 spare old bins also below
    expect([h.lowerEdge, h.binWidth, h.edge(16)]).toEqual([-8, 1, 8]);
    expect(h.counts[h.binOf(-1)]).toBe(1);
    expect(h.counts[8]).toBe(1); // the old bin of 0
  });

  test("a batch of zeros, then real data", () => {
    const h = new StreamingHistogram(16);
    addBatch(h, new Float32Array(5));
    expect([h.binWidth, h.total, h.counts[0]]).toEqual([0, 5, 5]);
    expect(h.quantile(0.5)).toBe(0);
    addBatch(h, Float32Array.of(-4, 4));
    expect([h.lowerEdge, h.binWidth, h.total]).toEqual([-4, 0.5, 7]);
    expect(h.counts[8]).toBe(5);
  });

  test("NaNs are not counted", () => {
    const h = new StreamingHistogram(16);
    addBatch(h, Float32Array.of(Number.NaN, 1, Number.NaN));
    expect(h.total).toBe(1);
  });

  test("quantiles interpolate within bins and stay inside [min, max]", () => {
    const h = new StreamingHistogram(100);
    addBatch(h, Float32Array.from({ length: 1000 }, (_, i) => (i + 0.5) / 10)); // uniform over [0, 100]
    // Bins are 99.95 / 100 wide, so interpolation is exact only to a fraction of a bin.
    expect(h.quantile(0.5)).toBeCloseTo(50, 1);
    expect(h.quantile(0.25)).toBeCloseTo(25, 1);
    expect(h.quantile(0)).toBe(Math.fround(0.05));
    expect(h.quantile(1)).toBe(Math.fround(99.95));
  });

  test("bin counts below 16 are refused", () => {
    expect(() => new StreamingHistogram(8)).toThrow(InvalidArgumentError);
  });

  test.prop([fc.array(fc.tuple(fc.double({ min: -1000, max: 1000, noNaN: true }), fc.double({ min: 0, max: 500, noNaN: true })), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 1 << 30 })], { numRuns: 200 })(
    "after any sequence of growths, the counts equal a direct binning of all the data on the final grid",
    (batchSpecs, seed) => {
      const next = uniformStream(seed);
      const h = new StreamingHistogram(64);
      const all: number[] = [];
      for (const [centre, spread] of batchSpecs) {
        const batch = uniformBatch(next, 50, centre - spread, centre + spread);
        addBatch(h, batch);
        all.push(...batch);
      }
      expect(h.counts.length).toBe(64);
      expect(h.total).toBe(all.length);
      if (h.binWidth === 0) {
        expect(all.every((v) => v === 0)).toBe(true);
        return;
      }
      // The grid holds every value, up to rounding of its edges.
      expect(h.lowerEdge).toBeLessThanOrEqual(Math.min(0, ...all) + 1e-9 * h.binWidth);
      expect(h.edge(64)).toBeGreaterThanOrEqual(Math.max(0, ...all) - 1e-9 * h.binWidth);
      const direct = new Float64Array(64);
      let ambiguous = 0;
      for (const v of all) {
        const position = (v - h.lowerEdge) / h.binWidth;
        // Values within rounding of a bin edge may fall on either side of it.
        if (Math.abs(position - Math.round(position)) < 1e-9 && position > 0.5 && position < 63.5) ambiguous++;
        direct[Math.min(Math.max(Math.floor(position), 0), 63)]++;
      }
      expect(h.counts.reduce((x, y) => x + y, 0)).toBe(all.length);
      const differing = direct.reduce((sum, count, i) => sum + Math.abs(count - h.counts[i]), 0);
      expect(differing).toBeLessThanOrEqual(2 * ambiguous);
    },
  );
});

describe("expectedSquaredError", () => {
  /** Midpoint-rule integration of the real quantize-dequantize error over each bin. */
  function bruteForce(h: StreamingHistogram, q: ReturnType<typeof qparamsFromRange>): number {
    const samplesPerBin = 2000;
    let error = 0;
    for (let bin = 0; bin < h.binCount; bin++) {
      if (h.counts[bin] === 0) continue;
      const points = Float32Array.from({ length: samplesPerBin }, (_, i) => h.edge(bin) + ((i + 0.5) / samplesPerBin) * h.binWidth);
      const back = dequantize(quantize(points, q.scale, q.zeroPoint, q.qmin, q.qmax), q.scale, q.zeroPoint);
      let sum = 0;
      for (let i = 0; i < samplesPerBin; i++) sum += (points[i] - back[i]) ** 2;
      error += (h.counts[bin] * sum) / samplesPerBin;
    }
    return error;
  }

  test("matches brute-force integration, inside and beyond the clip", () => {
    const h = new StreamingHistogram(32);
    addBatch(h, laplaceBatch(uniformStream(7), 500, 2));
    for (const [lo, hi, bits] of [[h.min, h.max, 3], [-2, 3, 3], [-1, 1, 2], [-0.5, 6, 4]] as const) {
      const q = qparamsFromRange(lo, hi, { bits });
      const exact = expectedSquaredError(h, gridOf(q));
      expect(exact).toBeCloseTo(bruteForce(h, q), 1);
      expect(Math.abs(exact - bruteForce(h, q)) / exact).toBeLessThan(2e-3);
    }
  });

  test("is zero for a grid finer than nothing: all mass at 0", () => {
    const h = new StreamingHistogram(16);
    addBatch(h, new Float32Array(4));
    expect(expectedSquaredError(h, gridOf(qparamsFromRange(-1, 1)))).toBe(0);
  });
});

describe("memory is bounded", () => {
  test("the histogram length does not grow with batches, whatever their range", () => {
    const next = uniformStream(3);
    for (const method of ["percentile", "histogram", "entropy", "mse"] as const) {
      const observer = createObserver(method);
      expect(observer).toBeInstanceOf(HistogramBasedObserver);
      const histogram = (observer as HistogramBasedObserver).histogram;
      const counts = histogram.counts.length;
      for (let batch = 0; batch < 40; batch++) {
        const spread = 2 ** (batch / 2);
        observer.observe(uniformBatch(next, 256, -spread, spread * 1.5));
        expect(histogram.counts.length).toBe(counts);
      }
      expect(counts).toBe(2048);
      expect(histogram.total).toBe(40 * 256);
    }
  });
});
