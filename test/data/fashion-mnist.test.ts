import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFashionMnist, loadImageDataset, splitFiles, toFloatBatch, toImageDataset } from "../../src/data/fashion-mnist.js";
import { writeIdxGzFile } from "../../src/data/idx.js";
import { InvalidArgumentError, ModelFormatError } from "../../src/errors.js";

function writeSplit(dir: string, count: number, rows = 28, cols = 28): Uint8Array {
  const images = Uint8Array.from({ length: count * rows * cols }, (_, i) => (i * 7) % 256);
  const files = splitFiles("t10k");
  writeIdxGzFile(join(dir, files.images), { dims: [count, rows, cols], data: images });
  writeIdxGzFile(join(dir, files.labels), { dims: [count], data: Uint8Array.from({ length: count }, (_, i) => i % 10) });
  return images;
}

describe("loadFashionMnist", () => {
  it("reads a split's images and labels from the original file names", () => {
    const dir = mkdtempSync(join(tmpdir(), "fmnist-"));
    const images = writeSplit(dir, 3);
    const dataset = loadFashionMnist(dir, "t10k");
    expect(dataset).toMatchObject({ count: 3, rows: 28, cols: 28 });
    expect(dataset.images).toEqual(images);
    expect(Array.from(dataset.labels)).toEqual([0, 1, 2]);
  });

  it("rejects an images file paired with a labels file of another length", () => {
    const dir = mkdtempSync(join(tmpdir(), "fmnist-"));
    writeSplit(dir, 3);
    writeIdxGzFile(join(dir, "labels.gz"), { dims: [2], data: Uint8Array.from([1, 2]) });
    expect(() => loadImageDataset(join(dir, splitFiles("t10k").images), join(dir, "labels.gz"))).toThrow(/3 images but 2 labels/);
  });
});

describe("toImageDataset", () => {
  const images = { dims: [2, 2, 2], data: new Uint8Array(8) };
  it("rejects images of the wrong rank, labels of the wrong rank, and labels out of range", () => {
    expect(() => toImageDataset({ dims: [2, 4], data: new Uint8Array(8) }, { dims: [2], data: new Uint8Array(2) })).toThrow(ModelFormatError);
    expect(() => toImageDataset(images, { dims: [1, 2], data: new Uint8Array(2) })).toThrow(ModelFormatError);
    expect(() => toImageDataset(images, { dims: [2], data: Uint8Array.from([3, 10]) })).toThrow(/label 10 at 1/);
  });
});

describe("toFloatBatch", () => {
  it("divides each pixel by 255, NCHW with one channel", () => {
    const images = Uint8Array.from({ length: 3 * 4 }, (_, i) => [0, 255, 51, 102][i % 4] + 0 * i);
    const batch = toFloatBatch(images, 1, 2, 4);
    expect(batch.length).toBe(8);
    expect(Array.from(batch)).toEqual([0, 1, 0.2, 0.4, 0, 1, 0.2, 0.4].map((v) => Math.fround(v)));
  });

  it("defaults to 28 x 28 images", () => {
    expect(toFloatBatch(new Uint8Array(2 * 784).fill(255), 0, 2)).toEqual(new Float32Array(2 * 784).fill(1));
  });

  it.each([
    [0, 4],
    [-1, 1],
    [3, 1],
    [0.5, 1],
  ])("rejects the batch start %d, count %d outside 3 images", (start, count) => {
    expect(() => toFloatBatch(new Uint8Array(12), start, count, 4)).toThrow(InvalidArgumentError);
  });
});
