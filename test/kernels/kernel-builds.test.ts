// The two builds of the kernels and the load-time choice between them (src/kernels/module.ts).
// Whether relaxed SIMD is available is asserted, not assumed: every Node this package supports
// (>= 20) compiles the relaxed build, Node 20 behind V8's flag, which enableNodeRelaxedSimd sets.
// Node 20's V8 (11.3) computes i32x4.relaxed_dot_i8x16_i7x16_add_s wrong (it drops the accumulator
// and doubles the products), so there the self-test must reject the relaxed build; Chromium runs it
// (test/browser/relaxed-build.test.ts).
import { describe, expect, test } from "vitest";
import {
  enableNodeRelaxedSimd, instantiateKernels, kernelBuildValidates, selectKernelBuild, type KernelInstance,
} from "../../src/kernels/module.js";
import { kernelBuildsAgree } from "../../src/kernels/self-test.js";

describe("kernel builds", () => {
  test("the simd build validates; the relaxed build validates once relaxed SIMD is switched on (Node >= 20)", async () => {
    expect(kernelBuildValidates("simd")).toBe(true);
    expect(await enableNodeRelaxedSimd()).toBe(true);
    expect(kernelBuildValidates("relaxed")).toBe(true);
  });

  /** V8 11.x is Node 20's engine, whose relaxed dot product with accumulate is wrong. */
  const relaxedDotAddIsWrong = process.versions.v8.startsWith("11.");

  test("selectKernelBuild decides once, by the self-test: simd on Node 20 (wrong relaxed dot product)", async () => {
    await enableNodeRelaxedSimd();
    const first = selectKernelBuild();
    expect(selectKernelBuild()).toBe(first);
    expect(await first).toBe(relaxedDotAddIsWrong ? "simd" : "relaxed");
  });

  test("the self-test compares outputs: it catches Node 20's relaxed build and a GEMM off by one", async () => {
    await enableNodeRelaxedSimd();
    const [relaxed, simd, simdAgain] = await Promise.all([instantiateKernels("relaxed"), instantiateKernels("simd"), instantiateKernels("simd")]);
    expect(kernelBuildsAgree(simdAgain, simd)).toBe(true);
    expect(kernelBuildsAgree(relaxed, simd)).toBe(!relaxedDotAddIsWrong);
    // A build whose int8 GEMM is off by one in its first output byte.
    const exports = { ...simdAgain.exports };
    const sabotaged: KernelInstance = { ...simdAgain, exports };
    exports.qs8_gemm = (...args: Parameters<typeof simdAgain.exports.qs8_gemm>) => {
      simdAgain.exports.qs8_gemm(...args);
      const output = args[6];
      const bytes = new Int8Array(simdAgain.memory.buffer);
      bytes[output] = bytes[output] === 127 ? 126 : bytes[output] + 1;
    };
    expect(kernelBuildsAgree(sabotaged, simd)).toBe(false);
  });
});
