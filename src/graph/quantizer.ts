/**
 * Static post-training quantization to the standard QDQ form, as ONNX Runtime's `quantize_static`
 * (QuantFormat.QDQ) writes it. Pure: a decoded graph (decodeOnnx) and one float range per tensor in, a GraphSpec for
 * writeOnnx out. No GPU; calibration (the ranges) lives in src/node/calibrate.ts.
 *
 * What gets Q/DQ (ORT's rules, per op type, walking the nodes in file order):
 * - Conv, ConvTranspose: input 0 and output 0 as activations; input 1 (a float initializer) as int8 symmetric weight,
 *   per tensor or per output channel (axis 0; ConvTranspose axis 1); input 2 as int32 bias with scale x_scale·w_scale.
 * - Gemm: A and Y as activations, B as weight (per channel along N), C as bias (beta folded in, beta set to 1).
 * - MatMul: initializer inputs as weights (per channel: axis 1), other inputs and the output as activations.
 * - Relu, Clip with min 0 (when the input is quantized): removed when their input feeds only them and is no graph
 *   input/output (the producer then writes the activation's output; the Q range [0, max] does the clamping); otherwise
 *   input and output as activations.
 * - BatchNormalization, InstanceNormalization, LayerNormalization, only when `opTypes` names them (ORT's default list
 *   has them): input and outputs as activations, scale as a per-tensor weight, bias as int32 (ORT's QDQNormalization).
 * - Reshape, Transpose, Squeeze, Unsqueeze, Slice, AveragePool, Resize (opset ≥ 11), MaxPool (opset ≥ 12): only when
 *   input 0 is quantized; the output reuses input 0's scale and zero point.
 * - Add, Mul, Concat, Sigmoid, GlobalAveragePool: every float input and output as activations (constant inputs are
 *   quantized like activations, asymmetric in the activation type, from their own min/max, as ORT 1.30 does).
 * Activation ranges: ORT's compute_scale_zp (range widened to include 0; scale = (rmax − rmin)/(qmax − qmin) in float64,
 * then float32; zp = round_half_even(qmin − rmin/scale)); int8 [−128, 127] (default) or uint8 [0, 255]. A Relu/Clip
 * input read only by that node takes the range of its output (ORT's adjust_tensor_ranges).
 * Weights: int8 symmetric [−127, 127], zp 0, scale = max|w|/127 (float64, then float32), q = round_half_even(w/scale)
 * with the division in float64 (ORT divides in float32: a weight within float32 rounding of a .5 tie can differ by 1).
 */
import { OnnxLoadError } from './errors.ts';
import { upgradeOpset } from './opset-upgrade.ts';
import { type Attribute, type Graph, type Node, type Tensor, toNumbers } from './ir.ts';
import { type GraphSpec, type NodeSpec, graphToSpec } from './onnx-writer.ts';

export type ActivationType = 'int8' | 'uint8';

/** A float range per tensor (float32 values), from calibration. */
export interface TensorRange {
  min: number;
  max: number;
}

/** The op types that get Q/DQ by default (README "winoconv quantize"). */
export const QUANTIZED_OP_TYPES = [
  'Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Add', 'Mul', 'Concat', 'Sigmoid', 'GlobalAveragePool', 'Relu', 'Clip',
  'MaxPool', 'AveragePool', 'Resize', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Slice',
] as const;
/**
 * Op types the quantizer can also handle when asked (`opTypes`): ORT's default list has them too, but quantizing an
 * unfolded BatchNormalization's scale per tensor costs accuracy (README: PP-OCRv4 det mask IoU 0.96 → 0.90).
 */
export const OPTIONAL_OP_TYPES = ['BatchNormalization', 'InstanceNormalization', 'LayerNormalization'] as const;
export const SUPPORTED_OP_TYPES: readonly string[] = [...QUANTIZED_OP_TYPES, ...OPTIONAL_OP_TYPES];

const DIRECT_8BIT = new Set(['Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Slice', 'AveragePool', 'Resize', 'MaxPool']);

export interface QuantizeOptions {
  /** Weights per output channel (DequantizeLinear axis; needs opset ≥ 13, bumped when safe). Default false. */
  perChannel?: boolean;
  /** Activation type. Default 'int8' (ORT quantize_static's QInt8, asymmetric). */
  activationType?: ActivationType;
  /** Op types to quantize. Default QUANTIZED_OP_TYPES. */
  opTypes?: readonly string[];
}

export interface QuantizeReport {
  /** Nodes given Q/DQ, by op type. */
  quantizedNodes: Record<string, number>;
  /** Relu/Clip nodes removed (their range folded into the producer's Q). */
  removedActivations: string[];
  /** Activation tensors given a Q/DQ pair. */
  activations: number;
  /** Weights quantized (int8) and biases (int32). */
  weights: number;
  biases: number;
  /** Constant nodes turned into initializers first. */
  constantsToInitializers: number;
  /** Opset of the written model (and of the input, when bumped). */
  opset: number;
  opsetBumpedFrom?: number;
  /** Biases whose quantized values were clipped to int32, and other notes. */
  warnings: string[];
}

// ---------------------------------------------------------------------------------------------- scale math

const fround = Math.fround;
/** Smallest normal float32 (numpy.finfo(float32).tiny): smaller scales become 1 with zp 0, as in ORT. */
const FLOAT32_TINY = 2 ** -126;

export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  const out = r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
  return out === 0 ? 0 : out;
}

export function qRange(type: ActivationType, symmetric: boolean): [number, number] {
  if (type === 'uint8') return [0, 255];
  return symmetric ? [-127, 127] : [-128, 127];
}

/**
 * ORT's compute_scale_zp: the range widened to include 0 (and made symmetric when asked), scale = (rmax − rmin) /
 * (qmax − qmin) with rmax − rmin in float32 and the division in float64, zp from the float64 scale, then the scale
 * rounded to float32. Returns [scale (a float32 value), zero point].
 */
export function computeScaleZp(rmin: number, rmax: number, qmin: number, qmax: number, symmetric: boolean): [number, number] {
  if (!Number.isFinite(rmin) || !Number.isFinite(rmax)) throw new OnnxLoadError(`quantize: range [${rmin}, ${rmax}] is not finite`);
  let lo = Math.min(fround(rmin), 0);
  let hi = Math.max(fround(rmax), 0);
  if (symmetric) {
    const a = Math.max(Math.abs(lo), Math.abs(hi));
    lo = -a;
    hi = a;
  }
  const scale = fround(hi - lo) / (qmax - qmin);
  if (scale < FLOAT32_TINY) return [1, 0];
  const zp = symmetric ? roundHalfEven((qmin + qmax) / 2) : roundHalfEven(qmin - lo / scale);
  return [fround(scale), Math.min(qmax, Math.max(qmin, zp))];
}

export interface QuantizedWeight {
  /** One scale per channel along `axis`, or one. */
  scales: Float32Array;
  zeroPoints: number[];
  data: Int8Array | Uint8Array;
}

/**
 * Quantizes float values: symmetric int8 by default (weights), per tensor (axis undefined) or per slice along `axis`.
 * q = clamp(round_half_even(x / scale) + zp, qmin, qmax), the division in float64.
 */
export function quantizeWeights(w: Tensor, axis: number | undefined, type: ActivationType = 'int8', symmetric = true, scales?: Float32Array): QuantizedWeight {
  const x = toNumbers(w);
  const [qmin, qmax] = qRange(type, symmetric);
  const channels = axis === undefined ? 1 : w.dims[axis];
  const inner = axis === undefined ? x.length : w.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const lo = new Array<number>(channels).fill(Infinity);
  const hi = new Array<number>(channels).fill(-Infinity);
  for (let i = 0; i < x.length; i++) {
    const c = channelOf(i);
    if (!Number.isFinite(x[i])) throw new OnnxLoadError(`quantize: ${w.name}[${i}] = ${x[i]} is not finite`);
    if (x[i] < lo[c]) lo[c] = x[i];
    if (x[i] > hi[c]) hi[c] = x[i];
  }
  const zeroPoints: number[] = [];
  if (scales) {
    if (scales.length !== channels || !symmetric) throw new OnnxLoadError(`quantize: ${w.name}: given scales need symmetric quantization and ${channels} value(s)`);
    zeroPoints.push(...new Array<number>(channels).fill(roundHalfEven((qmin + qmax) / 2)));
  } else {
    scales = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const [s, z] = lo[c] === Infinity ? [1, 0] : computeScaleZp(lo[c], hi[c], qmin, qmax, symmetric);
      scales[c] = s;
      zeroPoints.push(z);
    }
  }
  const data = type === 'uint8' ? new Uint8Array(x.length) : new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = channelOf(i);
    data[i] = Math.min(qmax, Math.max(qmin, roundHalfEven(x[i] / scales[c]) + zeroPoints[c]));
  }
  return { scales, zeroPoints, data };
}

/**
 * ORT's `_adjust_weight_scale_for_int32_bias`: where x_scale · w_scale[c] (float64) is below the smallest scale that
 * keeps the bias inside int32 (1.0001 · 2·max|b| / (2^32 − 2)), w_scale[c] grows to fround(w_scale[c] · ratio).
 * Per tensor the bias's whole range counts; per channel each channel's |b[c]|. Returns undefined when nothing changes.
 */
export function adjustWeightScalesForBias(xScale: number, wScales: Float32Array, bias: Tensor): Float32Array | undefined {
  const b = toNumbers(bias);
  const qrange = 2 ** 31 - 1 - (-(2 ** 31) + 1);
  const out = Float32Array.from(wScales);
  let changed = false;
  for (let c = 0; c < wScales.length; c++) {
    const absmax = wScales.length === 1 ? Math.max(Math.abs(Math.min(0, ...b)), Math.abs(Math.max(0, ...b))) : Math.abs(b[c]);
    const smallest = (1.0001 * (2 * absmax)) / qrange;
    const candidate = xScale * wScales[c];
    if (candidate < smallest && candidate > 0) {
      out[c] = fround(wScales[c] * (smallest / candidate));
      changed = true;
    }
  }
  return changed ? out : undefined;
}

/** Bias as int32 with scale fround(x_scale · w_scale[c]) and zp 0; the division in float64; clipped to int32. */
export function quantizeBias(b: Tensor, xScale: number, wScales: Float32Array): { scales: Float32Array; data: Int32Array; clipped: number } {
  const x = toNumbers(b);
  const scales = new Float32Array(wScales.length);
  for (let c = 0; c < wScales.length; c++) scales[c] = fround(fround(xScale) * wScales[c]);
  const data = new Int32Array(x.length);
  let clipped = 0;
  for (let i = 0; i < x.length; i++) {
    const s = scales[wScales.length === 1 ? 0 : i];
    const q = s === 0 ? 0 : roundHalfEven(x[i] / s);
    const c = Math.min(2 ** 31 - 1, Math.max(-(2 ** 31), q));
    if (c !== q) clipped++;
    data[i] = c;
  }
  return { scales, data, clipped };
}

// ---------------------------------------------------------------------------------------------- graph rewrite

/** Tensors whose ranges the quantizer needs: float inputs/outputs (not initializers) of nodes of the op types. */
export function tensorsToCalibrate(graph: Graph, options: Pick<QuantizeOptions, 'opTypes'> = {}): string[] {
  const ops = new Set(options.opTypes ?? QUANTIZED_OP_TYPES);
  const constants = constantOutputs(graph);
  const out: string[] = [];
  const seen = new Set<string>();
  for (const n of graph.nodes) {
    if (n.domain !== '' || !ops.has(n.opType)) continue;
    for (const t of [...n.inputs, ...n.outputs]) {
      if (t === '' || seen.has(t) || graph.initializers.has(t) || constants.has(t)) continue;
      const v = graph.values.get(t);
      if (v && v.dtype !== 'float32') continue;
      seen.add(t);
      out.push(t);
    }
  }
  return out;
}

function constantOutputs(graph: Graph): Map<string, Tensor> {
  const m = new Map<string, Tensor>();
  for (const n of graph.nodes) {
    const v = n.attributes.value;
    if (n.domain === '' && n.opType === 'Constant' && v?.type === 'tensor' && n.outputs[0]) m.set(n.outputs[0], { ...v.value, name: n.outputs[0] });
  }
  return m;
}

interface TensorPlan {
  kind: 'activation' | 'weight' | 'constant' | 'shared';
  axis?: number;
  /** 'shared': the tensor whose scale/zp it reuses. */
  provider?: string;
}

interface BiasPlan {
  input: string;
  weight: string;
  beta: number;
  node: string;
}

/**
 * Rewrites `graph` (as decodeOnnx gives it: the file's nodes; `graph.values` with dtypes when it went through
 * importOnnx, used to skip non-float tensors) into the QDQ form. `ranges` must hold every tensor
 * `tensorsToCalibrate` lists; a missing one is an error naming it.
 */
export function quantizeGraph(graph: Graph, ranges: ReadonlyMap<string, TensorRange>, options: QuantizeOptions = {}): { spec: GraphSpec; report: QuantizeReport } {
  const actType: ActivationType = options.activationType ?? 'int8';
  if (actType !== 'int8' && actType !== 'uint8') throw new OnnxLoadError(`quantize: activationType '${String(actType)}': int8 or uint8`);
  const ops = new Set(options.opTypes ?? QUANTIZED_OP_TYPES);
  for (const op of ops) if (!SUPPORTED_OP_TYPES.includes(op)) throw new OnnxLoadError(`quantize: op type '${op}' is not one the quantizer handles (${SUPPORTED_OP_TYPES.join(', ')})`);
  const perChannel = Boolean(options.perChannel);
  const spec = graphToSpec(graph);
  const report: QuantizeReport = {
    quantizedNodes: {}, removedActivations: [], activations: 0, weights: 0, biases: 0, constantsToInitializers: 0, opset: 0, warnings: [],
  };

  // Opset: QuantizeLinear needs 10; per-axis DequantizeLinear 13. Below that the graph is raised first, its changed
  // ops rewritten (upgradeOpset: what onnx.version_converter does for ORT's quantizer), or refused naming the op.
  const need = perChannel ? 13 : 10;
  if (((spec.opset as Record<string, number>)[''] ?? 1) < need) {
    let up;
    try {
      up = upgradeOpset(spec, need, (v) => graph.values.get(v)?.shape?.length);
    } catch (e) {
      throw new OnnxLoadError(`quantize: the model's opset is below ${need}${perChannel ? ' (per-axis DequantizeLinear, --per-channel)' : ' (QuantizeLinear)'} and cannot be raised: ${(e as Error).message.replace(/^upgradeOpset: /, '')}${perChannel ? '; quantize per tensor, or convert the model first' : '; convert the model first'}`);
    }
    spec.opset = up.spec.opset;
    spec.nodes = up.spec.nodes;
    spec.initializers = up.spec.initializers;
    report.opsetBumpedFrom = up.from;
    if (up.rewritten.length) report.warnings.push(`opset ${up.from} → ${need}: ${up.rewritten.length} node(s) rewritten (${[...new Set(up.rewritten.map((r) => r.split(' ')[0]))].join(', ')}: attributes that became inputs)`);
  }
  const opsets = spec.opset as Record<string, number>;
  report.opset = opsets[''];

  // Constant nodes → initializers (what ORT's quant_pre_process does), so that weights given as Constants quantize.
  const inits = new Map<string, Tensor>();
  for (const t of spec.initializers ?? []) inits.set(t.name, t);
  const graphOutputs = new Set(spec.outputs.map((o) => o.name));
  const graphInputs = new Set(spec.inputs.map((i) => i.name));
  const nodes: NodeSpec[] = [];
  for (const n of spec.nodes) {
    const v = n.attributes?.value;
    if ((n.domain ?? '') === '' && n.opType === 'Constant' && v?.type === 'tensor' && n.outputs[0] && !graphOutputs.has(n.outputs[0])) {
      inits.set(n.outputs[0], { ...v.value, name: n.outputs[0] });
      report.constantsToInitializers++;
    } else nodes.push({ ...n, inputs: [...n.inputs], outputs: [...n.outputs] });
  }

  const isFloatInit = (t: string) => inits.get(t)?.dtype === 'float32';
  const isFloat = (t: string): boolean => {
    if (t === '') return false;
    const init = inits.get(t);
    if (init) return init.dtype === 'float32';
    const v = graph.values.get(t);
    return v === undefined || v.dtype === 'float32';
  };
  const useCount = (t: string) => {
    let k = 0;
    for (const n of nodes) for (const i of n.inputs) if (i === t) k++;
    return k;
  };

  // ORT's adjust_tensor_ranges: a Relu/Clip input read only by it takes the output's range.
  const range = new Map(ranges);
  for (const n of nodes) {
    if ((n.domain ?? '') !== '' || !ops.has(n.opType) || (n.opType !== 'Relu' && n.opType !== 'Clip')) continue;
    const [i, o] = [n.inputs[0], n.outputs[0]];
    if (useCount(i) === 1 && range.has(i) && range.has(o)) range.set(i, range.get(o)!);
  }

  const plans = new Map<string, TensorPlan>();
  const biases = new Map<string, BiasPlan>();
  const removed = new Set<NodeSpec>();
  const act = (t: string) => {
    if (!isFloat(t) || plans.has(t)) return;
    plans.set(t, { kind: inits.has(t) ? 'constant' : 'activation' });
  };
  const weight = (t: string, axis: number) => {
    if (t === '' || plans.has(t)) return;
    if (!isFloatInit(t)) return act(t);
    plans.set(t, { kind: 'weight', axis: perChannel ? axis : undefined });
  };
  const renameOutput = (from: string, to: string) => {
    for (const n of nodes) n.outputs = n.outputs.map((o) => (o === from ? to : o));
  };
  const count = (n: NodeSpec) => (report.quantizedNodes[n.opType] = (report.quantizedNodes[n.opType] ?? 0) + 1);
  const clipMinIsZero = (n: NodeSpec): boolean => {
    if (n.opType === 'Relu') return true;
    const a = n.attributes?.min;
    if (a?.type === 'float') return a.value === 0;
    const m = n.inputs[1] ? inits.get(n.inputs[1]) : undefined;
    return m !== undefined && m.data.length === 1 && Number(m.data[0]) === 0;
  };

  for (const n of nodes) {
    if ((n.domain ?? '') !== '' || !ops.has(n.opType)) continue;
    const [x] = n.inputs;
    const y = n.outputs[0];
    switch (n.opType) {
      case 'Conv':
      case 'ConvTranspose':
        act(x);
        act(y);
        weight(n.inputs[1], n.opType === 'Conv' ? 0 : 1);
        if (n.inputs[2] && isFloatInit(n.inputs[2])) biases.set(n.inputs[2], { input: x, weight: n.inputs[1], beta: 1, node: n.name ?? '' });
        count(n);
        break;
      case 'Gemm': {
        act(x);
        act(y);
        const transB = n.attributes?.transB?.type === 'int' && n.attributes.transB.value !== 0;
        weight(n.inputs[1], transB ? 0 : 1);
        if (n.inputs[2] && isFloatInit(n.inputs[2])) {
          const beta = n.attributes?.beta?.type === 'float' ? n.attributes.beta.value : 1;
          biases.set(n.inputs[2], { input: x, weight: n.inputs[1], beta, node: n.name ?? '' });
          n.attributes = { ...n.attributes, beta: { type: 'float', value: 1 } as Attribute };
        }
        count(n);
        break;
      }
      case 'BatchNormalization':
      case 'InstanceNormalization':
      case 'LayerNormalization':
        // ORT's QDQNormalization: the scale as a weight (per tensor: ORT's per-channel axis 1 is invalid for these 1-D
        // scales), the bias as int32 with scale x_scale·scale_scale; BatchNormalization's mean/var stay float.
        act(x);
        if (isFloatInit(n.inputs[1]) && !plans.has(n.inputs[1])) plans.set(n.inputs[1], { kind: 'weight' });
        else act(n.inputs[1]);
        if (n.inputs[2] && isFloatInit(n.inputs[2])) biases.set(n.inputs[2], { input: x, weight: n.inputs[1], beta: 1, node: n.name ?? '' });
        for (const o of n.outputs) if (o) act(o);
        count(n);
        break;
      case 'MatMul':
        for (const t of n.inputs) if (isFloatInit(t)) weight(t, 1); else act(t);
        act(y);
        count(n);
        break;
      case 'Relu':
      case 'Clip':
        if (!plans.has(x)) break;
        if (clipMinIsZero(n) && range.has(y) && useCount(x) === 1 && !graphOutputs.has(x) && !graphInputs.has(x)) {
          renameOutput(x, y);
          plans.delete(x);
          removed.add(n);
          report.removedActivations.push(n.name ?? n.opType);
        } else {
          act(x);
          count(n);
        }
        act(y);
        break;
      default:
        if (DIRECT_8BIT.has(n.opType)) {
          if ((n.opType === 'Resize' && report.opset < 11) || (n.opType === 'MaxPool' && report.opset < 12)) break;
          if (!plans.has(x) || !isFloat(y) || plans.has(y)) break;
          plans.set(y, { kind: 'shared', provider: x });
          count(n);
          break;
        }
        for (const t of [...n.inputs, ...n.outputs]) act(t);
        count(n);
    }
  }
  const kept = nodes.filter((n) => !removed.has(n));

  // Emit: initializers, Q/DQ nodes (placed right after the producer, or first for inputs/initializers), rewiring.
  const newInits = new Map(inits);
  const before = new Map<string, NodeSpec[]>(); // tensor → nodes to insert right after its producer
  const head: NodeSpec[] = [];
  const scaleOf = new Map<string, { scale: string; zp: string; scales: Float32Array }>();
  const replaceInput = (from: string, to: string, except?: NodeSpec) => {
    for (const n of kept) if (n !== except) n.inputs = n.inputs.map((i) => (i === from ? to : i));
  };
  const place = (t: string, ns: NodeSpec[]) => {
    if (newInits.has(t) || graphInputs.has(t) || !kept.some((n) => n.outputs.includes(t))) head.push(...ns);
    else before.set(t, [...(before.get(t) ?? []), ...ns]);
  };
  const scalarOrVector = (name: string, dtype: 'float32' | 'int8' | 'uint8' | 'int32', values: ArrayLike<number>, vector: boolean): Tensor => {
    const data = dtype === 'float32' ? Float32Array.from(values) : dtype === 'int8' ? Int8Array.from(values) : dtype === 'uint8' ? Uint8Array.from(values) : Int32Array.from(values);
    return { name, dtype, dims: vector ? [values.length] : [], data };
  };
  const qdqPair = (t: string, scale: string, zp: string) => {
    let qIn = t;
    let dqOut = `${t}_DequantizeLinear_Output`;
    if (graphOutputs.has(t)) {
      qIn = `${t}_QuantizeLinear_Input`;
      dqOut = t;
      renameOutput(t, qIn);
      for (const n of kept) n.inputs = n.inputs.map((i) => (i === t ? qIn : i));
      if (before.has(t)) {
        before.set(qIn, before.get(t)!);
        before.delete(t);
      }
    } else replaceInput(t, dqOut);
    const qOut = `${t}_QuantizeLinear_Output`;
    const ns: NodeSpec[] = [
      { name: `${t}_QuantizeLinear`, opType: 'QuantizeLinear', inputs: [qIn, scale, zp], outputs: [qOut] },
      { name: `${t}_DequantizeLinear`, opType: 'DequantizeLinear', inputs: [qOut, scale, zp], outputs: [dqOut] },
    ];
    place(qIn, ns);
    report.activations++;
  };
  const biasOfWeight = new Map<string, { bias: string; input: string }>();
  for (const [b, p] of biases) if (!biasOfWeight.has(p.weight)) biasOfWeight.set(p.weight, { bias: b, input: p.input });
  const weightDq = (t: string, plan: TensorPlan, type: ActivationType, symmetric: boolean) => {
    const w = newInits.get(t)!;
    let q = quantizeWeights(w, plan.axis, type, symmetric);
    const withBias = plan.kind === 'weight' ? biasOfWeight.get(t) : undefined;
    const xs = withBias && scaleOf.get(withBias.input);
    if (withBias && xs) {
      const adjusted = adjustWeightScalesForBias(xs.scales[0], q.scales, newInits.get(withBias.bias)!);
      if (adjusted) {
        const raised = adjusted.filter((v, i) => v !== q.scales[i]).length;
        q = quantizeWeights(w, plan.axis, type, symmetric, adjusted);
        report.warnings.push(`weight '${t}': ${raised} scale(s) raised so that bias '${withBias.bias}' fits int32 (ORT's adjustment)`);
      }
    }
    const vector = plan.axis !== undefined;
    const qName = `${t}_quantized`;
    newInits.set(qName, { name: qName, dtype: type, dims: [...w.dims], data: q.data });
    newInits.set(`${t}_scale`, scalarOrVector(`${t}_scale`, 'float32', q.scales, vector));
    newInits.set(`${t}_zero_point`, scalarOrVector(`${t}_zero_point`, type, q.zeroPoints, vector));
    const dqOut = `${t}_DequantizeLinear_Output`;
    replaceInput(t, dqOut);
    head.push({
      name: `${t}_DequantizeLinear`, opType: 'DequantizeLinear', inputs: [qName, `${t}_scale`, `${t}_zero_point`], outputs: [dqOut],
      attributes: vector ? { axis: { type: 'int', value: plan.axis! } } : {},
    });
    scaleOf.set(t, { scale: `${t}_scale`, zp: `${t}_zero_point`, scales: q.scales });
    report.weights++;
  };

  // Activations first: a weight's scale may depend on its conv's input scale (the int32 bias adjustment).
  for (const [t, plan] of plans) {
    if (plan.kind === 'activation') {
      const r = range.get(t);
      if (!r) throw new OnnxLoadError(`quantize: no calibration range for tensor '${t}' (every tensor tensorsToCalibrate lists needs one)`);
      const [qmin, qmax] = qRange(actType, false);
      const [s, z] = computeScaleZp(r.min, r.max, qmin, qmax, false);
      newInits.set(`${t}_scale`, scalarOrVector(`${t}_scale`, 'float32', [s], false));
      newInits.set(`${t}_zero_point`, scalarOrVector(`${t}_zero_point`, actType, [z], false));
      scaleOf.set(t, { scale: `${t}_scale`, zp: `${t}_zero_point`, scales: Float32Array.of(s) });
      qdqPair(t, `${t}_scale`, `${t}_zero_point`);
    }
  }
  for (const [t, plan] of plans) {
    if (plan.kind === 'weight') weightDq(t, plan, 'int8', true);
    else if (plan.kind === 'constant') weightDq(t, { kind: 'constant' }, actType, false);
  }
  // Shared-parameter outputs (data movement), in dependency order.
  // Each round takes the outputs whose provider already has parameters (a chain Transpose → Reshape takes two rounds;
  // an output is given its Q/DQ pair exactly once).
  for (let pending = [...plans].filter(([, p]) => p.kind === 'shared'); pending.length; ) {
    const ready = pending.filter(([, p]) => scaleOf.has(p.provider!));
    if (ready.length === 0) throw new OnnxLoadError(`quantize: shared quantization parameters form a cycle at '${pending[0][0]}'`);
    for (const [t, p] of ready) {
      const src = scaleOf.get(p.provider!)!;
      scaleOf.set(t, src);
      qdqPair(t, src.scale, src.zp);
    }
    pending = pending.filter((e) => !ready.includes(e));
  }
  for (const [b, plan] of biases) {
    const x = scaleOf.get(plan.input);
    const w = scaleOf.get(plan.weight);
    if (!x || !w) {
      report.warnings.push(`bias '${b}' of '${plan.node}' left in float: its ${!x ? 'input' : 'weight'} is not quantized`);
      continue;
    }
    const bt = newInits.get(b)!;
    const scaled = plan.beta === 1 ? bt : { ...bt, data: Float32Array.from(toNumbers(bt), (v) => fround(v * plan.beta)) };
    const q = quantizeBias(scaled, x.scales[0], w.scales);
    if (q.clipped) report.warnings.push(`bias '${b}': ${q.clipped} value(s) clipped to the int32 range (the bias scale x_scale·w_scale is too small)`);
    const vector = w.scales.length > 1;
    const qName = `${b}_quantized`;
    newInits.set(qName, { name: qName, dtype: 'int32', dims: [...bt.dims], data: q.data });
    // ORT writes the bias scale as a 1-D tensor even per tensor (shape [1]); the zero point stays a scalar then.
    newInits.set(`${qName}_scale`, scalarOrVector(`${qName}_scale`, 'float32', q.scales, true));
    newInits.set(`${qName}_zero_point`, scalarOrVector(`${qName}_zero_point`, 'int32', new Array<number>(q.scales.length).fill(0), vector));
    newInits.delete(b);
    head.push({
      name: `${b}_DequantizeLinear`, opType: 'DequantizeLinear', inputs: [qName, `${qName}_scale`, `${qName}_zero_point`], outputs: [b],
      attributes: vector ? { axis: { type: 'int', value: 0 } } : {},
    });
    report.biases++;
  }

  const ordered: NodeSpec[] = [...head];
  for (const n of kept) {
    ordered.push(n);
    for (const o of n.outputs) ordered.push(...(before.get(o) ?? []));
  }
  const used = new Set<string>([...ordered.flatMap((n) => n.inputs), ...spec.outputs.map((o) => o.name)]);
  const initializers = [...newInits.values()].filter((t) => used.has(t.name));
  return {
    spec: { ...spec, opset: opsets, producer: 'winoconv quantize', nodes: ordered, initializers },
    report,
  };
}

/** Nodes of a graph as NodeSpecs (for tests and callers that edit the IR before writing). */
export function nodeSpecs(nodes: readonly Node[]): NodeSpec[] {
  return nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs] }));
}
