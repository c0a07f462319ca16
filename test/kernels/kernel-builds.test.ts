// The two builds of the kernels and the load-time choice between them (src/kernels/module.ts).
// Whether relaxed SIMD is available is asserted, not assumed: every Node this package supports
// (>= 20) can run the relaxed build, Node 20 behind V8's flag, which enableNodeRelaxedSimd sets.
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

  test("selectKernelBuild picks relaxed here, once, after its self-test", async () => {
    await enableNodeRelaxedSimd();
    const first = selectKernelBuild();
    expect(selectKernelBuild()).toBe(first);
    expect(await first).toBe("relaxed");
    const kernels = await instantiateKernels(await first);
    expect(kernels.build).toBe("relaxed");
  });

  test("the self-test compares outputs: it accepts either build against the other and rejects a wrong GEMM", async () => {
    await enableNodeRelaxedSimd();
    const [relaxed, simd] = await Promise.all([instantiateKernels("relaxed"), instantiateKernels("simd")]);
    expect(kernelBuildsAgree(relaxed, simd)).toBe(true);
    expect(kernelBuildsAgree(simd, relaxed)).toBe(true);
    // A build whose int8 GEMM is off by one in its first output byte.
    const exports = { ...relaxed.exports };
    const sabotaged: KernelInstance = { ...relaxed, exports };
    exports.qs8_gemm = (...args: Parameters<typeof relaxed.exports.qs8_gemm>) => {
      relaxed.exports.qs8_gemm(...args);
      const output = args[6];
      const bytes = new Int8Array(relaxed.memory.buffer);
      bytes[output] = bytes[output] === 127 ? 126 : bytes[output] + 1;
    };
    expect(kernelBuildsAgree(sabotaged, simd)).toBe(false);
  });
});
