// A static memory plan: every tensor gets a byte offset in one arena, and tensors whose lifetimes
// do not overlap share space. Lifetimes come from the execution order (a tensor lives from the step
// producing it to the last step reading it); placement is greedy by size, largest first, each into
// the smallest gap left by the tensors it overlaps in time (best fit). Graph inputs, outputs and
// constants live for the whole run, so they get slots of their own.
import { ShapeError } from "../errors.js";
import { DTYPE_BYTES, elementCount, isKnownShape, type Graph } from "./ir.js";

export interface MemoryPlan {
  totalBytes: number;
  offsets: Map<string, number>;
}

export interface MemoryPlanRequest {
  /** The steps in execution order, with the tensors each reads and writes ("" entries are ignored). */
  steps: readonly { readonly inputs: readonly string[]; readonly outputs: readonly string[] }[];
  /** Size in bytes of every tensor to place. */
  sizes: ReadonlyMap<string, number>;
  /** Tensors that live for the whole run (graph inputs, outputs, constants). */
  pinned: ReadonlySet<string>;
  /** Every offset is a multiple of this (default 16, one SIMD vector). */
  alignment?: number;
}

interface Lifetime {
  name: string;
  size: number;
  first: number;
  last: number;
}

function lifetimes(request: MemoryPlanRequest, alignment: number): Lifetime[] {
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  request.steps.forEach((step, i) => {
    for (const name of [...step.inputs, ...step.outputs]) {
      if (!name) continue;
      if (!first.has(name)) first.set(name, i);
      last.set(name, i);
    }
  });
  const end = request.steps.length;
  return [...request.sizes].map(([name, bytes]) => {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`tensor '${name}': size ${bytes} is not a byte count`);
    const size = Math.ceil(bytes / alignment) * alignment;
    const whole = request.pinned.has(name) || !first.has(name);
    return { name, size, first: whole ? 0 : first.get(name)!, last: whole ? end : last.get(name)! };
  });
}

/** Assigns arena offsets so that no two tensors live at the same time share a byte. */
export function planMemory(request: MemoryPlanRequest): MemoryPlan {
  const alignment = request.alignment ?? 16;
  if (!Number.isInteger(alignment) || alignment < 1) throw new RangeError(`alignment ${alignment} must be a positive integer`);
  const items = lifetimes(request, alignment).sort((a, b) => b.size - a.size || a.first - b.first || (a.name < b.name ? -1 : 1));
  const placed: (Lifetime & { offset: number })[] = [];
  let totalBytes = 0;
  for (const item of items) {
    const overlapping = placed.filter((p) => p.first <= item.last && item.first <= p.last).sort((a, b) => a.offset - b.offset);
    let best: number | undefined;
    let bestGap = Infinity;
    let cursor = 0;
    for (const p of overlapping) {
      const gap = p.offset - cursor;
      if (gap >= item.size && gap < bestGap) {
        best = cursor;
        bestGap = gap;
      }
      cursor = Math.max(cursor, p.offset + p.size);
    }
    const offset = best ?? cursor;
    placed.push({ ...item, offset });
    totalBytes = Math.max(totalBytes, offset + item.size);
  }
  return { totalBytes, offsets: new Map(placed.map((p) => [p.name, p.offset])) };
}

/**
 * The memory plan of a graph whose shapes are concrete (inferShapes with concrete input shapes):
 * every tensor the nodes read or write, graph inputs and outputs, in node order.
 */
export function planGraphMemory(graph: Graph, alignment?: number): MemoryPlan {
  const sizes = new Map<string, number>();
  const pinned = new Set<string>([...graph.inputs, ...graph.outputs]);
  const names = new Set<string>([...graph.inputs, ...graph.outputs]);
  for (const node of graph.nodes) for (const name of [...node.inputs, ...node.outputs]) if (name) names.add(name);
  for (const name of names) {
    const value = graph.values.get(name);
    if (!value || !isKnownShape(value.shape)) {
      throw new ShapeError("a memory plan needs concrete shapes: run inferShapes with the input shapes first", { tensor: name });
    }
    sizes.set(name, elementCount(value.shape) * DTYPE_BYTES[value.dtype]);
    if (value.initializer) pinned.add(name);
  }
  return planMemory({ steps: graph.nodes, sizes, pinned, alignment });
}
