// How much a quantization costs in accuracy and saves in size, for one tensor.
import { InvalidArgumentError, ShapeError } from "../errors.js";

export interface ErrorReportOptions {
  /** Bits per element before quantization (default 32, fp32). */
  readonly bitsBefore?: number;
  /** Bits per element after quantization (8 for int8; 4 for packed 4-bit weights). */
  readonly bitsAfter: number;
}

export interface QuantizationErrorReport {
  /** Mean of |original - dequantized| over the finite elements of the original. */
  readonly meanAbsError: number;
  readonly maxAbsError: number;
  /** 10 log10(sum x^2 / sum (x - x̂)^2); +Infinity when the error is zero. */
  readonly sqnrDb: number;
  /** ceil(elements * bitsBefore / 8). */
  readonly bytesBefore: number;
  /** ceil(elements * bitsAfter / 8). */
  readonly bytesAfter: number;
  /** Elements compared: NaN and ±Infinity in the original have no finite error and are left out. */
  readonly compared: number;
}

function checkBits(name: string, bits: number): void {
  if (!Number.isInteger(bits) || bits < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${bits}`);
  }
}

export function quantizationErrorReport(
  original: Float32Array,
  dequantized: Float32Array,
  options: ErrorReportOptions,
): QuantizationErrorReport {
  const { bitsBefore = 32, bitsAfter } = options;
  checkBits("bitsBefore", bitsBefore);
  checkBits("bitsAfter", bitsAfter);
  if (original.length !== dequantized.length) {
    throw new ShapeError(`original has ${original.length} elements but dequantized has ${dequantized.length}`);
  }
  let compared = 0;
  let sumAbs = 0;
  let maxAbs = 0;
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < original.length; i++) {
    const x = original[i];
    if (!Number.isFinite(x)) continue;
    const error = x - dequantized[i];
    const abs = Math.abs(error);
    compared++;
    sumAbs += abs;
    // NaN > maxAbs is false, so an explicit check keeps a NaN reconstruction visible.
    if (abs > maxAbs || abs !== abs) maxAbs = abs;
    signal += x * x;
    noise += error * error;
  }
  return {
    meanAbsError: compared === 0 ? 0 : sumAbs / compared,
    maxAbsError: maxAbs,
    sqnrDb: noise === 0 ? Infinity : 10 * Math.log10(signal / noise),
    bytesBefore: Math.ceil((original.length * bitsBefore) / 8),
    bytesAfter: Math.ceil((original.length * bitsAfter) / 8),
    compared,
  };
}
