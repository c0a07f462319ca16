import { describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import {
  createObserver,
  EntropyObserver,
  HistogramObserver,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  MseObserver,
  PercentileObserver,
  PerChannelMinMaxObserver,
  type ObserverMethod,
} from "../../src/calibrate/index.js";
import { dequantize, quantize } from "../../src/quant/quantize.js";
import type { QuantRangeKind } from "../../src/quant/qparams.js";
import { InvalidArgumentError } from "../../src/errors.js";

const METHODS: ObserverMethod[] = ["minmax", "moving-average", "percentile", "histogram", "entropy", "mse"];

describe("createObserver", () => {
  test("maps each method to its observer", () => {
    expect(createObserver("minmax")).toBeInstanceOf(MinMaxObserver);
    expect(createObserver("moving-average", { averagingConstant: 0.2 })).toBeInstanceOf(MovingAverageMinMaxObserver);
    expect(createObserver("percentile", { percentile: 99.9, mode: "abs" })).toMatchObject({ percentile: 99.9, mode: "abs" });
    expect(createObserver("percentile")).toBeInstanceOf(PercentileObserver);
    expect(createObserver("histogram")).toBeInstanceOf(HistogramObserver);
    expect(createObserver("entropy")).toBeInstanceOf(EntropyObserver);
    expect(createObserver("mse", { gridSize: 20 })).toMatchObject({ gridSize: 20 });
    expect((createObserver("mse", { bins: 512 }) as MseObserver).histogram.counts.length).toBe(512);
  });

  test("per channel with an axis", () => {
    const minmax = createObserver("minmax", { axis: 1, name: "w" });
    expect(minmax).toBeInstanceOf(PerChannelMinMaxObserver);
    expect(minmax.perChannel).toBe(true);
    expect(minmax.axis).toBe(1);
    expect(createObserver("moving-average", { axis: 0 })).toBeInstanceOf(MovingAveragePerChannelMinMaxObserver);
  });

  test("unknown methods and per-channel histograms are refused", () => {
    expect(() => createObserver("kl" as ObserverMethod)).toThrow(InvalidArgumentError);
    expect(() => createObserver("entropy", { axis: 0 } as never)).toThrow(/per-channel/);
  });
});

const batch = fc.float32Array({ minLength: 1, maxLength: 200, noDefaultInfinity: true, min: Math.fround(-1e4), max: Math.fround(1e4) });
const options = fc.record({
  bits: fc.integer({ min: 2, max: 16 }),
  symmetric: fc.boolean(),
  range: fc.constantFrom<QuantRangeKind>("signed", "narrow", "unsigned"),
});

describe("every observer", () => {
  test.prop([fc.constantFrom(...METHODS), fc.array(batch, { minLength: 1, maxLength: 4 }), options], { numRuns: 150 })(
    "gives a range inside the observed one, a scale > 0 and qparams whose range holds 0 exactly",
    (method, batches, qOptions) => {
      const observer = createObserver(method, { bins: 256 });
      for (const data of batches) observer.observe(data);
      const finite = batches.flatMap((data) => Array.from(data).filter((x) => !Number.isNaN(x)));
      const nans = batches.reduce((n, data) => n + data.filter(Number.isNaN).length, 0);
      expect(observer.nanCount).toBe(nans);
      if (finite.length === 0) {
        expect(() => observer.computeQParams(qOptions)).toThrow(/no finite values/);
        return;
      }
      const { lo, hi } = observer.range(qOptions);
      expect(lo).toBeLessThanOrEqual(hi);
      expect(lo).toBeGreaterThanOrEqual(Math.min(...finite));
      expect(hi).toBeLessThanOrEqual(Math.max(...finite));
      const q = observer.computeQParams(qOptions);
      expect(q.scale).toBeGreaterThan(0);
      expect(Number.isFinite(q.scale)).toBe(true);
      expect(q.scale * (q.qmin - q.zeroPoint)).toBeLessThanOrEqual(0);
      expect(q.scale * (q.qmax - q.zeroPoint)).toBeGreaterThanOrEqual(0);
      const zero = quantize(Float32Array.of(0), q.scale, q.zeroPoint, q.qmin, q.qmax);
      expect(dequantize(zero, q.scale, q.zeroPoint)[0]).toBe(0);
    },
  );

  test.prop([fc.constantFrom(...METHODS), batch], { numRuns: 60 })("with the default 2048 bins too", (method, data) => {
    const observer = createObserver(method);
    observer.observe(data);
    if (data.every(Number.isNaN)) return;
    const q = observer.computeQParams();
    expect(q.scale).toBeGreaterThan(0);
    expect(q.zeroPoint).toBeGreaterThanOrEqual(q.qmin);
    expect(q.zeroPoint).toBeLessThanOrEqual(q.qmax);
  });

  test.prop([fc.constantFrom<"minmax" | "moving-average">("minmax", "moving-average"), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 1000 })], { numRuns: 100 })(
    "per channel: every channel's scale > 0 and zero point a code",
    (method, channels, inner, seed) => {
      const observer = createObserver(method, { axis: -1 });
      const data = Float32Array.from({ length: inner * channels }, (_, i) => Math.sin(seed + i) * (i % 3));
      observer.observe(data, [inner, channels]);
      const q = observer.computeQParams({ bits: 8 });
      expect(q.scales.length).toBe(channels);
      for (let c = 0; c < channels; c++) {
        expect(q.scales[c]).toBeGreaterThan(0);
        expect(q.zeroPoints[c]).toBeGreaterThanOrEqual(q.qmin);
        expect(q.zeroPoints[c]).toBeLessThanOrEqual(q.qmax);
      }
    },
  );
});

describe("NaN handling is the same for every method", () => {
  test.each(METHODS)("%s skips and counts NaNs", (method) => {
    const observer = createObserver(method);
    observer.observe(Float32Array.of(Number.NaN, -1, 2, Number.NaN));
    expect(observer.nanCount).toBe(2);
    const { lo, hi } = observer.range();
    expect(lo).toBeGreaterThanOrEqual(-1);
    expect(hi).toBeLessThanOrEqual(2);
    expect(() => observer.observe(Float32Array.of(Infinity))).toThrow(InvalidArgumentError);
  });
});
