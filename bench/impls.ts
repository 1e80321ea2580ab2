/**
 * What the benchmark times. An implementation prepares once per layer (weights and input uploaded, pipelines
 * built), then `run()` does one forward pass with bias + ReLU fused: launch → GPU completion → output read back
 * to the CPU. That is the timed region for every implementation (winoconv, the baseline, the peers).
 *
 * winoconv's algorithms come from the public API only ('winoconv': src/ in dev, dist/src/index.js in the demo's
 * production build). The baseline (bench/baseline.ts) and the peers (bench/peers/) are separate modules, loaded
 * where they are wanted.
 */
import type { AlgorithmName, ConvGeometry, Engine } from 'winoconv';
import type { ImplKind, PeerInfo } from './types.ts';

export interface BenchData {
  /** NHWC input, OIHW weights, per-channel bias. */
  input: Float32Array<ArrayBuffer>;
  weightOIHW: Float32Array<ArrayBuffer>;
  bias: Float32Array<ArrayBuffer>;
}

export interface PreparedImpl {
  /** What ran: auto resolves to an algorithm; a peer names its op. */
  algorithm: string;
  kernelIds: string[];
  createMs: number;
  /** One timed forward pass, output read back in `outputLayout`. */
  run(): Promise<Float32Array>;
  outputLayout: 'NHWC' | 'NCHW';
  /** GPU time of the last run (timestamp queries), read after the timer stopped; undefined without the feature. */
  lastGpuMs?(): Promise<number | undefined>;
  /** Kernel names the implementation reports after running (peers' profilers); called once, untimed. */
  describeKernels?(): Promise<string[]>;
  /** Per-kernel GPU times (winoconv plans on devices with timestamp queries); called once, untimed. */
  stages?(): Promise<{ kernel: string; ms: number }[]>;
  notes: string[];
  destroy(): void | Promise<void>;
}

export interface BenchContext {
  engine: Engine;
}

export interface BenchImpl {
  name: string;
  kind: ImplKind;
  /** Why this implementation cannot serve the layer, or undefined when it can. */
  cannotServe(ctx: BenchContext, g: ConvGeometry): string | undefined;
  prepare(ctx: BenchContext, g: ConvGeometry, data: BenchData): Promise<PreparedImpl>;
  /** Peers: library, version and method, for the results (loads the library). */
  info?(): Promise<PeerInfo>;
}

export function uploadF32(device: GPUDevice, data: Float32Array<ArrayBuffer>, usage = GPUBufferUsage.STORAGE): GPUBuffer {
  const b = device.createBuffer({ size: Math.max(16, data.byteLength), usage: usage | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(b, 0, data);
  return b;
}

/**
 * The run of anything that encodes into a command encoder (winoconv plans, the baseline): encode with timestamp
 * writes (when the device has 'timestamp-query'), copy the output to a staging buffer in the same submit, map it,
 * copy it out. The timestamps are resolved in that submit too and read after the timer stops.
 */
export function encodedRunner(
  device: GPUDevice,
  output: GPUBuffer,
  outputCount: number,
  encode: (enc: GPUCommandEncoder, ts?: GPUComputePassTimestampWrites) => void,
): Pick<PreparedImpl, 'run' | 'lastGpuMs'> & { destroy(): void } {
  const bytes = outputCount * 4;
  const staging = device.createBuffer({ size: Math.max(16, bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const useTs = device.features.has('timestamp-query');
  const qs = useTs ? device.createQuerySet({ type: 'timestamp', count: 2 }) : undefined;
  const resolve = useTs ? device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }) : undefined;
  const tsRead = useTs ? device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }) : undefined;
  let pending = false;
  return {
    async run() {
      const enc = device.createCommandEncoder({ label: 'bench run' });
      encode(enc, qs ? { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } : undefined);
      if (qs && resolve && tsRead) {
        enc.resolveQuerySet(qs, 0, 2, resolve, 0);
        enc.copyBufferToBuffer(resolve, 0, tsRead, 0, 16);
      }
      enc.copyBufferToBuffer(output, 0, staging, 0, Math.max(16, bytes));
      device.queue.submit([enc.finish()]);
      pending = Boolean(tsRead);
      await staging.mapAsync(GPUMapMode.READ);
      const out = new Float32Array(staging.getMappedRange().slice(0, bytes));
      staging.unmap();
      return out;
    },
    async lastGpuMs() {
      if (!tsRead || !pending) return undefined;
      pending = false;
      await tsRead.mapAsync(GPUMapMode.READ);
      const [b, e] = new BigUint64Array(tsRead.getMappedRange().slice(0));
      tsRead.unmap();
      const ms = Number(e - b) / 1e6;
      return ms > 0 ? ms : undefined;
    },
    destroy() {
      staging.destroy();
      qs?.destroy();
      resolve?.destroy();
      tsRead?.destroy();
    },
  };
}

export function descOf(g: ConvGeometry, algorithm: AlgorithmName) {
  return {
    inChannels: g.inChannels, outChannels: g.outChannels, kernelSize: [g.kernelH, g.kernelW] as [number, number], strides: g.strides, pads: g.pads,
    dilations: g.dilations, groups: g.groups, layout: 'NHWC' as const, activation: 'relu' as const, algorithm,
  };
}

function engineImpl(algorithm: AlgorithmName): BenchImpl {
  return {
    name: algorithm,
    kind: 'winoconv',
    cannotServe({ engine }, g) {
      if (algorithm === 'auto') return undefined;
      const v = engine.candidates(descOf(g, algorithm)).find((x) => x.algorithm === algorithm);
      return !v ? 'unknown algorithm' : v.status === 'rejected' ? v.reason : undefined;
    },
    async prepare({ engine }, g, data) {
      const t0 = performance.now();
      const plan = await engine.createConv2d(descOf(g, algorithm), { weights: data.weightOIHW, weightLayout: 'OIHW', bias: data.bias, expectedSize: { height: g.inHeight, width: g.inWidth } });
      const createMs = performance.now() - t0;
      plan.resize({ batch: g.batch, height: g.inHeight, width: g.inWidth });
      const dev = engine.device;
      const input = uploadF32(dev, data.input);
      const count = plan.sizes().output;
      const output = dev.createBuffer({ size: Math.max(16, count * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
      const runner = encodedRunner(dev, output, count, (enc, ts) => plan.encode(enc, { input, output }, ts));
      return {
        algorithm: plan.info.algorithm,
        kernelIds: plan.info.kernels,
        createMs,
        outputLayout: 'NHWC',
        run: runner.run,
        lastGpuMs: runner.lastGpuMs,
        stages: dev.features.has('timestamp-query') ? () => plan.profileStages({ input, output }, 5) : undefined,
        notes: plan.info.notes,
        destroy() {
          runner.destroy();
          plan.destroy();
          input.destroy();
          output.destroy();
        },
      };
    },
  };
}

export const ENGINE_IMPLS: BenchImpl[] = [
  engineImpl('auto'),
  engineImpl('winograd4'),
  engineImpl('winograd2'),
  engineImpl('winograd6'),
  engineImpl('im2col'),
  engineImpl('direct'),
];

/** Names run when none are given: every engine algorithm (the baseline is slow on big layers, so opt-in). */
export const DEFAULT_BENCH_IMPLS = ENGINE_IMPLS.map((i) => i.name);
/** The peers, in the browser page only (bench/peers/). */
export const PEER_NAMES = ['tfjs-webgpu', 'ort-webgpu'];
/** Every name `--impl` accepts. */
export const ALL_IMPL_NAMES = [...DEFAULT_BENCH_IMPLS, 'baseline', ...PEER_NAMES];
