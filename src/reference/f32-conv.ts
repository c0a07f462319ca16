// Plain-loop fp32 Conv2D from the definition (NHWC activations, ONNX OIHW weights, zero padding):
// the oracle for the SIMD kernels and the "plain TypeScript" baseline. Sums in float64.
import { conv2dOutputHW, type Conv2dShape } from "../kernels/shapes.js";

export interface F32Conv2dReferenceParams {
  /** OIHW: [outC, inC / groups, kernelH, kernelW]. */
  readonly weights: Float32Array;
  /** [outC], or null for none. */
  readonly bias: Float32Array | null;
  readonly clampMin?: number;
  readonly clampMax?: number;
}

/**
 * y[n, oh, ow, oc] = clamp(bias[oc] + sum over (ci, kh, kw) of
 * x[n, oh*strideH - padTop + kh*dilationH, ow*strideW - padLeft + kw*dilationW, g*inC/groups + ci]
 * * w[oc, ci, kh, kw]), g = the group of oc; positions outside the input contribute 0.
 */
export function f32Conv2dReference(input: Float32Array, shape: Conv2dShape, params: F32Conv2dReferenceParams): Float32Array {
  const { batch, inH, inW, inC, outC, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, groups } = shape;
  const { weights, bias, clampMin = -Infinity, clampMax = Infinity } = params;
  const { outH, outW } = conv2dOutputHW(shape);
  const groupC = inC / groups;
  const groupOutC = outC / groups;
  const taps = kernelH * kernelW;
  const output = new Float32Array(batch * outH * outW * outC);
  let o = 0;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        for (let oc = 0; oc < outC; oc++) {
          const firstChannel = Math.floor(oc / groupOutC) * groupC;
          let acc = bias ? bias[oc] : 0;
          for (let kh = 0; kh < kernelH; kh++) {
            const ih = oh * strideH - padTop + kh * dilationH;
            if (ih < 0 || ih >= inH) continue;
            for (let kw = 0; kw < kernelW; kw++) {
              const iw = ow * strideW - padLeft + kw * dilationW;
              if (iw < 0 || iw >= inW) continue;
              const pixel = ((n * inH + ih) * inW + iw) * inC + firstChannel;
              const tap = (oc * groupC * kernelH + kh) * kernelW + kw;
              for (let ci = 0; ci < groupC; ci++) acc += input[pixel + ci] * weights[tap + ci * taps];
            }
          }
          output[o++] = Math.min(Math.max(acc, clampMin), clampMax);
        }
      }
    }
  }
  return output;
}
