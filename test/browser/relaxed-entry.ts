// Bundled for Chromium by relaxed-build.test.ts: runs int8 GEMMs, dequantizing GEMMs and im2col
// convolutions on both kernel builds with the same operands and reports the first byte where their
// outputs differ. The plain build is checked against the scalar reference in Node (test/kernels/);
// equal outputs here carry that check over to the relaxed build, which Node 20 cannot run right.
import { WasmArena } from "../../src/kernels/arena.js";
import { instantiateKernels, selectKernelBuild } from "../../src/kernels/module.js";
import { packQs8Conv2d, qs8Conv2d, qs8Conv2dScratchSize } from "../../src/kernels/qs8-conv.js";
import { packQs8Gemm, qs8Gemm, qs8GemmScratchSize } from "../../src/kernels/qs8-gemm.js";
import { packQs8GemmDynamic, qs8GemmDequantize, qs8GemmDequantizeScratchSize } from "../../src/kernels/qs8-gemm-dynamic.js";
import { conv2dOutputHW, type Conv2dShape } from "../../src/kernels/shapes.js";
import { firstDifference, int8Data, makeRequant, style, weightData, type QuantStyle } from "../helpers/qs8.js";

export type BuildCase =
  | { readonly kind: "gemm" | "dynamic"; readonly M: number; readonly N: number; readonly K: number; readonly quant: QuantStyle }
  | { readonly kind: "conv"; readonly shape: Conv2dShape; readonly quant: QuantStyle };

/** The output bytes of `c` on one build. */
function outputBytes(arena: WasmArena, c: BuildCase): Uint8Array {
  const { kernels } = arena;
  const mark = arena.mark();
  try {
    const { quant } = c;
    if (c.kind === "conv") {
      const { shape } = c;
      const inCPerGroup = shape.inC / shape.groups;
      const K = inCPerGroup * shape.kernelH * shape.kernelW;
      const packed = packQs8Conv2d(arena, {
        weights: weightData(shape.outC * K, quant.seed + 1, quant), outC: shape.outC, inCPerGroup,
        kernelH: shape.kernelH, kernelW: shape.kernelW, groups: shape.groups, ...makeRequant(quant, shape.outC, K),
      }, { kind: "gemm" });
      const { outH, outW } = conv2dOutputHW(shape);
      const input = arena.from("int8", int8Data(shape.batch * shape.inH * shape.inW * shape.inC, quant.seed + 2, quant.data));
      const output = arena.alloc("int8", shape.batch * outH * outW * shape.outC);
      qs8Conv2d(kernels, packed, shape, input, output, arena.alloc("int8", qs8Conv2dScratchSize(packed, shape)));
      return new Uint8Array(kernels.memory.buffer, output.ptr, output.length).slice();
    }
    const { M, N, K } = c;
    const weights = weightData(N * K, quant.seed + 1, quant);
    const input = arena.from("int8", int8Data(M * K, quant.seed + 2, quant.data));
    if (c.kind === "gemm") {
      const packed = packQs8Gemm(arena, { weights, N, K, ...makeRequant(quant, N, K) });
      const output = arena.alloc("int8", M * N);
      qs8Gemm(kernels, packed, input, M, output, arena.alloc("int8", qs8GemmScratchSize(packed, M)));
      return new Uint8Array(kernels.memory.buffer, output.ptr, M * N).slice();
    }
    const packed = packQs8GemmDynamic(arena, { weights, N, K });
    const scales = arena.from("float32", Float32Array.from({ length: N }, (_, n) => 2 ** -(8 + ((quant.seed + n) & 15))));
    const bias = quant.bias === "none" ? null : arena.from("float32", Float32Array.from({ length: N }, (_, n) => (n - N / 2) / 7));
    const output = arena.alloc("float32", M * N);
    qs8GemmDequantize(kernels, packed, input, M, quant.inputZeroPoint, scales, bias, output, arena.alloc("int8", qs8GemmDequantizeScratchSize(packed, M)));
    return new Uint8Array(kernels.memory.buffer, output.ptr, 4 * M * N).slice();
  } finally {
    arena.release(mark);
  }
}

async function main(): Promise<void> {
  const build = await selectKernelBuild();
  const [simd, relaxed] = [new WasmArena(await instantiateKernels("simd")), new WasmArena(await instantiateKernels("relaxed"))];
  const layoutOf = (bits: number) => {
    const mark = relaxed.mark();
    const weights = weightData(64, 1, { weights: { bits, shifted: false }, data: "uniform" });
    const { layout } = packQs8Gemm(relaxed, { weights, N: 4, K: 16, ...makeRequant(style(), 4, 16) });
    relaxed.release(mark);
    return layout.relaxed;
  };
  Object.assign(globalThis, {
    __compare: (c: BuildCase) => firstDifference(outputBytes(relaxed, c), outputBytes(simd, c)),
    __result: { build, layoutOf7BitWeights: layoutOf(7), layoutOf8BitWeights: layoutOf(8) },
  });
}

main().catch((error: unknown) => Object.assign(globalThis, { __error: error instanceof Error ? error.stack ?? error.message : String(error) }));
