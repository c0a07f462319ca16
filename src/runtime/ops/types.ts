// What an operator implementation sees. Ops are prepared once per session (weights packed) and
// bound once per input shape (buffers known); the closure a binding returns is what run() calls,
// and it must not allocate.
import type { WasmArena, WasmBuffer } from "../../kernels/arena.js";
import type { KernelInstance } from "../../kernels/module.js";
import type { Graph } from "../../graph/ir.js";
import type { LoweredStep, RuntimeDType, TensorQuant } from "../lowering.js";
import type { RequantizationMode } from "./onnx-requantization.js";

/** A runtime value with its buffer: 4-D values are stored NHWC, everything else as ONNX lays it out. */
export interface BoundValue {
  readonly name: string;
  readonly dtype: RuntimeDType;
  /** Logical ONNX dimensions (NCHW for 4-D). */
  readonly dims: readonly number[];
  readonly nhwc: boolean;
  readonly buffer: WasmBuffer;
  readonly quant?: TensorQuant;
}

export interface PrepareContext {
  readonly kernels: KernelInstance;
  readonly arena: WasmArena;
  /** The optimised graph: constants with data and shapes, attributes. */
  readonly graph: Graph;
  /** A float constant's data (initializers, and weights dequantized from int8 constants). */
  floatConstant(name: string): Float32Array | undefined;
  /** The (scale, zero point) of an int8 runtime value. */
  valueQuant(name: string): TensorQuant;
  /** How integer ops requantize: fixed point (DESIGN.md 3, default) or as ONNX Runtime does. */
  readonly requantization: RequantizationMode;
}

export interface BindContext {
  readonly kernels: KernelInstance;
  readonly arena: WasmArena;
  /** The graph with every shape concrete for this binding. */
  readonly graph: Graph;
  /** The runtime value at input i (constants are read at prepare time); throws if there is none. */
  input(i: number): BoundValue;
  /** The runtime value at input i, or undefined for a constant or an omitted optional input. */
  maybeInput(i: number): BoundValue | undefined;
  output(i: number): BoundValue;
}

export interface PreparedOp {
  /** The kernel that runs, for the session summary (e.g. "qs8_conv2d", "f32_gemm", "js"). */
  readonly kernel: string;
  /** Bytes of scratch the bound op needs (shared by all steps, which run one after another). */
  scratchBytes(ctx: BindContext): number;
  bind(ctx: BindContext, scratch: number): () => void;
}

export type OpFactory<S extends LoweredStep = LoweredStep> = (ctx: PrepareContext, step: S) => PreparedOp;
