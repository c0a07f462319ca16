// Load-time quantization of conv / fully connected layers (DESIGN.md sections 2-3): weights
// symmetric narrow-range per output channel, int32 biases on the scale S_x * S_w[c], the
// accumulator start values and the fixed-point output multipliers.
import { InvalidArgumentError, QuantizationError, ShapeError } from "../errors.js";
import { axisLayout, forEachChannelRun, type AxisLayout } from "./axis.js";
import { quantizeMultiplier } from "./fixed-point.js";
import { channelMinMax, qparamsFromRange, quantRange, type QParamsOptions } from "./qparams.js";
import { quantizePerAxis, roundHalfToEven } from "./quantize.js";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export interface WeightQuantizationOptions {
  /** 2..8 (default 8): codes live in int8 containers whatever the width. */
  readonly bits?: number;
  /** One scale per index along `axis` (default true), else one scale for the tensor. */
  readonly perChannel?: boolean;
  /** The output-channel axis (default 0: ONNX Conv OIHW, Gemm transB=1 [N, K]). */
  readonly axis?: number;
  /** Names the tensor in errors. */
  readonly name?: string;
  /**
   * How each scale is chosen: "max" maps the largest |w| to qmax (default); "mse" searches the
   * clip (a fraction of max |w|) that minimises the squared quantization error, which matters
   * at 2-4 bits where a few large weights would otherwise waste most of the levels.
   */
  readonly clipping?: "max" | "mse";
}

const MSE_CLIP_FRACTIONS = Array.from({ length: 41 }, (_, i) => 1 - i * 0.0175);

/** Per-channel scales minimising sum (w - S * clamp(round(w / S), qmin, qmax))^2 over a grid of clips. */
function mseScales(weights: Float32Array, layout: AxisLayout, maxScales: Float32Array, perChannel: boolean, qmax: number): Float32Array {
  const groups = perChannel ? layout.channels : 1;
  const best = new Float64Array(groups).fill(Infinity);
  const chosen = Float32Array.from(maxScales);
  for (const fraction of MSE_CLIP_FRACTIONS) {
    const error = new Float64Array(groups);
    forEachChannelRun(layout, (channel, start, end) => {
      const g = perChannel ? channel : 0;
      const scale = Math.fround(maxScales[g] * fraction);
      let sum = 0;
      for (let i = start; i < end; i++) {
        const q = Math.min(Math.max(roundHalfToEven(weights[i] / scale), -qmax), qmax);
        sum += (weights[i] - scale * q) ** 2;
      }
      error[g] += sum;
    });
    for (let g = 0; g < groups; g++) {
      if (error[g] < best[g] && maxScales[g] * fraction > 0) {
        best[g] = error[g];
        chosen[g] = Math.fround(maxScales[g] * fraction);
      }
    }
  }
  return chosen;
}

export interface QuantizedWeights {
  /** Codes in [qmin, qmax] = [-(2^(b-1)-1), 2^(b-1)-1], same layout as the input. Z = 0 everywhere. */
  readonly codes: Int8Array;
  /** float32 scales: dims[axis] of them per channel, or a single one per tensor. */
  readonly scales: Float32Array;
  /** The channel axis, normalised to 0..rank-1. */
  readonly axis: number;
  readonly perChannel: boolean;
  readonly bits: number;
  readonly qmin: number;
  readonly qmax: number;
}

/** Symmetric narrow-range quantization of a weight tensor; NaN/±Infinity weights are an InvalidArgumentError. */
export function quantizeWeights(
  weights: Float32Array,
  dims: readonly number[],
  options: WeightQuantizationOptions = {},
): QuantizedWeights {
  const { bits = 8, perChannel = true, axis = 0, name } = options;
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) {
    throw new QuantizationError(`weight bits must be an integer in 2..8, got ${bits}`, { tensor: name });
  }
  const qparamsOptions: QParamsOptions = { bits, symmetric: true, range: "narrow" };
  const { qmin, qmax } = quantRange(bits, "narrow");
  const ranges = channelMinMax(weights, dims, axis, name);
  const channels = ranges.min.length;
  const scales = perChannel
    ? Float32Array.from({ length: channels }, (_, c) => qparamsFromRange(ranges.min[c], ranges.max[c], qparamsOptions, name).scale)
    : Float32Array.of(qparamsFromRange(lowest(ranges.min), highest(ranges.max), qparamsOptions, name).scale);
  if (options.clipping === "mse") {
    const layout = axisLayout(dims, ranges.axis, weights.length, name);
    scales.set(mseScales(weights, layout, scales, perChannel, qmax));
  }
  const channelScales = perChannel ? scales : new Float32Array(channels).fill(scales[0]);
  const codes = quantizePerAxis(weights, dims, ranges.axis, channelScales, new Int32Array(channels), qmin, qmax);
  // A code range within [-127, 127] always gets an Int8Array (see codeArray).
  return { codes: codes as Int8Array, scales, axis: ranges.axis, perChannel, bits, qmin, qmax };
}

function lowest(values: Float64Array): number {
  return values.reduce((a, b) => Math.min(a, b), 0);
}

function highest(values: Float64Array): number {
  return values.reduce((a, b) => Math.max(a, b), 0);
}

function checkScale(name: string, scale: number): void {
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new QuantizationError(`${name} must be finite and > 0, got ${scale}`);
  }
}

function checkWeightScales(weightScales: ArrayLike<number>, channels: number): void {
  if (weightScales.length !== channels && weightScales.length !== 1) {
    throw new QuantizationError(`${channels} channels need 1 or ${channels} weight scales, got ${weightScales.length}`);
  }
  for (let c = 0; c < weightScales.length; c++) checkScale(`weight scale ${c}`, weightScales[c]);
}

/** S_b[c] = S_x * S_w[c] as a float32 product (what ONNX tools store); weightScales may be per tensor (length 1). */
export function biasScales(inputScale: number, weightScales: ArrayLike<number>, channels: number): Float32Array {
  checkScale("input scale", inputScale);
  checkWeightScales(weightScales, channels);
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scales[c] = Math.fround(inputScale) * Math.fround(weightScales[weightScales.length === 1 ? 0 : c]);
    if (scales[c] === 0) throw new QuantizationError(`bias scale of channel ${c} underflows float32`);
  }
  return scales;
}

/** q_b[c] = saturate_int32(roundHalfToEven(b[c] / S_b[c])) with S_b = S_x * S_w[c], Z_b = 0. */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: ArrayLike<number>): Int32Array {
  const scales = biasScales(inputScale, weightScales, bias.length);
  return quantizePerAxis(bias, [bias.length], 0, scales, new Int32Array(bias.length), INT32_MIN, INT32_MAX) as Int32Array;
}

/**
 * accInit[c] = q_b[c] - Z_x * sum_k q_w[c, k] for weights [outChannels, K] row-major (conv OIHW
 * flattens to this). Arithmetic wraps modulo 2^32 like the kernels' int32 accumulators; with int8
 * codes it cannot overflow below K = 2^31 / (128 * 127) ≈ 132,000.
 */
export function accumulatorInit(
  qWeights: Int8Array,
  outChannels: number,
  K: number,
  qBias: Int32Array | undefined,
  inputZeroPoint: number,
): Int32Array {
  if (!Number.isInteger(outChannels) || !Number.isInteger(K) || outChannels < 0 || K < 0 || qWeights.length !== outChannels * K) {
    throw new ShapeError(`weights hold ${qWeights.length} codes, expected outChannels ${outChannels} x K ${K}`);
  }
  if (qBias !== undefined && qBias.length !== outChannels) {
    throw new ShapeError(`bias holds ${qBias.length} values, expected ${outChannels}`);
  }
  if (!Number.isInteger(inputZeroPoint) || inputZeroPoint < INT32_MIN || inputZeroPoint > INT32_MAX) {
    throw new InvalidArgumentError(`input zero point must be an int32, got ${inputZeroPoint}`);
  }
  const init = new Int32Array(outChannels);
  const layout = axisLayout([outChannels, K], 0, qWeights.length);
  forEachChannelRun(layout, (c, start, end) => {
    let sum = 0;
    for (let k = start; k < end; k++) sum = (sum + qWeights[k]) | 0;
    init[c] = ((qBias === undefined ? 0 : qBias[c]) - Math.imul(inputZeroPoint, sum)) | 0;
  });
  return init;
}

/** M[c] = S_x * S_w[c] / S_y (in double from the float32 scales) as M0[c] * 2^(shift[c] - 31). */
export function outputMultipliers(
  inputScale: number,
  weightScales: ArrayLike<number>,
  outputScale: number,
): { multiplier: Int32Array; shift: Int32Array } {
  checkScale("input scale", inputScale);
  checkScale("output scale", outputScale);
  checkWeightScales(weightScales, weightScales.length);
  const channels = weightScales.length;
  const multiplier = new Int32Array(channels);
  const shift = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    const real = (Math.fround(inputScale) * Math.fround(weightScales[c])) / Math.fround(outputScale);
    const quantized = quantizeMultiplier(real);
    multiplier[c] = quantized.multiplier;
    shift[c] = quantized.shift;
  }
  return { multiplier, shift };
}
