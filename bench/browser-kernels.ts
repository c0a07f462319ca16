// The kernel benchmark in headless Chromium: bench/browser/kernels-entry.ts bundled for the browser
// (as test/browser/ bundles the package), run in the system's Chromium through playwright-core,
// its rows returned to Node. Chromium has relaxed SIMD, so this is where the relaxed kernel build
// is timed against the plain one; Node 20 has it only behind a flag.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import type { BrowserKernelOptions } from "./browser/kernels-entry.js";
import type { KernelRow } from "./kernel-cases.js";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
];
/** The browser runs the shapes the issue quotes for the relaxed build: a large GEMM (8-bit and 6-bit weights) and batch-1 FC. */
const SHAPES = ["512^3", "512^3 w6", "fc 1x784x256"];

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("./browser/kernels-entry.ts", import.meta.url))],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    // Only reached in Node (enabling relaxed SIMD by V8 flag), never in the page.
    external: ["node:*"],
    // package.json declares the package free of side effects, which would drop the side-effect-only
    // import of browser/benchmark-globals.js; the benchmark bundle needs it kept.
    ignoreAnnotations: true,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

async function runInChromium(code: string, options: BrowserKernelOptions, log: (line: string) => void): Promise<KernelRow[]> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  try {
    log(`chromium ${browser.version()}`);
    const page = await browser.newPage();
    page.on("console", (message) => log(`chromium: ${message.text()}`));
    await page.setContent("<!doctype html><title>kernel benchmark</title>");
    await page.addScriptTag({ content: code, type: "module" });
    await page.waitForFunction(() => "__benchKernels" in globalThis);
    return await page.evaluate(
      (o) => (globalThis as unknown as { __benchKernels(o: BrowserKernelOptions): Promise<KernelRow[]> }).__benchKernels(o),
      options,
    );
  } finally {
    await browser.close();
  }
}

/**
 * Chromium's rows (engine "chromium"), or none, with the reason logged, where Chromium is missing
 * or fails: the Node rows stand on their own.
 */
export async function benchmarkKernelsInChromium({ quick, log }: { quick: boolean; log: (line: string) => void }): Promise<KernelRow[]> {
  if (!existsSync(CHROMIUM)) {
    log(`SKIPPED the browser kernel benchmark: ${CHROMIUM} not found (Debian: apt-get install chromium)`);
    return [];
  }
  try {
    return await runInChromium(await bundle(), { maxTime: quick ? 0.3 : 1, shapes: SHAPES }, log);
  } catch (error) {
    log(`FAILED the browser kernel benchmark: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
}
