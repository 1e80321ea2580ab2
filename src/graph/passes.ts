/**
 * Graph passes over the IR (after shape inference), CPU only: QDQ groups → QOperator nodes (qdq.ts, first), constant folding, Identity/Dropout removal, Pad → Conv
 * pads, ConvTranspose with kernel = stride → Conv 1×1 + DepthToSpace, BatchNormalization → Conv weights, Conv + activation (+ residual Add + activation) → FusedConv, dead nodes.
 * `runPasses` returns a new graph (the input graph is not modified; unchanged tensors are shared) and the counts.
 */
import { OnnxLoadError } from './errors.ts';
import { type Attribute, type Graph, type Node, type Tensor, toNumbers } from './ir.ts';
import { type QdqReport, fuseQdq } from './qdq.ts';
import { WINOCONV_DOMAIN } from './shape-inference.ts';

export { WINOCONV_DOMAIN };

export const PASS_NAMES = ['foldConstants', 'dropIdentity', 'convTransposeAsConv', 'foldPad', 'foldBatchNorm', 'foldConvAffine', 'fuseHardSwish', 'fuseConv', 'dropDeadNodes'] as const;
export type PassName = (typeof PASS_NAMES)[number];

export interface PassOptions {
  /** Passes to skip (all run by default, always in PASS_NAMES order). */
  skip?: readonly PassName[];
  /** Rewrite QDQ groups into QOperator nodes first (qdq.ts; default true; a graph without Q/DQ nodes is untouched). */
  fuseQdq?: boolean;
}

export interface PassReport {
  /** Per pass: how many rewrites it made (nodes folded, dropped or fused). */
  counts: Record<PassName, number>;
  nodesBefore: number;
  nodesAfter: number;
  /** The QDQ pass: groups fused into QOperator nodes, and what was left and why (empty for float models). */
  qdq: QdqReport;
}

/** Activations FusedConv carries, by ONNX op type. */
export const FUSABLE_ACTIVATIONS = ['Relu', 'LeakyRelu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Elu', 'PRelu'] as const;

type G = Graph;

function cloneGraph(g: Graph): G {
  return {
    ...g,
    opsets: { ...g.opsets },
    inputs: g.inputs.map((v) => ({ ...v })),
    outputs: g.outputs.map((v) => ({ ...v })),
    initializers: new Map(g.initializers),
    nodes: g.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], attributes: { ...n.attributes } })),
    values: new Map(g.values),
    folded: new Map(g.folded),
    declared: new Map(g.declared),
  };
}

function constOf(g: G, name: string): Tensor | undefined {
  return name === '' ? undefined : (g.initializers.get(name) ?? g.folded.get(name));
}

function consumers(g: G, name: string): Node[] {
  return g.nodes.filter((n) => n.inputs.includes(name));
}

function isGraphOutput(g: G, name: string): boolean {
  return g.outputs.some((o) => o.name === name);
}

/** The value feeds exactly one node input (once) and is not a graph output. */
function singleUse(g: G, name: string): Node | undefined {
  if (isGraphOutput(g, name)) return undefined;
  let found: Node | undefined;
  let uses = 0;
  for (const n of g.nodes) for (const i of n.inputs) if (i === name) { uses++; found = n; }
  return uses === 1 ? found : undefined;
}

function producer(g: G, name: string): Node | undefined {
  return g.nodes.find((n) => n.outputs.includes(name));
}

function intAttr(n: Node, name: string, def: number): number {
  const a = n.attributes[name];
  return a?.type === 'int' ? a.value : def;
}
function floatAttr(n: Node, name: string, def: number): number {
  const a = n.attributes[name];
  return a?.type === 'float' ? a.value : def;
}
function strAttr(n: Node, name: string, def: string): string {
  const a = n.attributes[name];
  return a?.type === 'string' ? a.value : def;
}
function intsAttr(n: Node, name: string): number[] | undefined {
  const a = n.attributes[name];
  return a?.type === 'ints' ? a.value : undefined;
}

function uniqueName(g: G, base: string): string {
  let name = base;
  for (let i = 1; g.values.has(name) || g.initializers.has(name); i++) name = `${base}_${i}`;
  return name;
}

function addInitializer(g: G, t: Tensor): void {
  g.initializers.set(t.name, t);
  g.values.set(t.name, { name: t.name, dtype: t.dtype, shape: [...t.dims] });
}

function isConv(n: Node | undefined): n is Node {
  return n !== undefined && n.opType === 'Conv' && n.domain === '';
}

// ---------------------------------------------------------------------------------------------------------------

/** Nodes whose every output is known at load (folded by shape inference), and Constant tensors, become initializers. */
function foldConstants(g: G): number {
  let count = 0;
  g.nodes = g.nodes.filter((n) => {
    const value = n.attributes.value;
    if (n.domain === '' && n.opType === 'Constant' && value?.type === 'tensor' && n.outputs[0] && !isGraphOutput(g, n.outputs[0])) {
      addInitializer(g, { ...value.value, name: n.outputs[0] });
      g.folded.delete(n.outputs[0]);
      count++;
      return false;
    }
    const outs = n.outputs.filter((o) => o !== '');
    if (outs.length === 0 || !outs.every((o) => g.folded.has(o) && !isGraphOutput(g, o))) return true;
    for (const o of outs) addInitializer(g, { ...g.folded.get(o)!, name: o });
    for (const o of outs) g.folded.delete(o);
    count++;
    return false;
  });
  return count;
}

/** Identity, and Dropout in inference (no mask consumed, training_mode not set): consumers read the input instead. */
function dropIdentity(g: G): number {
  let count = 0;
  for (const n of [...g.nodes]) {
    if (n.domain !== '' || (n.opType !== 'Identity' && n.opType !== 'Dropout')) continue;
    const [x] = n.inputs;
    const [y, mask] = n.outputs;
    if (!x || !y) continue;
    if (n.opType === 'Dropout') {
      if (mask && (consumers(g, mask).length > 0 || isGraphOutput(g, mask))) continue;
      if (n.inputs[2]) {
        const t = constOf(g, n.inputs[2]);
        if (!t || toNumbers(t).some((v) => v !== 0)) continue;
      }
      if (intAttr(n, 'is_test', 1) === 0 && (g.opsets[''] ?? 0) < 7) continue;
    }
    if (!isGraphOutput(g, y)) {
      for (const c of g.nodes) c.inputs = c.inputs.map((i) => (i === y ? x : i));
    } else {
      // Keep the output's name: the producer of x writes y directly, when x is an intermediate value with no other use.
      const p = producer(g, x);
      if (!p || isGraphOutput(g, x) || consumers(g, x).length !== 1) continue;
      p.outputs = p.outputs.map((o) => (o === x ? y : o));
      g.values.delete(x);
    }
    g.nodes = g.nodes.filter((m) => m !== n);
    if (mask) g.values.delete(mask);
    if (!isGraphOutput(g, y)) g.values.delete(y);
    count++;
  }
  return count;
}

/** Pad (constant 0, spatial pads only, non-negative) whose only consumer is a Conv's X: the Conv pads it. */
function foldPad(g: G): number {
  let count = 0;
  const opset = g.opsets[''] ?? 0;
  for (const pad of [...g.nodes]) {
    if (pad.domain !== '' || pad.opType !== 'Pad') continue;
    const conv = singleUse(g, pad.outputs[0]);
    if (!isConv(conv) || conv.inputs[0] !== pad.outputs[0]) continue;
    if (strAttr(pad, 'mode', 'constant') !== 'constant') continue;
    let pads: number[] | undefined;
    let value = 0;
    if (opset >= 11) {
      const p = constOf(g, pad.inputs[1] ?? '');
      pads = p ? toNumbers(p) : undefined;
      if (pad.inputs[2]) {
        const v = constOf(g, pad.inputs[2]);
        if (!v) continue;
        value = toNumbers(v)[0];
      }
      if (pad.inputs[3]) continue; // axes (opset 18): not folded
    } else {
      pads = intsAttr(pad, 'pads') ?? intsAttr(pad, 'paddings');
      value = floatAttr(pad, 'value', 0);
    }
    if (!pads || value !== 0) continue;
    const r = pads.length / 2;
    if (r < 3 || pads.some((p) => p < 0) || pads[0] !== 0 || pads[1] !== 0 || pads[r] !== 0 || pads[r + 1] !== 0) continue;
    const autoPad = strAttr(conv, 'auto_pad', 'NOTSET');
    if (autoPad !== 'NOTSET' && autoPad !== 'VALID') continue;
    const sp = r - 2;
    const cp = autoPad === 'VALID' ? new Array<number>(2 * sp).fill(0) : (intsAttr(conv, 'pads') ?? new Array<number>(2 * sp).fill(0));
    if (cp.length !== 2 * sp) continue;
    const merged = cp.map((v, i) => v + (i < sp ? pads![2 + i] : pads![r + 2 + (i - sp)]));
    conv.attributes = { ...conv.attributes, pads: { type: 'ints', value: merged } };
    delete conv.attributes.auto_pad;
    g.values.delete(pad.outputs[0]);
    conv.inputs[0] = pad.inputs[0];
    g.nodes = g.nodes.filter((m) => m !== pad);
    count++;
  }
  return count;
}

/**
 * ConvTranspose whose kernel equals its stride (b × b, no overlap, no padding, dilation 1, group 1, 2 spatial dims,
 * constant W and B) → Conv 1×1 to Cout·b² channels + DepthToSpace(b, CRD):
 *   Y[n, co, h·b + i, w·b + j] = B[co] + Σ_ci X[n, ci, h, w] · W[ci, co, i, j]
 * with W'[co·b² + i·b + j, ci, 0, 0] = W[ci, co, i, j] and B'[co·b² + i·b + j] = B[co]. The Conv then runs through
 * the convolution engine (GEMM) instead of the generic gather kernel, and DepthToSpace is one strided copy.
 */
function convTransposeAsConv(g: G): number {
  let count = 0;
  for (const ct of [...g.nodes]) {
    if (ct.domain !== '' || ct.opType !== 'ConvTranspose') continue;
    const x = g.values.get(ct.inputs[0]);
    const w = constOf(g, ct.inputs[1]);
    const b = ct.inputs[2] ? constOf(g, ct.inputs[2]) : undefined;
    if (!x?.shape || x.shape.length !== 4 || !w || w.dtype !== 'float32' || w.dims.length !== 4) continue;
    if (ct.inputs[2] && (!b || b.dtype !== 'float32')) continue;
    const [cin, cout, kh, kw] = w.dims;
    const k = kh;
    if (kw !== k || k < 2) continue;
    const eq = (v: number[] | undefined, want: number, n: number) => v === undefined || (v.length === n && v.every((e) => e === want));
    const ks = intsAttr(ct, 'kernel_shape');
    if (ks && !(ks.length === 2 && ks[0] === k && ks[1] === k)) continue;
    const st = intsAttr(ct, 'strides');
    if (!st || st.length !== 2 || st[0] !== k || st[1] !== k) continue;
    if (!['NOTSET', 'VALID'].includes(strAttr(ct, 'auto_pad', 'NOTSET'))) continue;
    if (ct.attributes.output_shape !== undefined || intAttr(ct, 'group', 1) !== 1) continue;
    if (!eq(intsAttr(ct, 'pads'), 0, 4) || !eq(intsAttr(ct, 'output_padding'), 0, 2) || !eq(intsAttr(ct, 'dilations'), 1, 2)) continue;
    if (x.shape[1] !== cin || (b && b.data.length !== cout)) continue;
    const m = cout * k * k;
    const wf = new Float32Array(m * cin);
    const bf = new Float32Array(m);
    for (let ci = 0; ci < cin; ci++) {
      for (let co = 0; co < cout; co++) {
        for (let t = 0; t < k * k; t++) wf[(co * k * k + t) * cin + ci] = w.data[(ci * cout + co) * k * k + t] as number;
      }
    }
    if (b) for (let co = 0; co < cout; co++) bf[co * k * k] = b.data[co] as number;
    for (let co = 0; co < cout; co++) for (let t = 1; t < k * k; t++) bf[co * k * k + t] = bf[co * k * k];
    const wName = uniqueName(g, `${ct.inputs[1]}_as_conv`);
    addInitializer(g, { name: wName, dtype: 'float32', dims: [m, cin, 1, 1], data: wf });
    const bName = uniqueName(g, `${ct.inputs[2] || `${ct.name}_B`}_as_conv`);
    addInitializer(g, { name: bName, dtype: 'float32', dims: [m], data: bf });
    const mid = uniqueName(g, `${ct.outputs[0]}_depth`);
    g.values.set(mid, { name: mid, dtype: x.dtype, shape: [x.shape[0], m, x.shape[2], x.shape[3]] });
    const conv: Node = {
      name: `${ct.name}_conv`, opType: 'Conv', domain: '', inputs: [ct.inputs[0], wName, bName], outputs: [mid],
      attributes: { kernel_shape: { type: 'ints', value: [1, 1] } } as Record<string, Attribute>,
    };
    const d2s: Node = {
      name: `${ct.name}_d2s`, opType: 'DepthToSpace', domain: '', inputs: [mid], outputs: [ct.outputs[0]],
      attributes: { blocksize: { type: 'int', value: k }, mode: { type: 'string', value: 'CRD' } } as Record<string, Attribute>,
    };
    g.nodes.splice(g.nodes.indexOf(ct), 1, conv, d2s);
    count++;
  }
  return count;
}

/** BatchNormalization (inference) right after a Conv whose output it alone reads: rescales W and B (float64 math). */
function foldBatchNorm(g: G): number {
  let count = 0;
  for (const bn of [...g.nodes]) {
    if (bn.domain !== '' || bn.opType !== 'BatchNormalization') continue;
    if (bn.outputs.slice(1).some((o) => o !== '')) continue; // training outputs
    if (intAttr(bn, 'training_mode', 0) !== 0 || intAttr(bn, 'spatial', 1) !== 1) continue;
    const conv = producer(g, bn.inputs[0]);
    if (!isConv(conv) || singleUse(g, conv.outputs[0]) !== bn) continue;
    const [scale, bias, mean, variance] = bn.inputs.slice(1, 5).map((i) => constOf(g, i));
    const w = constOf(g, conv.inputs[1]);
    const b = conv.inputs[2] ? constOf(g, conv.inputs[2]) : undefined;
    if (!scale || !bias || !mean || !variance || !w || (conv.inputs[2] && !b)) continue;
    if (![scale, bias, mean, variance, w, ...(b ? [b] : [])].every((t) => t.dtype === 'float32')) continue;
    const m = w.dims[0];
    if (![scale, bias, mean, variance].every((t) => t.data.length === m)) continue;
    const eps = floatAttr(bn, 'epsilon', 1e-5);
    const [s, beta, mu, v] = [scale, bias, mean, variance].map(toNumbers);
    const per = w.data.length / m;
    const wf = new Float32Array(w.data.length);
    const bf = new Float32Array(m);
    for (let o = 0; o < m; o++) {
      const k = s[o] / Math.sqrt(v[o] + eps);
      for (let j = 0; j < per; j++) wf[o * per + j] = (w.data[o * per + j] as number) * k;
      bf[o] = ((b ? (b.data[o] as number) : 0) - mu[o]) * k + beta[o];
    }
    const wName = uniqueName(g, `${conv.inputs[1]}_bn`);
    addInitializer(g, { name: wName, dtype: 'float32', dims: [...w.dims], data: wf });
    const bName = uniqueName(g, `${conv.inputs[2] || `${conv.name}_B`}_bn`);
    addInitializer(g, { name: bName, dtype: 'float32', dims: [m], data: bf });
    g.values.delete(conv.outputs[0]);
    conv.inputs = [conv.inputs[0], wName, bName];
    conv.outputs = [bn.outputs[0]];
    g.nodes = g.nodes.filter((n) => n !== bn);
    count++;
  }
  return count;
}

interface Act {
  kind: string;
  params: number[];
  slope?: string;
}

/** The activation node `n` as FusedConv carries it, or undefined when it is not fusable (non-constant Clip bounds). */
function activationOf(g: G, n: Node): Act | undefined {
  if (n.domain !== '' || !(FUSABLE_ACTIVATIONS as readonly string[]).includes(n.opType)) return undefined;
  switch (n.opType) {
    case 'LeakyRelu': return { kind: n.opType, params: [floatAttr(n, 'alpha', 0.01)] };
    case 'HardSigmoid': return { kind: n.opType, params: [floatAttr(n, 'alpha', 0.2), floatAttr(n, 'beta', 0.5)] };
    case 'Elu': return { kind: n.opType, params: [floatAttr(n, 'alpha', 1)] };
    case 'Clip': {
      if ((g.opsets[''] ?? 0) < 11) return { kind: n.opType, params: [floatAttr(n, 'min', -Infinity), floatAttr(n, 'max', Infinity)] };
      const bound = (i: number, def: number): number | undefined => {
        if (!n.inputs[i]) return def;
        const t = constOf(g, n.inputs[i]);
        return t && t.data.length === 1 ? toNumbers(t)[0] : undefined;
      };
      const lo = bound(1, -Infinity);
      const hi = bound(2, Infinity);
      return lo === undefined || hi === undefined ? undefined : { kind: n.opType, params: [lo, hi] };
    }
    case 'PRelu': {
      const t = constOf(g, n.inputs[1]);
      return t && t.dtype === 'float32' ? { kind: n.opType, params: [], slope: n.inputs[1] } : undefined;
    }
    default: return { kind: n.opType, params: [] };
  }
}

function sameShape(g: G, a: string, b: string): boolean {
  const sa = g.values.get(a)?.shape;
  const sb = g.values.get(b)?.shape;
  return !!sa && !!sb && sa.length === sb.length && sa.every((d, i) => d === sb[i]);
}

/**
 * Conv → [act] → [Add(other of the same shape) → [act]] as one FusedConv (domain com.winoconv):
 * y = act(pre_act(conv(X, W) + B) + residual). Inputs: X, W, B|'', residual|'', PRelu slopes|''. Attributes: the
 * Conv's, `activation` / `activation_params` (final), `pre_activation` / `pre_activation_params` (before the
 * residual; only with one). Intermediate values must have one consumer and not be graph outputs.
 */
function fuseConv(g: G): number {
  let count = 0;
  for (const conv of [...g.nodes]) {
    if (!isConv(conv) || g.values.get(conv.outputs[0])?.dtype !== 'float32') continue;
    const chain: Node[] = [conv];
    let cur = conv.outputs[0];
    let first: Act | undefined;
    let residual: string | undefined;
    let last: Act | undefined;
    let next = singleUse(g, cur);
    if (next && next.inputs[0] === cur && (first = activationOf(g, next))) {
      chain.push(next);
      cur = next.outputs[0];
      next = singleUse(g, cur);
    }
    if (next && next.domain === '' && next.opType === 'Add' && next.inputs.length === 2) {
      const other = next.inputs[0] === cur ? next.inputs[1] : next.inputs[0];
      if (other !== cur && sameShape(g, other, cur) && sameShape(g, next.outputs[0], cur)) {
        residual = other;
        chain.push(next);
        cur = next.outputs[0];
        next = singleUse(g, cur);
        if (next && next.inputs[0] === cur && (last = activationOf(g, next))) {
          chain.push(next);
          cur = next.outputs[0];
        }
      }
    }
    if (chain.length === 1) continue;
    if (residual === undefined) [first, last] = [undefined, first];
    if (first?.slope && last?.slope) continue;
    const attributes: Record<string, Attribute> = { ...conv.attributes };
    if (last) {
      attributes.activation = { type: 'string', value: last.kind };
      attributes.activation_params = { type: 'floats', value: last.params };
    }
    if (first) {
      attributes.pre_activation = { type: 'string', value: first.kind };
      attributes.pre_activation_params = { type: 'floats', value: first.params };
    }
    const slope = first?.slope ?? last?.slope ?? '';
    const inputs = [conv.inputs[0], conv.inputs[1], conv.inputs[2] ?? '', residual ?? '', slope];
    while (inputs[inputs.length - 1] === '') inputs.pop();
    const fused: Node = { name: conv.name, opType: 'FusedConv', domain: WINOCONV_DOMAIN, inputs, outputs: [cur], attributes };
    for (const n of chain.slice(0, -1)) g.values.delete(n.outputs[0]);
    const lastNode = chain[chain.length - 1];
    g.nodes = g.nodes.flatMap((n) => (n === lastNode ? [fused] : chain.includes(n) ? [] : [n]));
    g.opsets[WINOCONV_DOMAIN] ??= 1;
    count++;
  }
  return count;
}

/** A constant float32 operand as one value per output channel of a rank-`rank` NCHW-like output with `m` channels. */
function perChannel(g: G, name: string, rank: number, m: number): number[] | undefined {
  const t = constOf(g, name);
  if (!t || t.dtype !== 'float32' || t.dims.length > rank) return undefined;
  const v = toNumbers(t);
  if (v.length === 1) return new Array<number>(m).fill(v[0]);
  const dims = [...new Array<number>(rank - t.dims.length).fill(1), ...t.dims];
  return dims.every((d, i) => (i === 1 ? d === m : d === 1)) ? v : undefined;
}

/**
 * Conv → Mul(constant) → Add(constant) (either or both; scalars or one value per output channel, operands in either
 * order), as PP-LCNet's learnable affine blocks spell them: W and B rescaled and shifted (float64 math), the
 * Mul/Add gone, so an activation after them can fuse. Intermediate values must have one consumer.
 */
function foldConvAffine(g: G): number {
  let count = 0;
  for (const conv of [...g.nodes]) {
    if (!isConv(conv) || !g.nodes.includes(conv)) continue;
    const w = constOf(g, conv.inputs[1]);
    const b = conv.inputs[2] ? constOf(g, conv.inputs[2]) : undefined;
    const out = g.values.get(conv.outputs[0]);
    if (!w || w.dtype !== 'float32' || (conv.inputs[2] && (!b || b.dtype !== 'float32')) || out?.dtype !== 'float32' || !out.shape) continue;
    const m = w.dims[0];
    const rank = out.shape.length;
    const scale = new Array<number>(m).fill(1);
    const shift = new Array<number>(m).fill(0);
    const chain: Node[] = [];
    let cur = conv.outputs[0];
    for (const op of ['Mul', 'Add'] as const) {
      const next = singleUse(g, cur);
      if (!isOp(next, op) || next.inputs.length !== 2 || next.inputs[0] === next.inputs[1]) continue;
      const other = next.inputs[0] === cur ? next.inputs[1] : next.inputs[0];
      const v = perChannel(g, other, rank, m);
      if (!v || !sameShape(g, next.outputs[0], cur)) continue;
      if (op === 'Mul') v.forEach((k, o) => (scale[o] = k));
      else v.forEach((k, o) => (shift[o] = k));
      chain.push(next);
      cur = next.outputs[0];
    }
    if (chain.length === 0) continue;
    const per = w.data.length / m;
    const wf = new Float32Array(w.data.length);
    const bf = new Float32Array(m);
    for (let o = 0; o < m; o++) {
      for (let j = 0; j < per; j++) wf[o * per + j] = (w.data[o * per + j] as number) * scale[o];
      bf[o] = (b ? (b.data[o] as number) : 0) * scale[o] + shift[o];
    }
    const wName = uniqueName(g, `${conv.inputs[1]}_affine`);
    addInitializer(g, { name: wName, dtype: 'float32', dims: [...w.dims], data: wf });
    const bName = uniqueName(g, `${conv.inputs[2] || `${conv.name}_B`}_affine`);
    addInitializer(g, { name: bName, dtype: 'float32', dims: [m], data: bf });
    g.values.delete(conv.outputs[0]);
    for (const n of chain.slice(0, -1)) g.values.delete(n.outputs[0]);
    conv.inputs = [conv.inputs[0], wName, bName];
    conv.outputs = [cur];
    g.nodes = g.nodes.filter((n) => !chain.includes(n));
    count++;
  }
  return count;
}

/** The single float value of a constant scalar (one element) input, or undefined. */
function scalarOf(g: G, name: string): number | undefined {
  const t = constOf(g, name);
  return t && t.dtype === 'float32' && t.data.length === 1 && t.dims.length <= 1 ? (t.data[0] as number) : undefined;
}

const isOp = (n: Node | undefined, op: string): n is Node => n !== undefined && n.domain === '' && n.opType === op && n.outputs.length === 1;

/** Binary node `n` = op(v, c) or op(c, v) with c a constant scalar equal to `value` (commutative ops only for c first). */
function otherOperand(g: G, n: Node, value: number, commutative: boolean): string | undefined {
  if (n.inputs.length !== 2) return undefined;
  if (scalarOf(g, n.inputs[1]) === value) return n.inputs[0];
  if (commutative && scalarOf(g, n.inputs[0]) === value) return n.inputs[1];
  return undefined;
}

/** `name` = Clip(Add(x, 3), 0, 6) (opset < 11 attributes or constant inputs), with single-use intermediates: x, or undefined. */
function relu6PlusThree(g: G, name: string, chain: Node[]): string | undefined {
  const clip = producer(g, name);
  if (!isOp(clip, 'Clip') || singleUse(g, name) === undefined) return undefined;
  const act = activationOf(g, clip);
  if (!act || act.params[0] !== 0 || act.params[1] !== 6 || !clip.inputs[0]) return undefined;
  const add = producer(g, clip.inputs[0]);
  if (!isOp(add, 'Add') || singleUse(g, add.outputs[0]) !== clip) return undefined;
  const x = otherOperand(g, add, 3, true);
  if (x === undefined || !sameShape(g, x, add.outputs[0]) || !sameShape(g, x, name)) return undefined;
  chain.push(add, clip);
  return x;
}

const SIXTH = Math.fround(1 / 6);

/** `name` = D / 6 or D · (1/6) (either order for Mul), D single-use: D, or undefined. */
function overSix(g: G, n: Node): string | undefined {
  if (isOp(n, 'Div')) return otherOperand(g, n, 6, false);
  if (isOp(n, 'Mul')) return otherOperand(g, n, SIXTH, true);
  return undefined;
}

/**
 * HardSwish spelled out, rewritten as one HardSwish node: x·Clip(x+3, 0, 6)/6 (grouped as (x·c)/6 or x·(c/6), the
 * division a Div by 6 or a Mul by float32(1/6)), and x·HardSigmoid(x) with alpha = float32(1/6), beta = 0.5. Every
 * intermediate value must have one consumer and not be a graph output; constants must be exact float32 scalars, and
 * no broadcast may change x's shape.
 */
function fuseHardSwish(g: G): number {
  let count = 0;
  for (const last of [...g.nodes]) {
    if (!g.nodes.includes(last) || g.values.get(last.outputs[0])?.dtype !== 'float32') continue;
    const chain: Node[] = [];
    let x: string | undefined;
    const mulOf = (m: Node): string | undefined => {
      // m = Mul(x, r) with r's producer matched by `inner`: returns x
      if (!isOp(m, 'Mul') || m.inputs.length !== 2) return undefined;
      for (const [a, b] of [[m.inputs[0], m.inputs[1]], [m.inputs[1], m.inputs[0]]]) {
        if (a === b) continue;
        const sub: Node[] = [];
        const p = producer(g, b);
        if (!p || singleUse(g, b) !== m) continue;
        if (isOp(p, 'HardSigmoid') && p.inputs[0] === a && Math.fround(floatAttr(p, 'alpha', 0.2)) === SIXTH && floatAttr(p, 'beta', 0.5) === 0.5) {
          sub.push(p);
        } else if (relu6PlusThree(g, b, sub) === a) {
          // x · Clip(x + 3, 0, 6), divided by 6 outside
          chain.push(...sub);
          return `clip:${a}`;
        } else {
          const d = overSix(g, p);
          if (d === undefined || singleUse(g, d) !== p || relu6PlusThree(g, d, sub) !== a) continue;
          sub.push(p);
        }
        chain.push(...sub);
        return a;
      }
      return undefined;
    };
    const m = mulOf(last);
    if (m !== undefined && !m.startsWith('clip:')) {
      x = m;
    } else {
      chain.length = 0;
      const inner = overSix(g, last);
      const mul = inner !== undefined ? producer(g, inner) : undefined;
      if (!mul || singleUse(g, inner!) !== last) continue;
      const r = mulOf(mul);
      if (r === undefined || !r.startsWith('clip:')) continue;
      x = r.slice(5);
      chain.push(mul);
    }
    if (x === undefined || !sameShape(g, x, last.outputs[0]) || g.values.get(x)?.dtype !== 'float32') continue;
    chain.push(last);
    const hs: Node = { name: last.name || `${x}_hardswish`, opType: 'HardSwish', domain: '', inputs: [x], outputs: [last.outputs[0]], attributes: {} };
    for (const n of chain.slice(0, -1)) g.values.delete(n.outputs[0]);
    g.nodes = g.nodes.flatMap((n) => (n === last ? [hs] : chain.includes(n) ? [] : [n]));
    count++;
  }
  return count;
}

/** Nodes none of whose outputs is read or a graph output (after folding: Shape/Constant chains); unused initializers. */
function dropDeadNodes(g: G): number {
  let count = 0;
  for (;;) {
    const used = new Set<string>(g.outputs.map((o) => o.name));
    for (const n of g.nodes) for (const i of n.inputs) used.add(i);
    const keep = g.nodes.filter((n) => n.outputs.some((o) => o !== '' && used.has(o)));
    if (keep.length === g.nodes.length) {
      for (const name of [...g.initializers.keys()]) if (!used.has(name)) g.initializers.delete(name);
      for (const name of [...g.folded.keys()]) if (!used.has(name)) g.folded.delete(name);
      const live = new Set([...used, ...g.inputs.map((i) => i.name), ...g.initializers.keys()]);
      for (const n of g.nodes) for (const o of n.outputs) live.add(o);
      for (const name of [...g.values.keys()]) if (!live.has(name)) g.values.delete(name);
      return count;
    }
    count += g.nodes.length - keep.length;
    g.nodes = keep;
  }
}

const PASSES: Record<PassName, (g: G) => number> = { foldConstants, dropIdentity, convTransposeAsConv, foldPad, foldBatchNorm, foldConvAffine, fuseHardSwish, fuseConv, dropDeadNodes };

/** Runs the passes in PASS_NAMES order on a copy of `graph` (shapes inferred). Idempotent; inputs/outputs unchanged. */
export function runPasses(graph: Graph, opts: PassOptions = {}): { graph: Graph; report: PassReport } {
  const { graph: q, report: qdq } = opts.fuseQdq === false ? { graph, report: { fused: [], left: [] } } : fuseQdq(graph);
  const g = cloneGraph(q);
  const counts = Object.fromEntries(PASS_NAMES.map((p) => [p, 0])) as Record<PassName, number>;
  for (const p of PASS_NAMES) if (!opts.skip?.includes(p)) counts[p] = PASSES[p](g);
  const sig = (vs: Graph['inputs']) => JSON.stringify(vs.map((v) => [v.name, v.dtype, v.shape]));
  if (sig(g.inputs) !== sig(graph.inputs) || sig(g.outputs) !== sig(graph.outputs)) {
    throw new OnnxLoadError('internal error: graph passes changed the graph inputs or outputs');
  }
  for (const o of g.outputs) {
    if (!g.nodes.some((n) => n.outputs.includes(o.name)) && !g.inputs.some((i) => i.name === o.name) && !g.initializers.has(o.name)) {
      throw new OnnxLoadError(`internal error: graph passes left output '${o.name}' without a producer`);
    }
  }
  return { graph: g, report: { counts, nodesBefore: graph.nodes.length, nodesAfter: g.nodes.length, qdq } };
}
