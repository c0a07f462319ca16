// numThreads in a browser: batches split across module Web Workers give the single-threaded
// outputs, and the default thread count follows cross-origin isolation.
import { expect, test } from "vitest";
import { bundleForBrowser, runInChromium } from "./chromium.js";

interface ThreadsResult {
  isolated: boolean;
  cores: number;
  defaultThreads: number;
  threads: number;
  single: number[];
  threaded: number[];
  again: number[];
}

test("two Web Workers give the one-thread outputs; isolated pages default to the core count, others to 1", async () => {
  const [code, workerCode] = await Promise.all([bundleForBrowser("./threads-entry.ts"), bundleForBrowser("../../src/runtime/worker.ts")]);
  const isolated = await runInChromium<ThreadsResult>(code, { isolated: true, globals: { __workerCode: workerCode } });
  expect(isolated.isolated).toBe(true);
  expect(isolated.threads).toBe(2);
  expect(isolated.single).toHaveLength(16 * 5);
  expect(isolated.threaded).toEqual(isolated.single);
  expect(isolated.again).toEqual(isolated.single);
  expect(isolated.defaultThreads).toBe(Math.max(1, isolated.cores));

  const plain = await runInChromium<ThreadsResult>(code, { globals: { __workerCode: workerCode } });
  expect(plain.isolated).toBe(false);
  expect(plain.defaultThreads).toBe(1);
  expect(plain.threaded).toEqual(plain.single);
}, 120_000);
