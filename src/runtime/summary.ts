// The session summary: the nodes as they will run, with their kernels, precisions and shapes,
// so a user sees what was folded, fused, quantized, and what stayed fp32.
import { stepInputs, stepOutputs, type LoweredGraph } from "./lowering.js";
import type { PreparedOp } from "./ops/types.js";
import type { ExecutionPlan } from "./plan.js";

export interface SummaryRow {
  readonly node: string;
  readonly opType: string;
  readonly kernel: string;
  readonly precision: "int8" | "fp32" | "int8->fp32" | "fp32->int8";
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

export interface SessionSummary {
  /** Which WebAssembly build runs the kernels. */
  readonly kernelBuild: string;
  readonly rows: readonly SummaryRow[];
  /** Nodes that run in fp32 inside a model that has integer steps. */
  readonly fp32Nodes: readonly string[];
  toString(): string;
}

function precisionOf(op: string): SummaryRow["precision"] {
  if (op === "float") return "fp32";
  if (op === "quantize" || op === "dynamicquantize") return "fp32->int8";
  if (op === "dequantize") return "int8->fp32";
  return "int8";
}

export function describeSession(
  kernelBuild: string,
  lowered: LoweredGraph,
  ops: readonly PreparedOp[],
  plan: ExecutionPlan | undefined,
): SessionSummary {
  const describe = (name: string) => {
    const info = lowered.values.get(name);
    const bound = plan?.values.get(name);
    const shape = bound ? bound.dims.join("x") : (lowered.graph.values.get(info?.shapeOf ?? name)?.shape ?? ["?"]).join("x");
    return `${name}: ${info?.dtype ?? "const"} [${shape}]`;
  };
  const rows = lowered.steps.map((step, i) => ({
    node: step.node.name,
    opType: step.node.opType + (step.node.activation ? `+clamp(${step.node.activation.min}, ${step.node.activation.max})` : ""),
    kernel: ops[i].kernel,
    precision: precisionOf(step.op),
    inputs: stepInputs(step).map(describe),
    outputs: stepOutputs(step).map(describe),
  }));
  const hasInteger = rows.some((r) => r.precision === "int8");
  const fp32Nodes = hasInteger ? rows.filter((r) => r.precision === "fp32").map((r) => r.node) : [];
  return {
    kernelBuild,
    rows,
    fp32Nodes,
    toString() {
      const lines = rows.map((r, i) => `${String(i).padStart(3)}  ${r.precision.padEnd(10)} ${r.kernel.padEnd(14)} ${r.opType.padEnd(28)} ${r.node}  (${r.inputs.join(", ")}) -> (${r.outputs.join(", ")})`);
      const footer = fp32Nodes.length ? [`fp32 nodes in an integer model: ${fp32Nodes.join(", ")}`] : [];
      return [`kernels: ${kernelBuild}`, ...lines, ...footer].join("\n");
    },
  };
}
