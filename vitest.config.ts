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
    projects: [
      { extends: true, test: { name: "simd", include: ["test/**/*.test.ts"] } },
      // The int8 GEMM/conv suites again on the relaxed-SIMD build (test/helpers/wasm.ts reads KERNEL_BUILD).
      {
        extends: true,
        test: { name: "relaxed", include: ["test/kernels/qs8-gemm*.test.ts", "test/kernels/qs8-conv.test.ts"], env: { KERNEL_BUILD: "relaxed" } },
      },
    ],
  },
});
