/**
 * createSession: an ONNX model planned for the engine's GPUDevice and run with one command encoder and one submit.
 *
 *   bytes ──importOnnx──▶ IR (shapes bound) ──runPasses──▶ fused graph ──scheduleGraph──▶ layouts + relayouts
 *         ──lower──▶ a ConvPlan per convolution (engine: selection + verification), generated kernels per other op
 *         ──planMemory──▶ one arena (activations, workspaces, scratch) ──▶ pipelines, bind groups, uniforms: once
 *   run: write inputs into the arena → one encoder (one compute pass; one per node when profiling) → copy outputs
 *        to a readback buffer → one submit → map.
 *
 * Run-time values are float32, int8, uint8 or int32 (runtime-types.ts: byte tensors for 8-bit values); QLinearConv and
 * ConvInteger run as the engine's int8 plans in layout NCHW (lower-quant.ts).
 *
 * Every refusal (unsupported op, attribute or dtype at run time, bad shapes) happens before any GPU work.
 */
import { demoteFloat16 } from './float16.ts';
import { f16StorageVariant } from '../kernels/f16-storage.ts';
import { packF16, unpackF16 } from '../util/float16.ts';
import type { Engine } from '../engine/engine.ts';
import type { ConvPlan } from '../engine/plan.ts';
import type { Conv2dDesc } from '../conv/desc.ts';
import type { Activation } from '../conv/types.ts';
import { normalizeDesc } from '../conv/desc.ts';
import { packUniforms, uniformByteSize } from '../kernels/types.ts';
import { createBindGroupLayout, type BuiltPipeline } from '../runtime/pipeline.ts';
import type { KernelSource } from '../kernels/types.ts';
import { OnnxLoadError } from './errors.ts';
import { type Attribute, type Graph, type Node, type Tensor, elementCount, formatShape, toNumbers } from './ir.ts';
import { importOnnx } from './onnx-import.ts';
import { runPasses } from './passes.ts';
import { isConstant, isConvNode, scheduleGraph, type Schedule } from './layout.ts';
import { planMemory, type MemoryBlock } from './memory-plan.ts';
import { lowerOp, lowerRelayout } from './lower-ops.ts';
import { convPads, isQConvNode, lowerQConv, lowerQDepthwise, type QConvLowering } from './lower-quant.ts';
import { selectTapwise, tryTapwise, type PlanInternal, type TapLayerRequest, type TapwiseOptions } from './tapwise-select.ts';
import { generateZeroPointCorrectionKernel } from '../kernels/ops/integer.ts';
import { linearWork } from '../kernels/ops/common.ts';
import { packBytes } from './lower-ops.ts';
import {
  type Layout, type OpDispatch, type RuntimeDType, type Session, type SessionInfo, type SessionInputs, type SessionNodeInfo, type SessionEncodeIO, type SessionOutputs,
  type SessionRunOptions, type SessionTensor, type StridedTensor, TYPED_ARRAY_OF, isRuntimeDType, isTypedFor, stridedTensor, typedFromBytes, valueBytes,
} from './runtime-types.ts';

export interface SessionOptions {
  /** Shapes of the model inputs (binds symbolic dimensions); required for inputs with symbolic dims. */
  inputShapes?: Record<string, readonly number[]>;
  /** Per-node algorithm override for convolutions, by node name (engine algorithm names, e.g. 'winograd4'). */
  algorithms?: Record<string, string>;
  /** Time each node with timestamp queries (info.nodes[i].gpuMs after each run). */
  profile?: boolean;
  /**
   * How quantized convolutions and matmuls (QLinearConv, QLinearMatMul, the QDQ form) round acc · M before
   * round-half-to-even: 'float32' (default), ONNX Runtime's MLAS arithmetic, so a quantized model's outputs equal ONNX
   * Runtime's bit for bit; 'float64', the ONNX reference's product (the engine's default for plans made directly).
   */
  requantRounding?: 'float32' | 'float64';
  /**
   * Model inputs fixed at load, folded like initializers (weights, shapes or axes a model takes as inputs, as ONNX's
   * node tests do); each must match the input's dtype (typed array kind) and declared shape.
   */
  constantInputs?: Record<string, { dims: readonly number[]; data: Tensor['data'] }>;
  /**
   * Tap-wise int8 Winograd, per layer (off by default: quantized convolutions run exact algorithms). Each 3×3
   * stride-1 QLinearConv tries the schemes in order and takes the first whose SQNR, measured against the exact
   * result on the layer's own inputs from `calibration`, meets `minSqnrDb`; then the whole model runs on
   * `calibration` and must pass `check` against the exact int8 model, or layers are dropped (lowest SQNR first)
   * until it does. info.tapwise and info.nodes[i].tapwise say what was chosen and why. See tapwise-select.ts.
   */
  tapwise?: TapwiseOptions;
  /**
   * How float activations are stored in the arena: 'float32', or 'float16' (binary16, half the bytes; arithmetic
   * stays f32; convolutions run as float16 plans, their weights rounded at load). Default: 'float16' for a float16
   * model (float16 inputs, outputs or initializers, which load as float32 with binary16 storage), else 'float32'.
   * A float16 model with 'float32' computes with float32 storage (more precise than the file asks; Casts to
   * float16 then do not round).
   */
  precision?: 'float32' | 'float16';
}

const SESSION_OPTION_KEYS = ['inputShapes', 'algorithms', 'profile', 'constantInputs', 'requantRounding', 'tapwise', 'precision'];

/** A failure of a session's creation or run that is not a refusal of the model itself. */
export class SessionError extends Error {
  override readonly name = 'SessionError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const nodeLabel = (n: Node) => `node '${n.name}' (${n.opType})`;

// ---------------------------------------------------------------------------------------------------------------
// Convolutions: the engine's descriptor and epilogue for a Conv / FusedConv node.

export interface ConvLowering {
  desc: Conv2dDesc;
  weights: Float32Array;
  bias?: Float32Array;
  preluWeights?: Float32Array;
  preActivation?: Activation;
  residual: boolean;
}

function intsAttr(n: Node, name: string): number[] | undefined {
  const a = n.attributes[name];
  return a?.type === 'ints' ? a.value : undefined;
}
function intAttr(n: Node, name: string, def: number): number {
  const a = n.attributes[name];
  return a?.type === 'int' ? a.value : def;
}
function stringAttr(n: Node, name: string): string | undefined {
  const a = n.attributes[name];
  return a?.type === 'string' ? a.value : undefined;
}
function floatsAttr(n: Node, name: string): number[] {
  const a = n.attributes[name];
  return a?.type === 'floats' ? a.value : [];
}

function floatData(t: Tensor): Float32Array {
  return t.data instanceof Float32Array ? t.data : Float32Array.from(toNumbers(t));
}

/** The engine activation for FusedConv's activation kind and params, or undefined when the engine has none. */
function engineActivation(kind: string | undefined, params: number[], slopes: boolean): Activation | undefined {
  switch (kind) {
    case undefined: return { type: 'linear' };
    case 'Relu': return { type: 'relu' };
    case 'LeakyRelu': return { type: 'leakyrelu', alpha: params[0] };
    case 'Sigmoid': return { type: 'sigmoid' };
    case 'Elu': return params[0] === 1 ? { type: 'elu' } : undefined;
    case 'Clip':
      if (params[0] === 0 && params[1] === 6) return { type: 'relu6' };
      if (params[0] === 0 && params[1] === Infinity) return { type: 'relu' };
      return { type: 'clip', min: params[0], max: params[1] };
    case 'HardSigmoid': return { type: 'hardsigmoid', alpha: params[0], beta: params[1] };
    case 'HardSwish': return { type: 'hardswish' };
    case 'PRelu': return slopes ? { type: 'prelu' } : undefined;
    default: return undefined;
  }
}

/** How a convolution node maps onto the engine, or the reason it cannot (then the session refuses it at load). */
function lowerConv(g: Graph, n: Node, algorithm: string | undefined): ConvLowering | { unfuse: string } {
  const xv = g.values.get(n.inputs[0])!;
  const x = xv.shape as number[];
  const w = g.initializers.get(n.inputs[1]) ?? g.folded.get(n.inputs[1]);
  if (xv.dtype !== 'float32') throw new OnnxLoadError(`${nodeLabel(n)}: input '${n.inputs[0]}' is ${xv.dtype}; Conv runs on float32 values (quantized convolutions: QLinearConv, ConvInteger)`);
  if (x.length !== 4) throw new OnnxLoadError(`${nodeLabel(n)}: input ${formatShape(x)} has rank ${x.length}; only 2-D convolutions (rank-4 inputs) are supported`);
  if (!w) throw new OnnxLoadError(`${nodeLabel(n)}: the weights '${n.inputs[1]}' must be an initializer (weights computed at run time are not supported)`);
  const b = n.inputs[2] ? (g.initializers.get(n.inputs[2]) ?? g.folded.get(n.inputs[2])) : undefined;
  if (n.inputs[2] && !b) throw new OnnxLoadError(`${nodeLabel(n)}: the bias '${n.inputs[2]}' must be an initializer`);
  const group = intAttr(n, 'group', 1);
  const kernel = [w.dims[2], w.dims[3]];
  const strides = intsAttr(n, 'strides') ?? [1, 1];
  const dilations = intsAttr(n, 'dilations') ?? [1, 1];
  const pads = convPads(n, [x[2], x[3]], kernel, strides, dilations);
  const slopeName = n.inputs[4];
  let prelu: Float32Array | undefined;
  if (slopeName) {
    const t = g.initializers.get(slopeName) ?? g.folded.get(slopeName);
    if (t && (elementCount(t.dims) === w.dims[0] || elementCount(t.dims) === 1)) prelu = floatData(t);
    else return { unfuse: 'PRelu slopes that are not per channel' };
  }
  const act = engineActivation(stringAttr(n, 'activation'), floatsAttr(n, 'activation_params'), !!prelu);
  if (!act) return { unfuse: `activation ${stringAttr(n, 'activation')} [${floatsAttr(n, 'activation_params').join(', ')}]` };
  const preKind = stringAttr(n, 'pre_activation');
  const pre = preKind ? engineActivation(preKind, floatsAttr(n, 'pre_activation_params'), !!prelu) : undefined;
  if (preKind && !pre) return { unfuse: `pre-activation ${preKind}` };
  const desc: Conv2dDesc = {
    inChannels: x[1],
    outChannels: w.dims[0],
    kernelSize: [kernel[0], kernel[1]],
    strides: [strides[0], strides[1]],
    pads,
    dilations: [dilations[0], dilations[1]],
    groups: group,
    layout: 'NHWC',
    activation: act,
    algorithm: (algorithm ?? 'auto') as Conv2dDesc['algorithm'],
  };
  return { desc, weights: floatData(w), bias: b ? floatData(b) : undefined, preluWeights: prelu, preActivation: pre, residual: !!n.inputs[3] };
}

/**
 * FusedConv as the nodes it came from (Conv, activations, Add), for epilogues the engine cannot take: the
 * activation nodes are lowered to op kernels.
 */
function unfuse(g: Graph, n: Node): Node[] {
  const out = n.outputs[0];
  const shape = g.values.get(out)!.shape;
  let cur = `${out}::conv`;
  const attributes: Record<string, Attribute> = {};
  for (const [k, v] of Object.entries(n.attributes)) if (!['activation', 'activation_params', 'pre_activation', 'pre_activation_params'].includes(k)) attributes[k] = v;
  const nodes: Node[] = [{ name: n.name, opType: 'Conv', domain: '', inputs: n.inputs.slice(0, 3), outputs: [cur], attributes }];
  g.values.set(cur, { name: cur, dtype: 'float32', shape });
  const act = (kind: string, params: number[], tag: string, final: boolean) => {
    const to = final ? out : `${out}::${tag}`;
    const a: Record<string, Attribute> = {};
    const inputs = [cur];
    if (kind === 'LeakyRelu' || kind === 'Elu') a.alpha = { type: 'float', value: params[0] };
    if (kind === 'HardSigmoid') {
      a.alpha = { type: 'float', value: params[0] };
      a.beta = { type: 'float', value: params[1] };
    }
    if (kind === 'Clip') {
      for (const [i, v] of params.entries()) {
        const name = `${n.name}::${tag}_clip${i}`;
        g.folded.set(name, { name, dtype: 'float32', dims: [], data: new Float32Array([v]) });
        g.values.set(name, { name, dtype: 'float32', shape: [] });
        inputs.push(name);
      }
    }
    if (kind === 'PRelu') inputs.push(n.inputs[4]);
    nodes.push({ name: `${n.name}::${tag}`, opType: kind, domain: '', inputs, outputs: [to], attributes: a });
    g.values.set(to, { name: to, dtype: 'float32', shape });
    cur = to;
  };
  const pre = stringAttr(n, 'pre_activation');
  const fin = stringAttr(n, 'activation');
  if (pre) act(pre, floatsAttr(n, 'pre_activation_params'), 'pre', false);
  if (n.inputs[3]) {
    const to = fin ? `${out}::add` : out;
    nodes.push({ name: `${n.name}::add`, opType: 'Add', domain: '', inputs: [cur, n.inputs[3]], outputs: [to], attributes: {} });
    g.values.set(to, { name: to, dtype: 'float32', shape });
    cur = to;
  }
  if (fin) act(fin, floatsAttr(n, 'activation_params'), 'act', true);
  if (cur !== out) {
    nodes[nodes.length - 1].outputs = [out];
  }
  return nodes;
}

// ---------------------------------------------------------------------------------------------------------------
// The planned session.

interface ConvStep {
  kind: 'conv';
  index: number;
  node: Node;
  /** float32 convolutions (Conv, FusedConv). */
  lowering?: ConvLowering;
  /** QLinearConv / ConvInteger: an int8/uint8 plan in layout NCHW. */
  quant?: QConvLowering;
  plan?: ConvPlan<Float32Array>;
  input: string;
  output: string;
  residual?: string;
  workspace?: string;
  workspaceBytes: number;
  info: SessionNodeInfo;
}

interface LiveDispatch {
  source: OpDispatch;
  built?: BuiltPipeline;
  group?: GPUBindGroup;
  uniformBuffer?: GPUBuffer;
}

interface OpStep {
  kind: 'op';
  index: number;
  node?: Node;
  dispatches: LiveDispatch[];
  aliasOf?: string;
  output: string;
  info: SessionNodeInfo;
}

type Step = ConvStep | OpStep;

const ALIGN_FALLBACK = 256;

export async function createSession(engine: Engine, model: ArrayBuffer | Uint8Array, opts: SessionOptions = {}): Promise<Session> {
  if (opts !== null && typeof opts === 'object' && opts.tapwise !== undefined) {
    const t0 = performance.now();
    const { rt, resolved } = await selectTapwise(model, opts, (o, internal) => planSession(engine, model, o, internal));
    // creationMs counts the whole selection (the exact run, the measurements, every planning), not only the last plan
    rt.info.creationMs = performance.now() - t0;
    return new SessionHandle(engine, model, opts, rt, resolved);
  }
  return new SessionHandle(engine, model, opts, await planSession(engine, model, opts));
}

/**
 * The public session: the planned runtime for the current input shapes, re-planned by resize() (the engine's
 * verification results are cached by kernels, descriptor and weights, so a new size re-verifies nothing).
 */
class SessionHandle implements Session {
  constructor(
    private readonly engine: Engine,
    private readonly model: ArrayBuffer | Uint8Array,
    private opts: SessionOptions,
    private rt: SessionRuntime,
    /** Tap-wise layers as selected at creation (kept by resize; each re-measured on its calibration crops). */
    private readonly tap?: PlanInternal,
  ) {}

  get info(): SessionInfo {
    return this.rt.info;
  }

  run(inputs: SessionInputs): Promise<SessionOutputs>;
  run(inputs: SessionInputs, opts: { keepOnGpu: true }): Promise<Record<string, GPUBuffer>>;
  run(inputs: SessionInputs, opts: SessionRunOptions = {}): Promise<SessionOutputs | Record<string, GPUBuffer>> {
    return this.rt.run(inputs, opts as { keepOnGpu: true });
  }

  encode(encoder: GPUCommandEncoder, io: SessionEncodeIO): void {
    this.rt.encode(encoder, io);
  }

  async resize(inputShapes: Record<string, readonly number[]>): Promise<void> {
    if (this.rt.isDestroyed) throw new SessionError('resize(): the session was destroyed');
    const opts = { ...this.opts, inputShapes };
    const next = await planSession(this.engine, this.model, opts, this.tap);
    if (this.rt.info.tapwise) next.info.tapwise = { ...this.rt.info.tapwise, chosen: next.info.nodes.filter((n) => n.tapwise && n.tapwise.chosen !== 'exact').map((n) => n.name) };
    await this.rt.idle();
    this.rt.destroy();
    this.rt = next;
    this.opts = opts;
  }

  destroy(): void {
    this.rt.destroy();
  }
}

async function planSession(engine: Engine, model: ArrayBuffer | Uint8Array, opts: SessionOptions, internal: PlanInternal = {}): Promise<SessionRuntime> {
  const t0 = performance.now();
  if (opts === null || typeof opts !== 'object') throw new OnnxLoadError(`createSession options: expected an object, got ${String(opts)}`);
  for (const k of Object.keys(opts)) {
    if (!SESSION_OPTION_KEYS.includes(k)) throw new OnnxLoadError(`createSession options.${k}: unknown key (known: ${SESSION_OPTION_KEYS.join(', ')})`);
  }
  const requantRounding = opts.requantRounding ?? 'float32';
  if (requantRounding !== 'float32' && requantRounding !== 'float64') {
    throw new OnnxLoadError(`createSession options.requantRounding = ${JSON.stringify(requantRounding)}: must be 'float32' (ONNX Runtime's) or 'float64' (the ONNX reference's)`);
  }
  if (opts.precision !== undefined && opts.precision !== 'float32' && opts.precision !== 'float16') {
    throw new OnnxLoadError(`createSession options.precision = ${JSON.stringify(opts.precision)}: must be 'float32' or 'float16'`);
  }
  const imported = importOnnx(model, { inputShapes: opts.inputShapes, constantInputs: opts.constantInputs });
  const fp16Model = demoteFloat16(imported);
  const half = (opts.precision ?? (fp16Model ? 'float16' : 'float32')) === 'float16';
  const { graph: g, report } = runPasses(imported);
  // Nodes whose every output is known at load (a Constant or a folded Shape that is a graph output) do not run.
  g.nodes = g.nodes.filter((n) => !n.outputs.every((o) => !o || isConstant(g, o)));
  checkRuntimeValues(g);
  for (const name of internal.extraOutputs ?? []) {
    const v = g.values.get(name);
    if (!v) throw new Error(`internal error: extra output '${name}' is not a value of the graph`);
    if (!g.outputs.some((o) => o.name === name) && !g.inputs.some((i) => i.name === name)) g.outputs.push({ name, dtype: v.dtype, shape: v.shape });
  }

  // Epilogues the engine cannot take are split back into Conv + op nodes.
  const algorithms = opts.algorithms ?? {};
  const convLowerings = new Map<Node, ConvLowering>();
  g.nodes = g.nodes.flatMap((n) => {
    if (!isConvNode(n)) return [n];
    const l = lowerConv(g, n, algorithms[n.name]);
    if ('unfuse' in l) {
      const nodes = unfuse(g, n);
      const conv = nodes[0];
      const l2 = lowerConv(g, conv, algorithms[n.name]);
      if ('unfuse' in l2) throw new OnnxLoadError(`${nodeLabel(conv)}: ${l2.unfuse}`);
      convLowerings.set(conv, l2);
      return nodes;
    }
    convLowerings.set(n, l);
    return [n];
  });
  for (const name of Object.keys(algorithms)) {
    if (![...convLowerings.keys()].some((n) => n.name === name)) {
      throw new OnnxLoadError(`createSession options.algorithms names '${name}', which is not a convolution node of the model (after fusion)`);
    }
  }
  for (const l of convLowerings.values()) normalizeDesc(l.desc);

  const sched = scheduleGraph(g);
  const device = engine.device;
  const limits = {
    maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
  };
  const view = (name: string): StridedTensor => stridedTensor(g.values.get(name)!.shape as number[], sched.layouts.get(name) ?? 'contiguous');
  const constantOf = (name: string): Tensor | undefined => (name ? (g.initializers.get(name) ?? g.folded.get(name)) : undefined);

  // float16 precision: every op kernel's bindings of float activations read and write binary16 (f16-storage.ts).
  const halfDispatch = (d: OpDispatch): OpDispatch => {
    if (!half) return d;
    const names = Object.entries(d.buffers)
      .filter(([, b]) => 'value' in b && !isConstant(g, b.value) && g.values.get(b.value)?.dtype === 'float32')
      .map(([k]) => k);
    return names.length ? { ...d, kernel: f16StorageVariant(d.kernel, names, { idSuffix: true }) } : d;
  };

  // Lowering (CPU only): every op kernel and every convolution's descriptor, before any GPU work.
  const steps: Step[] = [];
  for (const item of sched.items) {
    const index = steps.length;
    if (item.kind === 'relayout') {
      const from = view(item.from);
      const to = stridedTensor(from.shape, item.toLayout);
      const dispatches = lowerRelayout(from, to, { input: item.from, output: item.to }, limits.maxComputeWorkgroupsPerDimension).map((d) => ({ source: halfDispatch(d) }));
      steps.push({
        kind: 'op', index, dispatches, output: item.to,
        info: { name: `relayout ${item.from}`, opType: 'Relayout', inputShapes: [from.shape], outputShapes: [to.shape], layouts: [item.toLayout], algorithm: 'kernel', kernelIds: dispatches.map((d) => d.source.kernel.id) },
      });
      continue;
    }
    const n = item.node;
    const inputShapes = n.inputs.map((i) => (i ? (g.values.get(i)?.shape as number[]) : []));
    const outputShapes = n.outputs.map((o) => (o ? (g.values.get(o)?.shape as number[]) : []));
    const layouts = n.outputs.map((o) => sched.layouts.get(o) ?? 'contiguous');
    const info: SessionNodeInfo = { name: n.name, opType: n.opType, inputShapes, outputShapes, layouts, algorithm: '', kernelIds: [] };
    if (isConvNode(n)) {
      steps.push({ kind: 'conv', index, node: n, lowering: convLowerings.get(n)!, input: sched.convInput.get(n)!, output: n.outputs[0], residual: sched.convResidual.get(n), workspaceBytes: 0, info });
      continue;
    }
    if (isQConvNode(n)) {
      const q = lowerQConv(g, n);
      if (q.quant.output === 'int8' || q.quant.output === 'uint8') q.quant.rounding = requantRounding;
      try {
        normalizeDesc(q.desc);
      } catch (e) {
        throw new OnnxLoadError(`${nodeLabel(n)}: ${(e as Error).message}`, { cause: e });
      }
      const dw = lowerQDepthwise(q, inputShapes[0], outputShapes[0], n.outputs[0], n.inputs[0], limits.maxComputeWorkgroupsPerDimension);
      if (dw) {
        info.algorithm = 'depthwise';
        info.kernelIds = [dw.kernel.id];
        steps.push({ kind: 'op', index, node: n, dispatches: [{ source: halfDispatch(dw) }], output: n.outputs[0], info });
        continue;
      }
      steps.push({ kind: 'conv', index, node: n, quant: q, input: n.inputs[0], output: n.outputs[0], workspaceBytes: 0, info });
      if (q.xZeroPointValue) {
        const out = n.outputs[0];
        const total = elementCount(g.values.get(out)!.shape as number[]);
        const zpType = g.values.get(q.xZeroPointValue)!.dtype as 'int8' | 'uint8';
        const kernel = generateZeroPointCorrectionKernel({ zeroPoint: zpType });
        const w = linearWork(total, limits.maxComputeWorkgroupsPerDimension);
        const d: OpDispatch = {
          kernel, uniforms: { ...w.uniforms, per_image: q.correction!.length }, workgroups: w.workgroups,
          buffers: { out: { value: out }, x_zp: { value: q.xZeroPointValue }, corr: { constant: q.correction!, label: `${n.name}:x_zero_point correction` } },
        };
        steps.push({
          kind: 'op', index: index + 1, dispatches: [{ source: d }], output: out,
          info: { name: `${n.name} x_zero_point`, opType: 'ConvIntegerZeroPoint', inputShapes: [outputShapes[0], []], outputShapes: [outputShapes[0]], layouts: ['contiguous'], algorithm: 'kernel', kernelIds: [kernel.id] },
        });
      }
      continue;
    }
    let lowered;
    try {
      lowered = lowerOp({
        node: n,
        inputs: n.inputs.map((i) => (i ? (isConstant(g, i) ? stridedTensor(constantOf(i)!.dims, 'contiguous') : view(i)) : undefined)),
        outputs: n.outputs.map((o) => view(o)),
        constant: constantOf,
        dtype: (name) => g.values.get(name)?.dtype,
        limits,
        opset: g.opsets[''],
        requantRounding,
      });
    } catch (e) {
      if (e instanceof OnnxLoadError) throw e;
      throw new OnnxLoadError(`${nodeLabel(n)}: ${(e as Error).message}`, { cause: e });
    }
    info.algorithm = lowered.aliasOf !== undefined ? 'alias' : 'kernel';
    const dispatches = lowered.dispatches.map(halfDispatch);
    info.kernelIds = dispatches.map((d) => d.kernel.id);
    steps.push({ kind: 'op', index, node: n, dispatches: dispatches.map((d) => ({ source: d })), aliasOf: lowered.aliasOf !== undefined ? n.inputs[lowered.aliasOf] : undefined, output: n.outputs[0], info });
  }

  const rt = new SessionRuntime(engine, g, sched, steps, !!opts.profile, internal.tap, half);
  try {
    await rt.build();
  } catch (e) {
    rt.destroy();
    throw e;
  }
  rt.info.creationMs = performance.now() - t0;
  rt.info.passes = { ...report.counts };
  return rt;
}

/** Refuses graphs whose run-time values (not folded at load) are not float32, int8, uint8 or int32, naming every one. */
function checkRuntimeValues(g: Graph): void {
  const bad: string[] = [];
  for (const inp of g.inputs) {
    if (!isRuntimeDType(inp.dtype)) bad.push(`model input '${inp.name}' is ${inp.dtype}`);
    if (inp.shape?.some((d) => typeof d !== 'number')) bad.push(`model input '${inp.name}' has symbolic shape ${formatShape(inp.shape)}: give its size in inputShapes`);
  }
  for (const n of g.nodes) {
    for (const o of n.outputs) {
      const v = o ? g.values.get(o) : undefined;
      if (!v) continue;
      if (!isRuntimeDType(v.dtype)) bad.push(`${nodeLabel(n)} computes '${o}' as ${v.dtype} at run time`);
      else if (v.shape?.some((d) => typeof d !== 'number')) bad.push(`${nodeLabel(n)}: '${o}' has symbolic shape ${formatShape(v.shape)}`);
    }
  }
  if (bad.length) throw new OnnxLoadError(`model not supported at run time (only float32, int8, uint8 and int32 values are computed on the GPU): ${bad.join('; ')}`);
}

class SessionRuntime {
  readonly info: SessionInfo;
  private readonly device: GPUDevice;
  private arena?: GPUBuffer;
  private offsets = new Map<string, number>();
  private readonly owned: GPUBuffer[] = [];
  private readback?: GPUBuffer;
  private readbackLayout: { name: string; value: string; offset: number; bytes: number; dtype: RuntimeDType; count: number }[] = [];
  private querySet?: GPUQuerySet;
  private queryResolve?: GPUBuffer;
  private queryRead?: GPUBuffer;
  private chain: Promise<unknown> = Promise.resolve();
  private destroyed = false;

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Resolves when every queued run has finished. */
  idle(): Promise<unknown> {
    return this.chain;
  }

  constructor(
    private readonly engine: Engine,
    private readonly g: Graph,
    private readonly sched: Schedule,
    private readonly steps: Step[],
    private readonly profile: boolean,
    private readonly tap?: ReadonlyMap<string, TapLayerRequest>,
    /** float16 precision: float activations stored as binary16 in the arena. */
    private readonly half = false,
  ) {
    this.device = engine.device;
    const shapeOf = (name: string) => g.values.get(name)!.shape as number[];
    const dtypeOf = (name: string) => g.values.get(name)!.dtype as RuntimeDType;
    this.info = {
      inputs: g.inputs.map((i) => ({ name: i.name, shape: shapeOf(i.name), dtype: dtypeOf(i.name) })),
      outputs: g.outputs.map((o) => ({ name: o.name, shape: shapeOf(o.name), dtype: dtypeOf(o.name) })),
      nodes: steps.map((s) => s.info),
      memory: { weightBytes: 0, arenaBytes: 0, peakLiveBytes: 0 },
      creationMs: 0,
      passes: {},
      precision: half ? 'float16' : 'float32',
    };
  }

  /** Bytes of a value's storage (valueBytes: 8-bit values rounded up to whole words). */
  private bytesOf(name: string): number {
    const v = this.g.values.get(name);
    const shape = v?.shape as number[] | undefined;
    if (!v || !shape) throw new Error(`internal error: no shape for value '${name}'`);
    return valueBytes(v.dtype as RuntimeDType, elementCount(shape), this.half);
  }

  async build(): Promise<void> {
    const device = this.device;
    const g = this.g;
    // Convolution plans: created in parallel (the engine compiles and verifies each).
    await Promise.all(
      this.steps.map(async (s) => {
        if (s.kind !== 'conv') return;
        const [n, , h, w] = g.values.get(s.node.inputs[0])!.shape as number[];
        if (s.quant) {
          const q = s.quant;
          const req = this.tap?.get(s.node.name);
          if (req) {
            const tried = await tryTapwise(this.engine, q, req, { batch: n, height: h, width: w });
            s.info.tapwise = tried.info;
            if (tried.plan) {
              const plan = tried.plan as unknown as ConvPlan<Float32Array>;
              s.plan = plan;
              s.workspaceBytes = plan.resize({ batch: n, height: h, width: w }).workspaceBytes;
              s.info.algorithm = plan.info.algorithm;
              s.info.kernelIds = [...plan.info.kernels];
              s.info.verification = plan.info.verification;
              return;
            }
          }
          try {
            const plan = (await this.engine.createConv2d(q.desc, {
              weights: q.weights, bias: q.bias, quant: q.quant, expectedSize: { batch: n, height: h, width: w }, workspace: 'external', sharedBuffers: true,
            } as Parameters<Engine['createConv2d']>[1])) as unknown as ConvPlan<Float32Array>;
            s.plan = plan;
            s.workspaceBytes = plan.resize({ batch: n, height: h, width: w }).workspaceBytes;
            s.info.algorithm = plan.info.algorithm;
            s.info.kernelIds = [...plan.info.kernels];
            s.info.verification = plan.info.verification;
          } catch (e) {
            throw new SessionError(`${nodeLabel(s.node)}: ${(e as Error).message}`, { cause: e });
          }
          return;
        }
        const l = s.lowering!;
        try {
          const plan = (await this.engine.createConv2d({ ...l.desc, dtype: this.half ? 'float16' : 'float32' }, {
            weights: l.weights,
            bias: l.bias,
            preluWeights: l.preluWeights,
            expectedSize: { batch: n, height: h, width: w },
            workspace: 'external',
            sharedBuffers: true,
            ...(l.residual ? { residual: true, preActivation: l.preActivation } : {}),
          } as Parameters<Engine['createConv2d']>[1])) as ConvPlan<Float32Array>;
          s.plan = plan;
          const r = plan.resize({ batch: n, height: h, width: w });
          s.workspaceBytes = r.workspaceBytes;
          s.info.algorithm = plan.info.algorithm;
          s.info.kernelIds = [...plan.info.kernels];
          s.info.verification = plan.info.verification;
        } catch (e) {
          throw new SessionError(`${nodeLabel(s.node)}: ${(e as Error).message}`, { cause: e });
        }
      }),
    );

    // Memory plan over the schedule.
    const alias = new Map<string, string>();
    const root = (v: string): string => {
      let r = v;
      while (alias.has(r)) r = alias.get(r)!;
      return r;
    };
    for (const s of this.steps) if (s.kind === 'op' && s.aliasOf) alias.set(s.output, s.aliasOf);
    const life = new Map<string, { first: number; last: number; bytes: number }>();
    const touch = (name: string, step: number) => {
      if (!name || isConstant(g, name)) return;
      const r = root(name);
      const l = life.get(r);
      if (l) {
        l.first = Math.min(l.first, step);
        l.last = Math.max(l.last, step);
      } else life.set(r, { first: step, last: step, bytes: this.bytesOf(r) });
    };
    for (const i of g.inputs) touch(i.name, 0);
    for (const s of this.steps) {
      if (s.kind === 'conv') {
        touch(s.input, s.index);
        if (s.residual) touch(s.residual, s.index);
        touch(s.output, s.index);
      } else {
        for (const d of s.dispatches) for (const b of Object.values(d.source.buffers)) if ('value' in b) touch(b.value, s.index);
        if (s.node) {
          for (const i of s.node.inputs) touch(i, s.index);
          for (const o of s.node.outputs) touch(o, s.index);
        } else touch(s.output, s.index);
      }
    }
    const end = this.steps.length;
    for (const o of g.outputs) {
      const v = this.sched.outputValue.get(o.name)!;
      if (!isConstant(g, v)) touch(v, end);
    }
    const blocks: MemoryBlock[] = [...life.entries()].map(([name, l]) => ({ name, bytes: l.bytes, first: l.first, last: l.last }));
    for (const s of this.steps) {
      if (s.kind === 'conv' && s.workspaceBytes > 0) {
        s.workspace = `${s.node.name}::workspace`;
        blocks.push({ name: s.workspace, bytes: s.workspaceBytes, first: s.index, last: s.index });
      }
      if (s.kind === 'op') {
        for (const d of s.dispatches) {
          for (const b of Object.values(d.source.buffers)) {
            if ('scratch' in b && !blocks.some((x) => x.name === `${s.index}::${b.scratch}`)) blocks.push({ name: `${s.index}::${b.scratch}`, bytes: b.bytes, first: s.index, last: s.index });
          }
        }
      }
    }
    const align = device.limits.minStorageBufferOffsetAlignment ?? ALIGN_FALLBACK;
    const mem = planMemory(blocks, align);
    const arenaBytes = Math.max(mem.arenaBytes, 256);
    if (arenaBytes > device.limits.maxBufferSize) {
      throw new SessionError(`the activation arena needs ${arenaBytes} bytes (peak live ${mem.peakLiveBytes}); the device's maxBufferSize is ${device.limits.maxBufferSize}: use a smaller input size`);
    }
    for (const [name, off] of mem.offsets) this.offsets.set(name, off);
    for (const v of alias.keys()) if (this.offsets.has(root(v))) this.offsets.set(v, this.offsets.get(root(v))!);
    this.info.memory.arenaBytes = arenaBytes;
    this.info.memory.peakLiveBytes = mem.peakLiveBytes;

    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    this.arena = device.createBuffer({ label: 'winoconv session arena', size: arenaBytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    this.owned.push(this.arena);

    // Op kernels: pipelines (async, shared by kernel ID), constants, uniforms, bind groups — all once.
    const pipelines = new Map<string, Promise<BuiltPipeline>>();
    const pipelineFor = (k: KernelSource): Promise<BuiltPipeline> => {
      let p = pipelines.get(k.id);
      if (!p) {
        const layout = createBindGroupLayout(device, k.bindings, k.id);
        const module = device.createShaderModule({ label: k.id, code: k.code });
        p = device
          .createComputePipelineAsync({ label: k.id, layout: device.createPipelineLayout({ label: k.id, bindGroupLayouts: [layout] }), compute: { module, entryPoint: k.entryPoint, constants: k.constants } })
          .then((pipeline) => ({ kernel: k, pipeline, layout }));
        pipelines.set(k.id, p);
      }
      return p;
    };
    let weightBytes = 0;
    const constants = new Map<string, GPUBuffer>();
    const constantBuffer = (data: Float32Array | Int32Array | Uint32Array, label: string): GPUBuffer => {
      const buf = device.createBuffer({ label, size: Math.max(16, Math.ceil(data.byteLength / 4) * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
      this.owned.push(buf);
      weightBytes += buf.size;
      return buf;
    };
    await Promise.all(
      this.steps.flatMap((s) => {
        if (s.kind !== 'op') return [];
        return s.dispatches.map(async (d) => {
          const src = d.source;
          const built = await pipelineFor(src.kernel);
          d.built = built;
          const buffers: Record<string, GPUBuffer | GPUBufferBinding> = {};
          for (const [name, b] of Object.entries(src.buffers)) {
            if ('constant' in b) buffers[name] = constantBuffer(b.constant, `${s.info.name}: ${b.label}`);
            else if ('scratch' in b) {
              const off = this.offsets.get(`${s.index}::${b.scratch}`)!;
              buffers[name] = { buffer: this.arena!, offset: off, size: Math.ceil(b.bytes / 4) * 4 };
            } else if (isConstant(g, b.value)) {
              let buf = constants.get(b.value);
              if (!buf) {
                buf = constantBuffer(storageData((g.initializers.get(b.value) ?? g.folded.get(b.value))!), b.value);
                constants.set(b.value, buf);
              }
              buffers[name] = buf;
            } else buffers[name] = this.range(b.value);
          }
          if (src.kernel.uniforms.length) {
            d.uniformBuffer = device.createBuffer({ label: `${src.kernel.id} params`, size: uniformByteSize(src.kernel.uniforms), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
            device.queue.writeBuffer(d.uniformBuffer, 0, packUniforms(src.kernel.uniforms, src.uniforms));
            this.owned.push(d.uniformBuffer);
            buffers.params = d.uniformBuffer;
          }
          const entries: GPUBindGroupEntry[] = src.kernel.bindings.map((b) => {
            const res = buffers[b.name];
            if (!res) throw new Error(`internal error: ${src.kernel.id} binding '${b.name}' has no buffer`);
            return { binding: b.binding, resource: 'buffer' in res ? res : { buffer: res } };
          });
          d.group = device.createBindGroup({ label: src.kernel.id, layout: built.layout, entries });
        });
      }),
    );
    for (const s of this.steps) if (s.kind === 'conv') weightBytes += s.plan ? planWeightBytes(s.plan) : 0;
    this.info.memory.weightBytes = weightBytes;

    // Readback: every output contiguous, packed in one mappable buffer.
    let off = 0;
    for (const o of g.outputs) {
      const value = this.sched.outputValue.get(o.name)!;
      const bytes = this.bytesOf(o.name);
      const dtype = g.values.get(o.name)!.dtype as RuntimeDType;
      this.readbackLayout.push({ name: o.name, value, offset: off, bytes, dtype, count: elementCount(g.values.get(o.name)!.shape as number[]) });
      off += Math.ceil(bytes / 4) * 4;
    }
    this.readback = device.createBuffer({ label: 'winoconv session outputs', size: Math.max(off, 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.owned.push(this.readback);
    if (this.profile) {
      if (!device.features.has('timestamp-query')) throw new SessionError("profile: true needs the device feature 'timestamp-query', which this device does not have");
      const count = this.steps.length * 2;
      this.querySet = device.createQuerySet({ type: 'timestamp', count });
      this.queryResolve = device.createBuffer({ size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
      this.queryRead = device.createBuffer({ size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      this.owned.push(this.queryResolve, this.queryRead);
    }
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    if (oom) throw new SessionError(`creating the session's buffers (arena ${arenaBytes} bytes, weights ${weightBytes} bytes): out of memory: ${oom.message}`);
    if (validation) throw new SessionError(`creating the session's GPU objects failed validation: ${validation.message}`);
  }

  private range(name: string): GPUBufferBinding {
    const offset = this.offsets.get(name);
    if (offset === undefined) throw new Error(`internal error: '${name}' has no place in the arena`);
    return { buffer: this.arena!, offset, size: this.bytesOf(name) };
  }

  private checkInputs(inputs: SessionInputs): void {
    if (inputs === null || typeof inputs !== 'object') throw new SessionError(`run(inputs): expected an object {name: typed array of the input's dtype | GPUBuffer}, got ${String(inputs)}`);
    const names = this.info.inputs.map((i) => i.name);
    for (const k of Object.keys(inputs)) {
      if (!names.includes(k)) throw new SessionError(`run(inputs): '${k}' is not a model input (inputs: ${names.map((n) => `'${n}'`).join(', ')})`);
    }
    for (const inp of this.info.inputs) {
      const v = inputs[inp.name];
      const want = elementCount(inp.shape);
      if (v === undefined) throw new SessionError(`run(inputs): input '${inp.name}' (${inp.dtype} ${formatShape(inp.shape)}) is missing`);
      if (isTypedFor(inp.dtype, v)) {
        if (v.length !== want) throw new SessionError(`run(inputs): '${inp.name}' has ${v.length} elements; its shape ${formatShape(inp.shape)} needs ${want} (create the session with inputShapes for another size)`);
      } else if (typeof GPUBuffer !== 'undefined' && v instanceof GPUBuffer) {
        const bytes = valueBytes(inp.dtype, want, this.half);
        if (v.size < bytes) throw new SessionError(`run(inputs): GPUBuffer for '${inp.name}' has ${v.size} bytes; ${formatShape(inp.shape)} ${inp.dtype} needs ${bytes}`);
        if (!(v.usage & GPUBufferUsage.COPY_SRC)) throw new SessionError(`run(inputs): GPUBuffer for '${inp.name}' needs GPUBufferUsage.COPY_SRC`);
      } else {
        const what = ArrayBuffer.isView(v) ? (v as object).constructor.name : typeof v;
        throw new SessionError(`run(inputs): '${inp.name}' (${inp.dtype}) must be a ${TYPED_ARRAY_OF[inp.dtype]} or a GPUBuffer, got ${what}`);
      }
    }
  }

  /** Records the whole model into `encoder`, reading the inputs already in the arena. */
  private record(encoder: GPUCommandEncoder): void {
    const all = this.profile ? undefined : encoder.beginComputePass({ label: 'winoconv session' });
    for (const s of this.steps) {
      const tw: GPUComputePassTimestampWrites | undefined = this.querySet ? { querySet: this.querySet, beginningOfPassWriteIndex: 2 * s.index, endOfPassWriteIndex: 2 * s.index + 1 } : undefined;
      if (s.kind === 'conv') {
        const io = { input: this.range(s.input), output: this.range(s.output), ...(s.residual ? { residual: this.range(s.residual) } : {}), ...(s.workspace ? { workspace: { buffer: this.arena!, offset: this.offsets.get(s.workspace)!, size: s.workspaceBytes } } : {}) };
        if (all) (s.plan!.encode as (t: GPUComputePassEncoder | GPUCommandEncoder, io: object) => void)(all, io);
        else (s.plan!.encode as (t: GPUCommandEncoder, io: object, tw?: GPUComputePassTimestampWrites) => void)(encoder, io, tw);
        continue;
      }
      const pass = all ?? encoder.beginComputePass({ label: s.info.name, timestampWrites: tw });
      for (const d of s.dispatches) {
        pass.setPipeline(d.built!.pipeline);
        pass.setBindGroup(0, d.group!);
        pass.dispatchWorkgroups(...d.source.workgroups);
      }
      if (!all) pass.end();
    }
    all?.end();
  }

  run(inputs: SessionInputs): Promise<SessionOutputs>;
  run(inputs: SessionInputs, opts: { keepOnGpu: true }): Promise<Record<string, GPUBuffer>>;
  run(inputs: SessionInputs, opts: SessionRunOptions = {}): Promise<SessionOutputs | Record<string, GPUBuffer>> {
    if (this.destroyed) return Promise.reject(new SessionError('run(): the session was destroyed'));
    try {
      this.checkInputs(inputs);
    } catch (e) {
      return Promise.reject(e);
    }
    const next = this.chain.then(() => this.runNow(inputs, !!opts.keepOnGpu));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async runNow(inputs: SessionInputs, keepOnGpu: boolean): Promise<SessionOutputs | Record<string, GPUBuffer>> {
    const device = this.device;
    device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder({ label: 'winoconv session run' });
    for (const inp of this.info.inputs) {
      const v = inputs[inp.name];
      const r = this.range(inp.name);
      if (ArrayBuffer.isView(v)) {
        const w = this.half && inp.dtype === 'float32' ? packF16(v as Float32Array) : wordAligned(v);
        device.queue.writeBuffer(this.arena!, r.offset!, w.buffer, w.byteOffset, w.byteLength);
      } else encoder.copyBufferToBuffer(v, 0, this.arena!, r.offset!, r.size!);
    }
    this.record(encoder);
    const kept: Record<string, GPUBuffer> = {};
    const constOut: Record<string, SessionTensor> = {};
    for (const o of this.readbackLayout) {
      const t = isConstant(this.g, o.value) ? (this.g.initializers.get(o.value) ?? this.g.folded.get(o.value))! : undefined;
      if (t) {
        constOut[o.name] = typedData(t, o.dtype);
        continue;
      }
      const src = this.range(o.value);
      if (keepOnGpu) {
        const b = device.createBuffer({ label: `output ${o.name}`, size: Math.max(4, o.bytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
        encoder.copyBufferToBuffer(this.arena!, src.offset!, b, 0, o.bytes);
        kept[o.name] = b;
      } else if (o.bytes > 0) encoder.copyBufferToBuffer(this.arena!, src.offset!, this.readback!, o.offset, o.bytes);
    }
    if (this.querySet) {
      encoder.resolveQuerySet(this.querySet, 0, this.steps.length * 2, this.queryResolve!, 0);
      encoder.copyBufferToBuffer(this.queryResolve!, 0, this.queryRead!, 0, this.steps.length * 16);
    }
    device.queue.submit([encoder.finish()]);
    const err = await device.popErrorScope();
    if (err) throw new SessionError(`run(): the GPU refused the recorded work (internal error, please report): ${err.message}`);
    if (this.queryRead) {
      await this.queryRead.mapAsync(GPUMapMode.READ);
      const t = new BigUint64Array(this.queryRead.getMappedRange().slice(0));
      this.queryRead.unmap();
      for (const s of this.steps) s.info.gpuMs = Number(t[2 * s.index + 1] - t[2 * s.index]) / 1e6;
    }
    if (keepOnGpu) {
      for (const [k, v0] of Object.entries(constOut)) {
        const v = this.half && v0 instanceof Float32Array ? packF16(v0) : wordAligned(v0);
        const b = device.createBuffer({ label: `output ${k}`, size: Math.max(4, v.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
        device.queue.writeBuffer(b, 0, v.buffer as ArrayBuffer, v.byteOffset, v.byteLength);
        kept[k] = b;
      }
      await device.queue.onSubmittedWorkDone();
      return kept;
    }
    await this.readback!.mapAsync(GPUMapMode.READ);
    const bytes = this.readback!.getMappedRange().slice(0);
    this.readback!.unmap();
    const out: SessionOutputs = {};
    for (const o of this.readbackLayout) {
      out[o.name] = constOut[o.name] ?? (this.half && o.dtype === 'float32' ? unpackF16(new Uint32Array(bytes, o.offset, Math.ceil(o.count / 2)), o.count) : typedFromBytes(o.dtype, bytes, o.offset, o.count));
    }
    return out;
  }

  encode(encoder: GPUCommandEncoder, io: SessionEncodeIO): void {
    if (this.destroyed) throw new SessionError('encode(): the session was destroyed');
    if (encoder === null || typeof encoder !== 'object' || typeof (encoder as GPUCommandEncoder).beginComputePass !== 'function') {
      throw new SessionError('encode(encoder, io): encoder must be a GPUCommandEncoder (device.createCommandEncoder())');
    }
    if (io === null || typeof io !== 'object' || typeof io.inputs !== 'object' || typeof io.outputs !== 'object') {
      throw new SessionError('encode(encoder, io): io must be {inputs: {name: GPUBuffer | {buffer, offset, size}}, outputs: {...}}');
    }
    const asRange = (what: string, v: GPUBuffer | GPUBufferBinding | undefined, bytes: number, usage: number, usageName: string) => {
      if (v === undefined) throw new SessionError(`encode(): ${what} is missing`);
      const b = 'buffer' in v ? v : { buffer: v, offset: 0 };
      const offset = b.offset ?? 0;
      if (!(b.buffer.usage & usage)) throw new SessionError(`encode(): ${what} needs GPUBufferUsage.${usageName}`);
      if (offset % 4 !== 0) throw new SessionError(`encode(): ${what}.offset = ${offset} must be a multiple of 4`);
      const size = b.size ?? b.buffer.size - offset;
      if (size < bytes) throw new SessionError(`encode(): ${what} has ${size} bytes; it needs ${bytes}`);
      return { buffer: b.buffer, offset };
    };
    const ins = this.info.inputs.map((i) => ({ i, r: asRange(`inputs['${i.name}']`, io.inputs[i.name], this.bytesOf(i.name), GPUBufferUsage.COPY_SRC, 'COPY_SRC') }));
    const outs = this.readbackLayout.map((o) => ({ o, r: asRange(`outputs['${o.name}']`, io.outputs[o.name], o.bytes, GPUBufferUsage.COPY_DST, 'COPY_DST') }));
    for (const k of Object.keys(io.inputs)) if (!this.info.inputs.some((i) => i.name === k)) throw new SessionError(`encode(): inputs['${k}'] is not a model input`);
    for (const k of Object.keys(io.outputs)) if (!this.readbackLayout.some((o) => o.name === k)) throw new SessionError(`encode(): outputs['${k}'] is not a model output`);
    for (const { i, r } of ins) encoder.copyBufferToBuffer(r.buffer, r.offset, this.arena!, this.range(i.name).offset!, this.bytesOf(i.name));
    this.record(encoder);
    for (const { o, r } of outs) {
      const t = isConstant(this.g, o.value) ? (this.g.initializers.get(o.value) ?? this.g.folded.get(o.value))! : undefined;
      if (t) {
        const v0 = typedData(t, o.dtype);
        const v = this.half && v0 instanceof Float32Array ? packF16(v0) : wordAligned(v0);
        this.device.queue.writeBuffer(r.buffer, r.offset, v.buffer as ArrayBuffer, v.byteOffset, v.byteLength);
      }
      else if (o.bytes > 0) encoder.copyBufferToBuffer(this.arena!, this.range(o.value).offset!, r.buffer, r.offset, o.bytes);
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const s of this.steps) if (s.kind === 'conv') s.plan?.destroy();
    for (const b of this.owned) b.destroy();
    this.querySet?.destroy();
  }
}

/** A constant's data as the arena stores a value of its dtype: bytes packed 4 per word (int8/uint8), i32, or f32. */
function storageData(t: Tensor): Float32Array | Int32Array | Uint32Array {
  if (t.dtype === 'int8' || t.dtype === 'uint8') return packBytes(toNumbers(t));
  if (t.dtype === 'int32') return t.data instanceof Int32Array ? t.data : Int32Array.from(toNumbers(t));
  return floatData(t);
}

/** A tensor known at load as the typed array of `dtype` (a copy). */
function typedData(t: Tensor, dtype: RuntimeDType): SessionTensor {
  const v = toNumbers(t);
  switch (dtype) {
    case 'int8': return Int8Array.from(v);
    case 'uint8': return Uint8Array.from(v);
    case 'int32': return Int32Array.from(v);
    default: return t.data instanceof Float32Array ? t.data.slice() : Float32Array.from(v);
  }
}

/** `v` itself when its byte length is a multiple of 4 (what writeBuffer needs), else a zero-padded copy. */
function wordAligned(v: ArrayBufferView): ArrayBufferView {
  if (v.byteLength % 4 === 0) return v;
  const out = new Uint8Array(Math.ceil(v.byteLength / 4) * 4);
  out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return out;
}

function planWeightBytes(plan: ConvPlan<Float32Array>): number {
  // The buffers the plan made once (packed weights, transformed filters, channel parameters), as stored.
  if (plan.info.memory) return plan.info.memory.constantBytes;
  const d = plan.desc;
  return ((d.outChannels * d.inChannels) / d.groups) * d.kernelH * d.kernelW * 4 + d.outChannels * 4;
}

export type { Layout };

/** One convolution of a model as a session plans it: the engine descriptor, epilogue and input shape (NCHW). */
export interface SessionConv extends ConvLowering {
  node: string;
  inputShape: number[];
}

/**
 * Every convolution node of a model after the passes, as createSession hands it to engine.createConv2d (same
 * descriptor, layout NHWC, fused epilogue; unfused where the engine cannot take the epilogue). CPU only: for tools
 * that plan the convolutions alone (bench/models/auto-check.ts).
 */
export function sessionConvs(model: ArrayBuffer | Uint8Array, opts: Pick<SessionOptions, 'inputShapes' | 'constantInputs'> = {}): SessionConv[] {
  const { graph: g } = runPasses(importOnnx(model, { inputShapes: opts.inputShapes, constantInputs: opts.constantInputs }));
  const out: SessionConv[] = [];
  for (const n of g.nodes) {
    if (!isConvNode(n) || n.outputs.every((o) => !o || isConstant(g, o))) continue;
    let conv = n;
    let l = lowerConv(g, n, undefined);
    if ('unfuse' in l) {
      conv = unfuse(g, n)[0];
      l = lowerConv(g, conv, undefined);
      if ('unfuse' in l) throw new OnnxLoadError(`${nodeLabel(conv)}: ${l.unfuse}`);
    }
    out.push({ node: conv.name, ...l, inputShape: g.values.get(conv.inputs[0])!.shape as number[] });
  }
  return out;
}
