// The optimisation pipeline: named passes, each (graph) => new graph, run in a fixed order by level.
//   basic: identity-elimination, constant-folding, dead-node-removal
//   all:   identity-elimination, constant-folding, gemm-normalisation, batchnorm-folding,
//          activation-fusion, dead-node-removal
// Gemm normalisation runs before BatchNorm folding so that MatMul + Add + BatchNormalization ends
// as one canonical Gemm, and both before activation fusion, which needs the final Conv/Gemm.
import { InvalidArgumentError } from "../../errors.js";
import { cloneGraph, type Graph } from "../ir.js";
import { activationFusion } from "./activation-fusion.js";
import { batchNormFolding } from "./batchnorm-folding.js";
import { constantFolding } from "./constant-folding.js";
import { deadNodeRemoval } from "./dead-node-removal.js";
import { gemmNormalisation } from "./gemm-normalisation.js";
import { identityElimination } from "./identity-elimination.js";

export { activationFusion, batchNormFolding, constantFolding, deadNodeRemoval, gemmNormalisation, identityElimination };
export { isCanonicalGemm } from "./gemm-normalisation.js";

export type GraphPass = (graph: Graph) => Graph;

export const PASSES = {
  "identity-elimination": identityElimination,
  "constant-folding": constantFolding,
  "gemm-normalisation": gemmNormalisation,
  "batchnorm-folding": batchNormFolding,
  "activation-fusion": activationFusion,
  "dead-node-removal": deadNodeRemoval,
} as const satisfies Record<string, GraphPass>;

export type PassName = keyof typeof PASSES;
export type OptimizationLevel = "disabled" | "basic" | "all";

export const PIPELINES: Readonly<Record<OptimizationLevel, readonly PassName[]>> = {
  disabled: [],
  basic: ["identity-elimination", "constant-folding", "dead-node-removal"],
  all: ["identity-elimination", "constant-folding", "gemm-normalisation", "batchnorm-folding", "activation-fusion", "dead-node-removal"],
};

export interface OptimizeOptions {
  level: OptimizationLevel;
  /** Pass names to leave out of the level's pipeline. */
  skip?: readonly string[];
}

/** Runs the level's passes (minus `skip`) and returns a new graph; the given graph is not changed. */
export function optimizeGraph(graph: Graph, options: OptimizeOptions = { level: "all" }): Graph {
  const pipeline = PIPELINES[options.level];
  if (!pipeline) throw new InvalidArgumentError(`unknown optimization level '${options.level}' (disabled, basic, all)`);
  const skip = options.skip ?? [];
  for (const name of skip) {
    if (!(name in PASSES)) throw new InvalidArgumentError(`unknown pass '${name}' (${Object.keys(PASSES).join(", ")})`);
  }
  let result = cloneGraph(graph, { shareTensorData: true });
  for (const name of pipeline) if (!skip.includes(name)) result = PASSES[name](result);
  return result;
}
