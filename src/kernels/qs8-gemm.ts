// Host side of the int8 GEMM (assembly/qs8-gemm.ts): packs weights once (in the relaxed layout when
// the instance's build and the weights allow it, see qs8-gemm-layout.ts), validates every call.
import { ShapeError } from "../errors.js";
import { requireBuffer, type WasmArena, type WasmBuffer } from "./arena.js";
import { requireGemmBuffersDisjoint, requireSameInstance } from "./checks.js";
import type { KernelInstance } from "./module.js";
import {
  accumulatorInit,
  requirePositiveInteger,
  validateRequantParams,
  writeRequantFields,
  type Qs8RequantParams,
} from "./qs8-common.js";
import {
  chooseQs8GemmLayout, qs8GemmTileBytes, qs8PairBlocksBytes, writeQs8PairBlocks, type PairHeaderWriter, type Qs8GemmLayout,
} from "./qs8-gemm-layout.js";

type Ptr = number;

export interface Qs8GemmExports {
  qs8_gemm(
    input: Ptr, M: number, K: number, N: number, packed: Ptr, scratch: Ptr, output: Ptr,
    outputZeroPoint: number, qmin: number, qmax: number, relaxed: number, weightOffset: number,
  ): void;
}

export interface Qs8GemmParams extends Qs8RequantParams {
  /** int8 [N, K] row-major (like ONNX Gemm with transB = 1). */
  readonly weights: Int8Array;
  readonly N: number;
  readonly K: number;
}

/** Weights and requantization constants in the layout qs8_gemm reads (qs8-microkernel.ts). */
export interface PackedQs8Gemm {
  readonly kernels: KernelInstance;
  readonly N: number;
  readonly K: number;
  readonly layout: Qs8GemmLayout;
  readonly outputZeroPoint: number;
  readonly qmin: number;
  readonly qmax: number;
  /** ceil(N / 2) pair blocks in `layout`. */
  readonly buffer: WasmBuffer;
}

/** The header writer of requantizing blocks: requantizeAccumulators' nine fields per lane. */
export function requantHeader(init: Int32Array, multiplier: Int32Array, shift: Int32Array): PairHeaderWriter {
  return (ints, at, laneChannels) => writeRequantFields(ints, at, 4, laneChannels, init, multiplier, shift);
}

/** Copies int8 [N, K] weights and their requantization into the arena once, in qs8_gemm's layout. */
export function packQs8Gemm(arena: WasmArena, params: Qs8GemmParams): PackedQs8Gemm {
  const kernel = "packQs8Gemm";
  const { weights, N, K } = params;
  requirePositiveInteger(kernel, "N", N);
  requirePositiveInteger(kernel, "K", K);
  if (!(weights instanceof Int8Array)) throw new TypeError(`${kernel}: weights must be an Int8Array`);
  if (weights.length !== N * K) {
    throw new ShapeError(`${kernel}: weights have ${weights.length} elements, expected N * K = ${N} * ${K} = ${N * K}`);
  }
  validateRequantParams(kernel, N, params);
  const init = accumulatorInit(weights, N, K, params.bias, params.inputZeroPoint);
  const layout = chooseQs8GemmLayout(arena.kernels, weights, K);
  const buffer = arena.alloc("int8", qs8PairBlocksBytes(N, layout));
  writeQs8PairBlocks(arena.kernels.memory.buffer, buffer.ptr, weights, N, K, layout, requantHeader(init, params.multiplier, params.shift));
  return {
    kernels: arena.kernels,
    N,
    K,
    layout,
    outputZeroPoint: params.outputZeroPoint,
    qmin: params.qmin,
    qmax: params.qmax,
    buffer,
  };
}

/** int8 scratch elements qs8Gemm needs for M rows: one tile of rows in the packed layout. */
export function qs8GemmScratchSize(packed: PackedQs8Gemm, M: number): number {
  return qs8GemmTileBytes("qs8GemmScratchSize", packed.layout, M);
}

/** y = requantize(x W^T + b): input int8 [M, K], output int8 [M, N]. */
export function qs8Gemm(
  kernels: KernelInstance,
  packed: PackedQs8Gemm,
  input: WasmBuffer,
  M: number,
  output: WasmBuffer,
  scratch?: WasmBuffer,
): void {
  const kernel = "qs8Gemm";
  requireSameInstance(kernel, packed.kernels, kernels);
  const scratchSize = qs8GemmScratchSize(packed, M);
  const { N, K } = packed;
  requireBuffer(kernel, "input", input, "int8", M * K);
  requireBuffer(kernel, "output", output, "int8", M * N);
  if (scratch === undefined) throw new TypeError(`${kernel}: a scratch buffer of ${scratchSize} int8 elements is required`);
  requireBuffer(kernel, "scratch", scratch, "int8", scratchSize);
  requireGemmBuffersDisjoint(kernel, output, scratch, input, packed.buffer);
  kernels.exports.qs8_gemm(
    input.ptr, M, K, N, packed.buffer.ptr, scratch.ptr, output.ptr,
    packed.outputZeroPoint, packed.qmin, packed.qmax, packed.layout.relaxed, packed.layout.weightOffset,
  );
}
