// Host side of the int8 GEMM (assembly/qs8-gemm.ts): packs weights once, validates every call.
import { ShapeError } from "../errors.js";
import { requireBuffer, type WasmArena, type WasmBuffer } from "./arena.js";
import type { KernelInstance } from "./module.js";
import {
  accumulatorInit,
  requireDisjoint,
  requirePositiveInteger,
  requireSameInstance,
  roundUp,
  validateRequantParams,
  writeRequantFields,
  type Qs8RequantParams,
} from "./qs8-common.js";

type Ptr = number;

export interface Qs8GemmExports {
  qs8_gemm(
    input: Ptr, M: number, K: number, N: number, packed: Ptr, scratch: Ptr, output: Ptr,
    outputZeroPoint: number, qmin: number, qmax: number,
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
  /** K rounded up to a multiple of 8. */
  readonly kPadded: number;
  readonly outputZeroPoint: number;
  readonly qmin: number;
  readonly qmax: number;
  /** ceil(N / 2) blocks of QS8_PAIR_HEADER_BYTES + 2 * kPadded bytes. */
  readonly buffer: WasmBuffer;
}

/** Must equal QS8_PAIR_HEADER in assembly/qs8-microkernel.ts: 7 fields x 4 int32 lanes. */
const QS8_PAIR_HEADER_BYTES = 112;
/** Rows of the GEMM register tile (QS8_TILE_ROWS in assembly). */
const TILE_ROWS = 4;

/** Writes a pair block's header at int32 index `at`: lane l concerns channel laneChannels[l] (-1: none). */
export type PairHeaderWriter = (ints: Int32Array, at: number, laneChannels: readonly number[]) => void;

/**
 * Packs N channels of [N, K] weights into ceil(N / 2) blocks at byte offset `ptr` of `memory`:
 * a 112-byte header (written by `writeHeader` for lanes [c0, c1, c0, c1]) then kPadded / 8 groups
 * of [8 weights of c0 | 8 weights of c1], zero-padded along K and for a missing second channel.
 */
export function writeQs8PairBlocks(
  memory: ArrayBuffer, ptr: number, weights: Int8Array, N: number, K: number, writeHeader: PairHeaderWriter,
): void {
  const kPadded = roundUp(K, 8);
  const blockBytes = QS8_PAIR_HEADER_BYTES + 2 * kPadded;
  const blocks = Math.ceil(N / 2);
  const bytes = new Int8Array(memory, ptr, blocks * blockBytes);
  const ints = new Int32Array(memory, ptr, (blocks * blockBytes) / 4);
  bytes.fill(0);
  for (let b = 0; b < blocks; b++) {
    const base = b * blockBytes;
    const c0 = 2 * b;
    const c1 = c0 + 1 < N ? c0 + 1 : -1;
    writeHeader(ints, base / 4, [c0, c1, c0, c1]);
    for (const [half, c] of [[0, c0], [1, c1]]) {
      if (c < 0) continue;
      for (let k = 0; k < K; k++) {
        bytes[base + QS8_PAIR_HEADER_BYTES + (k >> 3) * 16 + half * 8 + (k & 7)] = weights[c * K + k];
      }
    }
  }
}

/** The header writer of requantizing blocks: requantizeAccumulators' seven fields per lane. */
export function requantHeader(init: Int32Array, multiplier: Int32Array, shift: Int32Array): PairHeaderWriter {
  return (ints, at, laneChannels) => writeRequantFields(ints, at, 4, laneChannels, init, multiplier, shift);
}

/** Bytes of packed blocks for N channels over a reduction of length K. */
export function qs8PairBlocksBytes(N: number, K: number): number {
  return Math.ceil(N / 2) * (QS8_PAIR_HEADER_BYTES + 2 * roundUp(K, 8));
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
  const buffer = arena.alloc("int8", qs8PairBlocksBytes(N, K));
  writeQs8PairBlocks(arena.kernels.memory.buffer, buffer.ptr, weights, N, K, requantHeader(init, params.multiplier, params.shift));
  return {
    kernels: arena.kernels,
    N,
    K,
    kPadded: roundUp(K, 8),
    outputZeroPoint: params.outputZeroPoint,
    qmin: params.qmin,
    qmax: params.qmax,
    buffer,
  };
}

/** int8 scratch elements qs8Gemm needs for M rows: one widened (int16) tile of rows. */
export function qs8GemmScratchSize(packed: PackedQs8Gemm, M: number): number {
  return widenedTileBytes("qs8GemmScratchSize", packed.kPadded, M);
}

/** Bytes of one tile of M's rows widened to int16 over kPadded (the GEMM kernels' scratch). */
export function widenedTileBytes(kernel: string, kPadded: number, M: number): number {
  requirePositiveInteger(kernel, "M", M);
  return (M >= TILE_ROWS ? TILE_ROWS : 1) * 2 * kPadded;
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
  requireSameInstance(kernel, kernels, packed.kernels);
  const scratchSize = qs8GemmScratchSize(packed, M);
  const { N, K } = packed;
  requireBuffer(kernel, "input", input, "int8", M * K);
  requireBuffer(kernel, "output", output, "int8", M * N);
  if (scratch === undefined) throw new TypeError(`${kernel}: a scratch buffer of ${scratchSize} int8 elements is required`);
  requireBuffer(kernel, "scratch", scratch, "int8", scratchSize);
  requireDisjoint(kernel, { output, scratch }, { input, packed: packed.buffer });
  kernels.exports.qs8_gemm(
    input.ptr, M, K, N, packed.buffer.ptr, scratch.ptr, output.ptr,
    packed.outputZeroPoint, packed.qmin, packed.qmax,
  );
}
