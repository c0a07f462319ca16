// An execution plan: the session's steps bound to buffers for one set of input shapes. Every
// buffer is placed when the plan is built (activations share memory by liveness); running the
// plan only copies the feeds in, calls the bound steps and copies the outputs out.
import { DTypeError, InvalidArgumentError, ShapeError } from "../errors.js";
import { inferShapes } from "../graph/shape-inference.js";
import { planMemory } from "../graph/memory-plan.js";
import type { Graph } from "../graph/ir.js";
import type { WasmArena, WasmBuffer } from "../kernels/arena.js";
import { f32FirstNaN } from "../kernels/f32-elementwise.js";
import type { KernelInstance } from "../kernels/module.js";
import { logicalToPhysical } from "./layout.js";
import { stepInputs, stepOutputs, type LoweredGraph, type LoweredStep } from "./lowering.js";
import type { BindContext, BoundValue, PreparedOp } from "./ops/types.js";
import { Tensor } from "./tensor.js";

const SCRATCH_ALIGNMENT = 64;
const UINT8_SHIFT = 128;
const TENSOR_ARRAYS = { float32: Float32Array, int8: Int8Array, uint8: Uint8Array, int32: Int32Array } as const;

/** Reports every float value a step produces (calibration hooks in here). */
export type ValueObserver = (name: string, data: Float32Array, value: BoundValue) => void;

export interface PlannedStep {
  readonly step: LoweredStep;
  readonly op: PreparedOp;
  readonly run: () => void;
  readonly outputs: readonly BoundValue[];
}

export interface ExecutionPlan {
  readonly shapeKey: string;
  readonly values: ReadonlyMap<string, BoundValue>;
  readonly steps: readonly PlannedStep[];
  readonly activationBytes: number;
  run(feeds: Readonly<Record<string, Tensor>>, observer?: ValueObserver): Record<string, Tensor>;
}

export interface PlanInputs {
  readonly kernels: KernelInstance;
  readonly arena: WasmArena;
  readonly lowered: LoweredGraph;
  readonly ops: readonly PreparedOp[];
  readonly inputShapes: Readonly<Record<string, number[]>>;
}

export function shapeKey(shapes: Readonly<Record<string, readonly number[]>>): string {
  return Object.keys(shapes)
    .sort()
    .map((name) => `${name}:${shapes[name].join("x")}`)
    .join(";");
}

function concreteDims(graph: Graph, name: string): number[] {
  const shape = graph.values.get(name)?.shape;
  if (!shape || !shape.every((d): d is number => typeof d === "number")) {
    throw new ShapeError(`shape of '${name}' is not known for these input shapes`, { tensor: name });
  }
  return shape;
}

function bytesOf(dtype: BoundValue["dtype"], dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1) * (dtype === "int8" ? 1 : 4);
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** Places every runtime value, binds every step, and returns the runnable plan. */
export function buildPlan({ kernels, arena, lowered, ops, inputShapes }: PlanInputs): ExecutionPlan {
  const shaped = inferShapes(lowered.graph, { ...inputShapes });
  const dims = new Map<string, number[]>();
  for (const [name, info] of lowered.values) dims.set(name, concreteDims(shaped, info.shapeOf ?? name));

  const sizes = new Map<string, number>();
  for (const [name, info] of lowered.values) sizes.set(name, alignUp(bytesOf(info.dtype, dims.get(name)!), SCRATCH_ALIGNMENT));
  const memory = planMemory({
    steps: lowered.steps.map((step) => ({ inputs: stepInputs(step), outputs: stepOutputs(step) })),
    sizes,
    pinned: new Set([...lowered.graph.inputs, ...lowered.graph.outputs]),
  });

  // Scratch is sized before anything is bound; binding needs the final buffers.
  const provisional = new Map<string, BoundValue>();
  const describe = (name: string, ptr: number): BoundValue => {
    const info = lowered.values.get(name)!;
    const d = dims.get(name)!;
    const length = d.reduce((a, b) => a * b, 1);
    const buffer: WasmBuffer = { ptr, length, type: info.dtype };
    return { name, dtype: info.dtype, dims: d, nhwc: d.length === 4, buffer, quant: info.quant };
  };
  for (const name of lowered.values.keys()) provisional.set(name, describe(name, 0));
  const contexts = lowered.steps.map((step) => bindContext(kernels, arena, shaped, step, provisional));
  const scratchBytes = Math.max(0, ...ops.map((op, i) => op.scratchBytes(contexts[i])));

  const region = arena.alloc("uint8", memory.totalBytes + alignUp(scratchBytes, SCRATCH_ALIGNMENT) + SCRATCH_ALIGNMENT);
  const base = alignUp(region.ptr, SCRATCH_ALIGNMENT);
  const scratch = base + memory.totalBytes;
  const values = new Map<string, BoundValue>();
  for (const name of lowered.values.keys()) values.set(name, describe(name, base + memory.offsets.get(name)!));

  // Binding may allocate small tables; if that grows the memory, views taken earlier are detached,
  // so bind again until the memory stays put.
  let steps: PlannedStep[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = kernels.memory.buffer;
    steps = lowered.steps.map((step, i) => {
      const ctx = bindContext(kernels, arena, shaped, step, values);
      return { step, op: ops[i], run: ops[i].bind(ctx, scratch), outputs: stepOutputs(step).map((n) => values.get(n)!) };
    });
    if (kernels.memory.buffer === before) break;
  }
  return makeRunner(kernels, arena, lowered, values, steps, shapeKey(inputShapes), memory.totalBytes + scratchBytes);
}

function bindContext(
  kernels: KernelInstance,
  arena: WasmArena,
  graph: Graph,
  step: LoweredStep,
  values: ReadonlyMap<string, BoundValue>,
): BindContext {
  const inputs = step.op === "float" ? step.node.inputs : stepInputs(step);
  const outputs = stepOutputs(step);
  const node = step.node.name;
  return {
    kernels,
    arena,
    graph,
    maybeInput: (i) => (inputs[i] ? values.get(inputs[i]) : undefined),
    input(i) {
      const value = inputs[i] ? values.get(inputs[i]) : undefined;
      if (!value) throw new InvalidArgumentError(`input ${i} must be a runtime tensor, not a constant or omitted`, { node, tensor: inputs[i] });
      return value;
    },
    output(i) {
      const value = values.get(outputs[i]);
      if (!value) throw new InvalidArgumentError(`output ${i} is not a runtime tensor`, { node, tensor: outputs[i] });
      return value;
    },
  };
}

/** Copies feeds in (ONNX layout -> ours), runs the steps, copies outputs out into reused tensors. */
function makeRunner(
  kernels: KernelInstance,
  arena: WasmArena,
  lowered: LoweredGraph,
  values: ReadonlyMap<string, BoundValue>,
  steps: readonly PlannedStep[],
  key: string,
  activationBytes: number,
): ExecutionPlan {
  const feedsIn = lowered.graph.inputs.map((name) => {
    const value = values.get(name)!;
    if (value.dtype !== "float32") throw new DTypeError("graph inputs must be float32", { tensor: name });
    const scatter = logicalToPhysical(value.dims, value.nhwc);
    return { name, value, view: arena.view(value.buffer as never) as Float32Array, scatter: isIdentity(scatter) ? undefined : scatter };
  });
  const fetchesOut = lowered.graph.outputs.map((name) => {
    const value = values.get(name);
    if (!value) throw new InvalidArgumentError("graph output is not produced by any step", { tensor: name });
    const view = arena.view(value.buffer as never) as Float32Array | Int8Array | Int32Array;
    // A uint8 output of the file is stored as int8 codes shifted by -128: shifted back on the way out.
    const uint8 = value.dtype === "int8" && lowered.graph.values.get(name)?.dtype === "uint8";
    const type = uint8 ? "uint8" : value.dtype;
    const tensor = new Tensor(type, new TENSOR_ARRAYS[type](view.length), value.dims);
    const gather = logicalToPhysical(value.dims, value.nhwc);
    return { name, view, gather: isIdentity(gather) ? undefined : gather, tensor, offset: uint8 ? UINT8_SHIFT : 0 };
  });
  const results: Record<string, Tensor> = Object.fromEntries(fetchesOut.map((f) => [f.name, f.tensor]));

  return {
    shapeKey: key,
    values,
    steps,
    activationBytes,
    run(feeds, observer) {
      for (const { name, value, view, scatter } of feedsIn) {
        const data = feeds[name].data as Float32Array;
        const nanAt = scatter ? scatterFeed(data, scatter, view) : copyFeed(kernels, data, value.buffer, view);
        if (nanAt >= 0) throw new InvalidArgumentError(`NaN at element ${nanAt}`, { tensor: name });
        if (observer) observer(name, view, value);
      }
      for (const planned of steps) {
        planned.run();
        if (observer) {
          for (const out of planned.outputs) {
            if (out.dtype === "float32") observer(out.name, arena.view(out.buffer as never) as Float32Array, out);
          }
        }
      }
      for (const { view, gather, tensor, offset } of fetchesOut) {
        const data = tensor.data as Float32Array | Int8Array | Uint8Array | Int32Array;
        if (offset !== 0) for (let i = 0; i < data.length; i++) data[i] = view[gather ? gather[i] : i] + offset;
        else if (gather) for (let i = 0; i < gather.length; i++) data[i] = view[gather[i]];
        else data.set(view);
      }
      return results;
    },
  };
}

function isIdentity(map: Int32Array): boolean {
  return map.every((physical, logical) => physical === logical);
}

/** Copies a feed whose layout is ours already; returns the index of its first NaN, or -1. */
function copyFeed(kernels: KernelInstance, data: Float32Array, buffer: WasmBuffer, view: Float32Array): number {
  view.set(data);
  return f32FirstNaN(kernels, buffer, data.length);
}

/** Copies a feed into our layout (view[scatter[i]] = data[i]) up to its first NaN; returns that index, or -1. */
function scatterFeed(data: Float32Array, scatter: Int32Array, view: Float32Array): number {
  for (let i = 0; i < scatter.length; i++) {
    const x = data[i];
    if (x !== x) return i;
    view[scatter[i]] = x;
  }
  return -1;
}
