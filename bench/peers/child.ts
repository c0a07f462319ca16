// The process job.ts starts: receives one PeerJob, runs it, sends the result back, exits (ONNX
// Runtime's worker threads would otherwise keep the process alive).
import { executeJob, type ChildMessage, type PeerJob } from "./job.js";

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

process.once("message", (job: PeerJob) => {
  executeJob(job, (line) => void send({ type: "log", line }))
    .then((result) => send({ type: "result", result }))
    .then(() => process.exit(0))
    .catch(async (error: unknown) => {
      await send({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      process.exit(1);
    });
});
