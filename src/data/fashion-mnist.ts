// Fashion-MNIST (Zalando, MIT licence): 28x28 grayscale images in 10 classes, as IDX files.
//
// Normalisation, the same for training, calibration and evaluation: x = pixel / 255, in [0, 1],
// with no mean subtraction. A model exported from this project expects exactly that input.
import { join } from "node:path";
import { readIdxFile, type IdxArray } from "./idx.js";
import { ModelFormatError, InvalidArgumentError } from "../errors.js";

export const FASHION_MNIST_CLASSES = [
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
] as const;

/** Images as bytes [count, rows, cols] and one label byte per image. */
export interface ImageDataset {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
}

export type Split = "train" | "t10k";

/** The file names of a split in the original distribution. */
export function splitFiles(split: Split): { images: string; labels: string } {
  return { images: `${split}-images-idx3-ubyte.gz`, labels: `${split}-labels-idx1-ubyte.gz` };
}

/** Checks that an images array [count, rows, cols] and a labels array [count] belong together. */
export function toImageDataset(images: IdxArray, labels: IdxArray, name = "dataset", classes = 10): ImageDataset {
  if (images.dims.length !== 3) {
    throw new ModelFormatError(`images must have rank 3 [count, rows, cols], got [${images.dims.join(", ")}]`, { tensor: name });
  }
  if (labels.dims.length !== 1) {
    throw new ModelFormatError(`labels must have rank 1 [count], got [${labels.dims.join(", ")}]`, { tensor: name });
  }
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) {
    throw new ModelFormatError(`${count} images but ${labels.dims[0]} labels`, { tensor: name });
  }
  const bad = labels.data.findIndex((label) => label >= classes);
  if (bad >= 0) throw new ModelFormatError(`label ${labels.data[bad]} at ${bad} is not a class in [0, ${classes})`, { tensor: name });
  return { images: images.data, labels: labels.data, count, rows, cols };
}

/** Reads an images file and a labels file (IDX, gzip or not). */
export function loadImageDataset(imagesPath: string, labelsPath: string): ImageDataset {
  return toImageDataset(readIdxFile(imagesPath), readIdxFile(labelsPath), imagesPath);
}

/** Reads one split of Fashion-MNIST from a directory holding the four original `.gz` files. */
export function loadFashionMnist(dir: string, split: Split): ImageDataset {
  const files = splitFiles(split);
  return loadImageDataset(join(dir, files.images), join(dir, files.labels));
}

/** Pixels in one Fashion-MNIST image (28 x 28). */
export const FASHION_MNIST_PIXELS = 28 * 28;

/**
 * Images [start, start+count) of a byte array [n, rows, cols] as float32 NCHW [count, 1, rows, cols],
 * each pixel divided by 255. With one channel, NCHW and NHWC are the same bytes.
 */
export function toFloatBatch(images: Uint8Array, start: number, count: number, pixelsPerImage = FASHION_MNIST_PIXELS): Float32Array {
  const available = Math.floor(images.length / pixelsPerImage);
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > available) {
    throw new InvalidArgumentError(`batch [${start}, ${start + count}) is outside the ${available} images`);
  }
  const source = images.subarray(start * pixelsPerImage, (start + count) * pixelsPerImage);
  const batch = new Float32Array(source.length);
  for (let i = 0; i < source.length; i++) batch[i] = source[i] / 255;
  return batch;
}
