// Quantization parameters from real ranges (DESIGN.md section 2): real = S * (q - Z).
// Scales are float32 values, as ONNX stores them, and the zero point is derived from the
// float32 scale, so (S, Z) describe exactly the grid that the runtime and any ONNX tool will use.
import { QuantizationError, InvalidArgumentError } from "../errors.js";
import { axisLayout, forEachChannelRun } from "./axis.js";
import { roundHalfToEven } from "./quantize.js";

/** float32 machine epsilon (2^-23): the smallest scale we emit, as PyTorch's observers do. */
export const MIN_SCALE = 1.1920928955078125e-7;

/**
 * 'signed' [-2^(b-1), 2^(b-1)-1] (activations); 'narrow' [-(2^(b-1)-1), 2^(b-1)-1] (weights);
 * 'unsigned' [0, 2^b-1] (only to read uint8 ONNX models).
 */
export type QuantRangeKind = "signed" | "narrow" | "unsigned";

export interface QuantRange {
  readonly qmin: number;
  readonly qmax: number;
}

export interface QParamsOptions {
  /** Bit width, an integer in 2..16 (default 8). */
  readonly bits?: number;
  /** Z fixed at the centre code (0, or 2^(b-1) for 'unsigned') and S = max(|lo|, |hi|) / (2^(b-1) - 1). Default false. */
  readonly symmetric?: boolean;
  /** Default 'signed'. */
  readonly range?: QuantRangeKind;
}

export interface QParams extends QuantRange {
  /** A float32 value > 0. */
  readonly scale: number;
  /** An integer in [qmin, qmax]. */
  readonly zeroPoint: number;
}

export interface PerChannelQParams extends QuantRange {
  readonly scales: Float32Array;
  readonly zeroPoints: Int32Array;
  /** The channel axis, normalised to 0..rank-1 (or as given, for qparams built from ranges). */
  readonly axis: number;
}

const RANGE_KINDS: readonly QuantRangeKind[] = ["signed", "narrow", "unsigned"];

/** Throws a QuantizationError unless bits is an integer in 2..16. */
export function validateBits(bits: number, tensor?: string): void {
  if (!Number.isInteger(bits) || bits < 2 || bits > 16) {
    throw new QuantizationError(`bits must be an integer in 2..16, got ${bits}`, { tensor });
  }
}

/** The code range [qmin, qmax] of a b-bit quantized type. */
export function quantRange(bits: number, kind: QuantRangeKind = "signed"): QuantRange {
  validateBits(bits);
  if (!RANGE_KINDS.includes(kind)) {
    throw new QuantizationError(`range must be one of ${RANGE_KINDS.join(", ")}, got '${String(kind)}'`);
  }
  const half = 2 ** (bits - 1);
  switch (kind) {
    case "signed":
      return { qmin: -half, qmax: half - 1 };
    case "narrow":
      return { qmin: -(half - 1), qmax: half - 1 };
    case "unsigned":
      return { qmin: 0, qmax: 2 * half - 1 };
  }
}

/**
 * (S, Z) for the real range [lo, hi], first widened to contain 0 so that real 0 is exactly code Z.
 * Asymmetric: S = (hi - lo) / (qmax - qmin), Z = clamp(roundHalfToEven(qmin - lo / S), qmin, qmax).
 * Symmetric: Z is the centre code, S = max(|lo|, |hi|) / (2^(b-1) - 1) (for 'signed' the extra
 * code -2^(b-1) is then unused by the range, as in TFLite). S is rounded to float32 and never
 * below MIN_SCALE, so a degenerate range (hi == lo) gives S = MIN_SCALE rather than 0 or NaN.
 */
export function qparamsFromRange(lo: number, hi: number, options: QParamsOptions = {}, tensor?: string): QParams {
  const { bits = 8, symmetric = false, range = "signed" } = options;
  validateBits(bits, tensor);
  const { qmin, qmax } = quantRange(bits, range);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new QuantizationError(`the range [${lo}, ${hi}] must be finite`, { tensor });
  }
  if (lo > hi) throw new QuantizationError(`the range [${lo}, ${hi}] has lo > hi`, { tensor });
  const low = Math.min(lo, 0);
  const high = Math.max(hi, 0);
  if (symmetric) {
    const halfSteps = 2 ** (bits - 1) - 1;
    const scale = float32Scale(Math.max(-low, high) / halfSteps, lo, hi, tensor);
    return { scale, zeroPoint: range === "unsigned" ? halfSteps + 1 : 0, qmin, qmax };
  }
  const scale = float32Scale((high - low) / (qmax - qmin), lo, hi, tensor);
  const zeroPoint = Math.min(Math.max(roundHalfToEven(qmin - low / scale), qmin), qmax);
  return { scale, zeroPoint, qmin, qmax };
}

function float32Scale(exact: number, lo: number, hi: number, tensor?: string): number {
  const scale = Math.max(Math.fround(exact), MIN_SCALE);
  if (!Number.isFinite(scale)) {
    throw new QuantizationError(`the range [${lo}, ${hi}] is too wide for a float32 scale`, { tensor });
  }
  return scale;
}

/** Per-channel (S, Z) from per-channel ranges lo[c], hi[c]. */
export function perChannelQParamsFromRanges(
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  axis: number,
  options: QParamsOptions = {},
  tensor?: string,
): PerChannelQParams {
  if (lo.length !== hi.length) {
    throw new QuantizationError(`${lo.length} lower bounds but ${hi.length} upper bounds`, { tensor });
  }
  const { qmin, qmax } = quantRange(options.bits ?? 8, options.range ?? "signed");
  const scales = new Float32Array(lo.length);
  const zeroPoints = new Int32Array(lo.length);
  for (let c = 0; c < lo.length; c++) {
    const channel = qparamsFromRange(lo[c], hi[c], options, tensor === undefined ? `channel ${c}` : `${tensor}[channel ${c}]`);
    scales[c] = channel.scale;
    zeroPoints[c] = channel.zeroPoint;
  }
  return { scales, zeroPoints, qmin, qmax, axis };
}

/** The min and max of every channel along `axis`; NaN or ±Infinity in the data is an InvalidArgumentError. */
export function channelMinMax(
  data: Float32Array,
  dims: readonly number[],
  axis: number,
  tensor?: string,
): { axis: number; min: Float64Array; max: Float64Array } {
  const layout = axisLayout(dims, axis, data.length, tensor);
  const min = new Float64Array(layout.channels).fill(Infinity);
  const max = new Float64Array(layout.channels).fill(-Infinity);
  forEachChannelRun(layout, (c, start, end) => {
    let lo = min[c];
    let hi = max[c];
    for (let i = start; i < end; i++) {
      const v = data[i];
      if (!Number.isFinite(v)) {
        throw new InvalidArgumentError(`cannot quantize ${v} (element ${i})`, { tensor });
      }
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    min[c] = lo;
    max[c] = hi;
  });
  // A channel with no elements (a zero-sized dim elsewhere) quantizes like an all-zero channel.
  for (let c = 0; c < layout.channels; c++) {
    if (min[c] > max[c]) min[c] = max[c] = 0;
  }
  return { axis: layout.axis, min, max };
}

/** Per-channel (S, Z) from the min and max of every channel of `data` along any axis. */
export function perChannelQParams(
  data: Float32Array,
  dims: readonly number[],
  axis: number,
  options: QParamsOptions = {},
  tensor?: string,
): PerChannelQParams {
  const { axis: normalised, min, max } = channelMinMax(data, dims, axis, tensor);
  return perChannelQParamsFromRanges(min, max, normalised, options, tensor);
}
