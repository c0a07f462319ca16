// Training batches: images picked by a (shuffled) index list, optionally augmented, as float32
// NHWC [B, 28, 28, 1] = NCHW [B, 1, 28, 28] scaled by 1/255 (the project's one normalisation).
import type { ImageDataset } from "../../src/data/fashion-mnist.js";
import type { Random } from "./random.js";

export interface Augmentation {
  /** Largest shift in pixels, in each direction, of both axes (zeros fill in). */
  readonly maxShift: number;
  readonly horizontalFlip: boolean;
}

export interface Batch {
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
}

export function makeBatch(
  dataset: ImageDataset,
  indices: ArrayLike<number>,
  start: number,
  end: number,
  augmentation?: Augmentation,
  random?: Random,
): Batch {
  const { rows, cols } = dataset;
  const pixels = rows * cols;
  const count = end - start;
  const images = new Float32Array(count * pixels);
  const labels = new Int32Array(count);
  for (let b = 0; b < count; b++) {
    const index = indices[start + b];
    labels[b] = dataset.labels[index];
    const source = dataset.images.subarray(index * pixels, (index + 1) * pixels);
    const target = images.subarray(b * pixels, (b + 1) * pixels);
    if (augmentation && random) {
      const dy = random.int(2 * augmentation.maxShift + 1) - augmentation.maxShift;
      const dx = random.int(2 * augmentation.maxShift + 1) - augmentation.maxShift;
      const flip = augmentation.horizontalFlip && random.next() < 0.5;
      shiftAndFlip(source, target, rows, cols, dy, dx, flip);
    } else {
      for (let i = 0; i < pixels; i++) target[i] = source[i] / 255;
    }
  }
  return { images, labels, count };
}

function shiftAndFlip(source: Uint8Array, target: Float32Array, rows: number, cols: number, dy: number, dx: number, flip: boolean): void {
  for (let y = 0; y < rows; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= rows) continue;
    for (let x = 0; x < cols; x++) {
      const shifted = x - dx;
      if (shifted < 0 || shifted >= cols) continue;
      const sx = flip ? cols - 1 - shifted : shifted;
      target[y * cols + x] = source[sy * cols + sx] / 255;
    }
  }
}
