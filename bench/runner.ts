/**
 * The benchmark runner: environment-agnostic (takes a GPU object and the implementations the environment
 * offers), so the CLI runs it in Node (Dawn) and the benchmark page (demo/bench.html) runs it on the visitor's
 * WebGPU, with the peers. See bench/types.ts for the timing method and the results schema.
 *
 * Per layer: seeded data; every implementation prepared; `warmup` untimed rounds; then `runs` rounds in which
 * the implementations take turns (one run each per round); the output of the last run of each is compared with
 * the float64 reference. The FMA-ceiling probe (bench/ceiling.ts) runs on the engine's device at the start, once
 * per timed round of every layer (a turn of its own, like an implementation), and at the end.
 */
import { compareWithReference, conv2dReference, createEngine, describeAdapter, maxAbsDot, outputSize, toleranceFor, type ConvGeometry } from 'winoconv';
import { mulberry32, randomF32 } from '../src/util/random.ts';
import { directFlops, findSuite, type BenchLayer } from './suites.ts';
import { DEFAULT_BENCH_IMPLS, PEER_NAMES, type BenchContext, type BenchImpl, type PreparedImpl } from './impls.ts';
import { createCeilingProbe, sampleCeiling, type CeilingProbe } from './ceiling.ts';
import { quantile, summarize, timeStats, winogradGemmFlops } from './summary.ts';
import type { BenchResults, BenchRow, CeilingResult, ErrorCheck, PeerInfo, StageTime } from './types.ts';

export type { BenchResults, BenchRow } from './types.ts';

export interface BenchOptions {
  suite: string;
  /** Implementation names (default: every engine algorithm). */
  impls?: string[];
  /** Add the peers (tfjs-webgpu, ort-webgpu) to the implementations. */
  peers?: boolean;
  /** Only these layers of the suite (by name). */
  layers?: string[];
  warmup?: number;
  runs?: number;
  /** Run the FMA-ceiling probe (default true). */
  ceiling?: boolean;
}

export interface BenchEnvironment {
  /** The implementations this environment offers (engine algorithms, baseline, peers). */
  available: BenchImpl[];
  progress?: (line: string) => void;
  /** Each row as soon as it is measured (the page redraws its charts). */
  onRow?: (row: BenchRow, rows: BenchRow[]) => void;
  onCeiling?: (c: CeilingResult) => void;
  /** Stops after the current layer. */
  signal?: AbortSignal;
}

/** Resolves names against what the environment offers, with an error that says what is and where. */
export function selectImpls(opts: Pick<BenchOptions, 'impls' | 'peers'>, available: BenchImpl[]): BenchImpl[] {
  const names = [...(opts.impls ?? DEFAULT_BENCH_IMPLS)];
  if (opts.peers) for (const p of PEER_NAMES) if (!names.includes(p)) names.push(p);
  return names.map((n) => {
    const i = available.find((x) => x.name === n);
    if (i) return i;
    if (PEER_NAMES.includes(n)) throw new Error(`--impl = ${n}: the peers run in the browser page only (winoconv bench --browser --peers)`);
    throw new Error(`--impl = ${n}: unknown (implementations here: ${available.map((x) => x.name).join(', ')})`);
  });
}

function toleranceName(row: { kind: BenchRow['kind']; algorithm: string }): Parameters<typeof toleranceFor>[1] {
  if (row.kind !== 'winoconv') return 'im2col';
  const a = row.algorithm;
  if (a === 'direct' || a === 'im2col' || a === 'winograd2' || a === 'winograd4' || a === 'winograd6') return a;
  return a.startsWith('winograd') ? 'winograd' : 'im2col';
}

function nchwToNhwc(src: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[((b * h + y) * w + x) * c + k] = src[((b * c + k) * h + y) * w + x];
  }
  return out;
}

interface LayerData {
  input: Float32Array<ArrayBuffer>;
  weightOIHW: Float32Array<ArrayBuffer>;
  bias: Float32Array<ArrayBuffer>;
}

export function layerData(g: ConvGeometry, seed: number): LayerData {
  const rng = mulberry32(seed);
  const input = randomF32(g.batch * g.inHeight * g.inWidth * g.inChannels, rng);
  const weightOIHW = randomF32(g.kernelH * g.kernelW * (g.inChannels / g.groups) * g.outChannels, rng, -0.1, 0.1);
  const bias = randomF32(g.outChannels, rng);
  return { input, weightOIHW, bias };
}

interface Contender {
  impl: BenchImpl;
  prepared: PreparedImpl;
  wall: number[];
  gpu: number[];
  last?: Float32Array;
  failed?: string;
}

export async function runBenchmark(gpu: GPU, environment: string, opts: BenchOptions, env: BenchEnvironment): Promise<BenchResults> {
  const suite = findSuite(opts.suite);
  const layers: BenchLayer[] = opts.layers ? suite.layers.filter((l) => opts.layers!.includes(l.name)) : suite.layers;
  if (layers.length === 0) throw new Error(`no layers selected from suite ${suite.name} (layers: ${suite.layers.map((l) => l.name).join(', ')})`);
  const progress = env.progress ?? (() => undefined);
  const warmup = opts.warmup ?? 2;
  const runs = opts.runs ?? 9;
  const impls = selectImpls(opts, env.available);
  // The same device a user of createEngine gets (timestamp-query and subgroups when the adapter has them).
  const engine = await createEngine({ gpu });
  const ctx: BenchContext = { engine };
  const device = engine.device;
  const report = await describeAdapter(gpu);
  const features = [...device.features].sort();
  const rows: BenchRow[] = [];
  const skipped: BenchResults['skipped'] = [];
  const peers: PeerInfo[] = [];
  let probe: CeilingProbe | undefined;
  let ceiling: CeilingResult | null = null;
  const updateCeiling = (c: { start?: number; end?: number; layer?: [string, number] }) => {
    if (!probe) return;
    const prev: CeilingResult = ceiling ?? { gflops: 0, method: probe.method, samples: {}, perLayer: {}, kernel: probe.kernel, invocations: probe.invocations, iterations: probe.iterations, accumulators: probe.accumulators, flopsPerRun: probe.flopsPerRun };
    const next: CeilingResult = { ...prev, samples: { ...prev.samples }, perLayer: { ...prev.perLayer } };
    if (c.start !== undefined) next.samples.start = c.start;
    if (c.end !== undefined) next.samples.end = c.end;
    if (c.layer) next.perLayer[c.layer[0]] = c.layer[1];
    next.gflops = Math.max(...[next.samples.start, next.samples.end, ...Object.values(next.perLayer)].filter((v): v is number => v !== undefined));
    ceiling = next;
    env.onCeiling?.(next);
  };
  try {
    for (const impl of impls) {
      if (impl.info) {
        progress(`[peers] loading ${impl.name} ...`);
        peers.push(await impl.info());
      }
    }
    if (opts.ceiling !== false) {
      progress('[ceiling] calibrating the FMA probe ...');
      probe = await createCeilingProbe(device);
      const start = await sampleCeiling(probe);
      updateCeiling({ start });
      progress(`[ceiling] ${start.toFixed(2)} GFLOP/s (${probe.kernel}, ${probe.invocations} invocations × ${probe.iterations} iterations, ${probe.method}); sampled again in every round`);
    }
    const total = layers.length * impls.length;
    let step = 0;
    for (const [li, layer] of layers.entries()) {
      if (env.signal?.aborted) {
        progress('stopped');
        break;
      }
      const g = layer.geom;
      const data = layerData(g, 7000 + suite.layers.indexOf(layer));
      const { outHeight, outWidth } = outputSize(g);
      const flops = directFlops(g);
      const contenders: Contender[] = [];
      try {
        for (const impl of impls) {
          step++;
          const tag = `[${step}/${total}] ${layer.name} × ${impl.name}`;
          const why = impl.cannotServe(ctx, g);
          if (why) {
            progress(`${tag}: skipped (${why})`);
            skipped.push({ layer: layer.name, impl: impl.name, status: 'n/a', reason: why });
            continue;
          }
          try {
            const prepared = await impl.prepare(ctx, g, data);
            contenders.push({ impl, prepared, wall: [], gpu: [] });
            progress(`${tag}: prepared in ${prepared.createMs.toFixed(0)} ms (${prepared.algorithm})`);
          } catch (e) {
            const reason = `could not be prepared: ${(e as Error).message.split('\n')[0]}`;
            progress(`${tag}: ${reason}`);
            skipped.push({ layer: layer.name, impl: impl.name, status: 'failed', reason });
          }
        }
        progress(`[layer ${li + 1}/${layers.length}] ${layer.name}: ${warmup} warm-up + ${runs} timed rounds over ${contenders.length} implementations${probe ? ' and the FMA probe' : ''} ...`);
        const probeSamples: number[] = [];
        for (let round = 0; round < warmup + runs; round++) {
          if (probe && round >= warmup) probeSamples.push(await probe.sample());
          for (const c of contenders) {
            if (c.failed) continue;
            try {
              const t0 = performance.now();
              const out = await c.prepared.run();
              const ms = performance.now() - t0;
              const gms = c.prepared.lastGpuMs ? await c.prepared.lastGpuMs() : undefined;
              if (round >= warmup) {
                c.wall.push(ms);
                if (gms !== undefined) c.gpu.push(gms);
              }
              c.last = out;
            } catch (e) {
              c.failed = (e as Error).message.split('\n')[0];
              progress(`${layer.name} × ${c.impl.name}: run failed: ${c.failed}`);
              skipped.push({ layer: layer.name, impl: c.impl.name, status: 'failed', reason: `run failed: ${c.failed}` });
            }
          }
        }
        if (probeSamples.length) {
          const g = quantile(probeSamples.sort((a, b) => a - b), 0.5);
          updateCeiling({ layer: [layer.name, g] });
          progress(`${layer.name} × FMA probe: ${g.toFixed(2)} GFLOP/s in the same rounds`);
        }
        let ref: Float64Array | undefined;
        let absDot: Float64Array | undefined;
        for (const c of contenders) {
          if (c.failed || !c.last || c.wall.length === 0) continue;
          const ops = { input: data.input, inputLayout: 'NHWC' as const, weight: data.weightOIHW, weightLayout: 'OIHW' as const, bias: { shape: [g.outChannels], data: data.bias, broadcast: 'channel' as const } };
          ref ??= conv2dReference(g, { ...ops, activation: { type: 'relu' } }).data;
          absDot ??= maxAbsDot(g, ops).perOutput;
          const got = c.prepared.outputLayout === 'NCHW' ? nchwToNhwc(c.last, g.batch, g.outChannels, outHeight, outWidth) : c.last;
          const base = { kind: c.impl.kind, algorithm: c.prepared.algorithm };
          const cmp = compareWithReference(got.subarray(0, ref.length), ref, absDot, toleranceFor('float32', toleranceName(base)));
          const check: ErrorCheck = {
            maxRelError: cmp.nonFinite ? Infinity : cmp.maxRelError,
            maxAbsError: cmp.nonFinite ? Infinity : cmp.maxAbsError,
            tolerance: `${cmp.tolerance.dtype}/${cmp.tolerance.algorithm}`,
            worstRatio: cmp.worstRatio,
            withinTolerance: cmp.pass,
            nonFinite: cmp.nonFinite,
          };
          let kernelIds = c.prepared.kernelIds;
          if (kernelIds.length === 0 && c.prepared.describeKernels) kernelIds = await c.prepared.describeKernels().catch(() => []);
          const wall = timeStats(c.wall);
          const gpuStats = c.gpu.length === c.wall.length && c.gpu.length > 0 ? timeStats(c.gpu) : undefined;
          const stages = /^winograd\d/.test(c.impl.name) && c.prepared.stages ? await stageTimes(c.prepared.stages, g, c.impl.name) : undefined;
          const row: BenchRow = {
            layer: layer.name, geom: g, impl: c.impl.name, kind: c.impl.kind, algorithm: c.prepared.algorithm, kernelIds, createMs: c.prepared.createMs, flops, runs: c.wall.length,
            timing: 'wall-clock', ...wall, gflops: flops / (wall.medianMs * 1e6),
            ...(gpuStats ? { gpuTiming: 'timestamp-query' as const, gpuMedianMs: gpuStats.medianMs, gpuSpreadPct: gpuStats.spreadPct, gpuGflops: flops / (gpuStats.medianMs * 1e6) } : {}),
            ...check,
            ...(stages ? { stages } : {}),
            notes: c.prepared.notes,
          };
          rows.push(row);
          env.onRow?.(row, rows);
          progress(
            `${layer.name} × ${c.impl.name}${c.impl.name === 'auto' ? `→${row.algorithm}` : ''}: ${row.medianMs.toFixed(2)} ms wall (${row.gflops.toFixed(2)} GFLOP/s)` +
              (row.gpuMedianMs !== undefined ? `, ${row.gpuMedianMs.toFixed(2)} ms GPU (${row.gpuGflops!.toFixed(2)} GFLOP/s)` : '') +
              `, maxRel ${row.maxRelError.toExponential(2)}${row.withinTolerance ? '' : ` OUTSIDE ${row.tolerance} tolerance (${row.worstRatio.toFixed(1)}x bound)`}`,
          );
          if (row.stages) progress(`  stages: ${row.stages.map((st) => `${st.kernel} ${st.ms.toFixed(2)} ms${st.gflops !== undefined ? ` (${st.gflops.toFixed(2)} GFLOP/s)` : ''}`).join(', ')}`);
        }
      } finally {
        for (const c of contenders) await c.prepared.destroy();
      }
    }
    if (probe) {
      const end = await sampleCeiling(probe);
      updateCeiling({ end });
      progress(`[ceiling] end: ${end.toFixed(2)} GFLOP/s; ceiling of this run ${ceiling!.gflops.toFixed(2)} GFLOP/s`);
    }
  } finally {
    probe?.destroy();
    engine.destroy();
  }
  const summary = summarize(rows, layers.map((l) => l.name), ceiling);
  const hasTs = features.includes('timestamp-query');
  return {
    schema: 'winoconv-bench/2',
    date: new Date().toISOString(),
    suite: suite.name,
    environment,
    adapter: { vendor: report.vendor, architecture: report.architecture, device: report.device, description: report.description, features },
    timingMethod: `wall clock, launch → GPU completion → output read back to the CPU (inputs and weights already on the GPU); median of ${runs} runs after ${warmup} warm-up runs, implementations taking turns each round`,
    gpuTimingMethod: hasTs ? 'timestamp-query at the start of the first and the end of the last compute pass of each winoconv run (the same runs)' : null,
    warmup,
    runs,
    peers,
    ceiling,
    rows,
    skipped,
    summary,
  };
}

/** Stage times of a Winograd row, the GEMM stage with its own GFLOP/s; undefined when profiling fails. */
async function stageTimes(profile: () => Promise<{ kernel: string; ms: number }[]>, g: ConvGeometry, impl: string): Promise<StageTime[] | undefined> {
  try {
    const gemmFlops = winogradGemmFlops(g, impl);
    return (await profile()).map((st) => (/_gemm_/.test(st.kernel) && gemmFlops && st.ms > 0 ? { ...st, gflops: gemmFlops / (st.ms * 1e6) } : st));
  } catch {
    return undefined;
  }
}
