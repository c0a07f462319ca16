// int8 convolution with few taps, fused requantization, NHWC activations (see qs8-conv.ts).
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
import { narrowToBytes, requantBound, requantZeroPoint, requantizeStarted } from "./qs8-microkernel";
import { widenPaddedImage } from "./padded-image";

const SMALL_HEADER: usize = 144;
const SMALL_FIELD_STRIDE: usize = 16;
/** Bytes of packed int16 weights per tap pair and group of 4 output channels. */
const SMALL_PAIR_BYTES: usize = 16;
/** Output pixels per tile of qs8_conv2d_small. */
const SMALL_TILE_PIXELS = 4;

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
