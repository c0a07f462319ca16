// Bundled for the browser by threads.test.ts: one quantized model run with one thread and with
// two module Web Workers (the bundled worker, passed in as source text, started from a blob URL),
// plus the default thread count of this page. Leaves the results on globalThis.
import { InferenceSession, OnnxGraphBuilder, Tensor, attr, quantizeStatic } from "../../src/index.js";
import { tinyCnn, tinyInput } from "./model.js";

async function main(): Promise<void> {
  const state = globalThis as Record<string, unknown>;
  const workerUrl = URL.createObjectURL(new Blob([state.__workerCode as string], { type: "text/javascript" }));
  const fp32 = tinyCnn(OnnxGraphBuilder, attr);
  const int8 = (await quantizeStatic(fp32, [{ x: new Tensor("float32", tinyInput(8, 1), [8, 1, 8, 8]) }])).toBytes();
  const feeds = { x: new Tensor("float32", tinyInput(16, 5), [16, 1, 8, 8]) };
  const one = await InferenceSession.create(int8, { numThreads: 1 });
  const two = await InferenceSession.create(int8, { numThreads: 2, workerUrl });
  const byDefault = await InferenceSession.create(int8, { workerUrl });
  const single = Array.from((await one.run(feeds)).y.data as Float32Array);
  const threaded = Array.from((await two.run(feeds)).y.data as Float32Array);
  const again = Array.from((await two.run(feeds)).y.data as Float32Array);
  await two.release();
  state.__result = {
    isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
    cores: navigator.hardwareConcurrency,
    defaultThreads: byDefault.numThreads,
    threads: two.numThreads,
    single,
    threaded,
    again,
  };
}

main().catch((error: unknown) => {
  (globalThis as Record<string, unknown>).__error = String(error instanceof Error ? error.stack : error);
});
