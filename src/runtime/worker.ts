// A worker of a multi-threaded session: holds its own single-threaded session of the same model
// and runs the slices of a batch the main thread sends it.
import { parentPort } from "node:worker_threads";
import { InferenceSession, type SessionOptions } from "./session.js";
import { Tensor } from "./tensor.js";
import type { ToWorker, FromWorker, WireTensor } from "./threads.js";

const port = parentPort!;
let session: InferenceSession | undefined;

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

port.on("message", async (message: ToWorker) => {
  try {
    if (message.type === "init") {
      session = await InferenceSession.create(message.model, { ...(message.options as SessionOptions), numThreads: 1 });
      post({ type: "ready" });
      return;
    }
    const feeds = Object.fromEntries(Object.entries(message.feeds).map(([name, t]) => [name, new Tensor("float32", t.data as Float32Array, t.dims)]));
    const outputs = session!.runSync(feeds);
    const wire: Record<string, WireTensor> = {};
    for (const [name, tensor] of Object.entries(outputs)) wire[name] = { type: tensor.type, data: tensor.data.slice() as WireTensor["data"], dims: [...tensor.dims] };
    post({ type: "result", id: message.id, outputs: wire }, Object.values(wire).map((t) => t.data.buffer as ArrayBuffer));
  } catch (error) {
    post({ type: "error", id: message.type === "run" ? message.id : -1, message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
});
