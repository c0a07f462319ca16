// Typed errors: every failure the user can cause names what it concerns (node, tensor, argument)
// and what was expected, so it can be acted on without reading our source.

export interface ErrorContext {
  /** The graph node concerned, by name (and operator type where known). */
  readonly node?: string;
  /** The tensor or argument concerned. */
  readonly tensor?: string;
}

function describe(message: string, context: ErrorContext): string {
  const where = [context.node && `node '${context.node}'`, context.tensor && `tensor '${context.tensor}'`]
    .filter(Boolean)
    .join(", ");
  return where ? `${where}: ${message}` : message;
}

/** Base class of every error this package throws on purpose. */
export class Int8RuntimeError extends Error {
  readonly node?: string;
  readonly tensor?: string;

  constructor(message: string, context: ErrorContext = {}) {
    super(describe(message, context));
    this.name = new.target.name;
    this.node = context.node;
    this.tensor = context.tensor;
  }
}

/** The model bytes are not a well-formed ONNX model (truncated, corrupt, inconsistent). */
export class ModelFormatError extends Int8RuntimeError {}

/** An operator, attribute value, data type or opset the runtime does not implement. */
export class UnsupportedError extends Int8RuntimeError {}

/** A tensor's shape is not what the graph or kernel requires. */
export class ShapeError extends Int8RuntimeError {}

/** A tensor's element type is not what the graph or kernel requires. */
export class DTypeError extends Int8RuntimeError {}

/** A user-supplied value is invalid: NaN in data, a missing input, an option out of range. */
export class InvalidArgumentError extends Int8RuntimeError {}

/** Quantization parameters are invalid: scale <= 0 or NaN, zero point out of range, wrong length. */
export class QuantizationError extends Int8RuntimeError {}
