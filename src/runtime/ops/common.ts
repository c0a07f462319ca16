// Small pieces every op file needs: constant weights, scratch views, element counts.
import { UnsupportedError } from "../../errors.js";
import type { BufferType, WasmBuffer } from "../../kernels/arena.js";
import type { Node } from "../../graph/ir.js";
import type { PrepareContext } from "./types.js";

const BYTES: Record<BufferType, number> = { int8: 1, uint8: 1, int32: 4, float32: 4 };

/** The constant float tensor at a node's input, with its dimensions; ops need their weights at load. */
export function floatWeights(ctx: PrepareContext, node: Node, input: number): { data: Float32Array; dims: number[] } {
  const name = node.inputs[input];
  const data = ctx.floatConstant(name);
  const shape = ctx.graph.values.get(name)?.shape;
  if (!data || !shape || !shape.every((d): d is number => typeof d === "number")) {
    throw new UnsupportedError(`${node.opType} input ${input} ('${name}') must be a constant float tensor`, { node: node.name, tensor: name });
  }
  return { data, dims: shape };
}

/** A typed view of the shared scratch region (`length` elements). */
export function scratchBuffer(ptr: number, type: BufferType, length: number): WasmBuffer {
  return { ptr, type, length };
}

export function scratchBytes(type: BufferType, length: number): number {
  return BYTES[type] * length;
}

export function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
