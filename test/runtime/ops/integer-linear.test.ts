// MatMulInteger / ConvInteger zero points that ONNX Runtime's CPU kernels reject but the ONNX
// specification allows (per row of A, per output channel of w): checked against plain loops.
import { describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import { OnnxGraphBuilder, attr } from "../../../src/onnx/builder.js";
import { InferenceSession } from "../../../src/runtime/session.js";
import { Tensor } from "../../../src/runtime/tensor.js";

const codes = (length: number) => fc.array(fc.integer({ min: -128, max: 127 }), { minLength: length, maxLength: length });

/** Float feeds that QuantizeLinear(scale 1, zero point 0) turns into exactly these int8 codes. */
function feedsOf(values: number[], dims: number[]): Tensor<"float32"> {
  return new Tensor("float32", Float32Array.from(values), dims);
}

function quantizeInput(b: OnnxGraphBuilder, name: string, dims: number[]): OnnxGraphBuilder {
  return b.input(name, "float32", dims)
    .initializer(`${name}_s`, { type: "float32", dims: [], data: [1] })
    .initializer(`${name}_z`, { type: "int8", dims: [], data: [0] })
    .node("QuantizeLinear", [name, `${name}_s`, `${name}_z`], [`${name}_q`]);
}

describe("MatMulInteger with one zero point per row of A", () => {
  const [M, K, N] = [3, 5, 2];
  test.prop([codes(M * K), codes(K * N), codes(M), codes(N)], { numRuns: 30 })("equals the definition", async (a, w, za, zb) => {
    const model = quantizeInput(new OnnxGraphBuilder("m", 13), "a", [M, K]).output("y", "int32", undefined)
      .initializer("w", { type: "int8", dims: [K, N], data: w })
      .initializer("za", { type: "int8", dims: [M], data: za })
      .initializer("zb", { type: "int8", dims: [N], data: zb })
      .node("MatMulInteger", ["a_q", "w", "za", "zb"], ["y"]).toBytes();
    const session = await InferenceSession.create(model, { numThreads: 1 });
    const y = session.runSync({ a: feedsOf(a, [M, K]) }).y;
    expect(y.type).toBe("int32");
    const expected = Array.from({ length: M * N }, (_, i) => {
      const [m, n] = [Math.floor(i / N), i % N];
      let acc = 0;
      for (let k = 0; k < K; k++) acc += (a[m * K + k] - za[m]) * (w[k * N + n] - zb[n]);
      return acc;
    });
    expect(Array.from(y.data as Int32Array)).toEqual(expected);
  });
});

describe("ConvInteger with one weight zero point per output channel", () => {
  const [C, H, W, M] = [2, 4, 3, 3];
  test.prop([codes(C * H * W), codes(M * C * 4), codes(M), fc.integer({ min: -128, max: 127 })], { numRuns: 30 })("equals the definition (2x2 kernel, padding 1)", async (x, w, zw, zx) => {
    const model = quantizeInput(new OnnxGraphBuilder("c", 13), "x", [1, C, H, W]).output("y", "int32", undefined)
      .initializer("w", { type: "int8", dims: [M, C, 2, 2], data: w })
      .initializer("zx", { type: "int8", dims: [], data: [zx] })
      .initializer("zw", { type: "int8", dims: [M], data: zw })
      .node("ConvInteger", ["x_q", "w", "zx", "zw"], ["y"], { pads: attr.ints([1, 1, 1, 1]), kernel_shape: attr.ints([2, 2]) }).toBytes();
    const session = await InferenceSession.create(model, { numThreads: 1 });
    const y = session.runSync({ x: feedsOf(x, [1, C, H, W]) }).y;
    const [outH, outW] = [H + 1, W + 1];
    expect(y.dims).toEqual([1, M, outH, outW]);
    const expected: number[] = [];
    for (let m = 0; m < M; m++) {
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          let acc = 0;
          for (let c = 0; c < C; c++) {
            for (let ky = 0; ky < 2; ky++) {
              for (let kx = 0; kx < 2; kx++) {
                const [iy, ix] = [oy - 1 + ky, ox - 1 + kx];
                // Padding holds the zero point: a zero term.
                const xv = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[(c * H + iy) * W + ix] : zx;
                acc += (xv - zx) * (w[((m * C + c) * 2 + ky) * 2 + kx] - zw[m]);
              }
            }
          }
          expected.push(acc);
        }
      }
    }
    expect(Array.from(y.data as Int32Array)).toEqual(expected);
  });
});
