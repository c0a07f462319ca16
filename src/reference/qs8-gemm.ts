// Scalar reference of the int8 GEMM, straight from DESIGN.md 3:
// acc = sum_k w[n, k] * (x[m, k] - Z_x) + b[n]  (wrapping like int32), y = requantize(acc).
import { requantize } from "../quant/fixed-point.js";
import type { Qs8GemmParams } from "../kernels/qs8-gemm.js";

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
