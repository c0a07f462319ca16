// How each model is trained: the figures in models/README.md come from these defaults.
import type { ModelName } from "./architectures.js";
import type { Augmentation } from "./batches.js";

export interface Recipe {
  readonly epochs: number;
  readonly batchSize: number;
  /** Peak Adam learning rate, reached after the warm-up and then decayed to 0 along a cosine. */
  readonly learningRate: number;
  readonly warmupEpochs: number;
  readonly augmentation?: Augmentation;
}

export const RECIPES: Record<ModelName, Recipe> = {
  simplenet: { epochs: 10, batchSize: 64, learningRate: 2e-3, warmupEpochs: 0 },
  mlp: { epochs: 12, batchSize: 64, learningRate: 1e-3, warmupEpochs: 0 },
  resnet: { epochs: 6, batchSize: 64, learningRate: 3e-3, warmupEpochs: 0.5, augmentation: { maxShift: 2, horizontalFlip: true } },
};

/** Learning rate at step `step` of `totalSteps` (linear warm-up, then half a cosine down to 0). */
export function learningRateAt(recipe: Recipe, step: number, totalSteps: number, stepsPerEpoch: number): number {
  const warmup = Math.round(recipe.warmupEpochs * stepsPerEpoch);
  if (step < warmup) return (recipe.learningRate * (step + 1)) / warmup;
  const progress = (step - warmup) / Math.max(1, totalSteps - warmup);
  return 0.5 * recipe.learningRate * (1 + Math.cos(Math.PI * progress));
}
