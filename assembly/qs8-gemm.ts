// int8 x int8 -> int32 GEMMs (fully connected, batched), y[m, n] from acc[m, n] = sum_k x[m, k] * w[n, k] + init[n]:
//   qs8_gemm      int8 output, fused requantization:
//                 y = clamp(MBQM(acc, M0[n], shift[n]) + Z_y, qmin, qmax), init = b - Z_x * sum_k w[n, k];
//   qs8_gemm_f32  f32 output for dynamic quantization (Z_x and the scales change every run):
//                 y = f32(acc) * scale[n] (+ bias[n]), init = -Z_x * sum_k w[n, k].
// Weights, row sums and requantization constants come packed by the host (src/kernels/qs8-gemm.ts,
// src/kernels/qs8-gemm-dynamic.ts; layouts in qs8-microkernel.ts). `relaxed` selects the layout:
// 0 the widened one (every build), 1 the relaxed one (build "relaxed" only) whose weight bytes
// are w + weightOffset.
import {
  QS8_RELAXED_PREFIX, QS8_TILE_ROWS, copyRow, qs8_gemm_1x2, qs8_gemm_4x2, qs8_gemm_f32_1x2, qs8_gemm_f32_4x2, widenRow,
} from "./qs8-microkernel";

/** Bytes per scratch row: int16 over K rounded up to 8, or (relaxed) int8 over K rounded up to 16. */
// @ts-ignore: decorator
@inline
export function gemmRowBytes(K: i32, relaxed: i32): usize {
  if (!relaxed) return <usize>((K + 7) & ~7) << 1;
  return <usize>((K + 15) & ~15);
}

/** Where the rows start in the scratch (after the relaxed layout's corrections). */
// @ts-ignore: decorator
@inline
export function gemmRowsStart(scratch: usize, relaxed: i32): usize {
  return relaxed ? scratch + QS8_RELAXED_PREFIX : scratch;
}

/**
 * Writes row `r` of a tile from `length` int8 values at `src` in the scratch's layout: widened to
 * int16, or (relaxed) copied with its correction -weightOffset * sum at scratch + 4 * r.
 */
// @ts-ignore: decorator
@inline
export function prepareRow(src: usize, length: i32, scratch: usize, r: i32, rowBytes: usize, relaxed: i32, weightOffset: i32): void {
  const rows = gemmRowsStart(scratch, relaxed);
  if (!relaxed) {
    widenRow(src, length, rows + <usize>r * rowBytes, <i32>(rowBytes >> 1));
  } else {
    const sum = copyRow(src, length, rows + <usize>r * rowBytes, <i32>rowBytes);
    store<i32>(scratch + (<usize>r << 2), -weightOffset * sum);
  }
}

/**
 * int8 GEMM: input int8 [M, K] row-major, output int8 [M, N] row-major, `packed` as produced by
 * packQs8Gemm, scratch of qs8GemmTileBytes (host): 4 rows of gemmRowBytes and, widened, 4 more for
 * their interleaved copy (1 row when M < 4; + QS8_RELAXED_PREFIX relaxed).
 * Reads only its inputs; writes only output and scratch.
 *
 * Each tile of four rows is prepared in the scratch, then multiplied by all packed channels in
 * 4x2 register tiles; leftover rows go one at a time.
 */
export function qs8_gemm(
  input: usize, M: i32, K: i32, N: i32, packed: usize, scratch: usize, output: usize,
  outputZeroPoint: i32, qmin: i32, qmax: i32, relaxed: i32, weightOffset: i32,
): void {
  if (!ASC_FEATURE_RELAXED_SIMD && relaxed) unreachable();
  const rowBytes = gemmRowBytes(K, relaxed);
  const rows = gemmRowsStart(scratch, relaxed);
  let m = 0;
  for (; m + QS8_TILE_ROWS <= M; m += QS8_TILE_ROWS) {
    for (let r = 0; r < QS8_TILE_ROWS; r++) {
      prepareRow(input + <usize>(m + r) * <usize>K, K, scratch, r, rowBytes, relaxed, weightOffset);
    }
    qs8_gemm_4x2(rows, rowBytes, packed, N, output + <usize>m * <usize>N, <usize>N, outputZeroPoint, qmin, qmax, relaxed);
  }
  for (; m < M; m++) {
    prepareRow(input + <usize>m * <usize>K, K, scratch, 0, rowBytes, relaxed, weightOffset);
    qs8_gemm_1x2(rows, rowBytes, packed, N, output + <usize>m * <usize>N, outputZeroPoint, qmin, qmax, relaxed);
  }
}

/**
 * Dequantizing int8 GEMM: input int8 [M, K] with zero point Z_x, output f32 [M, N],
 * out[m, n] = f32(acc) * scales[n] + bias[n] (f32 operations in that order; no addition when
 * bias == 0). `packed` from packQs8GemmDynamic; scratch as for qs8_gemm.
 */
export function qs8_gemm_f32(
  input: usize, M: i32, K: i32, N: i32, packed: usize, scratch: usize, output: usize,
  inputZeroPoint: i32, scales: usize, bias: usize, relaxed: i32, weightOffset: i32,
): void {
  if (!ASC_FEATURE_RELAXED_SIMD && relaxed) unreachable();
  const rowBytes = gemmRowBytes(K, relaxed);
  const rows = gemmRowsStart(scratch, relaxed);
  const rowStride = <usize>N << 2;
  let m = 0;
  for (; m + QS8_TILE_ROWS <= M; m += QS8_TILE_ROWS) {
    for (let r = 0; r < QS8_TILE_ROWS; r++) {
      prepareRow(input + <usize>(m + r) * <usize>K, K, scratch, r, rowBytes, relaxed, weightOffset);
    }
    qs8_gemm_f32_4x2(rows, rowBytes, packed, N, output + <usize>m * rowStride, <usize>N, inputZeroPoint, scales, bias, relaxed);
  }
  for (; m < M; m++) {
    prepareRow(input + <usize>m * <usize>K, K, scratch, 0, rowBytes, relaxed, weightOffset);
    qs8_gemm_f32_1x2(rows, rowBytes, packed, N, output + <usize>m * rowStride, inputZeroPoint, scales, bias, relaxed);
  }
}
