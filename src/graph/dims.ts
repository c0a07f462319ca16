// Arithmetic on dimensions that may be symbolic. A symbol stands for one unknown size (the batch,
// say); when a result cannot be written in terms of the known symbols, it gets a fresh symbol that
// a later inference with concrete input shapes resolves.
import type { Dim } from "./ir.js";

export interface DimContext {
  /** A new symbol for a size that is not known until the inputs are. */
  fresh(): string;
  /** Reports inconsistent shapes (throws). */
  fail(message: string): never;
}

export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.join(", ")}]`;
}

/** One dimension of multidirectional (numpy) broadcasting; undefined when the sizes conflict. */
function broadcastDim(a: Dim, b: Dim, ctx: DimContext): Dim | undefined {
  if (a === b) return a;
  if (a === 1) return b;
  if (b === 1) return a;
  if (typeof a === "number" && typeof b === "number") return undefined;
  // A symbol against a size n > 1 can only be n or 1 at run time: either way the result is n.
  if (typeof a === "number") return a;
  if (typeof b === "number") return b;
  return ctx.fresh();
}

export function broadcastShapes(a: readonly Dim[], b: readonly Dim[], ctx: DimContext): Dim[] {
  const rank = Math.max(a.length, b.length);
  const result: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    const d = broadcastDim(da, db, ctx);
    if (d === undefined) ctx.fail(`shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast`);
    result.push(d);
  }
  return result;
}

/** Whether `from` broadcasts to `to` without changing `to` (ONNX unidirectional broadcasting). */
export function broadcastsTo(from: readonly Dim[], to: readonly Dim[]): boolean {
  if (from.length > to.length) return false;
  const offset = to.length - from.length;
  return from.every((d, i) => d === 1 || d === to[i + offset] || typeof d === "string" || typeof to[i + offset] === "string");
}

interface Factored {
  numeric: number;
  symbols: string[];
}

function factor(dims: readonly Dim[]): Factored {
  let numeric = 1;
  const symbols: string[] = [];
  for (const d of dims) {
    if (typeof d === "number") numeric *= d;
    else symbols.push(d);
  }
  return { numeric, symbols };
}

/** The product of dimensions: a number, a lone symbol times 1, or a fresh symbol. */
export function productDim(dims: readonly Dim[], ctx: DimContext): Dim {
  const { numeric, symbols } = factor(dims);
  if (symbols.length === 0 || numeric === 0) return numeric;
  if (symbols.length === 1 && numeric === 1) return symbols[0];
  return ctx.fresh();
}

export function sumDim(dims: readonly Dim[], ctx: DimContext): Dim {
  if (dims.every((d) => typeof d === "number")) return (dims as number[]).reduce((a, b) => a + b, 0);
  const nonZero = dims.filter((d) => d !== 0);
  return nonZero.length === 1 ? nonZero[0] : ctx.fresh();
}

function removeSymbols(from: readonly string[], remove: readonly string[]): string[] | undefined {
  const rest = [...from];
  for (const s of remove) {
    const i = rest.indexOf(s);
    if (i < 0) return undefined;
    rest.splice(i, 1);
  }
  return rest;
}

/**
 * The dimension that makes `known` hold as many elements as `total` (Reshape's -1), or a fresh
 * symbol when that cannot be expressed. Fails when the counts provably cannot match.
 */
export function quotientDim(total: readonly Dim[], known: readonly Dim[], ctx: DimContext): Dim {
  const t = factor(total);
  const k = factor(known);
  if (k.numeric === 0) ctx.fail("cannot infer a -1 dimension when another dimension is 0");
  const rest = removeSymbols(t.symbols, k.symbols);
  if (rest === undefined) return ctx.fresh();
  if (t.numeric % k.numeric !== 0) {
    if (rest.length === 0) ctx.fail(`${t.numeric} elements cannot be split into parts of ${k.numeric}`);
    return ctx.fresh();
  }
  const q = t.numeric / k.numeric;
  if (rest.length === 0) return q;
  if (rest.length === 1 && q === 1) return rest[0];
  return ctx.fresh();
}

/** False when two shapes provably hold different numbers of elements. */
export function sameElementCount(a: readonly Dim[], b: readonly Dim[]): boolean {
  const fa = factor(a);
  const fb = factor(b);
  if (fa.numeric === 0 || fb.numeric === 0) return fa.symbols.length > 0 || fb.symbols.length > 0 || fa.numeric === fb.numeric;
  const rest = removeSymbols(fa.symbols, fb.symbols);
  if (rest === undefined || rest.length > 0) return true;
  return fa.numeric === fb.numeric;
}
