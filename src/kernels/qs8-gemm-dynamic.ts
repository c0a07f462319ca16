// Host side of the dequantizing int8 GEMM (qs8_gemm_f32 in assembly/qs8-gemm.ts) for dynamic
// quantization: the weights are int8 offline, the activations are quantized per run with a fresh
// zero point Z_x, and the output is f32:
//   acc[m, n] = sum_k w[n, k] * (x[m, k] - Z_x)   (int32, wrapping)
//   y[m, n]   = f32(acc[m, n]) * scales[n] + bias[n]   (two rounded f32 operations, in that order)
// with scales[n] = S_x * S_w[n] recomputed by the caller per run. The packed blocks carry the
// weights' row sums, so the Z_x fold costs one multiply per output tile, not a repack.
import { ShapeError } from "../errors.js";
import { requireBuffer, type WasmArena, type WasmBuffer } from "./arena.js";
import type { KernelInstance } from "./module.js";
import { requireDisjoint, requireGemmBuffersDisjoint, requireSameInstance } from "./checks.js";
import { requirePositiveInteger } from "./qs8-common.js";
import { chooseQs8GemmLayout, qs8GemmTileBytes, qs8PairBlocksBytes, writeQs8PairBlocks, type Qs8GemmLayout } from "./qs8-gemm-layout.js";

type Ptr = number;

export interface Qs8GemmDynamicExports {
  qs8_gemm_f32(
    input: Ptr, M: number, K: number, N: number, packed: Ptr, scratch: Ptr, output: Ptr,
    inputZeroPoint: number, scales: Ptr, bias: Ptr, relaxed: number, weightOffset: number,
  ): void;
}

export interface Qs8GemmDynamicParams {
  /** int8 [N, K] row-major (ONNX MatMulInteger's B transposed; weight zero point 0). */
  readonly weights: Int8Array;
  readonly N: number;
  readonly K: number;
  /**
   * What the kernel multiplies by -Z_x and adds per output channel (default: the weights' row
   * sums, which fold the input zero point). The "onnx" requantization mode stores its whole
   * accumulator start here and passes Z_x = -1.
   */
  readonly rowSums?: Int32Array;
}

/** Weights and their row sums in the layout qs8_gemm_f32 reads (assembly/qs8-microkernel.ts). */
export interface PackedQs8GemmDynamic {
  readonly kernels: KernelInstance;
  readonly N: number;
  readonly K: number;
  readonly layout: Qs8GemmLayout;
  /** ceil(N / 2) pair blocks; the first header field holds sum_k w[n, k] in lanes [c0, c1, c0, c1]. */
  readonly buffer: WasmBuffer;
}

function weightRowSums(weights: Int8Array, N: number, K: number): Int32Array {
  const sums = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    let sum = 0;
    for (let k = 0; k < K; k++) sum += weights[n * K + k];
    sums[n] = sum;
  }
  return sums;
}

/** Copies int8 [N, K] weights and their row sums into the arena once, in qs8_gemm_f32's layout. */
export function packQs8GemmDynamic(arena: WasmArena, params: Qs8GemmDynamicParams): PackedQs8GemmDynamic {
  const kernel = "packQs8GemmDynamic";
  const { weights, N, K } = params;
  requirePositiveInteger(kernel, "N", N);
  requirePositiveInteger(kernel, "K", K);
  if (!(weights instanceof Int8Array)) throw new TypeError(`${kernel}: weights must be an Int8Array`);
  if (weights.length !== N * K) {
    throw new ShapeError(`${kernel}: weights have ${weights.length} elements, expected N * K = ${N} * ${K} = ${N * K}`);
  }
  const rowSums = params.rowSums ?? weightRowSums(weights, N, K);
  if (rowSums.length !== N) throw new ShapeError(`${kernel}: rowSums has ${rowSums.length} values, expected N = ${N}`);
  const layout = chooseQs8GemmLayout(arena.kernels, weights, K);
  const buffer = arena.alloc("int8", qs8PairBlocksBytes(N, layout));
  writeQs8PairBlocks(arena.kernels.memory.buffer, buffer.ptr, weights, N, K, layout, (ints, at, laneChannels) => {
    laneChannels.forEach((c, lane) => (ints[at + lane] = c < 0 ? 0 : rowSums[c]));
  });
  return { kernels: arena.kernels, N, K, layout, buffer };
}

/** int8 scratch elements qs8GemmDequantize needs for M rows. */
export function qs8GemmDequantizeScratchSize(packed: PackedQs8GemmDynamic, M: number): number {
  return qs8GemmTileBytes("qs8GemmDequantizeScratchSize", packed.layout, M);
}

/**
 * y = f32(x W^T - Z_x * rowsum(W)) * scales + bias: input int8 [M, K] with zero point
 * `inputZeroPoint`, scales and bias float32 [N] (bias may be null: no addition), output float32 [M, N].
 */
export function qs8GemmDequantize(
  kernels: KernelInstance,
  packed: PackedQs8GemmDynamic,
  input: WasmBuffer,
  M: number,
  inputZeroPoint: number,
  scales: WasmBuffer,
  bias: WasmBuffer | null,
  output: WasmBuffer,
  scratch: WasmBuffer,
): void {
  const kernel = "qs8GemmDequantize";
  requireSameInstance(kernel, packed.kernels, kernels);
  const scratchSize = qs8GemmDequantizeScratchSize(packed, M);
  const { N, K } = packed;
  if (!Number.isInteger(inputZeroPoint) || inputZeroPoint < -128 || inputZeroPoint > 127) {
    throw new RangeError(`${kernel}: inputZeroPoint must be an integer in [-128, 127], got ${inputZeroPoint}`);
  }
  requireBuffer(kernel, "input", input, "int8", M * K);
  requireBuffer(kernel, "scales", scales, "float32", N);
  if (bias !== null) {
    requireBuffer(kernel, "bias", bias, "float32", N);
    // The kernel reads a null pointer as "no bias".
    if (bias.ptr === 0) throw new RangeError(`${kernel}: bias cannot live at address 0`);
  }
  requireBuffer(kernel, "output", output, "float32", M * N);
  requireBuffer(kernel, "scratch", scratch, "int8", scratchSize);
  requireGemmBuffersDisjoint(kernel, output, scratch, input, packed.buffer);
  requireDisjoint(kernel, "output", output, output.length, "scales", scales, scales.length);
  requireDisjoint(kernel, "scratch", scratch, scratch.length, "scales", scales, scales.length);
  if (bias !== null) {
    requireDisjoint(kernel, "output", output, output.length, "bias", bias, bias.length);
    requireDisjoint(kernel, "scratch", scratch, scratch.length, "bias", bias, bias.length);
  }
  kernels.exports.qs8_gemm_f32(
    input.ptr, M, K, N, packed.buffer.ptr, scratch.ptr, output.ptr, inputZeroPoint, scales.ptr, bias === null ? 0 : bias.ptr,
    packed.layout.relaxed, packed.layout.weightOffset,
  );
}
