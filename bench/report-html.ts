/**
 * `winoconv bench --html FILE`: one self-contained HTML file (inline CSS and SVG, no scripts to run, nothing
 * fetched) that a person can open offline: the charts, the comparison with the peers, every row, the summary,
 * and the results JSON embedded as data. Pure.
 */
import { autoChoices, errorChartSvg, escapeXml, gflopsChartSvg } from './charts.ts';
import { BEST_OF_WINOCONV, counts } from './summary.ts';
import { implLabel } from './table.ts';
import type { BenchResults } from './types.ts';

const esc = escapeXml;
const num = (v: number | undefined | null, d = 2) => (v === undefined || v === null || !Number.isFinite(v) ? '' : v.toFixed(d));
const ms = (v: number | undefined) => (v === undefined ? '' : v < 10 ? v.toFixed(3) : v.toFixed(1));

/** The report's styles; the benchmark page uses them too. */
export const REPORT_CSS = `body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 1.5rem auto; max-width: 70rem; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5rem 0; font-size: 12.5px; } th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; vertical-align: top; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; } code { font-size: 11px; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; } .card { border: 1px solid #ddd; border-radius: 6px; padding: .5rem .9rem; min-width: 12rem; }
.card b { font-size: 1.4rem; display: block; } .good { color: #176d2c; } .bad { color: #b00020; } .muted { color: #666; font-size: 12.5px; }
svg.chart { max-width: 100%; height: auto; border: 1px solid #eee; margin: .5rem 0; }
`;

export function htmlTable(head: string[], rows: string[][], cls = ''): string {
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>\n${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('\n')}\n</tbody></table>`;
}

export function peerComparisonRows(r: Pick<BenchResults, 'rows' | 'summary'>): { head: string[]; rows: string[][] } {
  const peerNames = [...new Set(r.rows.filter((w) => w.kind === 'peer').map((w) => w.impl))];
  const layers = [...new Set(r.rows.map((w) => w.layer))];
  const rows = layers.map((layer) => {
    const at = r.rows.filter((w) => w.layer === layer);
    const ours = at.filter((w) => w.kind === 'winoconv' && BEST_OF_WINOCONV.includes(w.impl) && counts(w)).sort((a, b) => a.medianMs - b.medianMs)[0];
    const cells = [esc(layer), ours ? `${esc(implLabel(ours))} <b>${ms(ours.medianMs)}</b> ms` : '–'];
    for (const p of peerNames) {
      const pr = at.find((w) => w.impl === p);
      if (!pr) cells.push('–');
      else {
        const ratio = ours ? pr.medianMs / ours.medianMs : undefined;
        const wrong = !counts(pr) ? ` <span class="bad">wrong: maxRel ${pr.maxRelError.toExponential(1)}</span>` : pr.withinTolerance ? '' : ` <span class="bad">outside ${esc(pr.tolerance)} bound</span>`;
        cells.push(`${ms(pr.medianMs)} ms${ratio !== undefined ? ` <span class="${ratio >= 1 ? 'good' : 'bad'}">(${ratio.toFixed(2)}×)</span>` : ''} · err ${pr.maxRelError.toExponential(1)}${wrong}`);
      }
    }
    const s = r.summary.bestPeerSpeedup.perLayer[layer];
    cells.push(s === undefined ? '' : `<b class="${s >= 1 ? 'good' : 'bad'}">${s.toFixed(2)}×</b>`);
    return cells;
  });
  if (peerNames.length) rows.push(['<b>geomean</b>', '', ...peerNames.map(() => ''), `<b>${num(r.summary.bestPeerSpeedup.geomean)}×</b>`]);
  return { head: ['layer', 'winoconv best (wall)', ...peerNames.map((p) => `${p} (peer / winoconv)`), 'best peer / winoconv'], rows };
}

/** F(4×4) against the ceiling and im2col, and auto's choice, per layer. */
export function ratiosTableHtml(r: Pick<BenchResults, 'rows' | 'summary' | 'ceiling'>): string {
  const s = r.summary;
  const layers = [...new Set(r.rows.map((w) => w.layer))];
  const rows = layers.map((l) => {
    const w4 = r.rows.find((w) => w.layer === l && w.impl === 'winograd4');
    return [
      esc(l), num(w4?.gpuGflops ?? w4?.gflops), num(r.ceiling?.perLayer[l] ?? r.ceiling?.gflops), s.winograd4OverCeiling[l] !== undefined ? `${(100 * s.winograd4OverCeiling[l]).toFixed(1)}%` : '',
      s.winograd4GemmOverCeiling?.[l] !== undefined ? `${(100 * s.winograd4GemmOverCeiling[l]).toFixed(1)}%` : '',
      num(s.winograd4OverIm2col[l]), num(s.winograd2OverIm2col[l]), esc(s.auto[l] ? `${s.auto[l].algorithm} (${num(s.auto[l].gflops)} GFLOP/s)` : ''),
    ];
  });
  return htmlTable(['layer', 'F(4×4) GFLOP/s', 'FMA ceiling GFLOP/s (same rounds)', 'F(4×4) / ceiling', 'F(4×4) GEMM stage / ceiling', 'F(4×4) / im2col', 'F(2×2) / im2col', 'auto'], rows);
}

/** Every row: speed beside error. */
export function rowsTableHtml(r: Pick<BenchResults, 'rows'>): string {
  const rows = r.rows.map((w) => [
    esc(w.layer), esc(implLabel(w)), esc(w.kind), ms(w.medianMs), num(w.spreadPct, 1), num(w.gflops), ms(w.gpuMedianMs), num(w.gpuGflops),
    w.maxRelError.toExponential(2), w.withinTolerance ? `ok (${num(w.worstRatio, 2)} of ${esc(w.tolerance)})` : `<span class="bad">outside ${esc(w.tolerance)}: ${num(w.worstRatio, 1)}× bound</span>`,
    num(w.createMs, 0), `<code>${esc(w.kernelIds.join(' '))}</code>${w.notes.length ? `<br><small>${esc(w.notes.join('; '))}</small>` : ''}`,
  ]);
  return htmlTable(['layer', 'implementation', 'kind', 'wall ms', 'spread %', 'GFLOP/s', 'GPU ms', 'GPU GFLOP/s', 'max rel err', 'tolerance', 'create ms', 'kernels'], rows);
}

export function renderHtmlReport(r: BenchResults): string {
  const s = r.summary;
  const peers = peerComparisonRows(r);
  const hasPeers = r.peers.length > 0;
  const layers = [...new Set(r.rows.map((w) => w.layer))];
  return htmlDocument(`winoconv bench: ${r.suite} (${r.date})`, 'winoconv-bench-results', r, `<h1>winoconv benchmark: ${esc(r.suite)}</h1>
<p class="muted">${esc(r.date)} · ${esc(r.environment)} · adapter ${esc([r.adapter.vendor, r.adapter.architecture, r.adapter.device, r.adapter.description].filter(Boolean).join(' / '))}</p>
<div class="cards">
${hasPeers ? `<div class="card">best peer / winoconv (geomean)<b class="${(s.bestPeerSpeedup.geomean ?? 0) >= 1 ? 'good' : 'bad'}">${num(s.bestPeerSpeedup.geomean)}×</b><span class="muted">&gt; 1: winoconv faster</span></div>` : ''}
<div class="card">FMA ceiling<b>${r.ceiling ? `${num(r.ceiling.gflops)} GFLOP/s` : 'not measured'}</b><span class="muted">${r.ceiling ? esc(`${r.ceiling.kernel}, ${r.ceiling.method}`) : ''}</span></div>
<div class="card">layers × implementations<b>${layers.length} × ${new Set(r.rows.map((w) => w.impl)).size}</b><span class="muted">${r.runs} runs after ${r.warmup} warm-up</span></div>
</div>
<h2>Speed</h2>
${gflopsChartSvg(r)}
<p class="muted">auto chose: ${esc(autoChoices(r)) || '–'}</p>
${hasPeers ? `<h2>winoconv vs peers</h2>\n${htmlTable(peers.head, peers.rows)}\n<p class="muted">Wall clock, median; winoconv best over ${esc(BEST_OF_WINOCONV.join(', '))}; only rows within 1e-3 relative error count.</p>` : ''}
<h2>Accuracy</h2>
${errorChartSvg(r)}
<h2>F(4×4,3×3): ceiling and im2col</h2>
${ratiosTableHtml(r)}
<p class="muted">${esc(`ceiling ratio: ${s.basis.overCeiling}; im2col ratios: ${s.basis.overIm2col}`)}</p>
<h2>Every row</h2>
${rowsTableHtml(r)}
${r.skipped.length ? `<h2>Not run</h2>\n${htmlTable(['layer', 'implementation', 'status', 'why'], r.skipped.map((k) => [esc(k.layer), esc(k.impl), k.status === 'failed' ? '<span class="bad">failed</span>' : 'n/a', esc(k.reason)]))}` : ''}
<h2>Method</h2>
<ul>
<li>Timing: ${esc(r.timingMethod)}.</li>
${r.gpuTimingMethod ? `<li>GPU ms: ${esc(r.gpuTimingMethod)}.</li>` : ''}
<li>GFLOP/s count direct-convolution FLOPs, 2·N·Ho·Wo·Cout·(Cin/groups)·Kh·Kw, whatever the algorithm.</li>
<li>Error: max |y − ref| / max |ref| against a float64 CPU reference; tolerance is the project's bound per output, scaled by Σ|x·w|.</li>
${r.peers.map((p) => `<li>Peer ${esc(p.name)}: ${esc(p.library)} ${esc(p.version)} (${esc(p.backend)}): ${esc(p.how)}.</li>`).join('\n')}
</ul>
`);
}

/** A self-contained report page: the shared CSS, the body, and the results as JSON in a script tag (id). */
export function htmlDocument(title: string, id: string, results: unknown, body: string): string {
  const json = JSON.stringify(results).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
${REPORT_CSS}</style>
</head>
<body>
${body}<script type="application/json" id="${id}">${json}</script>
</body>
</html>
`;
}
