import type { KernelInstance } from "./module.js";

export type BufferType = "int8" | "uint8" | "int32" | "float32";

const BYTES: Record<BufferType, number> = { int8: 1, uint8: 1, int32: 4, float32: 4 };
const ALIGNMENT = 64;
const PAGE = 65536;

/** A typed region of the kernels' memory: what the host hands a kernel instead of a JS array. */
export interface WasmBuffer {
  readonly ptr: number;
  readonly length: number;
  readonly type: BufferType;
}

type ViewOf<T extends BufferType> = T extends "int8"
  ? Int8Array
  : T extends "uint8"
    ? Uint8Array
    : T extends "int32"
      ? Int32Array
      : Float32Array;

/**
 * Bump allocator over one kernel instance's memory. Buffers are planned once (at session
 * creation or weight packing) and live as long as the arena; `mark`/`release` free scratch.
 * Views must be taken again after an allocation, since growing the memory detaches them.
 */
export class WasmArena {
  private top: number;

  constructor(readonly kernels: KernelInstance) {
    this.top = alignUp(kernels.heapBase, ALIGNMENT);
  }

  get bytesUsed(): number {
    return this.top;
  }

  alloc<T extends BufferType>(type: T, length: number): WasmBuffer & { type: T } {
    if (!Number.isInteger(length) || length < 0) {
      throw new RangeError(`WasmArena.alloc: length must be a non-negative integer, got ${length}`);
    }
    const ptr = alignUp(this.top, ALIGNMENT);
    const end = ptr + length * BYTES[type];
    this.ensure(end);
    this.top = end;
    return { ptr, length, type };
  }

  /** Allocates a buffer and copies `data` into it. */
  from<T extends BufferType>(type: T, data: ArrayLike<number>): WasmBuffer & { type: T } {
    const buffer = this.alloc(type, data.length);
    this.view(buffer).set(data);
    return buffer;
  }

  view<T extends BufferType>(buffer: WasmBuffer & { type: T }): ViewOf<T> {
    const memory = this.kernels.memory.buffer;
    switch (buffer.type) {
      case "int8":
        return new Int8Array(memory, buffer.ptr, buffer.length) as ViewOf<T>;
      case "uint8":
        return new Uint8Array(memory, buffer.ptr, buffer.length) as ViewOf<T>;
      case "int32":
        return new Int32Array(memory, buffer.ptr, buffer.length) as ViewOf<T>;
      default:
        return new Float32Array(memory, buffer.ptr, buffer.length) as ViewOf<T>;
    }
  }

  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    if (mark > this.top) throw new RangeError("WasmArena.release: mark is above the current top");
    this.top = mark;
  }

  private ensure(end: number): void {
    const memory = this.kernels.memory;
    const missing = end - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / PAGE));
  }
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** Throws unless `buffer` has the type and at least `length` elements a kernel will touch. */
export function requireBuffer(
  kernel: string,
  role: string,
  buffer: WasmBuffer,
  type: BufferType,
  length: number,
): void {
  if (buffer.type !== type) {
    throw new TypeError(`${kernel}: ${role} must be a ${type} buffer, got ${buffer.type}`);
  }
  if (buffer.length < length) {
    throw new RangeError(`${kernel}: ${role} holds ${buffer.length} ${type} elements, needs ${length}`);
  }
}
