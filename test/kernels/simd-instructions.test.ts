// Guards against silent scalar fallbacks: each kernel's loops (in its own body or in any function
// it calls) must contain the SIMD instructions it is built around. Reads the text form of the
// compiled modules, build/kernels-simd.wat and build/kernels-relaxed.wat (written by `npm run asbuild`,
// which `npm test` runs first).
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const WAT_PATH = fileURLToPath(new URL("../../build/kernels-simd.wat", import.meta.url));
const RELAXED_WAT_PATH = fileURLToPath(new URL("../../build/kernels-relaxed.wat", import.meta.url));

/** One row per kernel export: the instructions its inner loops must use. */
const KERNELS: readonly { exportName: string; instructions: readonly string[] }[] = [
  { exportName: "qs8_gemm", instructions: ["i32x4.dot_i16x8_s", "v128.load8x8_s"] },
  { exportName: "qs8_gemm_f32", instructions: ["i32x4.dot_i16x8_s", "v128.load8x8_s", "f32x4.convert_i32x4_s", "f32x4.mul"] },
  { exportName: "qs8_dynamic_quantize_f32", instructions: ["f32x4.min", "f32x4.max", "f32x4.nearest"] },
  { exportName: "qs8_conv2d", instructions: ["i32x4.dot_i16x8_s", "v128.load8x8_s"] },
  { exportName: "qs8_conv2d_depthwise", instructions: ["i32x4.dot_i16x8_s", "v128.load8x8_s"] },
  { exportName: "f32_gemm", instructions: ["f32x4.mul", "f32x4.add", "v128.load32_splat"] },
  { exportName: "f32_conv2d", instructions: ["f32x4.mul", "f32x4.add"] },
  { exportName: "f32_dwconv2d", instructions: ["f32x4.mul", "f32x4.add"] },
  { exportName: "f32_maxpool2d", instructions: ["f32x4.max"] },
  { exportName: "qs8_requantize", instructions: ["i64x2.mul", "i32x4.max_s"] },
  { exportName: "qs8_add", instructions: ["i64x2.extmul_low_i32x4_s"] },
];

/** The relaxed build's int8 GEMM loops: the relaxed dot product with accumulate (and the plain one for 8-bit weights). */
const RELAXED_KERNELS: readonly { exportName: string; instructions: readonly string[] }[] = [
  { exportName: "qs8_gemm", instructions: ["i32x4.relaxed_dot_i8x16_i7x16_add_s", "i32x4.dot_i16x8_s"] },
  { exportName: "qs8_gemm_f32", instructions: ["i32x4.relaxed_dot_i8x16_i7x16_add_s", "i32x4.dot_i16x8_s"] },
  { exportName: "qs8_conv2d", instructions: ["i32x4.relaxed_dot_i8x16_i7x16_add_s", "i32x4.dot_i16x8_s"] },
];

interface WatModule {
  /** Export name -> internal function name. */
  readonly exports: Map<string, string>;
  /** Function name -> body lines. */
  readonly functions: Map<string, string[]>;
}

/** Splits binaryen's flat text output into functions (one top-level `(func` per function). */
function parseWat(text: string): WatModule {
  const exports = new Map<string, string>();
  const functions = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of text.split("\n")) {
    const exported = /^ \(export "([^"]+)" \(func (\$\S+)\)\)/.exec(line);
    if (exported) exports.set(exported[1], exported[2]);
    const func = /^ \(func (\$\S+)/.exec(line);
    if (func) {
      current = [];
      functions.set(func[1], current);
    } else if (/^ ?\S/.test(line)) {
      current = null;
    } else if (current) {
      current.push(line.trim());
    }
  }
  return { exports, functions };
}

/** The function and every function it calls, transitively. */
function reachable(module: WatModule, root: string): string[] {
  const seen = new Set<string>([root]);
  const pending = [root];
  while (pending.length > 0) {
    const body = module.functions.get(pending.pop()!) ?? [];
    for (const line of body) {
      const call = /^call (\$\S+)/.exec(line);
      if (call && !seen.has(call[1])) {
        seen.add(call[1]);
        pending.push(call[1]);
      }
    }
  }
  return [...seen];
}

/** Instructions that occur inside at least one `loop` of the body. */
function instructionsInLoops(body: readonly string[]): Set<string> {
  const found = new Set<string>();
  const open: string[] = [];
  for (const line of body) {
    const op = line.split(/\s+/)[0];
    if (op === "block" || op === "loop" || op === "if" || op === "try") open.push(op);
    else if (op === "end") open.pop();
    else if (open.includes("loop")) found.add(op);
  }
  return found;
}

describe("kernels' inner loops use their SIMD instructions", () => {
  test("build/kernels-simd.wat exists (run `npm run asbuild`)", () => {
    expect(existsSync(WAT_PATH)).toBe(true);
  });

  const module = existsSync(WAT_PATH) ? parseWat(readFileSync(WAT_PATH, "utf8")) : { exports: new Map(), functions: new Map() };

  test("the parser sees loops and calls (self-check on qs8_gemm)", () => {
    const root = module.exports.get("qs8_gemm");
    expect(root).toBeDefined();
    expect(reachable(module, root!).length).toBeGreaterThan(1);
    expect(instructionsInLoops(module.functions.get(root!)!).has("br")).toBe(true);
  });

  const rows = KERNELS.map((row) => ({ ...row, listed: row.instructions.join(", ") }));
  test.each(rows)("$exportName loops use $listed", ({ exportName, instructions }) => {
    const root = module.exports.get(exportName);
    expect(root, `export ${exportName}`).toBeDefined();
    const inLoops = new Set(reachable(module, root!).flatMap((name) => [...instructionsInLoops(module.functions.get(name) ?? [])]));
    for (const instruction of instructions) expect(inLoops.has(instruction), instruction).toBe(true);
  });
});

describe("the relaxed build's GEMM loops use the relaxed dot product with accumulate", () => {
  test("build/kernels-relaxed.wat exists (run `npm run asbuild`)", () => {
    expect(existsSync(RELAXED_WAT_PATH)).toBe(true);
  });

  const text = existsSync(RELAXED_WAT_PATH) ? readFileSync(RELAXED_WAT_PATH, "utf8") : "";
  const module = parseWat(text);

  test("and no other relaxed instruction (their results may differ between engines)", () => {
    expect(text.length).toBeGreaterThan(0);
    const relaxed = new Set(text.match(/\b[if]\d+x\d+\.relaxed_\w+/g) ?? []);
    expect([...relaxed]).toEqual(["i32x4.relaxed_dot_i8x16_i7x16_add_s"]);
  });

  test("the simd build has no relaxed instruction", () => {
    expect(readFileSync(WAT_PATH, "utf8").match(/\b[if]\d+x\d+\.relaxed_\w+/g)).toBeNull();
  });

  const rows = RELAXED_KERNELS.map((row) => ({ ...row, listed: row.instructions.join(", ") }));
  test.each(rows)("$exportName loops use $listed", ({ exportName, instructions }) => {
    const root = module.exports.get(exportName);
    expect(root, `export ${exportName}`).toBeDefined();
    const inLoops = new Set(reachable(module, root!).flatMap((name) => [...instructionsInLoops(module.functions.get(name) ?? [])]));
    for (const instruction of instructions) expect(inLoops.has(instruction), instruction).toBe(true);
  });
});
