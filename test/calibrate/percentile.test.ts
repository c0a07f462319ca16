import { describe, expect, test } from "vitest";
import { MinMaxObserver } from "../../src/calibrate/minmax.js";
import { PercentileObserver } from "../../src/calibrate/percentile.js";
import { InvalidArgumentError } from "../../src/errors.js";
import { uniformBatch, uniformStream } from "../helpers/distributions.js";

describe("PercentileObserver", () => {
  test("a known outlier moves min-max but not the 99.99th percentile", () => {
    const next = uniformStream(11);
    const minmax = new MinMaxObserver();
    const percentile = new PercentileObserver();
    for (let batch = 0; batch < 10; batch++) {
      const data = uniformBatch(next, 10_000, -1, 1);
      if (batch === 4) data[123] = 100;
      minmax.observe(data);
      percentile.observe(data);
    }
    expect(minmax.range().hi).toBe(100);
    const { lo, hi } = percentile.range();
    // The outlier widened the bins to about 0.1; the percentile is still found within one of them.
    expect(hi).toBeGreaterThan(0.85);
    expect(hi).toBeLessThan(1.1);
    expect(lo).toBeLessThan(-0.85);
    expect(lo).toBeGreaterThan(-1.0001);
  });

  test("tails: each side's quantile (uniform [-1, 3], p = 90%)", () => {
    const observer = new PercentileObserver({ percentile: 90 });
    observer.observe(Float32Array.from({ length: 40_000 }, (_, i) => -1 + (4 * (i + 0.5)) / 40_000));
    const { lo, hi } = observer.range();
    expect(lo).toBeCloseTo(-0.6, 2);
    expect(hi).toBeCloseTo(2.6, 2);
  });

  test("abs: the percentile of |x|, as [-t, t] cut to the observed range", () => {
    // Uniform on [-1, 3]: P(|x| <= t) = t / 2 for t <= 1, so the 50th percentile of |x| is 1.
    const observer = new PercentileObserver({ percentile: 50, mode: "abs" });
    observer.observe(Float32Array.from({ length: 40_000 }, (_, i) => -1 + (4 * (i + 0.5)) / 40_000));
    const { lo, hi } = observer.range();
    expect(hi).toBeCloseTo(1, 2);
    expect(lo).toBeCloseTo(-1, 2);
    // ReLU-like data: the negative side is cut to the observed minimum, 0.
    const relu = new PercentileObserver({ percentile: 99, mode: "abs" });
    relu.observe(Float32Array.from({ length: 10_000 }, (_, i) => i / 10_000));
    expect(relu.range().lo).toBe(0);
    expect(relu.range().hi).toBeCloseTo(0.99, 2);
  });

  test("100% is the min-max range; constant data is its own range", () => {
    const observer = new PercentileObserver({ percentile: 100 });
    observer.observe(Float32Array.of(-3, 0.5, 7));
    expect(observer.range()).toEqual({ lo: -3, hi: 7 });
    const constant = new PercentileObserver();
    constant.observe(Float32Array.of(2.5, 2.5));
    expect(constant.range()).toEqual({ lo: 2.5, hi: 2.5 });
  });

  test("options are validated", () => {
    expect(() => new PercentileObserver({ percentile: 0 })).toThrow(InvalidArgumentError);
    expect(() => new PercentileObserver({ percentile: 101 })).toThrow(InvalidArgumentError);
    expect(() => new PercentileObserver({ mode: "both" as "abs" })).toThrow(InvalidArgumentError);
  });
});
