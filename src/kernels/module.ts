// Loading the compiled kernels. Two builds of assembly/ exist: "simd" (WebAssembly SIMD, every
// engine we support) and "relaxed" (the same plus relaxed SIMD integer dot products in the int8
// GEMM micro-kernels, used for weights within a 7-bit window; see assembly/qs8-microkernel.ts).
// Both give bit-identical results; selectKernelBuild picks relaxed only where it validates and
// passes a self-test against simd.
import { instantiate } from "@assemblyscript/loader";
import { relaxedBase64, simdBase64 } from "./generated/wasm-binaries.js";
import type { KernelExports } from "./exports.js";
import { kernelBuildsAgree } from "./self-test.js";

/** Which compiled build of assembly/ an instance runs. */
export type KernelBuild = "simd" | "relaxed";

/** One instantiated copy of the kernels with its own memory, owned by the host. */
export interface KernelInstance {
  readonly build: KernelBuild;
  readonly memory: WebAssembly.Memory;
  readonly exports: KernelExports;
  /** First byte the host may allocate (the module's static data lies below). */
  readonly heapBase: number;
}

const INITIAL_PAGES = 16;
const BINARIES: Record<KernelBuild, string> = { simd: simdBase64, relaxed: relaxedBase64 };
const bytes = new Map<KernelBuild, Uint8Array<ArrayBuffer>>();
const compiled = new Map<KernelBuild, Promise<WebAssembly.Module>>();

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  if (typeof Buffer !== "undefined") return Uint8Array.from(Buffer.from(text, "base64"));
  const binary = atob(text);
  const decoded = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) decoded[i] = binary.charCodeAt(i);
  return decoded;
}

function binary(build: KernelBuild): Uint8Array<ArrayBuffer> {
  let decoded = bytes.get(build);
  if (!decoded) {
    decoded = decodeBase64(BINARIES[build]);
    bytes.set(build, decoded);
  }
  return decoded;
}

/** Whether this engine accepts the build (checked anew each time: enabling a flag can change it). */
export function kernelBuildValidates(build: KernelBuild): boolean {
  return WebAssembly.validate(binary(build));
}

function compile(build: KernelBuild): Promise<WebAssembly.Module> {
  let module = compiled.get(build);
  if (!module) {
    module = WebAssembly.compile(binary(build));
    compiled.set(build, module);
    // A failed compile (no relaxed SIMD yet) is not remembered: the engine may gain it.
    module.catch(() => compiled.delete(build));
  }
  return module;
}

/** Instantiates the kernels (compiled once per process and build) over a fresh memory. */
export async function instantiateKernels(build: KernelBuild = "simd"): Promise<KernelInstance> {
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES });
  const { exports } = await instantiate<KernelExports>(await compile(build), { env: { memory } });
  return { build, memory, exports, heapBase: exports.heapBase() };
}

/**
 * Node only: switches on V8's relaxed SIMD, which Node 20 (V8 11.3) ships behind
 * --experimental-wasm-relaxed-simd; later versions have it on already. Must run before the
 * relaxed build is first compiled. Returns whether the relaxed build validates afterwards; in a
 * browser it changes nothing.
 */
export async function enableNodeRelaxedSimd(): Promise<boolean> {
  if (!kernelBuildValidates("relaxed") && typeof process !== "undefined" && process.versions?.node) {
    const v8 = await import("node:v8");
    v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  }
  return kernelBuildValidates("relaxed");
}

let selected: Promise<KernelBuild> | undefined;

/**
 * The build to run: "relaxed" when the engine validates it and its self-test (int8 GEMMs in every
 * relaxed layout, against the simd build on the same data) agrees bit for bit, else "simd".
 * Validation alone is not enough: engines have shipped wrong relaxed dot products (V8 11.3's
 * i32x4.relaxed_dot_i8x16_i7x16_add_s, which the relaxed build uses, drops the accumulator, so
 * Node 20 gets "simd" even with its flag on). The answer is cached, except a failed validation.
 */
export function selectKernelBuild(): Promise<KernelBuild> {
  if (selected) return selected;
  if (!kernelBuildValidates("relaxed")) return Promise.resolve("simd");
  selected = (async () => {
    const [relaxed, simd] = await Promise.all([instantiateKernels("relaxed"), instantiateKernels("simd")]);
    return kernelBuildsAgree(relaxed, simd) ? "relaxed" : "simd";
  })();
  return selected;
}
