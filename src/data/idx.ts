// The IDX format (LeCun's MNIST files): a big-endian header `0x00 0x00 <type> <rank>`, one uint32
// per dimension, then the elements row-major. Only unsigned bytes (type 0x08) are used here.
import { gunzipSync, gzipSync } from "node:zlib";
import { readFileSync, writeFileSync } from "node:fs";
import { ModelFormatError, InvalidArgumentError } from "../errors.js";

const UBYTE_TYPE = 0x08;
const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** An IDX array of unsigned bytes: its dimensions and its elements, row-major. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/** Parses IDX bytes (not compressed); `name` labels the errors. Checks the magic and the size. */
export function parseIdx(bytes: Uint8Array, name = "idx"): IdxArray {
  if (bytes.length < 4) throw new ModelFormatError(`${bytes.length} bytes, too short for an IDX header`, { tensor: name });
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new ModelFormatError(`bad IDX magic ${hex(bytes, 4)} (expected 00 00 <type> <rank>)`, { tensor: name });
  }
  if (bytes[2] !== UBYTE_TYPE) {
    throw new ModelFormatError(`IDX element type 0x${bytes[2].toString(16)} is not unsigned byte (0x08)`, { tensor: name });
  }
  const rank = bytes[3];
  const headerBytes = 4 + 4 * rank;
  if (rank === 0 || bytes.length < headerBytes) {
    throw new ModelFormatError(`IDX header of rank ${rank} needs ${headerBytes} bytes, file has ${bytes.length}`, { tensor: name });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== headerBytes + count) {
    throw new ModelFormatError(
      `IDX dims [${dims.join(", ")}] need ${headerBytes + count} bytes, file has ${bytes.length}`,
      { tensor: name },
    );
  }
  // A plain Uint8Array view (not a Buffer, whatever the caller read the bytes with).
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, count) };
}

/** Encodes unsigned bytes as IDX (not compressed). */
export function encodeIdx(array: IdxArray): Uint8Array {
  const count = array.dims.reduce((a, b) => a * b, 1);
  if (array.data.length !== count) {
    throw new InvalidArgumentError(`${array.data.length} bytes for IDX dims [${array.dims.join(", ")}] (${count})`);
  }
  const headerBytes = 4 + 4 * array.dims.length;
  const bytes = new Uint8Array(headerBytes + count);
  const view = new DataView(bytes.buffer);
  bytes[2] = UBYTE_TYPE;
  bytes[3] = array.dims.length;
  array.dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  bytes.set(array.data, headerBytes);
  return bytes;
}

/** Parses IDX bytes that may be gzip-compressed (detected by the gzip magic). */
export function decodeIdx(bytes: Uint8Array, name = "idx"): IdxArray {
  const gzipped = bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
  if (!gzipped) return parseIdx(bytes, name);
  let raw: Uint8Array;
  try {
    raw = gunzipSync(bytes);
  } catch (cause) {
    throw new ModelFormatError(`corrupt gzip stream: ${(cause as Error).message}`, { tensor: name });
  }
  return parseIdx(raw, name);
}

/** Reads an IDX file, gzip-compressed or not. */
export function readIdxFile(path: string): IdxArray {
  return decodeIdx(readFileSync(path), path);
}

/** Writes an IDX file compressed with gzip (level 9: these files are committed). */
export function writeIdxGzFile(path: string, array: IdxArray): void {
  writeFileSync(path, gzipSync(encodeIdx(array), { level: 9 }));
}

function hex(bytes: Uint8Array, n: number): string {
  return Array.from(bytes.subarray(0, n), (b) => b.toString(16).padStart(2, "0")).join(" ");
}
