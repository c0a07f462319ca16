// Plain scalar reference of the NCHW <-> NHWC conversions, the oracle of the layout kernels.
import { dequantizeValue, quantizeValue } from "./quantize.js";

export interface ImageDims {
  readonly batch: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

function nchwIndex(d: ImageDims, n: number, c: number, p: number): number {
  return (n * d.channels + c) * d.height * d.width + p;
}

function nhwcIndex(d: ImageDims, n: number, c: number, p: number): number {
  return (n * d.height * d.width + p) * d.channels + c;
}

/** Calls visit(nchw, nhwc) with the two positions of every element. */
function forEachElement(d: ImageDims, visit: (nchw: number, nhwc: number) => void): void {
  for (let n = 0; n < d.batch; n++) {
    for (let c = 0; c < d.channels; c++) {
      for (let p = 0; p < d.height * d.width; p++) visit(nchwIndex(d, n, c, p), nhwcIndex(d, n, c, p));
    }
  }
}

/** The same elements as `x`, bit for bit: float32 data move as their bit patterns, so NaN payloads survive. */
function bitsOf(x: Float32Array | Int8Array): Int32Array | Int8Array {
  return x instanceof Float32Array ? new Int32Array(x.buffer, x.byteOffset, x.length) : x;
}

export function referenceNchwToNhwc<T extends Float32Array | Int8Array>(x: T, d: ImageDims): T {
  const out = x.slice() as T;
  const [from, to] = [bitsOf(x), bitsOf(out)];
  forEachElement(d, (nchw, nhwc) => {
    to[nhwc] = from[nchw];
  });
  return out;
}

export function referenceNhwcToNchw<T extends Float32Array | Int8Array>(x: T, d: ImageDims): T {
  const out = x.slice() as T;
  const [from, to] = [bitsOf(x), bitsOf(out)];
  forEachElement(d, (nchw, nhwc) => {
    to[nchw] = from[nhwc];
  });
  return out;
}

export function referenceQuantizeNchwToNhwc(
  x: Float32Array, d: ImageDims, scale: number, zeroPoint: number, qmin = -128, qmax = 127,
): Int8Array {
  const out = new Int8Array(x.length);
  forEachElement(d, (nchw, nhwc) => {
    out[nhwc] = quantizeValue(x[nchw], scale, zeroPoint, qmin, qmax);
  });
  return out;
}

export function referenceDequantizeNhwcToNchw(q: Int8Array, d: ImageDims, scale: number, zeroPoint: number): Float32Array {
  const out = new Float32Array(q.length);
  forEachElement(d, (nchw, nhwc) => {
    out[nchw] = dequantizeValue(q[nhwc], scale, zeroPoint);
  });
  return out;
}
