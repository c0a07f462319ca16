// The kernel benchmark in headless Chromium: bench/browser/kernels-entry.ts bundled for the browser
// (as test/browser/ bundles the package), run in the system's Chromium through playwright-core,
// its rows returned to Node. Chromium has relaxed SIMD, so this is where the relaxed kernel build
// is timed against the plain one; Node 20 has it only behind a flag.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM, FLAGS, bundleForBrowser } from "../test/browser/chromium.js";
import type { BrowserKernelOptions } from "./browser/kernels-entry.js";
import type { KernelRow } from "./kernel-cases.js";

/** The browser runs the shapes the issue quotes for the relaxed build: a large GEMM (8-bit and 6-bit weights) and batch-1 FC. */
const SHAPES = ["512^3", "512^3 w6", "fc 1x784x256"];

function bundle(): Promise<string> {
  return bundleForBrowser(fileURLToPath(new URL("./browser/kernels-entry.ts", import.meta.url)), { keepSideEffectImports: true });
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
