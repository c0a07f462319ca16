// Seeded samples for calibration tests: deterministic, so hand-checked expectations stay put.

/** Uniform in (0, 1), from a 32-bit linear congruential generator. */
export function uniformStream(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
}

export function uniformBatch(next: () => number, length: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length }, () => lo + (hi - lo) * next());
}

/** Laplace(0, scale) by inverting its CDF. */
export function laplaceBatch(next: () => number, length: number, scale = 1): Float32Array {
  return Float32Array.from({ length }, () => {
    const u = next() - 0.5;
    return -scale * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
  });
}

/** Laplace(0, 1) whose samples are stretched 50x with probability 1/1000: a long, sparse tail. */
export function longTailedBatch(next: () => number, length: number): Float32Array {
  const bulk = laplaceBatch(next, length);
  return bulk.map((x) => (next() < 0.001 ? 50 * x : x));
}
