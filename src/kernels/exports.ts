// The WebAssembly exports of assembly/index.ts as the host sees them: one interface per kernel
// family, declared beside that family's host wrapper, joined here.
import type { FixedPointExports } from "./fixed-point.js";
import type { F32GemmExports } from "./f32-gemm.js";
import type { F32ConvExports } from "./f32-conv.js";
import type { F32PoolExports } from "./f32-pool.js";
import type { F32ElementwiseExports } from "./f32-elementwise.js";
import type { LayoutExports } from "./layout.js";
import type { Qs8AddExports } from "./qs8-add.js";
import type { Qs8PoolExports } from "./qs8-pool.js";
import type { QuantizeExports } from "./quantize.js";
import type { Qs8GemmExports } from "./qs8-gemm.js";
import type { Qs8GemmDynamicExports } from "./qs8-gemm-dynamic.js";
import type { Qs8Conv2dExports } from "./qs8-conv.js";

export type KernelExports = Record<string, unknown> & { heapBase(): number }
  & FixedPointExports
  & F32GemmExports
  & F32ConvExports
  & F32PoolExports
  & F32ElementwiseExports
  & Qs8PoolExports
  & Qs8AddExports
  & QuantizeExports
  & LayoutExports
  & Qs8GemmExports
  & Qs8GemmDynamicExports
  & Qs8Conv2dExports;
