// fp32 elementwise kernels over whole tensors that share one layout: Add, and Relu/Clip as a
// clamp range (the fp32 engine's residual additions and activations outside a fused Conv/Gemm).
// Clamping is `x < lo ? lo : x > hi ? hi : x`: NaN passes through, as ONNX Relu/Clip propagate it
// (f32x4.pmax/pmin are exactly these selections, one instruction each).

/** out[i] = clamp(a[i] + b[i], lo, hi) for n floats; `out` may be `a` or `b`. */
export function f32_add(a: usize, b: usize, n: i32, lo: f32, hi: f32, out: usize): void {
  const low = f32x4.splat(lo);
  const high = f32x4.splat(hi);
  const vectorEnd = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < vectorEnd; i += 16) {
    const sum = f32x4.add(v128.load(a + i), v128.load(b + i));
    v128.store(out + i, f32x4.pmin(f32x4.pmax(sum, low), high));
  }
  for (; i < <usize>n << 2; i += 4) {
    const sum = load<f32>(a + i) + load<f32>(b + i);
    store<f32>(out + i, sum < lo ? lo : sum > hi ? hi : sum);
  }
}

/** out[i] = clamp(x[i], lo, hi) for n floats; `out` may be `x`. */
export function f32_clamp(x: usize, n: i32, lo: f32, hi: f32, out: usize): void {
  const low = f32x4.splat(lo);
  const high = f32x4.splat(hi);
  const vectorEnd = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < vectorEnd; i += 16) v128.store(out + i, f32x4.pmin(f32x4.pmax(v128.load(x + i), low), high));
  for (; i < <usize>n << 2; i += 4) {
    const v = load<f32>(x + i);
    store<f32>(out + i, v < lo ? lo : v > hi ? hi : v);
  }
}

/** The index of the first NaN among n floats at x, or -1 (feeds are checked as they come in). */
export function f32_first_nan(x: usize, n: i32): i32 {
  const vectorEnd = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < vectorEnd; i += 16) {
    const v = v128.load(x + i);
    if (v128.any_true(f32x4.ne(v, v))) break;
  }
  for (; i < <usize>n << 2; i += 4) {
    const v = load<f32>(x + i);
    if (v != v) return <i32>(i >> 2);
  }
  return -1;
}
