/**
 * Lowering of every non-convolution node to generated op kernels (src/kernels/ops/*): for one node with its operand
 * views (logical ONNX shape + element strides, any layout), the dispatches with their uniforms and bindings, or an
 * alias when the output is the input's storage unchanged. Attribute values it cannot run are refused here, at load,
 * with OnnxLoadError naming the node, the attribute, the value and the rule.
 *
 * Attributes that moved to inputs in later opsets (Clip min/max, Slice starts/ends/axes/steps, Split, Squeeze/Unsqueeze
 * axes, Pad pads, ReduceMean axes, Resize scales) are read from whichever the node carries. Softmax's meaning changed
 * at opset 13 (flatten from `axis` before; one axis since): that needs `ctx.opset` unless both meanings agree.
 */
import { generateConvTransposeKernel } from '../kernels/ops/conv-transpose.ts';
import { MAX_OP_RANK, type OperandKind, fieldValues, linearWork } from '../kernels/ops/common.ts';
import { generateCopyKernel, generateGatherKernel, generatePadKernel, type PadMode } from '../kernels/ops/data-movement.ts';
import { type ElementwiseOp, generateElementwiseKernel } from '../kernels/ops/elementwise.ts';
import { generateMatmulKernel, matmulBlocks, packMatmulB, type MatmulConfig } from '../kernels/ops/matmul.ts';
import { generatePoolKernel } from '../kernels/ops/pool.ts';
import { generateReduceKernel, generateSoftmaxKernel } from '../kernels/ops/reduce.ts';
import {
  RESIZE_COORDINATE_MODES, RESIZE_NEAREST_MODES, type ResizeCoordinateMode, type ResizeNearestMode, generateResizeKernel,
} from '../kernels/ops/resize.ts';
import type { KernelSource } from '../kernels/types.ts';
import { generateIntMatmulKernel } from '../kernels/ops/integer.ts';
import {
  byteConcatDispatch, byteMapDispatch, dequantizeLinearDispatch, generateByteConcatKernel, dynamicQuantizeDispatches, generateByteCopyKernel, generateDequantizeLinearKernel, generateDynamicQuantizeKernels,
  generateMaxPoolI8Kernel, generateQLinearAveragePoolKernel, generateQLinearBinaryKernel, generateQLinearGlobalAveragePoolKernel, generateQLinearLutKernel, generateQuantizeLinearKernel,
  maxPoolI8Dispatch, packAxisParams, qlinearAveragePoolDispatch, packLutTable, qlinearBinaryDispatch, qlinearGapDispatch, quantizeLinearDispatch, wordWork,
} from '../kernels/ops/quant.ts';
import { qlinearBinaryConstTable, qlinearRequantizeTable, qlinearSigmoidTable } from '../quant/qlinear-tables.ts';
import { requantParams } from '../quant/requant.ts';
import { OnnxLoadError } from './errors.ts';
import { type Attribute, type Node, type Tensor, elementCount, toNumbers } from './ir.ts';
import { layoutStrides, type LowerContext, type OpBinding, type OpDispatch, type OpLowering, type StridedTensor } from './runtime-types.ts';
import { windowOutput } from './shape-inference.ts';

/** What lowerOp reads beyond the contract: the default-domain opset (only Softmax needs it, and only sometimes). */
export interface OpLowerContext extends LowerContext {
  opset?: number;
  /** QLinearMatMul's requantization rounding (SessionOptions.requantRounding); default 'float64'. */
  requantRounding?: 'float32' | 'float64';
}

const F32_MAX = 3.4028234663852886e38;

const UNARY: Record<string, { op: ElementwiseOp; params: (a: Attrs) => number[] }> = {
  Relu: { op: 'relu', params: () => [] },
  LeakyRelu: { op: 'leakyrelu', params: (a) => [a.float('alpha', 0.01)] },
  Sigmoid: { op: 'sigmoid', params: () => [] },
  HardSigmoid: { op: 'hardsigmoid', params: (a) => [a.float('alpha', 0.2), a.float('beta', 0.5)] },
  HardSwish: { op: 'hardswish', params: () => [] },
  Elu: { op: 'elu', params: (a) => [a.float('alpha', 1)] },
  Tanh: { op: 'tanh', params: () => [] },
  Sqrt: { op: 'sqrt', params: () => [] },
};

const BINARY: Record<string, ElementwiseOp> = { Add: 'add', Sub: 'sub', Mul: 'mul', Div: 'div', Pow: 'pow', Max: 'max', Min: 'min', PRelu: 'prelu' };

const RESHAPES = ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Cast', 'Dropout'];

type Lowerer = (c: Lowering) => OpLowering;

const LOWERERS: Record<string, Lowerer> = {
  ...Object.fromEntries(Object.keys(UNARY).map((k) => [k, unary])),
  ...Object.fromEntries(Object.keys(BINARY).map((k) => [k, binary])),
  ...Object.fromEntries(RESHAPES.map((k) => [k, reshapeLike])),
  Cast: (c) => (c.dtypeOf(c.node.inputs[0]) === 'float32' ? reshapeLike(c) : castToFloat(c)),
  Clip: clip,
  BatchNormalization: batchNorm,
  MaxPool: (c) => byDtype(pool, maxPool8)(c),
  AveragePool: pool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  ReduceMean: reduceMean,
  Softmax: softmax,
  Concat: (c) => byDtype(concat, concat8)(c),
  Split: split,
  Slice: slice,
  Pad: pad,
  Resize: byDtype(resize, resize8),
  Transpose: (c) => byDtype(transpose, transpose8)(c),
  DepthToSpace: depthToSpace,
  Gather: gather,
  Gemm: gemm,
  MatMul: matmul,
  ConvTranspose: convTranspose,
  ConstantOfShape: constantOfShape,
  QLinearMatMul: intMatmul,
  MatMulInteger: intMatmul,
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  DynamicQuantizeLinear: dynamicQuantizeLinear,
};

/** The com.microsoft domain (ONNX Runtime's contrib ops). */
export const MS_DOMAIN = 'com.microsoft';

/** Op types (default domain) lowerOp handles. */
export const LOWERED_OPS: readonly string[] = Object.keys(LOWERERS).sort();

/** Ops that read or write integer (int8, uint8, int32) run-time values; every other op runs on float32 values only. */
export const INTEGER_OPS: ReadonlySet<string> = new Set([
  'QLinearMatMul', 'MatMulInteger', 'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'MaxPool', 'Concat', 'Transpose', 'Resize', 'Cast',
  'QLinearAdd', 'QLinearMul', 'QLinearSigmoid', 'QLinearGlobalAveragePool', 'QLinearAveragePool', 'QLinearConcat',
]);
/** Of INTEGER_OPS, those that take integer values only as int8/uint8 byte tensors (their float path is another lowerer). */
const BYTE_ONLY_OPS: ReadonlySet<string> = new Set(['MaxPool', 'Concat', 'Transpose', 'Resize']);
/** Ops that run on integer values as an alias of their input's (contiguous) storage. */
const INTEGER_ALIAS_OPS: ReadonlySet<string> = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);

/** The dispatches (or the alias) that compute one node. Throws OnnxLoadError for what it cannot run. */
export function lowerOp(ctx: OpLowerContext): OpLowering {
  const n = ctx.node;
  const table = n.domain === '' || n.domain === 'ai.onnx' ? LOWERERS : n.domain === MS_DOMAIN ? MS_LOWERERS : undefined;
  const f = table && Object.hasOwn(table, n.opType) ? table[n.opType] : undefined;
  if (!f) throw new OnnxLoadError(`node '${n.name}' (${n.opType}): no op kernel for ${n.domain ? `${n.domain}.` : ''}${n.opType}`);
  const c = new Lowering(ctx);
  const intValues = [...n.inputs, ...n.outputs].filter((v) => v && !ctx.constant(v) && (ctx.dtype?.(v) ?? 'float32') !== 'float32');
  if (intValues.length && !INTEGER_OPS.has(n.opType) && !INTEGER_ALIAS_OPS.has(n.opType)) {
    c.fail(`value '${intValues[0]}' is ${ctx.dtype!(intValues[0])} at run time; ${n.opType} runs on float32 values only`);
  }
  if (intValues.length && BYTE_ONLY_OPS.has(n.opType)) {
    const bad = intValues.find((v) => !isByteType(ctx.dtype!(v)!));
    if (bad) c.fail(`value '${bad}' is ${ctx.dtype!(bad)}; ${n.opType} runs on float32, int8 or uint8 values`);
  }
  if (ctx.outputs.length > 0 && ctx.outputs.every((o) => elementCount(o.shape) === 0)) return { dispatches: [] };
  let r: OpLowering;
  try {
    r = f(c);
  } catch (e) {
    if (e instanceof OnnxLoadError) throw e;
    return c.fail(`${(e as Error).message} (the op kernels take rank ≤ ${MAX_OP_RANK} after merging dims)`);
  }
  if (intValues.length && INTEGER_ALIAS_OPS.has(n.opType)) {
    const k = r.aliasOf;
    if (k === undefined) return c.fail(`value '${intValues[0]}' is ${ctx.dtype!(intValues[0])}: ${n.opType} of integer values runs only as an alias of contiguous storage`);
    const din = ctx.dtype!(n.inputs[k]);
    const dout = ctx.dtype!(n.outputs[0]);
    if (din !== dout) c.fail(`input '${n.inputs[k]}' is ${din}, output '${n.outputs[0]}' is ${dout}: ${n.opType} cannot change the dtype`);
  }
  return r;
}

/**
 * Copies a value into a view of another layout (e.g. contiguous → 'nhwc' before a convolution). The dispatch binds
 * the value names `names.input` and `names.output` (default 'input' and 'output').
 */
export function lowerRelayout(
  input: StridedTensor,
  output: StridedTensor,
  names: { input: string; output: string } = { input: 'input', output: 'output' },
  maxComputeWorkgroupsPerDimension = 65535,
): OpDispatch[] {
  if (input.shape.length !== output.shape.length || input.shape.some((d, i) => d !== output.shape[i])) {
    throw new Error(`lowerRelayout: shapes differ ([${input.shape.join(', ')}] → [${output.shape.join(', ')}])`);
  }
  return [copyDispatch({ value: names.input }, 'value', { ...input, base: 0 }, { ...output, base: 0 }, names.output, maxComputeWorkgroupsPerDimension)];
}

// ---- shared machinery ----

interface View extends StridedTensor {
  /** Element offset of the view's first element in its binding. */
  base: number;
}

interface Operand {
  binding: OpBinding;
  kind: OperandKind;
  view: View;
}

class Attrs {
  constructor(private readonly c: Lowering) {}
  private typed<T extends Attribute['type']>(name: string, type: T): Extract<Attribute, { type: T }> | undefined {
    const a = this.c.node.attributes[name];
    if (a === undefined) return undefined;
    if (a.type !== type) this.c.fail(`attribute '${name}' must be of type ${type}, got ${a.type}`);
    return a as Extract<Attribute, { type: T }>;
  }
  int(name: string, def: number): number { return this.typed(name, 'int')?.value ?? def; }
  float(name: string, def: number): number { return this.typed(name, 'float')?.value ?? def; }
  str(name: string, def: string): string { return this.typed(name, 'string')?.value ?? def; }
  ints(name: string): number[] | undefined { return this.typed(name, 'ints')?.value; }
  has(name: string): boolean { return this.c.node.attributes[name] !== undefined; }
}

class Lowering {
  readonly node: Node;
  readonly attrs: Attrs;
  readonly maxPerDim: number;
  constructor(readonly ctx: OpLowerContext) {
    this.node = ctx.node;
    this.attrs = new Attrs(this);
    this.maxPerDim = ctx.limits.maxComputeWorkgroupsPerDimension;
  }
  fail(msg: string): never {
    throw new OnnxLoadError(`node '${this.node.name}' (${this.node.opType}): ${msg}`);
  }
  has(i: number): boolean {
    return i < this.node.inputs.length && this.node.inputs[i] !== '';
  }
  constTensor(i: number): Tensor | undefined {
    return this.has(i) ? this.ctx.constant(this.node.inputs[i]) : undefined;
  }
  /** Input i's values, which must be known at load. */
  constInput(i: number, what: string): number[] {
    const t = this.constTensor(i);
    if (!t) this.fail(`${what} (input ${i}, '${this.node.inputs[i]}') must be known at load (an initializer or computable from shapes)`);
    return toNumbers(t);
  }
  inputView(i: number): StridedTensor {
    const v = this.ctx.inputs[i];
    if (v) return v;
    const t = this.constTensor(i);
    if (t) return { shape: [...t.dims], strides: layoutStrides(t.dims, 'contiguous') };
    return this.fail(`input ${i} is required`);
  }
  /** Input i as a kernel operand: its constant data (uploaded) or its arena value. */
  operand(i: number): Operand {
    if (!this.has(i)) this.fail(`input ${i} is required`);
    const name = this.node.inputs[i];
    const t = this.ctx.constant(name);
    if (t) {
      if (t.dtype === 'float16' || t.dtype === 'bfloat16') this.fail(`input ${i} ('${name}') is ${t.dtype}; the runtime computes in float32`);
      const data = t.data instanceof Float32Array ? t.data : Float32Array.from(toNumbers(t));
      return { binding: { constant: data, label: name }, kind: 'constant', view: { shape: [...t.dims], strides: layoutStrides(t.dims, 'contiguous'), base: 0 } };
    }
    const v = this.ctx.inputs[i];
    if (!v) this.fail(`input ${i} ('${name}') has no view`);
    return { binding: { value: name }, kind: 'value', view: { ...v, base: 0 } };
  }
  /** Input i as a byte-tensor operand (int8/uint8): a run-time value, or its constant bytes packed 4 per word. */
  byteOperand(i: number, what: string): Operand & { dtype: 'int8' | 'uint8' } {
    if (!this.has(i)) this.fail(`${what} (input ${i}) is required`);
    const name = this.node.inputs[i];
    const t = this.ctx.constant(name);
    const dtype = t ? t.dtype : (this.ctx.dtype?.(name) ?? 'float32');
    if (dtype !== 'int8' && dtype !== 'uint8') this.fail(`${what} (input ${i}, '${name}') is ${dtype}; it must be int8 or uint8`);
    if (t) return { binding: { constant: packBytes(toNumbers(t)), label: name }, kind: 'constant', view: { shape: [...t.dims], strides: layoutStrides(t.dims, 'contiguous'), base: 0 }, dtype };
    const v = this.ctx.inputs[i];
    if (!v) this.fail(`input ${i} ('${name}') has no view`);
    return { binding: { value: name }, kind: 'value', view: { ...v, base: 0 }, dtype };
  }
  /** The dtype of input i (constant or run-time value). */
  dtypeOf(name: string): string {
    return this.ctx.constant(name)?.dtype ?? this.ctx.dtype?.(name) ?? 'float32';
  }
  out(k = 0): View {
    const o = this.ctx.outputs[k];
    if (!o) this.fail(`output ${k} has no view`);
    return { ...o, base: 0 };
  }
  outName(k = 0): string {
    return this.node.outputs[k];
  }
  axis(a: number, rank: number, what = 'axis'): number {
    if (!Number.isInteger(a) || a < -rank || a >= rank) this.fail(`${what} ${a} is out of range for rank ${rank}`);
    return a < 0 ? a + rank : a;
  }
  work(total: number): ReturnType<typeof linearWork> {
    try {
      return linearWork(total, this.maxPerDim);
    } catch (e) {
      return this.fail((e as Error).message);
    }
  }
}

/** Integers (each in a byte's range) as bytes packed 4 per u32 word, little-endian; at least one word. */
export function packBytes(data: ArrayLike<number>): Uint32Array {
  const words = new Uint32Array(Math.max(1, Math.ceil(data.length / 4)));
  const bytes = new Uint8Array(words.buffer);
  for (let i = 0; i < data.length; i++) bytes[i] = data[i] & 0xff;
  return words;
}

function isContiguous(v: StridedTensor): boolean {
  const s = layoutStrides(v.shape, 'contiguous');
  return v.shape.every((d, i) => d === 1 || v.strides[i] === s[i]);
}

/** Strides of `v` read as a tensor of `shape` under numpy broadcasting (right-aligned; size-1 dims get stride 0). */
function broadcastStrides(c: Lowering, v: StridedTensor, shape: readonly number[], what: string): number[] {
  const off = shape.length - v.shape.length;
  if (off < 0) c.fail(`${what} [${v.shape.join(', ')}] has a higher rank than the output [${shape.join(', ')}]`);
  return shape.map((d, i) => {
    const a = i - off;
    if (a < 0) return 0;
    const vd = v.shape[a];
    if (vd === d) return vd === 1 ? 0 : v.strides[a];
    if (vd === 1) return 0;
    return c.fail(`${what} [${v.shape.join(', ')}] does not broadcast to [${shape.join(', ')}]`);
  });
}

function dispatch(kernel: KernelSource, uniforms: Record<string, number>, buffers: Record<string, OpBinding>, workgroups: [number, number, number]): OpDispatch {
  return { kernel, uniforms, buffers, workgroups };
}

/**
 * Merges dims that every view walks as one: size-1 dims go, and d, d + 1 merge when each view has
 * stride[d] = stride[d + 1] · shape[d + 1]. Fewer dims: fewer divisions per element, and ranks above 6 that collapse run.
 */
export function collapseDims(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const keep = shape.map((_, d) => d).filter((d) => shape[d] !== 1);
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (const d of keep) {
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[d] * shape[d])) {
      outShape[last] *= shape[d];
      strides.forEach((s, k) => (outStrides[k][last] = s[d]));
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/** Elements per invocation of the elementwise fast path. */
export const EW_PER_THREAD = 4;

function elementwise(c: Lowering, op: ElementwiseOp, operandsIn: { binding: OpBinding; kind: OperandKind; strides: number[]; base: number }[], outIn: View, outName: string, params: number[] = []): OpDispatch {
  const merged = collapseDims(outIn.shape, [outIn.strides, ...operandsIn.map((o) => o.strides)]);
  const out: View = { shape: merged.shape, strides: merged.strides[0], base: outIn.base };
  const operands = operandsIn.map((o, k) => ({ ...o, strides: merged.strides[k + 1] }));
  const r = out.shape.length;
  // The same arena value twice (Add(x, x)) is one binding: two writable bindings of one range may not alias.
  const sources = operands.map((o, k) => {
    const j = 'value' in o.binding ? operands.findIndex((p) => 'value' in p.binding && p.binding.value === (o.binding as { value: string }).value) : k;
    return j;
  });
  // Fast path: a flat run (rank ≤ 1) or rows with a per-row operand (per-channel broadcasts: [C, H·W], [N, C, H·W]),
  // several elements of the last dim per invocation; deeper or narrow views keep one element per invocation.
  const last = out.shape[r - 1] ?? 1;
  // vec4 form: the output and each operand walk the last dim with stride 1 from vec4-aligned rows, or broadcast it.
  const aligned = (v: { strides: number[]; base: number }) => v.strides[r - 1] === 1 && v.base % 4 === 0 && v.strides.every((st, d) => d === r - 1 || st % 4 === 0);
  const vec4 = r >= 1 && r <= 3 && last % 4 === 0 && aligned(out) && operands.every((o) => aligned(o) || o.strides[r - 1] === 0)
    ? operands.map((o) => o.strides[r - 1] !== 0) : undefined;
  const useVec4 = vec4 !== undefined && vec4.every((v, k) => v === vec4[sources[k]]);
  const perThread = !useVec4 && r >= 1 && r <= 3 && last >= EW_PER_THREAD ? EW_PER_THREAD : 1;
  const kernel = generateElementwiseKernel({ op, inputs: operands.map((o) => o.kind), rank: r, sources, perThread, vec4: useVec4 ? vec4 : undefined });
  const chunks = Math.ceil(last / (useVec4 ? 4 : perThread));
  const w = c.work(perThread > 1 || useVec4 ? (elementCount(out.shape) / last) * chunks : elementCount(out.shape));
  const q = (v: number, isVec: boolean, d = -1) => (isVec && d !== r - 1 ? v / 4 : v);
  const u: Record<string, number> = { ...w.uniforms, ...fieldValues('os', out.shape), ...fieldValues('ost', out.strides.map((st, d) => q(st, useVec4, d))), obase: q(out.base, useVec4) };
  if (perThread > 1 || useVec4) u.chunks = chunks;
  const buffers: Record<string, OpBinding> = { out: { value: outName } };
  operands.forEach((o, k) => {
    const isVec = useVec4 && vec4![k];
    Object.assign(u, fieldValues(`i${k}st`, o.strides.map((st, d) => q(st, isVec, d))), { [`i${k}base`]: q(o.base, isVec) });
    if (sources[k] === k) buffers[`in${k}`] = o.binding;
  });
  params.forEach((p, k) => (u[`p${k}`] = p));
  return dispatch(kernel, u, buffers, w.workgroups);
}

function copyDispatch(src: OpBinding, kind: OperandKind, inputIn: View, outputIn: View, outName: string, maxPerDim: number): OpDispatch {
  let input = inputIn;
  let output = outputIn;
  const sameShape = input.shape.length === output.shape.length && input.shape.every((d, i) => d === output.shape[i]);
  if (sameShape) {
    const m = collapseDims(output.shape, [output.strides, input.strides]);
    output = { shape: m.shape, strides: m.strides[0], base: output.base };
    input = { shape: m.shape, strides: m.strides[1], base: input.base };
  } else {
    const mi = collapseDims(input.shape, [input.strides]);
    const mo = collapseDims(output.shape, [output.strides]);
    input = { shape: mi.shape, strides: mi.strides[0], base: input.base };
    output = { shape: mo.shape, strides: mo.strides[0], base: output.base };
  }
  const same = input.shape.length === output.shape.length && input.shape.every((d, i) => d === output.shape[i]);
  const total = elementCount(output.shape);
  if (elementCount(input.shape) !== total) throw new Error(`copy: ${elementCount(input.shape)} elements into ${total}`);
  const kernel = generateCopyKernel({ rank: output.shape.length, inRank: same ? undefined : input.shape.length, input: kind });
  const w = linearWork(total, maxPerDim);
  const u: Record<string, number> = {
    ...w.uniforms, ...fieldValues('os', output.shape), ...fieldValues('ost', output.strides), obase: output.base,
    ...(same ? {} : fieldValues('is', input.shape)), ...fieldValues('ist', input.strides), ibase: input.base,
  };
  return dispatch(kernel, u, { src, out: { value: outName } }, w.workgroups);
}

function constScalar(c: Lowering, i: number, what: string): number | undefined {
  if (!c.has(i)) return undefined;
  const v = c.constTensor(i);
  if (!v) return undefined;
  const n = toNumbers(v);
  if (n.length !== 1) c.fail(`${what} must be a scalar, got ${n.length} elements`);
  return n[0];
}

// ---- ops ----

function unary(c: Lowering): OpLowering {
  const u = UNARY[c.node.opType];
  const x = c.operand(0);
  const out = c.out();
  return { dispatches: [elementwise(c, u.op, [{ ...x, strides: broadcastStrides(c, x.view, out.shape, 'X'), base: 0 }], out, c.outName(), u.params(c.attrs))] };
}

function binary(c: Lowering): OpLowering {
  const op = BINARY[c.node.opType];
  const n = c.node.inputs.length;
  if (n > 7) c.fail(`${n} inputs; the op kernel takes at most 7 (storage bindings per stage)`);
  const out = c.out();
  const operands = c.node.inputs.map((_, i) => {
    const o = c.operand(i);
    return { ...o, strides: broadcastStrides(c, o.view, out.shape, `input ${i}`), base: 0 };
  });
  return { dispatches: [elementwise(c, op, operands, out, c.outName())] };
}

function clip(c: Lowering): OpLowering {
  const out = c.out();
  const x = c.operand(0);
  const xo = { ...x, strides: broadcastStrides(c, x.view, out.shape, 'X'), base: 0 };
  let lo = -F32_MAX;
  let hi = F32_MAX;
  if (c.node.inputs.length > 1) {
    const runtime = [1, 2].filter((i) => c.has(i) && !c.constTensor(i));
    if (runtime.length) {
      const bound = (i: number, def: number) => {
        if (c.has(i)) {
          const o = c.operand(i);
          return { ...o, strides: broadcastStrides(c, o.view, out.shape, `input ${i}`), base: 0 };
        }
        return { binding: { constant: new Float32Array([def]), label: `${c.node.name}:${i === 1 ? 'min' : 'max'}` } as OpBinding, kind: 'constant' as const, strides: out.shape.map(() => 0), base: 0 };
      };
      return { dispatches: [elementwise(c, 'clip3', [xo, bound(1, -F32_MAX), bound(2, F32_MAX)], out, c.outName())] };
    }
    lo = constScalar(c, 1, 'min') ?? lo;
    hi = constScalar(c, 2, 'max') ?? hi;
  } else {
    lo = c.attrs.float('min', lo);
    hi = c.attrs.float('max', hi);
  }
  const f = (v: number) => Math.max(-F32_MAX, Math.min(F32_MAX, v));
  return { dispatches: [elementwise(c, 'clip', [xo], out, c.outName(), [f(lo), f(hi)])] };
}

function reshapeLike(c: Lowering): OpLowering {
  const op = c.node.opType;
  if (op === 'Cast') {
    const to = c.attrs.int('to', -1);
    if (to !== 1) c.fail(`attribute 'to' = ${to}: only casts to float (1) run (every runtime value is float32)`);
  }
  if (op === 'Dropout') {
    if (c.node.outputs.length > 1 && c.node.outputs[1] !== '') c.fail(`the mask output is not supported (inference runs Dropout as Identity)`);
  }
  const out = c.out();
  const x = c.operand(0);
  if (x.kind === 'value') {
    if (isContiguous(x.view) && isContiguous(out)) return { dispatches: [], aliasOf: 0 };
    const sameView = x.view.shape.length === out.shape.length && x.view.shape.every((d, i) => d === out.shape[i] && (d === 1 || x.view.strides[i] === out.strides[i]));
    if (sameView) return { dispatches: [], aliasOf: 0 };
  }
  return { dispatches: [copyDispatch(x.binding, x.kind, x.view, out, c.outName(), c.maxPerDim)] };
}

function batchNorm(c: Lowering): OpLowering {
  if (c.attrs.int('training_mode', 0) !== 0) c.fail(`attribute 'training_mode' = 1: only inference is supported`);
  if (c.attrs.int('spatial', 1) !== 1) c.fail(`attribute 'spatial' = 0 is not supported`);
  if (c.node.outputs.filter((o) => o !== '').length > 1) c.fail('only the output Y is supported (inference)');
  const eps = c.attrs.float('epsilon', 1e-5);
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => c.constInput(i, ['scale', 'B', 'mean', 'var'][i - 1]));
  const ch = scale.length;
  const a = new Float32Array(ch);
  const b = new Float32Array(ch);
  for (let k = 0; k < ch; k++) {
    a[k] = scale[k] / Math.sqrt(variance[k] + eps);
    b[k] = bias[k] - mean[k] * a[k];
  }
  const out = c.out();
  const x = c.operand(0);
  const chStrides = out.shape.map((_, d) => (d === 1 ? 1 : 0));
  return {
    dispatches: [elementwise(c, 'affine', [
      { ...x, strides: broadcastStrides(c, x.view, out.shape, 'X'), base: 0 },
      { binding: { constant: a, label: `${c.node.name}:scale` }, kind: 'constant', strides: chStrides, base: 0 },
      { binding: { constant: b, label: `${c.node.name}:shift` }, kind: 'constant', strides: chStrides, base: 0 },
    ], out, c.outName())],
  };
}

/** A rank-3 [N, C, W] view as rank 4 [N, C, 1, W]; rank 4 unchanged; other ranks refused. */
function as4d(c: Lowering, v: StridedTensor, what: string): StridedTensor {
  if (v.shape.length === 4) return v;
  if (v.shape.length === 3) return { shape: [v.shape[0], v.shape[1], 1, v.shape[2]], strides: [v.strides[0], v.strides[1], 0, v.strides[2]] };
  return c.fail(`${what} has rank ${v.shape.length}; this op runs on 1 or 2 spatial dims (rank 3 or 4)`);
}

function pool(c: Lowering): OpLowering {
  const isMax = c.node.opType === 'MaxPool';
  if (isMax && c.node.outputs.length > 1 && c.node.outputs[1] !== '') c.fail('the Indices output is not supported');
  if (isMax && c.attrs.int('storage_order', 0) !== 0) c.fail(`attribute 'storage_order' = ${c.attrs.int('storage_order', 0)}: only 0 (row major) is supported`);
  const xv = c.inputView(0);
  const sp = xv.shape.length - 2;
  const kernel = c.attrs.ints('kernel_shape') ?? c.fail(`attribute 'kernel_shape' is required`);
  const strides = c.attrs.ints('strides') ?? new Array<number>(sp).fill(1);
  const dilations = c.attrs.ints('dilations') ?? new Array<number>(sp).fill(1);
  const autoPad = c.attrs.str('auto_pad', 'NOTSET');
  const ceil = c.attrs.int('ceil_mode', 0) === 1;
  const { pads } = windowOutput(xv.shape.slice(2), { kernel, strides, dilations, pads: c.attrs.ints('pads') ?? new Array<number>(2 * sp).fill(0), autoPad }, ceil);
  const x = c.operand(0);
  if (x.kind !== 'value') c.fail('X must be a runtime value');
  const xi = as4d(c, x.view, 'X');
  const out = as4d(c, c.out(), 'Y');
  const g = sp === 1
    ? { kh: 1, kw: kernel[0], sh: 1, sw: strides[0], dh: 1, dw: dilations[0], pt: 0, pl: pads[0], pbot: 0, pr: pads[1] }
    : { kh: kernel[0], kw: kernel[1], sh: strides[0], sw: strides[1], dh: dilations[0], dw: dilations[1], pt: pads[0], pl: pads[1], pbot: pads[2], pr: pads[3] };
  const cip = !isMax && c.attrs.int('count_include_pad', 0) === 1;
  const k = generatePoolKernel({ kind: isMax ? 'max' : 'avg', countIncludePad: cip });
  const w = c.work(elementCount(out.shape));
  const u = { ...w.uniforms, ...fieldValues('os', out.shape), ...fieldValues('ost', out.strides), ...fieldValues('ist', xi.strides), ih: xi.shape[2], iw: xi.shape[3], ...g };
  return { dispatches: [dispatch(k, u, { src: x.binding, out: { value: c.outName() } }, w.workgroups)] };
}

/** Reduction of `x` over `axes` into `out` (kept dims in order; with keepdims the reduced dims are 1 in out). */
function reduceDispatch(c: Lowering, op: 'mean' | 'max' | 'sum', axes: number[], keepdims: boolean): OpDispatch {
  const x = c.operand(0);
  const out = c.out();
  const r = x.view.shape.length;
  const kept = Array.from({ length: r }, (_, d) => d).filter((d) => !axes.includes(d));
  const oShape = kept.map((d) => x.view.shape[d]);
  const oStrides = kept.map((d, j) => out.strides[keepdims ? d : j]);
  const rShape = axes.map((d) => x.view.shape[d]);
  const kernel = generateReduceKernel({ op, outRank: kept.length, redRank: axes.length });
  const w = c.work(elementCount(oShape));
  const u = {
    ...w.uniforms, ...fieldValues('os', oShape), ...fieldValues('ost', oStrides), obase: 0, ...fieldValues('ist', kept.map((d) => x.view.strides[d])), ibase: 0,
    ...fieldValues('rs', rShape), ...fieldValues('rst', axes.map((d) => x.view.strides[d])), rcount: elementCount(rShape),
  };
  return dispatch(kernel, u, { src: x.binding, out: { value: c.outName() } }, w.workgroups);
}

function globalPool(c: Lowering): OpLowering {
  const r = c.inputView(0).shape.length;
  const axes = Array.from({ length: r - 2 }, (_, i) => i + 2);
  return { dispatches: [reduceDispatch(c, c.node.opType === 'GlobalMaxPool' ? 'max' : 'mean', axes, true)] };
}

function reduceMean(c: Lowering): OpLowering {
  const r = c.inputView(0).shape.length;
  const keep = c.attrs.int('keepdims', 1) === 1;
  const raw = c.attrs.has('axes') ? c.attrs.ints('axes') : c.has(1) ? c.constInput(1, 'axes') : undefined;
  const noop = c.attrs.int('noop_with_empty_axes', 0) === 1;
  if (!raw || raw.length === 0) {
    if (noop) return reshapeLike(c);
  }
  const axes = raw && raw.length ? [...new Set(raw.map((a) => c.axis(a, r, 'axes entry')))].sort((a, b) => a - b) : Array.from({ length: r }, (_, i) => i);
  return { dispatches: [reduceDispatch(c, 'mean', axes, keep)] };
}

function softmax(c: Lowering): OpLowering {
  const xv = c.inputView(0);
  const r = xv.shape.length;
  const opset = c.ctx.opset;
  const axis = c.axis(c.attrs.int('axis', opset === undefined ? (c.attrs.has('axis') ? 0 : r - 1) : opset >= 13 ? -1 : 1), r);
  if (opset === undefined) {
    if (!c.attrs.has('axis') && r > 1) c.fail(`the default axis depends on the opset (1 before 13, -1 since); the lowering was not given the opset`);
    if (xv.shape.slice(axis + 1).some((d) => d !== 1)) c.fail(`axis ${axis} is not the last non-trivial dim, and its meaning depends on the opset (flatten before 13); the lowering was not given the opset`);
  }
  const red = opset !== undefined && opset < 13 ? Array.from({ length: r - axis }, (_, i) => axis + i) : [axis];
  const rows = Array.from({ length: r }, (_, d) => d).filter((d) => !red.includes(d));
  const x = c.operand(0);
  const out = c.out();
  const kernel = generateSoftmaxKernel({ outRank: rows.length, redRank: red.length });
  const oShape = rows.map((d) => xv.shape[d]);
  const w = c.work(elementCount(oShape));
  const rShape = red.map((d) => xv.shape[d]);
  const u = {
    ...w.uniforms, ...fieldValues('os', oShape), ...fieldValues('ost', rows.map((d) => out.strides[d])), ...fieldValues('ist', rows.map((d) => x.view.strides[d])),
    ...fieldValues('rs', rShape), ...fieldValues('rst', red.map((d) => x.view.strides[d])), ...fieldValues('rost', red.map((d) => out.strides[d])), rcount: elementCount(rShape),
  };
  return { dispatches: [dispatch(kernel, u, { src: x.binding, out: { value: c.outName() } }, w.workgroups)] };
}

function concat(c: Lowering): OpLowering {
  const out = c.out();
  const r = out.shape.length;
  const axis = c.axis(c.attrs.int('axis', 0), r);
  const dispatches: OpDispatch[] = [];
  let at = 0;
  c.node.inputs.forEach((_, i) => {
    const x = c.operand(i);
    const len = x.view.shape[axis];
    if (len > 0 && elementCount(x.view.shape) > 0) {
      const sub: View = { shape: [...x.view.shape], strides: out.strides, base: at * out.strides[axis] };
      dispatches.push(copyDispatch(x.binding, x.kind, x.view, sub, c.outName(), c.maxPerDim));
    }
    at += len;
  });
  return { dispatches };
}

function split(c: Lowering): OpLowering {
  const x = c.operand(0);
  const r = x.view.shape.length;
  const axis = c.axis(c.attrs.int('axis', 0), r);
  const dispatches: OpDispatch[] = [];
  let at = 0;
  c.node.outputs.forEach((name, k) => {
    const out = c.out(k);
    const len = out.shape[axis];
    if (name !== '' && elementCount(out.shape) > 0) {
      const sub: View = { shape: [...out.shape], strides: x.view.strides, base: at * x.view.strides[axis] };
      dispatches.push(copyDispatch(x.binding, x.kind, sub, out, name, c.maxPerDim));
    }
    at += len;
  });
  return { dispatches };
}

function slice(c: Lowering): OpLowering {
  const x = c.operand(0);
  const r = x.view.shape.length;
  let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
  if (c.attrs.has('starts')) {
    starts = c.attrs.ints('starts')!;
    ends = c.attrs.ints('ends') ?? c.fail(`attribute 'ends' is required`);
    axes = c.attrs.ints('axes');
  } else {
    starts = c.constInput(1, 'starts');
    ends = c.constInput(2, 'ends');
    axes = c.has(3) ? c.constInput(3, 'axes') : undefined;
    steps = c.has(4) ? c.constInput(4, 'steps') : undefined;
  }
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => c.axis(a, r, 'axes entry'));
  const strides = [...x.view.strides];
  let base = 0;
  ax.forEach((a, i) => {
    const dim = x.view.shape[a];
    const s = steps ? steps[i] : 1;
    if (s === 0 || !Number.isFinite(s)) c.fail(`steps[${i}] must be a nonzero integer`);
    let b = starts[i] < 0 ? starts[i] + dim : starts[i];
    b = s > 0 ? Math.min(Math.max(b, 0), dim) : Math.min(Math.max(b, 0), dim - 1);
    base += b * x.view.strides[a];
    strides[a] = x.view.strides[a] * s;
  });
  const out = c.out();
  if (elementCount(out.shape) === 0) return { dispatches: [] };
  return { dispatches: [copyDispatch(x.binding, x.kind, { shape: out.shape, strides, base }, out, c.outName(), c.maxPerDim)] };
}

function transpose(c: Lowering): OpLowering {
  const x = c.operand(0);
  const r = x.view.shape.length;
  const perm = c.attrs.ints('perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  const out = c.out();
  return { dispatches: [copyDispatch(x.binding, x.kind, { shape: out.shape, strides: perm.map((p) => x.view.strides[p]), base: 0 }, out, c.outName(), c.maxPerDim)] };
}

/**
 * DepthToSpace as one strided copy: the output [N, C, H·b, W·b] is read as the 6-D view [N, C, H, b, W, b] (i, j the
 * in-block row and column), and each of its elements comes from input channel c·b² + i·b + j (CRD) or (i·b + j)·C + c
 * (DCR, the default).
 */
function depthToSpace(c: Lowering): OpLowering {
  const x = c.operand(0);
  const b = c.attrs.int('blocksize', 0);
  const mode = c.attrs.str('mode', 'DCR');
  if (!(Number.isInteger(b) && b >= 1)) c.fail(`attribute 'blocksize' = ${b} must be an integer ≥ 1`);
  if (mode !== 'DCR' && mode !== 'CRD') c.fail(`attribute 'mode' = '${mode}' is not DCR or CRD`);
  if (x.view.shape.length !== 4) c.fail(`X must have rank 4, got rank ${x.view.shape.length}`);
  const out = c.out();
  const [n, ch, h, w] = out.shape;
  const [on, oc, oh, ow] = out.strides;
  const [xn, xc, xh, xw] = x.view.strides;
  const shape = [n, ch, h / b, b, w / b, b];
  const outView: View = { shape, strides: [on, oc, oh * b, oh, ow * b, ow], base: 0 };
  const inStrides = mode === 'CRD' ? [xn, xc * b * b, xh, xc * b, xw, xc] : [xn, xc, xh, xc * b * ch, xw, xc * ch];
  return { dispatches: [copyDispatch(x.binding, x.kind, { shape, strides: inStrides, base: 0 }, outView, c.outName(), c.maxPerDim)] };
}

function pad(c: Lowering): OpLowering {
  const mode = c.attrs.str('mode', 'constant');
  if (!['constant', 'reflect', 'edge', 'wrap'].includes(mode)) c.fail(`attribute 'mode' = '${mode}' is not one of constant, reflect, edge, wrap`);
  const x = c.operand(0);
  const r = x.view.shape.length;
  const pads = c.attrs.ints('pads') ?? c.attrs.ints('paddings') ?? c.constInput(1, 'pads');
  let value = c.attrs.float('value', 0);
  if (c.has(2)) value = constScalar(c, 2, 'constant_value') ?? c.fail(`constant_value (input 2) must be known at load`);
  let axes = Array.from({ length: r }, (_, i) => i);
  if (c.has(3)) axes = c.constInput(3, 'axes').map((a) => c.axis(a, r, 'axes entry'));
  if (pads.length !== 2 * axes.length) c.fail(`pads [${pads.join(', ')}] must have ${2 * axes.length} entries`);
  const begin = new Array<number>(r).fill(0);
  axes.forEach((a, i) => {
    begin[a] = pads[i];
    if (mode === 'reflect' || mode === 'wrap') {
      const lim = mode === 'reflect' ? x.view.shape[a] - 1 : x.view.shape[a];
      if (Math.max(pads[i], pads[i + axes.length]) > lim) c.fail(`pads [${pads.join(', ')}]: ${mode} pads of dim ${a} (size ${x.view.shape[a]}) must be ≤ ${lim}`);
    }
    if (mode !== 'constant' && x.view.shape[a] === 0) c.fail(`mode '${mode}' cannot pad the empty dim ${a}`);
  });
  const out = c.out();
  const kernel = generatePadKernel({ rank: r, mode: mode as PadMode, input: x.kind });
  const w = c.work(elementCount(out.shape));
  const u: Record<string, number> = {
    ...w.uniforms, ...fieldValues('os', out.shape), ...fieldValues('ost', out.strides), obase: 0,
    ...fieldValues('is', x.view.shape), ...fieldValues('ist', x.view.strides), ibase: 0, ...fieldValues('pb', begin),
  };
  if (mode === 'constant') u.value = Math.max(-F32_MAX, Math.min(F32_MAX, value));
  return { dispatches: [dispatch(kernel, u, { src: x.binding, out: { value: c.outName() } }, w.workgroups)] };
}

function resize(c: Lowering): OpLowering {
  return resizeAs(c, false);
}

/** Resize of 8-bit values (nearest only: raw bytes are selected, never blended), the output contiguous words. */
function resize8(c: Lowering): OpLowering {
  return resizeAs(c, true);
}

function resizeAs(c: Lowering, bytes: boolean): OpLowering {
  const xv = c.inputView(0);
  const r = xv.shape.length;
  const legacy = c.node.inputs.length === 2;
  const mode = c.attrs.str('mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear') c.fail(`attribute 'mode' = '${mode}': only nearest and linear are supported`);
  const coord = legacy ? 'asymmetric' : c.attrs.str('coordinate_transformation_mode', 'half_pixel');
  if (!(RESIZE_COORDINATE_MODES as readonly string[]).includes(coord)) c.fail(`attribute 'coordinate_transformation_mode' = '${coord}' is not one of ${RESIZE_COORDINATE_MODES.join(', ')}`);
  const nearest = legacy ? 'simple' : c.attrs.str('nearest_mode', 'round_prefer_floor');
  if (mode === 'nearest' && !(RESIZE_NEAREST_MODES as readonly string[]).includes(nearest)) c.fail(`attribute 'nearest_mode' = '${nearest}' is not one of ${RESIZE_NEAREST_MODES.slice(0, 4).join(', ')}`);
  if (c.attrs.int('antialias', 0) !== 0) c.fail(`attribute 'antialias' = 1 is not supported`);
  if (c.attrs.has('axes')) c.fail(`attribute 'axes' is not supported (scale every axis)`);
  const policy = c.attrs.str('keep_aspect_ratio_policy', 'stretch');
  const out = c.out();
  const scaleIdx = legacy ? 1 : 2;
  const sc = c.has(scaleIdx) ? c.constInput(scaleIdx, 'scales') : [];
  let scales: number[];
  if (sc.length > 0 && (!c.has(3) || policy === 'stretch')) scales = sc;
  else scales = out.shape.map((o, d) => o / xv.shape[d]);
  if (scales.length !== r) c.fail(`scales [${scales.join(', ')}] must have ${r} entries`);
  if (r !== 3 && r !== 4) c.fail(`X has rank ${r}; Resize runs on rank 3 or 4 ([N, C, (H,) W])`);
  if (scales[0] !== 1 || scales[1] !== 1 || out.shape[0] !== xv.shape[0] || out.shape[1] !== xv.shape[1]) c.fail(`scales [${scales.join(', ')}]: only the spatial dims (2 and up) may be resized`);
  if (bytes && mode !== 'nearest') c.fail(`attribute 'mode' = '${mode}' on the 8-bit value '${c.node.inputs[0]}': 8-bit values resize with mode 'nearest' only`);
  const x = bytes ? c.byteOperand(0, 'X') : c.operand(0);
  const xType = c.dtypeOf(c.node.inputs[0]);
  if (bytes && c.dtypeOf(c.outName()) !== xType) c.fail(`X is ${xType} and Y is ${c.dtypeOf(c.outName())}: Resize keeps the dtype`);
  const xi = as4d(c, x.view, 'X');
  const o4 = as4d(c, out, 'Y');
  const kernel = generateResizeKernel({ mode, coordinate: coord as ResizeCoordinateMode, nearest: nearest as ResizeNearestMode, storage: bytes ? 'u8' : 'f32' });
  const w = bytes ? wordWork(elementCount(o4.shape), 0, c.maxPerDim) : c.work(elementCount(o4.shape));
  const u = {
    ...w.uniforms, ...fieldValues('os', o4.shape), ...fieldValues('ost', o4.strides), ...fieldValues('ist', xi.strides),
    ih: xi.shape[2], iw: xi.shape[3], scale_h: r === 4 ? scales[2] : 1, scale_w: scales[r - 1],
  };
  return { dispatches: [dispatch(kernel, u, { src: x.binding, out: { value: c.outName() } }, w.workgroups)] };
}

function gather(c: Lowering): OpLowering {
  const x = c.operand(0);
  const r = x.view.shape.length;
  const axis = c.axis(c.attrs.int('axis', 0), r);
  const it = c.constTensor(1) ?? c.fail(`indices (input 1) must be known at load`);
  const dim = x.view.shape[axis];
  const idx = Int32Array.from(toNumbers(it), (v, k) => {
    if (!(Number.isInteger(v) && v >= -dim && v < dim)) c.fail(`indices[${k}] = ${v} is out of range for dim ${axis} of size ${dim}`);
    return v < 0 ? v + dim : v;
  });
  const out = c.out();
  const q = it.dims.length;
  if (elementCount(out.shape) === 0) return { dispatches: [] };
  const idxStrides = layoutStrides(it.dims, 'contiguous');
  const ist = [...x.view.strides.slice(0, axis), ...new Array<number>(q).fill(0), ...x.view.strides.slice(axis + 1)];
  const xst = [...new Array<number>(axis).fill(0), ...idxStrides, ...new Array<number>(r - axis - 1).fill(0)];
  const kernel = generateGatherKernel({ rank: out.shape.length, input: x.kind });
  const w = c.work(elementCount(out.shape));
  const u = {
    ...w.uniforms, ...fieldValues('os', out.shape), ...fieldValues('ost', out.strides), obase: 0,
    ...fieldValues('ist', ist), ibase: 0, ...fieldValues('xst', xst), axst: x.view.strides[axis],
  };
  return { dispatches: [dispatch(kernel, u, { src: x.binding, idx: { constant: idx.length ? idx : new Int32Array(1), label: `${c.node.name}:indices` }, out: { value: c.outName() } }, w.workgroups)] };
}

interface MatOperand { op: Operand; sm: number; sk: number; batch: number[] }

/**
 * The MatMul/Gemm dispatches. A constant B with no batch dims is packed as vec4 rows (packMatmulB); when the packed
 * B exceeds maxStorageBufferBindingSize it is split into column chunks, one dispatch each (C and the bias offset to
 * the chunk's first column).
 */
function matmulDispatches(c: Lowering, a: MatOperand, b: MatOperand, bias: { op: Operand; sm: number; sn: number; batch: number[] } | undefined,
  cv: { sm: number; sn: number; batch: number[]; batchShape: number[] }, m: number, n: number, k: number, alpha: number, beta: number): OpDispatch[] {
  const q = cv.batchShape.length;
  if (q > 4) c.fail(`${q} batch dims; the MatMul kernel takes at most 4`);
  const packedB = b.op.kind === 'constant' && q === 0 && b.batch.length === 0;
  const tn: 4 | 8 = m < 4 && n >= 8 ? 8 : 4;
  const cfg: MatmulConfig = { tm: m < 4 ? 1 : 4, tn, batchRank: q, a: a.op.kind, b: b.op.kind, bias: bias ? bias.op.kind : 'none', packedB };
  const kernel = generateMatmulKernel(cfg);
  const maxBytes = c.ctx.limits.maxStorageBufferBindingSize;
  const chunks: [number, number][] = [];
  if (packedB) {
    const cols = Math.floor(maxBytes / (Math.max(1, k) * 4 * tn)) * tn;
    if (cols < tn) c.fail(`B needs ${k * 4 * tn} bytes for ${tn} columns, above maxStorageBufferBindingSize ${maxBytes}`);
    for (let n0 = 0; n0 < n; n0 += cols) chunks.push([n0, Math.min(cols, n - n0)]);
  } else {
    if (b.op.kind === 'constant' && (b.op.binding as { constant: ArrayLike<number> }).constant.length * 4 > maxBytes) c.fail(`constant B of ${(b.op.binding as { constant: ArrayLike<number> }).constant.length * 4} bytes exceeds maxStorageBufferBindingSize ${maxBytes}`);
    chunks.push([0, n]);
  }
  return chunks.map(([n0, nc]) => {
    let bBinding = b.op.binding;
    let bsk = b.sk;
    let bsn = b.sm;
    if (packedB) {
      const src = (b.op.binding as { constant: ArrayLike<number> }).constant;
      const packed = packMatmulB(src, k, nc, b.sk, b.sm, n0, tn);
      bBinding = { constant: packed, label: `${(b.op.binding as { label: string }).label}:packed${chunks.length > 1 ? `[${n0}:${n0 + nc}]` : ''}` };
      bsk = (Math.ceil(nc / tn) * tn) / 4;
      bsn = 0;
    }
    const { mb, nb } = matmulBlocks(cfg, m, nc);
    const w = c.work(elementCount(cv.batchShape) * mb * nb);
    const u: Record<string, number> = {
      ...w.uniforms, m, n: nc, k, mb, nb, a_sm: a.sm, a_sk: a.sk, abase: 0, bsk, bsn, bbase: 0, csm: cv.sm, csn: cv.sn, cbase: n0 * cv.sn,
      ...fieldValues('bs', cv.batchShape), ...fieldValues('abs', a.batch), ...fieldValues('bbs', b.batch), ...fieldValues('cbs', cv.batch), alpha,
    };
    const buffers: Record<string, OpBinding> = { mat_a: a.op.binding, mat_b: bBinding, mat_c: { value: c.outName() } };
    if (bias) {
      Object.assign(u, { bism: bias.sm, bisn: bias.sn, bibase: n0 * bias.sn, ...fieldValues('bibs', bias.batch), beta });
      buffers.mat_bias = bias.op.binding;
    }
    return dispatch(kernel, u, buffers, w.workgroups);
  });
}

function gemm(c: Lowering): OpLowering {
  const ta = c.attrs.int('transA', 0) === 1;
  const tb = c.attrs.int('transB', 0) === 1;
  const alpha = c.attrs.float('alpha', 1);
  const beta = c.attrs.float('beta', 1);
  const A = c.operand(0);
  const B = c.operand(1);
  const out = c.out();
  const [m, n] = out.shape;
  const k = ta ? A.view.shape[0] : A.view.shape[1];
  const [as0, as1] = A.view.strides;
  const [bs0, bs1] = B.view.strides;
  const a: MatOperand = { op: A, sm: ta ? as1 : as0, sk: ta ? as0 : as1, batch: [] };
  // For B the kernel reads bsk along K and bsn along N: MatOperand.sm holds the N stride here.
  const b: MatOperand = { op: B, sm: tb ? bs0 : bs1, sk: tb ? bs1 : bs0, batch: [] };
  let bias: { op: Operand; sm: number; sn: number; batch: number[] } | undefined;
  if (c.has(2) && beta !== 0) {
    const C = c.operand(2);
    const [sm, sn] = broadcastStrides(c, C.view, [m, n], 'C');
    bias = { op: C, sm, sn, batch: [] };
  }
  return { dispatches: matmulDispatches(c, a, b, bias, { sm: out.strides[0], sn: out.strides[1], batch: [], batchShape: [] }, m, n, k, alpha, beta) };
}

function matmul(c: Lowering): OpLowering {
  const A = c.operand(0);
  const B = c.operand(1);
  const out = c.out();
  const a1 = A.view.shape.length === 1;
  const b1 = B.view.shape.length === 1;
  const as = a1 ? { shape: [1, A.view.shape[0]], strides: [0, A.view.strides[0]] } : A.view;
  const bs = b1 ? { shape: [B.view.shape[0], 1], strides: [B.view.strides[0], 0] } : B.view;
  const m = as.shape[as.shape.length - 2];
  const k = as.shape[as.shape.length - 1];
  const n = bs.shape[bs.shape.length - 1];
  const q = out.shape.length - (a1 ? 0 : 1) - (b1 ? 0 : 1);
  const batchShape = out.shape.slice(0, q);
  const bat = (v: StridedTensor, what: string) => broadcastStrides(c, { shape: v.shape.slice(0, -2), strides: v.strides.slice(0, -2) }, batchShape, what);
  const a: MatOperand = { op: A, sm: as.strides[as.shape.length - 2], sk: as.strides[as.shape.length - 1], batch: bat(as, 'A batch dims') };
  const b: MatOperand = { op: B, sm: bs.strides[bs.shape.length - 1], sk: bs.strides[bs.shape.length - 2], batch: bat(bs, 'B batch dims') };
  const cv = { sm: a1 ? 0 : out.strides[q], sn: b1 ? 0 : out.strides[out.shape.length - 1], batch: out.strides.slice(0, q), batchShape };
  if (elementCount(out.shape) === 0) return { dispatches: [] };
  return { dispatches: matmulDispatches(c, a, b, undefined, cv, m, n, k, 1, 0) };
}

function convTranspose(c: Lowering): OpLowering {
  const xv = c.inputView(0);
  const r = xv.shape.length;
  if (r !== 3 && r !== 4) c.fail(`X has rank ${r}; ConvTranspose runs on 1 or 2 spatial dims`);
  const sp = r - 2;
  const wt = c.constTensor(1) ?? c.fail(`W (input 1) must be known at load`);
  const group = c.attrs.int('group', 1);
  const kernel = c.attrs.ints('kernel_shape') ?? wt.dims.slice(2);
  if (kernel.length !== sp || kernel.some((k, i) => k !== wt.dims[2 + i])) c.fail(`attribute 'kernel_shape' = [${kernel.join(', ')}] must equal W's spatial dims [${wt.dims.slice(2).join(', ')}]`);
  const strides = c.attrs.ints('strides') ?? new Array<number>(sp).fill(1);
  const dil = c.attrs.ints('dilations') ?? new Array<number>(sp).fill(1);
  const autoPad = c.attrs.str('auto_pad', 'NOTSET');
  const opad = c.attrs.ints('output_padding') ?? new Array<number>(sp).fill(0);
  let pads = c.attrs.ints('pads') ?? new Array<number>(2 * sp).fill(0);
  const out = c.out();
  const outSp = out.shape.slice(2);
  if (c.attrs.has('output_shape') || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array<number>(2 * sp).fill(0);
    for (let i = 0; i < sp; i++) {
      const total = strides[i] * (xv.shape[2 + i] - 1) + opad[i] + (kernel[i] - 1) * dil[i] + 1 - outSp[i];
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + sp] = total - pads[i];
    }
  } else if (autoPad === 'VALID') pads = new Array<number>(2 * sp).fill(0);
  const W = c.operand(1);
  const x = c.operand(0);
  const bias = c.has(2) ? c.operand(2) : undefined;
  if (bias && bias.kind !== 'constant') c.fail(`B (input 2) must be known at load`);
  const xi = as4d(c, x.view, 'X');
  const o4 = as4d(c, out, 'Y');
  const g = sp === 1
    ? { kh: 1, kw: kernel[0], sh: 1, sw: strides[0], dh: 1, dw: dil[0], pt: 0, pl: pads[0] }
    : { kh: kernel[0], kw: kernel[1], sh: strides[0], sw: strides[1], dh: dil[0], dw: dil[1], pt: pads[0], pl: pads[1] };
  const k = generateConvTransposeKernel({ bias: Boolean(bias) });
  const w = c.work(elementCount(o4.shape));
  const u = {
    ...w.uniforms, ...fieldValues('os', o4.shape), ...fieldValues('ost', o4.strides), ...fieldValues('ist', xi.strides),
    ih: xi.shape[2], iw: xi.shape[3], cin_g: xi.shape[1] / group, cout_g: o4.shape[1] / group, ...g,
  };
  const buffers: Record<string, OpBinding> = { src: x.binding, weight: W.binding, out: { value: c.outName() } };
  if (bias) buffers.bias = bias.binding;
  return { dispatches: [dispatch(k, u, buffers, w.workgroups)] };
}

function constantOfShape(c: Lowering): OpLowering {
  const a = c.node.attributes.value;
  let fill = 0;
  if (a) {
    if (a.type !== 'tensor' || a.value.data.length !== 1) c.fail(`attribute 'value' must be a one-element tensor`);
    fill = toNumbers(a.value)[0];
  }
  const out = c.out();
  if (elementCount(out.shape) === 0) return { dispatches: [] };
  return {
    dispatches: [elementwise(c, 'identity', [{ binding: { constant: new Float32Array([fill]), label: `${c.node.name}:value` }, kind: 'constant', strides: out.shape.map(() => 0), base: 0 }], out, c.outName())],
  };
}

// ---- integer ops ----

const INT8_RANGE: Record<'int8' | 'uint8', [number, number]> = { int8: [-128, 127], uint8: [0, 255] };

/** A quantization parameter (scale or zero point) at input i, known at load: 1 value, or `n` values when `perN` allows. */
function quantParam(c: Lowering, i: number, what: string, n?: number): number[] {
  const v = c.constTensor(i);
  if (!v) c.fail(`${what} (input ${i}, '${c.node.inputs[i]}') must be known at load (an initializer)`);
  const vals = toNumbers(v);
  if (vals.length === 1) return vals;
  if (n !== undefined && vals.length === n) return vals;
  return c.fail(`${what} (input ${i}, '${c.node.inputs[i]}') has ${vals.length} values; it must be a scalar${n !== undefined ? ` or have ${n} (one per column)` : ''}`);
}

/**
 * MatMulInteger (A, B, a_zp?, b_zp?) and QLinearMatMul (A, a_scale, a_zp, B, b_scale, b_zp, y_scale, y_zp): 8-bit A
 * and B of rank ≥ 2 whose batch dims collapse to one (after broadcasting). Zero points and scales are scalars, or
 * per column of B (b_zp, b_scale); MatMulInteger's a_zp may be a run-time scalar (DynamicQuantizeLinear's).
 */
function intMatmul(c: Lowering): OpLowering {
  const ql = c.node.opType === 'QLinearMatMul';
  const A = c.byteOperand(0, 'A');
  const B = c.byteOperand(ql ? 3 : 1, 'B');
  const out = c.out();
  const outType = c.dtypeOf(c.outName());
  if ('value' in A.binding && 'value' in B.binding && A.binding.value === B.binding.value) c.fail(`A and B are the same run-time value '${A.binding.value}'; not supported (one arena range bound twice)`);
  const ar = A.view.shape.length;
  const br = B.view.shape.length;
  if (ar < 2 || br < 2) c.fail(`A ${JSON.stringify(A.view.shape)} and B ${JSON.stringify(B.view.shape)} must have rank ≥ 2`);
  const m = A.view.shape[ar - 2];
  const k = A.view.shape[ar - 1];
  const n = B.view.shape[br - 1];
  const batchShape = out.shape.slice(0, -2);
  const bat = (v: StridedTensor, what: string) => broadcastStrides(c, { shape: v.shape.slice(0, -2), strides: v.strides.slice(0, -2) }, batchShape, what);
  const merged = collapseDims(batchShape, [bat(A.view, 'A batch dims'), bat(B.view, 'B batch dims')]);
  if (merged.shape.length > 1) c.fail(`batch dims [${batchShape.join(', ')}] of A and B do not collapse to one dim (broadcast pattern not supported)`);
  const [a_sb, b_sb] = merged.shape.length ? [merged.strides[0][0], merged.strides[1][0]] : [0, 0];
  let aZp = 0;
  let aZpValue: string | undefined;
  const aZpAt = 2;
  if (c.has(aZpAt)) {
    if (c.constTensor(aZpAt)) aZp = quantParam(c, aZpAt, 'a_zero_point')[0];
    else {
      const name = c.node.inputs[aZpAt];
      if (ql) c.fail(`a_zero_point (input 2, '${name}') must be known at load`);
      if (c.dtypeOf(name) !== A.dtype) c.fail(`a_zero_point '${name}' is ${c.dtypeOf(name)}; it must have A's dtype ${A.dtype}`);
      if (elementCount(c.inputView(aZpAt).shape) !== 1) c.fail(`a_zero_point '${name}' must be a scalar`);
      aZpValue = name;
    }
  }
  const bZpAt = ql ? 5 : 3;
  const bZp = c.has(bZpAt) ? quantParam(c, bZpAt, 'b_zero_point', n) : [0];
  if (ql && c.dtypeOf(c.node.inputs[5]) !== B.dtype) c.fail(`b_zero_point is ${c.dtypeOf(c.node.inputs[5])}; it must have B's dtype ${B.dtype}`);
  const cols = new Int32Array(4 * n);
  let extra: Record<string, number> = {};
  let output: 'int32' | 'int8' | 'uint8' = 'int32';
  if (ql) {
    if (outType !== 'int8' && outType !== 'uint8') c.fail(`output '${c.outName()}' is ${outType}; it must be int8 or uint8`);
    output = outType;
    const aScale = quantParam(c, 1, 'a_scale')[0];
    const bScale = quantParam(c, 4, 'b_scale', n);
    const yScale = quantParam(c, 6, 'y_scale')[0];
    const yZp = c.has(7) ? quantParam(c, 7, 'y_zero_point')[0] : 0;
    let rq: ReturnType<typeof requantParams>;
    try {
      rq = requantParams(aScale, bScale, yScale);
    } catch (e) {
      return c.fail((e as Error).message);
    }
    for (let j = 0; j < n; j++) {
      cols[4 * j + 1] = rq.m0[rq.m0.length === 1 ? 0 : j] | 0;
      cols[4 * j + 2] = rq.shift[rq.shift.length === 1 ? 0 : j];
    }
    const [lo, hi] = INT8_RANGE[output];
    extra = { y_zp: yZp, q_lo: lo, q_hi: hi };
  } else if (outType !== 'int32') c.fail(`output '${c.outName()}' is ${outType}; MatMulInteger writes int32`);
  for (let j = 0; j < n; j++) cols[4 * j] = bZp[bZp.length === 1 ? 0 : j];
  const elems = elementCount(out.shape);
  const rounding = ql && c.ctx.requantRounding === 'float32' ? 'float32' as const : undefined;
  const kernel = generateIntMatmulKernel({ a: A.dtype, b: B.dtype, output, aKind: A.kind, bKind: B.kind, aZeroPoint: aZpValue ? 'value' : 'uniform', rounding });
  const w = c.work(Math.ceil(elems / 4));
  const u: Record<string, number> = {
    ...w.uniforms, elems, m, n, k, a_sb, a_sm: A.view.strides[ar - 2], a_sk: A.view.strides[ar - 1], b_sb, b_sk: B.view.strides[br - 2], b_sn: B.view.strides[br - 1], a_zp: aZp, ...extra,
  };
  const buffers: Record<string, OpBinding> = { mat_a: A.binding, mat_b: B.binding, cols: { constant: cols, label: `${c.node.name}:columns` }, out: { value: c.outName() } };
  if (aZpValue) buffers.a_zp = { value: aZpValue };
  return { dispatches: [dispatch(kernel, u, buffers, w.workgroups)] };
}

/** A quantization's scale/zero point (inputs si, zi, known at load): per tensor, or per `axis` of a rank-r x. */
function quantParams(c: Lowering, si: number, zi: number, shape: readonly number[], zpDtype: 'int8' | 'uint8' | 'int32'):
  { kind: 'tensor'; scale: number; zeroPoint: number } | { kind: 'axis'; axis: number; packed: Float32Array } {
  const s = c.constTensor(si) ?? c.fail(`the scale (input ${si}, '${c.node.inputs[si]}') must be known at load (an initializer)`);
  const z = c.has(zi) ? (c.constTensor(zi) ?? c.fail(`the zero point (input ${zi}, '${c.node.inputs[zi]}') must be known at load (an initializer)`)) : undefined;
  if (z && z.dtype !== zpDtype) c.fail(`the zero point '${c.node.inputs[zi]}' is ${z.dtype}; it must be ${zpDtype}`);
  const sv = toNumbers(s);
  const zv = z ? toNumbers(z) : undefined;
  if (s.dims.length === 0 || (sv.length === 1 && s.dims.length === 1 && shape.length === 0)) {
    return { kind: 'tensor', scale: sv[0], zeroPoint: zv ? zv[0] : 0 };
  }
  if (s.dims.length > 1) c.fail(`the scale ${JSON.stringify(s.dims)} has rank ${s.dims.length}: blocked quantization is not supported`);
  const axis = c.axis(c.attrs.int('axis', 1), shape.length);
  if (sv.length === 1) return { kind: 'tensor', scale: sv[0], zeroPoint: zv ? zv[0] : 0 };
  if (sv.length !== shape[axis]) c.fail(`the scale has ${sv.length} values; axis ${axis} of x has ${shape[axis]}`);
  try {
    return { kind: 'axis', axis, packed: packAxisParams(sv, zv, zpDtype, `node '${c.node.name}'`) };
  } catch (e) {
    return c.fail((e as Error).message);
  }
}

function quantizeLinear(c: Lowering): OpLowering {
  if (c.attrs.int('saturate', 1) !== 1) c.fail(`attribute 'saturate' = 0 is not supported (only float8 outputs use it)`);
  if (c.attrs.has('block_size') && c.attrs.int('block_size', 0) !== 0) c.fail(`attribute 'block_size' (blocked quantization) is not supported`);
  const x = c.operand(0);
  if (c.dtypeOf(c.node.inputs[0]) !== 'float32') c.fail(`x '${c.node.inputs[0]}' is ${c.dtypeOf(c.node.inputs[0])}; it must be float32`);
  const yType = c.dtypeOf(c.outName());
  if (yType !== 'int8' && yType !== 'uint8') c.fail(`output '${c.outName()}' is ${yType}; QuantizeLinear runs to int8 or uint8 only`);
  const p = quantParams(c, 1, 2, x.view.shape, yType);
  // per tensor: dims that are contiguous in both x and the (row-major) output merge (fewer index divisions)
  const m = p.kind === 'tensor' ? collapseDims(x.view.shape, [layoutStrides(x.view.shape, 'contiguous'), x.view.strides]) : undefined;
  const shape = m ? m.shape : x.view.shape;
  const cfg = { rank: shape.length, dtype: yType, params: p.kind, input: x.kind } as const;
  const kernel = generateQuantizeLinearKernel(cfg);
  const call = p.kind === 'tensor' ? { scale: p.scale, zeroPoint: p.zeroPoint } : { axis: p.axis };
  let d: ReturnType<typeof quantizeLinearDispatch>;
  try {
    d = quantizeLinearDispatch(cfg, { shape, inStrides: m ? m.strides[1] : x.view.strides, ...call }, c.maxPerDim);
  } catch (e) {
    return c.fail((e as Error).message);
  }
  const buffers: Record<string, OpBinding> = { src: x.binding, out: { value: c.outName() } };
  if (p.kind === 'axis') buffers.qparams = { constant: p.packed, label: `${c.node.name}:scale/zero point` };
  return { dispatches: [dispatch(kernel, d.uniforms, buffers, d.workgroups)] };
}

function dequantizeLinear(c: Lowering): OpLowering {
  if (c.attrs.has('block_size') && c.attrs.int('block_size', 0) !== 0) c.fail(`attribute 'block_size' (blocked quantization) is not supported`);
  const xName = c.node.inputs[0];
  const xType = c.dtypeOf(xName);
  if (xType !== 'int8' && xType !== 'uint8' && xType !== 'int32') c.fail(`x '${xName}' is ${xType}; DequantizeLinear runs on int8, uint8 or int32`);
  if (c.dtypeOf(c.outName()) !== 'float32') c.fail(`output '${c.outName()}' is ${c.dtypeOf(c.outName())}; only float32 outputs are supported`);
  let x: Operand;
  if (xType === 'int32') {
    const t = c.constTensor(0);
    x = t
      ? { binding: { constant: Int32Array.from(toNumbers(t)), label: xName }, kind: 'constant', view: { shape: [...t.dims], strides: layoutStrides(t.dims, 'contiguous'), base: 0 } }
      : c.operand(0);
  } else x = c.byteOperand(0, 'x');
  const p = quantParams(c, 1, 2, x.view.shape, xType);
  const out = c.out();
  const m = p.kind === 'tensor' ? collapseDims(x.view.shape, [x.view.strides, out.strides]) : undefined;
  const shape = m ? m.shape : x.view.shape;
  const cfg = { rank: shape.length, dtype: xType, params: p.kind, input: x.kind } as const;
  const kernel = generateDequantizeLinearKernel(cfg);
  const call = p.kind === 'tensor' ? { scale: p.scale, zeroPoint: p.zeroPoint } : { axis: p.axis };
  let d: ReturnType<typeof dequantizeLinearDispatch>;
  try {
    d = dequantizeLinearDispatch(cfg, { shape, inStrides: m ? m.strides[0] : x.view.strides, outStrides: m ? m.strides[1] : out.strides, ...call }, c.maxPerDim);
  } catch (e) {
    return c.fail((e as Error).message);
  }
  const buffers: Record<string, OpBinding> = { src: x.binding, out: { value: c.outName() } };
  if (p.kind === 'axis') buffers.qparams = { constant: p.packed, label: `${c.node.name}:scale/zero point` };
  return { dispatches: [dispatch(kernel, d.uniforms, buffers, d.workgroups)] };
}

/** DynamicQuantizeLinear: min/max reduction → y_scale, y_zero_point (arena values) → uint8 quantization; nothing read back. */
function dynamicQuantizeLinear(c: Lowering): OpLowering {
  const x = c.operand(0);
  if (c.dtypeOf(c.node.inputs[0]) !== 'float32') c.fail(`x '${c.node.inputs[0]}' is ${c.dtypeOf(c.node.inputs[0])}; it must be float32`);
  const [y, ys, yz] = [0, 1, 2].map((k) => c.node.outputs[k] ?? '');
  if (!y || !ys || !yz) c.fail(`all three outputs (y, y_scale, y_zero_point) must be named`);
  const cfg = { rank: x.view.shape.length, input: x.kind };
  const k = generateDynamicQuantizeKernels(cfg);
  let d: ReturnType<typeof dynamicQuantizeDispatches>;
  try {
    d = dynamicQuantizeDispatches(cfg, { shape: x.view.shape, inStrides: x.view.strides }, c.maxPerDim);
  } catch (e) {
    return c.fail((e as Error).message);
  }
  const partial: OpBinding = { scratch: 'partial', bytes: d.partialBytes };
  return {
    dispatches: [
      dispatch(k.reduce, d.reduce.uniforms, { src: x.binding, partial }, d.reduce.workgroups),
      dispatch(k.finish, d.finish.uniforms, { partial, yscale: { value: ys }, yzp: { value: yz } }, d.finish.workgroups),
      dispatch(k.quantize, d.quantize.uniforms, { src: x.binding, qscale: { value: ys }, qzp: { value: yz }, out: { value: y } }, d.quantize.workgroups),
    ],
  };
}

// ---- 8-bit data movement and com.microsoft QLinear* ops (byte tensors; outputs contiguous words) ----

const isByteType = (d: string): d is 'int8' | 'uint8' => d === 'int8' || d === 'uint8';

/** A strided byte view copied (or mapped through a 256-entry table) into the output, contiguous from word `outWord`. */
function byteMap(c: Lowering, src: Operand, view: View, outWord: number, table?: Uint32Array): OpDispatch {
  const m = collapseDims(view.shape, [view.strides]);
  const cfg = { rank: m.shape.length, input: src.kind };
  const kernel = table ? generateQLinearLutKernel(cfg) : generateByteCopyKernel(cfg);
  let d: ReturnType<typeof byteMapDispatch>;
  try {
    d = byteMapDispatch(cfg, { shape: m.shape, inStrides: m.strides[0], inBase: view.base, outWord }, c.maxPerDim);
  } catch (e) {
    return c.fail((e as Error).message);
  }
  const buffers: Record<string, OpBinding> = { src: src.binding, out: { value: c.outName() } };
  if (table) buffers.table = { constant: packLutTable(table), label: `${c.node.name}:table` };
  return dispatch(kernel, d.uniforms, buffers, d.workgroups);
}

/** Per-tensor scale and zero point of a com.microsoft QLinear* operand (inputs si, zi; the zero point optional). */
function qParam(c: Lowering, si: number, zi: number, dtype: 'int8' | 'uint8', what: string): { scale: number; zeroPoint: number; dtype: 'int8' | 'uint8' } {
  const scale = quantParam(c, si, `${what}_scale`)[0];
  const zeroPoint = c.has(zi) ? quantParam(c, zi, `${what}_zero_point`)[0] : 0;
  if (c.has(zi) && c.dtypeOf(c.node.inputs[zi]) !== dtype) c.fail(`${what}_zero_point '${c.node.inputs[zi]}' is ${c.dtypeOf(c.node.inputs[zi])}; it must be ${dtype}`);
  return { scale, zeroPoint, dtype };
}

/**
 * 8-bit Concat (any axis) as one dispatch of the byte concat kernel: parts read through their strides, each copied or
 * requantized by its 256-entry table (QLinearConcat), the output written a whole word per invocation.
 */
function byteConcat(c: Lowering, partsIn: { x: Operand; table?: Uint32Array }[], axis: number): OpLowering {
  const out = c.out();
  const parts = partsIn.filter((p) => elementCount(p.x.view.shape) > 0);
  if (parts.length === 0) return { dispatches: [] };
  if (parts.length > 8) c.fail(`${parts.length} non-empty inputs: 8-bit Concat takes at most 8`);
  const names = parts.flatMap((p) => ('value' in p.x.binding ? [p.x.binding.value] : []));
  const twice = names.find((v, i) => names.indexOf(v) !== i);
  if (twice) c.fail(`the run-time value '${twice}' is concatenated twice: not supported for 8-bit values (one arena range bound twice)`);
  const cfg = { rank: out.shape.length, axis, inputs: parts.map((p) => p.x.kind), tables: parts.map((p) => p.table !== undefined) };
  let kernel: KernelSource;
  let d: ReturnType<typeof byteConcatDispatch>;
  try {
    kernel = generateByteConcatKernel(cfg);
    d = byteConcatDispatch(cfg, { inputs: parts.map((p) => ({ shape: p.x.view.shape, strides: p.x.view.strides, base: p.x.view.base })) }, c.maxPerDim);
  } catch (e) {
    return c.fail((e as Error).message);
  }
  const buffers: Record<string, OpBinding> = { out: { value: c.outName() } };
  parts.forEach((p, k) => (buffers[`in${k}`] = p.x.binding));
  if (cfg.tables.some(Boolean)) {
    const tables = new Uint32Array(256 * parts.length);
    parts.forEach((p, k) => p.table && tables.set(packLutTable(p.table), 256 * k));
    buffers.tables = { constant: tables, label: `${c.node.name}:requantization tables` };
  }
  return { dispatches: [dispatch(kernel, d.uniforms, buffers, d.workgroups)] };
}

function concat8(c: Lowering): OpLowering {
  const out = c.out();
  const axis = c.axis(c.attrs.int('axis', 0), out.shape.length);
  return byteConcat(c, c.node.inputs.map((_, i) => ({ x: c.byteOperand(i, `input ${i}`) })), axis);
}

function transpose8(c: Lowering): OpLowering {
  const x = c.byteOperand(0, 'data');
  const r = x.view.shape.length;
  const perm = c.attrs.ints('perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  const out = c.out();
  return { dispatches: [byteMap(c, x, { shape: out.shape, strides: perm.map((p) => x.view.strides[p]), base: 0 }, 0)] };
}

function maxPool8(c: Lowering): OpLowering {
  const x = c.byteOperand(0, 'X');
  if (c.node.outputs.length > 1 && c.node.outputs[1] !== '') c.fail('the Indices output is not supported');
  if (x.view.shape.length !== 4) c.fail(`8-bit MaxPool runs on rank-4 X [N, C, H, W], got rank ${x.view.shape.length}`);
  const kernel = c.attrs.ints('kernel_shape') ?? c.fail(`attribute 'kernel_shape' is required`);
  const strides = c.attrs.ints('strides') ?? [1, 1];
  const dilations = c.attrs.ints('dilations') ?? [1, 1];
  const ceil = c.attrs.int('ceil_mode', 0) === 1;
  const { pads } = windowOutput(x.view.shape.slice(2), { kernel, strides, dilations, pads: c.attrs.ints('pads') ?? [0, 0, 0, 0], autoPad: c.attrs.str('auto_pad', 'NOTSET') }, ceil);
  const out = c.out();
  const cfg = { dtype: x.dtype, input: x.kind };
  let d: ReturnType<typeof maxPoolI8Dispatch>;
  try {
    d = maxPoolI8Dispatch(cfg, {
      shape: x.view.shape as [number, number, number, number], inStrides: x.view.strides, out: [out.shape[2], out.shape[3]],
      kernel: [kernel[0], kernel[1]], strides: [strides[0], strides[1]], dilations: [dilations[0], dilations[1]], pads: [pads[0], pads[1]],
    }, c.maxPerDim);
  } catch (e) {
    return c.fail((e as Error).message);
  }
  return { dispatches: [dispatch(generateMaxPoolI8Kernel(cfg), d.uniforms, { src: x.binding, out: { value: c.outName() } }, d.workgroups)] };
}

/** Ops that take 8-bit values through their own kernels: the float lowerer otherwise. */
function byDtype(f32: Lowerer, i8: Lowerer): Lowerer {
  return (c) => (isByteType(c.dtypeOf(c.node.inputs[0])) ? i8(c) : f32(c));
}

function qlinearBinary(c: Lowering): OpLowering {
  const A = c.byteOperand(0, 'A');
  const B = c.byteOperand(3, 'B');
  if (A.dtype !== B.dtype || c.dtypeOf(c.outName()) !== A.dtype) c.fail(`A, B and C must have one dtype (${A.dtype}, ${B.dtype}, ${c.dtypeOf(c.outName())})`);
  const out = c.out();
  const qa = qParam(c, 1, 2, A.dtype, 'A');
  const qb = qParam(c, 4, 5, A.dtype, 'B');
  const qc = qParam(c, 6, 7, A.dtype, 'C');
  const op = c.node.opType === 'QLinearAdd' ? 'add' : 'mul';
  // One operand a load-time constant of one value (a scalar, or any shape filled with it) and the other of the
  // output's shape: a 256-entry table on the other operand (one lookup per element instead of the f32 path).
  for (const [k, x, xi, qk, qx] of [[3, A, 0, qb, qa], [0, B, 3, qa, qb]] as const) {
    const t = c.constTensor(k);
    if (!t || x.view.shape.length !== out.shape.length || x.view.shape.some((d, i) => d !== out.shape[i]) || !c.node.inputs[xi]) continue;
    const vals = toNumbers(t);
    if (vals.length === 0 || vals.some((v) => v !== vals[0])) continue;
    return { dispatches: [byteMap(c, x, x.view, 0, qlinearBinaryConstTable(op, qx, vals[0], qk, qc))] };
  }
  const same = 'value' in A.binding && 'value' in B.binding && A.binding.value === B.binding.value;
  // dims contiguous in the output and in both operands merge (fewer index divisions per element)
  const m = collapseDims(out.shape, [layoutStrides(out.shape, 'contiguous'), broadcastStrides(c, A.view, out.shape, 'A'), broadcastStrides(c, B.view, out.shape, 'B')]);
  const cfg = { op, rank: m.shape.length, dtype: A.dtype, inputs: [A.kind, B.kind], sameInput: same || undefined } as const;
  let d: ReturnType<typeof qlinearBinaryDispatch>;
  try {
    d = qlinearBinaryDispatch({ ...cfg, inputs: [A.kind, B.kind] }, {
      shape: m.shape, a: { strides: m.strides[1], base: A.view.base, scale: qa.scale, zeroPoint: qa.zeroPoint },
      b: { strides: m.strides[2], base: B.view.base, scale: qb.scale, zeroPoint: qb.zeroPoint }, c: qc,
    }, c.maxPerDim);
  } catch (e) {
    return c.fail((e as Error).message);
  }
  const buffers: Record<string, OpBinding> = { a: A.binding, out: { value: c.outName() } };
  if (!same) buffers.b = B.binding;
  return { dispatches: [dispatch(generateQLinearBinaryKernel({ ...cfg, inputs: [A.kind, B.kind] }), d.uniforms, buffers, d.workgroups)] };
}

function qlinearSigmoid(c: Lowering): OpLowering {
  const x = c.byteOperand(0, 'X');
  const yType = c.dtypeOf(c.outName());
  if (!isByteType(yType)) c.fail(`output '${c.outName()}' is ${yType}; it must be int8 or uint8`);
  const table = qlinearSigmoidTable(qParam(c, 1, 2, x.dtype, 'X'), qParam(c, 3, 4, yType, 'Y'));
  return { dispatches: [byteMap(c, x, x.view, 0, table)] };
}

function qlinearGap(c: Lowering): OpLowering {
  if (c.attrs.int('channels_last', 0) !== 0) c.fail(`attribute 'channels_last' = 1 is not supported (NCHW only)`);
  const x = c.byteOperand(0, 'X');
  if (x.view.shape.length !== 4) c.fail(`X must have rank 4 [N, C, H, W], got rank ${x.view.shape.length}`);
  if (c.dtypeOf(c.outName()) !== x.dtype) c.fail(`output '${c.outName()}' is ${c.dtypeOf(c.outName())}; it must have X's dtype ${x.dtype}`);
  const cfg = { dtype: x.dtype, input: x.kind };
  let d: ReturnType<typeof qlinearGapDispatch>;
  try {
    d = qlinearGapDispatch(cfg, { shape: x.view.shape as [number, number, number, number], inStrides: x.view.strides, x: qParam(c, 1, 2, x.dtype, 'x'), y: qParam(c, 3, 4, x.dtype, 'y') }, c.maxPerDim);
  } catch (e) {
    return c.fail((e as Error).message);
  }
  return { dispatches: [dispatch(generateQLinearGlobalAveragePoolKernel(cfg), d.uniforms, { src: x.binding, out: { value: c.outName() } }, d.workgroups)] };
}

/** com.microsoft QLinearAveragePool (X, X_scale, X_zero_point, Y_scale, Y_zero_point), NCHW: ONNX Runtime's float sum and rounding. */
function qlinearAvgPool(c: Lowering): OpLowering {
  if (c.attrs.int('channels_last', 0) !== 0) c.fail(`attribute 'channels_last' = 1 is not supported (NCHW only)`);
  const x = c.byteOperand(0, 'X');
  if (x.view.shape.length !== 4) c.fail(`X must have rank 4 [N, C, H, W], got rank ${x.view.shape.length}`);
  if (c.dtypeOf(c.outName()) !== x.dtype) c.fail(`output '${c.outName()}' is ${c.dtypeOf(c.outName())}; it must have X's dtype ${x.dtype}`);
  const kernel = c.attrs.ints('kernel_shape') ?? c.fail(`attribute 'kernel_shape' is required`);
  const strides = c.attrs.ints('strides') ?? [1, 1];
  const dilations = c.attrs.ints('dilations') ?? [1, 1];
  if (dilations.some((d) => d !== 1)) c.fail(`dilations [${dilations.join(', ')}]: QLinearAveragePool has none`);
  const ceil = c.attrs.int('ceil_mode', 0) === 1;
  const { pads } = windowOutput(x.view.shape.slice(2), { kernel, strides, dilations, pads: c.attrs.ints('pads') ?? [0, 0, 0, 0], autoPad: c.attrs.str('auto_pad', 'NOTSET') }, ceil);
  const out = c.out();
  const cfg = { dtype: x.dtype, input: x.kind, countIncludePad: c.attrs.int('count_include_pad', 0) === 1 || undefined };
  let d: ReturnType<typeof qlinearAveragePoolDispatch>;
  try {
    d = qlinearAveragePoolDispatch(cfg, {
      shape: x.view.shape as [number, number, number, number], inStrides: x.view.strides, out: [out.shape[2], out.shape[3]],
      kernel: [kernel[0], kernel[1]], strides: [strides[0], strides[1]], pads: [pads[0], pads[1]],
      x: qParam(c, 1, 2, x.dtype, 'X'), y: qParam(c, 3, 4, x.dtype, 'Y'),
    }, c.maxPerDim);
  } catch (e) {
    return c.fail((e as Error).message);
  }
  return { dispatches: [dispatch(generateQLinearAveragePoolKernel(cfg), d.uniforms, { src: x.binding, out: { value: c.outName() } }, d.workgroups)] };
}

/** com.microsoft QLinearConcat(Y_scale, Y_zero_point, X0, X0_scale, X0_zero_point, ...): each part requantized by a table. */
function qlinearConcat(c: Lowering): OpLowering {
  const yType = c.dtypeOf(c.outName());
  if (!isByteType(yType)) c.fail(`output '${c.outName()}' is ${yType}; it must be int8 or uint8`);
  const out = c.out();
  const axis = c.axis(c.attrs.int('axis', 0), out.shape.length);
  const yq = qParam(c, 0, 1, yType, 'Y');
  const parts: { x: Operand; table?: Uint32Array }[] = [];
  if ((c.node.inputs.length - 2) % 3 !== 0 || c.node.inputs.length < 5) c.fail(`${c.node.inputs.length} inputs: expected Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per part`);
  for (let i = 2; i < c.node.inputs.length; i += 3) {
    const x = c.byteOperand(i, `input ${i}`);
    const xq = qParam(c, i + 1, i + 2, x.dtype, `X${(i - 2) / 3}`);
    const identity = x.dtype === yType && Math.fround(xq.scale) === Math.fround(yq.scale) && xq.zeroPoint === yq.zeroPoint;
    parts.push({ x, table: identity ? undefined : qlinearRequantizeTable(xq, yq) });
  }
  return byteConcat(c, parts, axis);
}

/** com.microsoft ops lowerOp handles (the quantized operators ONNX Runtime's quantizer writes). */
const MS_LOWERERS: Record<string, Lowerer> = {
  QLinearAdd: qlinearBinary,
  QLinearMul: qlinearBinary,
  QLinearSigmoid: qlinearSigmoid,
  QLinearGlobalAveragePool: qlinearGap,
  QLinearAveragePool: qlinearAvgPool,
  QLinearConcat: qlinearConcat,
};

/**
 * Cast of an int8/uint8/int32 run-time value to float32 (a dynamically quantized model's ConvInteger → Cast → Mul):
 * the dequantize kernel with scale 1 and zero point 0 (the int32 → f32 conversion rounds to nearest even).
 */
function castToFloat(c: Lowering): OpLowering {
  const xName = c.node.inputs[0];
  const xType = c.dtypeOf(xName);
  const to = c.attrs.int('to', -1);
  if (to !== 1) c.fail(`attribute 'to' = ${to}: a Cast of the ${xType} value '${xName}' runs only to float (1)`);
  if (xType !== 'int8' && xType !== 'uint8' && xType !== 'int32') c.fail(`input '${xName}' is ${xType}; Cast runs from float32, int8, uint8 or int32`);
  const x = xType === 'int32' ? c.operand(0) : c.byteOperand(0, 'input');
  if (xType === 'int32' && x.kind === 'constant') c.fail(`input '${xName}' is a constant; it should have been folded`);
  const out = c.out();
  const cfg = { rank: x.view.shape.length, dtype: xType, params: 'tensor', input: x.kind } as const;
  let d: ReturnType<typeof dequantizeLinearDispatch>;
  try {
    d = dequantizeLinearDispatch(cfg, { shape: x.view.shape, inStrides: x.view.strides, outStrides: out.strides, scale: 1, zeroPoint: 0 }, c.maxPerDim);
  } catch (e) {
    return c.fail((e as Error).message);
  }
  return { dispatches: [dispatch(generateDequantizeLinearKernel(cfg), d.uniforms, { src: x.binding, out: { value: c.outName() } }, d.workgroups)] };
}
