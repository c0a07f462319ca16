// DynamicQuantizeLinear on its own (not absorbed into a dynamically quantized MatMul): the uint8
// codes of x (stored as int8 shifted by -128, DESIGN.md 2), and the scale and zero point chosen
// from x's range, as runtime values for the nodes (or graph outputs) that read them.
import { DYNAMIC_QUANTIZE_SCRATCH_SIZE, qs8DynamicQuantizeF32 } from "../../kernels/quantize.js";
import { scratchBuffer, scratchBytes } from "./common.js";
import type { OpFactory } from "./types.js";

export const prepareDynamicQuantizeLinear: OpFactory = () => {
  return {
    kernel: "qs8_dynamic_quantize_f32",
    scratchBytes: () => scratchBytes("int32", DYNAMIC_QUANTIZE_SCRATCH_SIZE),
    bind(b, scratch) {
      const [x, codes, scale, zeroPoint] = [b.input(0), b.output(0), b.output(1), b.output(2)];
      const quantizeScratch = scratchBuffer(scratch, "int32", DYNAMIC_QUANTIZE_SCRATCH_SIZE);
      const scaleView = b.arena.view(scale.buffer as never) as Float32Array;
      const zeroView = b.arena.view(zeroPoint.buffer as never) as Int8Array;
      const chosen = { scale: 0, zeroPoint: 0 };
      const length = x.buffer.length;
      return () => {
        qs8DynamicQuantizeF32(b.kernels, x.buffer, length, codes.buffer, quantizeScratch, chosen);
        scaleView[0] = chosen.scale;
        zeroView[0] = chosen.zeroPoint;
      };
    },
  };
};
