// Size on the wire: the WebAssembly a page downloads to run a model, raw and gzipped (node:zlib,
// level 9), ours against ONNX Runtime Web's and TensorFlow.js's wasm backends as installed.
// The JavaScript around each .wasm is not counted. Writes bench/results/sizes.json: rows
// { runtime, file, bytes, gzipBytes }.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { formatTable, writeJson } from "./harness.js";

export interface SizeRow {
  runtime: "ours" | "ort-web" | "tfjs-wasm";
  file: string;
  bytes: number;
  gzipBytes: number;
}

const require = createRequire(import.meta.url);

function sizeOf(runtime: SizeRow["runtime"], file: string, path = file): SizeRow {
  const bytes = readFileSync(path);
  return { runtime, file, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
}

function installed(runtime: SizeRow["runtime"], specifier: string): SizeRow {
  return sizeOf(runtime, specifier, require.resolve(specifier));
}

/** Our build/*.wasm (run `npm run asbuild` first), ort-wasm-simd-threaded.wasm, tfjs-backend-wasm-simd.wasm. */
export function measureSizes(buildDir = "build"): SizeRow[] {
  const ours = existsSync(buildDir) ? readdirSync(buildDir).filter((f) => f.endsWith(".wasm")).sort() : [];
  if (ours.length === 0) throw new Error(`no .wasm files in ${buildDir}/: run npm run asbuild first`);
  return [
    ...ours.map((f) => sizeOf("ours", join(buildDir, f))),
    installed("ort-web", "onnxruntime-web/ort-wasm-simd-threaded.wasm"),
    installed("tfjs-wasm", "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"),
  ];
}

export function formatSizes(rows: readonly SizeRow[]): string {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  return formatTable(rows.map((r) => ({ runtime: r.runtime, file: r.file, raw: kib(r.bytes), gzip: kib(r.gzipBytes) })));
}

export function writeSizes(rows: readonly SizeRow[], path = "bench/results/sizes.json"): void {
  writeJson(path, rows);
}
