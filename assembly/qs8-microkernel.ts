// The int8 GEMM micro-kernels shared by qs8_gemm and qs8_conv2d (not exported from the module).
//
// Operands. The left-hand rows are int8 activations widened to int16 ahead of time into a scratch
// of `rowBytes = 2 * kPadded` bytes per row (kPadded = K rounded up to 8, padding zero), so the
// inner loop reads 8 values with one plain load. Weights are widened to int16 at pack time too,
// packed per block of two output channels:
//
//   block = header (QS8_PAIR_HEADER bytes) | kPadded/8 groups of [8 weights of channel 0 | 8 of channel 1]
//
// so the loop reads them sequentially with plain loads. Padded weights are 0. (Widening them in the
// loop with v128.load8x8_s instead costs two shuffle-port instructions per 64 multiply-accumulates,
// and measured ~10% slower on x64: the int8 file is not the in-memory form here.)
// The header holds the channels' requantization constants (see requantizeAccumulators) as nine
// i32x4 vectors with lanes [c0, c1, c0, c1], matching the reduced 2x2 (rows x channels) quads.
// Blocks for f32 output (dynamic quantization) use only the first field: the weights' row sums.
//
// Each multiply-accumulate step is i32x4.dot_i16x8_s: four lanes each summing two products along
// K; a tile's accumulators are reduced across lanes once, after the K loop.
//
// Relaxed layout (build "relaxed" only; `relaxed` = 1). When a layer's weights fit a window of at
// most 7 bits, w + o in [0, 127] for one offset o, the rows stay int8 (a scratch of
// QS8_RELAXED_PREFIX bytes of per-row corrections -o * sum_k x[k], then `rowBytes = kPadded` bytes
// per row, kPadded = K rounded up to 16, padding zero) and the blocks hold the bytes w + o:
//
//   block = header (QS8_PAIR_HEADER bytes) | kPadded/16 groups of [16 bytes of channel 0 | 16 of channel 1]
//
// i32x4.relaxed_dot_i8x16_i7x16_add_s multiplies 16 int8 activations by 16 such bytes and adds the
// four-product sums to an accumulator: with the weights' top bit clear every engine computes the
// same exact sums, and engines with a dot-product instruction (x64 AVX-VNNI, arm64 SDOT) run it as
// one instruction of 16 multiply-accumulates, twice the work of i32x4.dot_i16x8_s.
// sum_k x * w = sum_k x * (w + o) - o * sum_k x. Full 8-bit weights keep the plain layout: split
// into two 7-bit planes they need two such dot products per 16 values, which measured no faster
// than the plain loop here (AVX-VNNI) and would be slower where the engine has no such instruction.
// Node 20 (V8 11.3) computes this instruction wrong; the load-time self-test keeps it on "simd".

/** Bytes of the per-pair constants at the head of each packed GEMM block: 9 fields of 16 bytes. */
export const QS8_PAIR_HEADER: usize = 144;
/** Byte distance between two fields of a requantization header (one i32x4 each). */
const PAIR_FIELD_STRIDE: usize = 16;
/** Rows of a qs8_gemm_4x2 tile. */
export const QS8_TILE_ROWS = 4;
/** Bytes before the int8 rows of the relaxed layout: one int32 correction per tile row. */
export const QS8_RELAXED_PREFIX: usize = 16;

/** The high 32-bit halves of the four i64 lanes of a and b. */
// @ts-ignore: decorator
@inline
function highHalves(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
}

/** 1.5 * 2^23: for |v| < 2^22, v + ROUNDING_MAGIC rounds v to an integer (ties to even, the default
 * rounding mode) held in the low mantissa bits, so bits(v + ROUNDING_MAGIC) - ROUNDING_MAGIC_BITS
 * is that integer: one f32 add instead of nearest and a saturating conversion. */
export const ROUNDING_MAGIC: f32 = 12582912.0;
const ROUNDING_MAGIC_BITS: i32 = 0x4b400000;

/**
 * Field 8 of requantizeAccumulators for right shift e: 1/2 - 2^-12 (- 2^-(e + 1) when e >= 1),
 * rounded down to f32 so that the fast path never accepts a lane it should not.
 */
export function tieThreshold(e: i32): f32 {
  const exact = 0.5 - 1.0 / 4096.0 - (e > 0 ? reinterpret<f64>(<i64>(1023 - e - 1) << 52) : 0.0);
  const rounded = <f32>exact;
  return <f64>rounded > exact ? reinterpret<f32>(reinterpret<i32>(rounded) - 1) : rounded;
}

/** requantizeAccumulators' `zeroPoint` operand for output zero point Z_y. */
// @ts-ignore: decorator
@inline
export function requantZeroPoint(outputZeroPoint: i32): v128 {
  return i32x4.splat(ROUNDING_MAGIC_BITS - outputZeroPoint);
}

/** requantizeAccumulators' `lowest`/`highest` operand for the bound q (qmin or qmax) and Z_y. */
// @ts-ignore: decorator
@inline
export function requantBound(q: i32, outputZeroPoint: i32): v128 {
  return f32x4.splat(<f32>(q - outputZeroPoint));
}

/**
 * clamp(multiplyByQuantizedMultiplier(x, M0, shift) + Z_y, qmin, qmax) on four lanes of
 * x = (acc + init) * 2^max(shift, 0) (wrapping), exactly as fixedpoint.ts computes it: the slow
 * path of requantizeAccumulators (operands and field numbers as there).
 */
// @ts-ignore: decorator
@inline
function requantizeExactly(x: v128, params: usize, stride: usize, zeroPoint: v128, lowest: v128, highest: v128): v128 {
  const m0 = v128.load(params + stride * 2);
  // saturatingRoundingDoublingHighMul = floor((x*M0 + 2^30) / 2^31) = high32(2*x*M0 + 2^31); M0 >= 0
  // keeps |x*M0| < 2^62, so nothing overflows and the saturating case cannot occur.
  const nudge = i64x2.splat(0x80000000);
  const productLow = i64x2.extmul_low_i32x4_s(x, m0);
  const productHigh = i64x2.extmul_high_i32x4_s(x, m0);
  const high = highHalves(
    i64x2.add(i64x2.add(productLow, productLow), nudge),
    i64x2.add(i64x2.add(productHigh, productHigh), nudge),
  );
  // roundingDivideByPOT(high, e) = floor(high / 2^e) + (remainder > threshold ? 1 : 0), with the
  // per-lane floor as high32(2 * high * 2^(31 - e)) (SIMD shifts take one count for all lanes).
  const pow = v128.load(params + stride * 3);
  const scaledLow = i64x2.extmul_low_i32x4_s(high, pow);
  const scaledHigh = i64x2.extmul_high_i32x4_s(high, pow);
  const shifted = highHalves(i64x2.add(scaledLow, scaledLow), i64x2.add(scaledHigh, scaledHigh));
  const floor = v128.bitselect(high, shifted, v128.load(params + stride * 4));
  const remainder = v128.and(high, v128.load(params + stride * 5));
  const threshold = i32x4.sub(v128.load(params + stride * 6), i32x4.shr_s(high, 31));
  const rounded = i32x4.sub(floor, i32x4.gt_s(remainder, threshold));
  const clamped = i32x4.min_s(i32x4.max_s(rounded, i32x4.trunc_sat_f32x4_s(lowest)), i32x4.trunc_sat_f32x4_s(highest));
  return i32x4.sub(clamped, i32x4.sub(zeroPoint, i32x4.splat(ROUNDING_MAGIC_BITS)));
}

/**
 * clamp(multiplyByQuantizedMultiplier(acc + init, M0, shift) + Z_y, qmin, qmax) on four lanes,
 * bit-exact with fixedpoint.ts (the register form of qs8_requantize). The per-lane constants are
 * precomputed at pack time and read as nine fields of four lanes, `stride` bytes apart, from `params`:
 *   0 init      accumulator start (bias - Z_x * sum of weights)
 *   1 leftPow   2^max(shift, 0)                   (the left shift, wrapping like int32)
 *   2 m0        M0 in [0, 2^31)
 *   3 pow       2^(31 - e) for e = max(-shift, 0) >= 1; unused when e = 0
 *   4 exact     -1 where e = 0 (no right shift), else 0
 *   5 mask      2^e - 1
 *   6 halfMask  mask >> 1
 *   7 scale     f32: M0 * 2^(-31 - e), rounded to f32
 *   8 tie       f32: 1/2 - margin rounded down, margin = 2^-12, plus 2^-(e + 1) when e >= 1
 * `zeroPoint`, `lowest` and `highest` come from requantZeroPoint(Z_y) and requantBound(qmin or qmax, Z_y).
 *
 * Fast path. With V = x * M0 / 2^(31 + e) (x = (acc + init) * 2^max(shift, 0)), the exact result is
 * RHAZ(h / 2^e), h = floor(V * 2^e + 1/2), and |h / 2^e - V| <= 2^-(e + 1) (for e = 0 the result is
 * h = floor(V + 1/2) itself). v = f32(x) * scale carries three f32 roundings, so |v - V| <=
 * 3 * 2^-24 * |V| < 2^-12 while |V| < 1024. Clamping v to [qmin - Z_y, qmax - Z_y] first changes
 * nothing: a clamped value is an integer bound, and the exact result clamps to the same bound.
 * Unless some lane's clamped v lies within `margin` of a half-integer (|v - round(v)| >= tie), V and
 * h / 2^e fall in the same interval (k - 1/2, k + 1/2) as v, so the result is k = round(v).
 * Otherwise (rarely, unless e is small) the four lanes take the exact path.
 */
// @ts-ignore: decorator
@inline
export function requantizeAccumulators(acc: v128, params: usize, stride: usize, zeroPoint: v128, lowest: v128, highest: v128): v128 {
  return requantizeStarted(i32x4.add(acc, v128.load(params)), params, stride, zeroPoint, lowest, highest, true);
}

/**
 * requantizeAccumulators on `started` = acc + init (a loop that starts its accumulators at field 0).
 * `leftShifts` false promises that no lane shifts left (field 1 all ones): the multiply is skipped.
 */
// @ts-ignore: decorator
@inline
export function requantizeStarted(
  started: v128, params: usize, stride: usize, zeroPoint: v128, lowest: v128, highest: v128, leftShifts: bool,
): v128 {
  const x = leftShifts ? i32x4.mul(started, v128.load(params + stride)) : started;
  const scaled = f32x4.mul(f32x4.convert_i32x4_s(x), v128.load(params + stride * 7));
  const v = f32x4.pmin(f32x4.pmax(scaled, lowest), highest);
  const shifted = f32x4.add(v, f32x4.splat(ROUNDING_MAGIC));
  const error = f32x4.abs(f32x4.sub(v, f32x4.sub(shifted, f32x4.splat(ROUNDING_MAGIC))));
  if (v128.any_true(f32x4.ge(error, v128.load(params + stride * 8)))) {
    return requantizeExactly(x, params, stride, zeroPoint, lowest, highest);
  }
  return i32x4.sub(shifted, zeroPoint);
}

/** [sum(a), sum(b), sum(c), sum(d)]: the lane sums of four accumulators. */
// @ts-ignore: decorator
@inline
function laneSums(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7));
  return i32x4.add(i32x4.shuffle(ab, cd, 0, 1, 4, 5), i32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

/** Narrows two i32x4 (values already within int8) into the low 8 bytes of a v128. */
// @ts-ignore: decorator
@inline
export function narrowToBytes(a: v128, b: v128): v128 {
  const halves = i16x8.narrow_i32x4_s(a, b);
  return i8x16.narrow_i16x8_s(halves, halves);
}

/** Widens `length` int8 values to int16 at `dst`, then zero-fills up to `paddedLength`. */
export function widenRow(src: usize, length: i32, dst: usize, paddedLength: i32): void {
  let k = 0;
  for (; k + 8 <= length; k += 8) {
    v128.store(dst + (<usize>k << 1), v128.load8x8_s(src + <usize>k));
  }
  for (; k < length; k++) store<i16>(dst + (<usize>k << 1), load<i8>(src + <usize>k));
  for (; k < paddedLength; k++) store<i16>(dst + (<usize>k << 1), 0);
}

/**
 * Copies `length` int8 values to `dst` and zero-fills up to `paddedLength` (a multiple of 16);
 * returns their sum.
 */
export function copyRow(src: usize, length: i32, dst: usize, paddedLength: i32): i32 {
  let sums = i32x4.splat(0);
  let k = 0;
  for (; k + 16 <= length; k += 16) {
    const x = v128.load(src + <usize>k);
    v128.store(dst + <usize>k, x);
    sums = i32x4.add(sums, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(x)));
  }
  let sum = i32x4.extract_lane(sums, 0) + i32x4.extract_lane(sums, 1) + i32x4.extract_lane(sums, 2) + i32x4.extract_lane(sums, 3);
  for (; k < length; k++) {
    const x = load<i8>(src + <usize>k);
    store<i8>(dst + <usize>k, x);
    sum += x;
  }
  memory.fill(dst + <usize>length, 0, <usize>(paddedLength - length));
  return sum;
}

/** Writes `length` int16 copies of `value` at `dst`. */
export function fillRow(dst: usize, length: i32, value: i32): void {
  const splat = i16x8.splat(<i16>value);
  let k = 0;
  for (; k + 8 <= length; k += 8) v128.store(dst + (<usize>k << 1), splat);
  for (; k < length; k++) store<i16>(dst + (<usize>k << 1), <i16>value);
}

/** [r2c0, r2c1, r3c0, r3c1] of the last dot4x2: the second result of the inlined tile loop. */
let bottomSums: v128 = i32x4.splat(0);

/**
 * Copies four widened rows (`rowBytes` apart at `rows`) to `tile` interleaved by 8 values: group j
 * of row r lands at tile + 64 * j + 16 * r. dot4x2 then reads one pointer with constant offsets:
 * four row bases plus an index cost V8 an address addition per load, which measured ~15% slower.
 */
export function interleaveTileRows(rows: usize, rowBytes: usize, tile: usize): void {
  const row1 = rows + rowBytes;
  const row2 = row1 + rowBytes;
  const row3 = row2 + rowBytes;
  let t = tile;
  for (let k: usize = 0; k < rowBytes; k += 16) {
    v128.store(t, v128.load(rows + k));
    v128.store(t, v128.load(row1 + k), 16);
    v128.store(t, v128.load(row2 + k), 32);
    v128.store(t, v128.load(row3 + k), 48);
    t += 64;
  }
}

/**
 * The K loop of a 4x2 tile: four widened rows interleaved at `tile` (interleaveTileRows, `rowBytes`
 * each) times one packed channel pair (weights from `weights`). Returns the lane sums
 * [r0c0, r0c1, r1c0, r1c1] and leaves [r2c0, r2c1, r3c0, r3c1] in bottomSums. The caller's
 * epilogue turns them into outputs.
 */
// @ts-ignore: decorator
@inline
function dot4x2(tile: usize, rowBytes: usize, weights: usize): v128 {
  const end = tile + (rowBytes << 2);
  let w = weights;
  let acc00 = i32x4.splat(0), acc01 = acc00, acc10 = acc00, acc11 = acc00;
  let acc20 = acc00, acc21 = acc00, acc30 = acc00, acc31 = acc00;
  for (let x = tile; x < end; x += 64) {
    const w0 = v128.load(w);
    const w1 = v128.load(w, 16);
    w += 32;
    const x0 = v128.load(x);
    acc00 = i32x4.add(acc00, i32x4.dot_i16x8_s(x0, w0));
    acc01 = i32x4.add(acc01, i32x4.dot_i16x8_s(x0, w1));
    const x1 = v128.load(x, 16);
    acc10 = i32x4.add(acc10, i32x4.dot_i16x8_s(x1, w0));
    acc11 = i32x4.add(acc11, i32x4.dot_i16x8_s(x1, w1));
    const x2 = v128.load(x, 32);
    acc20 = i32x4.add(acc20, i32x4.dot_i16x8_s(x2, w0));
    acc21 = i32x4.add(acc21, i32x4.dot_i16x8_s(x2, w1));
    const x3 = v128.load(x, 48);
    acc30 = i32x4.add(acc30, i32x4.dot_i16x8_s(x3, w0));
    acc31 = i32x4.add(acc31, i32x4.dot_i16x8_s(x3, w1));
  }
  bottomSums = laneSums(acc20, acc21, acc30, acc31);
  return laneSums(acc00, acc01, acc10, acc11);
}

/** The K loop of a 1x2 tile: lane sums [c0, c1, c0, c1] of one widened row times a channel pair. */
// @ts-ignore: decorator
@inline
function dot1x2(row: usize, rowBytes: usize, weights: usize): v128 {
  let w = weights;
  let acc0 = i32x4.splat(0), acc1 = acc0;
  for (let k: usize = 0; k < rowBytes; k += 16) {
    const x = v128.load(row + k);
    acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(x, v128.load(w)));
    acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(x, v128.load(w, 16)));
    w += 32;
  }
  return laneSums(acc0, acc1, acc0, acc1);
}

/** acc + the four-product sums of 16 int8 activations by 16 weight bytes in [0, 127]. */
// @ts-ignore: decorator
@inline
function relaxedDotAdd(x: v128, w: usize, acc: v128): v128 {
  return i32x4.relaxed_dot_i8x16_i7x16_add_s(x, v128.load(w), acc);
}

/**
 * dot4x2 on the relaxed layout: four int8 rows (`rowBytes` apart, their corrections in the
 * QS8_RELAXED_PREFIX bytes before `rows`) times one channel pair; same results and lane order.
 */
// @ts-ignore: decorator
@inline
function dot4x2Relaxed(rows: usize, rowBytes: usize, weights: usize): v128 {
  const row1 = rows + rowBytes;
  const row2 = row1 + rowBytes;
  const row3 = row2 + rowBytes;
  let w = weights;
  let acc00 = i32x4.splat(0), acc01 = acc00, acc10 = acc00, acc11 = acc00;
  let acc20 = acc00, acc21 = acc00, acc30 = acc00, acc31 = acc00;
  for (let k: usize = 0; k < rowBytes; k += 16) {
    const x0 = v128.load(rows + k);
    acc00 = relaxedDotAdd(x0, w, acc00);
    acc01 = relaxedDotAdd(x0, w + 16, acc01);
    const x1 = v128.load(row1 + k);
    acc10 = relaxedDotAdd(x1, w, acc10);
    acc11 = relaxedDotAdd(x1, w + 16, acc11);
    const x2 = v128.load(row2 + k);
    acc20 = relaxedDotAdd(x2, w, acc20);
    acc21 = relaxedDotAdd(x2, w + 16, acc21);
    const x3 = v128.load(row3 + k);
    acc30 = relaxedDotAdd(x3, w, acc30);
    acc31 = relaxedDotAdd(x3, w + 16, acc31);
    w += 32;
  }
  const corrections = v128.load(rows - QS8_RELAXED_PREFIX);
  bottomSums = i32x4.add(laneSums(acc20, acc21, acc30, acc31), i32x4.shuffle(corrections, corrections, 2, 2, 3, 3));
  return i32x4.add(laneSums(acc00, acc01, acc10, acc11), i32x4.shuffle(corrections, corrections, 0, 0, 1, 1));
}

/**
 * dot1x2 on the relaxed layout (the row's correction in the QS8_RELAXED_PREFIX bytes before it).
 * Even and odd groups of 16 go to separate accumulators, so that four independent chains of dot
 * products hide their latency (a version with two chains, each two dot products deep per group,
 * ran 1.6x slower in Chromium).
 */
// @ts-ignore: decorator
@inline
function dot1x2Relaxed(row: usize, rowBytes: usize, weights: usize): v128 {
  let w = weights;
  let even0 = i32x4.splat(0), even1 = even0, odd0 = even0, odd1 = even0;
  let k: usize = 0;
  for (; k + 32 <= rowBytes; k += 32) {
    const x = v128.load(row + k);
    const y = v128.load(row + k, 16);
    even0 = relaxedDotAdd(x, w, even0);
    even1 = relaxedDotAdd(x, w + 16, even1);
    odd0 = relaxedDotAdd(y, w + 32, odd0);
    odd1 = relaxedDotAdd(y, w + 48, odd1);
    w += 64;
  }
  if (k < rowBytes) {
    const x = v128.load(row + k);
    even0 = relaxedDotAdd(x, w, even0);
    even1 = relaxedDotAdd(x, w + 16, even1);
  }
  const channel0 = i32x4.add(even0, odd0);
  const channel1 = i32x4.add(even1, odd1);
  return i32x4.add(laneSums(channel0, channel1, channel0, channel1), v128.load32_splat(row - QS8_RELAXED_PREFIX));
}

/** The lane sums of a 4x2 tile in either layout (relaxed 0: widened rows; 1: int8 rows). */
// @ts-ignore: decorator
@inline
function tileSums4x2(rows: usize, rowBytes: usize, weights: usize, relaxed: i32): v128 {
  if (ASC_FEATURE_RELAXED_SIMD && relaxed) return dot4x2Relaxed(rows, rowBytes, weights);
  return dot4x2(rows + (rowBytes << 2), rowBytes, weights);
}

/** The lane sums of a 1x2 tile in either layout. */
// @ts-ignore: decorator
@inline
function tileSums1x2(row: usize, rowBytes: usize, weights: usize, relaxed: i32): v128 {
  if (ASC_FEATURE_RELAXED_SIMD && relaxed) return dot1x2Relaxed(row, rowBytes, weights);
  return dot1x2(row, rowBytes, weights);
}

/** Weight bytes of a block: 2 * rowBytes (int16 pairs of kPadded = rowBytes / 2 plain, bytes relaxed). */
// @ts-ignore: decorator
@inline
export function blockWeightBytes(rowBytes: usize): usize {
  return rowBytes << 1;
}

/**
 * Four rows by `channels` output channels: out[r * outStride + c] for r < 4, c < channels.
 * `rows` holds four rows of `rowBytes` bytes (widened, or int8 when relaxed), followed for
 * widened rows by room for four more (their interleaved copy); `blocks` points at
 * ceil(channels / 2) consecutive packed blocks of QS8_PAIR_HEADER + blockWeightBytes bytes.
 */
export function qs8_gemm_4x2(
  rows: usize, rowBytes: usize, blocks: usize, channels: i32, out: usize, outStride: usize,
  zeroPoint: i32, qmin: i32, qmax: i32, relaxed: i32,
): void {
  if (!relaxed) interleaveTileRows(rows, rowBytes, rows + (rowBytes << 2));
  tileOutputs4x2(rows, rowBytes, blocks, channels, out, outStride, zeroPoint, qmin, qmax, relaxed);
}

/**
 * qs8_gemm_4x2 on widened rows that a gather already wrote interleaved (as interleaveTileRows
 * lays them out) at rows + 4 * rowBytes; the four bytes rows before are not read.
 */
export function qs8_gemm_4x2_interleaved(
  rows: usize, rowBytes: usize, blocks: usize, channels: i32, out: usize, outStride: usize,
  zeroPoint: i32, qmin: i32, qmax: i32,
): void {
  tileOutputs4x2(rows, rowBytes, blocks, channels, out, outStride, zeroPoint, qmin, qmax, 0);
}

/** The channel loop of qs8_gemm_4x2 once the rows are in the layout's tile form. */
// @ts-ignore: decorator
@inline
function tileOutputs4x2(
  rows: usize, rowBytes: usize, blocks: usize, channels: i32, out: usize, outStride: usize,
  zeroPoint: i32, qmin: i32, qmax: i32, relaxed: i32,
): void {
  const zero = requantZeroPoint(zeroPoint);
  const lowest = requantBound(qmin, zeroPoint);
  const highest = requantBound(qmax, zeroPoint);
  const blockBytes = QS8_PAIR_HEADER + blockWeightBytes(rowBytes);
  let block = blocks;
  for (let c = 0; c < channels; c += 2) {
    const top = requantizeAccumulators(tileSums4x2(rows, rowBytes, block + QS8_PAIR_HEADER, relaxed), block, PAIR_FIELD_STRIDE, zero, lowest, highest);
    const bottom = requantizeAccumulators(bottomSums, block, PAIR_FIELD_STRIDE, zero, lowest, highest);
    const bytes = narrowToBytes(top, bottom);
    const o = out + <usize>c;
    if (c + 2 <= channels) {
      v128.store16_lane(o, bytes, 0);
      v128.store16_lane(o + outStride, bytes, 1);
      v128.store16_lane(o + outStride * 2, bytes, 2);
      v128.store16_lane(o + outStride * 3, bytes, 3);
    } else {
      v128.store8_lane(o, bytes, 0);
      v128.store8_lane(o + outStride, bytes, 2);
      v128.store8_lane(o + outStride * 2, bytes, 4);
      v128.store8_lane(o + outStride * 3, bytes, 6);
    }
    block += blockBytes;
  }
}

/** One row by `channels` output channels; operands as in qs8_gemm_4x2. */
export function qs8_gemm_1x2(
  row: usize, rowBytes: usize, blocks: usize, channels: i32, out: usize,
  zeroPoint: i32, qmin: i32, qmax: i32, relaxed: i32,
): void {
  const zero = requantZeroPoint(zeroPoint);
  const lowest = requantBound(qmin, zeroPoint);
  const highest = requantBound(qmax, zeroPoint);
  const blockBytes = QS8_PAIR_HEADER + blockWeightBytes(rowBytes);
  let block = blocks;
  for (let c = 0; c < channels; c += 2) {
    const y = requantizeAccumulators(tileSums1x2(row, rowBytes, block + QS8_PAIR_HEADER, relaxed), block, PAIR_FIELD_STRIDE, zero, lowest, highest);
    const bytes = narrowToBytes(y, y);
    const o = out + <usize>c;
    if (c + 2 <= channels) v128.store16_lane(o, bytes, 0);
    else v128.store8_lane(o, bytes, 0);
    block += blockBytes;
  }
}

/**
 * f32(acc) * scale[c] (+ bias[c]) for lanes [c0, c1, c0, c1] of two rows, acc = sums + init where
 * init = -Z_x * (row sum of the channel's weights), read from the block header's first field.
 * Lane order of `sums` as dot4x2/dot1x2 return them.
 */
// @ts-ignore: decorator
@inline
function dequantizeAccumulators(sums: v128, block: usize, negZeroPoint: v128, scale: v128, bias: v128, hasBias: bool): v128 {
  const acc = i32x4.add(sums, i32x4.mul(v128.load(block), negZeroPoint));
  const y = f32x4.mul(f32x4.convert_i32x4_s(acc), scale);
  return hasBias ? f32x4.add(y, bias) : y;
}

/** [v[c], v[c+1], v[c], v[c+1]] from an f32 array, or [v[c], v[c], ...] when c is the last channel. */
// @ts-ignore: decorator
@inline
function channelPair(values: usize, c: i32, channels: i32): v128 {
  const at = values + (<usize>c << 2);
  return c + 2 <= channels ? v128.load64_splat(at) : v128.load32_splat(at);
}

/**
 * Four rows by `channels` channels with f32 output: out[r * outStride + c] (f32 elements) =
 * f32(acc) * scales[c] (+ bias[c] unless bias == 0), acc = sum_k w[c, k] * (x[r, k] - Z_x).
 * Operands as in qs8_gemm_4x2; the blocks' first header field holds the weights' row sums.
 */
export function qs8_gemm_f32_4x2(
  rows: usize, rowBytes: usize, blocks: usize, channels: i32, out: usize, outStride: usize,
  inputZeroPoint: i32, scales: usize, bias: usize, relaxed: i32,
): void {
  const negZeroPoint = i32x4.splat(-inputZeroPoint);
  const hasBias = bias != 0;
  const blockBytes = QS8_PAIR_HEADER + blockWeightBytes(rowBytes);
  const stride = outStride << 2;
  if (!relaxed) interleaveTileRows(rows, rowBytes, rows + (rowBytes << 2));
  let block = blocks;
  for (let c = 0; c < channels; c += 2) {
    const scale = channelPair(scales, c, channels);
    const offset = hasBias ? channelPair(bias, c, channels) : scale;
    const top = dequantizeAccumulators(tileSums4x2(rows, rowBytes, block + QS8_PAIR_HEADER, relaxed), block, negZeroPoint, scale, offset, hasBias);
    const bottom = dequantizeAccumulators(bottomSums, block, negZeroPoint, scale, offset, hasBias);
    const o = out + (<usize>c << 2);
    if (c + 2 <= channels) {
      v128.store64_lane(o, top, 0);
      v128.store64_lane(o + stride, top, 1);
      v128.store64_lane(o + stride * 2, bottom, 0);
      v128.store64_lane(o + stride * 3, bottom, 1);
    } else {
      v128.store32_lane(o, top, 0);
      v128.store32_lane(o + stride, top, 2);
      v128.store32_lane(o + stride * 2, bottom, 0);
      v128.store32_lane(o + stride * 3, bottom, 2);
    }
    block += blockBytes;
  }
}

/** One row by `channels` channels with f32 output; operands as in qs8_gemm_f32_4x2. */
export function qs8_gemm_f32_1x2(
  row: usize, rowBytes: usize, blocks: usize, channels: i32, out: usize,
  inputZeroPoint: i32, scales: usize, bias: usize, relaxed: i32,
): void {
  const negZeroPoint = i32x4.splat(-inputZeroPoint);
  const hasBias = bias != 0;
  const blockBytes = QS8_PAIR_HEADER + blockWeightBytes(rowBytes);
  let block = blocks;
  for (let c = 0; c < channels; c += 2) {
    const scale = channelPair(scales, c, channels);
    const offset = hasBias ? channelPair(bias, c, channels) : scale;
    const y = dequantizeAccumulators(tileSums1x2(row, rowBytes, block + QS8_PAIR_HEADER, relaxed), block, negZeroPoint, scale, offset, hasBias);
    const o = out + (<usize>c << 2);
    if (c + 2 <= channels) v128.store64_lane(o, y, 0);
    else v128.store32_lane(o, y, 0);
    block += blockBytes;
  }
}
