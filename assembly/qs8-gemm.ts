// int8 x int8 -> int32 GEMMs (fully connected, batched), y[m, n] from acc[m, n] = sum_k x[m, k] * w[n, k] + init[n]:
//   qs8_gemm      int8 output, fused requantization:
//                 y = clamp(MBQM(acc, M0[n], shift[n]) + Z_y, qmin, qmax), init = b - Z_x * sum_k w[n, k];
//   qs8_gemm_f32  f32 output for dynamic quantization (Z_x and the scales change every run):
//                 y = f32(acc) * scale[n] (+ bias[n]), init = -Z_x * sum_k w[n, k].
// Weights, row sums and requantization constants come packed by the host (src/kernels/qs8-gemm.ts,
// src/kernels/qs8-gemm-dynamic.ts; layout in qs8-microkernel.ts).
import {
  QS8_TILE_ROWS, qs8_gemm_1x2, qs8_gemm_4x2, qs8_gemm_f32_1x2, qs8_gemm_f32_4x2, widenRow,
} from "./qs8-microkernel";

/**
 * int8 GEMM: input int8 [M, K] row-major, output int8 [M, N] row-major, `packed` as produced by
 * packQs8Gemm, scratch of 4 * 2 * roundUp(K, 8) bytes (2 * roundUp(K, 8) when M < 4).
 * Reads only its inputs; writes only output and scratch.
 *
 * Each tile of four rows is widened to int16 into the scratch, then multiplied by all packed
 * channels in 4x2 register tiles; leftover rows go one at a time.
 */
export function qs8_gemm(
  input: usize, M: i32, K: i32, N: i32, packed: usize, scratch: usize, output: usize,
  outputZeroPoint: i32, qmin: i32, qmax: i32,
): void {
  const kPadded = (K + 7) & ~7;
  const rowBytes = <usize>kPadded << 1;
  let m = 0;
  for (; m + QS8_TILE_ROWS <= M; m += QS8_TILE_ROWS) {
    for (let r = 0; r < QS8_TILE_ROWS; r++) {
      widenRow(input + <usize>(m + r) * <usize>K, K, scratch + <usize>r * rowBytes, kPadded);
    }
    qs8_gemm_4x2(scratch, rowBytes, packed, N, output + <usize>m * <usize>N, <usize>N, outputZeroPoint, qmin, qmax);
  }
  for (; m < M; m++) {
    widenRow(input + <usize>m * <usize>K, K, scratch, kPadded);
    qs8_gemm_1x2(scratch, rowBytes, packed, N, output + <usize>m * <usize>N, outputZeroPoint, qmin, qmax);
  }
}

/**
 * Dequantizing int8 GEMM: input int8 [M, K] with zero point Z_x, output f32 [M, N],
 * out[m, n] = f32(acc) * scales[n] + bias[n] (f32 operations in that order; no addition when
 * bias == 0). `packed` from packQs8GemmDynamic; scratch as for qs8_gemm.
 */
export function qs8_gemm_f32(
  input: usize, M: i32, K: i32, N: i32, packed: usize, scratch: usize, output: usize,
  inputZeroPoint: i32, scales: usize, bias: usize,
): void {
  const kPadded = (K + 7) & ~7;
  const rowBytes = <usize>kPadded << 1;
  const rowStride = <usize>N << 2;
  let m = 0;
  for (; m + QS8_TILE_ROWS <= M; m += QS8_TILE_ROWS) {
    for (let r = 0; r < QS8_TILE_ROWS; r++) {
      widenRow(input + <usize>(m + r) * <usize>K, K, scratch + <usize>r * rowBytes, kPadded);
    }
    qs8_gemm_f32_4x2(scratch, rowBytes, packed, N, output + <usize>m * rowStride, <usize>N, inputZeroPoint, scales, bias);
  }
  for (; m < M; m++) {
    widenRow(input + <usize>m * <usize>K, K, scratch, kPadded);
    qs8_gemm_f32_1x2(scratch, rowBytes, packed, N, output + <usize>m * rowStride, inputZeroPoint, scales, bias);
  }
}
