// Concat along a logical axis (any layout), fp32 or int8 with equal quantization parameters.
import { attrInt } from "../../graph/ir.js";
import { logicalToPhysical, strides } from "../layout.js";
import type { BoundValue, OpFactory } from "./types.js";

export const prepareConcat: OpFactory = (_ctx, step) => ({
  kernel: "js",
  scratchBytes: () => 0,
  bind(b) {
    const output = b.output(0);
    const rank = output.dims.length;
    const axisAttr = attrInt(step.node, "axis");
    const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
    const outPhysical = logicalToPhysical(output.dims, output.nhwc);
    const outStrides = strides(output.dims);
    const out = b.arena.view(output.buffer as never) as Float32Array | Int8Array;
    const parts: { data: Float32Array | Int8Array; gather: Int32Array; scatter: Int32Array }[] = [];
    let offset = 0;
    for (let i = 0; i < step.node.inputs.length; i++) {
      const input: BoundValue = b.input(i);
      const inPhysical = logicalToPhysical(input.dims, input.nhwc);
      const inStrides = strides(input.dims);
      const scatter = new Int32Array(inPhysical.length);
      for (let j = 0; j < inPhysical.length; j++) {
        let target = 0;
        let rest = j;
        for (let a = 0; a < rank; a++) {
          const coordinate = Math.floor(rest / inStrides[a]);
          rest -= coordinate * inStrides[a];
          target += (a === axis ? coordinate + offset : coordinate) * outStrides[a];
        }
        scatter[j] = outPhysical[target];
      }
      parts.push({ data: b.arena.view(input.buffer as never) as Float32Array | Int8Array, gather: inPhysical, scatter });
      offset += input.dims[axis];
    }
    return () => {
      for (const { data, gather, scatter } of parts) {
        for (let j = 0; j < gather.length; j++) out[scatter[j]] = data[gather[j]];
      }
    };
  },
});
