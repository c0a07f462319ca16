// What the int8 GEMM and convolution wrappers share: the requantization parameters of a layer,
// their packed per-lane form (read by requantizeAccumulators in assembly/qs8-microkernel.ts),
// and the parameter checks made when they are packed (buffer checks are in checks.ts).
import { ShapeError } from "../errors.js";

/** Per-output-channel requantization of an int8 layer (DESIGN.md 3). */
export interface Qs8RequantParams {
  /** int32 [channels] or null (zero bias). */
  readonly bias: Int32Array | null;
  readonly inputZeroPoint: number;
  /** M0 per output channel, in [0, 2^31). */
  readonly multiplier: Int32Array;
  /** Shift per output channel, in [-31, 30]. */
  readonly shift: Int32Array;
  readonly outputZeroPoint: number;
  readonly qmin: number;
  readonly qmax: number;
}

/** Requantization fields per lane, in the order requantizeAccumulators reads them. */
export const QS8_REQUANT_FIELDS = 9;

export function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

export function requirePositiveInteger(kernel: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new ShapeError(`${kernel}: ${name} must be a positive integer, got ${value}`);
  }
}

function requireInt8Value(kernel: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < -128 || value > 127) {
    throw new RangeError(`${kernel}: ${name} must be an integer in [-128, 127], got ${value}`);
  }
}

/** Checks bias, multipliers, shifts, zero points and the clamp range of `channels` output channels. */
export function validateRequantParams(kernel: string, channels: number, params: Qs8RequantParams): void {
  const { bias, multiplier, shift } = params;
  if (bias !== null && !(bias instanceof Int32Array)) throw new TypeError(`${kernel}: bias must be an Int32Array or null`);
  if (!(multiplier instanceof Int32Array)) throw new TypeError(`${kernel}: multiplier must be an Int32Array`);
  if (!(shift instanceof Int32Array)) throw new TypeError(`${kernel}: shift must be an Int32Array`);
  for (const [name, array] of [["bias", bias], ["multiplier", multiplier], ["shift", shift]] as const) {
    if (array !== null && array.length !== channels) {
      throw new ShapeError(`${kernel}: ${name} has ${array.length} elements, expected one per output channel (${channels})`);
    }
  }
  for (let c = 0; c < channels; c++) {
    if (multiplier[c] < 0) throw new RangeError(`${kernel}: multiplier[${c}] = ${multiplier[c]} must be in [0, 2^31)`);
    if (shift[c] < -31 || shift[c] > 30) throw new RangeError(`${kernel}: shift[${c}] = ${shift[c]} must be in [-31, 30]`);
  }
  requireInt8Value(kernel, "inputZeroPoint", params.inputZeroPoint);
  requireInt8Value(kernel, "outputZeroPoint", params.outputZeroPoint);
  requireInt8Value(kernel, "qmin", params.qmin);
  requireInt8Value(kernel, "qmax", params.qmax);
  if (params.qmin > params.qmax) throw new RangeError(`${kernel}: qmin ${params.qmin} exceeds qmax ${params.qmax}`);
}

/**
 * accInit[n] = bias[n] - Z_x * sum_k w[n, k] for weights [N, K] row-major; wraps like int32, as the
 * kernels' accumulators do.
 */
export function accumulatorInit(weights: Int8Array, N: number, K: number, bias: Int32Array | null, inputZeroPoint: number): Int32Array {
  const init = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    let sum = 0;
    for (let k = 0; k < K; k++) sum += weights[n * K + k];
    init[n] = ((bias === null ? 0 : bias[n]) - inputZeroPoint * sum) | 0;
  }
  return init;
}

const floatScratch = new Float32Array(1);
const floatScratchBits = new Int32Array(floatScratch.buffer);

/** The bit pattern of the float32 nearest to `value`. */
function floatBits(value: number): number {
  floatScratch[0] = value;
  return floatScratchBits[0];
}

/**
 * Field 8 of requantizeAccumulators for right shift e: the bits of 1/2 - 2^-12 (- 2^-(e + 1) when
 * e >= 1) rounded down to f32, so that the kernels' fast path never accepts a lane it should not.
 */
function tieThreshold(right: number): number {
  const exact = 0.5 - 2 ** -12 - (right > 0 ? 2 ** -(right + 1) : 0);
  const bits = floatBits(exact);
  return Math.fround(exact) > exact ? bits - 1 : bits;
}

/**
 * Writes the requantization fields of assembly's requantizeAccumulators for each lane: lane l
 * concerns output channel `laneChannels[l]` (-1 for padding, all zero); field f of lane l lands
 * at view[at + f * fieldStride + l].
 */
export function writeRequantFields(
  view: Int32Array, at: number, fieldStride: number, laneChannels: readonly number[],
  init: Int32Array, multiplier: Int32Array, shift: Int32Array,
): void {
  laneChannels.forEach((c, lane) => {
    if (c < 0) {
      for (let f = 0; f < QS8_REQUANT_FIELDS; f++) view[at + f * fieldStride + lane] = 0;
      return;
    }
    const left = Math.max(shift[c], 0);
    const right = Math.max(-shift[c], 0);
    const mask = 2 ** right - 1;
    const scale = floatBits(multiplier[c] * 2 ** (-31 - right));
    const fields = [init[c], 2 ** left, multiplier[c], right > 0 ? 2 ** (31 - right) : 0, right === 0 ? -1 : 0, mask, mask >>> 1, scale, tieThreshold(right)];
    fields.forEach((value, f) => (view[at + f * fieldStride + lane] = value | 0));
  });
}
