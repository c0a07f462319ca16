// Runs ONNX models in ONNX Runtime Web (wasm backend, one thread, in Node) and in our session,
// and compares the outputs: the oracle of the interop tests.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import * as ort from "onnxruntime-web";
import { InferenceSession } from "../../src/runtime/session.js";
import { Tensor } from "../../src/runtime/tensor.js";
import type { RequantizationMode } from "../../src/runtime/ops/onnx-requantization.js";

const require = createRequire(import.meta.url);
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = `${pathToFileURL(dirname(require.resolve("onnxruntime-web/ort-wasm-simd-threaded.wasm"))).href}/`;
ort.env.logLevel = "error";

export type Feeds = Record<string, { data: Float32Array; dims: readonly number[] }>;

export async function runOrt(model: Uint8Array, feeds: Feeds): Promise<Record<string, ArrayLike<number>>> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  try {
    const inputs = Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, new ort.Tensor("float32", f.data, [...f.dims])]));
    const outputs = await session.run(inputs);
    return Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, t.data as ArrayLike<number>]));
  } finally {
    await session.release();
  }
}

export async function runOurs(model: Uint8Array, feeds: Feeds, requantization: RequantizationMode): Promise<Record<string, ArrayLike<number>>> {
  const session = await InferenceSession.create(model, { requantization, numThreads: 1 });
  const outputs = session.runSync(Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, new Tensor("float32", f.data, f.dims)])));
  return Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, Array.from(t.data as ArrayLike<number>)]));
}

export interface Agreement {
  readonly count: number;
  readonly equal: number;
  readonly maxSteps: number;
}

/** Compares dequantized outputs in steps of the output scale (1 step = one int8 code). */
export function agreement(ours: ArrayLike<number>, theirs: ArrayLike<number>, scale: number): Agreement {
  if (ours.length !== theirs.length) throw new Error(`output lengths differ: ${ours.length} vs ${theirs.length}`);
  let equal = 0;
  let maxSteps = 0;
  for (let i = 0; i < ours.length; i++) {
    const steps = Math.round(Math.abs(ours[i] - theirs[i]) / scale);
    if (steps === 0) equal++;
    maxSteps = Math.max(maxSteps, steps);
  }
  return { count: ours.length, equal, maxSteps };
}
