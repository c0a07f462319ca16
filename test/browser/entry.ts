// Bundled for the browser by bundle.test.ts: builds a small CNN, quantizes it and runs both
// models, all through the package's public entry point, and leaves the outputs on globalThis.
import { InferenceSession, OnnxGraphBuilder, Tensor, attr, quantizeStatic } from "../../src/index.js";
import { tinyCnn, tinyInput } from "./model.js";

async function main(): Promise<void> {
  const fp32 = tinyCnn(OnnxGraphBuilder, attr);
  const calibration = [{ x: new Tensor("float32", tinyInput(4, 1), [4, 1, 8, 8]) }];
  const int8 = (await quantizeStatic(fp32, calibration)).toBytes();
  const feeds = { x: new Tensor("float32", tinyInput(2, 7), [2, 1, 8, 8]) };
  const outputs: Record<string, number[] | string> = {};
  for (const [name, model] of [["fp32", fp32], ["int8", int8]] as const) {
    const session = await InferenceSession.create(model);
    outputs[name] = Array.from(session.runSync(feeds).y.data as Float32Array);
    outputs[`${name}Kernels`] = [session.summary().rows.filter((r) => r.precision === "int8").length];
    outputs.build = session.summary().kernelBuild;
  }
  (globalThis as Record<string, unknown>).__result = outputs;
}

main().catch((error: unknown) => {
  (globalThis as Record<string, unknown>).__error = String(error instanceof Error ? error.stack : error);
});
