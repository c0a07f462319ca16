// Scalar references of the int8 GEMMs, straight from DESIGN.md 3:
// acc = sum_k w[n, k] * (x[m, k] - Z_x) + b[n]  (wrapping like int32), y = requantize(acc);
// and for dynamic quantization, acc without b, y = f32(acc) * scale[n] + bias[n] in float32.
import { requantize } from "../quant/fixed-point.js";
import type { Qs8GemmParams } from "../kernels/qs8-gemm.js";
import type { Qs8GemmDynamicParams } from "../kernels/qs8-gemm-dynamic.js";

/** y[m, n] for input int8 [M, K] and weights int8 [N, K]; returns int8 [M, N]. */
export function referenceQs8Gemm(input: Int8Array, M: number, params: Qs8GemmParams): Int8Array {
  const { weights, N, K, bias, inputZeroPoint } = params;
  const output = new Int8Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let acc = bias === null ? 0 : bias[n];
      for (let k = 0; k < K; k++) acc += weights[n * K + k] * (input[m * K + k] - inputZeroPoint);
      output[m * N + n] = requantize(acc | 0, params.multiplier[n], params.shift[n], params.outputZeroPoint, params.qmin, params.qmax);
    }
  }
  return output;
}

/**
 * Dequantized y[m, n] = fround(fround(fround(acc) * scales[n]) + bias[n]) (no addition without
 * bias), acc = sum_k w[n, k] * (x[m, k] - Z_x) wrapped to int32; returns float32 [M, N].
 * Each fround is one correctly rounded float32 operation (the double product of two float32
 * values is exact; the double sum rounds at most once more, harmlessly).
 */
export function referenceQs8GemmDequantize(
  input: Int8Array, M: number, params: Qs8GemmDynamicParams, inputZeroPoint: number,
  scales: Float32Array, bias: Float32Array | null,
): Float32Array {
  const { weights, N, K } = params;
  const output = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += weights[n * K + k] * (input[m * K + k] - inputZeroPoint);
      const scaled = Math.fround(Math.fround(acc | 0) * scales[n]);
      output[m * N + n] = bias === null ? scaled : Math.fround(scaled + bias[n]);
    }
  }
  return output;
}
