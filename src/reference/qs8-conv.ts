// Scalar reference of the int8 convolution, straight from DESIGN.md 3 on NHWC activations and
// OIHW weights: acc = sum w * (x - Z_x) + b over the receptive field (padding reads Z_x, so it
// adds nothing), wrapping like int32, then y = requantize(acc).
import { requantize } from "../quant/fixed-point.js";
import type { Qs8Conv2dParams } from "../kernels/qs8-conv.js";
import { conv2dOutputHW, type Conv2dShape } from "../kernels/shapes.js";

/** Output int8 [batch, outH, outW, outC] of input int8 [batch, inH, inW, inC]. */
export function referenceQs8Conv2d(input: Int8Array, shape: Conv2dShape, params: Qs8Conv2dParams): Int8Array {
  const { batch, inH, inW, inC, outC, kernelH, kernelW, groups } = shape;
  const { outH, outW } = conv2dOutputHW(shape);
  const inCPerGroup = inC / groups;
  const outCPerGroup = outC / groups;
  const { weights, bias, inputZeroPoint } = params;
  const output = new Int8Array(batch * outH * outW * outC);
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let oc = 0; oc < outC; oc++) {
          const group = Math.floor(oc / outCPerGroup);
          let acc = bias === null ? 0 : bias[oc];
          for (let ci = 0; ci < inCPerGroup; ci++) {
            for (let ky = 0; ky < kernelH; ky++) {
              const iy = oy * shape.strideH - shape.padTop + ky * shape.dilationH;
              for (let kx = 0; kx < kernelW; kx++) {
                const ix = ox * shape.strideW - shape.padLeft + kx * shape.dilationW;
                const inside = iy >= 0 && iy < inH && ix >= 0 && ix < inW;
                const x = inside ? input[((b * inH + iy) * inW + ix) * inC + group * inCPerGroup + ci] : inputZeroPoint;
                acc += weights[((oc * inCPerGroup + ci) * kernelH + ky) * kernelW + kx] * (x - inputZeroPoint);
              }
            }
          }
          output[((b * outH + oy) * outW + ox) * outC + oc] = requantize(
            acc | 0, params.multiplier[oc], params.shift[oc], params.outputZeroPoint, params.qmin, params.qmax,
          );
        }
      }
    }
  }
  return output;
}
