// Same-process A/B of two compiled kernel builds (.wasm files), for tuning by hand: both are
// loaded in one process and their calls alternate round by round, best time of each kept, so a
// slow phase of a shared machine hits both alike (separate runs here swing by up to 2x).
//   npm run asbuild && cp build/kernels-simd.wasm /tmp/a.wasm   # before a change
//   npm run asbuild && npx tsx bench/compare-builds.ts /tmp/a.wasm build/kernels-simd.wasm
// Both builds must share the host's packing layouts (the wrappers in src/kernels/ pack for them).
import { readFileSync } from "node:fs";
import { instantiate } from "@assemblyscript/loader";
import { WasmArena } from "../src/kernels/arena.js";
import type { KernelExports } from "../src/kernels/exports.js";
import type { KernelInstance } from "../src/kernels/module.js";
import { packQs8Conv2d, qs8Conv2d, qs8Conv2dScratchSize } from "../src/kernels/qs8-conv.js";
import { packQs8Gemm, qs8Gemm, qs8GemmScratchSize } from "../src/kernels/qs8-gemm.js";
import { prepareQs8Add, qs8Add } from "../src/kernels/qs8-add.js";
import { conv2dOutputHW, type Conv2dShape } from "../src/kernels/shapes.js";
async function load(path: string): Promise<KernelInstance> {
  const memory = new WebAssembly.Memory({ initial: 16 });
  const { exports } = await instantiate<KernelExports>(readFileSync(path), { env: { memory } });
  return { build: "simd", memory, exports, heapBase: exports.heapBase() };
}
const pattern = (length: number, step: number) => Int8Array.from({ length }, (_, i) => ((i * step) % 255) - 127);
const requant = (channels: number) => ({ bias: null, inputZeroPoint: 3, multiplier: new Int32Array(channels).fill(1 << 30), shift: new Int32Array(channels).fill(-14), outputZeroPoint: 0, qmin: -128, qmax: 127 });
type Job = { name: string; macs: number; run: () => void };
function jobs(k: KernelInstance): Job[] {
  const arena = new WasmArena(k);
  const out: Job[] = [];
  { const [M, N, K] = [512, 512, 512];
    const packed = packQs8Gemm(arena, { weights: pattern(N * K, 7919), N, K, ...requant(N) });
    const input = arena.from("int8", pattern(M * K, 31)); const output = arena.alloc("int8", M * N); const scratch = arena.alloc("int8", qs8GemmScratchSize(packed, M));
    out.push({ name: "gemm 512^3", macs: M * N * K, run: () => qs8Gemm(k, packed, input, M, output, scratch) }); }
  const same = { batch: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 1, kernelH: 3, kernelW: 3 };
  const convs: [string, Conv2dShape][] = [
    ["conv 1->12 28 valid b8", { ...same, batch: 8, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, inH: 28, inW: 28, inC: 1, outC: 12 }],
    ["conv 16->16 28 b4", { ...same, batch: 4, inH: 28, inW: 28, inC: 16, outC: 16 }],
    ["conv 64->64 56", { ...same, inH: 56, inW: 56, inC: 64, outC: 64 }],
    ["dw 32ch 112", { ...same, inH: 112, inW: 112, inC: 32, outC: 32, groups: 32 }],
  ];
  for (const [name, shape] of convs) {
    const inCPerGroup = shape.inC / shape.groups; const K = inCPerGroup * 9;
    const packed = packQs8Conv2d(arena, { weights: pattern(shape.outC * K, 7919), outC: shape.outC, inCPerGroup, kernelH: 3, kernelW: 3, groups: shape.groups, ...requant(shape.outC) });
    const { outH, outW } = conv2dOutputHW(shape);
    const input = arena.from("int8", pattern(shape.batch * shape.inH * shape.inW * shape.inC, 31));
    const output = arena.alloc("int8", shape.batch * outH * outW * shape.outC);
    const scratch = arena.alloc("int8", qs8Conv2dScratchSize(packed, shape));
    out.push({ name, macs: shape.batch * outH * outW * shape.outC * K, run: () => qs8Conv2d(k, packed, shape, input, output, scratch) });
  }
  { const n = 64 * 16 * 28 * 28; const a = arena.from("int8", pattern(n, 31)); const b = arena.from("int8", pattern(n, 17)); const o = arena.alloc("int8", n);
    const params = prepareQs8Add({ s1: 0.05, z1: 3, s2: 0.03, z2: -5, sy: 0.07, zy: 1 });
    out.push({ name: "add 802816", macs: n / 2, run: () => qs8Add(k, a, [n], b, [n], params, o) }); }
  return out;
}
const [A, B] = [await load(process.argv[2]), await load(process.argv[3])];
const ja = jobs(A), jb = jobs(B);
const best = ja.map(() => [Infinity, Infinity]);
for (let round = 0; round < 12; round++) {
  for (let j = 0; j < ja.length; j++) {
    for (const [side, job] of [[0, ja[j]], [1, jb[j]]] as const) {
      const reps = Math.max(3, Math.min(50, Math.round(2e8 / job.macs)));
      for (let r = 0; r < reps; r++) { const t = performance.now(); job.run(); best[j][side] = Math.min(best[j][side], performance.now() - t); }
    }
  }
}
for (let j = 0; j < ja.length; j++) {
  const [a, b] = best[j];
  console.log(`${ja[j].name.padEnd(24)} A ${a.toFixed(3)} ms  B ${b.toFixed(3)} ms  B/A speed ${(a / b).toFixed(2)}x`);
}
