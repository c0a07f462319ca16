// Rewrites fully connected layers into the one form the runtime implements, canonical Gemm:
//   Y = A * B^T + C   with transA = 0, transB = 1, alpha = 1, beta = 1,
//   B a float32 constant [N, K] (weights row-major, as in DESIGN.md), C absent or a float32 constant [N].
// MatMul(A, W) with a constant 2-D W and a 2-D A becomes Gemm(A, W^T) (taking a following Add of a
// constant [N] bias as C); a Gemm with a constant B gets B transposed to [N, K], alpha folded into
// B and beta into C. A Gemm with a non-constant B or a transposed A is left as it is.
import { attrFloat, attrInt, cloneGraph, type Graph, type Node } from "../ir.js";
import { addConstant, dropIfUnused, floatConstant, isOp, removeNode, soleConsumer } from "./rewrite.js";

function transposed(data: Float32Array, rows: number, cols: number, scale: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] * scale;
  return out;
}

function shapeOf(graph: Graph, name: string): number[] {
  return graph.values.get(name)!.shape as number[];
}

/** The constant bias operand of an Add reading `tensor`, if it is a float32 [N] (or [1, N]) constant. */
function biasOperand(graph: Graph, add: Node, tensor: string, n: number): string | undefined {
  if (!isOp(add, "Add") || add.inputs.length !== 2) return undefined;
  const other = add.inputs[0] === tensor ? add.inputs[1] : add.inputs[0];
  if (other === tensor || !floatConstant(graph, other)) return undefined;
  const dims = shapeOf(graph, other);
  const isRow = dims[dims.length - 1] === n && dims.slice(0, -1).every((d) => d === 1) && dims.length <= 2;
  return isRow ? other : undefined;
}

function matMulToGemm(graph: Graph, matMul: Node): void {
  const [a, w] = matMul.inputs;
  const weights = floatConstant(graph, w);
  const aShape = graph.values.get(a)?.shape;
  const wDims = graph.values.get(w)?.shape as number[] | undefined;
  if (!weights || !wDims || wDims.length !== 2 || aShape?.length !== 2) return;
  const [k, n] = wDims;
  const b = addConstant(graph, `${w}_transposed`, "float32", [n, k], transposed(weights, k, n, 1));
  const inputs = [a, b];
  let output = matMul.outputs[0];
  const add = soleConsumer(graph, output);
  const bias = add && biasOperand(graph, add, output, n);
  if (add && bias) {
    inputs.push(addConstant(graph, `${bias}_row`, "float32", [n], floatConstant(graph, bias)!));
    removeNode(graph, add);
    graph.values.delete(output);
    output = add.outputs[0];
    dropIfUnused(graph, [bias]);
  }
  Object.assign(matMul, { opType: "Gemm", inputs, outputs: [output], attributes: { transB: { int: 1 } } });
  dropIfUnused(graph, [w]);
}

/** Whether C (of shape `dims`) broadcasts along the rows of [M, N]: one value per column, or one in all. */
function isPerColumn(dims: readonly number[], n: number): boolean {
  const last = dims.length === 0 ? 1 : dims[dims.length - 1];
  return dims.slice(0, -1).every((d) => d === 1) && (last === n || last === 1);
}

/** Transposes a constant B to [N, K] and folds alpha and beta into the constants. */
function canonicaliseGemm(graph: Graph, gemm: Node): void {
  const [a, bName, cName] = gemm.inputs;
  const b = floatConstant(graph, bName);
  if (!b || attrInt(gemm, "transA", 0) !== 0) return;
  const alpha = attrFloat(gemm, "alpha", 1);
  const beta = attrFloat(gemm, "beta", 1);
  const transB = attrInt(gemm, "transB", 0) === 1;
  const [rows, cols] = shapeOf(graph, bName);
  const [n, k] = transB ? [rows, cols] : [cols, rows];
  const newB =
    transB && alpha === 1
      ? bName
      : addConstant(graph, `${bName}_canonical`, "float32", [n, k], transB ? Float32Array.from(b, (v) => v * alpha) : transposed(b, rows, cols, alpha));
  let newC: string | undefined;
  let newBeta = 1;
  if (cName && beta !== 0) {
    const c = floatConstant(graph, cName);
    const cDims = shapeOf(graph, cName);
    if (c && isPerColumn(cDims, n)) {
      const canonical = beta === 1 && cDims.length === 1 && cDims[0] === n;
      newC = canonical ? cName : addConstant(graph, `${cName}_canonical`, "float32", [n], Float32Array.from({ length: n }, (_, j) => beta * c[c.length === 1 ? 0 : j]));
    } else {
      // A C that differs between rows (or is computed) stays as it is, with its beta.
      newC = cName;
      newBeta = beta;
    }
  }
  const oldInputs = gemm.inputs;
  gemm.inputs = newC ? [a, newB, newC] : [a, newB];
  gemm.attributes = { transA: { int: 0 }, transB: { int: 1 }, alpha: { float: 1 }, beta: { float: newBeta } };
  dropIfUnused(graph, oldInputs);
}

export function gemmNormalisation(graph: Graph): Graph {
  const result = cloneGraph(graph, { shareTensorData: true });
  for (const node of [...result.nodes]) if (isOp(node, "MatMul")) matMulToGemm(result, node);
  for (const node of result.nodes) if (isOp(node, "Gemm")) canonicaliseGemm(result, node);
  return result;
}

/** Whether a node is a Gemm in the canonical form described above. */
export function isCanonicalGemm(graph: Graph, node: Node): boolean {
  if (!isOp(node, "Gemm")) return false;
  const [, bName, cName] = node.inputs;
  const bDims = graph.values.get(bName)?.shape;
  const attributesCanonical =
    attrInt(node, "transA", 0) === 0 && attrInt(node, "transB", 0) === 1 && attrFloat(node, "alpha", 1) === 1 && attrFloat(node, "beta", 1) === 1;
  if (!attributesCanonical || !floatConstant(graph, bName) || bDims?.length !== 2) return false;
  if (!cName) return true;
  const cDims = graph.values.get(cName)?.shape;
  return floatConstant(graph, cName) !== undefined && cDims?.length === 1 && cDims[0] === bDims[0];
}
