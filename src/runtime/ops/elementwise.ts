// Add and Mul (numpy broadcasting), Relu and Clip in fp32. Add's and Mul's operands may be runtime
// values or constants; the broadcast gathers are computed when the plan is bound.
import { UnsupportedError } from "../../errors.js";
import { attrFloat, opsetOf, type Node } from "../../graph/ir.js";
import { broadcastGather, logicalToPhysical } from "../layout.js";
import type { BindContext, BoundValue, OpFactory, PrepareContext } from "./types.js";

type Operand = { readonly read: (b: BindContext) => { data: Float32Array; gather: Int32Array } };

function operand(ctx: PrepareContext, node: Node, i: number, outDims: (b: BindContext) => readonly number[]): Operand {
  const constant = ctx.floatConstant(node.inputs[i]);
  const shape = ctx.graph.values.get(node.inputs[i])?.shape as number[] | undefined;
  return {
    read(b) {
      const dims = outDims(b);
      if (constant && shape) return { data: constant, gather: broadcastGather(dims, shape, false) };
      const value = b.input(i);
      return { data: b.arena.view(value.buffer as never) as Float32Array, gather: broadcastGather(dims, value.dims, value.nhwc) };
    },
  };
}

/** Physical index of each output logical index. */
function outputScatter(value: BoundValue): Int32Array {
  return logicalToPhysical(value.dims, value.nhwc);
}

export const prepareAdd: OpFactory = (ctx, step) => {
  const node = step.node;
  const multiply = node.opType === "Mul";
  const outDims = (b: BindContext) => b.output(0).dims;
  const [a, c] = [operand(ctx, node, 0, outDims), operand(ctx, node, 1, outDims)];
  return {
    kernel: "js",
    scratchBytes: () => 0,
    bind(b) {
      const out = b.arena.view(b.output(0).buffer as never) as Float32Array;
      const scatter = outputScatter(b.output(0));
      const x = a.read(b);
      const y = c.read(b);
      const count = scatter.length;
      // The double result of one fp32 + or * rounds to the fp32 result when stored.
      if (multiply) {
        return () => {
          for (let i = 0; i < count; i++) out[scatter[i]] = x.data[x.gather[i]] * y.data[y.gather[i]];
        };
      }
      return () => {
        for (let i = 0; i < count; i++) out[scatter[i]] = x.data[x.gather[i]] + y.data[y.gather[i]];
      };
    },
  };
};

/** Clip bounds: attributes before opset 11, optional constant inputs from 11 on. */
export function clipBounds(ctx: PrepareContext, node: Node): { min: number; max: number } {
  if (node.opType === "Relu") return { min: 0, max: Infinity };
  if (opsetOf(ctx.graph, node) < 11) {
    return { min: attrFloat(node, "min", -Infinity), max: attrFloat(node, "max", Infinity) };
  }
  const bound = (i: number, fallback: number) => {
    const name = node.inputs[i];
    if (!name) return fallback;
    const data = ctx.floatConstant(name);
    if (!data || data.length !== 1) throw new UnsupportedError(`Clip input ${i} must be a constant scalar`, { node: node.name, tensor: name });
    return data[0];
  };
  return { min: bound(1, -Infinity), max: bound(2, Infinity) };
}

export const prepareClip: OpFactory = (ctx, step) => {
  const { min, max } = clipBounds(ctx, step.node);
  return {
    kernel: "js",
    scratchBytes: () => 0,
    bind(b) {
      const input = b.arena.view(b.input(0).buffer as never) as Float32Array;
      const out = b.arena.view(b.output(0).buffer as never) as Float32Array;
      const count = out.length;
      return () => {
        for (let i = 0; i < count; i++) {
          const v = input[i];
          // NaN stays NaN, as ONNX Relu/Clip propagate it.
          out[i] = v < min ? min : v > max ? max : v;
        }
      };
    },
  };
};
