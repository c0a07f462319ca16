import { describe, expect, test } from "vitest";
import { attr } from "../../src/onnx/builder.js";
import {
  attrFloat,
  attrFloats,
  attrInt,
  attrInts,
  attrString,
  attrTensor,
  cloneGraph,
  pruneUnusedValues,
  topologicalSort,
  uniqueName,
  type Graph,
  type Node,
} from "../../src/graph/ir.js";
import { ModelFormatError } from "../../src/errors.js";

const node = (name: string, inputs: string[], outputs: string[], attributes: Node["attributes"] = {}): Node => ({
  name,
  opType: "Relu",
  domain: "",
  inputs,
  outputs,
  attributes,
});

function graphOf(nodes: Node[]): Graph {
  return {
    name: "g",
    opsets: { "": 13 },
    inputs: ["x"],
    outputs: ["y"],
    nodes,
    values: new Map([
      ["x", { name: "x", dtype: "float32", shape: [1] }],
      ["w", { name: "w", dtype: "float32", shape: [1], initializer: Float32Array.of(2) }],
    ]),
  };
}

describe("attributes", () => {
  const n = node("n", [], [], {
    group: attr.int(2),
    alpha: attr.float(0.5),
    pads: attr.ints([1, 2]),
    scales: attr.floats([0.5]),
    mode: attr.string("SAME_UPPER"),
    value: attr.tensor({ type: "int64", dims: [1], data: BigInt64Array.of(3n) }),
  });

  test("values, defaults, required attributes", () => {
    expect(attrInt(n, "group", 1)).toBe(2);
    expect(attrInt(n, "axis", 1)).toBe(1);
    expect(attrFloat(n, "alpha")).toBe(0.5);
    expect(attrInts(n, "pads")).toEqual([1, 2]);
    expect(attrInts(n, "strides", [1, 1])).toEqual([1, 1]);
    expect(attrFloats(n, "scales")).toEqual([0.5]);
    expect(attrString(n, "mode", "NOTSET")).toBe("SAME_UPPER");
    expect(attrTensor(n, "value").data).toEqual(BigInt64Array.of(3n));
    expect(() => attrInt(n, "axis")).toThrow(ModelFormatError);
    expect(() => attrTensor(n, "weights")).toThrow(/requires attribute 'weights'/);
  });

  test("a value of the wrong type is a format error naming the node", () => {
    expect(() => attrFloat(n, "group")).toThrow(ModelFormatError);
    expect(() => attrInts(n, "group")).toThrow(/must be of type ints, got int/);
    expect(() => attrString(n, "pads")).toThrow(ModelFormatError);
  });

  test("returned lists are copies", () => {
    attrInts(n, "pads").push(9);
    expect(attrInts(n, "pads")).toEqual([1, 2]);
  });
});

describe("cloneGraph", () => {
  test("copies everything; tensor data too unless shared", () => {
    const graph = graphOf([node("a", ["x", "w"], ["y"], { value: attr.tensor({ type: "float32", dims: [1], data: Float32Array.of(1) }) })]);
    const deep = cloneGraph(graph);
    expect(deep).toEqual(graph);
    expect(deep.values.get("w")!.initializer).not.toBe(graph.values.get("w")!.initializer);
    expect(deep.nodes[0]).not.toBe(graph.nodes[0]);
    expect(deep.nodes[0].inputs).not.toBe(graph.nodes[0].inputs);
    const shallow = cloneGraph(graph, { shareTensorData: true });
    expect(shallow).toEqual(graph);
    expect(shallow.values.get("w")!.initializer).toBe(graph.values.get("w")!.initializer);
    expect(shallow.values.get("w")).not.toBe(graph.values.get("w"));
  });
});

describe("topologicalSort", () => {
  test("orders producers first and keeps an already sorted order", () => {
    const a = node("a", ["x"], ["t"]);
    const b = node("b", ["t", "w"], ["u"]);
    const c = node("c", ["u", "t"], ["y"]);
    expect(topologicalSort(graphOf([c, b, a]))).toEqual([a, b, c]);
    expect(topologicalSort(graphOf([a, b, c]))).toEqual([a, b, c]);
  });

  test("cycles, undefined tensors, doubly produced tensors", () => {
    expect(() => topologicalSort(graphOf([node("a", ["x", "v"], ["u"]), node("b", ["u"], ["v"])]))).toThrow(/cycle/);
    expect(() => topologicalSort(graphOf([node("a", ["ghost"], ["y"])]))).toThrow(ModelFormatError);
    expect(() => topologicalSort(graphOf([node("a", ["x"], ["y"]), node("b", ["x"], ["y"])]))).toThrow(/more than once/);
    expect(() => topologicalSort(graphOf([node("a", ["x"], ["w"])]))).toThrow(/more than once/);
    // An omitted optional input ("") is not a reference.
    expect(() => topologicalSort(graphOf([node("a", ["x", ""], ["y"])]))).not.toThrow();
  });
});

test("uniqueName and pruneUnusedValues", () => {
  const graph = graphOf([node("y", ["x"], ["y"])]);
  expect(uniqueName(graph, "w")).toBe("w_1");
  expect(uniqueName(graph, "y")).toBe("y_1");
  expect(uniqueName(graph, "fresh")).toBe("fresh");
  pruneUnusedValues(graph);
  expect([...graph.values.keys()]).toEqual(["x"]);
});
