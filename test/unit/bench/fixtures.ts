/** Synthetic benchmark results for the summary, table and report tests (no GPU). */
import type { BenchResults, BenchRow, CeilingResult } from '../../../bench/types.ts';
import { geom } from '../../shapes.ts';
import { summarize } from '../../../bench/summary.ts';

export function row(layer: string, impl: string, medianMs: number, extra: Partial<BenchRow> = {}): BenchRow {
  const flops = 1e9;
  const kind = extra.kind ?? (impl.includes('-webgpu') ? 'peer' : impl === 'baseline' ? 'baseline' : 'winoconv');
  return {
    layer, geom: geom({ inChannels: 8, outChannels: 8, inHeight: 8, inWidth: 8 }), impl, kind, algorithm: impl, kernelIds: [`${impl}_kernel`], createMs: 1, flops, runs: 5,
    timing: 'wall-clock', medianMs, minMs: medianMs, maxMs: medianMs, spreadPct: 0, gflops: flops / (medianMs * 1e6),
    maxRelError: 1e-6, maxAbsError: 1e-6, tolerance: 'float32/im2col', worstRatio: 0.1, withinTolerance: true, nonFinite: 0, notes: [],
    ...extra,
  };
}

export const CEILING: CeilingResult = { gflops: 100, method: 'timestamp-query', samples: { start: 90, end: 100 }, perLayer: {}, kernel: 'fma_ceiling_f32_vec4x4', invocations: 4096, iterations: 1024, accumulators: 4, flopsPerRun: 1 };

export function results(rows: BenchRow[], layers: string[], ceiling: CeilingResult | null = CEILING): BenchResults {
  return {
    schema: 'winoconv-bench/2', date: '2026-01-01T00:00:00.000Z', suite: 'test <suite>', environment: 'unit test', adapter: { vendor: 'v', architecture: 'a', device: '', description: '', features: ['timestamp-query'] },
    timingMethod: 'wall clock', gpuTimingMethod: 'timestamp-query', warmup: 1, runs: 5,
    peers: [{ name: 'tfjs-webgpu', library: 'tfjs', version: '4.22.0', backend: 'webgpu', how: 'fused conv2d' }],
    ceiling, rows, skipped: [{ layer: layers[0], impl: 'winograd6', status: 'n/a', reason: 'stride 2 </script>' }, { layer: layers[0], impl: 'ort-webgpu', status: 'failed', reason: 'device lost' }], summary: summarize(rows, layers, ceiling),
  };
}
