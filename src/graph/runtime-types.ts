/**
 * The contract between the runtime's parts: how activations are laid out in the arena, what an op's lowering
 * returns (generated kernels and their bindings), and the public Session interface. Pure types and helpers: no GPU.
 *
 * Layout. Every runtime value is float32 in the arena. Its logical shape is ONNX's (NCHW for images); its
 * storage is described by element strides per logical dimension. Two layouts are used:
 *   'contiguous' — row-major in the logical order (what ONNX means; graph inputs and outputs use it);
 *   'nhwc'       — rank-4 values [N, C, H, W] stored as N, H, W, C (what the engine's convolutions read/write).
 * Op kernels address every operand through its strides, so an op reads either layout and writes the one the
 * layout pass chose for its output; no explicit transposes are needed except before a convolution whose input
 * is contiguous.
 */
import type { KernelSource } from '../kernels/types.ts';
import type { Node, Tensor } from './ir.ts';

export type Layout = 'contiguous' | 'nhwc';

/** A float32 tensor view: logical shape and element strides of its storage (strides may be 0 for broadcasts). */
export interface StridedTensor {
  shape: number[];
  strides: number[];
}

/** Element strides of `shape` stored in `layout` ('nhwc' needs rank 4). */
export function layoutStrides(shape: readonly number[], layout: Layout): number[] {
  if (layout === 'nhwc') {
    if (shape.length !== 4) throw new Error(`layout 'nhwc' needs a rank-4 shape, got [${shape.join(', ')}]`);
    const [, c, h, w] = shape;
    return [h * w * c, 1, w * c, c];
  }
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function stridedTensor(shape: readonly number[], layout: Layout): StridedTensor {
  return { shape: [...shape], strides: layoutStrides(shape, layout) };
}

/**
 * What a generated op kernel binds by binding name:
 *   { value }    an arena value (input or output of the node), bound as {buffer, offset, size} of the arena;
 *                 arena bindings are declared var<storage, read_write> (several ranges of one buffer may be bound
 *                 in one dispatch; WebGPU only allows that for writable storage);
 *   { constant } data uploaded once at session creation (weights, indices, per-channel scales); read-only;
 *   { scratch }  a temporary of `bytes` in the arena, live for this node's dispatches only.
 */
export type OpBinding =
  | { value: string }
  | { constant: Float32Array | Int32Array | Uint32Array; label: string }
  | { scratch: string; bytes: number };

export interface OpDispatch {
  kernel: KernelSource;
  uniforms: Record<string, number>;
  buffers: Record<string, OpBinding>;
  workgroups: [number, number, number];
}

/**
 * What lowerOp returns for one node: its dispatches, in order, or `aliasOf: k` when the output is input k's storage
 * unchanged (Reshape/Flatten/Squeeze/Unsqueeze/Identity of a contiguous value): then there are no dispatches and
 * the memory planner keeps input k alive as long as the output.
 */
export interface OpLowering {
  dispatches: OpDispatch[];
  aliasOf?: number;
}

/** What lowerOp gets for one node (after the passes and the layout pass). */
export interface LowerContext {
  node: Node;
  /** Per node input ('' inputs: undefined): its view. Constant inputs have a contiguous view. */
  inputs: (StridedTensor | undefined)[];
  outputs: StridedTensor[];
  /** The value of an input known at load (initializer or folded), else undefined. */
  constant(name: string): Tensor | undefined;
  limits: { maxComputeWorkgroupsPerDimension: number; maxStorageBufferBindingSize: number };
}

/** Per-node information a session reports. */
export interface SessionNodeInfo {
  name: string;
  opType: string;
  inputShapes: number[][];
  outputShapes: number[][];
  /** Output layouts in the arena. */
  layouts: Layout[];
  /** Convolutions: the engine's algorithm; other ops: 'kernel' (generated op kernel) or 'alias' (no dispatch). */
  algorithm: string;
  kernelIds: string[];
  /** Convolutions: the engine's verification verdict ('verified', or the reason it passed without one). */
  verification?: string;
  /** GPU milliseconds of the last profiled run (profile: true). */
  gpuMs?: number;
}

export interface SessionMemoryInfo {
  /** Bytes of weights and constants uploaded at creation. */
  weightBytes: number;
  /** Bytes of the activation arena (activations and workspaces). */
  arenaBytes: number;
  /** The largest sum of live bytes at any step of the schedule (the arena's lower bound). */
  peakLiveBytes: number;
}

export interface SessionInfo {
  inputs: { name: string; shape: number[]; dtype: 'float32' }[];
  outputs: { name: string; shape: number[]; dtype: 'float32' }[];
  nodes: SessionNodeInfo[];
  memory: SessionMemoryInfo;
  /** Milliseconds spent in createSession (import, passes, pipelines, verification, uploads). */
  creationMs: number;
  /** Graph-pass counts. */
  passes: Record<string, number>;
}

export type SessionInputs = Record<string, Float32Array | GPUBuffer>;

export interface SessionRunOptions {
  /** Return outputs as GPU buffers (owned by the caller) instead of reading them back. */
  keepOnGpu?: boolean;
}

/** The public session (createSession in ./session.ts implements it). */
export interface Session {
  readonly info: SessionInfo;
  run(inputs: SessionInputs): Promise<Record<string, Float32Array>>;
  run(inputs: SessionInputs, opts: { keepOnGpu: true }): Promise<Record<string, GPUBuffer>>;
  /**
   * Records a run into the caller's encoder (no submit), for applications that chain their own work: copies each
   * input buffer (range) into the session's arena, records every node, copies each output into the caller's
   * buffer (range). Buffers need COPY_SRC (inputs) / COPY_DST (outputs). Not to be interleaved with run().
   */
  encode(encoder: GPUCommandEncoder, io: SessionEncodeIO): void;
  /**
   * Re-plans the session for new input shapes (symbolic dims bound anew): layouts, kernels' sizes, the memory plan.
   * Runs already queued finish on the old plan first.
   */
  resize(inputShapes: Record<string, readonly number[]>): Promise<void>;
  destroy(): void;
}

export interface SessionEncodeIO {
  inputs: Record<string, GPUBuffer | GPUBufferBinding>;
  outputs: Record<string, GPUBuffer | GPUBufferBinding>;
}
