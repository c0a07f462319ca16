// fp32 pooling on NHWC activations, vectorised over channels (16, then 4, then 1 at a time).
// The host gives the output size (ONNX ceil_mode / auto_pad already resolved). Window position
// (kh, kw) of output (oh, ow) reads input row oh*strideH - padTop + kh*dilationH, likewise for
// columns; positions outside the input are padding.
//
// Max: padding is ignored (as -Infinity), so a window of padding only gives -Infinity.
// Average: the divisor counts the window positions inside the input, or with countIncludePad those
// inside the padded extent [-padTop, inH + padBottom) x [-padLeft, inW + padRight) (positions past
// it, which ceil_mode can create, never count). A window with nothing to count gives 0.

// @ts-ignore: decorator
@inline
function countInside(start: i32, taps: i32, step: i32, low: i32, high: i32): i32 {
  let count = 0;
  for (let t = 0; t < taps; t++) {
    const i = start + t * step;
    if (i >= low && i < high) count++;
  }
  return count;
}

/** MaxPool2d. */
export function f32_maxpool2d(
  input: usize, batch: i32, inH: i32, inW: i32, C: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, dilationH: i32, dilationW: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, output: usize,
): void {
  const pixelBytes = <usize>C << 2;
  const c16 = C & ~15;
  const c4 = C & ~3;
  const none = f32x4.splat(-Infinity);
  let y = output;
  for (let n = 0; n < batch; n++) {
    const image = input + <usize>(n * inH * inW) * pixelBytes;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * strideH - padTop;
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * strideW - padLeft;
        for (let c = 0; c < c16; c += 16) {
          let m0 = none, m1 = none, m2 = none, m3 = none;
          for (let kh = 0; kh < kernelH; kh++) {
            const ih = ih0 + kh * dilationH;
            if (<u32>ih >= <u32>inH) continue;
            const inRow = image + <usize>(ih * inW) * pixelBytes + (<usize>c << 2);
            for (let kw = 0; kw < kernelW; kw++) {
              const iw = iw0 + kw * dilationW;
              if (<u32>iw >= <u32>inW) continue;
              const xp = inRow + <usize>iw * pixelBytes;
              m0 = f32x4.max(m0, v128.load(xp));
              m1 = f32x4.max(m1, v128.load(xp, 16));
              m2 = f32x4.max(m2, v128.load(xp, 32));
              m3 = f32x4.max(m3, v128.load(xp, 48));
            }
          }
          const yp = y + (<usize>c << 2);
          v128.store(yp, m0);
          v128.store(yp, m1, 16);
          v128.store(yp, m2, 32);
          v128.store(yp, m3, 48);
        }
        for (let c = c16; c < c4; c += 4) {
          let m = none;
          for (let kh = 0; kh < kernelH; kh++) {
            const ih = ih0 + kh * dilationH;
            if (<u32>ih >= <u32>inH) continue;
            const inRow = image + <usize>(ih * inW) * pixelBytes + (<usize>c << 2);
            for (let kw = 0; kw < kernelW; kw++) {
              const iw = iw0 + kw * dilationW;
              if (<u32>iw >= <u32>inW) continue;
              m = f32x4.max(m, v128.load(inRow + <usize>iw * pixelBytes));
            }
          }
          v128.store(y + (<usize>c << 2), m);
        }
        for (let c = c4; c < C; c++) {
          let m: f32 = -Infinity;
          for (let kh = 0; kh < kernelH; kh++) {
            const ih = ih0 + kh * dilationH;
            if (<u32>ih >= <u32>inH) continue;
            const inRow = image + <usize>(ih * inW) * pixelBytes + (<usize>c << 2);
            for (let kw = 0; kw < kernelW; kw++) {
              const iw = iw0 + kw * dilationW;
              if (<u32>iw >= <u32>inW) continue;
              m = max(m, load<f32>(inRow + <usize>iw * pixelBytes));
            }
          }
          store<f32>(y + (<usize>c << 2), m);
        }
        y += pixelBytes;
      }
    }
  }
}

/** AveragePool2d; `countIncludePad` is 0 or 1. */
export function f32_avgpool2d(
  input: usize, batch: i32, inH: i32, inW: i32, C: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, dilationH: i32, dilationW: i32,
  padTop: i32, padLeft: i32, padBottom: i32, padRight: i32, outH: i32, outW: i32,
  countIncludePad: i32, output: usize,
): void {
  const pixelBytes = <usize>C << 2;
  const c16 = C & ~15;
  const c4 = C & ~3;
  const zero = f32x4.splat(0);
  const rowLow = countIncludePad ? -padTop : 0;
  const rowHigh = countIncludePad ? inH + padBottom : inH;
  const colLow = countIncludePad ? -padLeft : 0;
  const colHigh = countIncludePad ? inW + padRight : inW;
  let y = output;
  for (let n = 0; n < batch; n++) {
    const image = input + <usize>(n * inH * inW) * pixelBytes;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * strideH - padTop;
      const rowsCounted = countInside(ih0, kernelH, dilationH, rowLow, rowHigh);
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * strideW - padLeft;
        const counted = rowsCounted * countInside(iw0, kernelW, dilationW, colLow, colHigh);
        // Nothing counted means nothing summed: 0 / 1.
        const divisor: f32 = counted > 0 ? <f32>counted : 1;
        const divisors = f32x4.splat(divisor);
        for (let c = 0; c < c16; c += 16) {
          let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
          for (let kh = 0; kh < kernelH; kh++) {
            const ih = ih0 + kh * dilationH;
            if (<u32>ih >= <u32>inH) continue;
            const inRow = image + <usize>(ih * inW) * pixelBytes + (<usize>c << 2);
            for (let kw = 0; kw < kernelW; kw++) {
              const iw = iw0 + kw * dilationW;
              if (<u32>iw >= <u32>inW) continue;
              const xp = inRow + <usize>iw * pixelBytes;
              s0 = f32x4.add(s0, v128.load(xp));
              s1 = f32x4.add(s1, v128.load(xp, 16));
              s2 = f32x4.add(s2, v128.load(xp, 32));
              s3 = f32x4.add(s3, v128.load(xp, 48));
            }
          }
          const yp = y + (<usize>c << 2);
          v128.store(yp, f32x4.div(s0, divisors));
          v128.store(yp, f32x4.div(s1, divisors), 16);
          v128.store(yp, f32x4.div(s2, divisors), 32);
          v128.store(yp, f32x4.div(s3, divisors), 48);
        }
        for (let c = c16; c < c4; c += 4) {
          let s = zero;
          for (let kh = 0; kh < kernelH; kh++) {
            const ih = ih0 + kh * dilationH;
            if (<u32>ih >= <u32>inH) continue;
            const inRow = image + <usize>(ih * inW) * pixelBytes + (<usize>c << 2);
            for (let kw = 0; kw < kernelW; kw++) {
              const iw = iw0 + kw * dilationW;
              if (<u32>iw >= <u32>inW) continue;
              s = f32x4.add(s, v128.load(inRow + <usize>iw * pixelBytes));
            }
          }
          v128.store(y + (<usize>c << 2), f32x4.div(s, divisors));
        }
        for (let c = c4; c < C; c++) {
          let s: f32 = 0;
          for (let kh = 0; kh < kernelH; kh++) {
            const ih = ih0 + kh * dilationH;
            if (<u32>ih >= <u32>inH) continue;
            const inRow = image + <usize>(ih * inW) * pixelBytes + (<usize>c << 2);
            for (let kw = 0; kw < kernelW; kw++) {
              const iw = iw0 + kw * dilationW;
              if (<u32>iw >= <u32>inW) continue;
              s += load<f32>(inRow + <usize>iw * pixelBytes);
            }
          }
          store<f32>(y + (<usize>c << 2), s / divisor);
        }
        y += pixelBytes;
      }
    }
  }
}

/**
 * GlobalAveragePool: [batch, H, W, C] -> [batch, C]. Each image row is summed on its own before
 * joining the total, which keeps the float32 rounding error near (H + W) ulps rather than H*W.
 */
export function f32_global_avgpool(input: usize, batch: i32, H: i32, W: i32, C: i32, output: usize): void {
  const pixelBytes = <usize>C << 2;
  const rowBytes = <usize>W * pixelBytes;
  const imageBytes = <usize>H * rowBytes;
  const c4 = C & ~3;
  const zero = f32x4.splat(0);
  const pixels: f32 = <f32>(H * W);
  const divisors = f32x4.splat(pixels);
  for (let n = 0; n < batch; n++) {
    const image = input + <usize>n * imageBytes;
    const y = output + <usize>n * pixelBytes;
    for (let c = 0; c < c4; c += 4) {
      let total = zero;
      let row = image + (<usize>c << 2);
      for (let h = 0; h < H; h++) {
        let s = zero;
        const rowEnd = row + rowBytes;
        for (let xp = row; xp < rowEnd; xp += pixelBytes) s = f32x4.add(s, v128.load(xp));
        total = f32x4.add(total, s);
        row = rowEnd;
      }
      v128.store(y + (<usize>c << 2), f32x4.div(total, divisors));
    }
    for (let c = c4; c < C; c++) {
      let total: f32 = 0;
      let row = image + (<usize>c << 2);
      for (let h = 0; h < H; h++) {
        let s: f32 = 0;
        const rowEnd = row + rowBytes;
        for (let xp = row; xp < rowEnd; xp += pixelBytes) s += load<f32>(xp);
        total += s;
        row = rowEnd;
      }
      store<f32>(y + (<usize>c << 2), total / pixels);
    }
  }
}
