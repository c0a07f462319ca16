// The model and data the browser test runs, shared by the bundle and the Node side of the test.
import type { OnnxGraphBuilder as Builder, attr as Attr } from "../../src/index.js";

export function tinyInput(batch: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: batch * 64 }, () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return (state >>> 8) / 2 ** 24;
  });
}

function weights(count: number, seed: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.sin(seed * 31 + i * 7.3) * 0.5);
}

/** Conv(1->4, 3x3) + ReLU + MaxPool + Flatten + Gemm(36->5). */
export function tinyCnn(OnnxGraphBuilder: typeof Builder, attr: typeof Attr): Uint8Array {
  return new OnnxGraphBuilder("tiny", 13)
    .input("x", "float32", ["N", 1, 8, 8])
    .output("y", "float32", ["N", 5])
    .initializer("w", { type: "float32", dims: [4, 1, 3, 3], data: weights(36, 1) })
    .initializer("b", { type: "float32", dims: [4], data: weights(4, 2) })
    .initializer("fw", { type: "float32", dims: [5, 36], data: weights(180, 3) })
    .node("Conv", ["x", "w", "b"], ["c"], {}, { name: "conv" })
    .node("Relu", ["c"], ["r"], {}, { name: "relu" })
    .node("MaxPool", ["r"], ["p"], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) }, { name: "pool" })
    .node("Flatten", ["p"], ["f"], {}, { name: "flatten" })
    .node("Gemm", ["f", "fw"], ["y"], { transB: attr.int(1) }, { name: "fc" })
    .toBytes();
}
