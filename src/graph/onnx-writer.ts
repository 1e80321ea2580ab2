/**
 * A small ONNX writer: a graph description (IR types) → ONNX model bytes, through the same protobufjs types the
 * importer decodes with. Tests build their models with it, and the generated model zoo will. Browser-safe.
 */
import { OnnxLoadError } from './errors.ts';
import {
  ONNX_DTYPE_CODES, type Attribute, type Graph, type Node, type Tensor, type ValueInfo, toRawData,
} from './ir.ts';
import { onnxType } from './onnx-proto.ts';

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attributes?: Record<string, Attribute>;
}

export interface GraphSpec {
  name?: string;
  /** The default-domain opset (a number), or domain → version. Default 17. */
  opset?: number | Record<string, number>;
  irVersion?: number;
  producer?: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers?: Tensor[];
  nodes: NodeSpec[];
  valueInfo?: ValueInfo[];
  /** How tensor data is stored: raw_data (default, little-endian) or the typed *_data fields. */
  tensorEncoding?: 'raw' | 'typed';
  /** Also list every initializer as a graph input (the IR < 4 style). */
  initializersAsInputs?: boolean;
  /** The model's metadata_props (key → value), e.g. `winoconv.tapScales` written by `winoconv quantize --tapwise`. */
  metadata?: Record<string, string>;
}

/** Attribute constructors: `attr.ints([1, 1])`, `attr.float(0.1)`, ... */
export const attr = {
  float: (value: number): Attribute => ({ type: 'float', value }),
  int: (value: number): Attribute => ({ type: 'int', value }),
  string: (value: string): Attribute => ({ type: 'string', value }),
  tensor: (value: Tensor): Attribute => ({ type: 'tensor', value }),
  floats: (value: number[]): Attribute => ({ type: 'floats', value }),
  ints: (value: number[]): Attribute => ({ type: 'ints', value }),
  strings: (value: string[]): Attribute => ({ type: 'strings', value }),
};

const ATTRIBUTE_CODES: Partial<Record<Attribute['type'], number>> = {
  float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8, tensors: 9,
};

const INT64_MAX = 2 ** 63;

/** An int64 for the protobuf writer: exact for safe integers and bigints; numbers at or past ±2^63 saturate. */
function int64(v: number | bigint): number | string {
  if (typeof v === 'bigint') return v.toString();
  if (!Number.isFinite(v) || !Number.isInteger(v)) throw new OnnxLoadError(`writeOnnx: ${v} is not an int64`);
  if (v >= INT64_MAX) return '9223372036854775807';
  if (v <= -INT64_MAX) return '-9223372036854775808';
  return Number.isSafeInteger(v) ? v : BigInt(v).toString();
}

const utf8 = new TextEncoder();

function tensorMessage(t: Tensor, encoding: 'raw' | 'typed'): object {
  const msg: Record<string, unknown> = { name: t.name, dataType: ONNX_DTYPE_CODES[t.dtype], dims: t.dims.map(int64) };
  if (encoding === 'raw') {
    if (t.data.length > 0) msg.rawData = toRawData(t.data);
    return msg;
  }
  switch (t.dtype) {
    case 'float32': msg.floatData = Array.from(t.data as Float32Array); break;
    case 'float64': msg.doubleData = Array.from(t.data as Float64Array); break;
    case 'int64': msg.int64Data = Array.from(t.data as BigInt64Array, int64); break;
    case 'uint32': case 'uint64': msg.uint64Data = Array.from(t.data as ArrayLike<number | bigint>, (v) => BigInt(v).toString()); break;
    default: msg.int32Data = Array.from(t.data as ArrayLike<number>);
  }
  return msg;
}

function valueInfoMessage(v: ValueInfo): object {
  const tensorType: Record<string, unknown> = { elemType: ONNX_DTYPE_CODES[v.dtype] };
  if (v.shape) tensorType.shape = { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name: v.name, type: { tensorType } };
}

function attributeMessage(name: string, a: Attribute, encoding: 'raw' | 'typed'): object {
  const type = ATTRIBUTE_CODES[a.type];
  if (type === undefined || !('value' in a)) throw new OnnxLoadError(`writeOnnx: attribute '${name}' of type ${a.type} cannot be written`);
  const msg: Record<string, unknown> = { name, type };
  switch (a.type) {
    case 'float': msg.f = a.value; break;
    case 'int': msg.i = int64(a.value); break;
    case 'string': msg.s = utf8.encode(a.value); break;
    case 'tensor': msg.t = tensorMessage(a.value, encoding); break;
    case 'floats': msg.floats = a.value; break;
    case 'ints': msg.ints = a.value.map(int64); break;
    case 'strings': msg.strings = a.value.map((s) => utf8.encode(s)); break;
    case 'tensors': msg.tensors = a.value.map((t) => tensorMessage(t, encoding)); break;
  }
  return msg;
}

function nodeMessage(n: NodeSpec, encoding: 'raw' | 'typed'): object {
  return {
    name: n.name ?? '',
    opType: n.opType,
    domain: n.domain ?? '',
    input: n.inputs,
    output: n.outputs,
    attribute: Object.entries(n.attributes ?? {}).map(([k, a]) => attributeMessage(k, a, encoding)),
  };
}

/** Encodes a graph description as ONNX model bytes. */
export function writeOnnx(spec: GraphSpec): Uint8Array {
  const enc = spec.tensorEncoding ?? 'raw';
  const opsets = typeof spec.opset === 'object' ? spec.opset : { '': spec.opset ?? 17 };
  const inits = spec.initializers ?? [];
  const inputs = [...spec.inputs];
  if (spec.initializersAsInputs) for (const t of inits) inputs.push({ name: t.name, dtype: t.dtype, shape: [...t.dims] });
  const model = {
    irVersion: spec.irVersion ?? 8,
    producerName: spec.producer ?? 'winoconv',
    opsetImport: Object.entries(opsets).map(([domain, version]) => ({ domain, version })),
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: spec.name ?? 'graph',
      node: spec.nodes.map((n) => nodeMessage(n, enc)),
      initializer: inits.map((t) => tensorMessage(t, enc)),
      input: inputs.map(valueInfoMessage),
      output: spec.outputs.map(valueInfoMessage),
      valueInfo: (spec.valueInfo ?? []).map(valueInfoMessage),
    },
  };
  const type = onnxType('ModelProto');
  const out = type.encode(type.fromObject(model)).finish();
  // In Node protobufjs returns a Buffer, possibly a view into a shared pool: hand back a plain, exact Uint8Array.
  return out.constructor === Uint8Array && out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : new Uint8Array(out);
}

/** The spec that writes `graph` back (the file's declarations: model inputs, outputs, initializers, nodes, opsets). */
export function graphToSpec(graph: Graph): GraphSpec {
  return {
    name: graph.name,
    opset: { ...graph.opsets },
    irVersion: graph.irVersion,
    producer: graph.producer,
    inputs: graph.inputs.map((v) => ({ ...v })),
    outputs: graph.outputs.map((v) => ({ ...v })),
    initializers: [...graph.initializers.values()],
    nodes: graph.nodes.map((n: Node) => ({ ...n })),
  };
}

/** The metadata_props of ONNX model bytes (key → value; a later duplicate key wins). */
export function readMetadataProps(bytes: Uint8Array): Record<string, string> {
  const m = onnxType('ModelProto').decode(bytes) as unknown as { metadataProps?: { key: string; value: string }[] };
  return Object.fromEntries((m.metadataProps ?? []).map((e) => [e.key, e.value]));
}
