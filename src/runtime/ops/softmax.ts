// Softmax in fp32 (never worth quantizing): along one axis from opset 13, over the flattened
// trailing axes before it (the axis default moved from 1 to -1 as well).
import { attrInt, opsetOf } from "../../graph/ir.js";
import { logicalToPhysical } from "../layout.js";
import type { OpFactory } from "./types.js";

export const prepareSoftmax: OpFactory = (ctx, step) => {
  const legacy = opsetOf(ctx.graph, step.node) < 13;
  const axisAttr = attrInt(step.node, "axis", legacy ? 1 : -1);
  return {
    kernel: "js",
    scratchBytes: () => 0,
    bind(b) {
      const input = b.input(0);
      const dims = input.dims;
      const axis = axisAttr < 0 ? axisAttr + dims.length : axisAttr;
      const outer = dims.slice(0, axis).reduce((a, c) => a * c, 1);
      const length = legacy ? dims.slice(axis).reduce((a, c) => a * c, 1) : dims[axis];
      const inner = legacy ? 1 : dims.slice(axis + 1).reduce((a, c) => a * c, 1);
      const physical = logicalToPhysical(dims, input.nhwc);
      const x = b.arena.view(input.buffer as never) as Float32Array;
      const y = b.arena.view(b.output(0).buffer as never) as Float32Array;
      return () => {
        for (let o = 0; o < outer; o++) {
          for (let i = 0; i < inner; i++) {
            const base = o * length * inner + i;
            let max = -Infinity;
            for (let k = 0; k < length; k++) max = Math.max(max, x[physical[base + k * inner]]);
            let sum = 0;
            for (let k = 0; k < length; k++) {
              const at = physical[base + k * inner];
              const e = Math.exp(x[at] - max);
              y[at] = e;
              sum += e;
            }
            for (let k = 0; k < length; k++) y[physical[base + k * inner]] /= sum;
          }
        }
      };
    },
  };
};
