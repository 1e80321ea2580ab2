/**
 * createEngine → Engine.createConv2d → ConvPlan. See DESIGN.md §1 for the data flow.
 */
import { normalizeQuant, type QuantOptions } from '../conv/quant-options.ts';
import { asBroadcast, normalizeDesc, type Conv2dDesc, type Conv2dWeights, type NormalizedDesc } from '../conv/desc.ts';
import { ConvDescError, validateBroadcast, outputTensorShape } from '../conv/validate.ts';
import type { BroadcastTensor } from '../conv/types.ts';
import { transposeWeight } from '../reference/conv2d.ts';
import { userTransform1D, winograd2D, type UserTransforms, type Winograd1D, type Winograd2D } from '../winograd/index.ts';
import type { AlgorithmImpl, PrepareContext, PreparedConv } from './algorithm.ts';
import { EngineCore, type LimitOverrides } from './engine-core.ts';
import { ConvPlan, type PlanInfo } from './plan.ts';
import { selectCandidates, type CandidateVerdict } from './select.ts';
import { needsOwnVerificationInstance, syntheticDataContext, verificationContext, verificationKeys, verifyPrepared, verifyPreparedInt, verifyTapwise, type VerifyResult } from './verify.ts';
import { TAP_SQNR_FLOOR_DB } from './algorithms/int8-winograd.ts';
import { ALGORITHM_IMPLS } from './algorithms/index.ts';
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

export interface EngineConstruction {
  impls?: AlgorithmImpl[];
  limits?: LimitOverrides;
  autotune?: boolean;
  tuningStore?: TuningStore;
  adapterInfo?: { vendor: string; architecture: string; device: string; description: string };
  wgslLanguageFeatures?: ReadonlySet<string>;
  /** How `recreate()` gets a new device (set by createEngine when it requested the device itself). */
  requestDevice?: () => Promise<RequestedDevice>;
}

/** A device createEngine requested, with what the engine keeps about its adapter. */
export interface RequestedDevice {
  device: GPUDevice;
  adapterInfo?: EngineConstruction['adapterInfo'];
  wgslLanguageFeatures?: ReadonlySet<string>;
}

export class Engine {
  /** The per-device state; replaced by recreate() after a device loss. */
  core: EngineCore;
  readonly impls: AlgorithmImpl[];
  readonly autotune: boolean;
  readonly tuningStore: TuningStore;
  adapterKey: string;
  private readonly construction: EngineConstruction;

  constructor(device: GPUDevice, opts: EngineConstruction = {}) {
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
    if (!this.core.lostInfo) this.core.device.destroy();
    this.core = new EngineCore(next.device, this.construction.limits, { wgslLanguageFeatures: next.wgslLanguageFeatures, adapterInfo: next.adapterInfo });
    this.adapterKey = adapterKey(next.device, next.adapterInfo);
  }

  /** Every algorithm's verdict for a descriptor, without creating anything. */
  candidates(desc: Conv2dDesc, opts: Pick<Conv2dOptions, 'expectedSize' | 'transforms'> = {}): CandidateVerdict[] {
    const d = normalizeDesc(desc);
    return selectCandidates(this.impls, { desc: d, height: opts.expectedSize?.height, width: opts.expectedSize?.width, transforms: userAlgorithm(d, opts.transforms) });
  }

  /** Validates a descriptor and its tensors and builds the context algorithms prepare from. */
  context(desc: Conv2dDesc, opts: Conv2dOptions): PrepareContext {
    const d = normalizeDesc(desc);
    if (!opts || typeof opts !== 'object') throw new ConvDescError('options', opts, 'must be an object with weights');
    const weightLayout = opts.weightLayout ?? 'OIHW';
    if (weightLayout !== 'OIHW' && weightLayout !== 'HWIO') throw new ConvDescError('weightLayout', weightLayout, "must be 'OIHW' or 'HWIO'");
    const cinG = d.inChannels / d.groups;
    const wantW = d.outChannels * cinG * d.kernelH * d.kernelW;
    if (!opts.weights || typeof opts.weights.length !== 'number') throw new ConvDescError('weights', opts.weights, 'must be an array of numbers');
    if (opts.weights.length !== wantW) throw new ConvDescError('weights.length', opts.weights.length, `must be outChannels·(inChannels/groups)·kH·kW = ${d.outChannels}·${cinG}·${d.kernelH}·${d.kernelW} = ${wantW}`);
    const quant = d.dtype === 'float32' ? undefined : normalizeQuant(d, opts.quant);
    if (d.dtype === 'float32' && opts.quant) throw new ConvDescError('quant', 'given', `applies to dtype int8 or uint8, not ${d.dtype}`);
    const [wlo, whi] = quant ? (quant.weightDtype === 'int8' ? [-128, 127] : [0, 255]) : [-Infinity, Infinity];
    for (let i = 0; i < opts.weights.length; i++) {
      const v = opts.weights[i];
      if (!Number.isFinite(v)) throw new ConvDescError(`weights[${i}]`, v, 'must be a finite number');
      if (quant && (!Number.isInteger(v) || v < wlo || v > whi)) throw new ConvDescError(`weights[${i}]`, v, `must be an integer in the ${quant.weightDtype} range [${wlo}, ${whi}]`);
    }
    const oihw = weightLayout === 'OIHW' ? Float32Array.from(opts.weights) : Float32Array.from(transposeWeight(opts.weights, 'HWIO', 'OIHW', d.outChannels, cinG, d.kernelH, d.kernelW));
    const bias = opts.bias !== undefined ? asBroadcast('bias', opts.bias, d.outChannels) : undefined;
    if (d.activation.type === 'prelu' && opts.preluWeights === undefined && d.activation.preluWeights === undefined) {
      throw new ConvDescError('preluWeights', undefined, "are required when activation is 'prelu'");
    }
    const preluSrc = opts.preluWeights ?? d.activation.preluWeights;
    const prelu = d.activation.type === 'prelu' && preluSrc !== undefined ? asBroadcast('preluWeights', preluSrc as ArrayLike<number> | BroadcastTensor, d.outChannels) : undefined;
    for (const [name, t] of [['bias', bias], ['preluWeights', prelu]] as const) {
      if (t && t.broadcast !== 'numpy') validateBroadcast(name, t, outputTensorShape({ batch: 1, inChannels: d.inChannels, outChannels: d.outChannels, inHeight: d.kernelH, inWidth: d.kernelW, kernelH: d.kernelH, kernelW: d.kernelW, strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], groups: d.groups }, d.layout), d.outChannels);
    }
    if (opts.nonFinite !== undefined && opts.nonFinite !== 'propagate' && opts.nonFinite !== 'exact') throw new ConvDescError('nonFinite', opts.nonFinite, "must be 'propagate' or 'exact'");
    const transforms = userAlgorithm(d, opts.transforms);
    if (transforms && d.algorithm !== 'auto' && !d.algorithm.startsWith('winograd')) {
      throw new ConvDescError('algorithm', d.algorithm, 'must be auto or a winograd algorithm when transforms are given');
    }
    if (quant) {
      if (opts.minSqnrDb !== undefined && !(Number.isFinite(opts.minSqnrDb) && opts.minSqnrDb > 0)) throw new ConvDescError('minSqnrDb', opts.minSqnrDb, 'must be a number of dB > 0');
      const base = { core: this.core, desc: d, weightsOIHW: oihw, transforms, quant, weightsInt: Int32Array.from(oihw), tapScales: opts.tapScales, calibration: opts.calibration, minSqnrDb: opts.minSqnrDb };
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
    return { core: this.core, desc: d, weightsOIHW: oihw, bias, prelu, transforms, nonFinite: opts.nonFinite };
  }

  async createConv2d(desc: Conv2dDesc, opts: Conv2dOptions): Promise<ConvPlan> {
    const t0 = performance.now();
    this.core.assertAlive('createConv2d');
    const ctx = this.context(desc, opts);
    const { desc: d, transforms } = ctx;
    if (opts.autotune ?? this.autotune) return this.createTuned(ctx, opts, t0);
    const verdicts = selectCandidates(this.impls, { desc: d, height: opts.expectedSize?.height, width: opts.expectedSize?.width, transforms, minSqnrDb: opts.minSqnrDb, nonFinite: ctx.nonFinite });
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
        return new ConvPlan(this.core, d, prepared, info, ctx.quant);
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
  findConv2d(desc: Conv2dDesc, opts: FindOptions): Promise<FindResult> {
    return findConv2d(this, this.context(desc, { weights: opts.weights ?? randomWeights(desc), ...opts }), opts);
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
    return new ConvPlan(this.core, ctx.desc, prepared, {
      algorithm: choice.algorithm, kernels: prepared.kernelIds, candidates, verification: record.detail, workspaceBytes: 0,
      errorBound: record.detail.replace(/^passed on [^:]*: /, ''), notes: [note], createMs: performance.now() - t0,
    }, ctx.quant);
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
        record = await this.verifyOnce(impl, ctx, prepared);
        if (record.ok) this.core.verified.set(keys.full, record);
        else {
          const synthetic = syntheticDataContext(ctx);
          const again = await this.verifyOnce(impl, synthetic);
          if (!again.ok) {
            record = { ...again, detail: `${again.detail}\n(the kernels fail on seeded random data too: recorded for this engine)` };
            this.core.kernelFailures.set(keys.kernel, record);
          } else {
            record = { ...record, detail: `${record.detail}\n(with this plan's weights/bias/slopes; the same kernels pass on seeded random data (${again.detail.split('\n')[0]}), so the data is at fault, e.g. a NaN, Inf or overflowing value; not cached)` };
          }
        }
      }
      return { prepared, record };
    } catch (e) {
      prepared.destroy();
      throw (await this.core.lostError('createConv2d', 50)) ?? e;
    }
  }

  /** One verification run of `ctx` (on `prepared`, or on its own instance when the data needs one). */
  private async verifyOnce(impl: AlgorithmImpl, ctx: PrepareContext, prepared?: PreparedConv): Promise<VerifyResult> {
    const own = !prepared || needsOwnVerificationInstance(ctx);
    const vctx = needsOwnVerificationInstance(ctx) ? verificationContext(ctx) : ctx;
    const vprep = own ? await impl.prepare(vctx) : prepared;
    try {
      return ctx.quant
        ? await verifyPreparedInt(vctx, vprep, (b, bytes) => readBytes(this.device, b, bytes))
        : await verifyPrepared(vctx, vprep, async (b, n) => new Float32Array(await readBytes(this.device, b, n * 4)));
    } finally {
      if (own) vprep.destroy();
    }
  }

  destroy(): void {
    this.core.device.destroy();
  }
}

export async function createEngine(opts: EngineOptions = {}): Promise<Engine> {
  if (opts.device) return new Engine(opts.device, { limits: opts.limits, autotune: opts.autotune, tuningStore: opts.tuningStore });
  const gpu = opts.gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new Error("createEngine: no WebGPU here (navigator.gpu is missing). Pass {device}, or in Node import { createEngine } from 'winoconv/node'.");
  const requestDevice = () => requestEngineDevice(gpu, opts.powerPreference);
  const first = await requestDevice();
  return new Engine(first.device, {
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
