// The relaxed-SIMD kernel build in the engine that runs it right (Chromium): on random shapes and
// quantization parameters its int8 GEMMs, dequantizing GEMMs and im2col convolutions must equal the
// plain SIMD build's outputs byte for byte (relaxed-entry.ts). Node 20's V8 computes the relaxed
// dot product wrong, so the relaxed build cannot be checked against the reference there.
import { afterAll, beforeAll, describe, expect } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { bundleForBrowser, openChromiumPage, type OpenPage } from "./chromium.js";
import { convGeometryArb, quantStyleArb } from "../helpers/qs8.js";
import type { BuildCase } from "./relaxed-entry.js";

let chromium: OpenPage;
beforeAll(async () => {
  chromium = await openChromiumPage(await bundleForBrowser("./relaxed-entry.ts"));
}, 120_000);
afterAll(() => chromium?.close());

function firstDifferenceInChromium(c: BuildCase): Promise<number> {
  return chromium.page.evaluate((c) => (globalThis as unknown as { __compare(c: BuildCase): number }).__compare(c), c);
}

const gemmShapeArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({ M: fc.integer({ min: 1, max: 9 }), N: fc.integer({ min: 1, max: 9 }), K: fc.integer({ min: 1, max: 80 }) }) },
  { weight: 1, arbitrary: fc.record({ M: fc.integer({ min: 1, max: 13 }), N: fc.integer({ min: 1, max: 40 }), K: fc.integer({ min: 81, max: 600 }) }) },
);

describe("the relaxed build equals the plain SIMD build in Chromium", () => {
  test("Chromium selects the relaxed build, which packs 7-bit weights in its relaxed layout and 8-bit ones in the plain one", async () => {
    const result = await chromium.page.evaluate(() => (globalThis as unknown as { __result: unknown }).__result);
    expect(result).toEqual({ build: "relaxed", layoutOf7BitWeights: 1, layoutOf8BitWeights: 0 });
  });

  test.prop([gemmShapeArb, quantStyleArb], { numRuns: 300 })("int8 GEMM on random shapes, weight windows and parameters", async (shape, quant) => {
    expect(await firstDifferenceInChromium({ kind: "gemm", ...shape, quant })).toBe(-1);
  });

  test.prop([gemmShapeArb, quantStyleArb], { numRuns: 150 })("dequantizing (dynamic) GEMM", async (shape, quant) => {
    expect(await firstDifferenceInChromium({ kind: "dynamic", ...shape, quant })).toBe(-1);
  });

  const channelsArb = fc.record({ groups: fc.integer({ min: 1, max: 3 }), inCPerGroup: fc.integer({ min: 1, max: 12 }), outCPerGroup: fc.integer({ min: 1, max: 9 }) });
  test.prop([convGeometryArb(4), channelsArb, quantStyleArb], { numRuns: 200 })(
    "im2col convolution on random shapes, groups and parameters",
    async (geometry, { groups, inCPerGroup, outCPerGroup }, quant) => {
      const shape = { ...geometry, groups, inC: groups * inCPerGroup, outC: groups * outCPerGroup };
      expect(await firstDifferenceInChromium({ kind: "conv", shape, quant })).toBe(-1);
    },
  );

});
