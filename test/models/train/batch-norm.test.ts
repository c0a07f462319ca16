import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { batchNormTraining } from "../../../models/train/batch-norm.js";
import { Random } from "../../../models/train/random.js";

describe("batchNormTraining", () => {
  it("matches autodiff through moments() in value, gradients and batch statistics", async () => {
    await tf.setBackend("cpu");
    const random = new Random(7);
    const values = (n: number, scale = 1, offset = 0) => Float32Array.from({ length: n }, () => random.normal() * scale + offset);
    const shape: [number, number, number, number] = [5, 6, 7, 4];
    const x = tf.tensor4d(values(5 * 6 * 7 * 4, 3, 2), shape);
    const gamma = tf.tensor1d(values(4));
    const beta = tf.tensor1d(values(4));
    const u = tf.tensor4d(values(5 * 6 * 7 * 4), shape);
    const reference = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, [0, 1, 2]);
      return tf.add(tf.mul(tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
    };
    const statistics: number[][] = [];
    const handWritten = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      batchNormTraining(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, (mean, variance) => {
        statistics.push([...mean.dataSync(), ...variance.dataSync()]);
      });
    const outputs = [reference, handWritten].map((f) => [
      f(x, gamma, beta),
      ...tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b), u)))([x, gamma, beta]),
    ]);
    outputs[0].forEach((expected, i) => {
      const e = expected.dataSync();
      const a = outputs[1][i].dataSync();
      const scale = Math.max(...e.map(Math.abs));
      e.forEach((v, j) => expect(Math.abs(a[j] - v) / scale).toBeLessThan(1e-5));
    });
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    expect(statistics[0]).toEqual([...mean.dataSync(), ...variance.dataSync()]);
  });
});
