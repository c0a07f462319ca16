import { describe, expect, it } from "vitest";
import { stratifiedSample, subset } from "../../../models/train/make-calibration-set.js";
import { InvalidArgumentError } from "../../../src/errors.js";

const labels = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7 + (i >> 3)) % 10);

describe("stratifiedSample", () => {
  it("takes distinct items, floor or ceil of count/classes from each class, the extra ones from the lowest classes", () => {
    const sample = stratifiedSample(labels, 512, 10, 1);
    expect(sample.length).toBe(512);
    expect(new Set(sample).size).toBe(512);
    const perClass = Array.from({ length: 10 }, (_, c) => Array.from(sample).filter((i) => labels[i] === c).length);
    expect(perClass).toEqual([52, 52, 51, 51, 51, 51, 51, 51, 51, 51]);
  });

  it("depends on the seed only, and mixes the classes", () => {
    expect(stratifiedSample(labels, 100, 10, 5)).toEqual(stratifiedSample(labels, 100, 10, 5));
    expect(stratifiedSample(labels, 100, 10, 5)).not.toEqual(stratifiedSample(labels, 100, 10, 6));
    const firstTwenty = new Set(Array.from(stratifiedSample(labels, 100, 10, 5).subarray(0, 20), (i) => labels[i]));
    expect(firstTwenty.size).toBeGreaterThan(5);
  });

  it("refuses a class with too few items", () => {
    expect(() => stratifiedSample(Uint8Array.from([0, 0, 0, 1]), 4, 2, 1)).toThrow(InvalidArgumentError);
  });
});

describe("subset", () => {
  it("copies the chosen images and labels in the chosen order", () => {
    const dataset = { images: Uint8Array.from([1, 1, 2, 2, 3, 3]), labels: Uint8Array.from([7, 8, 9]), count: 3, rows: 1, cols: 2 };
    expect(subset(dataset, [2, 0])).toEqual({ images: Uint8Array.from([3, 3, 1, 1]), labels: Uint8Array.from([9, 7]), count: 2, rows: 1, cols: 2 });
  });
});
