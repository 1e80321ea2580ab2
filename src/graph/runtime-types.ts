/**
 * The contract between the runtime's parts: how activations are laid out in the arena, what an op's lowering
 * returns (generated kernels and their bindings), and the public Session interface. Pure types and helpers: no GPU.
 *
 * Dtypes. A runtime value is float32, int8, uint8 or int32 (RuntimeDType; int64 and the others stay load-time only,
 * folded). float32 and int32 take one 4-byte word per element. int8/uint8 values are byte tensors: the element at
 * element offset e of the storage is byte e (word e >> 2, lane e & 3, little-endian; int8 in two's complement), the
 * storage rounded up to whole words (valueBytes); they are always 'contiguous' and start at a word boundary, so a
 * kernel writes them one whole u32 word (4 consecutive elements) per invocation, the padding lanes of the last word 0.
 *
 * Layout. A value's logical shape is ONNX's (NCHW for images); its
 * storage is described by element strides per logical dimension. Two layouts are used:
 *   'contiguous' — row-major in the logical order (what ONNX means; graph inputs and outputs use it);
 *   'nhwc'       — rank-4 values [N, C, H, W] stored as N, H, W, C (what the engine's convolutions read/write).
 * Op kernels address every operand through its strides, so an op reads either layout and writes the one the
 * layout pass chose for its output; no explicit transposes are needed except before a convolution whose input
 * is contiguous.
 */
import type { KernelSource } from '../kernels/types.ts';
import type { DType, Node, Tensor } from './ir.ts';

export type Layout = 'contiguous' | 'nhwc';

/** The dtypes a value may have at run time (others are refused at load unless folded). */
export type RuntimeDType = 'float32' | 'int8' | 'uint8' | 'int32';
export const RUNTIME_DTYPES: readonly RuntimeDType[] = ['float32', 'int8', 'uint8', 'int32'];

export function isRuntimeDType(d: string): d is RuntimeDType {
  return (RUNTIME_DTYPES as readonly string[]).includes(d);
}

/**
 * Bytes of a value's storage in the arena: 4 per element, or 1 per element rounded up to whole words (int8/uint8);
 * float32 values of a float16 session (`halfFloats`) 2 per element, rounded up to whole words.
 */
export function valueBytes(dtype: RuntimeDType, elements: number, halfFloats = false): number {
  if (dtype === 'float32' && halfFloats) return Math.ceil(elements / 2) * 4;
  return dtype === 'int8' || dtype === 'uint8' ? Math.ceil(elements / 4) * 4 : elements * 4;
}

/** What a session takes and returns for a value of each runtime dtype. */
export type SessionTensor = Float32Array | Int8Array | Uint8Array | Int32Array;

export const TYPED_ARRAY_OF: Readonly<Record<RuntimeDType, string>> = { float32: 'Float32Array', int8: 'Int8Array', uint8: 'Uint8Array', int32: 'Int32Array' };

/** The typed array of `dtype` over `bytes` (a whole-word slice of the arena, `count` elements). */
export function typedFromBytes(dtype: RuntimeDType, bytes: ArrayBuffer, offset: number, count: number): SessionTensor {
  switch (dtype) {
    case 'int8': return new Int8Array(bytes, offset, count);
    case 'uint8': return new Uint8Array(bytes, offset, count);
    case 'int32': return new Int32Array(bytes, offset, count);
    default: return new Float32Array(bytes, offset, count);
  }
}

/** Whether `v` is the typed array a value of `dtype` takes. */
export function isTypedFor(dtype: RuntimeDType, v: unknown): v is SessionTensor {
  switch (dtype) {
    case 'int8': return v instanceof Int8Array;
    case 'uint8': return v instanceof Uint8Array;
    case 'int32': return v instanceof Int32Array;
    default: return v instanceof Float32Array;
  }
}

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
  /** The dtype of a value (default: every value float32). */
  dtype?(name: string): DType | undefined;
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
  /** QLinearConv layers the session tried tap-wise int8 Winograd on (SessionOptions.tapwise): what it chose and why. */
  tapwise?: TapwiseNodeInfo;
}

/** One tap-wise scheme tried on a layer. */
export interface TapwiseVerdict {
  scheme: string;
  /**
   * 'chosen': measured SQNR ≥ minSqnrDb and kept by the whole-model check; 'passed': met the floor, but an earlier
   * scheme (more multiplies saved) was chosen; 'below-floor': measured SQNR < minSqnrDb; 'refused': the engine
   * cannot run it here (reason); 'dropped': met the floor, but the whole-model check failed with it.
   */
  status: 'chosen' | 'passed' | 'below-floor' | 'refused' | 'dropped';
  /** Output-domain SQNR (dB) against the exact QLinearConv result on the layer's calibration inputs. */
  sqnrDb?: number;
  reason: string;
}

export interface TapwiseNodeInfo {
  /** The scheme in use, or 'exact' (the layer runs the exact int8 algorithm of info.algorithm). */
  chosen: string;
  sqnrDb?: number;
  verdicts: TapwiseVerdict[];
}

/** The session-wide record of the tap-wise selection (SessionOptions.tapwise). */
export interface TapwiseInfo {
  minSqnrDb: number;
  /** The whole-model check, in words ('top-1 of every output row' or 'output SQNR ≥ N dB'). */
  check: string;
  /** Layers considered (3×3, stride 1, dilation 1, group 1 QLinearConv on an engine plan) and those left out, with why. */
  eligible: string[];
  notEligible: string[];
  /** Layers running tap-wise Winograd in the final session. */
  chosen: string[];
  /** Each whole-model check: the tap-wise layers it ran with and its result. */
  checks: { layers: string[]; passed: boolean; detail: string }[];
  /** Calibration inputs used for both measurements. */
  calibrationInputs: number;
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
  inputs: { name: string; shape: number[]; dtype: RuntimeDType }[];
  outputs: { name: string; shape: number[]; dtype: RuntimeDType }[];
  nodes: SessionNodeInfo[];
  memory: SessionMemoryInfo;
  /** Milliseconds spent in createSession (import, passes, pipelines, verification, uploads; with `tapwise`, the whole selection). */
  creationMs: number;
  /** Graph-pass counts. */
  passes: Record<string, number>;
  /** Present when the session was created with SessionOptions.tapwise. */
  tapwise?: TapwiseInfo;
  /**
   * How float activations are stored: 'float32', or 'float16' (binary16, two per word; f32 arithmetic): the default
   * for float16 models, or SessionOptions.precision. Float inputs and outputs stay Float32Array either way.
   */
  precision: 'float32' | 'float16';
}

/** Per model input: a typed array of its dtype (Float32Array, Int8Array, Uint8Array, Int32Array) or a GPUBuffer of its bytes. */
export type SessionInputs = Record<string, SessionTensor | GPUBuffer>;

/** Per model output: a typed array of its dtype (session.info.outputs[i].dtype). */
export type SessionOutputs = Record<string, SessionTensor>;

export interface SessionRunOptions {
  /** Return outputs as GPU buffers (owned by the caller) instead of reading them back. */
  keepOnGpu?: boolean;
}

/** The public session (createSession in ./session.ts implements it). */
export interface Session {
  readonly info: SessionInfo;
  run(inputs: SessionInputs): Promise<SessionOutputs>;
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
