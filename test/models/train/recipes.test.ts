import { describe, expect, it } from "vitest";
import { RECIPES, learningRateAt } from "../../../models/train/recipes.js";

describe("learningRateAt", () => {
  const recipe = { ...RECIPES.resnet, learningRate: 1, warmupEpochs: 0.5 };
  it("warms up linearly, peaks, then follows a cosine down to 0", () => {
    expect(learningRateAt(recipe, 0, 1000, 100)).toBeCloseTo(1 / 50);
    expect(learningRateAt(recipe, 49, 1000, 100)).toBeCloseTo(1);
    expect(learningRateAt(recipe, 50, 1000, 100)).toBeCloseTo(1);
    expect(learningRateAt(recipe, 525, 1000, 100)).toBeCloseTo(0.5);
    expect(learningRateAt(recipe, 1000, 1000, 100)).toBeCloseTo(0);
  });

  it("starts at the peak without warm-up", () => {
    expect(learningRateAt({ ...recipe, warmupEpochs: 0 }, 0, 1000, 100)).toBe(1);
  });
});
