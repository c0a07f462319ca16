// The WebAssembly exports of assembly/index.ts as the host sees them: one interface per kernel
// family, declared beside that family's host wrapper, joined here.
import type { FixedPointExports } from "./fixed-point.js";

export type KernelExports = Record<string, unknown> & {
  heapBase(): number;
} & FixedPointExports;
