// The package in a browser: bundle the public entry point for the browser platform (no Node
// built-ins), run it in headless Chromium, and check the int8 outputs equal Node's bit for bit.
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
];

type Outputs = Record<string, number[]> & { build: string };

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("./entry.ts", import.meta.url))],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    // Only reached when a session is given a file path, which a page never does.
    external: ["node:*"],
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

async function runInChromium(code: string): Promise<Outputs> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  try {
    const page = await browser.newPage();
    await page.setContent("<!doctype html><title>int8</title>");
    await page.addScriptTag({ content: code, type: "module" });
    await page.waitForFunction(() => "__result" in globalThis || "__error" in globalThis, undefined, { timeout: 60_000 });
    const error = await page.evaluate(() => (globalThis as Record<string, unknown>).__error);
    if (error) throw new Error(`in the browser: ${String(error)}`);
    return (await page.evaluate(() => (globalThis as Record<string, unknown>).__result)) as Outputs;
  } finally {
    await browser.close();
  }
}

async function runInNode(): Promise<Outputs> {
  await import("./entry.js");
  const state = globalThis as Record<string, unknown>;
  for (let i = 0; i < 600 && !("__result" in state) && !("__error" in state); i++) await new Promise((r) => setTimeout(r, 50));
  if (state.__error) throw new Error(String(state.__error));
  return state.__result as Outputs;
}

test("the bundled package runs in Chromium and matches Node bit for bit", async () => {
  const code = await bundle();
  expect(code).not.toMatch(/from ["']node:(?!fs\/promises)/);
  const [browserOutputs, nodeOutputs] = [await runInChromium(code), await runInNode()];
  expect(browserOutputs.int8Kernels[0]).toBeGreaterThanOrEqual(3);
  // Chromium runs the relaxed-SIMD build, Node 20 (no flag) the plain one: the same codes either way.
  expect(browserOutputs.build).toBe("relaxed");
  expect(nodeOutputs.build).toBe("simd");
  expect(browserOutputs.int8).toEqual(nodeOutputs.int8);
  browserOutputs.fp32.forEach((v, i) => expect(v).toBeCloseTo(nodeOutputs.fp32[i], 6));
}, 120_000);
