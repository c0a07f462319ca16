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
export {
  createObserver,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  PerChannelMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  PercentileObserver,
  HistogramObserver,
  EntropyObserver,
  MseObserver,
  StreamingHistogram,
  type ObserverMethod,
  type CreateObserverOptions,
  type Observer,
  type TensorObserver,
  type ChannelObserver,
  type ClipRange,
  type ChannelClipRanges,
  type ObserverOptions,
  type MovingAverageOptions,
  type PerChannelObserverOptions,
  type MovingAveragePerChannelOptions,
  type PercentileMode,
  type PercentileObserverOptions,
  type HistogramObserverOptions,
  type MseObserverOptions,
} from "./calibrate/index.js";
export { InferenceSession, type SessionOptions, type ModelSource } from "./runtime/session.js";
export { enableNodeRelaxedSimd, selectKernelBuild, type KernelBuild } from "./kernels/module.js";
export { Tensor, type TensorType, type TensorData } from "./runtime/tensor.js";
export type { SessionSummary, SummaryRow } from "./runtime/summary.js";
export {
  quantizeStatic,
  calibrate,
  type QuantizeStaticOptions,
  type QuantizedModel,
  type Calibration,
  type CalibrationFeeds,
  type BitWidths,
} from "./quantize/quantize-static.js";
export { quantizeDynamic, type QuantizeDynamicOptions } from "./quantize/quantize-dynamic.js";
export { readOnnxModel } from "./onnx/reader.js";
export { writeOnnxModel } from "./onnx/writer.js";
export { OnnxGraphBuilder, attr } from "./onnx/builder.js";
export type { Graph, Node, Value } from "./graph/ir.js";
export { optimizeGraph, type OptimizationLevel } from "./graph/passes/index.js";
export {
  Int8RuntimeError,
  ModelFormatError,
  UnsupportedError,
  ShapeError,
  DTypeError,
  InvalidArgumentError,
  QuantizationError,
} from "./errors.js";
