import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { InferenceSession } from "../src/runtime/session.ts";
import { Tensor } from "../src/runtime/tensor.ts";
import { quantizeStatic } from "../src/quantize/quantize-static.ts";
const bytes = new Uint8Array(readFileSync("/work/wt/simplenet-smoke.onnx"));
const images = gunzipSync(readFileSync("/work/shared/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")).subarray(16);
const labels = gunzipSync(readFileSync("/work/shared/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")).subarray(8);
const batch = (s: number, n: number) => new Tensor("float32", Float32Array.from(images.subarray(s * 784, (s + n) * 784), (v) => v / 255), [n, 1, 28, 28]);
const calib = [0, 1, 2, 3].map((i) => ({ input: batch(5000 + i * 64, 64) }));
const q = await quantizeStatic(bytes, calib, { calibrateMethod: "minmax" });
const qb = q.toBytes();

for (const [name, model] of [["fp32", bytes], ["int8", qb]] as const) {
  const s = await InferenceSession.create(model);
  if (name === "int8") console.log(s.summary().toString());
  let correct = 0;
  const t = performance.now();
  for (let st = 0; st < 10000; st += 100) {
    const out = s.runSync({ input: batch(st, 100) }).logits.data as Float32Array;
    for (let i = 0; i < 100; i++) { let b = 0; for (let k = 1; k < 10; k++) if (out[i * 10 + k] > out[i * 10 + b]) b = k; if (b === labels[st + i]) correct++; }
  }
  console.log(name, correct / 100, "%", (performance.now() - t).toFixed(0), "ms");
}
