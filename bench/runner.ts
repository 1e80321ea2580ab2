/**
 * The benchmark runner: environment-agnostic (takes a GPU object), so the CLI runs it in Node (Dawn) and,
 * with --browser, inside a headless Chromium page. Times each layer × implementation after warm-up,
 * measures max relative error against the float64 reference, and returns rows for the results JSON.
 */
import { conv2dReference } from '../src/reference/conv2d.ts';
import { outputSize } from '../src/conv/types.ts';
import { mulberry32, randomF32 } from '../src/util/random.ts';
import { describeAdapter, type AdapterReport } from '../src/runtime/adapter-info.ts';
import { directFlops, findSuite, type BenchLayer } from './suites.ts';
import { BENCH_IMPLS, DEFAULT_BENCH_IMPLS, type BenchImpl } from './impls.ts';
import { createEngine } from '../src/engine/engine.ts';

export interface BenchOptions {
  suite: string;
  /** Implementation names to run (default: all that can serve each layer). */
  impls?: string[];
  warmup?: number;
  runs?: number;
  progress?: (line: string) => void;
}

export interface BenchRow {
  layer: string;
  geom: BenchLayer['geom'];
  impl: string;
  /** The algorithm that ran (auto resolves to one). */
  algorithm: string;
  kernelIds: string[];
  /** Plan creation: weight transform, pipeline compilation, verification (ms). */
  createMs: number;
  flops: number;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** (p75 − p25) / median of the run times, in percent. */
  spreadPct: number;
  gflops: number;
  maxRelError: number;
  timing: 'timestamp-query' | 'wall-clock';
}

export interface BenchResults {
  schema: 'winoconv-bench/1';
  date: string;
  suite: string;
  environment: string;
  adapter: Pick<AdapterReport, 'vendor' | 'architecture' | 'device' | 'description' | 'features'>;
  timingMethod: string;
  rows: BenchRow[];
  summary: BenchSummary;
}

export interface BenchSummary {
  /** Per layer: im2col time / winograd4 time (F(4×4,3×3) speed-up over winoconv's own im2col+GEMM). */
  winograd4OverIm2col: Record<string, number>;
  /** Per layer: im2col time / winograd2 time. */
  winograd2OverIm2col: Record<string, number>;
  /** Per layer: the algorithm auto chose and its GFLOP/s. */
  auto: Record<string, { algorithm: string; gflops: number }>;
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

async function timeRuns(device: GPUDevice, encode: (enc: GPUCommandEncoder, ts?: GPUComputePassTimestampWrites) => void, warmup: number, runs: number): Promise<{ times: number[]; method: BenchRow['timing'] }> {
  const useTs = device.features.has('timestamp-query');
  const qs = useTs ? device.createQuerySet({ type: 'timestamp', count: 2 }) : undefined;
  const resolve = useTs ? device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }) : undefined;
  const read = useTs ? device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }) : undefined;
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup + runs; i++) {
      const enc = device.createCommandEncoder();
      const t0 = performance.now();
      encode(enc, qs ? { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } : undefined);
      if (qs && resolve && read) {
        enc.resolveQuerySet(qs, 0, 2, resolve, 0);
        enc.copyBufferToBuffer(resolve, 0, read, 0, 16);
      }
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      const wall = performance.now() - t0;
      let ms = wall;
      if (read) {
        await read.mapAsync(GPUMapMode.READ);
        const [b, e] = new BigUint64Array(read.getMappedRange());
        read.unmap();
        const gpuMs = Number(e - b) / 1e6;
        if (gpuMs > 0) ms = gpuMs;
      }
      if (i >= warmup) times.push(ms);
    }
  } finally {
    qs?.destroy();
    resolve?.destroy();
    read?.destroy();
  }
  return { times, method: useTs ? 'timestamp-query' : 'wall-clock' };
}

async function readF32(device: GPUDevice, src: GPUBuffer, count: number): Promise<Float32Array> {
  const staging = device.createBuffer({ size: count * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, staging, 0, count * 4);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return out;
}

export async function runBenchmark(gpu: GPU, environment: string, opts: BenchOptions): Promise<BenchResults> {
  const suite = findSuite(opts.suite);
  const progress = opts.progress ?? (() => undefined);
  const warmup = opts.warmup ?? 2;
  const runs = opts.runs ?? 9;
  // The same device a user of createEngine gets (timestamp-query and subgroups when the adapter has them).
  const engine = await createEngine({ gpu });
  const device = engine.device;
  const report = await describeAdapter(gpu);
  const features = [...device.features];
  const impls: BenchImpl[] = (opts.impls ?? DEFAULT_BENCH_IMPLS).map((n) => {
    const i = BENCH_IMPLS.find((x) => x.name === n);
    if (!i) throw new Error(`--impl = ${n}: unknown (implementations: ${BENCH_IMPLS.map((x) => x.name).join(', ')})`);
    return i;
  });
  const rows: BenchRow[] = [];
  const total = suite.layers.length * impls.length;
  let step = 0;
  try {
    for (const [li, layer] of suite.layers.entries()) {
      const g = layer.geom;
      const rng = mulberry32(7000 + li);
      const input = randomF32(g.batch * g.inHeight * g.inWidth * g.inChannels, rng);
      const weight = randomF32(g.kernelH * g.kernelW * (g.inChannels / g.groups) * g.outChannels, rng, -0.1, 0.1);
      const bias = randomF32(g.outChannels, rng);
      let ref: Float64Array | undefined;
      for (const impl of impls) {
        step++;
        const why = impl.cannotServe(engine, g);
        if (why) {
          progress(`[${step}/${total}] ${layer.name} × ${impl.name}: skipped (${why})`);
          continue;
        }
        progress(`[${step}/${total}] ${layer.name} × ${impl.name}: timing ${warmup} warm-up + ${runs} runs ...`);
        let prepared;
        try {
          prepared = await impl.prepare(engine, g, { input, weightOIHW: weight, bias });
        } catch (e) {
          progress(`[${step}/${total}] ${layer.name} × ${impl.name}: could not be prepared: ${(e as Error).message.split('\n')[0]}`);
          continue;
        }
        try {
          const { times, method } = await timeRuns(device, prepared.encode, warmup, runs);
          const { outHeight, outWidth } = outputSize(g);
          const got = await readF32(device, prepared.output, g.batch * outHeight * outWidth * g.outChannels);
          ref ??= conv2dReference(g, { input, inputLayout: 'NHWC', weight, weightLayout: 'OIHW', bias: { shape: [g.outChannels], data: bias, broadcast: 'channel' }, activation: { type: 'relu' } }).data;
          let maxErr = 0;
          let maxRef = 0;
          for (let i = 0; i < ref.length; i++) {
            maxErr = Math.max(maxErr, Number.isFinite(got[i]) ? Math.abs(got[i] - ref[i]) : Infinity);
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
          }
          const sorted = [...times].sort((a, b) => a - b);
          const median = quantile(sorted, 0.5);
          const flops = directFlops(g);
          rows.push({
            layer: layer.name, geom: g, impl: impl.name, algorithm: prepared.algorithm, kernelIds: prepared.kernelIds, createMs: prepared.createMs, flops, runs,
            medianMs: median, minMs: sorted[0], maxMs: sorted[sorted.length - 1],
            spreadPct: (100 * (quantile(sorted, 0.75) - quantile(sorted, 0.25))) / median,
            gflops: flops / (median * 1e6), maxRelError: maxRef > 0 ? maxErr / maxRef : maxErr, timing: method,
          });
          const r = rows[rows.length - 1];
          progress(`[${step}/${total}] ${layer.name} × ${impl.name}: ${r.medianMs.toFixed(2)} ms, ${r.gflops.toFixed(2)} GFLOP/s, maxRel ${r.maxRelError.toExponential(2)}`);
        } finally {
          prepared.destroy();
        }
      }
    }
  } finally {
    device.destroy();
  }
  const time = (layer: string, impl: string) => rows.find((r) => r.layer === layer && r.impl === impl)?.medianMs;
  const summary: BenchSummary = { winograd4OverIm2col: {}, winograd2OverIm2col: {}, auto: {} };
  for (const layer of suite.layers) {
    const im = time(layer.name, 'im2col');
    const w4 = time(layer.name, 'winograd4');
    const w2 = time(layer.name, 'winograd2');
    if (im && w4) summary.winograd4OverIm2col[layer.name] = im / w4;
    if (im && w2) summary.winograd2OverIm2col[layer.name] = im / w2;
    const a = rows.find((r) => r.layer === layer.name && r.impl === 'auto');
    if (a) summary.auto[layer.name] = { algorithm: a.algorithm, gflops: a.gflops };
  }
  return {
    schema: 'winoconv-bench/1',
    date: new Date().toISOString(),
    suite: suite.name,
    environment,
    adapter: { vendor: report.vendor, architecture: report.architecture, device: report.device, description: report.description, features },
    timingMethod: features.includes('timestamp-query') ? 'timestamp-query around the compute pass(es), median over runs after warm-up' : 'wall clock from submit to onSubmittedWorkDone, median over runs after warm-up',
    rows,
    summary,
  };
}

export function formatBenchTable(r: BenchResults): string {
  const head = ['layer', 'implementation', 'median ms', 'spread %', 'GFLOP/s', 'max rel err', 'create ms'];
  const body = r.rows.map((x) => [x.layer, x.impl === 'auto' ? `auto→${x.algorithm}` : x.impl, x.medianMs.toFixed(3), x.spreadPct.toFixed(1), x.gflops.toFixed(2), x.maxRelError.toExponential(2), x.createMs.toFixed(0)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [
    `suite ${r.suite} on ${r.adapter.vendor} ${r.adapter.architecture} ${r.adapter.description} (${r.environment}); timing: ${r.timingMethod}`,
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(line),
    '',
    ...Object.entries(r.summary.winograd4OverIm2col).map(([l, v]) => `F(4x4,3x3) vs im2col on ${l}: ${v.toFixed(2)}x`),
    ...Object.entries(r.summary.winograd2OverIm2col).map(([l, v]) => `F(2x2,3x3) vs im2col on ${l}: ${v.toFixed(2)}x`),
  ].join('\n');
}
