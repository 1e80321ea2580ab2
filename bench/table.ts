/** The benchmark's text output: every row, then the comparison with the peers, the ceiling and the ratios. Pure. */
import { BEST_OF_WINOCONV, counts } from './summary.ts';
import type { BenchResults, BenchRow } from './types.ts';

function table(head: string[], body: string[][], leftCols = 1): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < leftCols ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
}

const ms = (v: number | undefined) => (v === undefined ? '' : v < 10 ? v.toFixed(3) : v.toFixed(1));
const x = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '' : `${v.toFixed(2)}x`);
export const implLabel = (r: BenchRow) => (r.impl === 'auto' ? `auto→${r.algorithm}` : r.impl);

export function formatRowsTable(r: BenchResults): string[] {
  return table(
    ['layer', 'implementation', 'wall ms', 'spread %', 'GFLOP/s', 'GPU ms', 'GPU GFLOP/s', 'max rel err', 'tolerance', 'create ms'],
    r.rows.map((w) => [
      w.layer, implLabel(w), ms(w.medianMs), w.spreadPct.toFixed(1), w.gflops.toFixed(2), ms(w.gpuMedianMs), w.gpuGflops?.toFixed(2) ?? '',
      w.maxRelError.toExponential(2), w.withinTolerance ? 'ok' : `FAIL ${w.worstRatio.toFixed(1)}x`, w.createMs.toFixed(0),
    ]),
    2,
  );
}

/** Per layer: winoconv's best and each peer's wall time, with the peer / winoconv ratio (> 1: winoconv is faster). */
export function formatPeerTable(r: BenchResults): string[] {
  const peerNames = [...new Set(r.rows.filter((w) => w.kind === 'peer').map((w) => w.impl))];
  if (peerNames.length === 0) return [];
  const layers = [...new Set(r.rows.map((w) => w.layer))];
  const body = layers.map((layer) => {
    const at = r.rows.filter((w) => w.layer === layer);
    const ours = at.filter((w) => w.kind === 'winoconv' && BEST_OF_WINOCONV.includes(w.impl) && counts(w)).sort((a, b) => a.medianMs - b.medianMs)[0];
    const cells = [layer, ours ? implLabel(ours) : '-', ours ? ms(ours.medianMs) : '-'];
    for (const p of peerNames) {
      const pr = at.find((w) => w.impl === p);
      if (!pr) cells.push('-');
      else cells.push(`${ms(pr.medianMs)} (${ours ? x(pr.medianMs / ours.medianMs) : '?'})${counts(pr) ? (pr.withinTolerance ? '' : ' outside fp32 bound') : ` WRONG maxRel ${pr.maxRelError.toExponential(1)}`}`);
    }
    cells.push(x(r.summary.bestPeerSpeedup.perLayer[layer]));
    return cells;
  });
  body.push(['geomean', '', '', ...peerNames.map(() => ''), x(r.summary.bestPeerSpeedup.geomean ?? undefined)]);
  return [
    'winoconv vs peers (wall ms, launch → completion → read back; in brackets: peer time / winoconv best, > 1 means winoconv is faster):',
    ...table(['layer', 'winoconv best', 'ms', ...peerNames.map((p) => `${p} ms (ratio)`), 'best peer / winoconv'], body, 2),
  ];
}

export function formatSummaryLines(r: BenchResults): string[] {
  const s = r.summary;
  const out: string[] = [];
  if (r.ceiling) {
    const c = r.ceiling;
    const per = Object.values(c.perLayer);
    const parts = [c.samples.start !== undefined ? `start ${c.samples.start.toFixed(2)}` : '', per.length ? `per layer ${Math.min(...per).toFixed(2)}..${Math.max(...per).toFixed(2)}` : '', c.samples.end !== undefined ? `end ${c.samples.end.toFixed(2)}` : ''].filter(Boolean);
    out.push(`FMA ceiling: ${c.gflops.toFixed(2)} GFLOP/s, the best of: ${parts.join(', ')} (${c.kernel}, ${c.invocations} invocations × ${c.iterations} iterations, ${c.method})`);
  }
  for (const layer of Object.keys({ ...s.winograd4OverIm2col, ...s.winograd4OverCeiling })) {
    const w4 = r.rows.find((w) => w.layer === layer && w.impl === 'winograd4');
    const parts = [`F(4x4,3x3) on ${layer}:`];
    if (w4) parts.push(`${(w4.gpuGflops ?? w4.gflops).toFixed(2)} GFLOP/s effective${w4.gpuGflops !== undefined ? ' (GPU time)' : ''}`);
    if (s.winograd4OverCeiling[layer] !== undefined) {
      const c = r.ceiling?.perLayer[layer];
      parts.push(`= ${(100 * s.winograd4OverCeiling[layer]).toFixed(1)}% of the ceiling${c !== undefined ? ` measured in the same rounds (${c.toFixed(2)} GFLOP/s)` : ''}`);
    }
    const gemm = w4?.stages?.find((st) => st.gflops !== undefined);
    if (gemm && s.winograd4GemmOverCeiling[layer] !== undefined) parts.push(`| GEMM stage ${gemm.gflops!.toFixed(2)} GFLOP/s = ${(100 * s.winograd4GemmOverCeiling[layer]).toFixed(1)}% of it`);
    if (s.winograd4OverIm2col[layer] !== undefined) parts.push(`| ${x(s.winograd4OverIm2col[layer])} vs im2col`);
    if (s.winograd2OverIm2col[layer] !== undefined) parts.push(`| F(2x2,3x3) ${x(s.winograd2OverIm2col[layer])} vs im2col`);
    out.push(parts.join(' '));
  }
  if (s.bestPeerSpeedup.geomean !== null) out.push(`best peer / winoconv best, geomean over ${Object.keys(s.bestPeerSpeedup.perLayer).length} layers: ${x(s.bestPeerSpeedup.geomean)}`);
  const na = r.skipped.filter((k) => k.status === 'n/a');
  if (na.length) out.push(`not applicable: ${na.length} layer × implementation pairs (${[...new Set(na.map((k) => k.impl))].join(', ')}; reasons in the JSON's skipped list)`);
  for (const k of r.skipped.filter((x) => x.status === 'failed')) out.push(`FAILED ${k.layer} × ${k.impl}: ${k.reason}`);
  return out;
}

export function formatBenchTable(r: BenchResults): string {
  const peers = formatPeerTable(r);
  return [
    `suite ${r.suite} on ${r.adapter.vendor} ${r.adapter.architecture} ${r.adapter.description} (${r.environment})`,
    `timing: ${r.timingMethod}${r.gpuTimingMethod ? `; GPU ms: ${r.gpuTimingMethod}` : ''}`,
    ...r.peers.map((p) => `peer ${p.name}: ${p.library} ${p.version} (${p.backend}): ${p.how}`),
    '',
    ...formatRowsTable(r),
    ...(peers.length ? ['', ...peers] : []),
    '',
    ...formatSummaryLines(r),
  ].join('\n');
}
