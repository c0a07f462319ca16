// Batch normalisation in training mode (statistics of the batch, per channel over N, H, W) with
// its gradient written out: autodiff through moments() records about twice as many full-size
// elementwise operations, and on the wasm backend these cost as much as the convolutions.
//   y = x * a + (beta - mean * a),  a = gamma / sqrt(var + eps)
//   dbeta = sum(dy),  dgamma = (sum(dy * x) - mean * dbeta) / sqrt(var + eps)
//   dx = dy * a + x * b + c,  b = -a * dgamma / (sqrt(var + eps) * M),  c = -a * dbeta / M - b * mean
// with M = N * H * W values per channel.
import * as tf from "@tensorflow/tfjs";

export type BatchStatisticsSink = (mean: tf.Tensor1D, variance: tf.Tensor1D) => void;

/** NHWC `x`; `onStatistics` receives the batch mean and (biased) variance, e.g. for running averages. */
export function batchNormTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  onStatistics: BatchStatisticsSink,
): tf.Tensor4D {
  const normalize = tf.customGrad((input, scale, offset, save) => {
    const xs = input as tf.Tensor4D;
    const { mean, variance } = tf.moments(xs, [0, 1, 2]) as { mean: tf.Tensor1D; variance: tf.Tensor1D };
    onStatistics(mean, variance);
    const inv = tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D;
    const a = tf.mul(scale as tf.Tensor1D, inv);
    (save as tf.GradSaveFunc)([xs, scale as tf.Tensor1D, mean, inv]);
    return {
      value: tf.add(tf.mul(xs, a), tf.sub(offset as tf.Tensor1D, tf.mul(mean, a))) as tf.Tensor4D,
      gradFunc: (dy, saved) => {
        const [xSaved, g, m, invStd] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const count = xSaved.size / g.size;
        const axes = [0, 1, 2];
        const dBeta = tf.sum(dy, axes);
        const dGamma = tf.mul(tf.sub(tf.sum(tf.mul(dy, xSaved), axes), tf.mul(m, dBeta)), invStd);
        const aGrad = tf.mul(g, invStd);
        const b = tf.div(tf.mul(tf.neg(aGrad), tf.mul(dGamma, invStd)), count);
        const c = tf.sub(tf.div(tf.mul(tf.neg(aGrad), dBeta), count), tf.mul(b, m));
        const dx = tf.add(tf.add(tf.mul(dy, aGrad), tf.mul(xSaved, b)), c);
        return [dx, dGamma, dBeta];
      },
    };
  });
  return normalize(x, gamma, beta) as tf.Tensor4D;
}
