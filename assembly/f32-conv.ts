// fp32 Conv2D on NHWC activations with fused bias and clamp.
//
// f32_conv2d (any groups): each group is a GEMM of [output pixels, KH*KW*Cin/groups] against the
// group's packed weights (f32-gemm.ts layout, k ordered (kh, kw, ci)). A 1x1 / stride-1 / unpadded
// convolution reads the input directly; otherwise blocks of output pixels are unfolded (im2col)
// into the host's scratch, padding as zeros, and each block is multiplied while it is in cache.
//
// f32_dwconv2d (groups == inC): vectorised over channels, weights packed [KH*KW][outC]. With a
// channel multiplier m > 1 the input is first widened into scratch (every channel repeated m
// times), which turns it into a multiplier-1 depthwise convolution over outC channels.
import { f32_gemm } from "./f32-gemm";

// @ts-ignore: decorator
@inline
function copyFloats(dst: usize, src: usize, count: i32): void {
  const bytes = <usize>count << 2;
  const vecEnd = bytes & ~(<usize>15);
  let i: usize = 0;
  for (; i < vecEnd; i += 16) v128.store(dst + i, v128.load(src + i));
  for (; i < bytes; i += 4) store<f32>(dst + i, load<f32>(src + i));
}

// @ts-ignore: decorator
@inline
function zeroFloats(dst: usize, count: i32): void {
  memory.fill(dst, 0, <usize>count << 2);
}

/**
 * Unfolds output pixels [first, first + count) of one image and group into `rows` (K floats each,
 * K = KH*KW*groupC, ordered (kh, kw, ci)). `image` points at channel 0 of the group in pixel 0.
 */
function im2col(
  image: usize, inH: i32, inW: i32, inC: i32, groupC: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, dilationH: i32, dilationW: i32,
  padTop: i32, padLeft: i32, outW: i32, first: i32, count: i32, rows: usize,
): void {
  // With one group and unit dilation, a whole in-bounds kernel row is one contiguous input run.
  const contiguousRow = groupC == inC && dilationW == 1;
  let dst = rows;
  for (let p = first; p < first + count; p++) {
    const oh = p / outW;
    const ow = p - oh * outW;
    const ih0 = oh * strideH - padTop;
    const iw0 = ow * strideW - padLeft;
    for (let kh = 0; kh < kernelH; kh++) {
      const ih = ih0 + kh * dilationH;
      const runFloats = kernelW * groupC;
      if (<u32>ih >= <u32>inH) {
        zeroFloats(dst, runFloats);
        dst += <usize>runFloats << 2;
        continue;
      }
      const inRow = image + (<usize>(ih * inW) * <usize>inC << 2);
      if (contiguousRow && iw0 >= 0 && iw0 + kernelW <= inW) {
        copyFloats(dst, inRow + (<usize>(iw0 * inC) << 2), runFloats);
        dst += <usize>runFloats << 2;
        continue;
      }
      for (let kw = 0; kw < kernelW; kw++) {
        const iw = iw0 + kw * dilationW;
        if (<u32>iw >= <u32>inW) zeroFloats(dst, groupC);
        else copyFloats(dst, inRow + (<usize>(iw * inC) << 2), groupC);
        dst += <usize>groupC << 2;
      }
    }
  }
}

/**
 * Grouped Conv2D over packed weights (see the file comment). `packed` holds, per group, the GEMM
 * panels of its outC/groups channels; `bias` the per-group bias padded to whole panels.
 * `scratch` holds `scratchRows` x (KH*KW*inC/groups) floats; unused by 1x1/stride-1/unpadded layers.
 */
export function f32_conv2d(
  input: usize, batch: i32, inH: i32, inW: i32, inC: i32, outC: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, dilationH: i32, dilationW: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, groups: i32,
  packed: usize, bias: usize, output: usize, scratch: usize, scratchRows: i32,
  clampMin: f32, clampMax: f32,
): void {
  const groupC = inC / groups;
  const groupOutC = outC / groups;
  const K = kernelH * kernelW * groupC;
  const paddedGroupOutC = (groupOutC + 7) & ~7;
  const groupWeightBytes = <usize>paddedGroupOutC * <usize>K << 2;
  const pixels = outH * outW;
  const direct = kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0 &&
    outH == inH && outW == inW;
  for (let g = 0; g < groups; g++) {
    const w = packed + <usize>g * groupWeightBytes;
    const b = bias + (<usize>(g * paddedGroupOutC) << 2);
    const yGroup = output + (<usize>(g * groupOutC) << 2);
    const xGroup = input + (<usize>(g * groupC) << 2);
    if (direct) {
      f32_gemm(xGroup, inC, batch * pixels, K, w, b, groupOutC, yGroup, outC, clampMin, clampMax);
      continue;
    }
    for (let n = 0; n < batch; n++) {
      const image = xGroup + (<usize>(n * inH * inW) * <usize>inC << 2);
      const yImage = yGroup + (<usize>(n * pixels) * <usize>outC << 2);
      for (let first = 0; first < pixels; first += scratchRows) {
        const count = pixels - first < scratchRows ? pixels - first : scratchRows;
        im2col(
          image, inH, inW, inC, groupC, kernelH, kernelW, strideH, strideW, dilationH, dilationW,
          padTop, padLeft, outW, first, count, scratch,
        );
        f32_gemm(
          scratch, K, count, K, w, b, groupOutC,
          yImage + (<usize>first * <usize>outC << 2), outC, clampMin, clampMax,
        );
      }
    }
  }
}

/** Repeats every channel of one NHWC image `multiplier` times: [H, W, C] -> [H, W, C * multiplier]. */
function widenChannels(image: usize, pixels: i32, channels: i32, multiplier: i32, out: usize): void {
  let dst = out;
  const end = image + (<usize>(pixels * channels) << 2);
  for (let src = image; src < end; src += 4) {
    const v = load<f32>(src);
    for (let j = 0; j < multiplier; j++) {
      store<f32>(dst, v);
      dst += 4;
    }
  }
}

// @ts-ignore: decorator
@inline
function clamp(v: v128, lo: v128, hi: v128): v128 {
  return f32x4.min(f32x4.max(v, lo), hi);
}

/**
 * Multiplier-1 depthwise convolution of one image with C channels (input and output), weights
 * [KH*KW][C]. Channels go 16, then 4, then 1 at a time; out-of-image taps are skipped (zero padding).
 */
function depthwiseImage(
  image: usize, inH: i32, inW: i32, C: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, dilationH: i32, dilationW: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32,
  weights: usize, bias: usize, out: usize, clampMin: f32, clampMax: f32,
): void {
  const lo = f32x4.splat(clampMin);
  const hi = f32x4.splat(clampMax);
  const pixelBytes = <usize>C << 2;
  const tapBytes = pixelBytes;
  const c16 = C & ~15;
  const c4 = C & ~3;
  let y = out;
  for (let oh = 0; oh < outH; oh++) {
    const ih0 = oh * strideH - padTop;
    for (let ow = 0; ow < outW; ow++) {
      const iw0 = ow * strideW - padLeft;
      for (let c = 0; c < c16; c += 16) {
        const cOff = <usize>c << 2;
        let a0 = v128.load(bias + cOff), a1 = v128.load(bias + cOff, 16);
        let a2 = v128.load(bias + cOff, 32), a3 = v128.load(bias + cOff, 48);
        for (let kh = 0; kh < kernelH; kh++) {
          const ih = ih0 + kh * dilationH;
          if (<u32>ih >= <u32>inH) continue;
          const inRow = image + <usize>(ih * inW) * pixelBytes + cOff;
          const wRow = weights + <usize>(kh * kernelW) * tapBytes + cOff;
          for (let kw = 0; kw < kernelW; kw++) {
            const iw = iw0 + kw * dilationW;
            if (<u32>iw >= <u32>inW) continue;
            const xp = inRow + <usize>iw * pixelBytes;
            const wp = wRow + <usize>kw * tapBytes;
            a0 = f32x4.add(a0, f32x4.mul(v128.load(xp), v128.load(wp)));
            a1 = f32x4.add(a1, f32x4.mul(v128.load(xp, 16), v128.load(wp, 16)));
            a2 = f32x4.add(a2, f32x4.mul(v128.load(xp, 32), v128.load(wp, 32)));
            a3 = f32x4.add(a3, f32x4.mul(v128.load(xp, 48), v128.load(wp, 48)));
          }
        }
        v128.store(y + cOff, clamp(a0, lo, hi));
        v128.store(y + cOff, clamp(a1, lo, hi), 16);
        v128.store(y + cOff, clamp(a2, lo, hi), 32);
        v128.store(y + cOff, clamp(a3, lo, hi), 48);
      }
      for (let c = c16; c < c4; c += 4) {
        const cOff = <usize>c << 2;
        let a = v128.load(bias + cOff);
        for (let kh = 0; kh < kernelH; kh++) {
          const ih = ih0 + kh * dilationH;
          if (<u32>ih >= <u32>inH) continue;
          const inRow = image + <usize>(ih * inW) * pixelBytes + cOff;
          const wRow = weights + <usize>(kh * kernelW) * tapBytes + cOff;
          for (let kw = 0; kw < kernelW; kw++) {
            const iw = iw0 + kw * dilationW;
            if (<u32>iw >= <u32>inW) continue;
            a = f32x4.add(a, f32x4.mul(v128.load(inRow + <usize>iw * pixelBytes), v128.load(wRow + <usize>kw * tapBytes)));
          }
        }
        v128.store(y + cOff, clamp(a, lo, hi));
      }
      for (let c = c4; c < C; c++) {
        const cOff = <usize>c << 2;
        let a = load<f32>(bias + cOff);
        for (let kh = 0; kh < kernelH; kh++) {
          const ih = ih0 + kh * dilationH;
          if (<u32>ih >= <u32>inH) continue;
          const inRow = image + <usize>(ih * inW) * pixelBytes + cOff;
          const wRow = weights + <usize>(kh * kernelW) * tapBytes + cOff;
          for (let kw = 0; kw < kernelW; kw++) {
            const iw = iw0 + kw * dilationW;
            if (<u32>iw >= <u32>inW) continue;
            a += load<f32>(inRow + <usize>iw * pixelBytes) * load<f32>(wRow + <usize>kw * tapBytes);
          }
        }
        store<f32>(y + cOff, min(max(a, clampMin), clampMax));
      }
      y += pixelBytes;
    }
  }
}

/**
 * Depthwise Conv2D (groups == inC, outC = inC * multiplier). Weights packed [KH*KW][outC],
 * bias [outC]. With multiplier > 1, `scratch` holds inH*inW*outC floats.
 */
export function f32_dwconv2d(
  input: usize, batch: i32, inH: i32, inW: i32, inC: i32, outC: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, dilationH: i32, dilationW: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32,
  packed: usize, bias: usize, output: usize, scratch: usize,
  clampMin: f32, clampMax: f32,
): void {
  const multiplier = outC / inC;
  const inPixels = inH * inW;
  for (let n = 0; n < batch; n++) {
    let image = input + (<usize>(n * inPixels) * <usize>inC << 2);
    if (multiplier > 1) {
      widenChannels(image, inPixels, inC, multiplier, scratch);
      image = scratch;
    }
    depthwiseImage(
      image, inH, inW, outC, kernelH, kernelW, strideH, strideW, dilationH, dilationW,
      padTop, padLeft, outH, outW, packed, bias,
      output + (<usize>(n * outH * outW) * <usize>outC << 2), clampMin, clampMax,
    );
  }
}
