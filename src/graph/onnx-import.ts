/**
 * ONNX import: model bytes → IR (ir.ts), every refusal at load. Decoding goes through protobufjs (onnx-proto.ts);
 * everything it yields is checked here (data types, dims, data lengths, external data, opsets, op support) before
 * shape inference (shape-inference.ts) binds the input shapes and gives every value a shape.
 * Browser-safe: no node:* imports (the Node file helper is src/node/onnx-file.ts).
 */
import { OnnxLoadError } from './errors.ts';
import {
  BYTES_PER_ELEMENT, type Attribute, type DType, type Dim, type Graph, type Node, type Tensor, type TensorArray,
  type ValueInfo, allocate, dtypeFromCode, formatShape, fromRawData, onnxTypeName,
} from './ir.ts';
import { type Int64Like, int64ToBigInt, int64ToNumber, onnxType } from './onnx-proto.ts';
import { inferShapes, unsupportedNodes } from './shape-inference.ts';

/** Default-domain opsets this runtime reads. */
export const SUPPORTED_OPSETS = { min: 7, max: 21 } as const;

/** Largest tensor (elements) an initializer may declare; beyond this the bytes are surely corrupt for this runtime. */
const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

export interface ImportOptions {
  /** Sizes for the model inputs, by name: binds their symbolic dims (dim_param) and checks the fixed ones. */
  inputShapes?: Record<string, readonly number[]>;
  /**
   * Model inputs whose values are fixed at load: they become initializers (shapes, axes, weights that a model takes
   * as inputs, as ONNX's node tests do). Each must match the input's dtype and declared shape.
   */
  constantInputs?: Record<string, { dims: readonly number[]; data: Tensor['data'] }>;
}

// The decoded messages, as far as this file reads them (protobufjs fills absent fields with defaults).
export interface PTensor {
  dims: Int64Like[]; dataType: number; segment?: object | null; floatData: number[]; int32Data: number[];
  stringData: Uint8Array[]; int64Data: Int64Like[]; name: string; rawData: Uint8Array; externalData: { key: string; value: string }[];
  dataLocation: number; doubleData: number[]; uint64Data: Int64Like[];
}
interface PDim { dimValue?: Int64Like | null; dimParam?: string | null; value?: string }
interface PType {
  tensorType?: { elemType: number; shape?: { dim: PDim[] } | null } | null;
  sequenceType?: object | null; mapType?: object | null; optionalType?: object | null; sparseTensorType?: object | null;
}
interface PValueInfo { name: string; type?: PType | null }
interface PAttribute {
  name: string; type: number; f: number; i: Int64Like; s: Uint8Array; t?: PTensor | null; g?: object | null;
  floats: number[]; ints: Int64Like[]; strings: Uint8Array[]; tensors: PTensor[]; graphs: object[];
  sparseTensor?: object | null; sparseTensors: object[]; tp?: object | null; typeProtos: object[]; refAttrName: string;
}
interface PNode { input: string[]; output: string[]; name: string; opType: string; domain: string; attribute: PAttribute[] }
interface PGraph {
  node: PNode[]; name: string; initializer: PTensor[]; sparseInitializer: object[]; input: PValueInfo[];
  output: PValueInfo[]; valueInfo: PValueInfo[];
}
interface PModel {
  irVersion: Int64Like; opsetImport: { domain: string; version: Int64Like }[]; producerName: string; graph?: PGraph | null;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
/** UTF-8 text of a bytes field (protobufjs leaves an absent one as an empty array, not a Uint8Array). */
const text = (b: Uint8Array | unknown): string => (b instanceof Uint8Array ? utf8.decode(b) : '');

/** Decodes and checks an ONNX model, then infers every value's shape. Throws OnnxLoadError naming what failed. */
export function importOnnx(bytes: ArrayBuffer | Uint8Array, options: ImportOptions = {}): Graph {
  const graph = decodeOnnx(bytes);
  if (options.constantInputs) freezeInputs(graph, options.constantInputs);
  const unsupported = unsupportedNodes(graph);
  if (unsupported.length > 0) {
    throw new OnnxLoadError(
      `model uses ${unsupported.length} node(s) with unsupported ops: ` +
        unsupported.map((n) => `'${n.name}' (${n.domain ? `${n.domain}.` : ''}${n.opType})`).join(', '),
    );
  }
  sortNodes(graph);
  try {
    inferShapes(graph, options.inputShapes ?? {});
  } catch (e) {
    if (e instanceof OnnxLoadError) throw e;
    throw new OnnxLoadError(`shape inference failed: ${(e as Error).message}`, { cause: e });
  }
  return graph;
}

/**
 * ONNX asks for nodes in topological order, but some tools write them otherwise (ORT's float16 converter appends the
 * input Casts at the end): reorders such a graph, stably (each node as early as its inputs allow, ties in file order).
 * Nodes whose inputs nothing produces stay at the end, in file order, for shape inference to name.
 */
export function sortNodes(graph: Graph): void {
  const known = new Set<string>(['', ...graph.inputs.map((i) => i.name), ...graph.initializers.keys()]);
  const ready = (n: Graph['nodes'][number]) => n.inputs.every((i) => known.has(i));
  const produced = new Set<string>(known);
  let sorted = true;
  for (const n of graph.nodes) {
    if (!n.inputs.every((i) => produced.has(i))) sorted = false;
    for (const o of n.outputs) produced.add(o);
  }
  if (sorted) return;
  const pending = [...graph.nodes];
  const out: Graph['nodes'] = [];
  for (;;) {
    const k = pending.findIndex(ready);
    if (k < 0) break;
    const [n] = pending.splice(k, 1);
    out.push(n);
    for (const o of n.outputs) known.add(o);
  }
  graph.nodes = [...out, ...pending];
}

function freezeInputs(graph: Graph, given: NonNullable<ImportOptions['constantInputs']>): void {
  for (const [name, t] of Object.entries(given)) {
    const inp = graph.inputs.find((i) => i.name === name);
    if (!inp) throw new OnnxLoadError(`constantInputs names '${name}', which is not a model input (inputs: ${graph.inputs.map((i) => `'${i.name}'`).join(', ')})`);
    const dims = [...t.dims];
    const count = dims.reduce((a, b) => a * b, 1);
    if (!t.data || t.data.length !== count) throw new OnnxLoadError(`constantInputs['${name}']: ${t.data?.length} values for dims [${dims.join(', ')}] (${count})`);
    const want = allocate(inp.dtype, 0).constructor;
    if (t.data.constructor !== want) throw new OnnxLoadError(`constantInputs['${name}']: a ${t.data.constructor.name} for a ${inp.dtype} input (needs a ${want.name})`);
    if (inp.shape && (inp.shape.length !== dims.length || inp.shape.some((d, i) => typeof d === 'number' && d !== dims[i]))) {
      throw new OnnxLoadError(`constantInputs['${name}']: dims [${dims.join(', ')}] do not match the declared shape ${formatShape(inp.shape)}`);
    }
    graph.initializers.set(name, { name, dtype: inp.dtype, dims, data: t.data });
    graph.values.set(name, { name, dtype: inp.dtype, shape: dims });
    graph.inputs = graph.inputs.filter((i) => i.name !== name);
  }
}

/** Decodes and checks the bytes into an IR whose values carry only the shapes the file declares (no inference). */
export function decodeOnnx(bytes: ArrayBuffer | Uint8Array): Graph {
  let u8: Uint8Array;
  if (bytes instanceof Uint8Array) u8 = bytes;
  else if (bytes instanceof ArrayBuffer) u8 = new Uint8Array(bytes);
  else throw new OnnxLoadError(`model bytes: expected an ArrayBuffer or Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  if (u8.length === 0) throw new OnnxLoadError('model bytes: empty');
  let model: PModel;
  try {
    model = onnxType('ModelProto').decode(u8) as unknown as PModel;
  } catch (e) {
    throw new OnnxLoadError(`ONNX decode failed (truncated or not an ONNX model): ${(e as Error).message}`, { cause: e });
  }
  try {
    return convertModel(model);
  } catch (e) {
    if (e instanceof OnnxLoadError) throw e;
    throw new OnnxLoadError(`malformed ONNX model: ${(e as Error).message}`, { cause: e });
  }
}

function convertModel(m: PModel): Graph {
  const opsets: Record<string, number> = {};
  for (const o of m.opsetImport) {
    const domain = o.domain === 'ai.onnx' ? '' : o.domain;
    const v = int64ToNumber(o.version);
    if (domain in opsets && opsets[domain] !== v) {
      throw new OnnxLoadError(`opset_import lists domain '${domain || 'ai.onnx'}' twice (versions ${opsets[domain]} and ${v})`);
    }
    opsets[domain] = v;
  }
  if (!('' in opsets)) throw new OnnxLoadError('opset_import has no entry for the default domain (ai.onnx)');
  const v = opsets[''];
  if (!(v >= SUPPORTED_OPSETS.min && v <= SUPPORTED_OPSETS.max)) {
    throw new OnnxLoadError(`default-domain opset ${v} is not supported (supported: ${SUPPORTED_OPSETS.min}..${SUPPORTED_OPSETS.max})`);
  }
  const g = m.graph;
  if (!g) throw new OnnxLoadError('model has no graph');
  if (g.sparseInitializer.length > 0) throw new OnnxLoadError('sparse initializers are not supported');

  const initializers = new Map<string, Tensor>();
  for (const t of g.initializer) {
    const tensor = convertTensor(t, 'initializer');
    if (tensor.name === '') throw new OnnxLoadError('an initializer has no name');
    if (initializers.has(tensor.name)) throw new OnnxLoadError(`initializer '${tensor.name}' is defined twice`);
    initializers.set(tensor.name, tensor);
  }
  const values = new Map<string, ValueInfo>();
  for (const t of initializers.values()) values.set(t.name, { name: t.name, dtype: t.dtype, shape: [...t.dims] });

  const inputs: ValueInfo[] = [];
  for (const vi of g.input) {
    const info = convertValueInfo(vi, 'graph input');
    if (initializers.has(info.name)) continue; // an initializer listed as input (IR < 4 style): not a model input
    if (values.has(info.name)) throw new OnnxLoadError(`graph input '${info.name}' is listed twice`);
    inputs.push(info);
    values.set(info.name, info);
  }
  const outputs = g.output.map((vi) => convertValueInfo(vi, 'graph output'));
  const declared = new Map<string, ValueInfo>();
  for (const vi of g.valueInfo) {
    const info = convertValueInfo(vi, 'value_info');
    declared.set(info.name, info);
  }
  for (const o of outputs) declared.set(o.name, o);

  const names = new Set<string>();
  const nodes: Node[] = g.node.map((n, i) => {
    const node = convertNode(n, i);
    let name = node.name;
    for (let k = 2; names.has(name); k++) name = `${node.name}#${k}`;
    names.add(name);
    node.name = name;
    return node;
  });

  const graph: Graph = {
    name: g.name,
    irVersion: int64ToNumber(m.irVersion),
    opsets,
    producer: m.producerName,
    inputs,
    outputs,
    initializers,
    nodes,
    values,
    folded: new Map(),
    declared,
  };
  return graph;
}

function convertValueInfo(vi: PValueInfo, what: string): ValueInfo {
  const name = vi.name;
  if (!name) throw new OnnxLoadError(`a ${what} has no name`);
  const t = vi.type;
  if (!t) throw new OnnxLoadError(`${what} '${name}' has no type`);
  if (!t.tensorType) {
    const kind = t.sequenceType ? 'sequence' : t.mapType ? 'map' : t.optionalType ? 'optional' : t.sparseTensorType ? 'sparse tensor' : 'untyped';
    throw new OnnxLoadError(`${what} '${name}' is a ${kind} value; only dense tensors are supported`);
  }
  const code = t.tensorType.elemType;
  const dtype = dtypeFromCode(code);
  if (!dtype) throw new OnnxLoadError(`${what} '${name}' has element type ${onnxTypeName(code)}, which is not supported`);
  const sh = t.tensorType.shape;
  let shape: Dim[] | undefined;
  if (sh) {
    shape = sh.dim.map((d, i) => {
      if (d.dimParam) return d.dimParam;
      if (d.dimValue !== undefined && d.dimValue !== null && d.value !== 'dimParam') {
        const v = int64ToNumber(d.dimValue);
        if (!Number.isSafeInteger(v) || v < 0 || v > MAX_TENSOR_ELEMENTS) {
          throw new OnnxLoadError(`${what} '${name}': dim ${i} = ${v} is not a valid size`);
        }
        if (d.value === 'dimValue' || v > 0) return v;
      }
      return `${name}:${i}`; // a dim with neither value nor name: its own symbol
    });
  }
  return { name, dtype, shape };
}

/**
 * A decoded TensorProto as a Tensor (raw_data or the typed *_data fields, little-endian), checked: external data,
 * segments, unsupported types, bad dims and data lengths are OnnxLoadErrors naming `what` and the tensor's name.
 * Also reads `.pb` tensor files (src/graph/test-data.ts).
 */
export function convertTensor(t: PTensor, what: string): Tensor {
  const name = t.name;
  const label = name ? `${what} '${name}'` : what;
  if (t.dataLocation === 1 || t.externalData.length > 0) {
    const loc = t.externalData.find((e) => e.key === 'location')?.value;
    throw new OnnxLoadError(`${label} stores its data externally${loc ? ` (location '${loc}')` : ''}; external data is not supported`);
  }
  if (t.segment) throw new OnnxLoadError(`${label} is a segment of a larger tensor; segmented tensors are not supported`);
  const dtype = dtypeFromCode(t.dataType);
  if (!dtype) throw new OnnxLoadError(`${label} has data type ${onnxTypeName(t.dataType)}, which is not supported`);
  const dims = t.dims.map((d, i) => {
    const v = int64ToNumber(d);
    if (!Number.isSafeInteger(v) || v < 0 || v > MAX_TENSOR_ELEMENTS) throw new OnnxLoadError(`${label}: dim ${i} = ${v} is not a valid size`);
    return v;
  });
  let count = 1;
  for (const d of dims) {
    count *= d;
    if (count > MAX_TENSOR_ELEMENTS) throw new OnnxLoadError(`${label}: shape [${dims.join(', ')}] has more than ${MAX_TENSOR_ELEMENTS} elements`);
  }
  let data: TensorArray;
  const raw = t.rawData instanceof Uint8Array ? t.rawData : new Uint8Array(0);
  if (raw.length > 0) {
    const need = count * BYTES_PER_ELEMENT[dtype];
    if (raw.length !== need) {
      throw new OnnxLoadError(`${label}: raw_data has ${raw.length} bytes; ${dtype} [${dims.join(', ')}] needs ${need}`);
    }
    data = fromRawData(dtype, raw, count);
  } else {
    const [field, src] = typedField(t, dtype);
    if (src.length !== count) {
      throw new OnnxLoadError(`${label}: ${field} has ${src.length} values; [${dims.join(', ')}] needs ${count}` + (src.length === 0 ? ' (no data)' : ''));
    }
    data = allocate(dtype, count);
    if (data instanceof BigInt64Array) for (let i = 0; i < count; i++) data[i] = int64ToBigInt(src[i] as Int64Like);
    else if (data instanceof BigUint64Array) for (let i = 0; i < count; i++) data[i] = BigInt.asUintN(64, int64ToBigInt(src[i] as Int64Like));
    else if (dtype === 'uint32') for (let i = 0; i < count; i++) data[i] = Number(BigInt.asUintN(32, int64ToBigInt(src[i] as Int64Like)));
    else (data as Float32Array).set(src as number[]);
  }
  return { name, dtype, dims, data };
}

/** Which typed *_data field holds a dtype's values when raw_data is empty (onnx.proto's table). */
function typedField(t: PTensor, dtype: DType): [string, ArrayLike<number | Int64Like>] {
  switch (dtype) {
    case 'float32': return ['float_data', t.floatData];
    case 'float64': return ['double_data', t.doubleData];
    case 'int64': return ['int64_data', t.int64Data];
    case 'uint32': case 'uint64': return ['uint64_data', t.uint64Data];
    default: return ['int32_data', t.int32Data]; // int32, int16, int8, uint16, uint8, bool, float16/bfloat16 bits
  }
}

const ATTRIBUTE_KINDS: Record<number, Attribute['type'] | undefined> = {
  1: 'float', 2: 'int', 3: 'string', 4: 'tensor', 5: 'graph', 6: 'floats', 7: 'ints', 8: 'strings', 9: 'tensors',
  10: 'graphs', 11: 'sparse_tensor', 12: 'sparse_tensors', 13: 'type_proto', 14: 'type_protos',
};

function convertNode(n: PNode, index: number): Node {
  const name = n.name || `${n.opType || 'node'}_${index}`;
  if (!n.opType) throw new OnnxLoadError(`node ${index} ('${name}') has no op_type`);
  const attributes: Record<string, Attribute> = {};
  for (const a of n.attribute) {
    if (!a.name) throw new OnnxLoadError(`node '${name}' (${n.opType}): an attribute has no name`);
    if (a.refAttrName) throw new OnnxLoadError(`node '${name}' (${n.opType}): attribute '${a.name}' refers to a function attribute`);
    attributes[a.name] = convertAttribute(a, `node '${name}' (${n.opType}) attribute '${a.name}'`);
  }
  return {
    name,
    opType: n.opType,
    domain: n.domain === 'ai.onnx' ? '' : n.domain,
    inputs: [...n.input],
    outputs: [...n.output],
    attributes,
  };
}

function convertAttribute(a: PAttribute, label: string): Attribute {
  let kind = ATTRIBUTE_KINDS[a.type];
  if (a.type === 0) kind = guessKind(a); // IR < 3 files may leave the type unset
  if (!kind) throw new OnnxLoadError(`${label}: unknown attribute type ${a.type}`);
  switch (kind) {
    case 'float': return { type: 'float', value: a.f };
    case 'int': return { type: 'int', value: int64ToNumber(a.i) };
    case 'string': return { type: 'string', value: text(a.s) };
    case 'tensor':
      if (!a.t) throw new OnnxLoadError(`${label}: tensor attribute without a tensor`);
      return { type: 'tensor', value: convertTensor(a.t, label + ' tensor') };
    case 'floats': return { type: 'floats', value: [...a.floats] };
    case 'ints': return { type: 'ints', value: a.ints.map(int64ToNumber) };
    case 'strings': return { type: 'strings', value: a.strings.map(text) };
    case 'tensors': return { type: 'tensors', value: a.tensors.map((t) => convertTensor(t, label + ' tensor')) };
    default: return { type: kind };
  }
}

function guessKind(a: PAttribute): Attribute['type'] | undefined {
  if (a.floats.length) return 'floats';
  if (a.ints.length) return 'ints';
  if (a.strings.length) return 'strings';
  if (a.tensors.length) return 'tensors';
  if (a.graphs.length) return 'graphs';
  if (a.t) return 'tensor';
  if (a.g) return 'graph';
  if (a.s.length) return 'string';
  if (int64ToBigInt(a.i) !== 0n) return 'int';
  if (a.f !== 0) return 'float';
  return undefined;
}
