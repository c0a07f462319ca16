// The machine's WebAssembly SIMD ceiling for int8 GEMM: i32x4.dot_i16x8_s alone, on registers,
// in eight independent chains so that its latency does not bound its throughput.
// Each call does iterations * 8 dot instructions of 8 multiply-accumulates each.
// A GEMM also spends one i32x4.add per dot to accumulate (plain SIMD has no accumulating dot), so
// it cannot reach this figure: on V8/x64 here a register-only 2x4 tile of dot + add ran at about
// two thirds of it.

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
