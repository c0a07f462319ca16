// Plain-loop fp32 pooling from the definitions (NHWC): the oracle for the SIMD kernels and the
// "plain TypeScript" baseline. Window position (kh, kw) of output (oh, ow) is input
// (oh*strideH - padTop + kh*dilationH, ow*strideW - padLeft + kw*dilationW). Sums in float64.
import type { Pool2dShape } from "../kernels/shapes.js";

/** Max over the window's positions inside the input (-Infinity if there are none). */
export function f32MaxPool2dReference(input: Float32Array, shape: Pool2dShape): Float32Array {
  const { batch, inH, inW, channels: C, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, outH, outW } = shape;
  const output = new Float32Array(batch * outH * outW * C);
  let o = 0;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          for (let kh = 0; kh < kernelH; kh++) {
            const ih = oh * strideH - padTop + kh * dilationH;
            if (ih < 0 || ih >= inH) continue;
            for (let kw = 0; kw < kernelW; kw++) {
              const iw = ow * strideW - padLeft + kw * dilationW;
              if (iw < 0 || iw >= inW) continue;
              best = Math.max(best, input[((n * inH + ih) * inW + iw) * C + c]);
            }
          }
          output[o++] = best;
        }
      }
    }
  }
  return output;
}

/**
 * Sum over the window's positions inside the input, divided by how many positions count: those
 * inside the input, or with `countIncludePad` those inside the padded input (never positions past
 * the padding). 0 when none count.
 */
export function f32AvgPool2dReference(input: Float32Array, shape: Pool2dShape, countIncludePad: boolean): Float32Array {
  const { batch, inH, inW, channels: C, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, padBottom, padRight, outH, outW } = shape;
  const [rowLow, rowHigh] = countIncludePad ? [-padTop, inH + padBottom] : [0, inH];
  const [colLow, colHigh] = countIncludePad ? [-padLeft, inW + padRight] : [0, inW];
  const output = new Float32Array(batch * outH * outW * C);
  let o = 0;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        let counted = 0;
        for (let kh = 0; kh < kernelH; kh++) {
          const ih = oh * strideH - padTop + kh * dilationH;
          for (let kw = 0; kw < kernelW; kw++) {
            const iw = ow * strideW - padLeft + kw * dilationW;
            if (ih >= rowLow && ih < rowHigh && iw >= colLow && iw < colHigh) counted++;
          }
        }
        for (let c = 0; c < C; c++) {
          let sum = 0;
          for (let kh = 0; kh < kernelH; kh++) {
            const ih = oh * strideH - padTop + kh * dilationH;
            if (ih < 0 || ih >= inH) continue;
            for (let kw = 0; kw < kernelW; kw++) {
              const iw = ow * strideW - padLeft + kw * dilationW;
              if (iw < 0 || iw >= inW) continue;
              sum += input[((n * inH + ih) * inW + iw) * C + c];
            }
          }
          output[o++] = counted > 0 ? sum / counted : 0;
        }
      }
    }
  }
  return output;
}

/** Mean over H x W per image and channel: [batch, H, W, C] -> [batch, C]. */
export function f32GlobalAvgPoolReference(input: Float32Array, batch: number, H: number, W: number, C: number): Float32Array {
  const output = new Float32Array(batch * C);
  const sums = new Float64Array(C);
  for (let n = 0; n < batch; n++) {
    sums.fill(0);
    const image = n * H * W * C;
    for (let p = 0; p < H * W; p++) {
      for (let c = 0; c < C; c++) sums[c] += input[image + p * C + c];
    }
    for (let c = 0; c < C; c++) output[n * C + c] = sums[c] / (H * W);
  }
  return output;
}
