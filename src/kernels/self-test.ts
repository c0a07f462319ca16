// The load-time check behind selectKernelBuild: a candidate build must reproduce the reference
// build bit for bit on int8 GEMMs, dequantizing GEMMs and an im2col convolution, with weights in
// every relaxed layout (windows of 64 and 128 values) and in the plain one (full int8).
import { WasmArena } from "./arena.js";
import type { KernelInstance } from "./module.js";
import { packQs8Conv2d, qs8Conv2d, qs8Conv2dScratchSize } from "./qs8-conv.js";
import { packQs8Gemm, qs8Gemm, qs8GemmScratchSize } from "./qs8-gemm.js";
import { packQs8GemmDynamic, qs8GemmDequantize, qs8GemmDequantizeScratchSize } from "./qs8-gemm-dynamic.js";
import type { Conv2dShape } from "./shapes.js";

const M = 5;
const N = 3;
const K = 70;
/** Weight windows [low, low + width - 1]: relaxed (offsets 40 and 64), then plain int8. */
const WINDOWS = [[-40, 64], [-64, 128], [-128, 256]] as const;
const CONV: Conv2dShape = {
  batch: 1, inH: 4, inW: 5, inC: 5, outC: 3, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1,
  dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 1,
};

/** Deterministic int8 values in [low, low + width - 1], the window's ends included. */
function pattern(length: number, seed: number, low: number, width: number): Int8Array {
  let state = seed;
  return Int8Array.from({ length }, (_, i) => {
    if (i % 17 === 0) return low;
    if (i % 17 === 1) return low + width - 1;
    state = (state * 1103515245 + 12345) >>> 0;
    return low + ((state >>> 8) % width);
  });
}

/** The bytes every check writes, concatenated, for one instance. */
function outputsOf(kernels: KernelInstance): Uint8Array {
  const arena = new WasmArena(kernels);
  const results: Uint8Array[] = [];
  const input = arena.from("int8", pattern(M * K, 7, -128, 256));
  const convInput = arena.from("int8", pattern(CONV.inH * CONV.inW * CONV.inC, 11, -128, 256));
  const requant = {
    bias: Int32Array.of(1000, -77, 123456), inputZeroPoint: -3, multiplier: Int32Array.of(1 << 30, 1518500250, 2147483000),
    shift: Int32Array.of(-8, -9, -12), outputZeroPoint: 5, qmin: -128, qmax: 127,
  };
  for (const [seed, [low, width]] of WINDOWS.entries()) {
    const weights = pattern(N * K, seed + 1, low, width);
    const packed = packQs8Gemm(arena, { weights, N, K, ...requant });
    const output = arena.alloc("int8", M * N);
    qs8Gemm(kernels, packed, input, M, output, arena.alloc("int8", qs8GemmScratchSize(packed, M)));
    results.push(new Uint8Array(kernels.memory.buffer, output.ptr, M * N).slice());

    const dynamic = packQs8GemmDynamic(arena, { weights, N, K });
    const dequantized = arena.alloc("float32", M * N);
    qs8GemmDequantize(
      kernels, dynamic, input, M, 17, arena.from("float32", [1e-3, 3.5e-4, 7.25e-2]), arena.from("float32", [0.5, -2, 0]),
      dequantized, arena.alloc("int8", qs8GemmDequantizeScratchSize(dynamic, M)),
    );
    results.push(new Uint8Array(kernels.memory.buffer, dequantized.ptr, 4 * M * N).slice());

    const taps = CONV.kernelH * CONV.kernelW * CONV.inC;
    const conv = packQs8Conv2d(
      arena,
      { weights: pattern(CONV.outC * taps, seed + 5, low, width), outC: CONV.outC, inCPerGroup: CONV.inC, kernelH: 3, kernelW: 3, groups: 1, ...requant },
      { kind: "gemm" },
    );
    const convOutput = arena.alloc("int8", CONV.inH * CONV.inW * CONV.outC);
    qs8Conv2d(kernels, conv, CONV, convInput, convOutput, arena.alloc("int8", qs8Conv2dScratchSize(conv, CONV)));
    results.push(new Uint8Array(kernels.memory.buffer, convOutput.ptr, convOutput.length).slice());
  }
  const all = new Uint8Array(results.reduce((sum, r) => sum + r.length, 0));
  results.reduce((at, r) => (all.set(r, at), at + r.length), 0);
  return all;
}

/** Whether `candidate` computes exactly what `reference` computes on the self-test's cases. */
export function kernelBuildsAgree(candidate: KernelInstance, reference: KernelInstance): boolean {
  const expected = outputsOf(reference);
  const actual = outputsOf(candidate);
  return actual.length === expected.length && actual.every((byte, i) => byte === expected[i]);
}
