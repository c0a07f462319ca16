// Depthwise int8 convolution, fused requantization, NHWC activations (see qs8-conv.ts).
//
// qs8_conv2d_depthwise (groups == inC, outC = inC * depthMultiplier): direct loops, SIMD over 8
// channels, two taps per i32x4.dot_i16x8_s (the inputs of taps t and t+1 interleaved as int16
// pairs). Packed weights, for each multiplier index j and each block of 8 input channels:
//
//   block = header (DW_HEADER bytes: 9 requantization fields x 8 lanes)
//         | ceil(T / 2) tap pairs x 8 channels x [w(tap 2p), w(tap 2p + 1)] as int16 (32 bytes)
//
// with T = kernelH * kernelW; lane i is input channel 8b + i and output channel (8b + i) * mult + j.
import { narrowToBytes, requantBound, requantZeroPoint, requantizeStarted } from "./qs8-microkernel";
import { widenPaddedImage } from "./padded-image";

const DW_LANES = 8;
/** Bytes of the per-block requantization header of the depthwise packing. */
const DW_HEADER: usize = 288;
const DW_FIELD_STRIDE: usize = 32;
/** Bytes of packed int16 weights per tap pair and block of 8 channels. */
const DW_PAIR_BYTES: usize = 32;

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
