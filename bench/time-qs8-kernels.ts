// Rough single-thread timings of the int8 kernels (best of many runs), for tuning by hand:
//   npm run asbuild && npx tsx bench/time-qs8-kernels.ts
// Figures are 2 ops per multiply-accumulate. Not a benchmark against peers (see bench/). The plain
// SIMD build only: Node 20 computes the relaxed build's dot product wrong, so that build is timed
// in Chromium (bench/browser-kernels.ts).
import { WasmArena } from "../src/kernels/arena.js";
import { instantiateKernels } from "../src/kernels/module.js";
import { packQs8Conv2d, qs8Conv2d, qs8Conv2dScratchSize, type Qs8Conv2dKind } from "../src/kernels/qs8-conv.js";
import { packQs8Gemm, qs8Gemm, qs8GemmScratchSize } from "../src/kernels/qs8-gemm.js";
import { packQs8GemmDynamic, qs8GemmDequantize, qs8GemmDequantizeScratchSize } from "../src/kernels/qs8-gemm-dynamic.js";
import { DYNAMIC_QUANTIZE_SCRATCH_SIZE, qs8DynamicQuantizeF32 } from "../src/kernels/quantize.js";
import { conv2dOutputHW, type Conv2dShape } from "../src/kernels/shapes.js";

const arena = new WasmArena(await instantiateKernels("simd"));
const pattern = (length: number, step: number) => Int8Array.from({ length }, (_, i) => ((i * step) % 255) - 127);
/** Weights within a window of 2^bits values. */
const narrow = (length: number, step: number, bits: number) => Int8Array.from({ length }, (_, i) => ((i * step) % 2 ** bits) - 2 ** (bits - 1));
const requant = (channels: number) => ({
  bias: null, inputZeroPoint: 3, multiplier: new Int32Array(channels).fill(1 << 30), shift: new Int32Array(channels).fill(-10),
  outputZeroPoint: 0, qmin: -128, qmax: 127,
});

function time(name: string, macs: number, run: () => void): void {
  const reps = Math.max(20, Math.min(2000, Math.round(2e9 / macs)));
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    run();
    best = Math.min(best, performance.now() - start);
  }
  console.log(`${name.padEnd(36)} ${best.toFixed(3).padStart(8)} ms ${((2 * macs) / best / 1e6).toFixed(1).padStart(7)} GOP/s`);
}

for (const [M, N, K] of [[512, 512, 512], [1, 512, 512], [1, 1000, 1024], [64, 4096, 1024]]) {
  const mark = arena.mark();
  const packed = packQs8Gemm(arena, { weights: pattern(N * K, 7919), N, K, ...requant(N) });
  const input = arena.from("int8", pattern(M * K, 31));
  const output = arena.alloc("int8", M * N);
  const scratch = arena.alloc("int8", qs8GemmScratchSize(packed, M));
  time(`qs8_gemm ${M}x${N}x${K}`, M * N * K, () => qs8Gemm(arena.kernels, packed, input, M, output, scratch));
  arena.release(mark);
}

for (const bits of [7, 6]) {
  const [M, N, K] = [512, 512, 512];
  const mark = arena.mark();
  const packed = packQs8Gemm(arena, { weights: narrow(N * K, 7919, bits), N, K, ...requant(N) });
  const input = arena.from("int8", pattern(M * K, 31));
  const output = arena.alloc("int8", M * N);
  const scratch = arena.alloc("int8", qs8GemmScratchSize(packed, M));
  time(`qs8_gemm ${M}x${N}x${K} w${bits}`, M * N * K, () => qs8Gemm(arena.kernels, packed, input, M, output, scratch));
  arena.release(mark);
}

for (const [M, N, K] of [[512, 512, 512], [1, 512, 512], [64, 4096, 1024]]) {
  const mark = arena.mark();
  const packed = packQs8GemmDynamic(arena, { weights: pattern(N * K, 7919), N, K });
  const input = arena.from("int8", pattern(M * K, 31));
  const scales = arena.from("float32", new Float32Array(N).fill(1e-4));
  const bias = arena.from("float32", new Float32Array(N).fill(0.5));
  const output = arena.alloc("float32", M * N);
  const scratch = arena.alloc("int8", qs8GemmDequantizeScratchSize(packed, M));
  time(`qs8_gemm_f32 ${M}x${N}x${K}`, M * N * K, () => qs8GemmDequantize(arena.kernels, packed, input, M, 3, scales, bias, output, scratch));
  arena.release(mark);
}
{
  const mark = arena.mark();
  const length = 512 * 512;
  const x = arena.from("float32", Float32Array.from({ length }, (_, i) => Math.sin(i) * 3));
  const out = arena.alloc("int8", length);
  const params = arena.alloc("int32", DYNAMIC_QUANTIZE_SCRATCH_SIZE);
  // Reported as G elements/s (one "op" per element).
  time(`qs8_dynamic_quantize_f32 ${length} (Gelem/s)`, length / 2, () => qs8DynamicQuantizeF32(arena.kernels, x, length, out, params));
  arena.release(mark);
}

const same = { batch: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 1, kernelH: 3, kernelW: 3 };
const pointwise = { ...same, kernelH: 1, kernelW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 };
const valid = { padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 };
const convs: [string, Conv2dShape, Qs8Conv2dKind?][] = [
  ["conv 3x3 1->12 28x28 valid", { ...same, ...valid, inH: 28, inW: 28, inC: 1, outC: 12 }],
  ["  (im2col + GEMM)", { ...same, ...valid, inH: 28, inW: 28, inC: 1, outC: 12 }, "gemm"],
  ["conv 3x3 1->16 28x28 same", { ...same, inH: 28, inW: 28, inC: 1, outC: 16 }],
  ["  (im2col + GEMM)", { ...same, inH: 28, inW: 28, inC: 1, outC: 16 }, "gemm"],
  ["conv 3x3 64->64 56x56", { ...same, inH: 56, inW: 56, inC: 64, outC: 64 }],
  ["conv 1x1 128->128 28x28", { ...pointwise, inH: 28, inW: 28, inC: 128, outC: 128 }],
  ["conv 3x3/2 3->32 224x224", { ...same, inH: 224, inW: 224, inC: 3, outC: 32, strideH: 2, strideW: 2 }],
  ["  (im2col + GEMM)", { ...same, inH: 224, inW: 224, inC: 3, outC: 32, strideH: 2, strideW: 2 }, "gemm"],
  ["conv 5x5 1->32 28x28", { ...same, inH: 28, inW: 28, inC: 1, outC: 32, kernelH: 5, kernelW: 5, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2 }],
  ["  (im2col + GEMM)", { ...same, inH: 28, inW: 28, inC: 1, outC: 32, kernelH: 5, kernelW: 5, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2 }, "gemm"],
  ["depthwise 3x3 32ch 112x112", { ...same, inH: 112, inW: 112, inC: 32, outC: 32, groups: 32 }],
  ["depthwise 3x3 128ch 56x56", { ...same, inH: 56, inW: 56, inC: 128, outC: 128, groups: 128 }],
];
for (const [name, shape, kind] of convs) {
  const mark = arena.mark();
  const inCPerGroup = shape.inC / shape.groups;
  const K = inCPerGroup * shape.kernelH * shape.kernelW;
  const packed = packQs8Conv2d(arena, {
    weights: pattern(shape.outC * K, 7919), outC: shape.outC, inCPerGroup, kernelH: shape.kernelH, kernelW: shape.kernelW,
    groups: shape.groups, ...requant(shape.outC),
  }, { kind });
  const { outH, outW } = conv2dOutputHW(shape);
  const input = arena.from("int8", pattern(shape.batch * shape.inH * shape.inW * shape.inC, 31));
  const output = arena.alloc("int8", shape.batch * outH * outW * shape.outC);
  const scratch = arena.alloc("int8", qs8Conv2dScratchSize(packed, shape));
  time(name, shape.batch * outH * outW * shape.outC * K, () => qs8Conv2d(arena.kernels, packed, shape, input, output, scratch));
  arena.release(mark);
}
