import { readFileSync } from "node:fs";
import { InferenceSession } from "../src/runtime/session.ts";
import { Tensor } from "../src/runtime/tensor.ts";
import { quantizeStatic } from "../src/quantize/quantize-static.ts";
const bytes = new Uint8Array(readFileSync("/work/wt/simplenet-smoke.onnx"));
const x = new Tensor("float32", Float32Array.from({ length: 100 * 784 }, (_, i) => (i % 255) / 255), [100, 1, 28, 28]);
const q = (await quantizeStatic(bytes, [{ input: x }])).toBytes();
for (const m of [bytes, q]) {
  const s = await InferenceSession.create(m);
  for (let i = 0; i < 20; i++) s.runSync({ input: x });
  const t = performance.now();
  for (let i = 0; i < 50; i++) s.runSync({ input: x });
  console.log(((performance.now() - t) / 50).toFixed(2), "ms per 100 images");
  const plan = (s as any).plan;
  for (const st of plan.steps) { const t0 = performance.now(); for (let i = 0; i < 20; i++) st.run(); console.log("  ", st.step.node.opType, st.op.kernel, ((performance.now() - t0) / 20).toFixed(3)); }
}
import { onnx } from "../src/onnx/proto.ts";
const m = onnx.ModelProto.decode(q);
const g = m.graph!;
console.log("value_info", g.valueInfo?.length, "nodes", g.node?.length, "inits", g.initializer?.length);
for (const t of g.initializer!) console.log(t.name, t.dataType, t.dims?.join("x"), t.rawData?.length, t.floatData?.length, t.int32Data?.length);
console.log(onnx.GraphProto.encode({ ...g, initializer: [] } as any).finish().length);
console.log("ratio", q.length, bytes.length, (q.length / bytes.length).toFixed(4));
console.log(JSON.stringify(onnx.ModelProto.toObject(onnx.ModelProto.decode(q), { bytes: String }), (k, v) => (k === "rawData" ? undefined : v)).slice(0, 3000));
