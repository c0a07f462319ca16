// The WebAssembly exports of assembly/index.ts as the host sees them: one interface per kernel
// family, declared beside that family's host wrapper, joined here.
import type { FixedPointExports } from "./fixed-point.js";
import type { Qs8GemmExports } from "./qs8-gemm.js";
import type { Qs8Conv2dExports } from "./qs8-conv.js";

export type KernelExports = Record<string, unknown> & {
  heapBase(): number;
} & FixedPointExports &
  Qs8GemmExports &
  Qs8Conv2dExports;
