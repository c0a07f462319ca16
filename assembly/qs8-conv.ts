// int8 2-D convolution with fused requantization, NHWC activations. Padded positions read as the
// input zero point Z_x (real 0), so the pack-time fold accInit = b - Z_x * sum(w) stays exact.
//
// qs8_conv2d (any groups): tiles of four output pixels of one group are multiplied by the group's
// packed weights with the GEMM micro-kernel (qs8-microkernel.ts); a tile's rows are the pixels'
// im2col rows in (ky, kx, ci) order. With the plain layout and inC / groups a multiple of 8, each
// image is widened to int16 inside its padding once and the taps are copied from there straight
// into the micro-kernel's interleaved tile (convFromWidenedImages); otherwise each row is gathered
// from the int8 input (im2colRow), widened or, relaxed, as bytes.
//
// qs8_conv2d_small (groups == 1, K = kernelH * kernelW * inC <= 32: first layers on images):
// direct loops, SIMD over 4 output channels, over each image widened to int16 inside its padding.
// One i32x4.dot_i16x8_s of a splatted pair of taps (two adjacent int16 in the widened image, or
// in a pair image: see pairImages) with a packed weight vector adds two taps to four channels, and
// each splat serves all four channels. Packed weights, per group of 4 output channels (lane i is
// channel 4g + i):
//
//   block = header (SMALL_HEADER bytes: 9 requantization fields x 4 lanes)
//         | P tap pairs x 4 channels x [w(first tap), w(second tap)] as int16 (16 bytes)
//
// where the pairs are, for one input channel, kernel rows 2i and 2i + 1 column by column and then
// an odd last row's columns two by two; otherwise each kernel row's kernelW * inC taps two by two.
// A pair's missing second tap has weight 0 (src/kernels/qs8-conv.ts smallPairing).
//
// qs8_conv2d_depthwise (groups == inC, outC = inC * depthMultiplier): direct loops, SIMD over 8
// channels, two taps per i32x4.dot_i16x8_s (the inputs of taps t and t+1 interleaved as int16
// pairs). Packed weights, for each multiplier index j and each block of 8 input channels:
//
//   block = header (DW_HEADER bytes: 9 requantization fields x 8 lanes)
//         | ceil(T / 2) tap pairs x 8 channels x [w(tap 2p), w(tap 2p + 1)] as int16 (32 bytes)
//
// with T = kernelH * kernelW; lane i is input channel 8b + i and output channel (8b + i) * mult + j.
import {
  QS8_PAIR_HEADER, QS8_TILE_ROWS, blockWeightBytes, fillRow, narrowToBytes, qs8_gemm_1x2, qs8_gemm_4x2,
  qs8_gemm_4x2_interleaved, requantBound, requantZeroPoint, requantizeStarted, widenRow,
} from "./qs8-microkernel";
import { gemmRowBytes, gemmRowsStart, qs8_gemm } from "./qs8-gemm";

const SMALL_HEADER: usize = 144;
const SMALL_FIELD_STRIDE: usize = 16;
/** Bytes of packed int16 weights per tap pair and group of 4 output channels. */
const SMALL_PAIR_BYTES: usize = 16;
/** Output pixels per tile of qs8_conv2d_small. */
const SMALL_TILE_PIXELS = 4;
const DW_LANES = 8;
/** Bytes of the per-block requantization header of the depthwise packing. */
const DW_HEADER: usize = 288;
const DW_FIELD_STRIDE: usize = 32;
/** Bytes of packed int16 weights per tap pair and block of 8 channels. */
const DW_PAIR_BYTES: usize = 32;

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
 * Widens one int8 image [inH, inW, inC] into `padded`, int16 [paddedH, paddedW, inC] whose (0, 0)
 * is input position (-padTop, -padLeft): positions outside the image hold Z_x.
 */
function widenPaddedImage(
  image: usize, padded: usize, inH: i32, inW: i32, inC: i32, paddedH: i32, paddedW: i32,
  padTop: i32, padLeft: i32, inputZeroPoint: i32,
): void {
  const left = min(padLeft, paddedW);
  const inside = max(0, min(inW, paddedW - padLeft));
  const right = paddedW - left - inside;
  const lineValues = paddedW * inC;
  let d = padded;
  for (let py = 0; py < paddedH; py++, d += <usize>lineValues << 1) {
    const iy = py - padTop;
    if (iy < 0 || iy >= inH) {
      fillRow(d, lineValues, inputZeroPoint);
      continue;
    }
    fillRow(d, left * inC, inputZeroPoint);
    widenRow(image + <usize>iy * <usize>inW * <usize>inC, inside * inC, d + (<usize>(left * inC) << 1), inside * inC);
    fillRow(d + (<usize>((left + inside) * inC) << 1), right * inC, inputZeroPoint);
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

/**
 * Convolution with few taps (groups == 1, K = kernelH * kernelW * inC <= 32), optionally fused with
 * a max pool of poolH x poolW (stride the same, no padding, poolH * poolW <= 4) over its output.
 * input int8 [batch, inH, inW, inC], output int8 [batch, outH, outW, outC] (convolution output
 * size), or with the pool [batch, outH / poolH, outW / poolW, outC] (floor); `packed` from
 * packQs8Conv2d (kind "small"), scratch of qs8Conv2dScratchSize (host): the pair offsets, four
 * gathered rows (inC > 1 with dilationW > 1 only), one widened padded image (with one input
 * channel, dilation's worth of extra rows and columns, then its two pair images), 16 bytes of slack.
 *
 * Each image is widened to int16 inside its padding (Z_x) first. The K loop then splat-loads each
 * pair straight from there, at a byte offset from the pixel's receptive field that a table gives:
 * no per-pixel gather, whose short overlapping stores the loads would wait on. With one input
 * channel the pairs come from the pair images (any dilation); otherwise, with dilationW == 1, a
 * kernel row's kernelW * inC taps are one run in the widened image (a run of odd length reads one
 * value past it, against a zero weight), and with dilated columns each pixel's taps are first
 * copied into a scratch row in the same pair layout.
 * Without the pool a tile is four consecutive output pixels (a last partial tile repeats its last
 * pixel and stores only the real ones). With it a tile is one pool window, and the window's
 * accumulators are reduced by max before one requantization: requantization is monotone
 * (non-decreasing) when no channel shifts left, which the host checks, so that is the max of the
 * requantized outputs, with a quarter of the requantization work and no convolution output stored.
 */
export function qs8_conv2d_small(
  input: usize, output: usize, packed: usize, scratch: usize,
  batch: i32, inH: i32, inW: i32, inC: i32, outH: i32, outW: i32, outC: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, dilationH: i32, dilationW: i32,
  padTop: i32, padLeft: i32, poolH: i32, poolW: i32,
  inputZeroPoint: i32, outputZeroPoint: i32, qmin: i32, qmax: i32,
): void {
  const runPairs = (kernelW * inC + 1) >> 1;
  // One input channel: taps paired across kernel rows, read from the pair images (see pairImages).
  const single = inC == 1;
  const pairs = single ? (kernelH >> 1) * kernelW + (kernelH & 1) * ((kernelW + 1) >> 1) : kernelH * runPairs;
  const blockBytes = SMALL_HEADER + <usize>pairs * SMALL_PAIR_BYTES;
  const zero = requantZeroPoint(outputZeroPoint);
  const lowest = requantBound(qmin, outputZeroPoint);
  const highest = requantBound(qmax, outputZeroPoint);
  const paddedH = (outH - 1) * strideH + (kernelH - 1) * dilationH + 1;
  const paddedW = (outW - 1) * strideW + (kernelW - 1) * dilationW + 1;
  // The widened image has dilation's worth of extra rows and columns (Z_x) for the pair images.
  const widenedH = single ? paddedH + dilationH : paddedH;
  const widenedW = single ? paddedW + dilationW : paddedW;
  const pixelBytes = <usize>inC << 1;
  const lineBytes = <usize>widenedW * pixelBytes;
  const direct = single || dilationW == 1;
  const offsets = scratch;
  const rows = offsets + smallOffsetsBytes(pairs);
  const rowBytes = <usize>pairs << 2;
  const padded = rows + (direct ? 0 : rowBytes * SMALL_TILE_PIXELS);
  const vertical = padded + <usize>widenedH * lineBytes;
  const pairLineBytes = <usize>paddedW << 2;
  const horizontal = vertical + <usize>paddedH * pairLineBytes;
  for (let q = 0; q < pairs; q++) {
    let offset: usize;
    if (single) {
      // Vertical pairs (rows 2i and 2i + 1) column by column, then the odd last row's horizontal pairs.
      const verticalPairs = (kernelH >> 1) * kernelW;
      const ky = q < verticalPairs ? (q / kernelW) << 1 : kernelH - 1;
      const kx = q < verticalPairs ? q % kernelW : (q - verticalPairs) << 1;
      const at = <usize>(ky * dilationH) * pairLineBytes + (<usize>(kx * dilationW) << 2);
      offset = q < verticalPairs ? at : horizontal - vertical + at;
    } else if (direct) {
      const ky = q / runPairs;
      offset = <usize>(ky * dilationH) * lineBytes + (<usize>(q - ky * runPairs) << 2);
    } else {
      offset = <usize>q << 2;
    }
    store<u32>(offsets + (<usize>q << 2), <u32>offset);
  }
  const imageBytes = <usize>inH * <usize>inW * <usize>inC;
  const leftShifts = anyLeftShift(packed, (outC + 3) >> 2, blockBytes);
  const window = poolH * poolW;
  const pooled = window > 1;
  // The grid of output pixels: pooled pixels when pooled, else the convolution's own.
  const gridH = outH / poolH;
  const gridW = outW / poolW;
  const pixels = gridH * gridW;
  const tilePixels = pooled ? 1 : SMALL_TILE_PIXELS;
  // Where pixel (oy, ox) of the convolution reads from: the pair images, or the widened image.
  const source = single ? vertical : padded;
  const columnStep = <usize>strideW * (single ? 4 : pixelBytes);
  const rowStep = <usize>strideH * (single ? pairLineBytes : lineBytes);
  // The steps between grid pixels, and the offsets of a tile's pixels from its first: a pool
  // window row by row (its last pixel repeated), or four output columns.
  const gridColumnStep = columnStep * <usize>poolW;
  const gridRowStep = rowStep * <usize>poolH;
  const offset1 = tilePixelOffset(1, pooled, window, poolW, rowStep, columnStep);
  const offset2 = tilePixelOffset(2, pooled, window, poolW, rowStep, columnStep);
  const offset3 = tilePixelOffset(3, pooled, window, poolW, rowStep, columnStep);
  let out = output;
  for (let b = 0; b < batch; b++) {
    widenPaddedImage(input + <usize>b * imageBytes, padded, inH, inW, inC, widenedH, widenedW, padTop, padLeft, inputZeroPoint);
    if (single) pairImages(padded, widenedW, vertical, horizontal, paddedH, paddedW, dilationH, dilationW);
    // The next grid pixel (y, x) of this image, and where it reads from.
    let y = 0, x = 0;
    let at = source;
    for (let p = 0; p < pixels; p += tilePixels) {
      const count = pooled ? window : min(SMALL_TILE_PIXELS, pixels - p);
      // The receptive fields of the tile's pixels (the last one repeated to fill the tile).
      let base0: usize = 0, base1: usize = 0, base2: usize = 0, base3: usize = 0;
      if (direct && (pooled || x + SMALL_TILE_PIXELS <= gridW)) {
        // A pool window, or four pixels of one output row.
        base0 = at;
        base1 = at + offset1;
        base2 = at + offset2;
        base3 = at + offset3;
        x += tilePixels;
      } else {
        // Pixels across a row end, or gathered (dilated columns): one at a time.
        let oy = pooled ? y * poolH : y, ox = pooled ? x * poolW : x;
        for (let r = 0; r < count; r++) {
          let base = source + <usize>oy * rowStep + <usize>ox * columnStep;
          if (!direct) {
            const row = rows + <usize>r * rowBytes;
            gatherDilatedTaps(row, base, kernelH, kernelW, inC, <usize>dilationH * lineBytes, <usize>dilationW * pixelBytes, runPairs);
            base = row;
          }
          if (r == 0) base0 = base1 = base2 = base3 = base;
          else if (r == 1) base1 = base2 = base3 = base;
          else if (r == 2) base2 = base3 = base;
          else base3 = base;
          if (pooled) {
            if (++ox == (x + 1) * poolW) {
              ox = x * poolW;
              oy++;
            }
          } else if (++x == gridW) {
            x = 0;
            y++;
            ox = 0;
            oy = y;
          } else {
            ox = x;
          }
        }
        if (pooled) x++;
      }
      if (x == gridW) {
        x = 0;
        y++;
      }
      at = source + <usize>y * gridRowStep + <usize>x * gridColumnStep;
      smallTileChannels(offsets, pairs, base0, base1, base2, base3, packed, blockBytes, outC, out, pooled ? 1 : count, pooled, leftShifts, zero, lowest, highest);
      out += <usize>(pooled ? 1 : count) * <usize>outC;
    }
  }
}

/**
 * The offset of tile pixel r (1..3) from the tile's first: in a pool window of `window` pixels,
 * poolW per row, row by row (past the window, its last pixel again); else r output columns on.
 */
function tilePixelOffset(r: i32, pooled: bool, window: i32, poolW: i32, rowStep: usize, columnStep: usize): usize {
  if (!pooled) return <usize>r * columnStep;
  const pixel = min(r, window - 1);
  return <usize>(pixel / poolW) * rowStep + <usize>(pixel % poolW) * columnStep;
}

/**
 * The pair images of a widened one-channel image (int16 [paddedH + dilationH, widenedW], Z_x
 * beyond paddedH x paddedW): vertical[y][x] = (image[y][x], image[y + dilationH][x]) and
 * horizontal[y][x] = (image[y][x], image[y][x + dilationW]), int16 pairs over paddedH x paddedW.
 * Two taps of one kernel column (or row) are then one 4-byte load, so a 3x3 kernel takes 5 pairs
 * (three vertical, one horizontal, one with a zero weight) where rows padded to even take 6.
 */
function pairImages(
  image: usize, widenedW: i32, vertical: usize, horizontal: usize, paddedH: i32, paddedW: i32, dilationH: i32, dilationW: i32,
): void {
  const lineBytes = <usize>widenedW << 1;
  for (let y = 0; y < paddedH; y++) {
    const row = image + <usize>y * lineBytes;
    const below = row + <usize>dilationH * lineBytes;
    const right = row + (<usize>dilationW << 1);
    const v = vertical + (<usize>(y * paddedW) << 2);
    const h = horizontal + (<usize>(y * paddedW) << 2);
    let x = 0;
    for (; x + 8 <= paddedW; x += 8) {
      const at = <usize>x << 1;
      const a = v128.load(row + at);
      const b = v128.load(below + at);
      const c = v128.load(right + at);
      v128.store(v + (at << 1), i16x8.shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11));
      v128.store(v + (at << 1), i16x8.shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15), 16);
      v128.store(h + (at << 1), i16x8.shuffle(a, c, 0, 8, 1, 9, 2, 10, 3, 11));
      v128.store(h + (at << 1), i16x8.shuffle(a, c, 4, 12, 5, 13, 6, 14, 7, 15), 16);
    }
    for (; x < paddedW; x++) {
      const at = <usize>x << 1;
      const value = load<u16>(row + at);
      store<u32>(v + (at << 1), <u32>value | (<u32>load<u16>(below + at) << 16));
      store<u32>(h + (at << 1), <u32>value | (<u32>load<u16>(right + at) << 16));
    }
  }
}

/** Whether some channel of `count` small-layout blocks shifts left (header field 1 above 1). */
function anyLeftShift(blocks: usize, count: i32, blockBytes: usize): bool {
  let shifts = i32x4.splat(0);
  for (let i = 0; i < count; i++) {
    shifts = v128.or(shifts, i32x4.gt_s(v128.load(blocks + <usize>i * blockBytes + SMALL_FIELD_STRIDE), i32x4.splat(1)));
  }
  return v128.any_true(shifts);
}

/** Bytes of qs8_conv2d_small's table of pair offsets (4 per pair, rounded up to 16). */
// @ts-ignore: decorator
@inline
function smallOffsetsBytes(pairs: i32): usize {
  return <usize>((pairs + 3) & ~3) << 2;
}

/**
 * One output pixel's taps for qs8_conv2d_small when columns are dilated: kernel row ky's kernelW
 * taps of inC values (tapStep bytes apart from `base` + ky * rowStep in the widened padded image)
 * become run ky of the pair layout at `row`, runPairs pairs, an odd last value paired with 0.
 */
function gatherDilatedTaps(
  row: usize, base: usize, kernelH: i32, kernelW: i32, inC: i32, rowStep: usize, tapStep: usize, runPairs: i32,
): void {
  const runValues = kernelW * inC;
  for (let ky = 0; ky < kernelH; ky++) {
    const run = row + (<usize>(ky * runPairs) << 2);
    for (let kx = 0; kx < kernelW; kx++) {
      const tap = base + <usize>ky * rowStep + <usize>kx * tapStep;
      for (let c = 0; c < inC; c++) store<i16>(run + (<usize>(kx * inC + c) << 1), load<i16>(tap + (<usize>c << 1)));
    }
    if (runValues & 1) store<i16>(run + (<usize>runValues << 1), 0);
  }
}

/** Stores the low `count` (1..3) bytes of a 32-bit lane value at dst. */
// @ts-ignore: decorator
@inline
function storeFewBytes(dst: usize, value: u32, count: i32): void {
  store<u8>(dst, <u8>value);
  if (count > 1) store<u8>(dst, <u8>(value >> 8), 1);
  if (count > 2) store<u8>(dst, <u8>(value >> 16), 2);
}

/**
 * All output channels of one tile of qs8_conv2d_small: four pixels' taps (pair q of pixel r at
 * base_r + offsets[q]) times each group of 4 channels' packed weights; stores `count` pixels
 * (`outC` bytes apart at `out`), or with `pooled` one pixel, the requantized max over the four.
 * `leftShifts` false (no channel shifts left, as pooling requires anyway) skips that multiply.
 */
// @ts-ignore: decorator
@inline
function smallTileChannels(
  offsets: usize, pairs: i32, base0: usize, base1: usize, base2: usize, base3: usize,
  packed: usize, blockBytes: usize, outC: i32, out: usize, count: i32, pooled: bool, leftShifts: bool,
  zero: v128, lowest: v128, highest: v128,
): void {
  const outStride = <usize>outC;
  const offsetsEnd = offsets + (<usize>pairs << 2);
  let block = packed;
  for (let c = 0; c < outC; c += 4) {
    // The accumulators start at init (bias - Z_x * sum of weights), header field 0.
    let acc0 = v128.load(block), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    let w = block + SMALL_HEADER;
    for (let q = offsets; q < offsetsEnd; q += 4) {
      const offset = <usize>load<u32>(q);
      const weights = v128.load(w);
      w += SMALL_PAIR_BYTES;
      acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(v128.load32_splat(base0 + offset), weights));
      acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(v128.load32_splat(base1 + offset), weights));
      acc2 = i32x4.add(acc2, i32x4.dot_i16x8_s(v128.load32_splat(base2 + offset), weights));
      acc3 = i32x4.add(acc3, i32x4.dot_i16x8_s(v128.load32_splat(base3 + offset), weights));
    }
    let bytes: v128;
    if (pooled) {
      // The max of acc + init, the value requantization is non-decreasing in (with no left shift).
      const top = i32x4.max_s(i32x4.max_s(acc0, acc1), i32x4.max_s(acc2, acc3));
      const y = requantizeStarted(top, block, SMALL_FIELD_STRIDE, zero, lowest, highest, false);
      bytes = narrowToBytes(y, y);
    } else {
      const y0 = requantizeStarted(acc0, block, SMALL_FIELD_STRIDE, zero, lowest, highest, leftShifts);
      const y1 = requantizeStarted(acc1, block, SMALL_FIELD_STRIDE, zero, lowest, highest, leftShifts);
      const y2 = requantizeStarted(acc2, block, SMALL_FIELD_STRIDE, zero, lowest, highest, leftShifts);
      const y3 = requantizeStarted(acc3, block, SMALL_FIELD_STRIDE, zero, lowest, highest, leftShifts);
      // Bytes [pixel 0: 4 channels | pixel 1 | pixel 2 | pixel 3].
      bytes = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(y0, y1), i16x8.narrow_i32x4_s(y2, y3));
    }
    const o = out + <usize>c;
    if (c + 4 <= outC) {
      v128.store32_lane(o, bytes, 0);
      if (count > 1) v128.store32_lane(o + outStride, bytes, 1);
      if (count > 2) v128.store32_lane(o + outStride * 2, bytes, 2);
      if (count > 3) v128.store32_lane(o + outStride * 3, bytes, 3);
    } else {
      const channels = outC - c;
      storeFewBytes(o, i32x4.extract_lane(bytes, 0), channels);
      if (count > 1) storeFewBytes(o + outStride, i32x4.extract_lane(bytes, 1), channels);
      if (count > 2) storeFewBytes(o + outStride * 2, i32x4.extract_lane(bytes, 2), channels);
      if (count > 3) storeFewBytes(o + outStride * 3, i32x4.extract_lane(bytes, 3), channels);
    }
    block += blockBytes;
  }
}

/**
 * Eight channels of one depthwise output pixel: `offsets` holds 2 * pairs byte offsets (one per
 * tap, an odd last slot repeating tap 0 against a zero weight) from `at`, the pixel's receptive
 * field in the widened image plus the block's first channel. Returns the eight requantized int8
 * results in the low 8 bytes.
 */
// @ts-ignore: decorator
@inline
function depthwiseBlock(
  offsets: usize, pairs: i32, at: usize, block: usize,
  zero: v128, lowest: v128, highest: v128,
): v128 {
  // The accumulators start at init (header field 0 of each half).
  let accLow = v128.load(block);
  let accHigh = v128.load(block, 16);
  let w = block + DW_HEADER;
  for (let p = 0; p < pairs; p++) {
    const table = offsets + (<usize>p << 3);
    const first = v128.load(at + <usize>load<u32>(table));
    const second = v128.load(at + <usize>load<u32>(table, 4));
    accLow = i32x4.add(accLow, i32x4.dot_i16x8_s(i16x8.shuffle(first, second, 0, 8, 1, 9, 2, 10, 3, 11), v128.load(w)));
    accHigh = i32x4.add(accHigh, i32x4.dot_i16x8_s(i16x8.shuffle(first, second, 4, 12, 5, 13, 6, 14, 7, 15), v128.load(w, 16)));
    w += DW_PAIR_BYTES;
  }
  const low = requantizeStarted(accLow, block, DW_FIELD_STRIDE, zero, lowest, highest, true);
  const high = requantizeStarted(accHigh, block + 16, DW_FIELD_STRIDE, zero, lowest, highest, true);
  return narrowToBytes(low, high);
}

/** Stores the low `count` bytes of `bytes` at dst, dst + stride, ... */
// @ts-ignore: decorator
@inline
function storeBytesStrided(dst: usize, stride: usize, bytes: v128, count: i32): void {
  let value = i64x2.extract_lane(bytes, 0);
  for (let i = 0; i < count; i++) {
    store<u8>(dst + <usize>i * stride, <u8>value);
    value >>= 8;
  }
}

/**
 * Depthwise int8 convolution (groups == channels, outC = channels * depthMultiplier).
 * input int8 [batch, inH, inW, channels], output int8 [batch, outH, outW, outC], `packed` from
 * packQs8Conv2d, scratch of qs8Conv2dScratchSize (host): [tap offsets (2 * pairs, rounded up to 16
 * bytes) | one image widened to int16 inside its padding (Z_x) | 16 bytes of slack]. Each image is
 * widened once, so every tap of every pixel is a plain 16-byte load of 8 channels at a fixed offset
 * from the pixel (no bounds tests, no widening per tap); the channel tail (channels % 8) reads past
 * its pixel, into the next one or the slack, against zero weights.
 */
export function qs8_conv2d_depthwise(
  input: usize, output: usize, packed: usize, scratch: usize,
  batch: i32, inH: i32, inW: i32, channels: i32, outH: i32, outW: i32, depthMultiplier: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, dilationH: i32, dilationW: i32,
  padTop: i32, padLeft: i32,
  inputZeroPoint: i32, outputZeroPoint: i32, qmin: i32, qmax: i32,
): void {
  const taps = kernelH * kernelW;
  const pairs = (taps + 1) >> 1;
  const slots = pairs << 1;
  const paddedH = (outH - 1) * strideH + (kernelH - 1) * dilationH + 1;
  const paddedW = (outW - 1) * strideW + (kernelW - 1) * dilationW + 1;
  const pixelBytes = <usize>channels << 1;
  const lineBytes = <usize>paddedW * pixelBytes;
  const offsets = scratch;
  const widened = offsets + (<usize>((slots + 3) & ~3) << 2);
  for (let s = 0; s < slots; s++) {
    const t = s < taps ? s : 0;
    const ky = t / kernelW;
    const kx = t - ky * kernelW;
    store<u32>(offsets + (<usize>s << 2), <u32>(<usize>(ky * dilationH) * lineBytes + <usize>(kx * dilationW) * pixelBytes));
  }
  const zero = requantZeroPoint(outputZeroPoint);
  const lowest = requantBound(qmin, outputZeroPoint);
  const highest = requantBound(qmax, outputZeroPoint);
  const outC = channels * depthMultiplier;
  const blockBytes = DW_HEADER + <usize>pairs * DW_PAIR_BYTES;
  const imageBytes = <usize>inH * <usize>inW * <usize>channels;
  const columnStep = <usize>strideW * pixelBytes;
  let out = output;
  for (let b = 0; b < batch; b++) {
    widenPaddedImage(input + <usize>b * imageBytes, widened, inH, inW, channels, paddedH, paddedW, padTop, padLeft, inputZeroPoint);
    for (let oy = 0; oy < outH; oy++) {
      let pixel = widened + <usize>(oy * strideH) * lineBytes;
      for (let ox = 0; ox < outW; ox++, pixel += columnStep) {
        let block = packed;
        for (let j = 0; j < depthMultiplier; j++) {
          for (let c = 0; c < channels; c += DW_LANES) {
            const bytes = depthwiseBlock(offsets, pairs, pixel + (<usize>c << 1), block, zero, lowest, highest);
            const count = min(DW_LANES, channels - c);
            if (depthMultiplier == 1 && count == DW_LANES) v128.store64_lane(out + <usize>c, bytes, 0);
            else storeBytesStrided(out + <usize>(c * depthMultiplier + j), <usize>depthMultiplier, bytes, count);
            block += blockBytes;
          }
        }
        out += <usize>outC;
      }
    }
  }
}
