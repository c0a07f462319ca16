// The architectures on tfjs tensors (NHWC activations, HWIO conv filters, dense weights [in, out]).
// Parameters are created on first use with He-normal weights from a seeded generator.
import * as tf from "@tensorflow/tfjs";
import type { Architecture, ConvSpec, DenseSpec, Layers } from "./architectures.js";
import { batchNormTraining } from "./batch-norm.js";
import { conv2d } from "./conv2d.js";
import { Random } from "./random.js";

export const BATCH_NORM_EPSILON = 1e-5;
/** Weight of the new batch statistics in the running mean and variance (PyTorch's 0.1). */
const BATCH_NORM_MOMENTUM = 0.1;

/** A trained parameter in tfjs layout, as plain data (what the exporter reads). */
export interface WeightArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export class TfjsNetwork implements Layers<tf.Tensor> {
  /** Batch statistics and running-statistic updates in training mode; running statistics otherwise. */
  training = false;
  private readonly variables = new Map<string, tf.Variable>();
  /** The batch being run: no layer upstream of it learns, so its gradient is never needed. */
  private images: tf.Tensor | undefined;
  private readonly random: Random;

  constructor(
    private readonly architecture: Architecture,
    seed: number,
  ) {
    this.random = new Random(seed);
  }

  /** Logits [N, 10] for images NHWC [N, 28, 28, 1]. */
  forward(images: tf.Tensor4D): tf.Tensor2D {
    this.images = images;
    try {
      return this.architecture<tf.Tensor>(this, images) as tf.Tensor2D;
    } finally {
      this.images = undefined;
    }
  }

  /** Creates every parameter (with one image) so that the optimizer sees them all from the start. */
  build(imageSize: number): void {
    tf.tidy(() => {
      this.forward(tf.zeros([1, imageSize, imageSize, 1]));
    });
  }

  trainableVariables(): tf.Variable[] {
    return [...this.variables.values()].filter((v) => v.trainable);
  }

  parameterCount(): number {
    return this.trainableVariables().reduce((sum, v) => sum + v.size, 0);
  }

  weights(): Map<string, WeightArray> {
    return new Map([...this.variables].map(([name, v]) => [name, { shape: v.shape, data: v.dataSync() as Float32Array }]));
  }

  conv(x: tf.Tensor, spec: ConvSpec): tf.Tensor {
    const { kernel, inChannels, outChannels } = spec;
    const w = this.parameter(`${spec.name}.weight`, [kernel, kernel, inChannels, outChannels], this.heNormal(kernel * kernel * inChannels));
    const y = conv2d(x as tf.Tensor4D, w as tf.Tensor4D, spec, x !== this.images);
    return spec.bias ? tf.add(y, this.parameter(`${spec.name}.bias`, [outChannels], zero)) : y;
  }

  batchNorm(x: tf.Tensor, name: string, channels: number): tf.Tensor {
    const gamma = this.parameter(`${name}.gamma`, [channels], () => 1) as tf.Tensor1D;
    const beta = this.parameter(`${name}.beta`, [channels], zero) as tf.Tensor1D;
    const runningMean = this.parameter(`${name}.mean`, [channels], zero, false);
    const runningVariance = this.parameter(`${name}.variance`, [channels], () => 1, false);
    if (this.training) {
      const m = BATCH_NORM_MOMENTUM;
      return batchNormTraining(x as tf.Tensor4D, gamma, beta, BATCH_NORM_EPSILON, (mean, variance) => {
        runningMean.assign(tf.add(tf.mul(runningMean, 1 - m), tf.mul(mean, m)));
        runningVariance.assign(tf.add(tf.mul(runningVariance, 1 - m), tf.mul(variance, m)));
      });
    }
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(runningVariance, BATCH_NORM_EPSILON)));
    return tf.add(tf.mul(x, scale), tf.sub(beta, tf.mul(runningMean, scale)));
  }

  relu(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }

  maxPool(x: tf.Tensor, size: number): tf.Tensor {
    return tf.maxPool(x as tf.Tensor4D, size, size, "valid");
  }

  /** NHWC rows come out in H, W, C order; the exporter permutes the next Gemm's weights to C, H, W. */
  flatten(x: tf.Tensor): tf.Tensor {
    return tf.reshape(x, [x.shape[0], -1]);
  }

  dense(x: tf.Tensor, spec: DenseSpec): tf.Tensor {
    const w = this.parameter(`${spec.name}.weight`, [spec.inFeatures, spec.outFeatures], this.heNormal(spec.inFeatures));
    const b = this.parameter(`${spec.name}.bias`, [spec.outFeatures], zero);
    return tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b);
  }

  add(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.add(a, b);
  }

  globalAveragePool(x: tf.Tensor): tf.Tensor {
    return tf.mean(x, [1, 2], true);
  }

  private parameter(name: string, shape: number[], init: () => number, trainable = true): tf.Variable {
    let v = this.variables.get(name);
    if (!v) {
      const size = shape.reduce((a, b) => a * b, 1);
      v = tf.variable(tf.tensor(Float32Array.from({ length: size }, init), shape), trainable);
      this.variables.set(name, v);
    }
    return v;
  }

  private heNormal(fanIn: number): () => number {
    const std = Math.sqrt(2 / fanIn);
    return () => this.random.normal() * std;
  }
}

function zero(): number {
  return 0;
}
