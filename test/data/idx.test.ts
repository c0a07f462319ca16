import { describe, expect, it } from "vitest";
import { gzipSync } from "node:zlib";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeIdx, encodeIdx, parseIdx, readIdxFile, writeIdxGzFile } from "../../src/data/idx.js";
import { InvalidArgumentError, ModelFormatError } from "../../src/errors.js";

/** IDX bytes written by hand, independent of encodeIdx. */
function handMadeIdx(dims: number[], data: number[]): Uint8Array {
  const header = [0, 0, 0x08, dims.length, ...dims.flatMap((d) => [d >>> 24, (d >>> 16) & 255, (d >>> 8) & 255, d & 255])];
  return Uint8Array.from([...header, ...data]);
}

describe("parseIdx", () => {
  it("reads the big-endian dimensions and the bytes after the header", () => {
    const data = Array.from({ length: 2 * 3 * 300 }, (_, i) => i % 256);
    const parsed = parseIdx(handMadeIdx([2, 3, 300], data));
    expect(parsed.dims).toEqual([2, 3, 300]);
    expect(Array.from(parsed.data)).toEqual(data);
  });

  it("reads a labels file (rank 1, 8-byte header)", () => {
    const bytes = handMadeIdx([4], [9, 0, 3, 7]);
    expect(bytes.length).toBe(12);
    expect(parseIdx(bytes)).toEqual({ dims: [4], data: Uint8Array.from([9, 0, 3, 7]) });
  });

  it("round-trips through encodeIdx", () => {
    const array = { dims: [3, 2, 2], data: Uint8Array.from({ length: 12 }, (_, i) => 255 - i) };
    expect(encodeIdx(array)).toEqual(handMadeIdx([3, 2, 2], Array.from(array.data)));
    expect(parseIdx(encodeIdx(array))).toEqual(array);
  });

  it.each([
    ["a bad magic", Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 1, 5])],
    ["a non-byte element type (int32, 0x0C)", Uint8Array.from([0, 0, 0x0c, 1, 0, 0, 0, 1, 5, 5, 5, 5])],
    ["a header shorter than its rank", Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 1])],
    ["fewer bytes than the dimensions need", handMadeIdx([2, 28, 28], Array(100).fill(0))],
    ["more bytes than the dimensions need", handMadeIdx([2], [1, 2, 3])],
    ["three bytes", Uint8Array.from([0, 0, 8])],
    ["rank 0", Uint8Array.from([0, 0, 8, 0])],
  ])("rejects %s with a ModelFormatError", (_, bytes) => {
    expect(() => parseIdx(bytes, "broken.idx")).toThrow(ModelFormatError);
    expect(() => parseIdx(bytes, "broken.idx")).toThrow(/broken\.idx/);
  });
});

describe("decodeIdx", () => {
  it("inflates gzip and passes plain IDX through", () => {
    const plain = handMadeIdx([2, 2], [1, 2, 3, 4]);
    expect(decodeIdx(gzipSync(plain))).toEqual(decodeIdx(plain));
  });

  it("rejects a truncated gzip stream with a ModelFormatError", () => {
    const zipped = gzipSync(handMadeIdx([50], Array(50).fill(7)));
    expect(() => decodeIdx(zipped.subarray(0, zipped.length - 10))).toThrow(ModelFormatError);
  });
});

describe("IDX files", () => {
  it("writes gzip files that readIdxFile reads back", () => {
    const dir = mkdtempSync(join(tmpdir(), "idx-"));
    const array = { dims: [2, 3], data: Uint8Array.from([0, 1, 2, 253, 254, 255]) };
    writeIdxGzFile(join(dir, "a.gz"), array);
    expect(readIdxFile(join(dir, "a.gz"))).toEqual(array);
    writeFileSync(join(dir, "b.idx"), encodeIdx(array));
    expect(readIdxFile(join(dir, "b.idx"))).toEqual(array);
  });

  it("refuses to encode data that does not fill the dimensions", () => {
    expect(() => encodeIdx({ dims: [2, 2], data: new Uint8Array(3) })).toThrow(InvalidArgumentError);
  });
});
