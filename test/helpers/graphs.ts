// Helpers for graph tests: deterministic random data, closeness checks, and reading a builder's model.
import { expect } from "vitest";
import type { OnnxGraphBuilder } from "../../src/onnx/builder.js";
import { readOnnxModel } from "../../src/onnx/reader.js";
import type { Graph, TensorData } from "../../src/graph/ir.js";

/** Deterministic floats in [-1, 1) (mulberry32). */
export function randomFloats(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  });
}

export function read(builder: OnnxGraphBuilder): Graph {
  return readOnnxModel(builder.toBytes());
}

/** |a - b| <= relative * max(1, max |b|) elementwise. */
export function expectClose(actual: TensorData, expected: TensorData, relative: number): void {
  expect(actual.length).toBe(expected.length);
  const a = Array.from(actual, Number);
  const b = Array.from(expected, Number);
  const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
  const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  expect(worst).toBeLessThanOrEqual(relative * scale);
}
