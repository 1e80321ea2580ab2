/**
 * The per-device state an engine shares between its plans: the pipeline cache (keyed by kernel ID plus a
 * version salt), the verification record (which kernel sets have been checked against the reference in this
 * process), and limit checks.
 */
import type { KernelSource } from '../kernels/types.ts';
import { createKernelPipelineAsync, type BuiltPipeline } from '../runtime/pipeline.ts';
import { DeviceLostError } from './errors.ts';

/** The result of checking a prepared plan against its reference (src/engine/verify.ts). */
export interface VerifyResult {
  ok: boolean;
  detail: string;
  /** max|y − ref| / max|ref| on the check's data. */
  maxRelError?: number;
  /** Largest error over its bound (≤ 1 passes). */
  errorRatio?: number;
}

/** Bumped whenever generated code changes meaning, so cached pipelines and tuned configs are not reused across versions. */
export const ENGINE_VERSION = '0.1.1';

/** Limits the engine plans against; each may be lowered below the device's (never raised). */
export const LIMIT_KEYS = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupsPerDimension'] as const;
export type LimitOverrides = Partial<Record<(typeof LIMIT_KEYS)[number], number>>;

export interface PipelineStats {
  compiled: number;
  cacheHits: number;
  compileMs: number;
}

export class EngineCore {
  readonly device: GPUDevice;
  private readonly pipelines = new Map<string, Promise<BuiltPipeline>>();
  /**
   * Passed verifications, keyed by kernels + descriptor + a hash of the plan's data (verify.ts verificationKeys),
   * with the measured error.
   */
  readonly verified = new Map<string, { ok: boolean; detail: string }>();
  /** Kernel sets (with their descriptor) that failed on seeded random data too: the kernels' own failures. */
  readonly kernelFailures = new Map<string, { ok: boolean; detail: string }>();
  /** Verifications in flight, by the same key as `verified`: plans created together with the same kernels and data share one. */
  readonly verifying = new Map<string, Promise<VerifyResult>>();
  readonly stats: PipelineStats = { compiled: 0, cacheHits: 0, compileMs: 0 };

  private readonly effectiveLimits: LimitOverrides & GPUSupportedLimits;

  /** The adapter's WGSL language features (from the GPU object), when known: e.g. packed_4x8_integer_dot_product. */
  readonly wgslLanguageFeatures?: ReadonlySet<string>;
  readonly adapterInfo?: { vendor: string; architecture: string; device: string; description: string };

  /** `limits`: pretend the device has at most these (to reproduce a weaker device, or to test splitting). */
  /** Set when the device is lost (device.lost resolved); every later call throws DeviceLostError. */
  lostInfo?: { reason: string; message: string };
  /** Resolves when the device is lost. */
  readonly lost: Promise<{ reason: string; message: string }>;

  constructor(device: GPUDevice, limits: LimitOverrides = {}, about: { wgslLanguageFeatures?: ReadonlySet<string>; adapterInfo?: EngineCore['adapterInfo'] } = {}) {
    this.device = device;
    const lost = device.lost as Promise<GPUDeviceLostInfo> | undefined;
    this.lost = lost && typeof lost.then === 'function'
      ? lost.then((info) => {
          this.lostInfo = { reason: String(info?.reason ?? 'unknown'), message: String(info?.message ?? '') };
          return this.lostInfo;
        })
      : new Promise(() => {});
    this.wgslLanguageFeatures = about.wgslLanguageFeatures;
    this.adapterInfo = about.adapterInfo;
    const base = device.limits;
    const merged: Record<string, number> = {};
    for (const k of LIMIT_KEYS) merged[k] = Math.min(base[k], limits[k] ?? Infinity);
    this.effectiveLimits = new Proxy(base, { get: (t, k) => (typeof k === 'string' && k in merged ? merged[k] : Reflect.get(t, k)) }) as LimitOverrides & GPUSupportedLimits;
  }

  /** Throws DeviceLostError when the device has been lost. */
  assertAlive(what?: string): void {
    if (this.lostInfo) throw new DeviceLostError(this.lostInfo.reason, this.lostInfo.message, what);
  }

  /**
   * After a GPU operation failed (an AbortError or OperationError from mapAsync, say): waits briefly for
   * device.lost and returns DeviceLostError when that was the cause, undefined otherwise.
   */
  async lostError(what?: string, waitMs = 200): Promise<DeviceLostError | undefined> {
    if (!this.lostInfo) await Promise.race([this.lost, new Promise((r) => setTimeout(r, waitMs))]);
    return this.lostInfo ? new DeviceLostError(this.lostInfo.reason, this.lostInfo.message, what) : undefined;
  }

  /** The device's limits, lowered by any overrides given to the engine. */
  get limits(): GPUSupportedLimits {
    return this.effectiveLimits;
  }

  pipeline(kernel: KernelSource): Promise<BuiltPipeline> {
    const key = `${kernel.id}@${ENGINE_VERSION}`;
    const hit = this.pipelines.get(key);
    if (hit) {
      this.stats.cacheHits++;
      return hit;
    }
    const p = (async () => {
      const t0 = performance.now();
      const built = await createKernelPipelineAsync(this.device, kernel);
      this.stats.compiled++;
      this.stats.compileMs += performance.now() - t0;
      return built;
    })();
    p.catch(() => this.pipelines.delete(key));
    this.pipelines.set(key, p);
    return p;
  }

  /** A buffer initialised from `data` (padded to 4 bytes, at least 16). */
  createBufferFrom(data: Float32Array | Uint32Array | Int32Array, usage: number, label?: string): GPUBuffer {
    const size = Math.max(16, Math.ceil(data.byteLength / 4) * 4);
    const b = this.device.createBuffer({ label, size, usage: usage | GPUBufferUsage.COPY_DST });
    this.device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    return b;
  }

  /**
   * Checks a storage binding against the device's limits; returns why it does not fit, or undefined.
   */
  bindingMisfit(what: string, bytes: number): string | undefined {
    const max = this.limits.maxStorageBufferBindingSize;
    if (bytes > max) return `${what} needs ${bytes} bytes in one binding, over maxStorageBufferBindingSize (${max})`;
    if (bytes > this.limits.maxBufferSize) return `${what} needs ${bytes} bytes, over maxBufferSize (${this.limits.maxBufferSize})`;
    return undefined;
  }
}
