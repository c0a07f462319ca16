// int8 pooling over NHWC activations, vectorised over channels (DESIGN.md 3.2).
// MaxPool keeps the input's (S, Z). Average pooling sums in int32 and then either divides with
// rounding half to even (output (S, Z) equal to the input's) or requantizes with
// M = S_x / (S_y * count), whose (M0, left shift, right shift) the host tabulates per count (the
// sum is shifted left into its int32 headroom so that the high multiply keeps its fraction bits).
import { roundingDivideByPOT, saturatingRoundingDoublingHighMul } from "./fixedpoint";
import { multiplyByQuantizedMultiplierLanes, packInt8 } from "./fixedpoint-lanes";

/** How many taps k in [0, kernel) have start + k * dilation < bound. */
// @ts-ignore: decorator
@inline function tapsBelow(start: i32, dilation: i32, kernel: i32, bound: i32): i32 {
  const span = bound - start;
  if (span <= 0) return 0;
  const taps = (span + dilation - 1) / dilation;
  return taps < kernel ? taps : kernel;
}

/**
 * The clamped max over the window's taps of `width` (16, 8 or 4: a constant at every call site)
 * channels starting at `first` (the window's corner, offset to the block), stored at `dst`.
 */
// @ts-ignore: decorator
@inline
function maxWindowBlock(
  first: usize, kh0: i32, kh1: i32, kw0: i32, kw1: i32, tapRowBytes: usize, tapBytes: usize,
  lo: v128, hi: v128, dst: usize, width: i32,
): void {
  let m = i8x16.splat(-128);
  for (let kh = kh0; kh < kh1; kh++) {
    const row = first + <usize>kh * tapRowBytes;
    for (let kw = kw0; kw < kw1; kw++) {
      const at = row + <usize>kw * tapBytes;
      m = i8x16.max_s(m, width == 16 ? v128.load(at) : width == 8 ? v128.load64_zero(at) : v128.load32_zero(at));
    }
  }
  const clamped = i8x16.min_s(i8x16.max_s(m, lo), hi);
  if (width == 16) v128.store(dst, clamped);
  else if (width == 8) v128.store64_lane(dst, clamped, 0);
  else v128.store32_lane(dst, clamped, 0);
}

/**
 * Max over each window of the NHWC input, padded positions ignored, clamped to qmin..qmax (a fused
 * activation). A window with no position inside the input is the max of nothing, -inf: qmin.
 */
export function qs8_maxpool2d(
  input: usize, batch: i32, inH: i32, inW: i32, channels: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, dilationH: i32, dilationW: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, qmin: i32, qmax: i32, out: usize,
): void {
  const pixelBytes = <usize>channels;
  const rowBytes = <usize>inW * pixelBytes;
  const tapRowBytes = <usize>dilationH * rowBytes;
  const tapBytes = <usize>dilationW * pixelBytes;
  const blocks16 = channels & ~15;
  const blocks8 = channels & ~7;
  const lo = i8x16.splat(<i8>qmin);
  const hi = i8x16.splat(<i8>qmax);
  let dst = out;
  for (let n = 0; n < batch; n++) {
    const image = input + <usize>n * <usize>inH * rowBytes;
    for (let oh = 0; oh < outH; oh++) {
      const top = oh * strideH - padTop;
      const kh0 = tapsBelow(top, dilationH, kernelH, 0);
      const kh1 = tapsBelow(top, dilationH, kernelH, inH);
      for (let ow = 0; ow < outW; ow++) {
        const left = ow * strideW - padLeft;
        const kw0 = tapsBelow(left, dilationW, kernelW, 0);
        const kw1 = tapsBelow(left, dilationW, kernelW, inW);
        // Only taps inside the input are ever addressed, so the (negative) corner is never read.
        const corner = image + <usize>(top * <i32>rowBytes + left * channels);
        let c = 0;
        for (; c < blocks16; c += 16) maxWindowBlock(corner + <usize>c, kh0, kh1, kw0, kw1, tapRowBytes, tapBytes, lo, hi, dst + <usize>c, 16);
        if (c < blocks8) {
          maxWindowBlock(corner + <usize>c, kh0, kh1, kw0, kw1, tapRowBytes, tapBytes, lo, hi, dst + <usize>c, 8);
          c += 8;
        }
        if (c + 4 <= channels) {
          maxWindowBlock(corner + <usize>c, kh0, kh1, kw0, kw1, tapRowBytes, tapBytes, lo, hi, dst + <usize>c, 4);
          c += 4;
        }
        for (; c < channels; c++) {
          let m: i32 = -128;
          for (let kh = kh0; kh < kh1; kh++) {
            const row = corner + <usize>kh * tapRowBytes + <usize>c;
            for (let kw = kw0; kw < kw1; kw++) {
              const v = <i32>load<i8>(row + <usize>kw * tapBytes);
              m = v > m ? v : m;
            }
          }
          store<i8>(dst + <usize>c, <i8>(m < qmin ? qmin : m > qmax ? qmax : m));
        }
        dst += pixelBytes;
      }
    }
  }
}

// total / count rounded to nearest, ties to even (as ONNX Runtime's fp32 mean rounds them), per
// int32 lane. Exact: |total| < 2^31 and count <= 2^23, so a tie is exactly representable and a
// quotient that is not one lies at least 2^-24 from one, far more than the f64 division's error.
// @ts-ignore: decorator
@inline function divideRoundingLanes(total: v128, count: v128): v128 {
  const low = f64x2.nearest(f64x2.div(f64x2.convert_low_i32x4_s(total), count));
  const high = f64x2.nearest(f64x2.div(f64x2.convert_low_i32x4_s(i64x2.shuffle(total, total, 1, 1)), count));
  return i64x2.shuffle(i32x4.trunc_sat_f64x2_s_zero(low), i32x4.trunc_sat_f64x2_s_zero(high), 0, 2);
}

// @ts-ignore: decorator
@inline function divideRounding(total: i32, count: i32): i32 {
  return <i32>nearest(<f64>total / <f64>count);
}

/**
 * The output code of four channel sums: y = divide ? round(total / count) : RDBPOT(SRDHM(total << left, M0), right), then
 * clamp(y, lowest, highest) + offset, where total = sum + bias. The caller sets bias, the clamp
 * and the offset per output position (see qs8_avgpool2d).
 */
// @ts-ignore: decorator
@inline function averageLanes(
  sum: v128, bias: v128, divide: bool, count: v128,
  multiplier: v128, leftShift: i32, rightShift: i32, mask: v128, halfMask: v128,
  lowest: v128, highest: v128, offset: v128,
): v128 {
  const total = i32x4.add(sum, bias);
  const y = divide
    ? divideRoundingLanes(total, count)
    : multiplyByQuantizedMultiplierLanes(total, multiplier, leftShift, rightShift, mask, halfMask);
  return i32x4.add(i32x4.min_s(i32x4.max_s(y, lowest), highest), offset);
}

// @ts-ignore: decorator
@inline function averageOne(
  sum: i32, bias: i32, divide: bool, count: i32, multiplier: i32, leftShift: i32, rightShift: i32,
  lowest: i32, highest: i32, offset: i32,
): i8 {
  const total = sum + bias;
  const y = divide
    ? divideRounding(total, count)
    : roundingDivideByPOT(saturatingRoundingDoublingHighMul(total << leftShift, multiplier), rightShift);
  return <i8>((y < lowest ? lowest : y > highest ? highest : y) + offset);
}

/**
 * Average over each window of the NHWC input. With `valid` window positions inside the input and
 * `count` the divisor (the positions inside the padded extent [-padTop, inH + padBottom) x
 * [-padLeft, inW + padRight) when countIncludePad, else `valid`), and sum the int32 sum of the
 * valid values:
 *   divide (output (S, Z) = input's): q = clamp(round((sum + (count - valid) * Zx) / count), qmin, qmax),
 *     padded positions counting as Zx (real 0), rounding half to even;
 *   otherwise: q = clamp(RDBPOT(SRDHM((sum - valid * Zx) << left[count], M0[count]), right[count]) + Zy, qmin, qmax),
 *     with `multipliers` an int32 table of (M0, left, right, 0) quadruples indexed by count (1..kernelH * kernelW).
 * count == 0 (a window wholly outside) gives clamp(Zy, qmin, qmax): real 0.
 */
export function qs8_avgpool2d(
  input: usize, batch: i32, inH: i32, inW: i32, channels: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, dilationH: i32, dilationW: i32,
  padTop: i32, padLeft: i32, padBottom: i32, padRight: i32, outH: i32, outW: i32,
  countIncludePad: bool, zeroPointIn: i32, requantize: bool, multipliers: usize,
  zeroPointOut: i32, qmin: i32, qmax: i32, out: usize,
): void {
  const pixelBytes = <usize>channels;
  const rowBytes = <usize>inW * pixelBytes;
  const tapRowBytes = <usize>dilationH * rowBytes;
  const tapBytes = <usize>dilationW * pixelBytes;
  const blocks16 = channels & ~15;
  const blocks8 = channels & ~7;
  const divide = !requantize;
  const offset = divide ? 0 : zeroPointOut;
  const lowest = qmin - offset;
  const highest = qmax - offset;
  const lowestLanes = i32x4.splat(lowest);
  const highestLanes = i32x4.splat(highest);
  const offsetLanes = i32x4.splat(offset);
  const empty = <u8>(zeroPointOut < qmin ? qmin : zeroPointOut > qmax ? qmax : zeroPointOut);
  let dst = out;
  for (let n = 0; n < batch; n++) {
    const image = input + <usize>n * <usize>inH * rowBytes;
    for (let oh = 0; oh < outH; oh++) {
      const top = oh * strideH - padTop;
      const kh0 = tapsBelow(top, dilationH, kernelH, 0);
      const kh1 = tapsBelow(top, dilationH, kernelH, inH);
      const countH = countIncludePad
        ? tapsBelow(top, dilationH, kernelH, inH + padBottom) - tapsBelow(top, dilationH, kernelH, -padTop)
        : kh1 - kh0;
      for (let ow = 0; ow < outW; ow++, dst += pixelBytes) {
        const left = ow * strideW - padLeft;
        const kw0 = tapsBelow(left, dilationW, kernelW, 0);
        const kw1 = tapsBelow(left, dilationW, kernelW, inW);
        const countW = countIncludePad
          ? tapsBelow(left, dilationW, kernelW, inW + padRight) - tapsBelow(left, dilationW, kernelW, -padLeft)
          : kw1 - kw0;
        const valid = (kh1 - kh0) * (kw1 - kw0);
        const count = countH * countW;
        if (count == 0) {
          memory.fill(dst, empty, pixelBytes);
          continue;
        }
        const bias = divide ? (count - valid) * zeroPointIn : -valid * zeroPointIn;
        const entry = multipliers + (<usize>count << 4);
        const multiplier = divide ? 0 : load<i32>(entry);
        const leftShift = divide ? 0 : load<i32>(entry, 4);
        const rightShift = divide ? 0 : load<i32>(entry, 8);
        const biasLanes = i32x4.splat(bias);
        const countLanes = f64x2.splat(<f64>count);
        const multiplierLanes = i32x4.splat(multiplier);
        const mask = i32x4.splat((1 << rightShift) - 1);
        const halfMask = i32x4.splat(((1 << rightShift) - 1) >> 1);
        const corner = image + <usize>(top * <i32>rowBytes + left * channels);
        let c = 0;
        for (; c < blocks16; c += 16) {
          let s0 = i32x4.splat(0);
          let s1 = s0;
          let s2 = s0;
          let s3 = s0;
          for (let kh = kh0; kh < kh1; kh++) {
            const row = corner + <usize>kh * tapRowBytes + <usize>c;
            for (let kw = kw0; kw < kw1; kw++) {
              const low = v128.load8x8_s(row + <usize>kw * tapBytes);
              const high = v128.load8x8_s(row + <usize>kw * tapBytes, 8);
              s0 = i32x4.add(s0, i32x4.extend_low_i16x8_s(low));
              s1 = i32x4.add(s1, i32x4.extend_high_i16x8_s(low));
              s2 = i32x4.add(s2, i32x4.extend_low_i16x8_s(high));
              s3 = i32x4.add(s3, i32x4.extend_high_i16x8_s(high));
            }
          }
          v128.store(dst + <usize>c, packInt8(
            averageLanes(s0, biasLanes, divide, countLanes, multiplierLanes, leftShift, rightShift, mask, halfMask, lowestLanes, highestLanes, offsetLanes),
            averageLanes(s1, biasLanes, divide, countLanes, multiplierLanes, leftShift, rightShift, mask, halfMask, lowestLanes, highestLanes, offsetLanes),
            averageLanes(s2, biasLanes, divide, countLanes, multiplierLanes, leftShift, rightShift, mask, halfMask, lowestLanes, highestLanes, offsetLanes),
            averageLanes(s3, biasLanes, divide, countLanes, multiplierLanes, leftShift, rightShift, mask, halfMask, lowestLanes, highestLanes, offsetLanes),
          ));
        }
        if (c < blocks8) {
          let s0 = i32x4.splat(0);
          let s1 = s0;
          for (let kh = kh0; kh < kh1; kh++) {
            const row = corner + <usize>kh * tapRowBytes + <usize>c;
            for (let kw = kw0; kw < kw1; kw++) {
              const low = v128.load8x8_s(row + <usize>kw * tapBytes);
              s0 = i32x4.add(s0, i32x4.extend_low_i16x8_s(low));
              s1 = i32x4.add(s1, i32x4.extend_high_i16x8_s(low));
            }
          }
          const y0 = averageLanes(s0, biasLanes, divide, countLanes, multiplierLanes, leftShift, rightShift, mask, halfMask, lowestLanes, highestLanes, offsetLanes);
          const y1 = averageLanes(s1, biasLanes, divide, countLanes, multiplierLanes, leftShift, rightShift, mask, halfMask, lowestLanes, highestLanes, offsetLanes);
          v128.store64_lane(dst + <usize>c, packInt8(y0, y1, y0, y1), 0);
          c += 8;
        }
        for (; c < channels; c++) {
          let sum = 0;
          for (let kh = kh0; kh < kh1; kh++) {
            const row = corner + <usize>kh * tapRowBytes + <usize>c;
            for (let kw = kw0; kw < kw1; kw++) sum += <i32>load<i8>(row + <usize>kw * tapBytes);
          }
          store<i8>(dst + <usize>c, averageOne(sum, bias, divide, count, multiplier, leftShift, rightShift, lowest, highest, offset));
        }
      }
    }
  }
}

/**
 * Average over all `pixels` positions of each image and channel (NHWC in, [batch, channels] out):
 * qs8_avgpool2d with one window covering the whole image, count = valid = pixels, and the single
 * (multiplier, shift) for that count.
 */
export function qs8_global_avgpool(
  input: usize, batch: i32, pixels: i32, channels: i32,
  zeroPointIn: i32, requantize: bool, multiplier: i32, leftShift: i32, rightShift: i32,
  zeroPointOut: i32, qmin: i32, qmax: i32, out: usize,
): void {
  const pixelBytes = <usize>channels;
  const blocks16 = channels & ~15;
  const blocks8 = channels & ~7;
  const divide = !requantize;
  const offset = divide ? 0 : zeroPointOut;
  const lowest = qmin - offset;
  const highest = qmax - offset;
  const lowestLanes = i32x4.splat(lowest);
  const highestLanes = i32x4.splat(highest);
  const offsetLanes = i32x4.splat(offset);
  const bias = divide ? 0 : -pixels * zeroPointIn;
  const biasLanes = i32x4.splat(bias);
  const countLanes = f64x2.splat(<f64>pixels);
  const multiplierLanes = i32x4.splat(multiplier);
  const mask = i32x4.splat((1 << rightShift) - 1);
  const halfMask = i32x4.splat(((1 << rightShift) - 1) >> 1);
  for (let n = 0; n < batch; n++) {
    const image = input + <usize>n * <usize>pixels * pixelBytes;
    const dst = out + <usize>n * pixelBytes;
    let c = 0;
    for (; c < blocks16; c += 16) {
      let s0 = i32x4.splat(0);
      let s1 = s0;
      let s2 = s0;
      let s3 = s0;
      for (let p = 0; p < pixels; p++) {
        const src = image + <usize>p * pixelBytes + <usize>c;
        const low = v128.load8x8_s(src);
        const high = v128.load8x8_s(src, 8);
        s0 = i32x4.add(s0, i32x4.extend_low_i16x8_s(low));
        s1 = i32x4.add(s1, i32x4.extend_high_i16x8_s(low));
        s2 = i32x4.add(s2, i32x4.extend_low_i16x8_s(high));
        s3 = i32x4.add(s3, i32x4.extend_high_i16x8_s(high));
      }
      v128.store(dst + <usize>c, packInt8(
        averageLanes(s0, biasLanes, divide, countLanes, multiplierLanes, leftShift, rightShift, mask, halfMask, lowestLanes, highestLanes, offsetLanes),
        averageLanes(s1, biasLanes, divide, countLanes, multiplierLanes, leftShift, rightShift, mask, halfMask, lowestLanes, highestLanes, offsetLanes),
        averageLanes(s2, biasLanes, divide, countLanes, multiplierLanes, leftShift, rightShift, mask, halfMask, lowestLanes, highestLanes, offsetLanes),
        averageLanes(s3, biasLanes, divide, countLanes, multiplierLanes, leftShift, rightShift, mask, halfMask, lowestLanes, highestLanes, offsetLanes),
      ));
    }
    if (c < blocks8) {
      let s0 = i32x4.splat(0);
      let s1 = s0;
      for (let p = 0; p < pixels; p++) {
        const low = v128.load8x8_s(image + <usize>p * pixelBytes + <usize>c);
        s0 = i32x4.add(s0, i32x4.extend_low_i16x8_s(low));
        s1 = i32x4.add(s1, i32x4.extend_high_i16x8_s(low));
      }
      const y0 = averageLanes(s0, biasLanes, divide, countLanes, multiplierLanes, leftShift, rightShift, mask, halfMask, lowestLanes, highestLanes, offsetLanes);
      const y1 = averageLanes(s1, biasLanes, divide, countLanes, multiplierLanes, leftShift, rightShift, mask, halfMask, lowestLanes, highestLanes, offsetLanes);
      v128.store64_lane(dst + <usize>c, packInt8(y0, y1, y0, y1), 0);
      c += 8;
    }
    for (; c < channels; c++) {
      let sum = 0;
      for (let p = 0; p < pixels; p++) sum += <i32>load<i8>(image + <usize>p * pixelBytes + <usize>c);
      store<i8>(dst + <usize>c, averageOne(sum, bias, divide, pixels, multiplier, leftShift, rightShift, lowest, highest, offset));
    }
  }
}
