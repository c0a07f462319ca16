// fp32 <-> int8 over whole tensors (DESIGN.md 2): ONNX QuantizeLinear / DequantizeLinear semantics,
// per tensor or per channel along the innermost (NHWC channel) axis.
import { dequantize16, dequantizeLanes, dequantizeOne, quantize16, quantizeLanes, quantizeOne } from "./affine-lanes";

/**
 * out[i] = clamp(roundHalfToEven(x[i] / scale) + zeroPoint, qmin, qmax) for n f32 values, the
 * division in f32; NaN gives zeroPoint, +-Inf saturate. qmin..qmax (within int8) sets the bit width.
 */
export function qs8_quantize_f32(x: usize, n: i32, scale: f32, zeroPoint: i32, qmin: i32, qmax: i32, out: usize): void {
  const s = f32x4.splat(scale);
  const z = i32x4.splat(zeroPoint);
  const lo = i32x4.splat(qmin - zeroPoint);
  const hi = i32x4.splat(qmax - zeroPoint);
  const vectorEnd = n & ~15;
  for (let i = 0; i < vectorEnd; i += 16) {
    v128.store(out + <usize>i, quantize16(x + (<usize>i << 2), s, z, lo, hi));
  }
  for (let i = vectorEnd; i < n; i++) {
    store<i8>(out + <usize>i, quantizeOne(load<f32>(x + (<usize>i << 2)), scale, zeroPoint, qmin, qmax));
  }
}

/** out[i] = scale * (q[i] - zeroPoint) in f32 for n int8 values. */
export function qs8_dequantize_f32(q: usize, n: i32, scale: f32, zeroPoint: i32, out: usize): void {
  const s = f32x4.splat(scale);
  const z = i32x4.splat(zeroPoint);
  const vectorEnd = n & ~15;
  for (let i = 0; i < vectorEnd; i += 16) {
    dequantize16(v128.load(q + <usize>i), s, z, out + (<usize>i << 2));
  }
  for (let i = vectorEnd; i < n; i++) {
    store<f32>(out + (<usize>i << 2), dequantizeOne(load<i8>(q + <usize>i), scale, zeroPoint));
  }
}

/**
 * qs8_quantize_f32 over rows x channels with scale[c] (f32) and zeroPoint[c] (int32) for column c.
 * Every zeroPoint[c] lies in qmin..qmax.
 */
export function qs8_quantize_f32_per_channel(
  x: usize, rows: i32, channels: i32, scale: usize, zeroPoint: usize, qmin: i32, qmax: i32, out: usize,
): void {
  const vectorChannels = channels & ~3;
  const qminLanes = i32x4.splat(qmin);
  const qmaxLanes = i32x4.splat(qmax);
  for (let r = 0; r < rows; r++) {
    const row = <usize>r * <usize>channels;
    for (let c = 0; c < vectorChannels; c += 4) {
      const z = v128.load(zeroPoint + (<usize>c << 2));
      const q = quantizeLanes(
        v128.load(x + ((row + <usize>c) << 2)), v128.load(scale + (<usize>c << 2)), z,
        i32x4.sub(qminLanes, z), i32x4.sub(qmaxLanes, z),
      );
      const packed = i16x8.narrow_i32x4_s(q, q);
      v128.store32_lane(out + row + <usize>c, i8x16.narrow_i16x8_s(packed, packed), 0);
    }
    for (let c = vectorChannels; c < channels; c++) {
      const value = quantizeOne(
        load<f32>(x + ((row + <usize>c) << 2)), load<f32>(scale + (<usize>c << 2)),
        load<i32>(zeroPoint + (<usize>c << 2)), qmin, qmax,
      );
      store<i8>(out + row + <usize>c, value);
    }
  }
}

/** qs8_dequantize_f32 over rows x channels with scale[c] (f32) and zeroPoint[c] (int32) for column c. */
export function qs8_dequantize_f32_per_channel(
  q: usize, rows: i32, channels: i32, scale: usize, zeroPoint: usize, out: usize,
): void {
  const vectorChannels = channels & ~3;
  for (let r = 0; r < rows; r++) {
    const row = <usize>r * <usize>channels;
    for (let c = 0; c < vectorChannels; c += 4) {
      const lanes = i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(q + row + <usize>c)));
      const r32 = dequantizeLanes(lanes, v128.load(scale + (<usize>c << 2)), v128.load(zeroPoint + (<usize>c << 2)));
      v128.store(out + ((row + <usize>c) << 2), r32);
    }
    for (let c = vectorChannels; c < channels; c++) {
      const value = dequantizeOne(
        load<i8>(q + row + <usize>c), load<f32>(scale + (<usize>c << 2)), load<i32>(zeroPoint + (<usize>c << 2)),
      );
      store<f32>(out + ((row + <usize>c) << 2), value);
    }
  }
}

/**
 * ONNX DynamicQuantizeLinear shifted to int8: the range [lo, hi] of n f32 values, widened to contain
 * 0, gives S = (hi - lo) / 255 and the uint8 zero point z = roundHalfToEven(clamp(-lo / S, 0, 255))
 * (all in f32, in ONNX's order), so Z = z - 128; then out = qs8_quantize_f32(x, S, Z) over [-128, 127].
 * An all-zero tensor (S = 0) gets S = 1, as in ONNX Runtime (any S > 0 keeps real 0 exact). Writes S (f32) at `params` and Z (i32) at
 * `params + 4` and returns 1; returns 0 and writes nothing when the range or S is not finite.
 */
export function qs8_dynamic_quantize_f32(x: usize, n: i32, out: usize, params: usize): i32 {
  let low0 = f32x4.splat(0), low1 = low0, high0 = low0, high1 = low0;
  const vectorEnd = n & ~7;
  for (let i = 0; i < vectorEnd; i += 8) {
    const a = v128.load(x + (<usize>i << 2));
    const b = v128.load(x + (<usize>i << 2), 16);
    low0 = f32x4.min(low0, a);
    low1 = f32x4.min(low1, b);
    high0 = f32x4.max(high0, a);
    high1 = f32x4.max(high1, b);
  }
  const low = f32x4.min(low0, low1);
  const high = f32x4.max(high0, high1);
  let lo = min(min(f32x4.extract_lane(low, 0), f32x4.extract_lane(low, 1)), min(f32x4.extract_lane(low, 2), f32x4.extract_lane(low, 3)));
  let hi = max(max(f32x4.extract_lane(high, 0), f32x4.extract_lane(high, 1)), max(f32x4.extract_lane(high, 2), f32x4.extract_lane(high, 3)));
  for (let i = vectorEnd; i < n; i++) {
    const value = load<f32>(x + (<usize>i << 2));
    lo = min(lo, value);
    hi = max(hi, value);
  }
  let scale: f32 = (hi - lo) / <f32>255;
  if (!isFinite(scale)) return 0;
  if (scale == 0) scale = 1;
  const zeroPoint = <i32>nearest(min(max(<f32>0 - lo / scale, <f32>0), <f32>255)) - 128;
  store<f32>(params, scale);
  store<i32>(params, zeroPoint, 4);
  qs8_quantize_f32(x, n, scale, zeroPoint, -128, 127, out);
  return 1;
}
