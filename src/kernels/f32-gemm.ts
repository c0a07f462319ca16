// Host side of assembly/f32-gemm.ts: packs [N, K] weights into panels once, validates and calls.
import { requireDisjoint, requireSameInstance } from "./checks.js";
import { requireBuffer, type WasmArena, type WasmBuffer } from "./arena.js";
import {
  requireFloat32Array, requireDimension, resolveClamp, type ClampRange,
} from "./f32-common.js";
import type { KernelInstance } from "./module.js";

type Ptr = number;

export interface F32GemmExports {
  f32_gemm(
    x: Ptr, xStride: number, M: number, K: number, packed: Ptr, bias: Ptr, N: number,
    y: Ptr, yStride: number, clampMin: number, clampMax: number,
  ): void;
}

/** Output channels per packed panel; must equal NR in assembly/f32-gemm.ts. */
export const F32_GEMM_PANEL = 8;

/** Floats the packed weights of an N x K matrix occupy (N rounded up to whole panels). */
export function f32GemmPackedLength(N: number, K: number): number {
  return Math.ceil(N / F32_GEMM_PANEL) * F32_GEMM_PANEL * K;
}

/**
 * Writes the panel layout of `matrix` ([N, K] row-major) into `target` from `offset`:
 * panel p holds w[8p + j, k] at (p * K + k) * 8 + j; rows past N stay as they are (zero).
 */
export function writeF32GemmPanels(matrix: Float32Array, N: number, K: number, target: Float32Array, offset: number): void {
  for (let n = 0; n < N; n++) {
    const panelBase = offset + Math.floor(n / F32_GEMM_PANEL) * F32_GEMM_PANEL * K + (n % F32_GEMM_PANEL);
    const row = n * K;
    for (let k = 0; k < K; k++) target[panelBase + k * F32_GEMM_PANEL] = matrix[row + k];
  }
}

export interface F32GemmParams extends Partial<ClampRange> {
  /** [N, K] row-major (ONNX Gemm transB=1, PyTorch Linear). */
  readonly weights: Float32Array;
  readonly N: number;
  readonly K: number;
  /** [N], or null for none. */
  readonly bias: Float32Array | null;
}

/** Weights in the kernel's panel layout inside one kernel instance's memory. */
export interface PackedF32Gemm extends ClampRange {
  readonly kernels: KernelInstance;
  readonly N: number;
  readonly K: number;
  /** f32GemmPackedLength(N, K) floats. */
  readonly weights: WasmBuffer;
  /** N rounded up to whole panels, zero-padded. */
  readonly bias: WasmBuffer;
}

/** Packs a Linear / Gemm layer's weights and bias once, at load time. */
export function packF32Gemm(arena: WasmArena, params: F32GemmParams): PackedF32Gemm {
  const kernel = "packF32Gemm";
  const { N, K } = params;
  requireDimension(kernel, "N", N);
  requireDimension(kernel, "K", K);
  const matrix = requireFloat32Array(kernel, "weights", params.weights, N * K);
  const bias = params.bias === null ? null : requireFloat32Array(kernel, "bias", params.bias, N);
  const clamp = resolveClamp(kernel, params.clampMin, params.clampMax);

  const packedWeights = new Float32Array(f32GemmPackedLength(N, K));
  writeF32GemmPanels(matrix, N, K, packedWeights, 0);
  const paddedBias = new Float32Array(Math.ceil(N / F32_GEMM_PANEL) * F32_GEMM_PANEL);
  if (bias) paddedBias.set(bias);
  return {
    kernels: arena.kernels, N, K, ...clamp,
    weights: arena.from("float32", packedWeights),
    bias: arena.from("float32", paddedBias),
  };
}

/** output[M, N] = clamp(input[M, K] * weights^T + bias). */
export function f32Gemm(kernels: KernelInstance, packed: PackedF32Gemm, input: WasmBuffer, M: number, output: WasmBuffer): void {
  const kernel = "f32Gemm";
  requireSameInstance(kernel, packed.kernels, kernels);
  requireDimension(kernel, "M", M);
  const { N, K } = packed;
  requireBuffer(kernel, "input", input, "float32", M * K);
  requireBuffer(kernel, "output", output, "float32", M * N);
  requireDisjoint(kernel, "output", output, M * N, "input", input, M * K);
  requireDisjoint(kernel, "output", output, M * N, "weights", packed.weights, packed.weights.length);
  requireDisjoint(kernel, "output", output, M * N, "bias", packed.bias, packed.bias.length);
  kernels.exports.f32_gemm(
    input.ptr, K, M, K, packed.weights.ptr, packed.bias.ptr, N, output.ptr, N, packed.clampMin, packed.clampMax,
  );
}
