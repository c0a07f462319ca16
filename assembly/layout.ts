// NCHW <-> NHWC conversion at the graph boundary (DESIGN.md 5). Per image, NCHW -> NHWC is the
// transpose of a [channels, pixels] matrix and NHWC -> NCHW that of a [pixels, channels] one, so
// each direction is one 2-D transpose. Tiles: 4x4 for 32-bit elements; 4 rows x 16 columns for
// 8-bit ones (every output row then receives 4 contiguous bytes). The fused variants quantize
// or dequantize inside the tiles with the arithmetic of quantize.ts.
import { dequantizeLanes, dequantizeOne, quantize16, quantizeOne } from "./affine-lanes";

// @ts-ignore: decorator
@inline function zipLow8(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}
// @ts-ignore: decorator
@inline function zipHigh8(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}
// @ts-ignore: decorator
@inline function zipLow16(a: v128, b: v128): v128 {
  return i16x8.shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11);
}
// @ts-ignore: decorator
@inline function zipHigh16(a: v128, b: v128): v128 {
  return i16x8.shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15);
}

/** Stores the four 32-bit lanes of `v` at `dst`, `dst + stride`, `dst + 2 stride`, `dst + 3 stride`. */
// @ts-ignore: decorator
@inline function scatter32(v: v128, dst: usize, stride: usize): void {
  v128.store32_lane(dst, v, 0);
  v128.store32_lane(dst + stride, v, 1);
  v128.store32_lane(dst + 2 * stride, v, 2);
  v128.store32_lane(dst + 3 * stride, v, 3);
}

/** Stores the sixteen bytes of `v` at `dst + k * stride`, k = 0..15. */
// @ts-ignore: decorator
@inline function scatter8(v: v128, dst: usize, stride: usize): void {
  v128.store8_lane(dst, v, 0);
  v128.store8_lane(dst + stride, v, 1);
  v128.store8_lane(dst + 2 * stride, v, 2);
  v128.store8_lane(dst + 3 * stride, v, 3);
  v128.store8_lane(dst + 4 * stride, v, 4);
  v128.store8_lane(dst + 5 * stride, v, 5);
  v128.store8_lane(dst + 6 * stride, v, 6);
  v128.store8_lane(dst + 7 * stride, v, 7);
  v128.store8_lane(dst + 8 * stride, v, 8);
  v128.store8_lane(dst + 9 * stride, v, 9);
  v128.store8_lane(dst + 10 * stride, v, 10);
  v128.store8_lane(dst + 11 * stride, v, 11);
  v128.store8_lane(dst + 12 * stride, v, 12);
  v128.store8_lane(dst + 13 * stride, v, 13);
  v128.store8_lane(dst + 14 * stride, v, 14);
  v128.store8_lane(dst + 15 * stride, v, 15);
}

/** out[c, r] = x[r, c] for a rows x cols matrix of 32-bit elements. */
function transpose32(x: usize, rows: i32, cols: i32, out: usize): void {
  const rowBytes = <usize>cols << 2;
  const colBytes = <usize>rows << 2;
  const tileRows = rows & ~3;
  const tileCols = cols & ~3;
  for (let r = 0; r < tileRows; r += 4) {
    const src = x + <usize>r * rowBytes;
    for (let c = 0; c < tileCols; c += 4) {
      const s = src + (<usize>c << 2);
      const r0 = v128.load(s);
      const r1 = v128.load(s + rowBytes);
      const r2 = v128.load(s + 2 * rowBytes);
      const r3 = v128.load(s + 3 * rowBytes);
      const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
      const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
      const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
      const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
      const d = out + <usize>c * colBytes + (<usize>r << 2);
      v128.store(d, i64x2.shuffle(t0, t2, 0, 2));
      v128.store(d + colBytes, i64x2.shuffle(t0, t2, 1, 3));
      v128.store(d + 2 * colBytes, i64x2.shuffle(t1, t3, 0, 2));
      v128.store(d + 3 * colBytes, i64x2.shuffle(t1, t3, 1, 3));
    }
  }
  for (let r = tileRows; r < rows; r++) {
    for (let c = 0; c < tileCols; c += 4) {
      scatter32(v128.load(x + <usize>r * rowBytes + (<usize>c << 2)), out + <usize>c * colBytes + (<usize>r << 2), colBytes);
    }
  }
  for (let r = 0; r < rows; r++) {
    for (let c = tileCols; c < cols; c++) {
      store<u32>(out + <usize>c * colBytes + (<usize>r << 2), load<u32>(x + <usize>r * rowBytes + (<usize>c << 2)));
    }
  }
}

/** out[c, r] = x[r, c] for a rows x cols matrix of bytes. */
function transpose8(x: usize, rows: i32, cols: i32, out: usize): void {
  const tileRows = rows & ~3;
  const tileCols = cols & ~15;
  const rowBytes = <usize>cols;
  const colBytes = <usize>rows;
  for (let r = 0; r < tileRows; r += 4) {
    for (let c = 0; c < tileCols; c += 16) {
      const s = x + <usize>r * rowBytes + <usize>c;
      const low01 = zipLow8(v128.load(s), v128.load(s + rowBytes));
      const high01 = zipHigh8(v128.load(s), v128.load(s + rowBytes));
      const low23 = zipLow8(v128.load(s + 2 * rowBytes), v128.load(s + 3 * rowBytes));
      const high23 = zipHigh8(v128.load(s + 2 * rowBytes), v128.load(s + 3 * rowBytes));
      const d = out + <usize>c * colBytes + <usize>r;
      scatter32(zipLow16(low01, low23), d, colBytes);
      scatter32(zipHigh16(low01, low23), d + 4 * colBytes, colBytes);
      scatter32(zipLow16(high01, high23), d + 8 * colBytes, colBytes);
      scatter32(zipHigh16(high01, high23), d + 12 * colBytes, colBytes);
    }
  }
  for (let r = tileRows; r < rows; r++) {
    for (let c = 0; c < tileCols; c += 16) {
      scatter8(v128.load(x + <usize>r * rowBytes + <usize>c), out + <usize>c * colBytes + <usize>r, colBytes);
    }
  }
  for (let r = 0; r < rows; r++) {
    for (let c = tileCols; c < cols; c++) {
      store<u8>(out + <usize>c * colBytes + <usize>r, load<u8>(x + <usize>r * rowBytes + <usize>c));
    }
  }
}

/** NCHW -> NHWC for f32 (any 32-bit) elements; `pixels` is height * width. */
export function f32_nchw_to_nhwc(x: usize, batch: i32, channels: i32, pixels: i32, out: usize): void {
  const image = (<usize>channels * <usize>pixels) << 2;
  for (let n = 0; n < batch; n++) transpose32(x + <usize>n * image, channels, pixels, out + <usize>n * image);
}

/** NHWC -> NCHW for f32 (any 32-bit) elements; `pixels` is height * width. */
export function f32_nhwc_to_nchw(x: usize, batch: i32, channels: i32, pixels: i32, out: usize): void {
  const image = (<usize>channels * <usize>pixels) << 2;
  for (let n = 0; n < batch; n++) transpose32(x + <usize>n * image, pixels, channels, out + <usize>n * image);
}

/** NCHW -> NHWC for int8 elements; `pixels` is height * width. */
export function qs8_nchw_to_nhwc(x: usize, batch: i32, channels: i32, pixels: i32, out: usize): void {
  const image = <usize>channels * <usize>pixels;
  for (let n = 0; n < batch; n++) transpose8(x + <usize>n * image, channels, pixels, out + <usize>n * image);
}

/** NHWC -> NCHW for int8 elements; `pixels` is height * width. */
export function qs8_nhwc_to_nchw(x: usize, batch: i32, channels: i32, pixels: i32, out: usize): void {
  const image = <usize>channels * <usize>pixels;
  for (let n = 0; n < batch; n++) transpose8(x + <usize>n * image, pixels, channels, out + <usize>n * image);
}

/**
 * f32 NCHW -> int8 NHWC in one pass, each element quantized exactly as qs8_quantize_f32 does:
 * clamp(roundHalfToEven(x / scale) + zeroPoint, qmin, qmax).
 */
export function qs8_quantize_nchw_to_nhwc(
  x: usize, batch: i32, channels: i32, pixels: i32,
  scale: f32, zeroPoint: i32, qmin: i32, qmax: i32, out: usize,
): void {
  const s = f32x4.splat(scale);
  const z = i32x4.splat(zeroPoint);
  const lo = i32x4.splat(qmin - zeroPoint);
  const hi = i32x4.splat(qmax - zeroPoint);
  const tileChannels = channels & ~3;
  const tilePixels = pixels & ~15;
  const rowBytes = <usize>pixels << 2;
  const pixelBytes = <usize>channels;
  for (let n = 0; n < batch; n++) {
    const src = x + <usize>n * <usize>channels * rowBytes;
    const dst = out + <usize>n * <usize>channels * <usize>pixels;
    for (let c = 0; c < tileChannels; c += 4) {
      for (let p = 0; p < tilePixels; p += 16) {
        const s0 = src + <usize>c * rowBytes + (<usize>p << 2);
        const q0 = quantize16(s0, s, z, lo, hi);
        const q1 = quantize16(s0 + rowBytes, s, z, lo, hi);
        const q2 = quantize16(s0 + 2 * rowBytes, s, z, lo, hi);
        const q3 = quantize16(s0 + 3 * rowBytes, s, z, lo, hi);
        const low01 = zipLow8(q0, q1);
        const high01 = zipHigh8(q0, q1);
        const low23 = zipLow8(q2, q3);
        const high23 = zipHigh8(q2, q3);
        const d = dst + <usize>p * pixelBytes + <usize>c;
        scatter32(zipLow16(low01, low23), d, pixelBytes);
        scatter32(zipHigh16(low01, low23), d + 4 * pixelBytes, pixelBytes);
        scatter32(zipLow16(high01, high23), d + 8 * pixelBytes, pixelBytes);
        scatter32(zipHigh16(high01, high23), d + 12 * pixelBytes, pixelBytes);
      }
    }
    for (let c = tileChannels; c < channels; c++) {
      for (let p = 0; p < tilePixels; p += 16) {
        const q = quantize16(src + <usize>c * rowBytes + (<usize>p << 2), s, z, lo, hi);
        scatter8(q, dst + <usize>p * pixelBytes + <usize>c, pixelBytes);
      }
    }
    for (let c = 0; c < channels; c++) {
      for (let p = tilePixels; p < pixels; p++) {
        const value = load<f32>(src + <usize>c * rowBytes + (<usize>p << 2));
        store<i8>(dst + <usize>p * pixelBytes + <usize>c, quantizeOne(value, scale, zeroPoint, qmin, qmax));
      }
    }
  }
}

/** Dequantizes the four 4-byte groups of `w` (one output row each) to f32 at `dst + k * stride`. */
// @ts-ignore: decorator
@inline function dequantizeGroups(w: v128, scale: v128, zeroPoint: v128, dst: usize, stride: usize): void {
  const low = i16x8.extend_low_i8x16_s(w);
  const high = i16x8.extend_high_i8x16_s(w);
  v128.store(dst, dequantizeLanes(i32x4.extend_low_i16x8_s(low), scale, zeroPoint));
  v128.store(dst + stride, dequantizeLanes(i32x4.extend_high_i16x8_s(low), scale, zeroPoint));
  v128.store(dst + 2 * stride, dequantizeLanes(i32x4.extend_low_i16x8_s(high), scale, zeroPoint));
  v128.store(dst + 3 * stride, dequantizeLanes(i32x4.extend_high_i16x8_s(high), scale, zeroPoint));
}

/** int8 NHWC -> f32 NCHW in one pass, each element dequantized exactly as qs8_dequantize_f32 does. */
export function f32_dequantize_nhwc_to_nchw(
  q: usize, batch: i32, channels: i32, pixels: i32, scale: f32, zeroPoint: i32, out: usize,
): void {
  const s = f32x4.splat(scale);
  const z = i32x4.splat(zeroPoint);
  const tilePixels = pixels & ~3;
  const tileChannels = channels & ~15;
  const pixelBytes = <usize>channels;
  const channelBytes = <usize>pixels << 2;
  for (let n = 0; n < batch; n++) {
    const src = q + <usize>n * <usize>channels * <usize>pixels;
    const dst = out + <usize>n * <usize>channels * channelBytes;
    for (let p = 0; p < tilePixels; p += 4) {
      for (let c = 0; c < tileChannels; c += 16) {
        const s0 = src + <usize>p * pixelBytes + <usize>c;
        const low01 = zipLow8(v128.load(s0), v128.load(s0 + pixelBytes));
        const high01 = zipHigh8(v128.load(s0), v128.load(s0 + pixelBytes));
        const low23 = zipLow8(v128.load(s0 + 2 * pixelBytes), v128.load(s0 + 3 * pixelBytes));
        const high23 = zipHigh8(v128.load(s0 + 2 * pixelBytes), v128.load(s0 + 3 * pixelBytes));
        const d = dst + <usize>c * channelBytes + (<usize>p << 2);
        dequantizeGroups(zipLow16(low01, low23), s, z, d, channelBytes);
        dequantizeGroups(zipHigh16(low01, low23), s, z, d + 4 * channelBytes, channelBytes);
        dequantizeGroups(zipLow16(high01, high23), s, z, d + 8 * channelBytes, channelBytes);
        dequantizeGroups(zipHigh16(high01, high23), s, z, d + 12 * channelBytes, channelBytes);
      }
    }
    for (let p = tilePixels; p < pixels; p++) {
      for (let c = 0; c < tileChannels; c += 16) {
        const v = v128.load(src + <usize>p * pixelBytes + <usize>c);
        const low = i16x8.extend_low_i8x16_s(v);
        const high = i16x8.extend_high_i8x16_s(v);
        const d = dst + <usize>c * channelBytes + (<usize>p << 2);
        scatter32(dequantizeLanes(i32x4.extend_low_i16x8_s(low), s, z), d, channelBytes);
        scatter32(dequantizeLanes(i32x4.extend_high_i16x8_s(low), s, z), d + 4 * channelBytes, channelBytes);
        scatter32(dequantizeLanes(i32x4.extend_low_i16x8_s(high), s, z), d + 8 * channelBytes, channelBytes);
        scatter32(dequantizeLanes(i32x4.extend_high_i16x8_s(high), s, z), d + 12 * channelBytes, channelBytes);
      }
    }
    for (let p = 0; p < pixels; p++) {
      for (let c = tileChannels; c < channels; c++) {
        const value = dequantizeOne(load<i8>(src + <usize>p * pixelBytes + <usize>c), scale, zeroPoint);
        store<f32>(dst + <usize>c * channelBytes + (<usize>p << 2), value);
      }
    }
  }
}
