import { describe, expect, test } from "vitest";
import { PerChannelMinMaxObserver } from "../../src/calibrate/per-channel-minmax.js";
import { MovingAveragePerChannelMinMaxObserver } from "../../src/calibrate/moving-average-per-channel-minmax.js";
import { perChannelQParamsFromRanges } from "../../src/quant/qparams.js";
import { InvalidArgumentError, QuantizationError, ShapeError } from "../../src/errors.js";

// dims [2, 3, 2] (N, C, W): element (n, c, w) sits at 6n + 2c + w.
const batch1 = Float32Array.of(
  -1, 2, /**/ 0, 4, /**/ 8, -16,
  3, 0.5, /**/ -32, 1, /**/ 2, 6,
);
const batch2 = Float32Array.of(
  10, 0, /**/ 0, 0, /**/ 0, 0,
  0, 0, /**/ 0, 0, /**/ -20, 0,
);
const dims = [2, 3, 2];

describe("PerChannelMinMaxObserver", () => {
  test("per channel along axis 1 over two batches", () => {
    const observer = new PerChannelMinMaxObserver({ axis: 1 });
    observer.observe(batch1, dims);
    expect(observer.range()).toEqual({ lo: Float64Array.of(-1, -32, -16), hi: Float64Array.of(3, 4, 8) });
    observer.observe(batch2, dims);
    const range = observer.range();
    expect(range).toEqual({ lo: Float64Array.of(-1, -32, -20), hi: Float64Array.of(10, 4, 8) });
    const q = observer.computeQParams({ symmetric: true, range: "narrow" });
    expect(q).toEqual(perChannelQParamsFromRanges(range.lo, range.hi, 1, { symmetric: true, range: "narrow" }));
    expect(Array.from(q.scales)).toEqual([10 / 127, 32 / 127, 20 / 127].map(Math.fround));
  });

  test("along the last axis (-1) and axis 0", () => {
    const last = new PerChannelMinMaxObserver({ axis: -1 });
    last.observe(batch1, dims);
    expect(last.range()).toEqual({ lo: Float64Array.of(-32, -16), hi: Float64Array.of(8, 6) });
    expect(last.computeQParams().axis).toBe(2);
    const first = new PerChannelMinMaxObserver();
    first.observe(batch1, dims);
    expect(first.range()).toEqual({ lo: Float64Array.of(-16, -32), hi: Float64Array.of(8, 6) });
  });

  test("NaNs skipped per channel; a channel never seen is an error", () => {
    const observer = new PerChannelMinMaxObserver({ axis: 1, name: "w" });
    observer.observe(Float32Array.of(Number.NaN, 1, Number.NaN, 2), [2, 2]);
    expect(observer.nanCount).toBe(2);
    expect(() => observer.range()).toThrow(QuantizationError);
    expect(() => observer.range()).toThrow(/channel 0/);
    observer.observe(Float32Array.of(-5, 1, 7, 2), [2, 2]);
    expect(observer.range()).toEqual({ lo: Float64Array.of(-5, 1), hi: Float64Array.of(7, 2) });
  });

  test("dims are required and must keep the channel count", () => {
    const observer = new PerChannelMinMaxObserver({ axis: 1 });
    expect(() => observer.observe(batch1)).toThrow(ShapeError);
    observer.observe(batch1, dims);
    expect(() => observer.observe(batch1, [3, 2, 2])).toThrow(ShapeError);
    expect(() => new PerChannelMinMaxObserver({ name: "w" }).observe(Float32Array.of(0, Infinity), [1, 2])).toThrow(/tensor 'w'.*Infinity/);
    expect(() => observer.observe(Float32Array.of(-Infinity, 0, 0, 0, 0, 0), [1, 3, 2])).toThrow(InvalidArgumentError);
    expect(() => new PerChannelMinMaxObserver().range()).toThrow(QuantizationError);
  });
});

describe("MovingAveragePerChannelMinMaxObserver", () => {
  test("each channel follows the moving average over 3 batches (axis 1)", () => {
    const observer = new MovingAveragePerChannelMinMaxObserver({ axis: 1, averagingConstant: 0.5 });
    observer.observe(batch1, dims);
    observer.observe(batch2, dims);
    // channel 0: (-1, 3) then batch (0, 10): (-0.5, 6.5); channel 1: (-32, 4), (0, 0): (-16, 2);
    // channel 2: (-16, 8), (-20, 0): (-18, 4).
    expect(observer.range()).toEqual({ lo: Float64Array.of(-0.5, -16, -18), hi: Float64Array.of(6.5, 2, 4) });
    observer.observe(new Float32Array(12).fill(1), dims);
    expect(observer.range()).toEqual({ lo: Float64Array.of(0.25, -7.5, -8.5), hi: Float64Array.of(3.75, 1.5, 2.5) });
  });

  test("a channel's first finite batch initialises it", () => {
    const observer = new MovingAveragePerChannelMinMaxObserver({ axis: 0, averagingConstant: 0.5 });
    observer.observe(Float32Array.of(1, 2, Number.NaN, Number.NaN), [2, 2]);
    observer.observe(Float32Array.of(3, 4, -8, 8), [2, 2]);
    expect(observer.range()).toEqual({ lo: Float64Array.of(2, -8), hi: Float64Array.of(3, 8) });
  });
});
