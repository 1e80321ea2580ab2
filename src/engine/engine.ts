/**
 * createEngine → Engine.createConv2d → ConvPlan. See DESIGN.md §1 for the data flow.
 */
import { asBroadcast, normalizeDesc, type Conv2dDesc, type Conv2dWeights, type NormalizedDesc } from '../conv/desc.ts';
import { ConvDescError, validateBroadcast, outputTensorShape } from '../conv/validate.ts';
import type { BroadcastTensor } from '../conv/types.ts';
import { transposeWeight } from '../reference/conv2d.ts';
import { userTransform1D, winograd2D, type UserTransforms, type Winograd1D, type Winograd2D } from '../winograd/index.ts';
import type { AlgorithmImpl, PrepareContext, PreparedConv } from './algorithm.ts';
import { EngineCore, type LimitOverrides } from './engine-core.ts';
import { ConvPlan, type PlanInfo } from './plan.ts';
import { selectCandidates, type CandidateVerdict } from './select.ts';
import { needsOwnVerificationInstance, verificationContext, verifyPrepared } from './verify.ts';
import { ALGORITHM_IMPLS } from './algorithms/index.ts';

export interface EngineOptions {
  device?: GPUDevice;
  /** The GPU object to request a device from when no device is given (default navigator.gpu). */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /** Plan against lower limits than the device's (reproduce a weaker device; test splitting). */
  limits?: LimitOverrides;
}

export interface Conv2dOptions extends Conv2dWeights {
  /**
   * Learned (non-Cook-Toom) Winograd transforms, e.g. from Winograd-aware training: one 1-D transform for
   * both axes, or {h, w}. Float matrices AT (m×n), G (n×r), BT (n×n).
   */
  transforms?: UserTransforms | { h: UserTransforms; w: UserTransforms };
  /** Typical input size, used by auto's tile-waste rule (the plan still serves any size). */
  expectedSize?: { height: number; width: number };
}

async function readBack(device: GPUDevice, src: GPUBuffer, count: number): Promise<Float32Array> {
  const staging = device.createBuffer({ size: Math.max(16, count * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, staging, 0, staging.size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0, count * 4));
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

export class Engine {
  readonly core: EngineCore;
  readonly impls: AlgorithmImpl[];

  constructor(device: GPUDevice, opts: { impls?: AlgorithmImpl[]; limits?: LimitOverrides } = {}) {
    this.core = new EngineCore(device, opts.limits);
    const impls = opts.impls ?? ALGORITHM_IMPLS;
    this.impls = impls;
  }

  get device(): GPUDevice {
    return this.core.device;
  }

  /** Every algorithm's verdict for a descriptor, without creating anything. */
  candidates(desc: Conv2dDesc, opts: Pick<Conv2dOptions, 'expectedSize' | 'transforms'> = {}): CandidateVerdict[] {
    const d = normalizeDesc(desc);
    return selectCandidates(this.impls, { desc: d, height: opts.expectedSize?.height, width: opts.expectedSize?.width, transforms: userAlgorithm(d, opts.transforms) });
  }

  async createConv2d(desc: Conv2dDesc, opts: Conv2dOptions): Promise<ConvPlan> {
    const t0 = performance.now();
    const d = normalizeDesc(desc);
    if (!opts || typeof opts !== 'object') throw new ConvDescError('options', opts, 'must be an object with weights');
    const weightLayout = opts.weightLayout ?? 'OIHW';
    if (weightLayout !== 'OIHW' && weightLayout !== 'HWIO') throw new ConvDescError('weightLayout', weightLayout, "must be 'OIHW' or 'HWIO'");
    const cinG = d.inChannels / d.groups;
    const wantW = d.outChannels * cinG * d.kernelH * d.kernelW;
    if (!opts.weights || typeof opts.weights.length !== 'number') throw new ConvDescError('weights', opts.weights, 'must be an array of numbers');
    if (opts.weights.length !== wantW) throw new ConvDescError('weights.length', opts.weights.length, `must be outChannels·(inChannels/groups)·kH·kW = ${d.outChannels}·${cinG}·${d.kernelH}·${d.kernelW} = ${wantW}`);
    for (let i = 0; i < opts.weights.length; i++) {
      if (!Number.isFinite(opts.weights[i])) throw new ConvDescError(`weights[${i}]`, opts.weights[i], 'must be a finite number');
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
    const transforms = userAlgorithm(d, opts.transforms);
    if (transforms && d.algorithm !== 'auto' && !d.algorithm.startsWith('winograd')) {
      throw new ConvDescError('algorithm', d.algorithm, 'must be auto or a winograd algorithm when transforms are given');
    }

    const verdicts = selectCandidates(this.impls, { desc: d, height: opts.expectedSize?.height, width: opts.expectedSize?.width, transforms });
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
    const ctx: PrepareContext = { core: this.core, desc: d, weightsOIHW: oihw, bias, prelu, transforms };
    const failures: string[] = [];
    for (const v of order) {
      const impl = this.impls.find((i) => i.name === v.algorithm)!;
      let prepared: PreparedConv | undefined;
      try {
        prepared = await impl.prepare(ctx);
        const key = prepared.kernelIds.join('+');
        let record = this.core.verified.get(key);
        if (!record) {
          const own = needsOwnVerificationInstance(ctx);
          const vctx = own ? verificationContext(ctx) : ctx;
          const vprep = own ? await impl.prepare(vctx) : prepared;
          try {
            record = await verifyPrepared(vctx, vprep, (b, n) => readBack(this.device, b, n));
          } finally {
            if (own) vprep.destroy();
          }
          this.core.verified.set(key, record);
        }
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
        return new ConvPlan(this.core, d, prepared, info);
      } catch (e) {
        prepared?.destroy();
        if (d.algorithm !== 'auto') throw e;
        v.status = 'rejected';
        v.reason = `${v.reason}; preparation failed: ${(e as Error).message}`;
        failures.push(`${v.algorithm}: ${(e as Error).message}`);
      }
    }
    throw new Error(`every candidate failed:\n${failures.join('\n')}`);
  }

  destroy(): void {
    this.core.device.destroy();
  }
}

export async function createEngine(opts: EngineOptions = {}): Promise<Engine> {
  if (opts.device) return new Engine(opts.device, { limits: opts.limits });
  const gpu = opts.gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new Error("createEngine: no WebGPU here (navigator.gpu is missing). Pass {device}, or in Node import { createEngine } from 'winoconv/node'.");
  const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference });
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
  return new Engine(device, { limits: opts.limits });
}
