import { describe, expect, test } from "vitest";
import { MinMaxObserver } from "../../src/calibrate/minmax.js";
import { MovingAverageMinMaxObserver } from "../../src/calibrate/moving-average-minmax.js";
import { qparamsFromRange } from "../../src/quant/qparams.js";
import { InvalidArgumentError, QuantizationError, ShapeError } from "../../src/errors.js";

describe("MinMaxObserver", () => {
  test("the running min and max over batches", () => {
    const observer = new MinMaxObserver();
    observer.observe(Float32Array.of(1, -2, 3));
    expect(observer.range()).toEqual({ lo: -2, hi: 3 });
    observer.observe(Float32Array.of(5, 0), [2]);
    expect(observer.range()).toEqual({ lo: -2, hi: 5 });
    observer.observe(new Float32Array(0));
    expect(observer.range()).toEqual({ lo: -2, hi: 5 });
    expect(observer.computeQParams()).toEqual(qparamsFromRange(-2, 5));
    expect(observer.computeQParams({ bits: 4, symmetric: true })).toEqual(qparamsFromRange(-2, 5, { bits: 4, symmetric: true }));
  });

  test("a known outlier moves it", () => {
    const observer = new MinMaxObserver();
    observer.observe(Float32Array.of(-1, 0.5, 1));
    observer.observe(Float32Array.of(0, 100));
    expect(observer.range().hi).toBe(100);
  });

  test("NaNs are skipped and counted; a batch of only NaNs leaves the range", () => {
    const observer = new MinMaxObserver();
    observer.observe(Float32Array.of(Number.NaN, 2, Number.NaN, -1));
    observer.observe(Float32Array.of(Number.NaN));
    expect(observer.range()).toEqual({ lo: -1, hi: 2 });
    expect(observer.nanCount).toBe(3);
  });

  test("Infinity throws InvalidArgumentError naming the tensor", () => {
    const observer = new MinMaxObserver({ name: "relu_3" });
    expect(() => observer.observe(Float32Array.of(1, Infinity))).toThrow(InvalidArgumentError);
    expect(() => observer.observe(Float32Array.of(-Infinity))).toThrow(/tensor 'relu_3'.*-Infinity at element 0/);
  });

  test("no data, and dims that do not match, are errors", () => {
    const observer = new MinMaxObserver({ name: "x" });
    expect(() => observer.range()).toThrow(QuantizationError);
    observer.observe(Float32Array.of(Number.NaN));
    expect(() => observer.computeQParams()).toThrow(/no finite values/);
    expect(() => observer.observe(Float32Array.of(1, 2), [3])).toThrow(ShapeError);
  });
});

describe("MovingAverageMinMaxObserver", () => {
  test("follows min += c (batchMin - min) over 3 batches, the first initialising", () => {
    const observer = new MovingAverageMinMaxObserver({ averagingConstant: 0.5 });
    observer.observe(Float32Array.of(-1, 2));
    expect(observer.range()).toEqual({ lo: -1, hi: 2 });
    observer.observe(Float32Array.of(-3, 4, 0));
    // -1 + 0.5 (-3 + 1) = -2; 2 + 0.5 (4 - 2) = 3.
    expect(observer.range()).toEqual({ lo: -2, hi: 3 });
    observer.observe(Float32Array.of(1, 1));
    // -2 + 0.5 (1 + 2) = -0.5; 3 + 0.5 (1 - 3) = 2.
    expect(observer.range()).toEqual({ lo: -0.5, hi: 2 });
  });

  test("default constant 0.01", () => {
    const observer = new MovingAverageMinMaxObserver();
    expect(observer.averagingConstant).toBe(0.01);
    observer.observe(Float32Array.of(0, 1));
    observer.observe(Float32Array.of(-100, 101));
    observer.observe(Float32Array.of(0, 1));
    const first = { lo: -1, hi: 2 }; // after batch 2: 0 + 0.01 (-100 - 0), 1 + 0.01 (101 - 1)
    expect(observer.range().lo).toBeCloseTo(first.lo + 0.01 * (0 - first.lo), 12);
    expect(observer.range().hi).toBeCloseTo(first.hi + 0.01 * (1 - first.hi), 12);
  });

  test("NaN-only batches do not move the average", () => {
    const observer = new MovingAverageMinMaxObserver({ averagingConstant: 0.5 });
    observer.observe(Float32Array.of(-1, 1));
    observer.observe(Float32Array.of(Number.NaN, Number.NaN));
    expect(observer.range()).toEqual({ lo: -1, hi: 1 });
    expect(observer.nanCount).toBe(2);
  });

  test("the constant must be in (0, 1]", () => {
    for (const averagingConstant of [0, -0.1, 1.5, Number.NaN]) {
      expect(() => new MovingAverageMinMaxObserver({ averagingConstant })).toThrow(InvalidArgumentError);
    }
    expect(new MovingAverageMinMaxObserver({ averagingConstant: 1 }).averagingConstant).toBe(1);
  });
});
