/**
 * The FMA-ceiling probe: how many float32 GFLOP/s this device reaches on a plain loop of fused multiply-adds
 * with no memory traffic, measured in the same run as the layers it is compared with. Each invocation keeps
 * `accumulators` independent vec4 chains a = fma(a, m, c) (m, c from a uniform, so nothing folds), and stores
 * their sum at the end so the work stays live. FLOPs per run = invocations · iterations · accumulators · 4 · 2.
 *
 * Calibration grows the iteration count to 1024 (amortising each invocation's set-up), then the dispatch (up to 2^18
 * invocations, to fill a large GPU), then the iterations again, until one run takes at least `targetMs`. Both 4
 * and 8 accumulators are tried (a CPU driver such as SwiftShader runs 4 invocations per SIMD register, and 8 vec4
 * chains spill there; a GPU may want the extra independent work) and the faster counts.
 *
 * The runner samples the calibrated probe at the start, once in every timed round of every layer (so each layer
 * has a ceiling measured under the same machine load as its own runs) and at the end.
 */
import { timeEncode } from 'winoconv';
import type { CeilingResult } from './types.ts';
import { quantile } from './summary.ts';

const WORKGROUP = 64;
const MAX_INVOCATIONS = 1 << 18;

export function ceilingKernelId(accumulators: number): string {
  return `fma_ceiling_f32_vec4x${accumulators}`;
}

export function ceilingWgsl(accumulators: number): string {
  const acc = Array.from({ length: accumulators }, (_, k) => k);
  return `// ${ceilingKernelId(accumulators)}: FMA-ceiling probe. One invocation per global id, ${accumulators} independent
// vec4 accumulators, no workgroup memory, no barriers; dispatch ceil(invocations / ${WORKGROUP}) workgroups.
struct Params { iters: u32, pad: u32, m: f32, c: f32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> sink: array<vec4<f32>>;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let s = f32(gid.x) * 1e-6;
  let m = vec4<f32>(params.m);
  let c = vec4<f32>(params.c);
${acc.map((k) => `  var a${k} = vec4<f32>(s + ${k}.0, s + ${k}.25, s + ${k}.5, s + ${k}.75);`).join('\n')}
  for (var i = 0u; i < params.iters; i++) {
${acc.map((k) => `    a${k} = fma(a${k}, m, c);`).join('\n')}
  }
  sink[gid.x] = ${acc.map((k) => `a${k}`).join(' + ')};
}
`;
}

interface Probe {
  time(invocations: number, iters: number): Promise<number>;
  destroy(): void;
  method: CeilingResult['method'];
}

function createProbe(device: GPUDevice, accumulators: number): Probe {
  const module = device.createShaderModule({ label: ceilingKernelId(accumulators), code: ceilingWgsl(accumulators) });
  const layout = device.createBindGroupLayout({
    label: ceilingKernelId(accumulators),
    entries: [
      { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
      { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
    ],
  });
  const pipeline = device.createComputePipeline({ label: ceilingKernelId(accumulators), layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint: 'main' } });
  const params = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const sink = device.createBuffer({ size: MAX_INVOCATIONS * 16, usage: GPUBufferUsage.STORAGE });
  const bind = device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: params } }, { binding: 1, resource: { buffer: sink } }] });
  return {
    method: device.features.has('timestamp-query') ? 'timestamp-query' : 'wall-clock',
    async time(invocations, iters) {
      const p = new ArrayBuffer(16);
      new Uint32Array(p, 0, 2).set([iters, 0]);
      new Float32Array(p, 8, 2).set([0.999, 0.001]);
      device.queue.writeBuffer(params, 0, p);
      const t = await timeEncode(device, (enc, timestampWrites) => {
        const pass = enc.beginComputePass({ timestampWrites });
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bind);
        pass.dispatchWorkgroups(Math.ceil(invocations / WORKGROUP));
        pass.end();
      }, 0, 1);
      return t.median;
    },
    destroy() {
      params.destroy();
      sink.destroy();
    },
  };
}

export interface CeilingOptions {
  targetMs?: number;
  accumulators?: number[];
}

export interface CeilingProbe {
  kernel: string;
  method: CeilingResult['method'];
  invocations: number;
  iterations: number;
  accumulators: number;
  flopsPerRun: number;
  /** One run at the calibrated size: GFLOP/s. */
  sample(): Promise<number>;
  destroy(): void;
}

/**
 * Calibrates the probe for this device (both accumulator counts, keeping the faster) and returns it ready to
 * sample, so that the runner can time it in the same rounds as the layers.
 */
export async function createCeilingProbe(device: GPUDevice, opts: CeilingOptions = {}): Promise<CeilingProbe> {
  const targetMs = opts.targetMs ?? 40;
  let best: { probe: Probe; accumulators: number; invocations: number; iterations: number; gflops: number } | undefined;
  for (const accumulators of opts.accumulators ?? [4, 8]) {
    const probe = createProbe(device, accumulators);
    let invocations = 16 * WORKGROUP;
    let iterations = 64;
    await probe.time(invocations, 1); // compile
    // iterations first (amortise the per-invocation set-up), then invocations (fill the device), then iterations
    for (let step = 0; step < 32; step++) {
      if ((await probe.time(invocations, iterations)) >= targetMs) break;
      if (iterations < 1024 || invocations >= MAX_INVOCATIONS) iterations *= 2;
      else invocations = Math.min(MAX_INVOCATIONS, invocations * 4);
    }
    const times: number[] = [];
    for (let i = 0; i < 3; i++) times.push(await probe.time(invocations, iterations));
    const gflops = (invocations * iterations * accumulators * 8) / (quantile([...times].sort((a, b) => a - b), 0.5) * 1e6);
    if (!best || gflops > best.gflops) {
      best?.probe.destroy();
      best = { probe, accumulators, invocations, iterations, gflops };
    } else probe.destroy();
  }
  const { probe, accumulators, invocations, iterations } = best!;
  const flopsPerRun = invocations * iterations * accumulators * 4 * 2;
  return {
    kernel: ceilingKernelId(accumulators),
    method: probe.method,
    invocations,
    iterations,
    accumulators,
    flopsPerRun,
    sample: async () => flopsPerRun / ((await probe.time(invocations, iterations)) * 1e6),
    destroy: () => probe.destroy(),
  };
}

/** Median GFLOP/s of `runs` samples. */
export async function sampleCeiling(probe: CeilingProbe, runs = 5): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push(await probe.sample());
  return quantile(xs.sort((a, b) => a - b), 0.5);
}
