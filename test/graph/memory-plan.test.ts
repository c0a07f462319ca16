import { describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import { planGraphMemory, planMemory, type MemoryPlan, type MemoryPlanRequest } from "../../src/graph/memory-plan.js";
import { inferShapes } from "../../src/graph/shape-inference.js";
import { readOnnxModel } from "../../src/onnx/reader.js";
import { ShapeError } from "../../src/errors.js";
import { richModel } from "../helpers/graphs.js";

/** A random DAG: step i reads some earlier tensors and writes one or two new ones. */
const randomDag = fc
  .record({
    inputs: fc.integer({ min: 1, max: 3 }),
    steps: fc.array(fc.record({ reads: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), writes: fc.integer({ min: 1, max: 2 }) }), { minLength: 1, maxLength: 25 }),
    sizes: fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 60, maxLength: 60 }),
    alignment: fc.constantFrom(1, 4, 16, 64),
    outputs: fc.integer({ min: 1, max: 2 }),
  })
  .map(({ inputs, steps, sizes, alignment, outputs }): MemoryPlanRequest => {
    const tensors = Array.from({ length: inputs }, (_, i) => `in${i}`);
    const planSteps = steps.map((step, i) => {
      const reads = step.reads.map((r) => tensors[r % tensors.length]);
      const writes = Array.from({ length: step.writes }, (_, j) => `t${i}_${j}`);
      tensors.push(...writes);
      return { inputs: reads, outputs: writes };
    });
    return {
      steps: planSteps,
      sizes: new Map(tensors.map((name, i) => [name, sizes[i % sizes.length]])),
      pinned: new Set([...tensors.slice(0, inputs), ...tensors.slice(-outputs)]),
      alignment,
    };
  });

function liveRange(request: MemoryPlanRequest, name: string): [number, number] {
  if (request.pinned.has(name)) return [0, request.steps.length];
  const uses = request.steps.flatMap((step, i) => ([...step.inputs, ...step.outputs].includes(name) ? [i] : []));
  return [Math.min(...uses), Math.max(...uses)];
}

function expectValid(request: MemoryPlanRequest, plan: MemoryPlan): void {
  const names = [...request.sizes.keys()];
  const alignment = request.alignment ?? 16;
  for (const name of names) {
    const offset = plan.offsets.get(name)!;
    expect(offset % alignment).toBe(0);
    expect(offset + request.sizes.get(name)!).toBeLessThanOrEqual(plan.totalBytes);
  }
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const [a, b] = [names[i], names[j]];
      const [sa, sb] = [request.sizes.get(a)!, request.sizes.get(b)!];
      if (sa === 0 || sb === 0) continue;
      const [fa, la] = liveRange(request, a);
      const [fb, lb] = liveRange(request, b);
      if (fa > lb || fb > la) continue;
      const [oa, ob] = [plan.offsets.get(a)!, plan.offsets.get(b)!];
      expect(oa + sa <= ob || ob + sb <= oa, `${a} [${oa}, +${sa}) and ${b} [${ob}, +${sb}) are live together`).toBe(true);
    }
  }
}

describe("planMemory", () => {
  test.prop([randomDag], { numRuns: 300 })("no two simultaneously live tensors overlap", (request) => {
    const plan = planMemory(request);
    expectValid(request, plan);
    const sum = [...request.sizes.values()].reduce((total, s) => total + Math.ceil(s / (request.alignment ?? 16)) * (request.alignment ?? 16), 0);
    expect(plan.totalBytes).toBeLessThanOrEqual(sum);
  });

  test("a chain reuses memory: two buffers suffice for any length", () => {
    const steps = Array.from({ length: 10 }, (_, i) => ({ inputs: [`t${i}`], outputs: [`t${i + 1}`] }));
    const sizes = new Map(Array.from({ length: 11 }, (_, i) => [`t${i}`, 1024]));
    const plan = planMemory({ steps, sizes, pinned: new Set(["t0", "t10"]) });
    // t0 and t10 have their own slots; t1..t9 alternate between two more.
    expect(plan.totalBytes).toBe(4 * 1024);
    expect(new Set(Array.from({ length: 9 }, (_, i) => plan.offsets.get(`t${i + 1}`))).size).toBe(2);
  });

  test("best fit: a small tensor goes into the smallest gap that holds it", () => {
    // big (step 0-1) and mid (step 0-3) are placed first; small (step 2-3) fits where big was.
    const plan = planMemory({
      steps: [
        { inputs: [], outputs: ["big", "mid"] },
        { inputs: ["big"], outputs: [] },
        { inputs: [], outputs: ["small"] },
        { inputs: ["small", "mid"], outputs: [] },
      ],
      sizes: new Map([["big", 4096], ["mid", 2048], ["small", 1024]]),
      pinned: new Set(),
    });
    expect(plan.totalBytes).toBe(6144);
    expect(plan.offsets.get("small")).toBe(plan.offsets.get("big"));
  });

  test("pinned tensors never share", () => {
    const plan = planMemory({
      steps: [{ inputs: ["a"], outputs: ["b"] }, { inputs: ["b"], outputs: ["c"] }],
      sizes: new Map([["a", 100], ["b", 100], ["c", 100], ["w", 100]]),
      pinned: new Set(["a", "c", "w"]),
      alignment: 4,
    });
    expect(new Set([...plan.offsets.values()]).size).toBe(4);
    expect(() => planMemory({ steps: [], sizes: new Map([["a", -1]]), pinned: new Set() })).toThrow(RangeError);
  });
});

describe("planGraphMemory", () => {
  test("needs concrete shapes, then plans every tensor of the graph", () => {
    const graph = readOnnxModel(richModel().toBytes());
    expect(() => planGraphMemory(graph)).toThrow(ShapeError);
    const concrete = inferShapes(graph, { x: [2, 3, 8, 8] });
    const plan = planGraphMemory(concrete);
    const used = new Set([...concrete.inputs, ...concrete.outputs, ...concrete.nodes.flatMap((n) => [...n.inputs, ...n.outputs])]);
    expect(new Set(plan.offsets.keys())).toEqual(used);
    const sizes = new Map([...used].map((name) => {
      const value = concrete.values.get(name)!;
      return [name, (value.shape as number[]).reduce((a, b) => a * b, 1) * (value.dtype === "int64" ? 8 : 4)];
    }));
    const pinned = new Set([...concrete.inputs, ...concrete.outputs, ...[...used].filter((n) => concrete.values.get(n)!.initializer)]);
    expectValid({ steps: concrete.nodes, sizes, pinned }, plan);
    expect(plan.totalBytes).toBeLessThan([...sizes.values()].reduce((a, b) => a + Math.ceil(b / 16) * 16, 0));
  });
});
