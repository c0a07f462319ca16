// Add and Mul (numpy broadcasting), Relu and Clip in fp32. Add's and Mul's operands may be runtime
// values or constants; the broadcast gathers are computed when the plan is bound.
import { UnsupportedError } from "../../errors.js";
import { attrFloat, opsetOf, type Node } from "../../graph/ir.js";
import { f32Add, f32Clamp } from "../../kernels/f32-elementwise.js";
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

/** Whether input `i` is a runtime value stored exactly like the output (same dims and layout). */
function storedLikeOutput(b: BindContext, i: number): boolean {
  const [value, out] = [b.input(i), b.output(0)];
  return value.nhwc === out.nhwc && value.dims.length === out.dims.length && value.dims.every((d, k) => d === out.dims[k]);
}

export const prepareAdd: OpFactory = (ctx, step) => {
  const node = step.node;
  const multiply = node.opType === "Mul";
  const outDims = (b: BindContext) => b.output(0).dims;
  const [a, c] = [operand(ctx, node, 0, outDims), operand(ctx, node, 1, outDims)];
  // Two runtime tensors of one shape (residual additions): the SIMD kernel, no gathers.
  const [shape0, shape1] = [0, 1].map((i) => ctx.graph.values.get(node.inputs[i])?.shape);
  const elementwise = !multiply && !ctx.floatConstant(node.inputs[0]) && !ctx.floatConstant(node.inputs[1]) &&
    !!shape0 && !!shape1 && shape0.length === shape1.length && shape0.every((d, k) => d === shape1[k]);
  return {
    kernel: elementwise ? "f32_add" : "js",
    scratchBytes: () => 0,
    bind(b) {
      if (elementwise && storedLikeOutput(b, 0) && storedLikeOutput(b, 1)) {
        const [x0, x1, y] = [b.input(0).buffer, b.input(1).buffer, b.output(0).buffer];
        const length = b.output(0).dims.reduce((n, d) => n * d, 1);
        return () => f32Add(b.kernels, x0, x1, length, y);
      }
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
    kernel: "f32_clamp",
    scratchBytes: () => 0,
    bind(b) {
      // Input and output share dims and layout; NaN stays NaN, as ONNX Relu/Clip propagate it.
      const [x, y] = [b.input(0).buffer, b.output(0).buffer];
      const length = b.output(0).dims.reduce((n, d) => n * d, 1);
      return () => f32Clamp(b.kernels, x, length, y, min, max);
    },
  };
};
