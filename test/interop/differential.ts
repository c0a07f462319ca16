// Differential suites against ONNX Runtime Web: each property run draws a batch of random cases,
// builds them as independent subgraphs of ONE model (so each runtime creates one session per run,
// not per case), runs it in ONNX Runtime and in our session in both requantization modes, and
// compares every output element. A failing batch shrinks case by case (fast-check).
import { describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import { OnnxGraphBuilder } from "../../src/onnx/builder.js";
import { runOrt, runOurs, type Feeds } from "./ort.js";

/**
 * One output of a case and the unit its differences are counted in: 1 for codes and int32, 0 for a
 * float output that must equal ONNX Runtime's bit for bit (any difference counts as infinitely many).
 */
export interface CaseOutput {
  readonly name: string;
  readonly unit: number;
}

/** What a case adds to the shared model: its feeds and the outputs to compare. */
export interface BuiltCase {
  readonly feeds: Feeds;
  readonly outputs: readonly CaseOutput[];
}

/**
 * Adds one case to the model; every tensor name must go through `p` (which prefixes it with the
 * case's index) so that cases do not collide.
 */
export type CaseBuilder<T> = (b: OnnxGraphBuilder, c: T, p: (name: string) => string) => BuiltCase;

export function batchModel<T>(cases: readonly T[], build: CaseBuilder<T>): { bytes: Uint8Array; feeds: Feeds; outputs: CaseOutput[] } {
  const b = new OnnxGraphBuilder("differential", 13);
  const feeds: Record<string, Feeds[string]> = {};
  const outputs: CaseOutput[] = [];
  cases.forEach((c, i) => {
    const built = build(b, c, (name) => `c${i}_${name}`);
    Object.assign(feeds, built.feeds);
    outputs.push(...built.outputs);
  });
  return { bytes: b.toBytes(), feeds, outputs };
}

export interface Tally {
  count: number;
  equal: number;
  maxSteps: number;
}

/** Element-wise differences in units of each output (NaN never equals anything but NaN). */
export function compareOutputs(ours: Record<string, ArrayLike<number>>, theirs: Record<string, ArrayLike<number>>, outputs: readonly CaseOutput[], into: Tally): Tally {
  for (const { name, unit } of outputs) {
    const [a, b] = [ours[name], theirs[name]];
    if (!a || !b || a.length !== b.length) throw new Error(`output ${name}: lengths ${a?.length} (ours) and ${b?.length} (ONNX Runtime)`);
    for (let i = 0; i < a.length; i++) {
      const x = Number(a[i]);
      const y = Number(b[i]);
      const steps = Object.is(x, y) || x === y ? 0 : Number.isNaN(x) || Number.isNaN(y) || unit === 0 ? Infinity : Math.round(Math.abs(x - y) / unit);
      into.count++;
      if (steps === 0) into.equal++;
      into.maxSteps = Math.max(into.maxSteps, steps);
    }
  }
  return into;
}

/** A random number generator for tensor contents, seeded by the case (so shrinking keeps data fixed). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

export interface SuiteOptions {
  /** Cases per model (property run) and property runs: their product is the number of cases. */
  readonly casesPerRun: number;
  readonly runs: number;
  /**
   * What the default (fixed-point) mode must show: "exact" for operators without requantization
   * (integer products, quantize/dequantize), where both modes compute the same; "within one" (and
   * >= 99% equal) for requantizing ones; "unchecked" for suites built to probe the onnx mode only.
   */
  readonly defaultMode: "exact" | "within one" | "unchecked";
}

/**
 * The issue's acceptance test for one operator: on every case, "onnx" mode equals ONNX Runtime bit
 * for bit; the default mode differs by at most one unit, with >= 99% of all elements equal.
 */
export function differentialSuite<T>(name: string, arb: fc.Arbitrary<T>, build: CaseBuilder<T>, options: SuiteOptions): void {
  describe(`${name} agrees with ONNX Runtime`, () => {
    const total: Tally & { cases: number } = { count: 0, equal: 0, maxSteps: 0, cases: 0 };
    const batch = fc.array(arb, { minLength: options.casesPerRun, maxLength: options.casesPerRun });
    const checked = options.defaultMode !== "unchecked";
    test.prop([batch], { numRuns: options.runs })(
      `${options.runs} x ${options.casesPerRun} random cases: onnx mode bit-exact${checked ? `, default mode ${options.defaultMode}` : ""}`,
      async (cases) => {
        const { bytes, feeds, outputs } = batchModel(cases, build);
        const theirs = await runOrt(bytes, feeds);
        const onnx = compareOutputs(await runOurs(bytes, feeds, "onnx"), theirs, outputs, { count: 0, equal: 0, maxSteps: 0 });
        expect(onnx.maxSteps).toBe(0);
        total.cases += cases.length;
        if (!checked) return;
        const fixed = compareOutputs(await runOurs(bytes, feeds, "fixed-point"), theirs, outputs, { count: 0, equal: 0, maxSteps: 0 });
        expect(fixed.maxSteps).toBeLessThanOrEqual(options.defaultMode === "exact" ? 0 : 1);
        total.count += fixed.count;
        total.equal += fixed.equal;
      },
    );
    test(checked ? "over >= 500 cases, default mode: >= 99% of all elements equal" : "over >= 500 cases", () => {
      expect(total.cases).toBeGreaterThanOrEqual(500);
      if (checked) expect(total.equal / total.count).toBeGreaterThanOrEqual(0.99);
    });
  });
}

export const quantType = fc.constantFrom("int8" as const, "uint8" as const);

/** Unbiased scales: fast-check's favoured bounds (0.005, 0.1, ...) make exact rounding ties common. */
export const scaleArb = (min: number, max: number) => fc.noBias(fc.double({ min, max, noNaN: true }));

/** A zero point near the middle of the type's range, as int8 (the builder adds 128 for uint8). */
export const zeroArb = fc.integer({ min: -40, max: 40 });

export function fileZero(type: "int8" | "uint8", zero: number): number {
  return type === "uint8" ? zero + 128 : zero;
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Float inputs spanning about +-100 codes of `scale` around 0, so some saturate for off-centre zero points. */
export function floatData(random: () => number, dims: readonly number[], scale: number): Float32Array {
  return Float32Array.from({ length: elementCount(dims) }, () => (random() - 0.5) * 200 * scale);
}

/** Adds float input `x` and its QuantizeLinear to `type` with (scale, zero point); returns the codes' name. */
export function quantizedInput(b: OnnxGraphBuilder, p: (name: string) => string, x: string, dims: readonly number[], type: "int8" | "uint8", scale: number, zero: number): string {
  b.input(p(x), "float32", dims)
    .initializer(p(`${x}_s`), { type: "float32", dims: [], data: [scale] })
    .initializer(p(`${x}_z`), { type, dims: [], data: [fileZero(type, zero)] })
    .node("QuantizeLinear", [p(x), p(`${x}_s`), p(`${x}_z`)], [p(`${x}_q`)]);
  return p(`${x}_q`);
}
