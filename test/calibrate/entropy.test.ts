import { describe, expect, test } from "vitest";
import { EntropyObserver } from "../../src/calibrate/entropy.js";

describe("entropy calibration on ReLU-like data", () => {
  test("a spike of exact zeros does not pull the 4-bit clip down to a sliver of the range", () => {
    const observer = new EntropyObserver();
    const data = Float32Array.from({ length: 20000 }, (_, i) => (i % 2 === 0 ? 0 : Math.abs(Math.sin(i * 0.37)) * 3));
    observer.observe(data);
    const { hi } = observer.range({ bits: 4, symmetric: false, range: "signed" });
    expect(hi).toBeGreaterThan(3 / 8);
  });
});
