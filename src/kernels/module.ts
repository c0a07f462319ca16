import { instantiate } from "@assemblyscript/loader";
import { simdBase64 } from "./generated/wasm-binaries.js";
import type { KernelExports } from "./exports.js";

/** Which compiled build of assembly/ an instance runs. */
export type KernelBuild = "simd";

/** One instantiated copy of the kernels with its own memory, owned by the host. */
export interface KernelInstance {
  readonly build: KernelBuild;
  readonly memory: WebAssembly.Memory;
  readonly exports: KernelExports;
  /** First byte the host may allocate (the module's static data lies below). */
  readonly heapBase: number;
}

const INITIAL_PAGES = 16;
const compiled = new Map<KernelBuild, Promise<WebAssembly.Module>>();

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  if (typeof Buffer !== "undefined") return Uint8Array.from(Buffer.from(text, "base64"));
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function compile(build: KernelBuild): Promise<WebAssembly.Module> {
  let module = compiled.get(build);
  if (!module) {
    module = WebAssembly.compile(decodeBase64(simdBase64));
    compiled.set(build, module);
  }
  return module;
}

/** Instantiates the kernels (compiled once per process) over a fresh memory. */
export async function instantiateKernels(build: KernelBuild = "simd"): Promise<KernelInstance> {
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES });
  const { exports } = await instantiate<KernelExports>(await compile(build), { env: { memory } });
  return { build, memory, exports, heapBase: exports.heapBase() };
}
