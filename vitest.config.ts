import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    setupFiles: ["test/setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
    // The memory test measures the heap after a forced collection.
    execArgv: ["--expose-gc"],
    // The kernel suites run the plain SIMD build against the scalar reference; the relaxed build is
    // compared with it in Chromium (test/browser/relaxed-build.test.ts): Node 20 computes its
    // relaxed dot product wrong.
    include: ["test/**/*.test.ts"],
  },
});
