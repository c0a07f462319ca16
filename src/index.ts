// Public entry point of the package.
export {
  quantizeMultiplier,
  saturatingRoundingDoublingHighMul,
  roundingDivideByPOT,
  multiplyByQuantizedMultiplier,
  type QuantizedMultiplier,
} from "./quant/fixed-point.js";
