import { describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import { quantizationErrorReport } from "../../src/quant/error-report.js";
import { qparamsFromRange } from "../../src/quant/qparams.js";
import { dequantize, quantize } from "../../src/quant/quantize.js";
import { InvalidArgumentError, ShapeError } from "../../src/errors.js";

describe("quantizationErrorReport", () => {
  test("hand-computed errors, SQNR and sizes", () => {
    const report = quantizationErrorReport(Float32Array.of(1, -2, 3, 0), Float32Array.of(1, -2.5, 3, 0.5), { bitsAfter: 8 });
    // |errors| = 0, 0.5, 0, 0.5; signal 1 + 4 + 9 = 14; noise 0.25 + 0.25 = 0.5.
    expect(report.meanAbsError).toBe(0.25);
    expect(report.maxAbsError).toBe(0.5);
    expect(report.sqnrDb).toBeCloseTo(10 * Math.log10(28), 12);
    expect(report.bytesBefore).toBe(16);
    expect(report.bytesAfter).toBe(4);
    expect(report.compared).toBe(4);
  });

  test("sub-byte widths round the size up", () => {
    const report = quantizationErrorReport(new Float32Array(5), new Float32Array(5), { bitsBefore: 16, bitsAfter: 4 });
    expect(report.bytesBefore).toBe(10);
    expect(report.bytesAfter).toBe(3);
  });

  test("a perfect reconstruction has infinite SQNR", () => {
    const data = Float32Array.of(0.5, -0.25);
    const report = quantizationErrorReport(data, data.slice(), { bitsAfter: 8 });
    expect(report.sqnrDb).toBe(Infinity);
    expect(report.maxAbsError).toBe(0);
  });

  test("non-finite originals are left out; a NaN reconstruction shows", () => {
    const skipped = quantizationErrorReport(Float32Array.of(Number.NaN, 2, Infinity), Float32Array.of(0, 1, 127), { bitsAfter: 8 });
    expect(skipped.compared).toBe(1);
    expect(skipped.meanAbsError).toBe(1);
    expect(skipped.maxAbsError).toBe(1);
    const broken = quantizationErrorReport(Float32Array.of(1, 2), Float32Array.of(Number.NaN, 2), { bitsAfter: 8 });
    expect(broken.maxAbsError).toBeNaN();
  });

  test("bad arguments are rejected", () => {
    expect(() => quantizationErrorReport(new Float32Array(2), new Float32Array(3), { bitsAfter: 8 })).toThrow(ShapeError);
    expect(() => quantizationErrorReport(new Float32Array(2), new Float32Array(2), { bitsAfter: 0 })).toThrow(InvalidArgumentError);
    expect(() => quantizationErrorReport(new Float32Array(2), new Float32Array(2), { bitsAfter: 8, bitsBefore: 1.5 })).toThrow(InvalidArgumentError);
  });

  test("uniform data at b bits: SQNR near 6.02 b dB", () => {
    const data = Float32Array.from({ length: 20000 }, (_, i) => ((i * 7919) % 20000) / 10000 - 1);
    for (const bits of [4, 8]) {
      const q = qparamsFromRange(-1, 1, { bits });
      const report = quantizationErrorReport(data, dequantize(quantize(data, q.scale, q.zeroPoint, q.qmin, q.qmax), q.scale, q.zeroPoint), { bitsAfter: bits });
      // Uniform full-scale signal: SQNR = 20 log10(2^b - 1) ≈ 6.02 b dB.
      expect(report.sqnrDb).toBeGreaterThan(20 * Math.log10(2 ** bits - 1) - 0.5);
      expect(report.sqnrDb).toBeLessThan(20 * Math.log10(2 ** bits - 1) + 0.5);
      expect(report.maxAbsError).toBeLessThanOrEqual(q.scale / 2 + 1e-7);
    }
  });

  test.prop([fc.float32Array({ noNaN: true, noDefaultInfinity: true, minLength: 1, maxLength: 64 }), fc.float32Array({ noNaN: true, noDefaultInfinity: true, minLength: 1, maxLength: 64 })])(
    "mean <= max and both are zero exactly when the reconstruction is exact",
    (a, b) => {
      const n = Math.min(a.length, b.length);
      const report = quantizationErrorReport(a.subarray(0, n), b.subarray(0, n), { bitsAfter: 8 });
      expect(report.meanAbsError).toBeLessThanOrEqual(report.maxAbsError);
      const exact = a.subarray(0, n).every((x, i) => x === b[i]);
      expect(report.maxAbsError === 0).toBe(exact);
    },
  );
});
