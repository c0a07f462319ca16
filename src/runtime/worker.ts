// A worker of a multi-threaded session (a Node worker_threads worker or a browser module Web
// Worker): holds its own single-threaded session of the same model and runs the slices of a batch
// the main thread sends it.
import { InferenceSession, type SessionOptions } from "./session.js";
import { Tensor } from "./tensor.js";
import type { ToWorker, FromWorker, WireTensor } from "./threads.js";

interface Endpoint {
  post(message: FromWorker, transfer: ArrayBuffer[]): void;
  listen(listener: (message: ToWorker) => void): void;
}

async function connect(): Promise<Endpoint> {
  if (typeof process !== "undefined" && process.versions?.node) {
    const { parentPort } = await import("node:worker_threads");
    const port = parentPort!;
    return { post: (message, transfer) => port.postMessage(message, transfer), listen: (listener) => port.on("message", listener) };
  }
  const scope = globalThis as unknown as {
    postMessage(message: unknown, transfer: Transferable[]): void;
    addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  };
  return {
    post: (message, transfer) => scope.postMessage(message, transfer),
    listen: (listener) => scope.addEventListener("message", (event) => listener(event.data as ToWorker)),
  };
}

const endpoint = await connect();
let session: InferenceSession | undefined;

endpoint.listen(async (message) => {
  try {
    if (message.type === "init") {
      session = await InferenceSession.create(message.model, { ...(message.options as SessionOptions), numThreads: 1 });
      endpoint.post({ type: "ready" }, []);
      return;
    }
    const feeds = Object.fromEntries(Object.entries(message.feeds).map(([name, t]) => [name, new Tensor("float32", t.data as Float32Array, t.dims)]));
    const outputs = session!.runSync(feeds);
    const wire: Record<string, WireTensor> = {};
    for (const [name, tensor] of Object.entries(outputs)) wire[name] = { type: tensor.type, data: tensor.data.slice() as WireTensor["data"], dims: [...tensor.dims] };
    endpoint.post({ type: "result", id: message.id, outputs: wire }, Object.values(wire).map((t) => t.data.buffer as ArrayBuffer));
  } catch (error) {
    endpoint.post({ type: "error", id: message.type === "run" ? message.id : -1, message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }, []);
  }
});
