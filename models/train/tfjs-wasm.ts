// TensorFlow.js on its WebAssembly backend (XNNPACK), offline: the .wasm binaries are loaded from
// the installed package instead of a CDN.
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

export async function useWasmBackend(): Promise<void> {
  const packageJson = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/package.json");
  setWasmPaths(pathToFileURL(join(dirname(packageJson), "dist") + "/").href);
  if (!(await tf.setBackend("wasm"))) throw new Error("the tfjs wasm backend failed to initialise");
  await tf.ready();
}
