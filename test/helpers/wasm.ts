import { enableNodeRelaxedSimd, instantiateKernels, type KernelBuild, type KernelInstance } from "../../src/kernels/module.js";
import { WasmArena } from "../../src/kernels/arena.js";

/**
 * The build the kernel suites run on: KERNEL_BUILD (set by the "relaxed" vitest project), else
 * "simd". The relaxed build must be available (Node >= 20 with V8's flag, switched on here):
 * a suite asked to run on it fails rather than skip.
 */
export async function buildUnderTest(): Promise<KernelBuild> {
  const build = (process.env.KERNEL_BUILD ?? "simd") as KernelBuild;
  if (build === "relaxed" && !(await enableNodeRelaxedSimd())) {
    throw new Error("KERNEL_BUILD=relaxed, but this engine rejects the relaxed-SIMD build even with --experimental-wasm-relaxed-simd");
  }
  return build;
}

/** A fresh kernel instance (of the build under test) and an arena over its memory, for one test file. */
export async function freshArena(): Promise<WasmArena> {
  const kernels: KernelInstance = await instantiateKernels(await buildUnderTest());
  return new WasmArena(kernels);
}

/** Deterministic int32 generator (xorshift) for the million-input sweeps. */
export function int32Stream(seed: number): () => number {
  let state = seed | 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state | 0;
  };
}
