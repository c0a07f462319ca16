// Flatten, Reshape, Transpose, Identity: data movement between logical layouts. A value stored
// NHWC is gathered in ONNX (NCHW) order where the op needs it; the gather is built at bind time.
import { attrInts, type Node } from "../../graph/ir.js";
import { logicalToPhysical, strides } from "../layout.js";
import type { BindContext, OpFactory } from "./types.js";

/** For each output logical index, the input logical index it copies (identity for reshapes). */
function transposeSource(node: Node, inDims: readonly number[]): Int32Array {
  const rank = inDims.length;
  const perm = attrInts(node, "perm", [...Array(rank).keys()].reverse());
  const outDims = perm.map((p) => inDims[p]);
  const inStrides = strides(inDims);
  const count = inDims.reduce((a, b) => a * b, 1);
  const map = new Int32Array(count);
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < count; i++) {
    let source = 0;
    for (let axis = 0; axis < rank; axis++) source += index[axis] * inStrides[perm[axis]];
    map[i] = source;
    for (let axis = rank - 1; axis >= 0; axis--) {
      if (++index[axis] < outDims[axis]) break;
      index[axis] = 0;
    }
  }
  return map;
}

/** Output physical index -> input physical index. */
export function movementGather(node: Node, b: BindContext): { scatter: Int32Array; gather: Int32Array } {
  const input = b.input(0);
  const output = b.output(0);
  const inPhysical = logicalToPhysical(input.dims, input.nhwc);
  const outPhysical = logicalToPhysical(output.dims, output.nhwc);
  const source = node.opType === "Transpose" ? transposeSource(node, input.dims) : null;
  const gather = new Int32Array(outPhysical.length);
  const scatter = new Int32Array(outPhysical.length);
  for (let i = 0; i < outPhysical.length; i++) {
    scatter[i] = outPhysical[i];
    gather[i] = inPhysical[source ? source[i] : i];
  }
  return { scatter, gather };
}

function isPlainCopy(gather: Int32Array, scatter: Int32Array): boolean {
  for (let i = 0; i < gather.length; i++) if (gather[i] !== i || scatter[i] !== i) return false;
  return true;
}

/** Works for float32 and int8 values alike (codes keep their quantization parameters). */
export const prepareDataMovement: OpFactory = (_ctx, step) => {
  const keepsNhwc = "keepsNhwc" in step && step.keepsNhwc === true;
  return {
    // "js copy": a Flatten whose Gemm readers had their weight columns permuted copies as it lies.
    kernel: keepsNhwc ? "js copy" : "js",
    scratchBytes: () => 0,
    bind(b) {
      const input = b.arena.view(b.input(0).buffer as never) as Float32Array | Int8Array;
      const out = b.arena.view(b.output(0).buffer as never) as Float32Array | Int8Array;
      const { scatter, gather } = movementGather(step.node, b);
      if (keepsNhwc || isPlainCopy(gather, scatter)) return () => out.set(input);
      const count = gather.length;
      return () => {
        for (let i = 0; i < count; i++) out[scatter[i]] = input[gather[i]];
      };
    },
  };
};
