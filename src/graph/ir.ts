/**
 * The runtime's intermediate representation: values (name, dtype, shape with symbolic dims), nodes (op type, domain,
 * inputs, outputs, typed attributes), initializers decoded to typed arrays, opset imports. Pure data: no protobuf,
 * no GPU. `importOnnx` (onnx-import.ts) builds it; `writeOnnx` (onnx-writer.ts) writes it back.
 */
import { OnnxLoadError } from './errors.ts';

/** ONNX TensorProto.DataType codes winoconv can hold in memory. */
export const ONNX_DTYPE_CODES = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
  bfloat16: 16,
} as const;
export type DType = keyof typeof ONNX_DTYPE_CODES;

/** Names of every ONNX data type code, for messages (the ones winoconv cannot hold included). */
const ONNX_DTYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING',
  9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128',
  16: 'BFLOAT16', 17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ', 19: 'FLOAT8E5M2', 20: 'FLOAT8E5M2FNUZ', 21: 'UINT4',
  22: 'INT4', 23: 'FLOAT4E2M1',
};

export function onnxTypeName(code: number): string {
  return ONNX_DTYPE_NAMES[code] ?? `unknown data type ${code}`;
}

/** The dtype for an ONNX data type code, or undefined when winoconv cannot hold it. */
export function dtypeFromCode(code: number): DType | undefined {
  for (const [k, v] of Object.entries(ONNX_DTYPE_CODES)) if (v === code) return k as DType;
  return undefined;
}

/** The typed array that holds each dtype. float16 and bfloat16 keep their bit patterns; bool is 0/1 bytes. */
export interface TensorArrays {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
}
export type TensorArray = TensorArrays[DType];

export const BYTES_PER_ELEMENT: Record<DType, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4,
  int64: 8, uint64: 8, bool: 1,
};

/** A dimension: a size, or a symbol (ONNX dim_param) until bound by the input shapes given at load. */
export type Dim = number | string;

/** A tensor with its data: an initializer, a Constant, or a value folded at load. */
export interface Tensor {
  name: string;
  dtype: DType;
  dims: number[];
  data: TensorArray;
}

export interface ValueInfo {
  name: string;
  dtype: DType;
  /** undefined: rank unknown (only in the file; after inference every value has a shape). */
  shape: Dim[] | undefined;
}

/** Typed attributes. Integers are numbers: exact up to 2^53; larger int64 values (INT64_MAX sentinels) are rounded. */
export type Attribute =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Tensor }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensors'; value: Tensor[] }
  /** Kinds no supported op takes (graphs, sparse tensors, type protos): kept by kind only, refused by the op that meets them. */
  | { type: 'graph' | 'graphs' | 'sparse_tensor' | 'sparse_tensors' | 'type_proto' | 'type_protos' };

export interface Node {
  /** The node's name in the file, or `<opType>_<index>` when it has none. */
  name: string;
  opType: string;
  /** '' is the default ONNX domain (also written 'ai.onnx'). */
  domain: string;
  /** '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attributes: Record<string, Attribute>;
}

export interface Graph {
  name: string;
  irVersion: number;
  /** domain → version; the default domain is ''. */
  opsets: Record<string, number>;
  producer: string;
  /** Model inputs: graph inputs that are not initializers. */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Map<string, Tensor>;
  nodes: Node[];
  /** Every value the graph names, with dtype and shape (after inference: all of them, symbols bound). */
  values: Map<string, ValueInfo>;
  /** Values known at load that are not initializers (Constant outputs, folded shape computations). */
  folded: Map<string, Tensor>;
  /** What the file declares for intermediate values and outputs (value_info, graph outputs), as written there. */
  declared: Map<string, ValueInfo>;
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function allocate(dtype: DType, n: number): TensorArray {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'float16': case 'bfloat16': case 'uint16': return new Uint16Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    case 'int16': return new Int16Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'uint64': return new BigUint64Array(n);
  }
}

/** A tensor's values as numbers (int64 beyond ±2^53 rounded; float16/bfloat16 decoded). */
export function toNumbers(t: Tensor): number[] {
  const out = new Array<number>(t.data.length);
  if (t.dtype === 'float16') for (let i = 0; i < out.length; i++) out[i] = halfToFloat(t.data[i] as number);
  else if (t.dtype === 'bfloat16') {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < out.length; i++) { u[0] = (t.data[i] as number) << 16; out[i] = f[0]; }
  } else for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]);
  return out;
}

/** Integer values of a shape-like tensor (int64/int32), each checked to be an exact safe integer. */
export function toSafeIntegers(t: Tensor, what: string): number[] {
  return toNumbers(t).map((v, i) => {
    if (!Number.isSafeInteger(v)) throw new OnnxLoadError(`${what}: element ${i} = ${String(t.data[i])} is not an integer in ±2^53`);
    return v;
  });
}

/** A tensor of `dtype` from numbers (integers rounded toward zero, as a cast does; float16 not produced here). */
export function fromNumbers(name: string, dtype: DType, dims: number[], values: readonly number[]): Tensor {
  const data = allocate(dtype, values.length);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) throw new OnnxLoadError(`${name}: ${v} does not fit ${dtype}`);
      // Saturate at the type's ends (2^63 as a number is INT64_MAX's rounding, not a wrap to INT64_MIN).
      const b = BigInt(Math.trunc(v));
      data[i] = dtype === 'int64' ? (b >= 2n ** 63n ? 2n ** 63n - 1n : b < -(2n ** 63n) ? -(2n ** 63n) : b) : b < 0n ? 0n : b >= 2n ** 64n ? 2n ** 64n - 1n : b;
    }
  } else if (dtype === 'float16' || dtype === 'bfloat16') {
    throw new OnnxLoadError(`${name}: computing ${dtype} values at load is not supported`);
  } else if (dtype === 'bool') {
    for (let i = 0; i < values.length; i++) data[i] = values[i] ? 1 : 0;
  } else {
    (data as Float32Array).set(values);
  }
  return { name, dtype, dims, data };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Reads little-endian raw_data into a typed array (copied: aligned, and independent of the model bytes). */
export function fromRawData(dtype: DType, raw: Uint8Array, count: number): TensorArray {
  const out = allocate(dtype, count);
  new Uint8Array(out.buffer).set(raw.subarray(0, count * BYTES_PER_ELEMENT[dtype]));
  if (!littleEndianHost() && BYTES_PER_ELEMENT[dtype] > 1) swapBytes(new Uint8Array(out.buffer), BYTES_PER_ELEMENT[dtype]);
  return out;
}

/** A typed array's bytes in little-endian order, as raw_data stores them. */
export function toRawData(data: TensorArray): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (!littleEndianHost() && data.BYTES_PER_ELEMENT > 1) swapBytes(bytes, data.BYTES_PER_ELEMENT);
  return bytes;
}

function littleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

function swapBytes(b: Uint8Array, width: number): void {
  for (let i = 0; i < b.length; i += width) b.subarray(i, i + width).reverse();
}

export function formatShape(shape: readonly Dim[] | undefined): string {
  return shape === undefined ? '?' : `[${shape.join(', ')}]`;
}
