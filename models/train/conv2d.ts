// 2-D convolution (NHWC input, HWIO filter, symmetric zero padding) with hand-written gradients.
// The tfjs wasm backend has no Conv2DBackpropFilter kernel, and its Conv2DBackpropInput is a
// plain loop 5-10x slower than its XNNPACK Conv2D, so both gradients are expressed as Conv2D:
//
//   dx = conv2d(dy with s-1 zeros inserted after each pixel, w rotated 180 degrees with Ci and Co
//        swapped, padding K-1-p before and whatever makes the output H x W after)
//   dw[kh,kw,ci,co] = sum_{b,oh,ow} x[b, s*oh+kh-p, s*ow+kw-p, ci] * dy[b,oh,ow,co]
//        = conv2d(x as [Ci, H, W, B], dy as the filter [OH, OW, B, Co] dilated by s, padding p),
//        which gives [Ci, KH', KW', Co] (KH' >= KH when s does not divide the span), cut to KH x KW
//        and put back in HWIO order.
import * as tf from "@tensorflow/tfjs";

export interface Conv2dGeometry {
  readonly stride: number;
  /** Zero padding on every side. */
  readonly pad: number;
}

type Padding4 = [[number, number], [number, number], [number, number], [number, number]];

/**
 * `needsInputGradient: false` (the first layer: nothing upstream learns) returns zeros for dx
 * instead of computing it.
 */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, { stride, pad }: Conv2dGeometry, needsInputGradient = true): tf.Tensor4D {
  const padding: Padding4 = [[0, 0], [pad, pad], [pad, pad], [0, 0]];
  const convolve = tf.customGrad((input, filter, save) => {
    const xs = input as tf.Tensor4D;
    const ws = filter as tf.Tensor4D;
    (save as tf.GradSaveFunc)([xs, ws]);
    return {
      value: tf.conv2d(xs, ws, stride, padding),
      gradFunc: (dy, saved) => {
        const [xSaved, wSaved] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dy4 = dy as tf.Tensor4D;
        const dx = needsInputGradient ? inputGradient(dy4, wSaved, xSaved.shape, stride, pad) : tf.zerosLike(xSaved);
        return [dx, filterGradient(xSaved, dy4, wSaved.shape, stride, padding)];
      },
    };
  });
  return convolve(x, w) as tf.Tensor4D;
}

function inputGradient(dy: tf.Tensor4D, w: tf.Tensor4D, xShape: [number, number, number, number], stride: number, pad: number): tf.Tensor4D {
  const [, h, width] = xShape;
  const [kh, kw] = w.shape;
  return tf.tidy(() => {
    const rotated = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    let spread = insertZeros(dy, stride);
    let [, sh, sw] = spread.shape;
    // The zeros spread after the last pixel stand in for part of the trailing padding (a Slice
    // costs as much as the convolution on wasm); cut them only when they are too many.
    if (sh > h + pad || sw > width + pad) {
      [sh, sw] = [Math.min(sh, h + pad), Math.min(sw, width + pad)];
      spread = tf.slice(spread, [0, 0, 0, 0], [spread.shape[0], sh, sw, spread.shape[3]]);
    }
    const padding: Padding4 = [[0, 0], [kh - 1 - pad, h + pad - sh], [kw - 1 - pad, width + pad - sw], [0, 0]];
    return tf.conv2d(spread, rotated, 1, padding);
  });
}

/** [B, OH, OW, C] -> [B, OH*s, OW*s, C]: each pixel followed by s-1 zeros along both axes. */
function insertZeros(dy: tf.Tensor4D, stride: number): tf.Tensor4D {
  if (stride === 1) return dy;
  const [b, oh, ow, c] = dy.shape;
  const spaced = tf.pad(tf.reshape(dy, [b, oh, 1, ow, 1, c]), [[0, 0], [0, 0], [0, stride - 1], [0, 0], [0, stride - 1], [0, 0]]);
  return tf.reshape(spaced, [b, oh * stride, ow * stride, c]) as tf.Tensor4D;
}

function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], stride: number, padding: Padding4): tf.Tensor4D {
  const [kh, kw, ci, co] = filterShape;
  return tf.tidy(() => {
    const xT = tf.transpose(x, [3, 1, 2, 0]); // [Ci, H, W, B]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]); // [OH, OW, B, Co]
    const full = tf.conv2d(xT, dyT, 1, padding, "NHWC", stride); // [Ci, KH', KW', Co]
    const cut = full.shape[1] === kh && full.shape[2] === kw ? full : tf.slice(full, [0, 0, 0, 0], [ci, kh, kw, co]);
    return tf.transpose(cut, [1, 2, 0, 3]); // [KH, KW, Ci, Co]
  });
}
