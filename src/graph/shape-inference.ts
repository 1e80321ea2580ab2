/**
 * Static shape inference for the runtime's float32 op set, with constant folding of small tensors at load (the
 * shape-computing subgraphs Shape → Gather → Unsqueeze → Concat → Reshape evaluate on the CPU here). Binds the model
 * inputs' symbolic dims from `inputShapes`; after it, every value in `graph.values` has a dtype and a shape.
 * Each rule follows the ONNX operator spec for the opsets in SUPPORTED_OPSETS; a rule that cannot decide (a symbolic
 * dim where it needs a size, an input that must be known at load and is not) refuses with the node and the reason.
 */
import { convTransposeOutputDim, poolOutputDim, samePads } from '../conv/geometry.ts';
import { OnnxLoadError } from './errors.ts';
import {
  type Attribute, type DType, type Dim, type Graph, type Node, type Tensor, dtypeFromCode,
  elementCount, formatShape, fromNumbers, onnxTypeName, toNumbers,
} from './ir.ts';

/** Folded tensors stay small: this is for shape arithmetic, not for precomputing weights. */
const FOLD_LIMIT = 1 << 16;

interface Val {
  name: string;
  dtype: DType;
  shape: Dim[];
  /** Known at load (an initializer or a folded value). */
  value?: Tensor;
}
interface Out {
  dtype: DType;
  shape: Dim[];
  value?: { dims: number[]; values: number[] } | Tensor;
}

class Ctx {
  constructor(
    readonly node: Node,
    readonly opset: number,
    private readonly vals: (Val | undefined)[],
  ) {}
  fail(msg: string): never {
    throw new OnnxLoadError(`node '${this.node.name}' (${this.node.opType}): ${msg}`);
  }
  /** Whether optional input i is given. */
  has(i: number): boolean {
    return this.vals[i] !== undefined;
  }
  input(i: number): Val {
    const v = this.vals[i];
    if (!v) this.fail(`input ${i} is required`);
    return v;
  }
  /** Input i's value, which must be known at load (an initializer, a Constant, or a folded shape computation). */
  constInput(i: number, what: string): number[] {
    const v = this.input(i);
    if (!v.value) this.fail(`${what} (input ${i}, '${v.name}') must be known at load (an initializer or computable from shapes)`);
    return toNumbers(v.value);
  }
  attr(name: string): Attribute | undefined {
    return this.node.attributes[name];
  }
  private typed<T extends Attribute['type']>(name: string, type: T): Extract<Attribute, { type: T }> | undefined {
    const a = this.node.attributes[name];
    if (a === undefined) return undefined;
    if (a.type !== type) this.fail(`attribute '${name}' must be of type ${type}, got ${a.type}`);
    return a as Extract<Attribute, { type: T }>;
  }
  int(name: string, def: number): number {
    return this.typed(name, 'int')?.value ?? def;
  }
  float(name: string, def: number): number {
    return this.typed(name, 'float')?.value ?? def;
  }
  str(name: string, def: string): string {
    return this.typed(name, 'string')?.value ?? def;
  }
  ints(name: string): number[] | undefined {
    return this.typed(name, 'ints')?.value;
  }
  /** A dim that must be a size here. */
  size(d: Dim, what: string): number {
    if (typeof d === 'string') this.fail(`${what} is the symbolic dim '${d}'; give the input's size in inputShapes`);
    return d;
  }
  sizes(shape: readonly Dim[], what: string): number[] {
    return shape.map((d, i) => this.size(d, `${what} dim ${i}`));
  }
  axis(a: number, rank: number, what = 'axis'): number {
    if (!Number.isInteger(a) || a < -rank || a >= rank) this.fail(`${what} ${a} is out of range for rank ${rank}`);
    return a < 0 ? a + rank : a;
  }
  /** How many inputs this context sees (the node's, or the picked ones). */
  inputCount(): number {
    return this.vals.length;
  }
  /** The same node seen with inputs `picks` (a quantized op's data operands) at positions 0, 1, ... */
  pick(picks: readonly number[]): Ctx {
    return new Ctx(this.node, this.opset, picks.map((i) => this.vals[i]));
  }
}

type Rule = (c: Ctx) => Out[];

const same: Rule = (c) => [{ dtype: c.input(0).dtype, shape: [...c.input(0).shape] }];

const RULES: Record<string, Rule> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  BatchNormalization: (c) => {
    const x = c.input(0);
    if (x.shape.length < 2) c.fail(`X must have rank ≥ 2, got ${formatShape(x.shape)}`);
    for (let i = 1; i <= 4; i++) {
      const p = c.input(i);
      if (p.shape.length !== 1 || !dimEq(p.shape[0], x.shape[1])) {
        c.fail(`input ${i} ('${p.name}') must have shape [${x.shape[1]}], got ${formatShape(p.shape)}`);
      }
    }
    return c.node.outputs.map((_, i) => (i === 0 ? { dtype: x.dtype, shape: [...x.shape] } : { dtype: x.dtype, shape: [x.shape[1]] }));
  },
  Relu: same, LeakyRelu: same, Sigmoid: same, HardSigmoid: same, HardSwish: same, Elu: same, Tanh: same, Sqrt: same,
  Softmax: (c) => {
    const x = c.input(0);
    c.axis(c.int('axis', c.opset >= 13 ? -1 : 1), x.shape.length);
    return same(c);
  },
  Clip: (c) => {
    for (const i of [1, 2]) if (c.has(i) && c.input(i).shape.length !== 0) c.fail(`input ${i} (min/max) must be a scalar`);
    return same(c);
  },
  PRelu: (c) => {
    const x = c.input(0);
    const s = c.input(1);
    const b = broadcast(c, [x.shape, s.shape]);
    if (b.length !== x.shape.length || !b.every((d, i) => dimEq(d, x.shape[i]))) {
      c.fail(`slope ${formatShape(s.shape)} does not broadcast to X ${formatShape(x.shape)}`);
    }
    return same(c);
  },
  Add: binary((a, b) => a + b), Sub: binary((a, b) => a - b), Mul: binary((a, b) => a * b),
  Div: binary((a, b, int) => (int ? Math.trunc(a / b) : a / b)), Pow: binary((a, b) => a ** b),
  Max: binary((a, b) => Math.max(a, b)), Min: binary((a, b) => Math.min(a, b)),
  MaxPool: pool, AveragePool: pool,
  GlobalAveragePool: globalPool, GlobalMaxPool: globalPool,
  Concat: concat,
  Split: split,
  Slice: slice,
  Pad: pad,
  Resize: resize,
  Transpose: transpose,
  DepthToSpace: depthToSpace,
  Reshape: reshape,
  Flatten: (c) => {
    const x = c.input(0);
    const r = x.shape.length;
    const axis = c.int('axis', 1);
    if (axis < -r || axis > r) c.fail(`axis ${axis} is out of range for rank ${r}`);
    const a = axis < 0 ? axis + r : axis;
    const shape = [product(c, x.shape.slice(0, a), 'X'), product(c, x.shape.slice(a), 'X')];
    return [{ dtype: x.dtype, shape, value: x.value && { dims: shape as number[], values: toNumbers(x.value) } }];
  },
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Gemm: gemm,
  MatMul: matmul,
  ReduceMean: reduce,
  Cast: (c) => {
    const x = c.input(0);
    const to = c.int('to', -1);
    const dtype = dtypeFromCode(to);
    if (!dtype) return c.fail(`cast to ${onnxTypeName(to)} is not supported`);
    let value: Out['value'];
    if (x.value && dtype !== 'float16' && dtype !== 'bfloat16') {
      const f = Math.fround;
      const v = toNumbers(x.value).map((n) => (dtype === 'float32' ? f(n) : dtype === 'float64' || dtype === 'bool' ? n : Math.trunc(n)));
      value = { dims: [...x.value.dims], values: v };
    }
    return [{ dtype, shape: [...x.shape], value }];
  },
  Identity: (c) => [{ ...same(c)[0], value: c.input(0).value }],
  Dropout: (c) => {
    const x = c.input(0);
    return c.node.outputs.map((_, i) => (i === 0 ? { dtype: x.dtype, shape: [...x.shape], value: x.value } : { dtype: 'bool' as DType, shape: [...x.shape] }));
  },
  Constant: constant,
  ConstantOfShape: (c) => {
    const dims = c.constInput(0, 'shape');
    if (c.input(0).shape.length !== 1) c.fail(`shape must be 1-D, got ${formatShape(c.input(0).shape)}`);
    dims.forEach((d, i) => { if (!Number.isSafeInteger(d) || d < 0) c.fail(`shape[${i}] = ${d} is not a valid size`); });
    const a = c.attr('value');
    let dtype: DType = 'float32';
    let fill = 0;
    if (a) {
      if (a.type !== 'tensor' || a.value.data.length !== 1) return c.fail(`attribute 'value' must be a one-element tensor`);
      dtype = a.value.dtype;
      fill = toNumbers(a.value)[0];
    }
    const n = elementCount(dims);
    const value = n <= FOLD_LIMIT && dtype !== 'float16' && dtype !== 'bfloat16' ? { dims, values: new Array<number>(n).fill(fill) } : undefined;
    return [{ dtype, shape: dims, value }];
  },
  Shape: (c) => {
    const x = c.input(0);
    const r = x.shape.length;
    let start = c.opset >= 15 ? c.int('start', 0) : 0;
    let end = c.opset >= 15 ? c.int('end', r) : r;
    start = Math.min(Math.max(start < 0 ? start + r : start, 0), r);
    end = Math.min(Math.max(end < 0 ? end + r : end, 0), r);
    const dims = x.shape.slice(start, Math.max(start, end));
    const known = dims.every((d) => typeof d === 'number');
    return [{ dtype: 'int64', shape: [dims.length], value: known ? { dims: [dims.length], values: dims as number[] } : undefined }];
  },
  Gather: gather,
  QuantizeLinear: (c) => {
    const x = c.input(0);
    const code = c.int('output_dtype', 0);
    let dtype: DType = c.has(2) ? c.input(2).dtype : 'uint8';
    if (code !== 0) dtype = dtypeFromCode(code) ?? c.fail(`attribute 'output_dtype' = ${onnxTypeName(code)} is not supported`);
    quantScaleCheck(c, 1, 2, x.shape);
    return [{ dtype, shape: [...x.shape] }];
  },
  DequantizeLinear: (c) => {
    const x = c.input(0);
    quantScaleCheck(c, 1, 2, x.shape);
    const dtype = c.input(1).dtype;
    return [{ dtype, shape: [...x.shape], value: dtype === 'float32' ? dequantizeAtLoad(c, x) : undefined }];
  },
  DynamicQuantizeLinear: (c) => {
    const x = c.input(0);
    return [{ dtype: 'uint8', shape: [...x.shape] }, { dtype: 'float32', shape: [] }, { dtype: 'uint8', shape: [] }];
  },
  QLinearConv: (c) => {
    const [y] = conv(c.pick([0, 3, 8]));
    return [{ dtype: c.has(7) ? c.input(7).dtype : c.input(0).dtype, shape: y.shape }];
  },
  ConvInteger: (c) => [{ dtype: 'int32', shape: conv(c.pick([0, 1]))[0].shape }],
  QLinearMatMul: (c) => {
    const [y] = matmul(c.pick([0, 3]));
    return [{ dtype: c.has(7) ? c.input(7).dtype : c.input(0).dtype, shape: y.shape }];
  },
  MatMulInteger: (c) => [{ dtype: 'int32', shape: matmul(c.pick([0, 1]))[0].shape }],
};

/**
 * DequantizeLinear of a tensor known at load (a quantized weight that no QDQ fusion consumed, e.g. of a float
 * ConvTranspose): y = (x − zp) · scale in float32, per tensor or along `axis` (ONNX's formula, exact in float32 for
 * 8-bit and int32 x below 2^24).
 */
function dequantizeAtLoad(c: Ctx, x: Val): Tensor | undefined {
  const sc = c.input(1).value;
  const zp = c.has(2) ? c.input(2).value : undefined;
  if (!x.value || !sc || (c.has(2) && !zp)) return undefined;
  const dims = x.value.dims;
  const xs = toNumbers(x.value);
  const ss = toNumbers(sc);
  const zs = zp ? toNumbers(zp) : [0];
  const rank = dims.length;
  let axis = c.int('axis', 1);
  if (axis < 0) axis += rank;
  const inner = ss.length > 1 ? dims.slice(axis + 1).reduce((a, b) => a * b, 1) : 1;
  const data = new Float32Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const k = ss.length > 1 ? Math.floor(i / inner) % dims[axis] : 0;
    data[i] = Math.fround(xs[i] - (zs.length > 1 ? zs[k] : zs[0])) * ss[k];
  }
  return { name: '', dtype: 'float32', dims: [...dims], data };
}

/** Dequantized weights may pass FOLD_LIMIT: they are weights (read at load), not shape arithmetic. */
const FOLD_ANY_SIZE: ReadonlySet<string> = new Set(['DequantizeLinear']);

/** A quantization's scale and zero point (inputs s, z): a scalar, or 1-D along `axis`; the zero point has the scale's shape. */
function quantScaleCheck(c: Ctx, s: number, z: number, xShape: readonly Dim[]): void {
  const sc = c.input(s);
  if (sc.shape.length > 1) c.fail(`scale ${formatShape(sc.shape)}: blocked quantization (scale of rank > 1) is not supported`);
  // A 1-element 1-D scale is per tensor (ONNX Runtime's IsScalarOr1ElementVector; ORT's quantizer writes bias scales so).
  if (sc.shape.length === 1 && !dimEq(sc.shape[0], 1)) {
    const axis = c.axis(c.int('axis', 1), xShape.length);
    if (!dimEq(sc.shape[0], xShape[axis]) && !dimEq(sc.shape[0], 1)) c.fail(`scale ${formatShape(sc.shape)} must have X's dim ${axis} (${xShape[axis]}) entries`);
  }
  if (c.has(z)) {
    const zp = c.input(z);
    const one = (sh: readonly Dim[]) => sh.every((d) => dimEq(d, 1));
    const same = zp.shape.length === sc.shape.length && zp.shape.every((d, i) => dimEq(d, sc.shape[i]));
    if (!same && !(one(zp.shape) && one(sc.shape))) c.fail(`zero point ${formatShape(zp.shape)} must have the scale's shape ${formatShape(sc.shape)}`);
  }
}

/** Op types (default domain) this runtime infers shapes for: the op set it will run. */
export const SUPPORTED_OPS: readonly string[] = Object.keys(RULES).sort();

/** Nodes whose op this runtime does not support (every one, for a single refusal). */
export function unsupportedNodes(graph: Graph): Node[] {
  return graph.nodes.filter((n) => ruleFor(n) === undefined);
}

/** The private domain of the nodes the graph passes produce (FusedConv). */
export const WINOCONV_DOMAIN = 'com.winoconv';

/** FusedConv (passes.ts): Conv inputs X, W, B, then an optional residual of the output's shape and PRelu slopes. */
function fusedConv(c: Ctx): Out[] {
  const [y] = conv(c);
  if (c.has(3)) {
    const r = c.input(3);
    if (r.shape.length !== y.shape.length || r.shape.some((d, i) => !dimEq(d, y.shape[i]))) c.fail(`residual ${formatShape(r.shape)} must have the output's shape ${formatShape(y.shape)}`);
  }
  return [y];
}

const PRIVATE_RULES: Record<string, Rule> = { FusedConv: fusedConv };

/** The domain of ONNX Runtime's contrib ops (its quantizer's QLinear* operators). */
export const MS_DOMAIN = 'com.microsoft';

/** com.microsoft QLinearAdd / QLinearMul (A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp): numpy broadcasting. */
const qlinearBinaryRule: Rule = (c) => [{ dtype: c.input(0).dtype, shape: broadcast(c, [c.input(0).shape, c.input(3).shape]) }];

const MS_RULES: Record<string, Rule> = {
  QLinearAdd: qlinearBinaryRule,
  QLinearMul: qlinearBinaryRule,
  QLinearSigmoid: (c) => [{ dtype: c.has(4) ? c.input(4).dtype : c.input(0).dtype, shape: [...c.input(0).shape] }],
  QLinearGlobalAveragePool: (c) => {
    const x = c.input(0);
    if (x.shape.length < 3) c.fail(`X must have rank ≥ 3, got ${formatShape(x.shape)}`);
    if (c.int('channels_last', 0) !== 0) return [{ dtype: x.dtype, shape: [x.shape[0], ...x.shape.slice(1, -1).map(() => 1), x.shape[x.shape.length - 1]] }];
    return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)] }];
  },
  QLinearAveragePool: (c) => {
    if (c.int('channels_last', 0) !== 0) c.fail(`attribute 'channels_last' = 1 is not supported (NCHW only)`);
    return pool(c);
  },
  QLinearConcat: (c) => {
    const n = c.node.inputs.length;
    if (n < 5 || (n - 2) % 3 !== 0) c.fail(`${n} inputs: expected Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per part`);
    const parts = Array.from({ length: (n - 2) / 3 }, (_, k) => 2 + 3 * k);
    const [y] = concat(c.pick(parts));
    return [{ dtype: c.input(1).dtype, shape: y.shape }];
  },
};

function ruleFor(n: Node): Rule | undefined {
  if (n.domain === WINOCONV_DOMAIN) return Object.hasOwn(PRIVATE_RULES, n.opType) ? PRIVATE_RULES[n.opType] : undefined;
  if (n.domain === MS_DOMAIN) return Object.hasOwn(MS_RULES, n.opType) ? MS_RULES[n.opType] : undefined;
  return n.domain === '' && Object.hasOwn(RULES, n.opType) ? RULES[n.opType] : undefined;
}

/** Binds input shapes, infers every value's dtype and shape in node order, and folds what is known at load. */
export function inferShapes(graph: Graph, inputShapes: Record<string, readonly number[]>): void {
  bindInputs(graph, inputShapes);
  const opset = graph.opsets[''];
  const known = (name: string): Val | undefined => {
    const v = graph.values.get(name);
    if (!v || !v.shape) return undefined;
    return { name, dtype: v.dtype, shape: v.shape, value: graph.initializers.get(name) ?? graph.folded.get(name) };
  };
  for (const node of graph.nodes) {
    const vals = node.inputs.map((name, i) => {
      if (name === '') return undefined;
      const v = known(name);
      if (!v) throw new OnnxLoadError(`node '${node.name}' (${node.opType}): input ${i} '${name}' is not produced before this node (or by any node)`);
      return v;
    });
    const outs = ruleFor(node)!(new Ctx(node, opset, vals));
    node.outputs.forEach((name, i) => {
      if (name === '') return;
      const o = outs[i];
      if (!o) throw new OnnxLoadError(`node '${node.name}' (${node.opType}): output ${i} '${name}' is not produced by this op`);
      if (graph.values.has(name)) throw new OnnxLoadError(`node '${node.name}' (${node.opType}): output '${name}' is already defined`);
      graph.values.set(name, { name, dtype: o.dtype, shape: o.shape });
      if (o.value) {
        const t = 'data' in o.value ? { ...o.value, name } : fromNumbers(name, o.dtype, o.value.dims, o.value.values);
        if (t.data.length <= FOLD_LIMIT || FOLD_ANY_SIZE.has(node.opType)) graph.folded.set(name, t);
      }
    });
  }
  const declared = graph.declared;
  graph.outputs = graph.outputs.map((o) => {
    const v = graph.values.get(o.name);
    if (!v || !v.shape) throw new OnnxLoadError(`graph output '${o.name}' is not produced by any node`);
    if (declared?.get(o.name)?.shape) {
      const d = declared.get(o.name)!.shape!;
      const mismatch = d.length !== v.shape.length || d.some((x, i) => typeof x === 'number' && typeof v.shape![i] === 'number' && x !== v.shape![i]);
      if (mismatch) throw new OnnxLoadError(`graph output '${o.name}': the model declares shape ${formatShape(d)}, inference gives ${formatShape(v.shape)}`);
    }
    return { ...v };
  });
}

function bindInputs(graph: Graph, inputShapes: Record<string, readonly number[]>): void {
  const names = new Set(graph.inputs.map((i) => i.name));
  for (const k of Object.keys(inputShapes)) {
    if (!names.has(k)) throw new OnnxLoadError(`inputShapes names '${k}', which is not a model input (inputs: ${[...names].map((n) => `'${n}'`).join(', ') || 'none'})`);
  }
  const symbols = new Map<string, number>();
  graph.inputs = graph.inputs.map((inp) => {
    const given = inputShapes[inp.name];
    if (!given) {
      if (!inp.shape) throw new OnnxLoadError(`model input '${inp.name}' has no shape in the file; give it in inputShapes`);
      return inp;
    }
    if (!Array.isArray(given) || !given.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new OnnxLoadError(`inputShapes['${inp.name}'] = ${JSON.stringify(given)}: expected an array of non-negative integers`);
    }
    if (inp.shape && inp.shape.length !== given.length) {
      throw new OnnxLoadError(`inputShapes['${inp.name}'] = [${given.join(', ')}] has rank ${given.length}; the model declares ${formatShape(inp.shape)}`);
    }
    inp.shape?.forEach((d, i) => {
      if (typeof d === 'number' && d !== given[i]) {
        throw new OnnxLoadError(`inputShapes['${inp.name}'] = [${given.join(', ')}]: dim ${i} must be ${d} (the model declares ${formatShape(inp.shape)})`);
      }
      if (typeof d === 'string') {
        const prev = symbols.get(d);
        if (prev !== undefined && prev !== given[i]) throw new OnnxLoadError(`inputShapes: symbol '${d}' is bound to both ${prev} and ${given[i]}`);
        symbols.set(d, given[i]);
      }
    });
    return { ...inp, shape: [...given] };
  });
  for (const inp of graph.inputs) graph.values.set(inp.name, inp);
}

// ---- helpers ----

function dimEq(a: Dim, b: Dim): boolean {
  return a === b;
}

function product(c: Ctx, dims: readonly Dim[], what: string): number {
  let p = 1;
  for (const d of dims) p *= c.size(d, what);
  return p;
}

/** numpy (multidirectional) broadcasting. A symbolic dim against 1 stays symbolic; against a size it takes the size. */
function broadcast(c: Ctx, shapes: Dim[][]): Dim[] {
  const r = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const e = s[s.length - r + i] ?? 1;
      if (e === 1 || e === d) continue;
      if (d === 1) d = e;
      else if (typeof d === 'number' && typeof e === 'number') {
        c.fail(`shapes ${shapes.map(formatShape).join(' and ')} do not broadcast (dim ${i}: ${d} vs ${e})`);
      } else if (typeof e === 'number') d = e;
    }
    out.push(d);
  }
  return out;
}

function isInt(dtype: DType): boolean {
  return dtype !== 'float32' && dtype !== 'float64' && dtype !== 'float16' && dtype !== 'bfloat16';
}

function binary(f: (a: number, b: number, int: boolean) => number): Rule {
  return (c) => {
    const ins = c.node.inputs.map((_, i) => c.input(i));
    if (ins.length < 2 && !(c.node.opType === 'Max' || c.node.opType === 'Min')) c.fail('needs two inputs');
    const dtype = ins[0].dtype;
    if (c.node.opType !== 'Pow') {
      const other = ins.find((v) => v.dtype !== dtype);
      if (other) c.fail(`inputs have different types (${dtype}, ${other.dtype} for '${other.name}')`);
    }
    const shape = broadcast(c, ins.map((v) => v.shape));
    let value: Out['value'];
    if (ins.every((v) => v.value) && shape.every((d) => typeof d === 'number') && elementCount(shape as number[]) <= FOLD_LIMIT) {
      const dims = shape as number[];
      const int = isInt(dtype);
      let acc = broadcastTo(toNumbers(ins[0].value!), ins[0].value!.dims, dims);
      for (const v of ins.slice(1)) {
        const b = broadcastTo(toNumbers(v.value!), v.value!.dims, dims);
        acc = acc.map((a, i) => f(a, b[i], int));
      }
      value = { dims, values: acc };
    }
    return [{ dtype, shape, value }];
  };
}

function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let p = 1;
  for (let i = dims.length - 1; i >= 0; i--) { s[i] = p; p *= dims[i]; }
  return s;
}

/**
 * The elements of a strided view of `src`, in row-major order of `dims`: element (i0, …, ik) is
 * src[base + Σ i_a · axisStride[a]] (Slice: begin offsets and step-scaled strides; Transpose: permuted strides).
 */
function gatherStrided(src: ArrayLike<number>, dims: readonly number[], base: number, axisStride: readonly number[]): number[] {
  const n = elementCount(dims);
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let off = base;
    for (let a = dims.length - 1; a >= 0; a--) {
      off += (rem % dims[a]) * axisStride[a];
      rem = Math.floor(rem / dims[a]);
    }
    values[i] = src[off];
  }
  return values;
}

function broadcastTo(values: number[], from: readonly number[], to: readonly number[]): number[] {
  const n = elementCount(to);
  const fs = strides(from);
  const off = to.length - from.length;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let src = 0;
    for (let a = to.length - 1; a >= 0; a--) {
      const idx = rem % to[a];
      rem = Math.floor(rem / to[a]);
      const fa = a - off;
      if (fa >= 0 && from[fa] !== 1) src += idx * fs[fa];
    }
    out[i] = values[src];
  }
  return out;
}

export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
  autoPad: string;
}

function windowAttrs(c: Ctx, spatial: number, kernel: number[], withDilations: boolean): Window {
  const autoPad = c.str('auto_pad', 'NOTSET');
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(autoPad)) c.fail(`auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  const s = c.ints('strides') ?? new Array<number>(spatial).fill(1);
  const d = (withDilations ? c.ints('dilations') : undefined) ?? new Array<number>(spatial).fill(1);
  const p = c.ints('pads') ?? new Array<number>(2 * spatial).fill(0);
  if (kernel.length !== spatial) c.fail(`kernel_shape [${kernel.join(', ')}] must have ${spatial} entries`);
  if (s.length !== spatial) c.fail(`strides [${s.join(', ')}] must have ${spatial} entries`);
  if (d.length !== spatial) c.fail(`dilations [${d.join(', ')}] must have ${spatial} entries`);
  if (p.length !== 2 * spatial) c.fail(`pads [${p.join(', ')}] must have ${2 * spatial} entries`);
  if (kernel.some((k) => !(k >= 1))) c.fail(`kernel_shape [${kernel.join(', ')}] must be ≥ 1`);
  if (s.some((k) => !(k >= 1))) c.fail(`strides [${s.join(', ')}] must be ≥ 1`);
  if (d.some((k) => !(k >= 1))) c.fail(`dilations [${d.join(', ')}] must be ≥ 1`);
  if (p.some((k) => !(k >= 0))) c.fail(`pads [${p.join(', ')}] must be ≥ 0`);
  if (autoPad !== 'NOTSET' && c.attr('pads')) c.fail(`pads and auto_pad '${autoPad}' cannot both be given`);
  return { kernel, strides: s, dilations: d, pads: p, autoPad };
}

/**
 * Explicit pads [begin..., end...] and output sizes of a convolution or pooling window over `input` (spatial dims).
 * Everything through src/conv/geometry.ts: NOTSET and VALID by poolOutputDim (floor, or ceilMode for pools);
 * SAME_* by samePads (the extra pixel at the end for UPPER, the beginning for LOWER), output ceil(in / s).
 */
export function windowOutput(input: readonly number[], w: Window, ceilMode = false): { pads: number[]; out: number[] } {
  const n = input.length;
  const pads = [...w.pads];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
      [pads[i], pads[i + n]] = samePads(input[i], w.kernel[i], w.strides[i], w.dilations[i], w.autoPad);
      out.push(Math.ceil(input[i] / w.strides[i]));
      continue;
    }
    if (w.autoPad === 'VALID') { pads[i] = 0; pads[i + n] = 0; }
    out.push(poolOutputDim(input[i], w.kernel[i], w.strides[i], w.dilations[i], pads[i], pads[i + n], ceilMode));
  }
  return { pads, out };
}

function conv(c: Ctx): Out[] {
  const x = c.input(0);
  const w = c.input(1);
  const r = x.shape.length;
  if (r < 3) c.fail(`X must have rank ≥ 3 ([N, C, spatial...]), got ${formatShape(x.shape)}`);
  if (w.shape.length !== r) c.fail(`W ${formatShape(w.shape)} must have the rank of X ${formatShape(x.shape)}`);
  const sp = r - 2;
  const wk = c.sizes(w.shape, 'W');
  const kernel = c.ints('kernel_shape') ?? wk.slice(2);
  if (kernel.length === sp && kernel.some((k, i) => k !== wk[2 + i])) c.fail(`kernel_shape [${kernel.join(', ')}] does not match W ${formatShape(w.shape)}`);
  const win = windowAttrs(c, sp, kernel, true);
  const group = c.int('group', 1);
  const [m, cg] = wk;
  if (!(group >= 1) || m % group !== 0) c.fail(`group ${group} must be ≥ 1 and divide the output channels ${m}`);
  const ch = c.size(x.shape[1], 'X channels');
  if (ch !== cg * group) c.fail(`X has ${ch} channels; W ${formatShape(w.shape)} with group ${group} needs ${cg * group}`);
  if (c.has(2)) {
    const b = c.input(2);
    if (b.shape.length !== 1 || b.shape[0] !== m) c.fail(`B must have shape [${m}], got ${formatShape(b.shape)}`);
  }
  const { out } = windowOutput(c.sizes(x.shape.slice(2), 'X'), win);
  if (out.some((o) => o < 1)) c.fail(`output spatial size [${out.join(', ')}] is empty (input ${formatShape(x.shape)}, window ${formatShape(kernel)})`);
  return [{ dtype: x.dtype, shape: [x.shape[0], m, ...out] }];
}

function convTranspose(c: Ctx): Out[] {
  const x = c.input(0);
  const w = c.input(1);
  const r = x.shape.length;
  if (r < 3) c.fail(`X must have rank ≥ 3, got ${formatShape(x.shape)}`);
  if (w.shape.length !== r) c.fail(`W ${formatShape(w.shape)} must have the rank of X ${formatShape(x.shape)}`);
  const sp = r - 2;
  const wk = c.sizes(w.shape, 'W');
  const kernel = c.ints('kernel_shape') ?? wk.slice(2);
  const win = windowAttrs(c, sp, kernel, true);
  const group = c.int('group', 1);
  const ch = c.size(x.shape[1], 'X channels');
  if (!(group >= 1) || wk[0] !== ch || ch % group !== 0) c.fail(`X has ${ch} channels; W ${formatShape(w.shape)} with group ${group} needs W[0] = ${ch} divisible by group`);
  const m = wk[1] * group;
  if (c.has(2)) {
    const b = c.input(2);
    if (b.shape.length !== 1 || b.shape[0] !== m) c.fail(`B must have shape [${m}], got ${formatShape(b.shape)}`);
  }
  const op = c.ints('output_padding') ?? new Array<number>(sp).fill(0);
  if (op.length !== sp) c.fail(`output_padding [${op.join(', ')}] must have ${sp} entries`);
  op.forEach((p, i) => { if (!(p >= 0 && p < Math.max(win.strides[i], win.dilations[i]))) c.fail(`output_padding [${op.join(', ')}] must be ≥ 0 and below the stride or dilation`); });
  const input = c.sizes(x.shape.slice(2), 'X');
  let out: number[];
  const os = c.ints('output_shape');
  if (os) {
    out = os.length === sp + 2 ? os.slice(2) : os;
    if (out.length !== sp || out.some((o) => !(o >= 1))) c.fail(`output_shape [${os.join(', ')}] must give ${sp} sizes ≥ 1`);
  } else {
    out = input.map((d, i) => {
      if (win.autoPad === 'SAME_UPPER' || win.autoPad === 'SAME_LOWER') return d * win.strides[i];
      const [pb, pe] = win.autoPad === 'VALID' ? [0, 0] : [win.pads[i], win.pads[i + sp]];
      return convTransposeOutputDim(d, kernel[i], win.strides[i], win.dilations[i], op[i], pb, pe);
    });
    if (out.some((o) => o < 1)) c.fail(`output spatial size [${out.join(', ')}] is empty`);
  }
  return [{ dtype: x.dtype, shape: [x.shape[0], m, ...out] }];
}

function pool(c: Ctx): Out[] {
  const x = c.input(0);
  const r = x.shape.length;
  if (r < 3) c.fail(`X must have rank ≥ 3, got ${formatShape(x.shape)}`);
  const kernel = c.ints('kernel_shape');
  if (!kernel) c.fail(`attribute 'kernel_shape' is required`);
  const isMax = c.node.opType === 'MaxPool';
  const win = windowAttrs(c, r - 2, kernel, isMax ? c.opset >= 10 : c.opset >= 19);
  const ceil = c.int('ceil_mode', 0);
  if (ceil !== 0 && ceil !== 1) c.fail(`ceil_mode ${ceil} must be 0 or 1`);
  if (isMax && c.int('storage_order', 0) !== 0) c.fail('storage_order 1 (column major indices) is not supported');
  const { out } = windowOutput(c.sizes(x.shape.slice(2), 'X'), win, ceil === 1);
  if (out.some((o) => o < 1)) c.fail(`output spatial size [${out.join(', ')}] is empty`);
  const shape = [x.shape[0], x.shape[1], ...out];
  return c.node.outputs.map((_, i) => ({ dtype: i === 0 ? x.dtype : 'int64', shape: [...shape] }));
}

function globalPool(c: Ctx): Out[] {
  const x = c.input(0);
  if (x.shape.length < 3) c.fail(`X must have rank ≥ 3, got ${formatShape(x.shape)}`);
  return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)] }];
}

function concat(c: Ctx): Out[] {
  const ins = Array.from({ length: c.inputCount() }, (_, i) => c.input(i));
  if (!c.attr('axis')) c.fail(`attribute 'axis' is required`);
  const r = ins[0].shape.length;
  const axis = c.axis(c.int('axis', 0), r);
  const shape = [...ins[0].shape];
  let total: Dim = 0;
  for (const v of ins) {
    if (v.shape.length !== r || v.shape.some((d, i) => i !== axis && typeof d === 'number' && typeof shape[i] === 'number' && d !== shape[i])) {
      c.fail(`inputs ${ins.map((u) => formatShape(u.shape)).join(', ')} differ outside axis ${axis}`);
    }
    if (v.dtype !== ins[0].dtype) c.fail(`inputs have different types (${ins[0].dtype}, ${v.dtype})`);
    total = typeof total === 'number' && typeof v.shape[axis] === 'number' ? total + (v.shape[axis] as number) : `${c.node.outputs[0]}:${axis}`;
  }
  shape[axis] = total;
  let value: Out['value'];
  if (ins.every((v) => v.value) && elementCount(shape as number[]) <= FOLD_LIMIT) {
    const dims = shape as number[];
    const outer = elementCount(dims.slice(0, axis));
    const values: number[] = [];
    const parts = ins.map((v) => ({ vals: toNumbers(v.value!), block: elementCount(v.value!.dims.slice(axis)) }));
    for (let o = 0; o < outer; o++) for (const p of parts) for (let k = 0; k < p.block; k++) values.push(p.vals[o * p.block + k]);
    value = { dims, values };
  }
  return [{ dtype: ins[0].dtype, shape, value }];
}

function split(c: Ctx): Out[] {
  const x = c.input(0);
  const axis = c.axis(c.int('axis', 0), x.shape.length);
  const n = c.node.outputs.length;
  const dim = c.size(x.shape[axis], `X dim ${axis}`);
  let parts: number[];
  if (c.opset >= 13 ? c.has(1) : c.attr('split') !== undefined) {
    parts = c.opset >= 13 ? c.constInput(1, 'split') : c.ints('split')!;
    if (parts.length !== n) c.fail(`split [${parts.join(', ')}] has ${parts.length} entries for ${n} outputs`);
    if (parts.reduce((a, b) => a + b, 0) !== dim || parts.some((p) => !(p >= 0))) c.fail(`split [${parts.join(', ')}] does not sum to dim ${axis} = ${dim}`);
  } else {
    const k = c.opset >= 18 ? c.int('num_outputs', n) : n;
    if (k !== n) c.fail(`num_outputs ${k} differs from the ${n} outputs`);
    if (c.opset < 18 && dim % n !== 0) c.fail(`dim ${axis} = ${dim} does not split evenly into ${n} outputs`);
    const chunk = Math.ceil(dim / n);
    parts = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
  }
  return parts.map((p) => {
    const shape = [...x.shape];
    shape[axis] = p;
    return { dtype: x.dtype, shape };
  });
}

function slice(c: Ctx): Out[] {
  const x = c.input(0);
  const r = x.shape.length;
  let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
  if (c.opset >= 10) {
    starts = c.constInput(1, 'starts');
    ends = c.constInput(2, 'ends');
    axes = c.has(3) ? c.constInput(3, 'axes') : undefined;
    steps = c.has(4) ? c.constInput(4, 'steps') : undefined;
  } else {
    starts = c.ints('starts') ?? c.fail(`attribute 'starts' is required`);
    ends = c.ints('ends') ?? c.fail(`attribute 'ends' is required`);
    axes = c.ints('axes');
  }
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => c.axis(a, r, 'axes entry'));
  if (ends.length !== starts.length || ax.length !== starts.length || (steps && steps.length !== starts.length)) {
    c.fail(`starts, ends, axes and steps must have the same length (${starts.length}, ${ends.length}, ${ax.length}, ${steps?.length ?? '-'})`);
  }
  if (new Set(ax).size !== ax.length) c.fail(`axes [${ax.join(', ')}] repeat an axis`);
  const shape = [...x.shape];
  const begin = new Array<number>(r).fill(0);
  const step = new Array<number>(r).fill(1);
  ax.forEach((a, i) => {
    const dim = c.size(x.shape[a], `X dim ${a}`);
    const s = steps ? steps[i] : 1;
    if (s === 0 || !Number.isFinite(s)) c.fail(`steps[${i}] must be a nonzero integer`);
    let b = starts[i] < 0 ? starts[i] + dim : starts[i];
    let e = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (s > 0) { b = clamp(b, 0, dim); e = clamp(e, 0, dim); } else { b = clamp(b, 0, dim - 1); e = clamp(e, -1, dim - 1); }
    shape[a] = Math.max(0, Math.ceil((e - b) / s));
    begin[a] = b;
    step[a] = s;
  });
  let value: Out['value'];
  if (x.value && shape.every((d) => typeof d === 'number')) {
    const dims = shape as number[];
    const st = strides(x.value.dims);
    const base = begin.reduce((sum, b, a) => sum + b * st[a], 0);
    value = { dims, values: gatherStrided(toNumbers(x.value), dims, base, st.map((v, a) => v * step[a])) };
  }
  return [{ dtype: x.dtype, shape, value }];
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

function pad(c: Ctx): Out[] {
  const x = c.input(0);
  const r = x.shape.length;
  const mode = c.str('mode', 'constant');
  if (!['constant', 'reflect', 'edge', 'wrap'].includes(mode)) c.fail(`mode '${mode}' is not one of constant, reflect, edge, wrap`);
  const pads = c.opset >= 11 ? c.constInput(1, 'pads') : (c.ints('pads') ?? c.ints('paddings') ?? c.fail(`attribute 'pads' is required`));
  let axes = Array.from({ length: r }, (_, i) => i);
  if (c.opset >= 18 && c.has(3)) axes = c.constInput(3, 'axes').map((a) => c.axis(a, r, 'axes entry'));
  if (pads.length !== 2 * axes.length) c.fail(`pads [${pads.join(', ')}] must have ${2 * axes.length} entries`);
  if (c.opset >= 11 && c.has(2) && elementCount(c.sizes(c.input(2).shape, 'constant_value')) !== 1) c.fail('constant_value must be a scalar');
  const shape = [...x.shape];
  axes.forEach((a, i) => {
    const d = c.size(x.shape[a], `X dim ${a}`) + pads[i] + pads[i + axes.length];
    if (d < 0) c.fail(`pads [${pads.join(', ')}] make dim ${a} negative`);
    shape[a] = d;
  });
  return [{ dtype: x.dtype, shape }];
}

function resize(c: Ctx): Out[] {
  const x = c.input(0);
  const r = x.shape.length;
  const mode = c.str('mode', 'nearest');
  if (!['nearest', 'linear', 'cubic'].includes(mode)) c.fail(`mode '${mode}' is not one of nearest, linear, cubic`);
  const axes = (c.opset >= 18 ? c.ints('axes') : undefined)?.map((a) => c.axis(a, r, 'axes entry')) ?? Array.from({ length: r }, (_, i) => i);
  const scaleIdx = c.opset >= 11 ? 2 : 1;
  const scales = c.has(scaleIdx) && c.input(scaleIdx).shape.some((d) => d !== 0) ? c.constInput(scaleIdx, 'scales') : undefined;
  const sizes = c.opset >= 11 && c.has(3) ? c.constInput(3, 'sizes') : undefined;
  if (scales && sizes && sizes.length > 0) c.fail('give scales or sizes, not both');
  const shape = [...x.shape];
  if (scales && scales.length > 0) {
    if (scales.length !== axes.length) c.fail(`scales [${scales.join(', ')}] must have ${axes.length} entries`);
    axes.forEach((a, i) => {
      if (!(scales[i] > 0)) c.fail(`scales[${i}] = ${scales[i]} must be > 0`);
      shape[a] = Math.floor(c.size(x.shape[a], `X dim ${a}`) * scales[i]);
    });
  } else if (sizes && sizes.length > 0) {
    if (sizes.length !== axes.length) c.fail(`sizes [${sizes.join(', ')}] must have ${axes.length} entries`);
    const policy = c.opset >= 18 ? c.str('keep_aspect_ratio_policy', 'stretch') : 'stretch';
    if (policy === 'stretch') axes.forEach((a, i) => (shape[a] = sizes[i]));
    else {
      if (policy !== 'not_larger' && policy !== 'not_smaller') c.fail(`keep_aspect_ratio_policy '${policy}' is not stretch, not_larger or not_smaller`);
      const ratios = axes.map((a, i) => sizes[i] / c.size(x.shape[a], `X dim ${a}`));
      const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
      axes.forEach((a) => (shape[a] = Math.round(s * (x.shape[a] as number))));
    }
  } else c.fail('needs scales or sizes known at load');
  if (shape.some((d) => typeof d === 'number' && !(Number.isSafeInteger(d) && d >= 0))) c.fail(`output shape ${formatShape(shape)} is not valid`);
  return [{ dtype: x.dtype, shape }];
}

function depthToSpace(c: Ctx): Out[] {
  const x = c.input(0);
  if (x.shape.length !== 4) c.fail(`X must have rank 4, got ${formatShape(x.shape)}`);
  const b = c.int('blocksize', 0);
  if (!Number.isInteger(b) || b < 1) c.fail(`attribute 'blocksize' = ${b} must be an integer ≥ 1`);
  const mode = c.str('mode', 'DCR');
  if (mode !== 'DCR' && mode !== 'CRD') c.fail(`attribute 'mode' = '${mode}' is not DCR or CRD`);
  const ch = c.size(x.shape[1], 'X channels');
  if (ch % (b * b) !== 0) c.fail(`X has ${ch} channels, not divisible by blocksize² = ${b * b}`);
  return [{ dtype: x.dtype, shape: [x.shape[0], ch / (b * b), c.size(x.shape[2], 'X height') * b, c.size(x.shape[3], 'X width') * b] }];
}

function transpose(c: Ctx): Out[] {
  const x = c.input(0);
  const r = x.shape.length;
  const perm = c.ints('perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  if (perm.length !== r || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) c.fail(`perm [${perm.join(', ')}] is not a permutation of ${r} axes`);
  const shape = perm.map((p) => x.shape[p]);
  let value: Out['value'];
  if (x.value) {
    const dims = shape as number[];
    const st = strides(x.value.dims);
    value = { dims, values: gatherStrided(toNumbers(x.value), dims, 0, perm.map((p) => st[p])) };
  }
  return [{ dtype: x.dtype, shape, value }];
}

function reshape(c: Ctx): Out[] {
  const x = c.input(0);
  const target = c.constInput(1, 'shape');
  if (c.input(1).shape.length !== 1) c.fail(`shape must be 1-D, got ${formatShape(c.input(1).shape)}`);
  const allowZero = c.opset >= 14 ? c.int('allowzero', 0) : 0;
  const shape: Dim[] = target.map((d, i) => {
    if (!Number.isSafeInteger(d) || d < -1) c.fail(`shape[${i}] = ${d} is not a size, 0 or -1`);
    if (d === 0 && !allowZero) {
      if (i >= x.shape.length) c.fail(`shape[${i}] = 0 copies a dim X ${formatShape(x.shape)} does not have`);
      return x.shape[i];
    }
    return d;
  });
  const minus = shape.filter((d) => d === -1).length;
  if (minus > 1) c.fail(`shape [${target.join(', ')}] has more than one -1`);
  // Symbols that appear in both shapes (copied by 0) cancel; every other dim must be a size.
  const inRest = [...x.shape];
  const outRest: Dim[] = [];
  for (const d of shape) {
    const k = typeof d === 'string' ? inRest.indexOf(d) : -1;
    if (k >= 0) inRest.splice(k, 1);
    else outRest.push(d);
  }
  const total = product(c, inRest, 'X');
  const known = product(c, outRest.filter((d) => d !== -1), 'shape');
  if (minus === 1) {
    if (known === 0 || total % known !== 0) c.fail(`cannot infer -1 in shape [${target.join(', ')}] for X ${formatShape(x.shape)}`);
    shape[shape.indexOf(-1)] = total / known;
  } else if (known !== total) c.fail(`shape [${target.join(', ')}] has ${known} elements where X ${formatShape(x.shape)} has ${total}`);
  const value = x.value ? { ...x.value, dims: shape as number[] } : undefined;
  return [{ dtype: x.dtype, shape, value }];
}

function squeeze(c: Ctx): Out[] {
  const x = c.input(0);
  const r = x.shape.length;
  const raw = c.opset >= 13 ? (c.has(1) ? c.constInput(1, 'axes') : undefined) : c.ints('axes');
  const axes = raw ? raw.map((a) => c.axis(a, r, 'axes entry')) : x.shape.flatMap((d, i) => (c.size(d, `X dim ${i}`) === 1 ? [i] : []));
  for (const a of axes) if (typeof x.shape[a] === 'number' && x.shape[a] !== 1) c.fail(`cannot squeeze axis ${a} of ${formatShape(x.shape)}: its size is not 1`);
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  const value = x.value ? { ...x.value, dims: shape as number[] } : undefined;
  return [{ dtype: x.dtype, shape, value }];
}

function unsqueeze(c: Ctx): Out[] {
  const x = c.input(0);
  const raw = c.opset >= 13 ? c.constInput(1, 'axes') : (c.ints('axes') ?? c.fail(`attribute 'axes' is required`));
  const r = x.shape.length + raw.length;
  const axes = raw.map((a) => c.axis(a, r, 'axes entry'));
  if (new Set(axes).size !== axes.length) c.fail(`axes [${raw.join(', ')}] repeat an axis`);
  const shape: Dim[] = [];
  let k = 0;
  for (let i = 0; i < r; i++) shape.push(axes.includes(i) ? 1 : x.shape[k++]);
  const value = x.value ? { ...x.value, dims: shape as number[] } : undefined;
  return [{ dtype: x.dtype, shape, value }];
}

function gemm(c: Ctx): Out[] {
  const a = c.input(0);
  const b = c.input(1);
  if (a.shape.length !== 2 || b.shape.length !== 2) c.fail(`A ${formatShape(a.shape)} and B ${formatShape(b.shape)} must be 2-D`);
  const ta = c.int('transA', 0);
  const tb = c.int('transB', 0);
  const [m, ka] = ta ? [a.shape[1], a.shape[0]] : a.shape;
  const [kb, n] = tb ? [b.shape[1], b.shape[0]] : b.shape;
  if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) c.fail(`inner dims differ: A ${formatShape(a.shape)}${ta ? 'ᵀ' : ''}, B ${formatShape(b.shape)}${tb ? 'ᵀ' : ''}`);
  if (c.has(2)) {
    const cc = c.input(2);
    const bs = broadcast(c, [[m, n], cc.shape]);
    if (bs.length !== 2 || !dimEq(bs[0], m) || !dimEq(bs[1], n)) c.fail(`C ${formatShape(cc.shape)} does not broadcast to [${m}, ${n}]`);
  }
  return [{ dtype: a.dtype, shape: [m, n] }];
}

function matmul(c: Ctx): Out[] {
  const a = c.input(0);
  const b = c.input(1);
  if (a.shape.length === 0 || b.shape.length === 0) c.fail('inputs must have rank ≥ 1');
  const as = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
  const ka = as[as.length - 1];
  const kb = bs[bs.length - 2];
  if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) c.fail(`inner dims differ: ${formatShape(a.shape)} × ${formatShape(b.shape)}`);
  const batch = broadcast(c, [as.slice(0, -2), bs.slice(0, -2)]);
  const shape = [...batch];
  if (a.shape.length > 1) shape.push(as[as.length - 2]);
  if (b.shape.length > 1) shape.push(bs[bs.length - 1]);
  return [{ dtype: a.dtype, shape }];
}

function reduce(c: Ctx): Out[] {
  const x = c.input(0);
  const r = x.shape.length;
  const keep = c.int('keepdims', 1);
  const raw = c.opset >= 18 ? (c.has(1) ? c.constInput(1, 'axes') : undefined) : c.ints('axes');
  const noop = c.opset >= 18 ? c.int('noop_with_empty_axes', 0) : 0;
  if (!raw || raw.length === 0) {
    if (noop) return same(c);
  }
  const axes = raw && raw.length > 0 ? raw.map((a) => c.axis(a, r, 'axes entry')) : Array.from({ length: r }, (_, i) => i);
  const shape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  return [{ dtype: x.dtype, shape }];
}

function constant(c: Ctx): Out[] {
  const keys = Object.keys(c.node.attributes);
  if (keys.length !== 1) c.fail(`needs exactly one value attribute, got ${keys.length ? keys.join(', ') : 'none'}`);
  const a = c.node.attributes[keys[0]];
  let t: Tensor;
  const name = c.node.outputs[0];
  if (keys[0] === 'value' && a.type === 'tensor') t = { ...a.value, name };
  else if (keys[0] === 'value_float' && a.type === 'float') t = fromNumbers(name, 'float32', [], [a.value]);
  else if (keys[0] === 'value_floats' && a.type === 'floats') t = fromNumbers(name, 'float32', [a.value.length], a.value);
  else if (keys[0] === 'value_int' && a.type === 'int') t = fromNumbers(name, 'int64', [], [a.value]);
  else if (keys[0] === 'value_ints' && a.type === 'ints') t = fromNumbers(name, 'int64', [a.value.length], a.value);
  else c.fail(`attribute '${keys[0]}' (${a.type}) is not supported (value, value_float(s), value_int(s))`);
  return [{ dtype: t.dtype, shape: [...t.dims], value: t }];
}

function gather(c: Ctx): Out[] {
  const x = c.input(0);
  const idx = c.input(1);
  if (idx.dtype !== 'int64' && idx.dtype !== 'int32') c.fail(`indices must be int32 or int64, got ${idx.dtype}`);
  const r = x.shape.length;
  const axis = c.axis(c.int('axis', 0), r);
  const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
  let value: Out['value'];
  if (x.value && idx.value) {
    const dim = x.value.dims[axis];
    const ii = toNumbers(idx.value).map((v) => {
      if (v < -dim || v >= dim) c.fail(`index ${v} is out of range for dim ${axis} of size ${dim}`);
      return v < 0 ? v + dim : v;
    });
    const src = toNumbers(x.value);
    const outer = elementCount(x.value.dims.slice(0, axis));
    const inner = elementCount(x.value.dims.slice(axis + 1));
    const values: number[] = [];
    for (let o = 0; o < outer; o++) for (const i of ii) for (let k = 0; k < inner; k++) values.push(src[(o * dim + i) * inner + k]);
    value = { dims: shape as number[], values };
  }
  return [{ dtype: x.dtype, shape, value }];
}

