// Public entry point of the package.
export {
  quantizeMultiplier,
  saturatingRoundingDoublingHighMul,
  roundingDivideByPOT,
  multiplyByQuantizedMultiplier,
  type QuantizedMultiplier,
} from "./quant/fixed-point.js";
export {
  MIN_SCALE,
  quantRange,
  qparamsFromRange,
  perChannelQParams,
  perChannelQParamsFromRanges,
  channelMinMax,
  type QuantRangeKind,
  type QuantRange,
  type QParamsOptions,
  type QParams,
  type PerChannelQParams,
} from "./quant/qparams.js";
export {
  roundHalfToEven,
  quantize,
  quantizeInto,
  dequantize,
  quantizePerAxis,
  dequantizePerAxis,
  codeArray,
  type QuantizedArray,
} from "./quant/quantize.js";
export {
  quantizationErrorReport,
  type ErrorReportOptions,
  type QuantizationErrorReport,
} from "./quant/error-report.js";
export {
  quantizeWeights,
  quantizeBias,
  biasScales,
  accumulatorInit,
  outputMultipliers,
  type WeightQuantizationOptions,
  type QuantizedWeights,
} from "./quant/weights.js";
