import { describe, expect, it } from 'vitest';
import { geomean, quantile, summarize, timeStats, winogradGemmFlops } from '../../../bench/summary.ts';
import { formatBenchTable } from '../../../bench/table.ts';
import { CEILING, results, row } from './fixtures.ts';

describe('bench summary math', () => {
  it('quantiles interpolate and stats report median, extremes and the IQR spread', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([5], 0.75)).toBe(5);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
    const s = timeStats([4, 1, 3, 2, 5]);
    expect(s).toEqual({ medianMs: 3, minMs: 1, maxMs: 5, spreadPct: (100 * (4 - 2)) / 3 });
  });

  it('geomean of ratios; ignores non-positive and non-finite values; null when empty', () => {
    expect(geomean([2, 8])).toBeCloseTo(4, 12);
    expect(geomean([0.5, 2, 1])).toBeCloseTo(1, 12);
    expect(geomean([4, 0, -1, Infinity, NaN])).toBeCloseTo(4, 12);
    expect(geomean([])).toBeNull();
  });

  it('bestPeerSpeedup: best peer time over winoconv best time, per layer and geomean', () => {
    const rows = [
      row('A', 'auto', 10, { algorithm: 'winograd4' }), row('A', 'winograd4', 8), row('A', 'im2col', 12), row('A', 'tfjs-webgpu', 20), row('A', 'ort-webgpu', 32),
      row('B', 'auto', 5, { algorithm: 'im2col' }), row('B', 'im2col', 5), row('B', 'tfjs-webgpu', 40), row('B', 'ort-webgpu', 10),
      row('C', 'im2col', 3), // no peer: not in the comparison
    ];
    const s = summarize(rows, ['A', 'B', 'C'], null);
    expect(s.bestPeerSpeedup.perLayer).toEqual({ A: 20 / 8, B: 10 / 5 });
    expect(s.bestPeerSpeedup.detail.A).toEqual({ peer: 'tfjs-webgpu', peerMs: 20, winoconv: 'winograd4', winoconvMs: 8 });
    expect(s.bestPeerSpeedup.detail.B.winoconv).toBe('auto→im2col');
    expect(s.bestPeerSpeedup.geomean).toBeCloseTo(Math.sqrt(2.5 * 2), 12);
    expect(s.ceilingGflops).toBeNull();
    expect(s.winograd4OverCeiling).toEqual({});
  });

  it('a wrong answer is not a speed: wrong peers and winograd6 (not in auto) do not count as best', () => {
    const rows = [
      row('A', 'im2col', 10), row('A', 'winograd6', 1),
      row('A', 'tfjs-webgpu', 2, { maxRelError: 0.5, withinTolerance: false }), row('A', 'ort-webgpu', 30),
      row('A', 'direct', 9, { nonFinite: 3, maxRelError: Infinity }),
    ];
    const s = summarize(rows, ['A'], null);
    expect(s.bestPeerSpeedup.perLayer.A).toBe(3);
    expect(s.bestPeerSpeedup.detail.A).toMatchObject({ peer: 'ort-webgpu', winoconv: 'im2col' });
  });

  it('F(4x4) over im2col uses GPU time when both rows have it; over the ceiling uses GPU GFLOP/s for a timestamp ceiling', () => {
    const rows = [
      row('A', 'winograd4', 10, { gpuMedianMs: 4, gpuGflops: 250 }), row('A', 'im2col', 12, { gpuMedianMs: 8 }), row('A', 'winograd2', 6),
    ];
    const s = summarize(rows, ['A'], CEILING);
    expect(s.winograd4OverIm2col.A).toBe(2); // 8 / 4, GPU
    expect(s.winograd2OverIm2col.A).toBe(2); // 12 / 6, wall (winograd2 has no GPU time)
    expect(s.ceilingGflops).toBe(100);
    expect(s.winograd4OverCeiling.A).toBe(2.5);
    const wall = summarize(rows, ['A'], { ...CEILING, method: 'wall-clock' });
    expect(wall.winograd4OverCeiling.A).toBeCloseTo(1, 12); // 1e9 flops / 10 ms = 100 GFLOP/s
    // a ceiling sampled in the layer's own rounds is the one its ratio uses
    const perLayer = summarize(rows, ['A'], { ...CEILING, perLayer: { A: 50 } });
    expect(perLayer.winograd4OverCeiling.A).toBe(5);
    expect(perLayer.ceilingGflops).toBe(100);
  });

  it('GEMM-stage FLOPs of a Winograd layer: 2 · taps · tiles · C_out · C_in (ResNet-18 64@56², by hand)', () => {
    const g = { batch: 1, kernelH: 3, kernelW: 3, strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], groups: 1, inChannels: 64, outChannels: 64, inHeight: 56, inWidth: 56 } as const;
    expect(winogradGemmFlops(g as never, 'winograd4')).toBe(2 * 36 * 14 * 14 * 64 * 64); // 6×6 taps, 14×14 tiles of 4×4
    expect(winogradGemmFlops(g as never, 'winograd2')).toBe(2 * 16 * 28 * 28 * 64 * 64);
    expect(winogradGemmFlops({ ...g, inHeight: 7, inWidth: 7, batch: 2 } as never, 'winograd4')).toBe(2 * 36 * 2 * 2 * 2 * 64 * 64); // ceil(7/4) = 2
    expect(winogradGemmFlops(g as never, 'im2col')).toBeUndefined();
  });

  it('F(4x4) GEMM stage over the ceiling: the profiled GEMM stage GFLOP/s over the layer ceiling; absent without stages', () => {
    const stages = [{ kernel: 'wino4x4_input', ms: 1 }, { kernel: 'wino4x4_gemm_f32', ms: 2, gflops: 40 }, { kernel: 'wino4x4_output', ms: 1 }];
    const s = summarize([row('A', 'winograd4', 10, { gpuMedianMs: 4, gpuGflops: 250, stages }), row('B', 'winograd4', 10)], ['A', 'B'], { ...CEILING, perLayer: { A: 80 } });
    expect(s.winograd4GemmOverCeiling).toEqual({ A: 0.5 });
    const text = formatBenchTable(results([row('A', 'winograd4', 10, { gpuMedianMs: 4, gpuGflops: 250, stages })], ['A'], { ...CEILING, perLayer: { A: 80 } }));
    expect(text).toContain('GEMM stage 40.00 GFLOP/s = 50.0% of it');
  });

  it('the printed table has every row, the peer comparison with ratios and the geomean', () => {
    const rows = [row('A', 'winograd4', 8), row('A', 'im2col', 16), row('A', 'tfjs-webgpu', 20)];
    const text = formatBenchTable(results(rows, ['A']));
    expect(text).toContain('tfjs-webgpu ms (ratio)');
    expect(text).toContain('20.0 (2.50x)');
    expect(text).toMatch(/geomean\s.*2\.50x/);
    expect(text).toContain('F(4x4,3x3) on A:');
    expect(text).toContain('2.00x vs im2col');
    expect(text).toContain('FMA ceiling: 100.00 GFLOP/s, the best of: start 90.00, end 100.00');
    expect(text).toContain('not applicable: 1 layer × implementation pairs (winograd6');
    expect(text).toContain('FAILED A × ort-webgpu: device lost');
  });
});
