// fp32 GEMM: y[m, n] = clamp(bias[n] + sum_k x[m, k] * w[n, k], clampMin, clampMax).
//
// Packed weights (built by the host at load time): ceil(N / 8) panels of 8 output channels; panel p
// holds, for k = 0..K-1, the 8 floats w[8p + j, k] (j = 0..7) contiguously, so the inner loop reads
// it front to back. Channels past N in the last panel are zero. The packed bias is zero-padded the
// same way to a multiple of 8.
//
// Micro-kernel: a tile of 4 rows x 8 channels held in 8 f32x4 accumulators. Each k step loads
// two weight vectors and broadcasts one x value per row: 16 mul/add pairs per 6 loads. A lone row
// (M = 1, a batch-1 Linear layer) gets a 1 x 8 tile that splits k four ways instead.

/** Output channels per packed panel (two f32x4 vectors); the host packer uses the same number. */
const NR: i32 = 8;
/** Rows per micro-kernel tile. */
const MR: i32 = 4;
/** Rows of x processed against every panel before moving on, sized so they stay in L2. */
const X_BLOCK_BYTES: i32 = 128 * 1024;

// @ts-ignore: decorator
@inline
function clamp(v: v128, lo: v128, hi: v128): v128 {
  return f32x4.min(f32x4.max(v, lo), hi);
}

/** Stores the first `count` (1..8) lanes of the pair (a, b). */
// @ts-ignore: decorator
@inline
function storeRow(ptr: usize, a: v128, b: v128, count: i32): void {
  if (count == 8) {
    v128.store(ptr, a);
    v128.store(ptr, b, 16);
    return;
  }
  let v = a;
  if (count >= 4) {
    v128.store(ptr, a);
    ptr += 16;
    count -= 4;
    v = b;
  }
  if (count >= 2) {
    v128.store64_lane(ptr, v, 0);
    if (count == 3) v128.store32_lane(ptr, v, 2, 8);
  } else if (count == 1) {
    v128.store32_lane(ptr, v, 0);
  }
}

/**
 * One tile: `rows` (1..4) rows of x starting at `x` (row stride `xStride` bytes) against one packed
 * panel `w`, writing `cols` (1..8) channels per row at `y` (row stride `yStride` bytes).
 * Missing rows re-read the last valid row, so the loop has no branches; their results are dropped.
 */
function tile4x8(
  x: usize, xStride: usize, rows: i32, K: i32, w: usize, bias: usize,
  y: usize, yStride: usize, cols: i32, lo: v128, hi: v128,
): void {
  // Loop-carried row pointers: the optimizer cannot sink the row selection into the loop.
  let x0 = x;
  let x1 = rows > 1 ? x0 + xStride : x0;
  let x2 = rows > 2 ? x1 + xStride : x1;
  let x3 = rows > 3 ? x2 + xStride : x2;
  let c00 = v128.load(bias);
  let c01 = v128.load(bias, 16);
  let c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
  let wp = w;
  const wEnd = w + (<usize>K << 5);
  while (wp < wEnd) {
    const w0 = v128.load(wp);
    const w1 = v128.load(wp, 16);
    wp += 32;
    const a0 = v128.load32_splat(x0);
    x0 += 4;
    c00 = f32x4.add(c00, f32x4.mul(a0, w0));
    c01 = f32x4.add(c01, f32x4.mul(a0, w1));
    const a1 = v128.load32_splat(x1);
    x1 += 4;
    c10 = f32x4.add(c10, f32x4.mul(a1, w0));
    c11 = f32x4.add(c11, f32x4.mul(a1, w1));
    const a2 = v128.load32_splat(x2);
    x2 += 4;
    c20 = f32x4.add(c20, f32x4.mul(a2, w0));
    c21 = f32x4.add(c21, f32x4.mul(a2, w1));
    const a3 = v128.load32_splat(x3);
    x3 += 4;
    c30 = f32x4.add(c30, f32x4.mul(a3, w0));
    c31 = f32x4.add(c31, f32x4.mul(a3, w1));
  }
  storeRow(y, clamp(c00, lo, hi), clamp(c01, lo, hi), cols);
  if (rows > 1) storeRow(y + yStride, clamp(c10, lo, hi), clamp(c11, lo, hi), cols);
  if (rows > 2) storeRow(y + 2 * yStride, clamp(c20, lo, hi), clamp(c21, lo, hi), cols);
  if (rows > 3) storeRow(y + 3 * yStride, clamp(c30, lo, hi), clamp(c31, lo, hi), cols);
}

/**
 * One row against one panel, for M = 1 and a last row left over by the 4-row tiles.
 * Four accumulator pairs split k by residue mod 4, so the adds do not wait on each other.
 */
function tile1x8(x: usize, K: i32, w: usize, bias: usize, y: usize, cols: i32, lo: v128, hi: v128): void {
  let a0 = v128.load(bias);
  let b0 = v128.load(bias, 16);
  let a1 = f32x4.splat(0), b1 = a1, a2 = a1, b2 = a1, a3 = a1, b3 = a1;
  let xp = x;
  let wp = w;
  const wEnd = w + (<usize>K << 5);
  const wEnd4 = w + (<usize>(K & ~3) << 5);
  while (wp < wEnd4) {
    const x0 = v128.load32_splat(xp);
    a0 = f32x4.add(a0, f32x4.mul(x0, v128.load(wp)));
    b0 = f32x4.add(b0, f32x4.mul(x0, v128.load(wp, 16)));
    const x1 = v128.load32_splat(xp, 4);
    a1 = f32x4.add(a1, f32x4.mul(x1, v128.load(wp, 32)));
    b1 = f32x4.add(b1, f32x4.mul(x1, v128.load(wp, 48)));
    const x2 = v128.load32_splat(xp, 8);
    a2 = f32x4.add(a2, f32x4.mul(x2, v128.load(wp, 64)));
    b2 = f32x4.add(b2, f32x4.mul(x2, v128.load(wp, 80)));
    const x3 = v128.load32_splat(xp, 12);
    a3 = f32x4.add(a3, f32x4.mul(x3, v128.load(wp, 96)));
    b3 = f32x4.add(b3, f32x4.mul(x3, v128.load(wp, 112)));
    xp += 16;
    wp += 128;
  }
  while (wp < wEnd) {
    const x0 = v128.load32_splat(xp);
    a0 = f32x4.add(a0, f32x4.mul(x0, v128.load(wp)));
    b0 = f32x4.add(b0, f32x4.mul(x0, v128.load(wp, 16)));
    xp += 4;
    wp += 32;
  }
  const a = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
  const b = f32x4.add(f32x4.add(b0, b1), f32x4.add(b2, b3));
  storeRow(y, clamp(a, lo, hi), clamp(b, lo, hi), cols);
}

/**
 * y = clamp(bias + x * w^T) over packed weights. `x` rows are `xStride` floats apart and `y` rows
 * `yStride` floats apart, so a convolution can run one group as a slice of the channels
 * (dense: xStride = K, yStride = N). M, N, K >= 1; `y` must not overlap `x` or the weights.
 */
export function f32_gemm(
  x: usize, xStride: i32, M: i32, K: i32,
  packed: usize, bias: usize, N: i32,
  y: usize, yStride: i32, clampMin: f32, clampMax: f32,
): void {
  const lo = f32x4.splat(clampMin);
  const hi = f32x4.splat(clampMax);
  const xRowBytes = <usize>xStride << 2;
  const yRowBytes = <usize>yStride << 2;
  const panelBytes = <usize>K << 5;
  const panels = (N + NR - 1) / NR;
  // Each block of rows meets every panel while it is still in cache; a panel (K x 8) stays in L1
  // across the block.
  let blockRows = X_BLOCK_BYTES / (K << 2);
  blockRows = blockRows < MR ? MR : blockRows - blockRows % MR;
  for (let m0 = 0; m0 < M; m0 += blockRows) {
    const mEnd = m0 + blockRows < M ? m0 + blockRows : M;
    for (let p = 0; p < panels; p++) {
      const n0 = p * NR;
      const cols = N - n0 < NR ? N - n0 : NR;
      const w = packed + <usize>p * panelBytes;
      const b = bias + (<usize>n0 << 2);
      for (let m = m0; m < mEnd; m += MR) {
        const rows = mEnd - m < MR ? mEnd - m : MR;
        const xRow = x + <usize>m * xRowBytes;
        const yRow = y + <usize>m * yRowBytes + (<usize>n0 << 2);
        if (rows == 1) tile1x8(xRow, K, w, b, yRow, cols, lo, hi);
        else tile4x8(xRow, xRowBytes, rows, K, w, b, yRow, yRowBytes, cols, lo, hi);
      }
    }
  }
}
