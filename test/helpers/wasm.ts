import { instantiateKernels } from "../../src/kernels/module.js";
import { WasmArena } from "../../src/kernels/arena.js";

/** A fresh instance of the plain SIMD kernel build and an arena over its memory, for one test file. */
export async function freshArena(): Promise<WasmArena> {
  return new WasmArena(await instantiateKernels("simd"));
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
