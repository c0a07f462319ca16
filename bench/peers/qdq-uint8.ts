// ONNX Runtime's WebAssembly int8 GEMM has SIMD code only for uint8 activations (int8 activations
// fall back to portable C++), so it gets our QDQ model in the form its own quantizer emits (U8S8):
// every activation QuantizeLinear/DequantizeLinear zero point Z (int8) becomes Z + 128 (uint8),
// which maps each real value to the code q + 128, losslessly (DESIGN.md 2). Weights and biases
// stay int8/int32. Everything else in the protobuf stays as it was.
import { decodeTensor, encodeTensor } from "../../src/onnx/tensor.js";
import { DataType, onnx, type OnnxTypes } from "../../src/onnx/proto.js";

interface ZeroPoints {
  /** Zero-point tensors of activation QuantizeLinear/DequantizeLinear nodes. */
  readonly activation: Set<string>;
  /** Zero-point tensors of DequantizeLinear nodes of constants (weights, biases). */
  readonly constant: Set<string>;
  /** The int8 activation tensors between a QuantizeLinear and its DequantizeLinear. */
  readonly quantized: Set<string>;
}

function classify(graph: OnnxTypes.IGraphProto, constants: ReadonlyMap<string, ConstantSlot>): ZeroPoints {
  const zeroPoints: ZeroPoints = { activation: new Set(), constant: new Set(), quantized: new Set() };
  for (const node of graph.node ?? []) {
    const [x, , zeroPoint] = node.input ?? [];
    if (!zeroPoint || (node.domain ?? "") !== "") continue;
    if (node.opType === "QuantizeLinear") {
      zeroPoints.activation.add(zeroPoint);
      zeroPoints.quantized.add(node.output![0]);
    } else if (node.opType === "DequantizeLinear") {
      if (constants.has(x)) {
        zeroPoints.constant.add(zeroPoint);
      } else {
        zeroPoints.activation.add(zeroPoint);
        zeroPoints.quantized.add(x);
      }
    }
  }
  return zeroPoints;
}

/** A constant tensor of the model (initializer or Constant node) and how to put another in its place. */
interface ConstantSlot {
  readonly tensor: OnnxTypes.ITensorProto;
  replace(tensor: OnnxTypes.ITensorProto): void;
}

function constantSlots(graph: OnnxTypes.IGraphProto): Map<string, ConstantSlot> {
  const slots = new Map<string, ConstantSlot>();
  const initializers = graph.initializer ?? [];
  initializers.forEach((tensor, i) => slots.set(tensor.name ?? "", { tensor, replace: (t) => (initializers[i] = t) }));
  for (const node of graph.node ?? []) {
    const attribute = node.opType === "Constant" ? node.attribute?.find((a) => a.name === "value" && a.t) : undefined;
    if (attribute) slots.set(node.output![0], { tensor: attribute.t!, replace: (t) => (attribute.t = t) });
  }
  return slots;
}

function shiftToUint8(slot: ConstantSlot, name: string): void {
  const decoded = decodeTensor(slot.tensor, name);
  if (decoded.dtype === "uint8") return;
  if (decoded.dtype !== "int8" || decoded.storage) {
    throw new Error(`activation zero point '${name}' is ${decoded.storage ?? decoded.dtype}; only int8 converts to uint8`);
  }
  const codes = Uint8Array.from(decoded.data as Int8Array, (z) => z + 128);
  slot.replace(encodeTensor(slot.tensor.name ?? "", { dtype: "uint8", dims: decoded.dims, data: codes }));
}

function retypeValueInfos(graph: OnnxTypes.IGraphProto, names: ReadonlySet<string>): void {
  for (const info of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    const tensorType = info.type?.tensorType;
    if (names.has(info.name ?? "") && tensorType?.elemType === DataType.INT8) tensorType.elemType = DataType.UINT8;
  }
}

/** Our int8-activation QDQ model as the equivalent uint8-activation QDQ model. */
export function toUint8Activations(int8Qdq: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(int8Qdq);
  const graph = model.graph;
  if (!graph) throw new Error("the model has no graph");
  const constants = constantSlots(graph);
  const zeroPoints = classify(graph, constants);
  for (const name of zeroPoints.activation) {
    if (zeroPoints.constant.has(name)) throw new Error(`zero point '${name}' is shared by an activation and a constant`);
    const slot = constants.get(name);
    if (!slot) throw new Error(`activation zero point '${name}' is not a constant`);
    shiftToUint8(slot, name);
  }
  retypeValueInfos(graph, zeroPoints.quantized);
  return onnx.ModelProto.encode(model).finish();
}
