// The hand-written convolution gradients, run on the wasm backend (where training uses them),
// against tfjs's own Conv2D gradients on the cpu backend.
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { conv2d } from "../../../models/train/conv2d.js";
import { useWasmBackend } from "../../../models/train/tfjs-wasm.js";
import { Random } from "../../../models/train/random.js";

type Case = { batch: number; size: number; inChannels: number; outChannels: number; kernel: number; stride: number; pad: number };

const CASES: Case[] = [
  { batch: 3, size: 28, inChannels: 1, outChannels: 4, kernel: 3, stride: 1, pad: 1 },
  { batch: 2, size: 14, inChannels: 5, outChannels: 6, kernel: 3, stride: 2, pad: 1 },
  { batch: 2, size: 14, inChannels: 5, outChannels: 6, kernel: 1, stride: 2, pad: 0 },
  { batch: 2, size: 9, inChannels: 3, outChannels: 5, kernel: 3, stride: 2, pad: 0 },
  { batch: 2, size: 7, inChannels: 4, outChannels: 6, kernel: 3, stride: 2, pad: 1 },
  { batch: 1, size: 27, inChannels: 3, outChannels: 4, kernel: 1, stride: 2, pad: 0 },
  { batch: 2, size: 8, inChannels: 2, outChannels: 3, kernel: 5, stride: 3, pad: 2 },
  { batch: 1, size: 6, inChannels: 2, outChannels: 2, kernel: 3, stride: 1, pad: 0 },
];

interface Result {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
}

/** y = conv(x, w) and the gradients of sum(y * u) for fixed random x, w, u. */
function run(c: Case, convolve: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D): Result {
  const random = new Random(c.size * 31 + c.kernel);
  const values = (n: number) => Float32Array.from({ length: n }, () => random.normal());
  return tf.tidy(() => {
    const x = tf.tensor4d(values(c.batch * c.size * c.size * c.inChannels), [c.batch, c.size, c.size, c.inChannels]);
    const w = tf.tensor4d(values(c.kernel * c.kernel * c.inChannels * c.outChannels), [c.kernel, c.kernel, c.inChannels, c.outChannels]);
    const y = convolve(x, w);
    const u = tf.tensor(values(y.size), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(convolve(a as tf.Tensor4D, b as tf.Tensor4D), u)))([x, w]);
    return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}

function expectClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(...expected.map(Math.abs));
  const worst = Math.max(...actual.map((v, i) => Math.abs(v - expected[i])));
  expect(worst / scale).toBeLessThan(1e-5);
}

describe("conv2d with hand-written gradients", () => {
  const expected: Result[] = [];
  beforeAll(async () => {
    await tf.setBackend("cpu");
    for (const c of CASES) expected.push(run(c, (x, w) => tf.conv2d(x, w, c.stride, [[0, 0], [c.pad, c.pad], [c.pad, c.pad], [0, 0]])));
    await useWasmBackend();
  });

  it.each(CASES.map((c, i) => [i, c] as const))("case %i %o matches tfjs Conv2D and its gradients", (i, c) => {
    const actual = run(c, (x, w) => conv2d(x, w, c));
    expectClose(actual.y, expected[i].y);
    expectClose(actual.dx, expected[i].dx);
    expectClose(actual.dw, expected[i].dw);
  });

  it("returns a zero input gradient when told nothing upstream learns", () => {
    const x = tf.ones([1, 5, 5, 1]) as tf.Tensor4D;
    const w = tf.ones([3, 3, 1, 2]) as tf.Tensor4D;
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, { stride: 1, pad: 0 }, false)))([x, w]);
    expect(Array.from(dx.dataSync())).toEqual(new Array(25).fill(0));
    expect(Array.from(dw.dataSync())).toEqual(new Array(18).fill(9));
  });
});
