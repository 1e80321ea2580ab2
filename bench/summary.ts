/** The summary math of a benchmark run: statistics of run times, speed-up ratios, geometric means. Pure. */
import type { ConvGeometry } from 'winoconv';
import type { BenchRow, BenchSummary, CeilingResult, TimeStats } from './types.ts';

/** Linear-interpolated quantile of an ascending array. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function timeStats(times: readonly number[]): TimeStats {
  const sorted = [...times].sort((a, b) => a - b);
  const medianMs = quantile(sorted, 0.5);
  return {
    medianMs,
    minMs: sorted[0],
    maxMs: sorted[sorted.length - 1],
    spreadPct: medianMs > 0 ? (100 * (quantile(sorted, 0.75) - quantile(sorted, 0.25))) / medianMs : 0,
  };
}

/** Geometric mean of the positive finite values; null when there are none. */
export function geomean(values: readonly number[]): number | null {
  const xs = values.filter((v) => Number.isFinite(v) && v > 0);
  if (xs.length === 0) return null;
  return Math.exp(xs.reduce((s, v) => s + Math.log(v), 0) / xs.length);
}

/** A row counts in the speed comparisons only when its answer is right: finite and within this relative error. */
export const MAX_REL_ERROR_TO_COUNT = 1e-3;

/**
 * The winoconv algorithms that compete as "winoconv's best": the ones `auto` may choose. winograd6 is left out
 * (auto excludes it for its error), and so is the hand-written baseline.
 */
export const BEST_OF_WINOCONV = ['auto', 'winograd4', 'winograd2', 'im2col', 'direct'];

export function counts(r: BenchRow): boolean {
  return r.nonFinite === 0 && r.maxRelError <= MAX_REL_ERROR_TO_COUNT && r.medianMs > 0;
}

function fastest(rows: BenchRow[]): BenchRow | undefined {
  return rows.filter(counts).reduce<BenchRow | undefined>((b, r) => (!b || r.medianMs < b.medianMs ? r : b), undefined);
}

/** GPU time when both rows have it (kernel against kernel), else wall clock. */
function kernelMs(r: BenchRow, other: BenchRow): [number, number] {
  return r.gpuMedianMs !== undefined && other.gpuMedianMs !== undefined ? [r.gpuMedianMs, other.gpuMedianMs] : [r.medianMs, other.medianMs];
}

export function summarize(rows: BenchRow[], layers: string[], ceiling: CeilingResult | null): BenchSummary {
  const s: BenchSummary = {
    winograd4OverIm2col: {},
    winograd2OverIm2col: {},
    auto: {},
    bestPeerSpeedup: { perLayer: {}, geomean: null, detail: {} },
    ceilingGflops: ceiling ? ceiling.gflops : null,
    winograd4OverCeiling: {},
    winograd4GemmOverCeiling: {},
    basis: {
      bestPeerSpeedup: 'wall clock (launch → completion → read back), median; winoconv best over ' + BEST_OF_WINOCONV.join(', '),
      overIm2col: 'timestamp-query GPU time when both rows have it, else wall clock',
      overCeiling: ceiling
        ? `${ceiling.method === 'timestamp-query' ? 'timestamp-query GPU time' : 'wall clock'} for both the probe and F(4×4,3×3); the probe sampled once per timed round of the same layer. ` +
          'Effective GFLOP/s count direct-convolution FLOPs: F(4×4,3×3) multiplies 2.25 times per output and input channel instead of 9, so a ratio above 1 (up to about 4) is possible'
        : 'no ceiling measured',
    },
  };
  for (const layer of layers) {
    const at = rows.filter((r) => r.layer === layer);
    const one = (impl: string) => at.find((r) => r.impl === impl && counts(r));
    const im = one('im2col');
    const w4 = one('winograd4');
    const w2 = one('winograd2');
    if (im && w4) {
      const [a, b] = kernelMs(im, w4);
      s.winograd4OverIm2col[layer] = a / b;
    }
    if (im && w2) {
      const [a, b] = kernelMs(im, w2);
      s.winograd2OverIm2col[layer] = a / b;
    }
    const auto = at.find((r) => r.impl === 'auto');
    if (auto) s.auto[layer] = { algorithm: auto.algorithm, gflops: auto.gflops };
    const ours = fastest(at.filter((r) => r.kind === 'winoconv' && BEST_OF_WINOCONV.includes(r.impl)));
    const peer = fastest(at.filter((r) => r.kind === 'peer'));
    if (ours && peer) {
      s.bestPeerSpeedup.perLayer[layer] = peer.medianMs / ours.medianMs;
      s.bestPeerSpeedup.detail[layer] = { peer: peer.impl, peerMs: peer.medianMs, winoconv: ours.impl === 'auto' ? `auto→${ours.algorithm}` : ours.impl, winoconvMs: ours.medianMs };
    }
    if (ceiling && w4) {
      const g = ceiling.method === 'timestamp-query' && w4.gpuGflops !== undefined ? w4.gpuGflops : w4.gflops;
      s.winograd4OverCeiling[layer] = g / (ceiling.perLayer[layer] ?? ceiling.gflops);
      const gemm = w4.stages?.find((st) => st.gflops !== undefined);
      if (gemm) s.winograd4GemmOverCeiling[layer] = gemm.gflops! / (ceiling.perLayer[layer] ?? ceiling.gflops);
    }
  }
  s.bestPeerSpeedup.geomean = geomean(Object.values(s.bestPeerSpeedup.perLayer));
  return s;
}

/**
 * The multiply-adds (× 2) of a Winograd algorithm's GEMM stage on a layer: taps · tiles · C_out · C_in, for the
 * square F(m×m, r×r) names ('winograd2', 'winograd4', 'winograd6'); undefined for other names.
 */
export function winogradGemmFlops(g: ConvGeometry, algorithm: string): number | undefined {
  const m = /^winograd(\d)$/.exec(algorithm);
  if (!m || g.kernelH !== g.kernelW) return undefined;
  const tile = Number(m[1]);
  const n = tile + g.kernelH - 1;
  const outH = g.inHeight + g.pads[0] + g.pads[2] - g.kernelH + 1;
  const outW = g.inWidth + g.pads[1] + g.pads[3] - g.kernelW + 1;
  const tiles = g.batch * Math.ceil(outH / tile) * Math.ceil(outW / tile);
  return 2 * n * n * tiles * g.outChannels * g.inChannels;
}
