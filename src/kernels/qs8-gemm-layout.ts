// The packed weight layouts of the int8 GEMM micro-kernels (assembly/qs8-microkernel.ts), shared by
// qs8_gemm, qs8_gemm_f32 and the im2col convolution: blocks of two output channels, each a
// 144-byte header (requantization fields, or row sums) followed by the channels' weights.
//   plain   (every build): rows widened to int16; weights int16 in groups of 8 per channel.
//   relaxed (build "relaxed", weights within a 7-bit window, w + o in [0, 127]): rows stay int8;
//           weight bytes w + o in groups of 16 per channel, for i32x4.relaxed_dot_i8x16_i7x16_add_s.
import type { KernelInstance } from "./module.js";
import { requirePositiveInteger, roundUp } from "./qs8-common.js";

/** Must equal QS8_PAIR_HEADER in assembly/qs8-microkernel.ts: 9 fields x 4 lanes. */
const PAIR_HEADER_BYTES = 144;
/** QS8_RELAXED_PREFIX: the relaxed rows' int32 corrections before them in the scratch. */
const RELAXED_PREFIX_BYTES = 16;
/** Rows of the GEMM register tile (QS8_TILE_ROWS in assembly). */
const TILE_ROWS = 4;

export interface Qs8GemmLayout {
  /** 0: plain. 1: relaxed. */
  readonly relaxed: 0 | 1;
  /** o: the relaxed weight bytes are w + o (0 for plain). */
  readonly weightOffset: number;
  /** K rounded up to the layout's group: 8 (plain) or 16 (relaxed). */
  readonly kPadded: number;
}

/**
 * The layout for int8 weights on `kernels`: relaxed when the build has relaxed SIMD and all weights
 * lie in a window of at most 128 values (max - min <= 127, o = -min), else plain.
 */
export function chooseQs8GemmLayout(kernels: KernelInstance, weights: Int8Array, K: number): Qs8GemmLayout {
  if (kernels.build === "relaxed" && weights.length > 0) {
    let low = 127;
    let high = -128;
    for (const w of weights) {
      if (w < low) low = w;
      if (w > high) high = w;
    }
    if (high - low <= 127) return { relaxed: 1, weightOffset: -low, kPadded: roundUp(K, 16) };
  }
  return { relaxed: 0, weightOffset: 0, kPadded: roundUp(K, 8) };
}

/** Bytes of one block of two channels. */
function blockBytes(layout: Qs8GemmLayout): number {
  return PAIR_HEADER_BYTES + (layout.relaxed ? 2 : 4) * layout.kPadded;
}

/** Bytes of packed blocks for N channels. */
export function qs8PairBlocksBytes(N: number, layout: Qs8GemmLayout): number {
  return Math.ceil(N / 2) * blockBytes(layout);
}

/** Writes a pair block's header at int32 index `at`: lane l concerns channel laneChannels[l] (-1: none). */
export type PairHeaderWriter = (ints: Int32Array, at: number, laneChannels: readonly number[]) => void;

/**
 * Packs N channels of [N, K] weights into ceil(N / 2) blocks at byte offset `ptr` of `memory`: the
 * header (written by `writeHeader` for lanes [c0, c1, c0, c1]) then groups of G = 8 int16 (plain)
 * or 16 bytes (relaxed) per channel, [G of c0 | G of c1], zero-padded along K and for a missing
 * second channel (relaxed: the padded bytes are 0 too, against zero rows).
 */
export function writeQs8PairBlocks(
  memory: ArrayBuffer, ptr: number, weights: Int8Array, N: number, K: number, layout: Qs8GemmLayout,
  writeHeader: PairHeaderWriter,
): void {
  const group = layout.relaxed ? 16 : 8;
  const bytesPerBlock = blockBytes(layout);
  const blocks = Math.ceil(N / 2);
  const bytes = new Int8Array(memory, ptr, blocks * bytesPerBlock);
  const halves = new Int16Array(memory, ptr, (blocks * bytesPerBlock) / 2);
  const ints = new Int32Array(memory, ptr, (blocks * bytesPerBlock) / 4);
  bytes.fill(0);
  for (let b = 0; b < blocks; b++) {
    const base = b * bytesPerBlock;
    const c0 = 2 * b;
    const c1 = c0 + 1 < N ? c0 + 1 : -1;
    writeHeader(ints, base / 4, [c0, c1, c0, c1]);
    for (const [half, c] of [[0, c0], [1, c1]]) {
      if (c < 0) continue;
      for (let k = 0; k < K; k++) {
        const at = Math.floor(k / group) * 2 * group + half * group + (k % group);
        if (layout.relaxed) bytes[base + PAIR_HEADER_BYTES + at] = weights[c * K + k] + layout.weightOffset;
        else halves[(base + PAIR_HEADER_BYTES) / 2 + at] = weights[c * K + k];
      }
    }
  }
}

/** Scratch bytes of one tile of M's rows (4 rows, or 1 when M < 4) in `layout`. */
export function qs8GemmTileBytes(kernel: string, layout: Qs8GemmLayout, M: number): number {
  requirePositiveInteger(kernel, "M", M);
  const rows = M >= TILE_ROWS ? TILE_ROWS : 1;
  // Widened tiles of four rows take twice their size: the rows, then their interleaved copy.
  const copies = rows === TILE_ROWS ? 2 : 1;
  return layout.relaxed ? RELAXED_PREFIX_BYTES + rows * layout.kPadded : copies * rows * 2 * layout.kPadded;
}
