import { describe, expect, beforeAll } from "vitest";
import { test, fc } from "@fast-check/vitest";
import type { WasmArena, WasmBuffer } from "../../src/kernels/arena.js";
import type { KernelInstance } from "../../src/kernels/module.js";
import {
  f32DequantizeNhwcToNchw, f32NchwToNhwc, f32NhwcToNchw, qs8NchwToNhwc, qs8NhwcToNchw, qs8QuantizeNchwToNhwc,
  type ImageShape,
} from "../../src/kernels/layout.js";
import {
  referenceDequantizeNhwcToNchw, referenceNchwToNhwc, referenceNhwcToNchw, referenceQuantizeNchwToNhwc,
} from "../../src/reference/layout.js";
import { QuantizationError, ShapeError } from "../../src/errors.js";
import { freshArena, int32Stream } from "../helpers/wasm.js";
import { bitMismatches, int8Data, mismatches, int8Range, scale, scratch, zeroPoint } from "./helpers.js";

let arena: WasmArena;
beforeAll(async () => {
  arena = await freshArena();
});

/** Image shapes around the kernels' tiles (4 and 16), channels 1 and 3 often. */
const shapes: fc.Arbitrary<ImageShape> = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  channels: fc.oneof(fc.constantFrom(1, 3, 4, 16), fc.integer({ min: 1, max: 40 })),
  height: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 9 })),
  width: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 21 })),
});

const EXPLICIT: ImageShape[] = [
  { batch: 1, channels: 1, height: 1, width: 1 },
  { batch: 1, channels: 3, height: 224 / 8, width: 224 / 8 },
  { batch: 2, channels: 1, height: 5, width: 7 },
  { batch: 1, channels: 16, height: 4, width: 4 },
  { batch: 1, channels: 17, height: 1, width: 33 },
  { batch: 3, channels: 5, height: 3, width: 1 },
  { batch: 1, channels: 1000, height: 1, width: 1 },
];

const elements = (s: ImageShape) => s.batch * s.channels * s.height * s.width;

/** float32 data from random bit patterns: NaN payloads, infinities, subnormals and signed zeros included. */
function f32Data(length: number, seed: number): Float32Array {
  const next = int32Stream(seed);
  const out = new Float32Array(length);
  new Int32Array(out.buffer).forEach((_, i, words) => {
    words[i] = next();
  });
  return out;
}

type Runner = (kernels: KernelInstance, x: WasmBuffer, shape: ImageShape, out: WasmBuffer) => void;

/** Copies `data` into kernel memory, runs the kernel and returns a copy of its output. */
function run<I extends Float32Array | Int8Array, O extends Float32Array | Int8Array>(
  data: I, shape: ImageShape, outType: "float32" | "int8", kernel: Runner,
): O {
  return scratch(arena, () => {
    const x = data instanceof Float32Array ? arena.from("float32", data) : arena.from("int8", data);
    const out = outType === "float32" ? arena.alloc("float32", data.length) : arena.alloc("int8", data.length);
    kernel(arena.kernels, x, shape, out);
    const unchanged = x.type === "float32" ? bitMismatches(arena.view(x), data as Float32Array) : mismatches(arena.view(x), data as Int8Array);
    expect(unchanged).toEqual([]);
    return arena.view(out).slice() as O;
  });
}

describe("transposes", () => {
  test.prop([shapes, fc.integer()], { numRuns: 1000 })("f32 NCHW <-> NHWC match the reference bit for bit", (shape, seed) => {
    const x = f32Data(elements(shape), seed);
    const nhwc = run<Float32Array, Float32Array>(x, shape, "float32", f32NchwToNhwc);
    expect(bitMismatches(nhwc, referenceNchwToNhwc(x, shape))).toEqual([]);
    const back = run<Float32Array, Float32Array>(nhwc, shape, "float32", f32NhwcToNchw);
    expect(bitMismatches(back, x)).toEqual([]);
    expect(bitMismatches(run<Float32Array, Float32Array>(x, shape, "float32", f32NhwcToNchw), referenceNhwcToNchw(x, shape))).toEqual([]);
  });

  test.prop([shapes, fc.integer()], { numRuns: 1000 })("int8 NCHW <-> NHWC match the reference", (shape, seed) => {
    const x = int8Data(elements(shape), seed);
    const nhwc = run<Int8Array, Int8Array>(x, shape, "int8", qs8NchwToNhwc);
    expect(mismatches(nhwc, referenceNchwToNhwc(x, shape))).toEqual([]);
    expect(mismatches(run<Int8Array, Int8Array>(nhwc, shape, "int8", qs8NhwcToNchw), x)).toEqual([]);
    expect(mismatches(run<Int8Array, Int8Array>(x, shape, "int8", qs8NhwcToNchw), referenceNhwcToNchw(x, shape))).toEqual([]);
  });

  test.each(EXPLICIT)("explicit shape %o", (shape) => {
    const f = f32Data(elements(shape), 7);
    const q = int8Data(elements(shape), 7);
    expect(bitMismatches(run<Float32Array, Float32Array>(f, shape, "float32", f32NchwToNhwc), referenceNchwToNhwc(f, shape))).toEqual([]);
    expect(bitMismatches(run<Float32Array, Float32Array>(f, shape, "float32", f32NhwcToNchw), referenceNhwcToNchw(f, shape))).toEqual([]);
    expect(mismatches(run<Int8Array, Int8Array>(q, shape, "int8", qs8NchwToNhwc), referenceNchwToNhwc(q, shape))).toEqual([]);
    expect(mismatches(run<Int8Array, Int8Array>(q, shape, "int8", qs8NhwcToNchw), referenceNhwcToNchw(q, shape))).toEqual([]);
  });
});

describe("fused quantize / dequantize", () => {
  const values = fc.oneof(fc.float(), fc.integer({ min: -300, max: 300 }).map((k) => k + 0.5), fc.float({ min: -200, max: 200 }));
  test.prop(
    [shapes, fc.array(values, { minLength: 1, maxLength: 50 }), scale(-12, 4), int8Range.chain((r) => fc.record({
      qmin: fc.constant(r.qmin), qmax: fc.constant(r.qmax), zeroPoint: fc.integer({ min: r.qmin, max: r.qmax }),
    }))],
    { numRuns: 1000 },
  )("qs8_quantize_nchw_to_nhwc = quantize then transpose", (shape, pool, s, params) => {
    // Half-integer multiples of S hit the rounding ties; the pool is recycled over the tensor.
    const x = Float32Array.from({ length: elements(shape) }, (_, i) => pool[i % pool.length] * (i % 3 === 1 ? s : 1));
    const actual = run<Float32Array, Int8Array>(x, shape, "int8", (k, xb, sh, out) =>
      qs8QuantizeNchwToNhwc(k, xb, sh, { scale: s, ...params }, out));
    expect(mismatches(actual, referenceQuantizeNchwToNhwc(x, shape, s, params.zeroPoint, params.qmin, params.qmax))).toEqual([]);
  });

  test.prop([shapes, fc.integer(), scale(-60, 60), zeroPoint], { numRuns: 1000 })(
    "f32_dequantize_nhwc_to_nchw = dequantize then transpose, bit for bit",
    (shape, seed, s, z) => {
      const q = int8Data(elements(shape), seed);
      const actual = run<Int8Array, Float32Array>(q, shape, "float32", (k, qb, sh, out) =>
        f32DequantizeNhwcToNchw(k, qb, sh, { scale: s, zeroPoint: z }, out));
      expect(bitMismatches(actual, referenceDequantizeNhwcToNchw(q, shape, s, z))).toEqual([]);
    },
  );

  test.each(EXPLICIT)("explicit shape %o, NaN/Inf and ties", (shape) => {
    const special = [NaN, Infinity, -Infinity, 0.5, -0.5, 1.5, 2.5, -0, 1e30];
    const x = Float32Array.from({ length: elements(shape) }, (_, i) => special[i % special.length] * (i % 2 ? 1 : 0.25));
    for (const params of [{ scale: 0.25, zeroPoint: -128 }, { scale: 1, zeroPoint: 127 }, { scale: 0.125, zeroPoint: 0, qmin: -8, qmax: 7 }]) {
      const actual = run<Float32Array, Int8Array>(x, shape, "int8", (k, xb, sh, out) => qs8QuantizeNchwToNhwc(k, xb, sh, params, out));
      expect(mismatches(actual, referenceQuantizeNchwToNhwc(x, shape, params.scale, params.zeroPoint, params.qmin, params.qmax))).toEqual([]);
    }
  });
});

describe("errors", () => {
  test("bad shapes, short buffers, overlap and bad parameters", () => {
    scratch(arena, () => {
      const k = arena.kernels;
      const shape = { batch: 1, channels: 3, height: 2, width: 2 };
      const f = arena.alloc("float32", 12);
      const g = arena.alloc("float32", 12);
      const q = arena.alloc("int8", 12);
      for (const bad of [{ ...shape, batch: 0 }, { ...shape, channels: -1 }, { ...shape, height: 1.5 }, { ...shape, width: NaN }]) {
        expect(() => f32NchwToNhwc(k, f, bad, g)).toThrow(ShapeError);
        expect(() => qs8NhwcToNchw(k, q, bad, arena.alloc("int8", 12))).toThrow(ShapeError);
      }
      expect(() => f32NchwToNhwc(k, f, { ...shape, width: 3 }, g)).toThrow(RangeError);
      expect(() => f32NchwToNhwc(k, f, shape, q)).toThrow(TypeError);
      expect(() => f32NchwToNhwc(k, f, shape, f)).toThrow(RangeError);
      expect(() => qs8NchwToNhwc(k, q, shape, { ptr: q.ptr + 11, length: 12, type: "int8" })).toThrow(RangeError);
      expect(() => qs8QuantizeNchwToNhwc(k, f, shape, { scale: 0, zeroPoint: 0 }, q)).toThrow(QuantizationError);
      expect(() => qs8QuantizeNchwToNhwc(k, f, shape, { scale: 1, zeroPoint: -129 }, q)).toThrow(QuantizationError);
      expect(() => f32DequantizeNhwcToNchw(k, q, shape, { scale: NaN, zeroPoint: 0 }, f)).toThrow(QuantizationError);
      expect(() => f32DequantizeNhwcToNchw(k, q, shape, { scale: 1, zeroPoint: 200 }, f)).toThrow(QuantizationError);
      expect(() => f32DequantizeNhwcToNchw(k, q, shape, { scale: 1, zeroPoint: 0 }, arena.alloc("float32", 11))).toThrow(RangeError);
    });
  });
});
