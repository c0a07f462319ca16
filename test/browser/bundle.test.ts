// The package in a browser: bundle the public entry point for the browser platform (no Node
// built-ins), run it in headless Chromium, and check the int8 outputs equal Node's bit for bit.
import { expect, test } from "vitest";
import { bundleForBrowser, runInChromium } from "./chromium.js";

type Outputs = Record<string, number[]> & { build: string };

async function runInNode(): Promise<Outputs> {
  await import("./entry.js");
  const state = globalThis as Record<string, unknown>;
  for (let i = 0; i < 600 && !("__result" in state) && !("__error" in state); i++) await new Promise((r) => setTimeout(r, 50));
  if (state.__error) throw new Error(String(state.__error));
  return state.__result as Outputs;
}

test("the bundled package runs in Chromium and matches Node bit for bit", async () => {
  const code = await bundleForBrowser("./entry.ts");
  expect(code).not.toMatch(/from ["']node:(?!fs\/promises)/);
  const [browserOutputs, nodeOutputs] = [await runInChromium<Outputs>(code), await runInNode()];
  expect(browserOutputs.int8Kernels[0]).toBeGreaterThanOrEqual(3);
  // Chromium runs the relaxed-SIMD build, Node 20 (no flag) the plain one: the same codes either way.
  expect(browserOutputs.build).toBe("relaxed");
  expect(nodeOutputs.build).toBe("simd");
  expect(browserOutputs.int8).toEqual(nodeOutputs.int8);
  browserOutputs.fp32.forEach((v, i) => expect(v).toBeCloseTo(nodeOutputs.fp32[i], 6));
}, 120_000);
