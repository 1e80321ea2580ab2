/**
 * The QDQ pass: ONNX Runtime's `quantize_static` QDQ form (DequantizeLinear → op → QuantizeLinear) rewritten into
 * QOperator nodes, with the rules of ONNX Runtime's own CPU fusion (onnxruntime/core/optimizer/qdq_transformer:
 * selectors_actions/qdq_selectors.cc, qdq_actions.cc, qdq_util.cc, ensure_unique_dq_for_node_unit.cc), so that the
 * rewritten graph computes what ORT computes for the same model. Pure graph work: no GPU, nothing evaluated.
 *
 * A group is a target node T whose every present input comes from a DequantizeLinear (DQ) and whose one output feeds
 * only one QuantizeLinear (Q), possibly through a Relu/Clip that the Q makes a no-op. Rewrites:
 *   Conv        → QLinearConv (x, x_s, x_zp, w, w_s, w_zp, y_s, y_zp[, B int32]); weights per tensor or per output
 *                 channel (DQ axis 0); activations uint8 (weights int8 or uint8) or int8 (weights int8).
 *   MatMul      → QLinearMatMul (a, a_s, a_zp, b, b_s, b_zp, y_s, y_zp); same dtype rule as Conv.
 *   Add, Mul    → com.microsoft QLinearAdd / QLinearMul (a, a_s, a_zp, b, b_s, b_zp, y_s, y_zp).
 *   Sigmoid, GlobalAveragePool → com.microsoft QLinearSigmoid / QLinearGlobalAveragePool (x, x_s, x_zp, y_s, y_zp).
 *   Concat      → com.microsoft QLinearConcat (y_s, y_zp, then x, x_s, x_zp per input).
 *   MaxPool (positive scale), Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Resize (mode nearest) with equal Q and
 *                 DQ parameters → the op itself on the 8-bit tensor (the pair is dropped: Q(DQ(v)) = v exactly).
 * ORT's rules kept here: every present input of T from a DQ (a float bias input blocks a Conv); input and output
 * 8-bit types equal; Conv/MatMul bias int32; T's output consumed by exactly one Q and not a graph output; a Relu
 * between T and the Q is dropped only when the Q's zero point is its type's minimum, a Clip only when
 * rint(min/s)+zp <= qmin and rint(max/s)+zp >= qmax (both exact: the Q saturates there anyway), and otherwise the group
 * is left. A DQ read by several nodes is used by each group (ORT duplicates it first, EnsureUniqueDQForNodeUnit);
 * it stays while anything still reads it.
 * Stricter than ORT (left as they are, with the reason): scales or zero points that are not constants, scales that are
 * not positive finite float32 values, per-axis activation or output parameters, weights that are not constants, a Conv
 * bias whose scale is not x_scale·w_scale (ORT would add the int32 bias unscaled) or whose zero point is not 0,
 * per-channel weight zero points that differ (ORT's QLinearConv refuses them at run time), Resize modes other than
 * nearest, Gemm (ORT: QGemm), and ops with no QOperator form in winoconv. What is left runs as
 * QuantizeLinear/DequantizeLinear + the float op.
 */
import { type DType, type Graph, type Node, type Tensor, toNumbers } from './ir.ts';

export const MS_DOMAIN = 'com.microsoft';

export interface QdqFusion {
  /** The target node's name (the fused node keeps it). */
  node: string;
  /** The target's op type. */
  op: string;
  /** What it became: 'QLinearConv', 'com.microsoft.QLinearAdd', ..., or `${op} on int8/uint8` for a dropped pair. */
  as: string;
  /** The Q, DQ and Relu/Clip nodes removed with it. */
  removed: string[];
}

export interface QdqLeftover {
  node: string;
  op: string;
  reason: string;
}

export interface QdqReport {
  fused: QdqFusion[];
  /** Groups not fused, and every QuantizeLinear/DequantizeLinear that stays in the graph, each with why. */
  left: QdqLeftover[];
}

type Q8 = 'int8' | 'uint8';

/** A DQ or Q node's parameters, all constant. */
interface QParams {
  node: Node;
  /** The quantized tensor: the DQ's input, or the Q's output. */
  data: string;
  dtype: DType;
  scale: string;
  zeroPoint: string;
  scales: number[];
  zeroPoints: number[];
  /** Normalized axis when per-axis (more than one scale), else undefined. */
  axis: number | undefined;
}

class Refusal extends Error {}
const refuse = (reason: string): never => {
  throw new Refusal(reason);
};

const isDefault = (n: Node | undefined, op: string): n is Node => n !== undefined && n.domain === '' && n.opType === op;
const DQ = 'DequantizeLinear';
const Q = 'QuantizeLinear';

/** Ops whose Q/DQ pair is dropped (the op runs on the 8-bit tensor). */
const DROP_OPS = ['MaxPool', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Resize'] as const;
const UNARY: Record<string, string> = { Sigmoid: 'QLinearSigmoid', GlobalAveragePool: 'QLinearGlobalAveragePool', AveragePool: 'QLinearAveragePool' };
const BINARY: Record<string, string> = { Add: 'QLinearAdd', Mul: 'QLinearMul' };
/** Ops ORT fuses that winoconv has no QOperator kernel for: why they stay. */
const NOT_HERE: Record<string, string> = {
  Gemm: 'ORT fuses it to com.microsoft QGemm, which winoconv does not run',
  LeakyRelu: 'ORT fuses it to com.microsoft QLinearLeakyRelu, which winoconv does not run',
  Softmax: 'ORT fuses it to com.microsoft QLinearSoftmax, which winoconv does not run',
  Where: 'ORT fuses it to com.microsoft QLinearWhere, which winoconv does not run',
  Split: 'ORT rewrites it as Split on 8-bit values, which winoconv does not run',
};

class Pass {
  readonly report: QdqReport = { fused: [], left: [] };
  /** Target nodes not fused, with the reason. */
  private readonly refused = new Map<Node, string>();
  /** Producer and readers of each value; dropped whenever g.nodes changes (rebuilt on the next look-up). */
  private index: { producer: Map<string, Node>; uses: Map<string, { node: Node; slot: number }[]> } | undefined;

  constructor(readonly g: Graph) {}

  private lookup(): NonNullable<Pass['index']> {
    if (this.index) return this.index;
    const producer = new Map<string, Node>();
    const uses = new Map<string, { node: Node; slot: number }[]>();
    for (const node of this.g.nodes) {
      for (const o of node.outputs) if (o !== '') producer.set(o, node);
      node.inputs.forEach((i, slot) => {
        if (i === '') return;
        let u = uses.get(i);
        if (!u) uses.set(i, (u = []));
        u.push({ node, slot });
      });
    }
    this.index = { producer, uses };
    return this.index;
  }

  /** Sets the node list (and forgets the look-up index). */
  setNodes(nodes: Node[]): void {
    this.g.nodes = nodes;
    this.index = undefined;
  }

  constOf(name: string): Tensor | undefined {
    return name === '' ? undefined : (this.g.initializers.get(name) ?? this.g.folded.get(name) ?? this.constantNode(name));
  }

  /** A Constant node's tensor (before foldConstants has turned it into an initializer). */
  private constantNode(name: string): Tensor | undefined {
    const p = this.producer(name);
    const v = p?.attributes.value;
    return isDefault(p, 'Constant') && v?.type === 'tensor' ? { ...v.value, name } : undefined;
  }

  producer(name: string): Node | undefined {
    return name === '' ? undefined : this.lookup().producer.get(name);
  }

  /** Every (node, input slot) reading `name`. */
  uses(name: string): { node: Node; slot: number }[] {
    return this.lookup().uses.get(name) ?? [];
  }

  isGraphOutput(name: string): boolean {
    return this.g.outputs.some((o) => o.name === name);
  }

  dtypeOf(name: string): DType | undefined {
    return this.g.initializers.get(name)?.dtype ?? this.g.values.get(name)?.dtype ?? this.constOf(name)?.dtype;
  }

  intAttr(n: Node, name: string, def: number): number {
    const a = n.attributes[name];
    return a?.type === 'int' ? a.value : def;
  }

  /**
   * The constant parameters of a DQ (`data` = its input) or a Q (`data` = its output), checked: float32 scale, zero
   * point of the data's type with the scale's shape, per tensor (one element) or per axis (1-D along `axis`).
   */
  params(n: Node, role: string, dataDims?: number[]): QParams {
    const isQ = n.opType === Q;
    const [x, scaleName, zpName = ''] = n.inputs;
    const data = isQ ? n.outputs[0] : x;
    if (n.attributes.block_size && this.intAttr(n, 'block_size', 0) !== 0) refuse(`${role}: ${n.opType} '${n.name}' is blocked (block_size): not supported`);
    const scale = this.constOf(scaleName);
    if (!scale) return refuse(`${role}: the scale '${scaleName}' of ${n.opType} '${n.name}' is not a constant`);
    if (scale.dtype !== 'float32') refuse(`${role}: the scale '${scaleName}' of '${n.name}' is ${scale.dtype}, not float32`);
    const scales = toNumbers(scale);
    if (scales.some((s) => !Number.isFinite(s) || s <= 0)) refuse(`${role}: the scale '${scaleName}' of '${n.name}' (${scales.slice(0, 4).join(', ')}) is not positive and finite`);
    let dtype: DType | undefined;
    let zeroPoints: number[];
    if (zpName === '') {
      if (isQ && n.attributes.output_dtype !== undefined) refuse(`${role}: Q '${n.name}' has no zero point and sets output_dtype`);
      dtype = isQ ? 'uint8' : this.dtypeOf(x);
      zeroPoints = new Array<number>(scales.length).fill(0);
    } else {
      const zp = this.constOf(zpName);
      if (!zp) return refuse(`${role}: the zero point '${zpName}' of ${n.opType} '${n.name}' is not a constant`);
      dtype = zp.dtype;
      zeroPoints = toNumbers(zp);
      // one value each, whatever their ranks ([] beside [1]: ORT's quantizer writes bias parameters so) is per tensor
      const perTensor = zp.data.length === 1 && scale.data.length === 1;
      if (!perTensor && (zp.data.length !== scale.data.length || zp.dims.length !== scale.dims.length)) {
        refuse(`${role}: the zero point '${zpName}' of '${n.name}' has dims [${zp.dims}], its scale [${scale.dims}]`);
      }
    }
    if (dtype === undefined) return refuse(`${role}: the type of '${x}' is unknown and '${n.name}' has no zero point`);
    const dataType = this.dtypeOf(data);
    if (dataType !== undefined && dataType !== dtype) refuse(`${role}: '${data}' is ${dataType}, the zero point of '${n.name}' ${dtype}`);
    let axis: number | undefined;
    if (scales.length !== 1) {
      if (scale.dims.length !== 1) refuse(`${role}: the scale '${scaleName}' of '${n.name}' has dims [${scale.dims}]: neither one value nor 1-D`);
      const rank = dataDims?.length;
      if (rank === undefined) return refuse(`${role}: '${n.name}' is quantized per axis; only per-tensor parameters are accepted here`);
      const a = this.intAttr(n, 'axis', 1);
      axis = a < 0 ? a + rank : a;
      if (axis < 0 || axis >= rank || dataDims![axis] !== scales.length) {
        refuse(`${role}: '${n.name}' has ${scales.length} scales along axis ${a} of [${dataDims}]`);
      }
    }
    return { node: n, data, dtype, scale: scaleName, zeroPoint: zpName, scales, zeroPoints, axis };
  }

  /** A zero-point input for a Q/DQ that omits it (ORT's SetOptionalZeroPoint): an initializer of 0 of the data type. */
  zeroPointInput(p: QParams): string {
    if (p.zeroPoint !== '') return p.zeroPoint;
    const base = `${p.scale}_zero_point_${p.dtype}`;
    let name = base;
    for (let i = 1; (this.g.values.has(name) || this.g.initializers.has(name)) && !this.isOurZero(name, p.dtype); i++) name = `${base}_${i}`;
    if (!this.g.initializers.has(name)) {
      const data = p.dtype === 'int8' ? new Int8Array(p.scales.length) : new Uint8Array(p.scales.length);
      const t: Tensor = { name, dtype: p.dtype, dims: p.scales.length === 1 ? [] : [p.scales.length], data };
      this.g.initializers.set(name, t);
      this.g.values.set(name, { name, dtype: p.dtype, shape: [...t.dims] });
    }
    return name;
  }

  private isOurZero(name: string, dtype: DType): boolean {
    const t = this.g.initializers.get(name);
    return t !== undefined && t.dtype === dtype && t.data.every((v) => v === 0);
  }

  /** The DQ producing input `slot` of `t`, or a refusal. */
  dqInput(t: Node, slot: number): Node {
    const p = this.producer(t.inputs[slot]);
    if (!isDefault(p, DQ)) return refuse(`input ${slot} '${t.inputs[slot]}' does not come from a DequantizeLinear`);
    if (p.outputs.length !== 1) refuse(`DequantizeLinear '${p.name}' has ${p.outputs.length} outputs`);
    return p;
  }

  /**
   * The Q that takes T's only output (through a Relu/Clip the Q makes a no-op), as ORT's GetQDQSelection and
   * CheckQDQNodes find it. Returns the Q's parameters and the activation node to remove, if any.
   */
  outputQ(t: Node): { q: QParams; clip?: Node } {
    const outs = t.outputs.filter((o) => o !== '');
    if (outs.length !== 1 || t.outputs[0] === '') refuse(`${t.opType} has ${outs.length} outputs; the group needs exactly one`);
    const out = t.outputs[0];
    if (this.isGraphOutput(out)) refuse(`its output '${out}' is a graph output`);
    const uses = this.uses(out);
    let clip: Node | undefined;
    let qIn = out;
    if (uses.length === 1 && (isDefault(uses[0].node, 'Relu') || isDefault(uses[0].node, 'Clip'))) {
      clip = uses[0].node;
      if (clip.outputs.length !== 1 || this.isGraphOutput(clip.outputs[0])) refuse(`${clip.opType} '${clip.name}' after it produces a graph output`);
      const cu = this.uses(clip.outputs[0]);
      if (cu.length !== 1) refuse(`${clip.opType} '${clip.name}' after it has ${cu.length} consumers; the group needs one QuantizeLinear`);
      qIn = clip.outputs[0];
    }
    const qUses = this.uses(qIn);
    if (qUses.length === 0) refuse(`its output '${qIn}' is not read by any node`);
    if (!qUses.every((u) => isDefault(u.node, Q))) refuse(`its output '${qIn}' is read by ${qUses.map((u) => `${u.node.opType} '${u.node.name}'`).join(', ')}, not by QuantizeLinear only`);
    if (qUses.length !== 1) refuse(`its output '${qIn}' is read by ${qUses.length} QuantizeLinear nodes; the group needs exactly one`);
    const qNode = qUses[0].node;
    if (qUses[0].slot !== 0) refuse(`'${qIn}' is a parameter of QuantizeLinear '${qNode.name}', not its data`);
    const q = this.params(qNode, 'output');
    if (q.scales.length !== 1) refuse(`output: QuantizeLinear '${qNode.name}' is per axis; a QOperator output is per tensor`);
    if (q.dtype !== 'int8' && q.dtype !== 'uint8') refuse(`output: QuantizeLinear '${qNode.name}' writes ${q.dtype}; only int8/uint8 fuse`);
    if (clip) this.checkRedundantClip(clip, q);
    return { q, clip };
  }

  /** ORT's IsClipMadeRedundantByQ: the Relu/Clip is removable when the Q saturates at (or inside) its bounds. */
  checkRedundantClip(clip: Node, q: QParams): void {
    const [qmin, qmax] = q.dtype === 'int8' ? [-128, 127] : [0, 255];
    const zp = q.zeroPoints[0];
    if (clip.opType === 'Relu') {
      if (zp !== qmin) refuse(`Relu '${clip.name}' before the QuantizeLinear is not a no-op: zero point ${zp} ≠ ${q.dtype} minimum ${qmin} (ORT leaves the group too)`);
      return;
    }
    const bounds = this.clipBounds(clip);
    if (!bounds) return refuse(`Clip '${clip.name}' has bounds that are not constants`);
    const s = q.scales[0];
    const lo = roundHalfEven(Math.fround(bounds[0] / s)) + zp;
    const hi = roundHalfEven(Math.fround(bounds[1] / s)) + zp;
    if (!(lo <= qmin && hi >= qmax)) {
      refuse(`Clip '${clip.name}' [${bounds[0]}, ${bounds[1]}] is narrower than the QuantizeLinear's range (quantized [${lo}, ${hi}] vs [${qmin}, ${qmax}]): not a no-op (ORT leaves the group too)`);
    }
  }

  clipBounds(clip: Node): [number, number] | undefined {
    const F = 3.4028234663852886e38;
    if ((this.g.opsets[''] ?? 0) < 11) {
      const a = clip.attributes;
      return [a.min?.type === 'float' ? a.min.value : -F, a.max?.type === 'float' ? a.max.value : F];
    }
    const bound = (i: number, def: number): number | undefined => {
      if (!clip.inputs[i]) return def;
      const t = this.constOf(clip.inputs[i]);
      return t && t.data.length === 1 ? toNumbers(t)[0] : undefined;
    };
    const lo = bound(1, -F);
    const hi = bound(2, F);
    return lo === undefined || hi === undefined ? undefined : [lo, hi];
  }

  /** Every present input of `t` in `slots` from a DQ; no other input of `t` from a DQ (ORT counts DQ parents). */
  allFromDq(t: Node, slots: number[]): Node[] {
    const dqs = slots.map((s) => this.dqInput(t, s));
    t.inputs.forEach((name, i) => {
      if (!slots.includes(i) && isDefault(this.producer(name), DQ)) refuse(`input ${i} '${name}' comes from a DequantizeLinear the QOperator form has no place for`);
    });
    return dqs;
  }

  activation(p: QParams, role: string): Q8 {
    if (p.dtype !== 'int8' && p.dtype !== 'uint8') refuse(`${role}: ${p.dtype} data; only int8/uint8 fuse`);
    if (p.scales.length !== 1) refuse(`${role}: per-axis parameters; a QOperator activation is per tensor`);
    return p.dtype as Q8;
  }

  // ---- groups ---------------------------------------------------------------------------------------------------

  fuseConv(t: Node): void {
    const hasBias = t.inputs.length > 2 && t.inputs[2] !== '';
    const slots = hasBias ? [0, 1, 2] : [0, 1];
    const [dqx, dqw, dqb] = this.allFromDq(t, slots);
    const x = this.params(dqx, 'input X');
    const xType = this.activation(x, 'input X');
    const wt = this.constOf(dqw.inputs[0]);
    if (!wt) return refuse(`the weight '${dqw.inputs[0]}' of DequantizeLinear '${dqw.name}' is not a constant`);
    const w = this.params(dqw, 'weight W', wt.dims);
    const m = wt.dims[0];
    if (w.dtype !== 'int8' && w.dtype !== 'uint8') refuse(`weight W: ${w.dtype}; only int8/uint8 fuse`);
    if (w.axis !== undefined && w.axis !== 0) refuse(`weight W: per-axis along axis ${w.axis}; QLinearConv takes one scale per output channel (axis 0)`);
    if (w.zeroPoints.some((z) => z !== w.zeroPoints[0])) refuse(`weight W: per-channel zero points differ (ORT's QLinearConv requires them equal)`);
    this.checkDtypes(xType, w.dtype as Q8);
    const { q, clip } = this.outputQ(t);
    if (q.dtype !== xType) refuse(`input X is ${xType}, the output QuantizeLinear writes ${q.dtype} (ORT requires them equal)`);
    const inputs = [x.data, x.scale, this.zeroPointInput(x), w.data, w.scale, this.zeroPointInput(w), q.scale, this.zeroPointInput(q)];
    if (dqb) {
      const bt = this.constOf(dqb.inputs[0]);
      if (!bt) return refuse(`the bias '${dqb.inputs[0]}' of DequantizeLinear '${dqb.name}' is not a constant`);
      const b = this.params(dqb, 'bias B', bt.dims);
      if (b.dtype !== 'int32') refuse(`bias B: ${b.dtype}; QLinearConv's bias is int32`);
      if (bt.dims.length !== 1 || bt.dims[0] !== m) refuse(`bias B: dims [${bt.dims}], expected [${m}]`);
      if (b.zeroPoints.some((z) => z !== 0)) refuse(`bias B: zero point ≠ 0`);
      for (let o = 0; o < m; o++) {
        const want = x.scales[0] * w.scales[w.scales.length === 1 ? 0 : o];
        const got = b.scales[b.scales.length === 1 ? 0 : o];
        if (!(Math.abs(got - want) <= 2 ** -20 * want)) refuse(`bias B: scale ${got} (channel ${o}) is not x_scale·w_scale = ${want}`);
      }
      inputs.push(b.data);
    }
    this.replace(t, 'QLinearConv', '', inputs, q, [dqx, dqw, ...(dqb ? [dqb] : [])], clip, { ...t.attributes });
  }

  /** ORT on ARM (QDQIsInt8Allowed): uint8 activations with int8 or uint8 weights; int8 activations with int8 weights. */
  checkDtypes(x: Q8, w: Q8): void {
    if (x === 'int8' && w !== 'int8') refuse(`int8 activations with ${w} weights (ORT fuses int8 activations only with int8 weights)`);
  }

  fuseMatMul(t: Node): void {
    const [dqa, dqb] = this.allFromDq(t, [0, 1]);
    const a = this.params(dqa, 'input A');
    const aType = this.activation(a, 'input A');
    const bConst = this.constOf(dqb.inputs[0]);
    const bDims = bConst?.dims ?? this.g.values.get(dqb.inputs[0])?.shape?.map((d) => (typeof d === 'number' ? d : -1));
    const b = this.params(dqb, 'input B', bDims);
    if (b.dtype !== 'int8' && b.dtype !== 'uint8') refuse(`input B: ${b.dtype}; only int8/uint8 fuse`);
    if (b.axis !== undefined && (bDims!.length !== 2 || b.axis !== 1)) refuse(`input B: per-axis along axis ${b.axis} of rank ${bDims!.length}; QLinearMatMul takes one scale per column of a 2-D B`);
    this.checkDtypes(aType, b.dtype as Q8);
    const { q, clip } = this.outputQ(t);
    if (q.dtype !== aType) refuse(`input A is ${aType}, the output QuantizeLinear writes ${q.dtype} (ORT requires them equal)`);
    const inputs = [a.data, a.scale, this.zeroPointInput(a), b.data, b.scale, this.zeroPointInput(b), q.scale, this.zeroPointInput(q)];
    this.replace(t, 'QLinearMatMul', '', inputs, q, [dqa, dqb], clip, {});
  }

  fuseBinary(t: Node): void {
    if (t.inputs.length !== 2) refuse(`${t.inputs.length} inputs`);
    const [dqa, dqb] = this.allFromDq(t, [0, 1]);
    const a = this.params(dqa, 'input A');
    const b = this.params(dqb, 'input B');
    const ta = this.activation(a, 'input A');
    const tb = this.activation(b, 'input B');
    const { q, clip } = this.outputQ(t);
    if (ta !== tb || ta !== q.dtype) refuse(`8-bit types differ (A ${ta}, B ${tb}, output ${q.dtype}); ORT requires them equal`);
    const inputs = [a.data, a.scale, this.zeroPointInput(a), b.data, b.scale, this.zeroPointInput(b), q.scale, this.zeroPointInput(q)];
    this.replace(t, BINARY[t.opType], MS_DOMAIN, inputs, q, [dqa, dqb], clip, {});
  }

  fuseUnary(t: Node): void {
    const [dqx] = this.allFromDq(t, [0]);
    const x = this.params(dqx, 'input X');
    const tx = this.activation(x, 'input X');
    const { q, clip } = this.outputQ(t);
    if (tx !== q.dtype) refuse(`input X is ${tx}, the output QuantizeLinear writes ${q.dtype} (ORT requires them equal)`);
    const inputs = [x.data, x.scale, this.zeroPointInput(x), q.scale, this.zeroPointInput(q)];
    let attributes: Node['attributes'] = t.opType === 'GlobalAveragePool' ? { channels_last: { type: 'int', value: 0 } } : {};
    if (t.opType === 'AveragePool') {
      const dil = t.attributes.dilations;
      if (dil && dil.type === 'ints' && dil.value.some((d) => d !== 1)) refuse(`dilations [${dil.value.join(', ')}]: QLinearAveragePool has none`);
      const { dilations: _d, ...rest } = t.attributes;
      attributes = { ...rest, channels_last: { type: 'int', value: 0 } };
    }
    this.replace(t, UNARY[t.opType], MS_DOMAIN, inputs, q, [dqx], clip, attributes);
  }

  fuseConcat(t: Node): void {
    if (t.inputs.length === 0 || t.inputs.some((i) => i === '')) refuse('an input is missing');
    const dqs = this.allFromDq(t, t.inputs.map((_, i) => i));
    const xs = dqs.map((d, i) => this.params(d, `input ${i}`));
    const types = xs.map((x, i) => this.activation(x, `input ${i}`));
    const { q, clip } = this.outputQ(t);
    if (types.some((ty) => ty !== q.dtype)) refuse(`8-bit types differ (inputs ${types.join(', ')}, output ${q.dtype}); ORT requires them equal`);
    const inputs = [q.scale, this.zeroPointInput(q)];
    for (const x of xs) inputs.push(x.data, x.scale, this.zeroPointInput(x));
    this.replace(t, 'QLinearConcat', MS_DOMAIN, inputs, q, dqs, clip, { ...t.attributes });
  }

  /** ORT's DropQDQNodesSelector: one DQ in, one Q out, same 8-bit type, equal scalar constant scale and zero point. */
  dropPair(t: Node): void {
    const [dq] = this.allFromDq(t, [0]);
    const x = this.params(dq, 'input');
    const tx = this.activation(x, 'input');
    if (t.opType === 'Resize') {
      const mode = t.attributes.mode;
      if (mode !== undefined && !(mode.type === 'string' && mode.value === 'nearest')) refuse(`Resize mode '${mode.type === 'string' ? mode.value : '?'}': only nearest selects values unchanged`);
    }
    if (t.opType === 'MaxPool' && (this.g.opsets[''] ?? 0) < 12) refuse(`MaxPool before opset 12 has no 8-bit form (ORT matches MaxPool-12 only)`);
    const { q, clip } = this.outputQ(t);
    if (clip) refuse(`${clip.opType} '${clip.name}' between it and the QuantizeLinear (ORT drops pairs only right around the op)`);
    if (x.zeroPoint === '' || q.zeroPoint === '') refuse('a zero point is omitted (ORT drops only pairs that state both)');
    if (q.dtype !== tx || x.zeroPoints[0] !== q.zeroPoints[0] || x.scales[0] !== q.scales[0]) {
      refuse(`the DequantizeLinear (${tx}, scale ${x.scales[0]}, zero point ${x.zeroPoints[0]}) and QuantizeLinear (${q.dtype}, scale ${q.scales[0]}, zero point ${q.zeroPoints[0]}) differ`);
    }
    const removed = [q.node.name];
    this.g.values.delete(t.outputs[0]);
    t.inputs = [x.data, ...t.inputs.slice(1)];
    t.outputs = [q.data, ...t.outputs.slice(1)];
    this.moveTo(t, q.node);
    this.setNodes(this.g.nodes.filter((n) => n !== q.node));
    if (this.dropIfUnused(dq)) removed.push(dq.name);
    this.report.fused.push({ node: t.name, op: t.opType, as: `${t.opType} on ${tx}`, removed });
  }

  /** T (with its DQs, Q and Relu/Clip) → one QOperator node at the Q's place, writing the Q's output. */
  replace(t: Node, opType: string, domain: string, inputs: string[], q: QParams, dqs: Node[], clip: Node | undefined, attributes: Node['attributes']): void {
    const fused: Node = { name: t.name, opType, domain, inputs, outputs: [q.data], attributes };
    const removed = [q.node.name, ...(clip ? [clip.name] : [])];
    const nodes = [...this.g.nodes];
    nodes.splice(nodes.indexOf(q.node), 1, fused);
    this.setNodes(nodes.filter((n) => n !== t && n !== clip));
    this.g.values.delete(t.outputs[0]);
    if (clip) this.g.values.delete(clip.outputs[0]);
    for (const dq of new Set(dqs)) if (this.dropIfUnused(dq)) removed.push(dq.name);
    if (domain === MS_DOMAIN) this.g.opsets[MS_DOMAIN] ??= 1;
    this.report.fused.push({ node: t.name, op: t.opType, as: domain ? `${domain}.${opType}` : opType, removed });
  }

  moveTo(t: Node, at: Node): void {
    const nodes = this.g.nodes.filter((n) => n !== t);
    nodes.splice(nodes.indexOf(at), 0, t);
    this.setNodes(nodes);
  }

  /** Removes a DQ nothing reads any more (and that is no graph output). */
  dropIfUnused(dq: Node): boolean {
    const out = dq.outputs[0];
    if (this.isGraphOutput(out) || this.uses(out).length > 0) return false;
    this.setNodes(this.g.nodes.filter((n) => n !== dq));
    this.g.values.delete(out);
    this.g.folded.delete(out);
    return true;
  }

  /** Tries every node with a DQ input, in graph order; records the refusals. */
  run(): void {
    for (const t of [...this.g.nodes]) {
      if (!this.g.nodes.includes(t) || t.opType === Q || t.opType === DQ) continue;
      if (!t.inputs.some((i) => isDefault(this.producer(i), DQ))) continue;
      try {
        this.fuse(t);
      } catch (e) {
        if (!(e instanceof Refusal)) throw e;
        this.refused.set(t, e.message);
      }
    }
    for (const [t, reason] of this.refused) if (this.g.nodes.includes(t)) this.report.left.push({ node: t.name, op: t.opType, reason });
    for (const n of this.g.nodes) {
      if (n.domain !== '' || (n.opType !== Q && n.opType !== DQ)) continue;
      const reads = this.uses(n.outputs[0]).map((u) => `${u.node.opType} '${u.node.name}'`);
      const to = reads.length ? reads.join(', ') : 'the graph output';
      this.report.left.push({
        node: n.name, op: n.opType,
        reason: n.opType === Q ? `no fusable group ends here: runs as QuantizeLinear (read by ${to})` : `no fusable group starts here: runs as DequantizeLinear (read by ${to})`,
      });
    }
  }

  fuse(t: Node): void {
    if (t.domain !== '') refuse(`domain '${t.domain}' has no QDQ rules`);
    if (t.opType === 'Conv') return this.fuseConv(t);
    if (t.opType === 'MatMul') return this.fuseMatMul(t);
    if (t.opType in BINARY) return this.fuseBinary(t);
    if (t.opType in UNARY) return this.fuseUnary(t);
    if (t.opType === 'Concat') return this.fuseConcat(t);
    if ((DROP_OPS as readonly string[]).includes(t.opType)) return this.dropPair(t);
    refuse(NOT_HERE[t.opType] ?? `${t.opType} has no QOperator form: it runs in float between the DequantizeLinear and QuantizeLinear`);
  }
}

/** round half to even (C's rint in the default rounding mode). */
function roundHalfEven(v: number): number {
  if (!Number.isFinite(v)) return v;
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Whether the graph has any QuantizeLinear/DequantizeLinear node (float models skip the pass). */
export function hasQdq(graph: Graph): boolean {
  return graph.nodes.some((n) => n.domain === '' && (n.opType === Q || n.opType === DQ));
}

/**
 * Rewrites QDQ groups into QOperator nodes (see the file comment). Returns a new graph (the input is not modified;
 * unchanged tensors are shared), or the same graph object when it has no QuantizeLinear/DequantizeLinear node, and
 * what was fused and what was left, each with why.
 */
export function fuseQdq(graph: Graph): { graph: Graph; report: QdqReport } {
  if (!hasQdq(graph)) return { graph, report: { fused: [], left: [] } };
  const g: Graph = {
    ...graph,
    opsets: { ...graph.opsets },
    initializers: new Map(graph.initializers),
    nodes: graph.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], attributes: { ...n.attributes } })),
    values: new Map(graph.values),
    folded: new Map(graph.folded),
  };
  const pass = new Pass(g);
  pass.run();
  return { graph: g, report: pass.report };
}
