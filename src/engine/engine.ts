/**
 * createEngine → Engine.createConv2d → ConvPlan. See DESIGN.md §1 for the data flow.
 */
import { F16_MAX, roundF16 } from '../util/float16.ts';
import { normalizeQuant, type NormalizedQuant, type QuantOptions } from '../conv/quant-options.ts';
import { asBroadcast, checkEpilogueTensor, normalizeActivation, normalizeDesc, outputShapePattern, type Conv2dDesc, type Conv2dWeights, type NormalizedDesc } from '../conv/desc.ts';
import { ConvDescError, rejectUnknownKeys, requireInteger, requireNumberArray, requireNumberElements, requireObject } from '../conv/validate.ts';
import { CONV2D_OPTION_KEYS, FIND_OPTION_KEYS, checkBoolean, checkCalibration, checkExpectedSize, checkSize, checkWorkspaceMode } from '../conv/options.ts';
import { exactWinogradApplicable } from '../kernels/int8-winograd/prepare.ts';
import type { Activation, ActivationType, BroadcastTensor } from '../conv/types.ts';
import { transposeWeight } from '../conv/tensor-layout.ts';
import { userTransform1D, winograd2D, type UserTransforms, type Winograd1D, type Winograd2D } from '../winograd/index.ts';
import type { AlgorithmImpl, PrepareContext, PreparedConv } from './algorithm.ts';
import { EngineCore, LIMIT_KEYS, type LimitOverrides } from './engine-core.ts';
import { ConvPlan, retirePlan, type PlanInfo, type PlanIoOptions } from './plan.ts';
import { selectCandidates, type CandidateVerdict } from './select.ts';
import { needsOwnVerificationInstance, syntheticDataContext, verificationContext, verificationKeys, verifyPrepared, verifyPreparedInt, verifyTapwise, type VerifyResult } from './verify.ts';
import { TAP_SQNR_FLOOR_DB } from './algorithms/int8-winograd.ts';
import { ALGORITHM_IMPLS } from './algorithms/index.ts';
import { representativeGeometry } from './epilogue-buffers.ts';
import { adapterKey, findConv2d, randomWeights, tuningKey, type FindOptions, type FindResult } from './tuner.ts';
import { MemoryTuningStore, type TuningStore } from './tuning-store.ts';
import { DeviceLostError } from './errors.ts';

export interface EngineOptions {
  device?: GPUDevice;
  /** The GPU object to request a device from when no device is given (default navigator.gpu). */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /** Plan against lower limits than the device's (reproduce a weaker device; test splitting). */
  limits?: LimitOverrides;
  /** Autotune every plan that gives expectedSize (default false). */
  autotune?: boolean;
  /** Where tuned choices are kept (default: in memory; see LocalStorageTuningStore, and winoconv/node's file store). */
  tuningStore?: TuningStore;
}

export interface Conv2dOptions extends Conv2dWeights {
  /**
   * Learned (non-Cook-Toom) Winograd transforms, e.g. from Winograd-aware training: one 1-D transform for
   * both axes, or {h, w}. Float matrices AT (m×n), G (n×r), BT (n×n).
   */
  transforms?: UserTransforms | { h: UserTransforms; w: UserTransforms };
  /** Typical input size, used by auto's tile-waste rule and by the autotuner (the plan still serves any size). */
  expectedSize?: { height: number; width: number; batch?: number };
  /** int8/uint8 plans: output kind, scales and zero points (see QuantOptions). */
  quant?: QuantOptions;
  /** Tap-wise int8 Winograd: tap scales (e.g. exported by Winograd-aware training; TapScales or its JSON). */
  tapScales?: unknown;
  /** Representative inputs (integers of the input dtype, in the plan's layout) to calibrate tap scales and measure SQNR. */
  calibration?: { data: ArrayLike<number>; batch: number; height: number; width: number }[];
  /** int8 auto: also consider approximate (tap-wise) algorithms whose measured SQNR meets this many dB. */
  minSqnrDb?: number;
  /** Choose by measurement (findConv2d) at expectedSize, cached per adapter and engine version; default: the engine's setting. */
  autotune?: boolean;
  /**
   * Inputs with Inf/NaN (README "Special values"). 'propagate' (default): every algorithm may be used; Winograd
   * turns a non-finite value anywhere in a tile's input patch into NaN over the tile's outputs. 'exact': only
   * algorithms that give the direct convolution's Inf/NaN pattern (direct, im2col), float Winograd excluded.
   */
  nonFinite?: 'propagate' | 'exact';
  /**
   * 'internal' (default): the plan allocates its workspaces. 'external': it allocates none; resize() returns in
   * workspaceBytes the size of one range the caller gives as io.workspace at encode time (the plan's workspaces
   * are carved from it at offsets aligned to minStorageBufferOffsetAlignment, the padding counted).
   */
  workspace?: 'internal' | 'external';
  /**
   * true: input, output, residual and workspace may be byte ranges of one GPUBuffer in the same dispatch. The
   * kernels then bind them read_write (kernel IDs end in _rw): WebGPU refuses a buffer bound both read-only and
   * writable in a dispatch, but allows several writable bindings of it. Default false.
   */
  sharedBuffers?: boolean;
  /**
   * float32 plans: a residual input (io.residual at encode, of the output's shape in the plan's layout), added
   * after bias and `preActivation` and before the activation: y = act(preAct(conv + bias) + residual), ONNX's
   * Conv → [act] → Add → [act]. Compile-time (kernel IDs carry 'res').
   */
  residual?: boolean;
  /** With residual: the activation before the residual is added (same forms as desc.activation, not prelu); default linear. */
  preActivation?: ActivationType | Activation;
}

async function readBytes(device: GPUDevice, src: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  const size = Math.max(16, Math.ceil(bytes / 4) * 4);
  const staging = device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, staging, 0, size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0, bytes);
  staging.destroy();
  return out;
}

function userAlgorithm(d: NormalizedDesc, t: Conv2dOptions['transforms']): Winograd2D | undefined {
  if (!t) return undefined;
  const both = (t as { h?: UserTransforms }).h !== undefined ? (t as { h: UserTransforms; w: UserTransforms }) : { h: t as UserTransforms, w: t as UserTransforms };
  const make = (u: UserTransforms, axis: 'h' | 'w'): Winograd1D => {
    const r = axis === 'h' ? d.kernelH : d.kernelW;
    const AT = u.AT as ArrayLike<unknown>;
    if (!AT || typeof AT.length !== 'number') throw new ConvDescError(`transforms.${axis}.AT`, AT, 'must be an m×n matrix (array of rows)');
    return userTransform1D(u, { m: AT.length, r, name: `user-${axis}` });
  };
  return winograd2D(make(both.h, 'h'), make(both.w, 'w'));
}

/**
 * The check's input grows with the stride (verify.ts: effective kernel + 2·stride + 4 rows). A stride past the
 * representative size kernels are configured at (64 + pads: output size 1 there, as for any larger stride) is
 * checked at that stride instead, which configures the same kernels; the stride itself is a uniform.
 */
function verificationStrides(d: NormalizedDesc): [number, number] {
  const capH = 64 + d.pads[0] + d.pads[2];
  const capW = 64 + d.pads[1] + d.pads[3];
  if (d.strides[0] <= capH && d.strides[1] <= capW) return d.strides;
  return [Math.min(d.strides[0], capH), Math.min(d.strides[1], capW)];
}

export interface EngineConstruction {
  impls?: AlgorithmImpl[];
  limits?: LimitOverrides;
  autotune?: boolean;
  tuningStore?: TuningStore;
  adapterInfo?: { vendor: string; architecture: string; device: string; description: string };
  wgslLanguageFeatures?: ReadonlySet<string>;
  /** The engine created the device (createEngine without {device}): destroy() destroys it. Default false. */
  ownsDevice?: boolean;
  /** How `recreate()` gets a new device (set by createEngine when it requested the device itself). */
  requestDevice?: () => Promise<RequestedDevice>;
}

/** A device createEngine requested, with what the engine keeps about its adapter. */
export interface RequestedDevice {
  device: GPUDevice;
  adapterInfo?: EngineConstruction['adapterInfo'];
  wgslLanguageFeatures?: ReadonlySet<string>;
}

/** Selection input shared by candidates() and createConv2d: what forcing would check, known before any GPU work. */
interface VerdictContext {
  quant?: NormalizedQuant;
  /** Caller's weights and their layout, when known (the exact int8 Winograd bound depends on their range). */
  weights?: ArrayLike<number>;
  weightLayout?: 'OIHW' | 'HWIO';
}

/**
 * Marks the verdicts that forcing would refuse for reasons beyond the descriptor (quantization, weight range) as
 * rejected, with the reason forcing gives, so that a candidate listed as servable never throws when forced.
 */
function refineVerdicts(d: NormalizedDesc, verdicts: CandidateVerdict[], v: VerdictContext): CandidateVerdict[] {
  const q = v.quant;
  for (const x of verdicts) {
    if (x.status === 'rejected') continue;
    if (q && x.algorithm.endsWith('-tap') && q.output !== 'int8' && q.output !== 'uint8') {
      x.status = 'rejected';
      x.reason = `quant.output ${q.output}: tap-wise Winograd serves QLinearConv outputs (int8, uint8); use winograd2-exact, im2col or direct`;
    } else if (!q && x.algorithm.endsWith('-tap')) {
      x.reason = `${x.reason}; serves quant.output 'int8' or 'uint8' only (give quant to candidates() for a verdict on yours)`;
    } else if (x.algorithm === 'winograd2-exact' && (d.dtype === 'int8' || d.dtype === 'uint8')) {
      const why = exactWinogradApplicable(representativeGeometry(d), {
        input: d.dtype, xZeroPoint: q?.xZeroPoint ?? 0, weightDtype: q?.weightDtype ?? 'int8', wZeroPoint: q?.wZeroPoint ?? 0,
        weights: v.weights, weightLayout: v.weightLayout ?? 'OIHW',
      });
      if (why) {
        x.status = 'rejected';
        x.reason = `winograd2-exact not applicable: ${why}`;
      }
    }
  }
  const rank = (x: CandidateVerdict) => (x.status === 'rejected' ? 1 : 0);
  return verdicts.map((x, i) => [x, i] as const).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(([x]) => x);
}

function planIoOptions(ctx: PrepareContext): PlanIoOptions {
  return { workspace: ctx.workspace ?? 'internal', sharedBuffers: ctx.sharedBuffers ?? false, residual: ctx.residual ?? false };
}

export class Engine {
  /** The per-device state; replaced by recreate() after a device loss. */
  core: EngineCore;
  readonly impls: AlgorithmImpl[];
  readonly autotune: boolean;
  readonly tuningStore: TuningStore;
  adapterKey: string;
  /** Whether destroy() destroys the device: only when the engine created it (or recreate() requested it). */
  ownsDevice: boolean;
  private destroyed = false;
  /** Plans made by this engine, destroyed with it (weakly held: a dropped plan is not kept alive). */
  private plans = new Set<WeakRef<ConvPlan>>();
  private readonly construction: EngineConstruction;

  constructor(device: GPUDevice, opts: EngineConstruction = {}) {
    this.ownsDevice = opts.ownsDevice ?? false;
    this.construction = opts;
    this.core = new EngineCore(device, opts.limits, { wgslLanguageFeatures: opts.wgslLanguageFeatures, adapterInfo: opts.adapterInfo });
    this.autotune = opts.autotune ?? false;
    this.tuningStore = opts.tuningStore ?? new MemoryTuningStore();
    this.adapterKey = adapterKey(device, opts.adapterInfo);
    const impls = opts.impls ?? ALGORITHM_IMPLS;
    this.impls = impls;
  }

  get device(): GPUDevice {
    return this.core.device;
  }

  /** The device's loss, once device.lost has resolved (then every call throws DeviceLostError). */
  get lost(): { reason: string; message: string } | undefined {
    return this.core.lostInfo;
  }

  /**
   * After a device loss: a new device (`device`, or one requested from the same GPU object when createEngine
   * requested the first) and a fresh pipeline cache and verification record. Plans of the lost device stay dead
   * (they throw DeviceLostError): create them again. Tuned choices are kept.
   */
  async recreate(opts: { device?: GPUDevice } = {}): Promise<void> {
    let next: RequestedDevice;
    if (opts.device) next = { device: opts.device, adapterInfo: this.construction.adapterInfo, wgslLanguageFeatures: this.construction.wgslLanguageFeatures };
    else if (this.construction.requestDevice) next = await this.construction.requestDevice();
    else throw new Error('engine.recreate(): this engine was given its device; pass { device } (a new GPUDevice) or create a new engine');
    this.alive();
    if (!this.core.lostInfo && this.ownsDevice) this.core.device.destroy();
    this.ownsDevice = !opts.device;
    this.core = new EngineCore(next.device, this.construction.limits, { wgslLanguageFeatures: next.wgslLanguageFeatures, adapterInfo: next.adapterInfo });
    this.adapterKey = adapterKey(next.device, next.adapterInfo);
  }

  /**
   * Every algorithm's verdict for a descriptor, without creating anything. Give the plan's `quant` (and weights)
   * for int8/uint8: an algorithm listed as servable ('candidate' or 'excluded') is then one that createConv2d with
   * the same descriptor and options accepts when forced (it still has to pass verification).
   */
  candidates(desc: Conv2dDesc, opts: Partial<Pick<Conv2dOptions, 'expectedSize' | 'transforms' | 'quant' | 'weights' | 'weightLayout' | 'minSqnrDb' | 'nonFinite'>> = {}): CandidateVerdict[] {
    this.alive();
    const d = normalizeDesc(desc);
    const o = requireObject('options', opts, 'an object');
    rejectUnknownKeys('options', o, CONV2D_OPTION_KEYS);
    const size = checkExpectedSize(opts.expectedSize);
    const quant = opts.quant !== undefined && (d.dtype === 'int8' || d.dtype === 'uint8') ? normalizeQuant(d, opts.quant) : undefined;
    if (opts.quant !== undefined && !quant) throw new ConvDescError('quant', 'given', `applies to dtype int8 or uint8, not ${d.dtype}`);
    const verdicts = selectCandidates(this.impls, { desc: d, height: size?.height, width: size?.width, transforms: userAlgorithm(d, opts.transforms), minSqnrDb: opts.minSqnrDb, nonFinite: opts.nonFinite });
    return refineVerdicts(d, verdicts, { quant, weights: opts.weights, weightLayout: opts.weightLayout });
  }

  /**
   * Validates a descriptor and its options (unknown keys refused, weights, bias and PReLU slopes checked for
   * type, length, finiteness and broadcast shape) and builds the context algorithms prepare from.
   */
  context(desc: Conv2dDesc, opts: Conv2dOptions): PrepareContext {
    this.alive();
    const d = normalizeDesc(desc);
    const o = requireObject('options', opts, 'an object {weights, weightLayout?, bias?, ...}');
    rejectUnknownKeys('options', o, CONV2D_OPTION_KEYS);
    const weightLayout = opts.weightLayout === undefined ? 'OIHW' : opts.weightLayout;
    if (weightLayout !== 'OIHW' && weightLayout !== 'HWIO') throw new ConvDescError('weightLayout', weightLayout, "must be 'OIHW' or 'HWIO'");
    const cinG = d.inChannels / d.groups;
    const wantW = d.outChannels * cinG * d.kernelH * d.kernelW;
    const weights = requireNumberArray('weights', opts.weights);
    if (weights.length !== wantW) throw new ConvDescError('weights.length', weights.length, `must be outChannels·(inChannels/groups)·kH·kW = ${d.outChannels}·${cinG}·${d.kernelH}·${d.kernelW} = ${wantW}`);
    const int8 = d.dtype === 'int8' || d.dtype === 'uint8';
    if (!int8) {
      if (opts.quant !== undefined) throw new ConvDescError('quant', 'given', `applies to dtype int8 or uint8, not ${d.dtype}`);
      for (const k of ['tapScales', 'calibration', 'minSqnrDb'] as const) {
        if (opts[k] !== undefined) throw new ConvDescError(k, opts[k], `applies to dtype int8 or uint8 plans, not ${d.dtype}`);
      }
    }
    checkExpectedSize(opts.expectedSize);
    checkBoolean('autotune', opts.autotune);
    const io = { workspace: checkWorkspaceMode(opts.workspace), sharedBuffers: checkBoolean('sharedBuffers', opts.sharedBuffers) ?? false, residual: checkBoolean('residual', opts.residual) ?? false };
    const preActivation = opts.preActivation === undefined ? undefined : normalizeActivation(opts.preActivation, 'preActivation');
    if (preActivation && !io.residual) throw new ConvDescError('preActivation', preActivation.type, 'applies only with residual: true (it is the activation before the residual is added)');
    if (preActivation?.type === 'prelu') throw new ConvDescError('preActivation', 'prelu', 'must not be prelu (a plan has one PReLU slope tensor: use it as the activation)');
    if (int8) {
      if (io.residual) throw new ConvDescError('residual', true, `applies to float32 plans, not ${d.dtype} (int8 epilogues requantize: no residual input)`);
      if (['clip', 'hardsigmoid', 'hardswish'].includes(d.activation.type)) throw new ConvDescError('activation.type', d.activation.type, `is not supported by ${d.dtype} plans (int8 epilogues take linear, relu, relu6; float32 plans take every activation)`);
    }
    const quant = int8 ? normalizeQuant(d, opts.quant) : undefined;
    const half = d.dtype === 'float16';
    requireNumberElements('weights', weights, quant ? { integer: { lo: quant.weightDtype === 'int8' ? -128 : 0, hi: quant.weightDtype === 'int8' ? 127 : 255, rangeName: quant.weightDtype } } : { finite: true, maxAbs: half ? { value: F16_MAX, rangeName: 'float16' } : undefined });
    const oihw = weightLayout === 'OIHW' ? Float32Array.from(weights) : Float32Array.from(transposeWeight(weights, 'HWIO', 'OIHW', d.outChannels, cinG, d.kernelH, d.kernelW));
    // float16 plans: the weights are rounded to binary16 once, here: the kernels store exactly these values and the
    // verification gate's reference computes with them.
    if (half) for (let i = 0; i < oihw.length; i++) oihw[i] = roundF16(oihw[i]);
    const pattern = outputShapePattern(d);
    const bias = opts.bias !== undefined ? asBroadcast('bias', opts.bias, d.outChannels) : undefined;
    if (bias) checkEpilogueTensor('bias', bias, pattern, d.layout);
    if (opts.preluWeights !== undefined && d.activation.type !== 'prelu') {
      throw new ConvDescError('preluWeights', opts.preluWeights, `apply only to activation 'prelu', not ${d.activation.type}`);
    }
    if (opts.preluWeights !== undefined && d.activation.preluWeights !== undefined) {
      throw new ConvDescError('preluWeights', opts.preluWeights, 'are given twice (options.preluWeights and activation.preluWeights): give one');
    }
    if (d.activation.type === 'prelu' && opts.preluWeights === undefined && d.activation.preluWeights === undefined) {
      throw new ConvDescError('preluWeights', undefined, "are required when activation is 'prelu'");
    }
    const preluField = opts.preluWeights !== undefined ? 'preluWeights' : 'activation.preluWeights';
    const preluSrc = opts.preluWeights !== undefined ? opts.preluWeights : d.activation.preluWeights;
    const prelu = d.activation.type === 'prelu' && preluSrc !== undefined ? asBroadcast(preluField, preluSrc as ArrayLike<number> | BroadcastTensor, d.outChannels) : undefined;
    if (prelu) checkEpilogueTensor(preluField, prelu, pattern, d.layout);
    if (opts.transforms !== undefined) requireObject('transforms', opts.transforms, 'learned transforms {AT, G, BT} or {h, w}');
    if (opts.nonFinite !== undefined && opts.nonFinite !== 'propagate' && opts.nonFinite !== 'exact') throw new ConvDescError('nonFinite', opts.nonFinite, "must be 'propagate' or 'exact'");
    const transforms = userAlgorithm(d, opts.transforms);
    if (transforms && d.algorithm !== 'auto' && !d.algorithm.startsWith('winograd')) {
      throw new ConvDescError('algorithm', d.algorithm, 'must be auto or a winograd algorithm when transforms are given');
    }
    if (quant) {
      if (opts.minSqnrDb !== undefined && !(typeof opts.minSqnrDb === 'number' && Number.isFinite(opts.minSqnrDb) && opts.minSqnrDb > 0)) throw new ConvDescError('minSqnrDb', opts.minSqnrDb, 'must be a number of dB > 0');
      checkCalibration(opts.calibration, d.inChannels, quant.inputDtype);
      const base = { core: this.core, desc: d, weightsOIHW: oihw, transforms, quant, workspace: io.workspace, sharedBuffers: io.sharedBuffers, weightsInt: Int32Array.from(oihw), tapScales: opts.tapScales, calibration: opts.calibration, minSqnrDb: opts.minSqnrDb };
      if (bias === undefined) return base;
      if (quant.output === 'int32') throw new ConvDescError('bias', 'given', "ConvInteger (quant.output 'int32') has no bias; use output 'int8', 'uint8' or 'float32'");
      if (bias.broadcast === 'numpy') throw new ConvDescError('bias.broadcast', 'numpy', 'int8 plans take a per-channel or scalar bias');
      const per = Array.from({ length: d.outChannels }, (_, o) => Number(bias.data[bias.data.length === 1 ? 0 : o]));
      if (quant.output === 'float32') return { ...base, biasFloat: Float32Array.from(per) };
      per.forEach((v, i) => {
        if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new ConvDescError(`bias[${i}]`, v, 'must be an int32 (QLinearConv bias is in accumulator units)');
      });
      return { ...base, biasInt: Int32Array.from(per) };
    }
    return { core: this.core, desc: d, weightsOIHW: oihw, bias, prelu, transforms, nonFinite: opts.nonFinite, workspace: io.workspace, sharedBuffers: io.sharedBuffers, residual: io.residual, preActivation };
  }

  /**
   * Plans a convolution. The plan's `run()` result type follows the descriptor: float32 plans and int8/uint8
   * plans with quant.output 'float32' give Float32Array; quant.output 'int32' / 'int8' / 'uint8' give Int32Array.
   */
  createConv2d(desc: Conv2dDesc & { dtype?: 'float32' }, opts: Conv2dOptions & { quant?: undefined }): Promise<ConvPlan<Float32Array>>;
  createConv2d(desc: Conv2dDesc & { dtype: 'int8' | 'uint8' }, opts: Conv2dOptions & { quant: QuantOptions & { output: 'float32' } }): Promise<ConvPlan<Float32Array>>;
  createConv2d(desc: Conv2dDesc & { dtype: 'int8' | 'uint8' }, opts: Conv2dOptions & { quant: QuantOptions & { output: 'int32' | 'int8' | 'uint8' } }): Promise<ConvPlan<Int32Array>>;
  createConv2d(desc: Conv2dDesc, opts: Conv2dOptions): Promise<ConvPlan>;
  async createConv2d(desc: Conv2dDesc, opts: Conv2dOptions): Promise<ConvPlan> {
    const t0 = performance.now();
    this.core.assertAlive('createConv2d');
    const ctx = this.context(desc, opts);
    const { desc: d, transforms } = ctx;
    if (opts.autotune ?? this.autotune) return this.createTuned(ctx, opts, t0);
    const verdicts = refineVerdicts(d, selectCandidates(this.impls, { desc: d, height: opts.expectedSize?.height, width: opts.expectedSize?.width, transforms, minSqnrDb: opts.minSqnrDb, nonFinite: ctx.nonFinite }), { quant: ctx.quant, weights: opts.weights, weightLayout: opts.weightLayout });
    let order: CandidateVerdict[];
    if (d.algorithm === 'auto') {
      order = verdicts.filter((v) => v.status === 'candidate');
    } else {
      const v = verdicts.find((x) => x.algorithm === d.algorithm);
      if (!v || v.status === 'rejected') throw new ConvDescError('algorithm', d.algorithm, `cannot serve this convolution: ${v?.reason ?? 'no such implementation'}`);
      order = [v];
    }
    if (order.length === 0) {
      throw new Error(`no algorithm can serve this convolution:\n${verdicts.map((v) => `  ${v.algorithm}: ${v.status}: ${v.reason}`).join('\n')}`);
    }
    const failures: string[] = [];
    for (const v of order) {
      const impl = this.impls.find((i) => i.name === v.algorithm)!;
      let prepared: PreparedConv | undefined;
      try {
        const r = await this.prepareVerified(impl, ctx);
        prepared = r.prepared;
        const record = r.record;
        if (!record.ok) {
          v.status = 'failed-verification';
          v.reason = `${v.reason}; verification against float64 FAILED: ${record.detail}`;
          failures.push(`${v.algorithm}: ${record.detail}`);
          prepared.destroy();
          continue;
        }
        v.status = 'chosen';
        const info: PlanInfo = {
          algorithm: v.algorithm,
          kernels: prepared.kernelIds,
          candidates: verdicts,
          verification: record.detail,
          workspaceBytes: 0,
          errorBound: record.detail.replace(/^passed on [^:]*: /, ''),
          notes: [],
          createMs: performance.now() - t0,
        };
        return this.track(new ConvPlan(this.core, d, prepared, info, ctx.quant, { bias: ctx.bias, prelu: ctx.prelu }, planIoOptions(ctx)));
      } catch (e) {
        prepared?.destroy();
        if (d.algorithm !== 'auto' || e instanceof DeviceLostError) throw e;
        v.status = 'rejected';
        v.reason = `${v.reason}; preparation failed: ${(e as Error).message}`;
        failures.push(`${v.algorithm}: ${(e as Error).message}`);
      }
    }
    throw new Error(`every candidate failed:\n${failures.join('\n')}`);
  }

  /**
   * Every candidate × tuning configuration, timed at `size` on this device, each with its kernel IDs, time,
   * workspace, measured error against float64 and whether it is usable (and why not). A candidate whose kernels
   * fail verification is reported, never usable, however fast. Like cuDNN's findConvolutionForwardAlgorithm.
   */
  findConv2d(desc: Conv2dDesc, opts: FindOptions & Omit<Conv2dOptions, 'weights'>): Promise<FindResult> {
    this.alive();
    const o = requireObject('options', opts, 'an object {size, runs?, warmup?, weights?, algorithms?}');
    rejectUnknownKeys('options', o, [...new Set([...FIND_OPTION_KEYS, ...CONV2D_OPTION_KEYS])]);
    const size = checkSize('size', opts.size);
    const { size: _size, runs: _runs, warmup: _warmup, algorithms: _algorithms, ...planOpts } = opts;
    return findConv2d(this, this.context(desc, { ...planOpts, weights: opts.weights ?? randomWeights(desc) }), { ...opts, size });
  }

  /** Keeps a weak reference to a plan so that destroy() can destroy it. */
  private track<T extends ConvPlan<Float32Array | Int32Array>>(plan: T): T {
    for (const r of this.plans) if (!r.deref()) this.plans.delete(r);
    this.plans.add(new WeakRef(plan));
    return plan;
  }

  private alive(): void {
    if (this.destroyed) throw new Error('Engine: used after destroy(); create a new engine');
  }

  private async createTuned(ctx: PrepareContext, opts: Conv2dOptions, t0: number): Promise<ConvPlan> {
    const size = opts.expectedSize;
    if (!size) throw new ConvDescError('expectedSize', size, 'is required to autotune: the size to time the candidates at');
    const key = tuningKey(this, ctx.desc, { batch: size.batch ?? 1, height: size.height, width: size.width }, ctx.transforms) + (ctx.nonFinite === 'exact' ? '|nonFinite=exact' : '');
    let choice = this.tuningStore.get(key);
    let note = `autotuned choice from the tuning store (${key.slice(0, 12)}…)`;
    let candidates: CandidateVerdict[] = [];
    if (!choice) {
      const found = await findConv2d(this, ctx, { size: { batch: size.batch ?? 1, height: size.height, width: size.width } });
      if (!found.best) throw new Error(`autotune: no usable candidate:\n${found.results.map((r) => `  ${r.algorithm} ${JSON.stringify(r.tuning)}: ${r.status}: ${r.reason}`).join('\n')}`);
      choice = { algorithm: found.best.algorithm, tuning: found.best.tuning, ms: found.best.ms ?? 0, method: found.method };
      this.tuningStore.set(key, choice);
      note = `autotuned: ${found.best.algorithm} ${JSON.stringify(found.best.tuning)} fastest of ${found.results.filter((r) => r.status === 'usable').length} usable (${found.method})`;
      candidates = found.results.map((r) => ({ algorithm: r.algorithm, status: r === found.best ? 'chosen' : r.status === 'usable' ? 'candidate' : r.status === 'failed-verification' ? 'failed-verification' : 'rejected', reason: `${JSON.stringify(r.tuning)} ${r.ms !== undefined ? `${r.ms.toFixed(3)} ms` : ''} ${r.reason}`.trim() }));
    }
    const impl = this.impls.find((i) => i.name === choice.algorithm);
    if (!impl) throw new Error(`autotune: stored choice ${choice.algorithm} is not an algorithm of this engine`);
    const { prepared, record } = await this.prepareVerified(impl, { ...ctx, tuning: choice.tuning });
    if (!record.ok) {
      prepared.destroy();
      this.tuningStore.delete(key);
      throw new Error(`autotune: the stored choice ${choice.algorithm} failed verification: ${record.detail}`);
    }
    return this.track(new ConvPlan(this.core, ctx.desc, prepared, {
      algorithm: choice.algorithm, kernels: prepared.kernelIds, candidates, verification: record.detail, workspaceBytes: 0,
      errorBound: record.detail.replace(/^passed on [^:]*: /, ''), notes: [note], createMs: performance.now() - t0,
    }, ctx.quant, { bias: ctx.bias, prelu: ctx.prelu }, planIoOptions(ctx)));
  }

  /**
   * Prepares an algorithm and checks it against the float64 reference. The check's result depends on the kernels,
   * the descriptor (pads, sizes: uniforms) and the plan's data (weights, bias, PReLU slopes, quantization), so a
   * pass is cached under all of them (`verificationKeys`). A failure is cached only when it is the kernels': it
   * is repeated with seeded random data of the same shapes and modes, and only if that fails too is it recorded
   * (under kernels + descriptor) for the engine's lifetime. A failure the plan's own data causes is never cached.
   * The caller destroys `prepared` when the check failed.
   */
  async prepareVerified(impl: AlgorithmImpl, ctx: PrepareContext): Promise<{ prepared: PreparedConv; record: VerifyResult }> {
    this.core.assertAlive('createConv2d');
    const prepared = await impl.prepare(ctx);
    try {
      if (ctx.quant && impl.name.endsWith('-tap')) {
        // Approximate: measured each time (the SQNR depends on the weights, scales and data, not only on the kernels).
        const floor = ctx.minSqnrDb ?? TAP_SQNR_FLOOR_DB[impl.name as keyof typeof TAP_SQNR_FLOOR_DB];
        return { prepared, record: await verifyTapwise(ctx, prepared, floor, (b, bytes) => readBytes(this.device, b, bytes)) };
      }
      const keys = verificationKeys(prepared.kernelIds, ctx);
      const kernelFailure = this.core.kernelFailures.get(keys.kernel);
      if (kernelFailure) return { prepared, record: kernelFailure };
      let record = this.core.verified.get(keys.full);
      if (!record) {
        // Plans created together (Promise.all over a model's layers) with the same kernels and data share one check.
        let pending = this.core.verifying.get(keys.full);
        if (!pending) {
          pending = this.verifyRecord(impl, ctx, prepared, keys);
          this.core.verifying.set(keys.full, pending);
          pending.then(() => this.core.verifying.delete(keys.full), () => this.core.verifying.delete(keys.full));
        }
        record = await pending;
      }
      return { prepared, record };
    } catch (e) {
      prepared.destroy();
      throw (await this.core.lostError('createConv2d', 50)) ?? e;
    }
  }

  /**
   * The check of a kernel set with the plan's data; on a failure, again with seeded random data to tell the kernels'
   * failure (recorded for the engine) from the data's (not cached).
   */
  private async verifyRecord(impl: AlgorithmImpl, ctx: PrepareContext, prepared: PreparedConv, keys: { kernel: string; full: string }): Promise<VerifyResult> {
    const record = await this.verifyOnce(impl, ctx, prepared);
    if (record.ok) {
      this.core.verified.set(keys.full, record);
      return record;
    }
    const again = await this.verifyOnce(impl, syntheticDataContext(ctx));
    if (!again.ok) {
      const failed = { ...again, detail: `${again.detail}\n(the kernels fail on seeded random data too: recorded for this engine)` };
      this.core.kernelFailures.set(keys.kernel, failed);
      return failed;
    }
    return { ...record, detail: `${record.detail}\n(with this plan's weights/bias/slopes; the same kernels pass on seeded random data (${again.detail.split('\n')[0]}), so the data is at fault, e.g. a NaN, Inf or overflowing value; not cached)` };
  }

  /** One verification run of `ctx` (on `prepared`, or on its own instance when the data needs one). */
  private async verifyOnce(impl: AlgorithmImpl, ctx: PrepareContext, prepared?: PreparedConv): Promise<VerifyResult> {
    // The check's input grows with the stride; a stride far past the kernel (1e9: output size 1) is checked at a
    // small stride past the kernel instead. The stride is a uniform: same kernels, same IDs (asserted below).
    const strides = verificationStrides(ctx.desc);
    const restrided = strides !== ctx.desc.strides;
    const own = !prepared || restrided || needsOwnVerificationInstance(ctx);
    const vctx = own ? verificationContext(restrided ? { ...ctx, desc: { ...ctx.desc, strides } } : ctx) : ctx;
    const vprep = own ? await impl.prepare(vctx) : prepared!;
    if (restrided && prepared && vprep.kernelIds.join('+') !== prepared.kernelIds.join('+')) {
      vprep.destroy();
      throw new Error(`${impl.name}: the verification instance at strides ${strides.join('×')} has kernels ${vprep.kernelIds.join(', ')}, not the plan's ${prepared.kernelIds.join('+')}`);
    }
    try {
      return ctx.quant
        ? await verifyPreparedInt(vctx, vprep, (b, bytes) => readBytes(this.device, b, bytes))
        : await verifyPrepared(vctx, vprep, async (b, n) => new Float32Array(await readBytes(this.device, b, n * 4)));
    } finally {
      if (own) vprep.destroy();
    }
  }

  /**
   * Destroys every plan this engine made (their GPU memory is freed; using one afterwards throws) and, only when
   * the engine created the device itself, the device. A device passed in with createEngine({ device }) stays the
   * caller's. Idempotent; any later use of the engine throws.
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const r of this.plans) {
      const p = r.deref();
      if (p) retirePlan(p, 'its engine was destroyed');
    }
    this.plans.clear();
    if (this.ownsDevice) this.core.device.destroy();
  }
}

export const ENGINE_OPTION_KEYS = ['device', 'gpu', 'powerPreference', 'limits', 'autotune', 'tuningStore'] as const;

export async function createEngine(opts: EngineOptions = {}): Promise<Engine> {
  rejectUnknownKeys('options', requireObject('options', opts, 'an object {device?, gpu?, powerPreference?, limits?, autotune?, tuningStore?}'), ENGINE_OPTION_KEYS);
  checkBoolean('autotune', opts.autotune);
  if (opts.limits !== undefined) {
    const l = requireObject('limits', opts.limits, `an object with any of ${LIMIT_KEYS.join(', ')}`);
    rejectUnknownKeys('limits', l, LIMIT_KEYS);
    for (const k of LIMIT_KEYS) if (l[k] !== undefined) requireInteger(`limits.${k}`, l[k], 1);
  }
  if (opts.powerPreference !== undefined && opts.powerPreference !== 'low-power' && opts.powerPreference !== 'high-performance') {
    throw new ConvDescError('powerPreference', opts.powerPreference, "must be 'low-power' or 'high-performance'");
  }
  if (opts.device !== undefined && (opts.device === null || typeof opts.device !== 'object' || typeof (opts.device as GPUDevice).createBuffer !== 'function')) {
    throw new ConvDescError('device', opts.device, 'must be a GPUDevice');
  }
  if (opts.device) return new Engine(opts.device, { limits: opts.limits, autotune: opts.autotune, tuningStore: opts.tuningStore });
  const gpu = opts.gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new Error("createEngine: no WebGPU here (navigator.gpu is missing). Pass {device}, or in Node import { createEngine } from 'winoconv/node'.");
  const requestDevice = () => requestEngineDevice(gpu, opts.powerPreference);
  const first = await requestDevice();
  return new Engine(first.device, {
    ownsDevice: true,
    limits: opts.limits, autotune: opts.autotune, tuningStore: opts.tuningStore, wgslLanguageFeatures: first.wgslLanguageFeatures,
    adapterInfo: first.adapterInfo, requestDevice,
  });
}

/** An adapter and a device with the features and limits the engine uses. */
async function requestEngineDevice(gpu: GPU, powerPreference?: GPUPowerPreference): Promise<RequestedDevice> {
  const adapter = await gpu.requestAdapter({ powerPreference });
  if (!adapter) throw new Error('createEngine: requestAdapter() returned null: no WebGPU adapter');
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    label: 'winoconv',
    requiredFeatures: (['timestamp-query', 'subgroups', 'shader-f16'] as GPUFeatureName[]).filter((f) => adapter.features.has(f)),
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  });
  const info = adapter.info;
  return { device, wgslLanguageFeatures: gpu.wgslLanguageFeatures, adapterInfo: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description } };
}
