// int8 2-D convolution with fused requantization, NHWC activations. Padded positions read as the
// input zero point Z_x (real 0), so the pack-time fold accInit = b - Z_x * sum(w) stays exact.
//
// qs8_conv2d (any groups): tiles of four output pixels of one group are multiplied by the group's
// packed weights with the GEMM micro-kernel (qs8-microkernel.ts); a tile's rows are the pixels'
// im2col rows in (ky, kx, ci) order. With the plain layout and inC / groups a multiple of 8, each
// image is widened to int16 inside its padding once and the taps are copied from there straight
// into the micro-kernel's interleaved tile (convFromWidenedImages); otherwise each row is gathered
// from the int8 input (im2colRow), widened or, relaxed, as bytes. The few-taps and depthwise
// kernels are in qs8-conv-small.ts and qs8-dwconv.ts.
import {
  QS8_PAIR_HEADER, QS8_TILE_ROWS, blockWeightBytes, fillRow, qs8_gemm_1x2, qs8_gemm_4x2, qs8_gemm_4x2_interleaved, widenRow,
} from "./qs8-microkernel";
import { gemmRowBytes, gemmRowsStart, qs8_gemm } from "./qs8-gemm";
import { widenPaddedImage } from "./padded-image";

/** Copies n int8 values (16 at a time, then one by one: never reads past src + n). */
// @ts-ignore: decorator
@inline
function copyBytes(dst: usize, src: usize, n: i32): void {
  let k = 0;
  for (; k + 16 <= n; k += 16) v128.store(dst + <usize>k, v128.load(src + <usize>k));
  for (; k < n; k++) store<i8>(dst + <usize>k, load<i8>(src + <usize>k));
}

/** Writes n int8 copies of value. */
// @ts-ignore: decorator
@inline
function fillBytes(dst: usize, value: i32, n: i32): void {
  const splat = i8x16.splat(<i8>value);
  let k = 0;
  for (; k + 16 <= n; k += 16) v128.store(dst + <usize>k, splat);
  for (; k < n; k++) store<i8>(dst + <usize>k, <i8>value);
}

/**
 * Writes the im2col row of the output pixel whose receptive field starts at (iy0, ix0) of `image`
 * (already offset to the channel group) at `dst`, padded with zeros to `paddedLength` values: int16
 * values when `wide`, else int8 values (then returns their sum, for the relaxed layout's
 * correction; else 0).
 */
// @ts-ignore: decorator
@inline
function im2colRow(
  dst: usize, image: usize, iy0: i32, ix0: i32,
  inH: i32, inW: i32, inC: i32, inCPerGroup: i32,
  kernelH: i32, kernelW: i32, dilationH: i32, dilationW: i32, inputZeroPoint: i32, paddedLength: i32, wide: bool,
): i32 {
  const elementShift: usize = wide ? 1 : 0;
  const tapBytes = <usize>inCPerGroup << elementShift;
  // A whole kernel row is one contiguous run of input when taps are adjacent and inside the image.
  const rowRun = dilationW == 1 && inCPerGroup == inC && ix0 >= 0 && ix0 + kernelW <= inW;
  let d = dst;
  for (let ky = 0; ky < kernelH; ky++) {
    const iy = iy0 + ky * dilationH;
    if (iy < 0 || iy >= inH) {
      if (wide) fillRow(d, kernelW * inCPerGroup, inputZeroPoint);
      else fillBytes(d, inputZeroPoint, kernelW * inCPerGroup);
      d += tapBytes * <usize>kernelW;
      continue;
    }
    const line = image + <usize>iy * <usize>inW * <usize>inC;
    if (rowRun) {
      if (wide) widenRow(line + <usize>ix0 * <usize>inC, kernelW * inC, d, kernelW * inC);
      else copyBytes(d, line + <usize>ix0 * <usize>inC, kernelW * inC);
      d += tapBytes * <usize>kernelW;
      continue;
    }
    for (let kx = 0; kx < kernelW; kx++) {
      const ix = ix0 + kx * dilationW;
      if (ix < 0 || ix >= inW) {
        if (wide) fillRow(d, inCPerGroup, inputZeroPoint);
        else fillBytes(d, inputZeroPoint, inCPerGroup);
      } else if (wide) {
        widenRow(line + <usize>ix * <usize>inC, inCPerGroup, d, inCPerGroup);
      } else {
        copyBytes(d, line + <usize>ix * <usize>inC, inCPerGroup);
      }
      d += tapBytes;
    }
  }
  const K = kernelH * kernelW * inCPerGroup;
  if (wide) {
    for (let k = K; k < paddedLength; k++) store<i16>(dst + (<usize>k << 1), 0);
    return 0;
  }
  fillBytes(dst + <usize>K, 0, paddedLength - K);
  let sums = i32x4.splat(0);
  for (let k = 0; k < paddedLength; k += 16) {
    sums = i32x4.add(sums, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(v128.load(dst + <usize>k))));
  }
  return i32x4.extract_lane(sums, 0) + i32x4.extract_lane(sums, 1) + i32x4.extract_lane(sums, 2) + i32x4.extract_lane(sums, 3);
}

/**
 * Gathers tile row `r` (the output pixel whose receptive field starts at (iy0, ix0) of `image`) into
 * the scratch in the GEMM layout of `relaxed` (see prepareRow in qs8-gemm.ts).
 */
// @ts-ignore: decorator
@inline
function gatherRow(
  scratch: usize, r: i32, rowBytes: usize, relaxed: i32, weightOffset: i32, image: usize, iy0: i32, ix0: i32,
  inH: i32, inW: i32, inC: i32, inCPerGroup: i32,
  kernelH: i32, kernelW: i32, dilationH: i32, dilationW: i32, inputZeroPoint: i32,
): void {
  const row = gemmRowsStart(scratch, relaxed) + <usize>r * rowBytes;
  if (!relaxed) {
    im2colRow(
      row, image, iy0, ix0, inH, inW, inC, inCPerGroup, kernelH, kernelW, dilationH, dilationW, inputZeroPoint,
      <i32>(rowBytes >> 1), true,
    );
  } else {
    const sum = im2colRow(
      row, image, iy0, ix0, inH, inW, inC, inCPerGroup, kernelH, kernelW, dilationH, dilationW, inputZeroPoint,
      <i32>rowBytes, false,
    );
    store<i32>(scratch + (<usize>r << 2), -weightOffset * sum);
  }
}

/**
 * General int8 convolution. input int8 [batch, inH, inW, inC], output int8 [batch, outH, outW, outC],
 * `packed` from packQs8Conv2d (per group: ceil(outC/groups / 2) GEMM blocks over
 * K = kernelH * kernelW * inC/groups, in the layout of `relaxed` as for qs8_gemm), scratch as for
 * qs8_gemm with M = batch * outH * outW.
 */
export function qs8_conv2d(
  input: usize, output: usize, packed: usize, scratch: usize,
  batch: i32, inH: i32, inW: i32, inC: i32, outH: i32, outW: i32, outC: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, dilationH: i32, dilationW: i32,
  padTop: i32, padLeft: i32, groups: i32,
  inputZeroPoint: i32, outputZeroPoint: i32, qmin: i32, qmax: i32, relaxed: i32, weightOffset: i32,
): void {
  if (!ASC_FEATURE_RELAXED_SIMD && relaxed) unreachable();
  // A pointwise convolution over the whole image is a GEMM on the NHWC input as it lies.
  if (kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0 && groups == 1 && outH == inH && outW == inW) {
    qs8_gemm(input, batch * inH * inW, inC, outC, packed, scratch, output, outputZeroPoint, qmin, qmax, relaxed, weightOffset);
    return;
  }
  const inCPerGroup = inC / groups;
  if (!relaxed && (inCPerGroup & 7) == 0) {
    convFromWidenedImages(
      input, output, packed, scratch, batch, inH, inW, inC, outH, outW, outC,
      kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, groups, inputZeroPoint, outputZeroPoint, qmin, qmax,
    );
    return;
  }
  const outCPerGroup = outC / groups;
  const rowBytes = gemmRowBytes(kernelH * kernelW * inCPerGroup, relaxed);
  const rows = gemmRowsStart(scratch, relaxed);
  const groupBytes = <usize>((outCPerGroup + 1) >> 1) * (QS8_PAIR_HEADER + blockWeightBytes(rowBytes));
  const imageBytes = <usize>inH * <usize>inW * <usize>inC;
  const pixels = batch * outH * outW;
  for (let g = 0; g < groups; g++) {
    const blocks = packed + <usize>g * groupBytes;
    const out = output + <usize>(g * outCPerGroup);
    const groupInput = input + <usize>(g * inCPerGroup);
    // The next pixel to gather, as (image, oy, ox): counters, not divisions per pixel.
    let b = 0, oy = 0, ox = 0;
    for (let p = 0; p < pixels; ) {
      const count = pixels - p >= QS8_TILE_ROWS ? QS8_TILE_ROWS : 1;
      for (let r = 0; r < count; r++) {
        gatherRow(
          scratch, r, rowBytes, relaxed, weightOffset, groupInput + <usize>b * imageBytes, oy * strideH - padTop, ox * strideW - padLeft,
          inH, inW, inC, inCPerGroup, kernelH, kernelW, dilationH, dilationW, inputZeroPoint,
        );
        if (++ox == outW) {
          ox = 0;
          if (++oy == outH) {
            oy = 0;
            b++;
          }
        }
      }
      const o = out + <usize>p * <usize>outC;
      if (count == QS8_TILE_ROWS) qs8_gemm_4x2(rows, rowBytes, blocks, outCPerGroup, o, <usize>outC, outputZeroPoint, qmin, qmax, relaxed);
      else qs8_gemm_1x2(rows, rowBytes, blocks, outCPerGroup, o, outputZeroPoint, qmin, qmax, relaxed);
      p += count;
    }
  }
}

/**
 * Copies the K = kernelH * kernelW * tapValues int16 taps of one output pixel, whose receptive
 * field starts at `src` in a widened padded image, to dst as one GEMM row. tapValues is a multiple
 * of 8, so every tap is whole groups of 8; the taps of a kernel row are one run when `contiguous`.
 */
// @ts-ignore: decorator
@inline
function copyRowTaps(
  dst: usize, src: usize, kernelH: i32, kernelW: i32, rowStep: usize, tapStep: usize, tapGroups: i32, contiguous: bool,
): void {
  const runs = contiguous ? 1 : kernelW;
  const runGroups = contiguous ? kernelW * tapGroups : tapGroups;
  let d = dst;
  for (let ky = 0; ky < kernelH; ky++) {
    for (let run = 0; run < runs; run++) {
      let s = src + <usize>ky * rowStep + <usize>run * tapStep;
      for (let j = 0; j < runGroups; j++, s += 16, d += 16) v128.store(d, v128.load(s));
    }
  }
}

/**
 * copyRowTaps for the four pixels of a tile (sources src0..src3), interleaved as
 * qs8_gemm_4x2_interleaved reads them: group j of pixel r at tile + 64 * j + 16 * r.
 */
// @ts-ignore: decorator
@inline
function copyTileTaps(
  tile: usize, src0: usize, src1: usize, src2: usize, src3: usize,
  kernelH: i32, kernelW: i32, rowStep: usize, tapStep: usize, tapGroups: i32, contiguous: bool,
): void {
  const runs = contiguous ? 1 : kernelW;
  const runGroups = contiguous ? kernelW * tapGroups : tapGroups;
  let t = tile;
  for (let ky = 0; ky < kernelH; ky++) {
    for (let run = 0; run < runs; run++) {
      let o = <usize>ky * rowStep + <usize>run * tapStep;
      for (let j = 0; j < runGroups; j++, o += 16, t += 64) {
        v128.store(t, v128.load(src0 + o));
        v128.store(t, v128.load(src1 + o), 16);
        v128.store(t, v128.load(src2 + o), 32);
        v128.store(t, v128.load(src3 + o), 48);
      }
    }
  }
}

/**
 * qs8_conv2d on the plain layout when inC / groups is a multiple of 8. Each image is first widened
 * to int16 inside its padding (Z_x) in the scratch, once for all groups; then every tap of an
 * output pixel is whole groups of 8 GEMM values, copied straight into the interleaved tile that
 * the 4x2 micro-kernel reads: no per-pixel border tests and no second copy. Pixels are tiled per
 * image; an image's last (pixels % 4) go one at a time. Scratch: 8 GEMM rows (the tile at
 * 4 rows in), then paddedH * paddedW * inC int16.
 */
function convFromWidenedImages(
  input: usize, output: usize, packed: usize, scratch: usize,
  batch: i32, inH: i32, inW: i32, inC: i32, outH: i32, outW: i32, outC: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, dilationH: i32, dilationW: i32,
  padTop: i32, padLeft: i32, groups: i32,
  inputZeroPoint: i32, outputZeroPoint: i32, qmin: i32, qmax: i32,
): void {
  const inCPerGroup = inC / groups;
  const outCPerGroup = outC / groups;
  const rowBytes = gemmRowBytes(kernelH * kernelW * inCPerGroup, 0);
  const tile = scratch + (rowBytes << 2);
  const padded = scratch + (rowBytes << 3);
  const paddedH = (outH - 1) * strideH + (kernelH - 1) * dilationH + 1;
  const paddedW = (outW - 1) * strideW + (kernelW - 1) * dilationW + 1;
  const pixelBytes = <usize>inC << 1;
  const lineBytes = <usize>paddedW * pixelBytes;
  const rowStep = <usize>dilationH * lineBytes;
  const tapStep = <usize>dilationW * pixelBytes;
  const tapGroups = inCPerGroup >> 3;
  const contiguous = groups == 1 && dilationW == 1;
  const groupBytes = <usize>((outCPerGroup + 1) >> 1) * (QS8_PAIR_HEADER + blockWeightBytes(rowBytes));
  const imageBytes = <usize>inH * <usize>inW * <usize>inC;
  const pixels = outH * outW;
  for (let b = 0; b < batch; b++) {
    widenPaddedImage(input + <usize>b * imageBytes, padded, inH, inW, inC, paddedH, paddedW, padTop, padLeft, inputZeroPoint);
    const imageOut = output + <usize>b * <usize>pixels * <usize>outC;
    for (let g = 0; g < groups; g++) {
      const blocks = packed + <usize>g * groupBytes;
      const groupImage = padded + (<usize>(g * inCPerGroup) << 1);
      const out = imageOut + <usize>(g * outCPerGroup);
      let oy = 0, ox = 0;
      for (let p = 0; p < pixels; ) {
        const count = pixels - p >= QS8_TILE_ROWS ? QS8_TILE_ROWS : 1;
        // The receptive fields of the tile's pixels.
        let src0: usize = 0, src1: usize = 0, src2: usize = 0, src3: usize = 0;
        for (let r = 0; r < count; r++) {
          const src = groupImage + <usize>(oy * strideH) * lineBytes + <usize>(ox * strideW) * pixelBytes;
          if (r == 0) src0 = src;
          else if (r == 1) src1 = src;
          else if (r == 2) src2 = src;
          else src3 = src;
          if (++ox == outW) {
            ox = 0;
            oy++;
          }
        }
        const o = out + <usize>p * <usize>outC;
        if (count == QS8_TILE_ROWS) {
          copyTileTaps(tile, src0, src1, src2, src3, kernelH, kernelW, rowStep, tapStep, tapGroups, contiguous);
          qs8_gemm_4x2_interleaved(scratch, rowBytes, blocks, outCPerGroup, o, <usize>outC, outputZeroPoint, qmin, qmax);
        } else {
          copyRowTaps(scratch, src0, kernelH, kernelW, rowStep, tapStep, tapGroups, contiguous);
          qs8_gemm_1x2(scratch, rowBytes, blocks, outCPerGroup, o, outputZeroPoint, qmin, qmax, 0);
        }
        p += count;
      }
    }
  }
}
