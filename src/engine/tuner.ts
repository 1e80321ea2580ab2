/**
 * The autotuner with a correctness gate. findConv2d times every candidate algorithm × tuning configuration
 * (GEMM tile presets) at a given size, after its kernels have been verified against the float64 reference.
 * A candidate that fails verification is reported with its time and the reason, and is never chosen, however
 * fast it is. Winners are kept in a TuningStore keyed by adapter, engine version, descriptor and size.
 */
import { normalizeDesc, type Conv2dDesc, type NormalizedDesc } from '../conv/desc.ts';
import { winogradMatrixHash } from '../kernels/winograd-layout.ts';
import { mulberry32, randomF32 } from '../util/random.ts';
import type { Winograd2D } from '../winograd/index.ts';
import type { AlgorithmImpl, ConcreteAlgorithm, PrepareContext, PreparedConv, TuningConfig } from './algorithm.ts';
import { ENGINE_VERSION, type EngineCore, type VerifyResult } from './engine-core.ts';

/** What the tuner needs of an engine (Engine implements it; an interface here keeps tuner → engine out of the import graph). */
export interface TuningHost {
  readonly core: EngineCore;
  readonly impls: AlgorithmImpl[];
  readonly adapterKey: string;
  prepareVerified(impl: AlgorithmImpl, ctx: PrepareContext): Promise<{ prepared: PreparedConv; record: VerifyResult }>;
}
import { selectCandidates } from './select.ts';
import { timeEncode } from '../runtime/timing.ts';
import { scratchIo } from './steps.ts';

export interface FindOptions {
  /** The input size to time at. */
  size: { batch: number; height: number; width: number };
  runs?: number;
  warmup?: number;
  /** Weights to plan with (default: seeded random; timing does not depend on the values). */
  weights?: ArrayLike<number>;
  /** Only these algorithms (default: every one auto may use, or the descriptor's forced algorithm). */
  algorithms?: ConcreteAlgorithm[];
}

export interface FindCandidateResult {
  algorithm: ConcreteAlgorithm;
  tuning: TuningConfig;
  kernels: string[];
  /** usable: verified and timed; excluded: servable but kept out of auto (accuracy); the rest are never chosen. */
  status: 'usable' | 'excluded' | 'failed-verification' | 'cannot-serve' | 'error';
  reason: string;
  ms?: number;
  workspaceBytes?: number;
  maxRelError?: number;
  errorRatio?: number;
}

export interface FindResult {
  results: FindCandidateResult[];
  /** The fastest usable candidate. */
  best?: FindCandidateResult;
  method: 'timestamp-query' | 'wall-clock';
}

export function randomWeights(desc: Conv2dDesc): Float32Array {
  const d = normalizeDesc(desc);
  return randomF32(d.outChannels * (d.inChannels / d.groups) * d.kernelH * d.kernelW, mulberry32(0x7e57), -0.1, 0.1);
}

export function adapterKey(device: GPUDevice, info?: { vendor: string; architecture: string; device: string; description: string }): string {
  const i = info ?? (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const l = device.limits;
  return JSON.stringify({
    adapter: i ? [i.vendor, i.architecture, i.device, i.description] : 'unknown',
    features: [...device.features].sort(),
    limits: [l.maxComputeWorkgroupStorageSize, l.maxComputeInvocationsPerWorkgroup, l.maxStorageBufferBindingSize],
  });
}

export function tuningKey(engine: Pick<TuningHost, 'adapterKey'>, d: NormalizedDesc, size: FindOptions['size'], transforms?: Winograd2D): string {
  const { algorithm: _ignored, ...shape } = d;
  return JSON.stringify({ engine: ENGINE_VERSION, adapter: engine.adapterKey, desc: shape, size, transforms: transforms ? winogradMatrixHash(transforms) : undefined });
}

export async function findConv2d(engine: TuningHost, ctx: PrepareContext, opts: FindOptions): Promise<FindResult> {
  const d = ctx.desc;
  const core = engine.core;
  const { batch, height, width } = opts.size;
  const verdicts = selectCandidates(engine.impls, { desc: d, height, width, transforms: ctx.transforms, nonFinite: ctx.nonFinite });
  const method = core.device.features.has('timestamp-query') ? 'timestamp-query' : 'wall-clock';
  const results: FindCandidateResult[] = [];
  for (const impl of engine.impls) {
    if (opts.algorithms && !opts.algorithms.includes(impl.name)) continue;
    if (d.algorithm !== 'auto' && impl.name !== d.algorithm) continue;
    const v = verdicts.find((x) => x.algorithm === impl.name)!;
    if (v.status === 'rejected') {
      results.push({ algorithm: impl.name, tuning: {}, kernels: [], status: 'cannot-serve', reason: v.reason });
      continue;
    }
    if (v.status === 'excluded' && d.algorithm === 'auto') {
      // Kept out of auto (accuracy): never chosen here, so not worth compiling and timing.
      results.push({ algorithm: impl.name, tuning: {}, kernels: [], status: 'excluded', reason: v.reason });
      continue;
    }
    for (const tuning of impl.tunings?.(d, core) ?? [{}]) {
      const r: FindCandidateResult = { algorithm: impl.name, tuning, kernels: [], status: 'error', reason: '' };
      results.push(r);
      let input: GPUBuffer | undefined;
      let output: GPUBuffer | undefined;
      try {
        const { prepared, record } = await engine.prepareVerified(impl, { ...ctx, tuning });
        try {
          r.kernels = prepared.kernelIds;
          r.maxRelError = record.maxRelError;
          r.errorRatio = record.errorRatio;
          const rs = prepared.resize(batch, height, width);
          r.workspaceBytes = rs.workspaceBytes;
          const inCount = batch * height * width * d.inChannels;
          input = core.createBufferFrom(randomF32(inCount, mulberry32(5)), GPUBufferUsage.STORAGE, 'tune input');
          output = core.device.createBuffer({ label: 'tune output', size: Math.max(16, batch * rs.outHeight * rs.outWidth * d.outChannels * 4), usage: GPUBufferUsage.STORAGE });
          const scratch = scratchIo(core.device, prepared.ioNames(), { input, output }, rs.workspaceBytes);
          try {
            r.ms = (await timeEncode(core.device, (enc, ts) => prepared.encode(enc, scratch.io, ts), opts.warmup ?? 1, opts.runs ?? 5)).median;
          } finally {
            scratch.release();
          }
          if (!record.ok) {
            r.status = 'failed-verification';
            r.reason = `never chosen: its kernels failed verification against float64: ${record.detail.split('\n')[0]}`;
          } else {
            r.status = 'usable';
            r.reason = record.detail;
          }
        } finally {
          prepared.destroy();
        }
      } catch (e) {
        r.status = 'error';
        r.reason = (e as Error).message.split('\n')[0];
      } finally {
        input?.destroy();
        output?.destroy();
      }
    }
  }
  const usable = results.filter((r) => r.status === 'usable' && r.ms !== undefined);
  const best = usable.reduce<FindCandidateResult | undefined>((a, b) => (!a || b.ms! < a.ms! ? b : a), undefined);
  return { results, best, method };
}
