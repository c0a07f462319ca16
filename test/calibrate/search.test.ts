// The observers that search the histogram for a clip: L2 (HistogramObserver), entropy and MSE.
import { describe, expect, test } from "vitest";
import { EntropyObserver } from "../../src/calibrate/entropy.js";
import { HistogramObserver } from "../../src/calibrate/histogram-observer.js";
import { MinMaxObserver } from "../../src/calibrate/minmax.js";
import { MseObserver } from "../../src/calibrate/mse.js";
import type { TensorObserver } from "../../src/calibrate/observer.js";
import { InvalidArgumentError } from "../../src/errors.js";
import { qparamsFromRange } from "../../src/quant/qparams.js";
import { dequantize, quantize } from "../../src/quant/quantize.js";
import { laplaceBatch, longTailedBatch, uniformBatch, uniformStream } from "../helpers/distributions.js";

function observeAll(observer: TensorObserver, batches: Float32Array[]): TensorObserver {
  for (const batch of batches) observer.observe(batch);
  return observer;
}

const next = uniformStream(2024);
const longTailed = Array.from({ length: 5 }, () => longTailedBatch(next, 20_000));
const uniform = Array.from({ length: 5 }, () => uniformBatch(next, 20_000, -1, 3));
const reluLongTailed = longTailed.map((batch) => batch.map((x) => Math.max(x, 0)));
const minmaxOf = (batches: Float32Array[]) => observeAll(new MinMaxObserver(), batches).range();
const concat = (batches: Float32Array[]) => Float32Array.from(batches.flatMap((batch) => Array.from(batch)));

/** The squared error of really quantizing data with the qparams of [lo, hi]. */
function squaredError(data: Float32Array, lo: number, hi: number, bits: number, symmetric = false): number {
  const q = qparamsFromRange(lo, hi, { bits, symmetric });
  const back = dequantize(quantize(data, q.scale, q.zeroPoint, q.qmin, q.qmax), q.scale, q.zeroPoint);
  return data.reduce((sum, x, i) => sum + (x - back[i]) ** 2, 0);
}

describe.each([
  ["HistogramObserver (L2)", () => new HistogramObserver()],
  ["EntropyObserver (KL)", () => new EntropyObserver()],
  ["MseObserver", () => new MseObserver()],
] as const)("%s", (_name, create) => {
  test("clips strictly inside the range of a long-tailed distribution", () => {
    const full = minmaxOf(longTailed);
    for (const options of [{}, { symmetric: true }, { bits: 4 }]) {
      const { lo, hi } = observeAll(create(), longTailed).range(options);
      expect(lo).toBeGreaterThan(full.lo);
      expect(hi).toBeLessThan(full.hi);
      // The tail reaches a few hundred, the Laplace(1) bulk about 10: no clip cuts deep into the bulk.
      expect(Math.max(-lo, hi)).toBeLessThan(0.9 * Math.max(-full.lo, full.hi));
      expect(Math.max(-lo, hi)).toBeGreaterThan(3);
    }
  });

  test("keeps 0 as the lower end for ReLU outputs and clips the upper one", () => {
    const full = minmaxOf(reluLongTailed);
    const { lo, hi } = observeAll(create(), reluLongTailed).range();
    expect(lo).toBe(0);
    expect(hi).toBeLessThan(0.97 * full.hi);
    expect(hi).toBeGreaterThan(5);
  });

  test("stays close to min-max on uniform data at 8 bits", () => {
    const { lo, hi } = observeAll(create(), uniform).range();
    const full = minmaxOf(uniform);
    expect(Math.abs(lo - full.lo)).toBeLessThan(0.02 * (full.hi - full.lo));
    expect(Math.abs(hi - full.hi)).toBeLessThan(0.02 * (full.hi - full.lo));
  });
});

describe("search details", () => {
  test.each([
    ["HistogramObserver (L2)", () => new HistogramObserver()],
    ["MseObserver", () => new MseObserver()],
  ] as const)("%s: the clip quantizes a long tail with less squared error than min-max (4 bits)", (_name, create) => {
    const data = concat(longTailed);
    const clip = observeAll(create(), longTailed).range({ bits: 4 });
    const full = minmaxOf(longTailed);
    expect(squaredError(data, clip.lo, clip.hi, 4)).toBeLessThan(squaredError(data, full.lo, full.hi, 4));
  });

  test("L2 and MSE clips have the least squared error among nearby clips", () => {
    const data = concat(longTailed);
    for (const observer of [observeAll(new HistogramObserver(), longTailed), observeAll(new MseObserver(), longTailed)]) {
      const { lo, hi } = observer.range({ symmetric: true });
      const best = squaredError(data, lo, hi, 8, true);
      expect(best).toBeLessThan(squaredError(data, 0.6 * lo, 0.6 * hi, 8, true));
      expect(best).toBeLessThan(squaredError(data, lo / 0.6, hi / 0.6, 8, true));
    }
  });

  test("entropy at 16 bits: cells finer than bins, so the full range", () => {
    const observer = observeAll(new EntropyObserver(), longTailed);
    expect(observer.range({ bits: 16 })).toEqual(minmaxOf(longTailed));
  });

  test("more bits clip less (Laplace, MSE and L2)", () => {
    const laplace = [laplaceBatch(uniformStream(5), 50_000)];
    for (const observer of [observeAll(new MseObserver(), laplace), observeAll(new HistogramObserver(), laplace)]) {
      const at4 = observer.range({ bits: 4 }).hi;
      const at8 = observer.range({ bits: 8 }).hi;
      expect(at4).toBeLessThan(at8);
    }
  });

  test("MSE grid: candidates are multiples of 1/gridSize of each end", () => {
    const observer = observeAll(new MseObserver({ gridSize: 10 }), longTailed);
    const full = minmaxOf(longTailed);
    const { hi } = observer.range({ symmetric: true });
    const k = (hi / full.hi) * 10;
    expect(Math.abs(k - Math.round(k)) < 1e-9 || hi === full.hi).toBe(true);
    expect(() => new MseObserver({ gridSize: 0 })).toThrow(InvalidArgumentError);
  });
});
