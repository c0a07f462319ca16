// The machine's WebAssembly SIMD ceilings, each instruction alone on registers in independent
// chains (so that latency does not bound throughput), the figures the kernel benchmark divides by.
// For int8 GEMM: i32x4.dot_i16x8_s, 8 multiply-accumulates each; each call does iterations * 8 of
// them. A GEMM also spends one i32x4.add per dot to accumulate (plain SIMD has no accumulating
// dot), and loads its operands, so it stays below this figure (about 80% of it here at 512^3).

export function peak_i16x8_dot(iterations: i32, seed: i32): i32 {
  const c = i16x8.splat(<i16>seed);
  let x0 = i32x4.splat(1), x1 = i32x4.splat(2), x2 = i32x4.splat(3), x3 = i32x4.splat(4);
  let x4 = i32x4.splat(5), x5 = i32x4.splat(6), x6 = i32x4.splat(7), x7 = i32x4.splat(8);
  for (let i = 0; i < iterations; i++) {
    // Each chain feeds only itself: eight dot products in flight.
    x0 = i32x4.dot_i16x8_s(x0, c);
    x1 = i32x4.dot_i16x8_s(x1, c);
    x2 = i32x4.dot_i16x8_s(x2, c);
    x3 = i32x4.dot_i16x8_s(x3, c);
    x4 = i32x4.dot_i16x8_s(x4, c);
    x5 = i32x4.dot_i16x8_s(x5, c);
    x6 = i32x4.dot_i16x8_s(x6, c);
    x7 = i32x4.dot_i16x8_s(x7, c);
  }
  const sum = i32x4.add(i32x4.add(i32x4.add(x0, x1), i32x4.add(x2, x3)), i32x4.add(i32x4.add(x4, x5), i32x4.add(x6, x7)));
  return i32x4.extract_lane(sum, 0) + i32x4.extract_lane(sum, 3);
}

/**
 * The relaxed build's ceiling: i32x4.relaxed_dot_i8x16_i7x16_add_s alone (16 multiply-accumulates
 * each, accumulate included), in eight independent chains. 0 without relaxed SIMD (the simd build).
 */
export function peak_relaxed_dot_add(iterations: i32, seed: i32): i32 {
  if (!ASC_FEATURE_RELAXED_SIMD) return 0;
  const a = i8x16.splat(<i8>seed);
  const b = i8x16.splat(<i8>(seed & 63));
  let x0 = i32x4.splat(1), x1 = i32x4.splat(2), x2 = i32x4.splat(3), x3 = i32x4.splat(4);
  let x4 = i32x4.splat(5), x5 = i32x4.splat(6), x6 = i32x4.splat(7), x7 = i32x4.splat(8);
  for (let i = 0; i < iterations; i++) {
    x0 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, x0);
    x1 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, x1);
    x2 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, x2);
    x3 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, x3);
    x4 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, x4);
    x5 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, x5);
    x6 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, x6);
    x7 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, x7);
  }
  const sum = i32x4.add(i32x4.add(i32x4.add(x0, x1), i32x4.add(x2, x3)), i32x4.add(i32x4.add(x4, x5), i32x4.add(x6, x7)));
  return i32x4.extract_lane(sum, 0) + i32x4.extract_lane(sum, 3);
}

/**
 * The fp32 GEMM's ceiling: f32x4.mul then f32x4.add (plain SIMD has no fused multiply-add), one
 * multiply-accumulate per lane, in twelve independent chains so that the chains' latency does not
 * bound the throughput. Each call does iterations * 12 * 4 multiply-accumulates.
 */
export function peak_f32x4_mul_add(iterations: i32, seed: f32): f32 {
  const c = f32x4.splat(seed);
  const d = f32x4.splat(seed * 0.5);
  let x0 = f32x4.splat(1), x1 = f32x4.splat(2), x2 = f32x4.splat(3), x3 = f32x4.splat(4);
  let x4 = f32x4.splat(5), x5 = f32x4.splat(6), x6 = f32x4.splat(7), x7 = f32x4.splat(8);
  let x8 = f32x4.splat(9), x9 = f32x4.splat(10), x10 = f32x4.splat(11), x11 = f32x4.splat(12);
  for (let i = 0; i < iterations; i++) {
    x0 = f32x4.add(f32x4.mul(x0, c), d);
    x1 = f32x4.add(f32x4.mul(x1, c), d);
    x2 = f32x4.add(f32x4.mul(x2, c), d);
    x3 = f32x4.add(f32x4.mul(x3, c), d);
    x4 = f32x4.add(f32x4.mul(x4, c), d);
    x5 = f32x4.add(f32x4.mul(x5, c), d);
    x6 = f32x4.add(f32x4.mul(x6, c), d);
    x7 = f32x4.add(f32x4.mul(x7, c), d);
    x8 = f32x4.add(f32x4.mul(x8, c), d);
    x9 = f32x4.add(f32x4.mul(x9, c), d);
    x10 = f32x4.add(f32x4.mul(x10, c), d);
    x11 = f32x4.add(f32x4.mul(x11, c), d);
  }
  const sum = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(x0, x1), f32x4.add(x2, x3)), f32x4.add(f32x4.add(x4, x5), f32x4.add(x6, x7))),
    f32x4.add(f32x4.add(x8, x9), f32x4.add(x10, x11)),
  );
  return f32x4.extract_lane(sum, 0) + f32x4.extract_lane(sum, 3);
}
