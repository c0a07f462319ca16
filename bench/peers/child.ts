// A runtime's benchmark process (PeerProcess in job.ts is its handle): starts the runtime, then
// loads models and times calls as the parent asks, one request at a time, until it is killed.
import { readFileSync } from "node:fs";
import { CHECK_BATCH, CHECK_SEED, createRuntime, randomBatch, type FromPeer, type ToPeer } from "./job.js";
import { measureMedian } from "./timing.js";
import type { LoadedModel, PeerRuntime } from "./types.js";

let runtime: PeerRuntime | undefined;
const models = new Map<string, LoadedModel>();

async function handle(message: ToPeer): Promise<FromPeer> {
  switch (message.type) {
    case "start":
      runtime = await createRuntime(message.runtime, message.threads);
      return { type: "done" };
    case "load": {
      if (!runtime) throw new Error("load before start");
      const model = await runtime.load(new Uint8Array(readFileSync(message.path)), message.inputName);
      models.set(message.key, model);
      const output = await model.infer(randomBatch(CHECK_BATCH, message.sampleDims, CHECK_SEED));
      return { type: "done", values: Array.from(output) };
    }
    case "time": {
      const model = models.get(message.key);
      if (!model) throw new Error(`no model loaded as ${message.key}`);
      // Seeded by the batch size: every runtime times the same input.
      const call = model.prepareCall(randomBatch(message.batch, message.sampleDims, message.batch));
      const { msMedian, samples } = await measureMedian(call, message.timing);
      return { type: "done", msMedian, samples };
    }
  }
}

let queue = Promise.resolve();
process.on("message", (message: ToPeer) => {
  queue = queue.then(async () => {
    const answer = await handle(message).catch(
      (error: unknown): FromPeer => ({ type: "failed", message: error instanceof Error ? error.message : String(error) }),
    );
    process.send!(answer);
  });
});
process.on("disconnect", () => process.exit(0));
