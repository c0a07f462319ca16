// Cast to float32 of a runtime value: int32 (a MatMulInteger/ConvInteger result, as in ONNX
// Runtime's dynamically quantized graphs), int8/uint8 codes (uint8 stored shifted by -128), or
// float32 itself. Input and output share dimensions and layout, so the cast runs element by element.
import { UnsupportedError } from "../../errors.js";
import { attrInt } from "../../graph/ir.js";
import { DataType } from "../../onnx/proto.js";
import type { OpFactory } from "./types.js";

const UINT8_SHIFT = 128;

export const prepareCast: OpFactory = (ctx, step) => {
  const node = step.node;
  if (attrInt(node, "to") !== DataType.FLOAT) {
    throw new UnsupportedError(`Cast is supported to float only, got type ${attrInt(node, "to")}`, { node: node.name });
  }
  const offset = ctx.graph.values.get(node.inputs[0])?.dtype === "uint8" ? UINT8_SHIFT : 0;
  return {
    kernel: "js",
    scratchBytes: () => 0,
    bind(b) {
      const input = b.input(0);
      const x = b.arena.view(input.buffer as never) as Float32Array | Int8Array | Int32Array;
      const y = b.arena.view(b.output(0).buffer as never) as Float32Array;
      const count = y.length;
      if (offset === 0) return () => y.set(x);
      return () => {
        for (let i = 0; i < count; i++) y[i] = x[i] + offset;
      };
    },
  };
};
