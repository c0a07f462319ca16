import { instantiateKernels, type KernelInstance } from "../../src/kernels/module.js";
import { WasmArena } from "../../src/kernels/arena.js";

/** A fresh kernel instance and an arena over its memory, for one test file. */
export async function freshArena(): Promise<WasmArena> {
  const kernels: KernelInstance = await instantiateKernels();
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
