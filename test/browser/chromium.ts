// Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core,
// code bundled by esbuild for the browser platform, pages served from memory (no network).
import { build } from "esbuild";
import { chromium, type Page } from "playwright-core";
import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";

export const CHROMIUM = "/usr/bin/chromium";
export const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
];
// localhost is a secure context, which cross-origin isolation requires; route() serves it from memory.
const ORIGIN = "http://localhost:8123";

/**
 * `entry` (an absolute path, or relative to this folder) and what it imports, as one ES module for
 * the browser. (The browser benchmarks in bench/ use this harness too.)
 */
export async function bundleForBrowser(entry: string, { keepSideEffectImports = false } = {}): Promise<string> {
  const result = await build({
    entryPoints: [isAbsolute(entry) ? entry : fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    // Only reached in Node (file paths, worker_threads), never in a page.
    external: ["node:*"],
    // package.json declares the package free of side effects, which drops side-effect-only
    // imports (the kernel benchmark's benchmark-globals.js) unless annotations are ignored.
    ignoreAnnotations: keepSideEffectImports,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

export interface PageOptions {
  /** Serve the page cross-origin isolated (COOP same-origin + COEP require-corp). */
  readonly isolated?: boolean;
  /** Strings the page finds on globalThis before the module runs. */
  readonly globals?: Readonly<Record<string, string>>;
}

/** A page of a fresh Chromium running a module, kept open for calls into it. */
export interface OpenPage {
  readonly page: Page;
  close(): Promise<void>;
}

/**
 * Opens a fresh page running the module `code` and waits until it sets globalThis.__result (throws
 * with globalThis.__error if it sets that instead).
 */
export async function openChromiumPage(code: string, options: PageOptions = {}): Promise<OpenPage> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  try {
    const page = await browser.newPage();
    const headers: Record<string, string> = options.isolated
      ? { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" }
      : {};
    await page.route(`${ORIGIN}/**`, (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === "/main.js") return route.fulfill({ contentType: "text/javascript", body: code, headers });
      const globals = `<script>Object.assign(globalThis, ${JSON.stringify(options.globals ?? {})});</script>`;
      return route.fulfill({ contentType: "text/html", body: `<!doctype html><title>int8</title>${globals}<script type="module" src="/main.js"></script>`, headers });
    });
    await page.goto(`${ORIGIN}/`);
    await page.waitForFunction(() => "__result" in globalThis || "__error" in globalThis, undefined, { timeout: 60_000 });
    const error = await page.evaluate(() => (globalThis as Record<string, unknown>).__error);
    if (error) throw new Error(`in the browser: ${String(error)}`);
    return { page, close: () => browser.close() };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/** Runs the module `code` in a fresh page and returns what it leaves in globalThis.__result. */
export async function runInChromium<T>(code: string, options: PageOptions = {}): Promise<T> {
  const { page, close } = await openChromiumPage(code, options);
  try {
    return (await page.evaluate(() => (globalThis as Record<string, unknown>).__result)) as T;
  } finally {
    await close();
  }
}
