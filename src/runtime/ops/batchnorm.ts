// BatchNormalization (inference) where it could not be folded into a preceding Conv/Gemm:
// y = x * a[c] + b[c] with a = gamma / sqrt(var + eps), b = beta - mean * a, channel axis 1.
import { attrFloat } from "../../graph/ir.js";
import { logicalToPhysical } from "../layout.js";
import { floatWeights } from "./common.js";
import type { OpFactory } from "./types.js";

export const prepareBatchNorm: OpFactory = (ctx, step) => {
  const node = step.node;
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => floatWeights(ctx, node, i).data);
  const epsilon = attrFloat(node, "epsilon", 1e-5);
  const scale = gamma.map((g, c) => g / Math.sqrt(variance[c] + epsilon));
  const shift = beta.map((b, c) => b - mean[c] * scale[c]);
  return {
    kernel: "js",
    scratchBytes: () => 0,
    bind(b) {
      const input = b.input(0);
      const dims = input.dims;
      const inner = dims.slice(2).reduce((a, c) => a * c, 1);
      const physical = logicalToPhysical(dims, input.nhwc);
      const channel = new Int32Array(physical.length);
      for (let i = 0; i < physical.length; i++) channel[physical[i]] = Math.floor(i / inner) % dims[1];
      const x = b.arena.view(input.buffer as never) as Float32Array;
      const y = b.arena.view(b.output(0).buffer as never) as Float32Array;
      return () => {
        for (let i = 0; i < channel.length; i++) y[i] = x[i] * scale[channel[i]] + shift[channel[i]];
      };
    },
  };
};
