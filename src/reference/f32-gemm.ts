// Plain-loop fp32 GEMM, straight from the definition: the oracle for the SIMD kernel and the
// "plain TypeScript" baseline in benchmarks. Sums in float64 (JavaScript numbers).

export interface F32GemmReferenceParams {
  /** [N, K] row-major. */
  readonly weights: Float32Array;
  readonly N: number;
  readonly K: number;
  /** [N], or null for none. */
  readonly bias: Float32Array | null;
  readonly clampMin?: number;
  readonly clampMax?: number;
}

/** y[m, n] = clamp(bias[n] + sum_k x[m, k] * w[n, k]) for x [M, K]; returns y [M, N]. */
export function f32GemmReference(input: Float32Array, M: number, params: F32GemmReferenceParams): Float32Array {
  const { weights, N, K, bias, clampMin = -Infinity, clampMax = Infinity } = params;
  const output = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    const row = m * K;
    for (let n = 0; n < N; n++) {
      const wRow = n * K;
      let acc = bias ? bias[n] : 0;
      for (let k = 0; k < K; k++) acc += input[row + k] * weights[wRow + k];
      output[m * N + n] = Math.min(Math.max(acc, clampMin), clampMax);
    }
  }
  return output;
}
