/**
 * `winoconv bench --models --html FILE`: one self-contained HTML file (inline CSS and SVG, no scripts to run,
 * nothing fetched): latency per model × implementation (log scale), winoconv's GPU-time split per model as stacked
 * bars, the per-model table, the slowest nodes, every row; the results JSON embedded as data. The model benchmark
 * page draws the same sections live. Pure.
 */
import { barChartSvg, colorFor, escapeXml } from '../charts.ts';
import { htmlDocument, htmlTable } from '../report-html.ts';
import { slowestLayers } from './summary.ts';
import { MODEL_IMPLS, type ModelImpl, type ModelsBenchResults, type TimeClass } from './types.ts';

const esc = escapeXml;
const msText = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '' : v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(1) : v.toFixed(0));
const ratio = (p: number | null | undefined, w: number | null | undefined) => (p && w ? `${(p / w).toFixed(2)}×` : '');
const IMPL_COLORS: Record<ModelImpl, string> = { winoconv: colorFor('auto'), 'winoconv-fp16': '#b07aa1', 'ort-webgpu': colorFor('ort-webgpu'), 'ort-wasm-1': '#59a14f', 'ort-wasm-2': '#8cd17d' };
const CLASS_COLORS: Record<TimeClass, string> = { winograd: '#f28e2b', otherConv: '#4e79a7', nonConv: '#bab0ac' };
const CLASS_LABELS: Record<TimeClass, string> = { winograd: 'winograd (3×3 s1 convs)', otherConv: 'other conv / Gemm / MatMul', nonConv: 'non-conv' };

/** Median latency per model × implementation, log scale. */
export function latencyChartSvg(r: ModelsBenchResults): string {
  const impls = r.options.impls.filter((i) => r.rows.some((x) => x.impl === i));
  return barChartSvg({
    title: 'Latency per model (median ms, launch → outputs on the CPU; log scale; shorter is faster)',
    categories: r.specs.map((s) => s.name),
    series: impls.map((i) => ({
      name: i,
      color: IMPL_COLORS[i],
      values: r.specs.map((s) => r.rows.find((x) => x.model === s.name && x.impl === i && x.status === 'ok')?.medianMs ?? null),
    })),
    unit: 'ms',
    log: true,
  });
}

/** winoconv's GPU time per model as one 100 % stacked bar: winograd / otherConv / nonConv. */
export function splitChartSvg(r: ModelsBenchResults): string {
  const ps = r.profiles.filter((p) => p.split && p.split.total > 0);
  if (ps.length === 0) return '<p class="muted">No GPU-time split (no profile, or no timestamp-query).</p>';
  const W = 880;
  const labelW = 200;
  const plotW = W - labelW - 90;
  const barH = 16;
  const top = 48;
  const H = top + ps.length * (barH + 8) + 10;
  const classes: TimeClass[] = ['winograd', 'otherConv', 'nonConv'];
  const legend = classes.map((c, k) => `<rect x="${10 + k * 220}" y="26" width="12" height="12" fill="${CLASS_COLORS[c]}"/><text x="${26 + k * 220}" y="36" font-size="12">${esc(CLASS_LABELS[c])}</text>`).join('');
  const bars = ps
    .map((p, k) => {
      const y = top + k * (barH + 8);
      let x = labelW;
      const segs = classes
        .map((c) => {
          const w = (p.split![c] / p.split!.total) * plotW;
          const seg = `<rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(0, w).toFixed(1)}" height="${barH}" fill="${CLASS_COLORS[c]}"><title>${esc(`${p.model} ${CLASS_LABELS[c]}: ${p.split![c].toFixed(3)} ms (${((100 * p.split![c]) / p.split!.total).toFixed(1)} %)`)}</title></rect>`;
          x += w;
          return seg;
        })
        .join('');
      return `<text x="${labelW - 6}" y="${y + 12}" font-size="12" text-anchor="end">${esc(p.model)}</text>${segs}<text x="${labelW + plotW + 6}" y="${y + 12}" font-size="11">${p.split!.total.toFixed(1)} ms</text>`;
    })
    .join('\n');
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, sans-serif"><text x="10" y="16" font-size="13" font-weight="600">winoconv GPU time per model by class (100 %, timestamp queries)</text>${legend}\n${bars}</svg>`;
}

/** The per-model table (the printed table's columns). */
export function modelsTableHtml(r: ModelsBenchResults): string {
  const row = (m: string, i: ModelImpl) => r.rows.find((x) => x.model === m && x.impl === i);
  const cell = (m: string, i: ModelImpl, k: 'medianMs' | 'firstMs' | 'createMs' = 'medianMs') => {
    const x = row(m, i);
    if (!x) return '';
    if (x.status !== 'ok') return `<span class="bad" title="${esc(x.message ?? '')}">${x.status}</span>`;
    return msText(x[k]);
  };
  const head = ['model', 'conv GFLOP', 'winoconv create ms', 'first ms', 'median ms', 'ORT WebGPU ms', 'ORT WebGPU first', 'ORT wasm 1t', 'ORT wasm 2t', 'ORT WebGPU / winoconv', 'ORT wasm / winoconv', 'max rel err', 'arena MiB'];
  const rows = r.specs.map((s) => {
    const w = row(s.name, 'winoconv');
    const sum = r.summary.models[s.name];
    return [
      `${esc(s.name)}<br><span class="muted">${esc(s.label)}, ${esc(s.input)}</span>`,
      s.convGflop.toFixed(3),
      cell(s.name, 'winoconv', 'createMs'),
      cell(s.name, 'winoconv', 'firstMs'),
      cell(s.name, 'winoconv'),
      cell(s.name, 'ort-webgpu'),
      cell(s.name, 'ort-webgpu', 'firstMs'),
      cell(s.name, 'ort-wasm-1'),
      cell(s.name, 'ort-wasm-2'),
      ratio(sum?.ortWebgpuMs, sum?.winoconvMs),
      ratio(sum?.ortWasmMs, sum?.winoconvMs),
      w?.maxRelError !== null && w?.maxRelError !== undefined ? w.maxRelError.toExponential(1) : '',
      w?.arenaBytes !== undefined ? (w.arenaBytes / 2 ** 20).toFixed(2) : '',
    ];
  });
  return htmlTable(head, rows);
}

/** Every row (all implementations), with its message. */
export function rowsTableHtml(r: ModelsBenchResults): string {
  return htmlTable(
    ['model', 'implementation', 'status', 'create ms', 'first ms', 'median ms', 'min', 'max', 'spread', 'runs', 'GFLOP/s', 'max rel err', 'backend / note'],
    r.rows.map((x) => [
      esc(x.model), esc(x.impl), x.status === 'ok' ? 'ok' : `<span class="bad">${x.status}</span>`, msText(x.createMs), msText(x.firstMs), msText(x.medianMs), msText(x.minMs), msText(x.maxMs),
      x.spread === null ? '' : `${(100 * x.spread).toFixed(1)} %`, String(x.runMs.length), x.gflops === null ? '' : x.gflops.toFixed(2),
      x.maxRelError === null ? '' : x.maxRelError.toExponential(1), esc([x.backend, x.message].filter(Boolean).join(' — ')),
    ]),
  );
}

/** Per profiled model: the split in numbers and the five slowest nodes. */
export function profilesHtml(r: ModelsBenchResults): string {
  return r.profiles
    .map((p) => {
      const s = p.split;
      const pc = (v: number) => (s && s.total > 0 ? `${((100 * v) / s.total).toFixed(1)} %` : '');
      const top = slowestLayers(p.layers, 5);
      return `<h3>${esc(p.model)}</h3>${p.message ? `<p class="muted">${esc(p.message)}</p>` : ''}${
        s ? `<p>GPU ${s.total.toFixed(2)} ms: winograd ${pc(s.winograd)}, other conv ${pc(s.otherConv)}, non-conv ${pc(s.nonConv)} (${p.layers.length} nodes)</p>` : ''
      }${top.length ? htmlTable(['slowest nodes', 'op', 'conv', 'algorithm', 'class', 'output', 'GPU ms'], top.map((l) => [esc(l.node), esc(l.opType), esc(l.conv ?? ''), esc(l.algorithm), l.class, l.outputShape.join('×'), l.gpuMs!.toFixed(3)])) : ''}${
        p.autoCheckError ? `<p class="muted">check-auto: ${esc(p.autoCheckError)}</p>` : ''
      }${p.autoCheck?.length ? htmlTable(['node', 'conv', 'auto', 'ms', 'best', 'ms', 'slowdown'], p.autoCheck.map((a) => [esc(a.node), esc(a.conv), esc(a.autoAlgorithm), a.autoMs.toFixed(3), esc(a.bestAlgorithm), a.bestMs.toFixed(3), `${(100 * a.slowdown).toFixed(1)} %`])) : ''}`;
    })
    .join('\n');
}

/** The body sections (the page draws these live, the report wraps them). */
export function modelsSectionsHtml(r: ModelsBenchResults): string {
  const g = r.summary.modelsGeomean;
  const card = (label: string, v: number | null) => `<div class="card">${label}<b class="${v === null ? '' : v >= 1 ? 'good' : 'bad'}">${v === null ? '—' : `${v.toFixed(2)}×`}</b><span class="muted">peer median / winoconv median, geomean; &gt; 1: winoconv faster</span></div>`;
  return `<div class="cards">${card('over ORT Web WebGPU', g.overOrtWebgpu)}${card('over ORT Web wasm (best of 1t / 2t)', g.overOrtWasm)}<div class="card">models × implementations<b>${r.specs.length} × ${r.options.impls.length}</b><span class="muted">${r.options.runs} timed rounds, budget ${r.options.budgetS} s</span></div></div>
<h2>Latency</h2>
${latencyChartSvg(r)}
${modelsTableHtml(r)}
<h2>Where winoconv's GPU time goes</h2>
${splitChartSvg(r)}
${profilesHtml(r)}
<h2>Every row</h2>
${rowsTableHtml(r)}`;
}

export function renderModelsHtml(r: ModelsBenchResults): string {
  return htmlDocument(`winoconv bench --models (${r.date})`, 'winoconv-bench-models-results', r, `<h1>winoconv model benchmark</h1>
<p class="muted">${esc(r.date)} · ${esc(r.environment)} · adapter ${esc(r.adapter)}${r.crossOriginIsolated === null ? '' : ` · cross-origin isolated: ${r.crossOriginIsolated}`}</p>
${modelsSectionsHtml(r)}
<h2>Method</h2>
<ul>
<li>One run: launch → every output on the CPU as a Float32Array, wall clock (performance.now()), inputs from CPU memory. winoconv: <code>session.run</code> with Float32Array inputs. ONNX Runtime Web: <code>session.run</code> with CPU tensors (WebGPU EP in the page's main thread, outputs to the CPU; wasm EP in a worker per thread count, timed inside the worker).</li>
<li>Session creation is cold (winoconv: a fresh engine per model, no pipeline or verification cache). The first run is reported apart; then ${r.options.runs} rounds, implementations taking turns; an implementation whose time on a model passes ${r.options.budgetS} s takes no more rounds (at least one).</li>
<li>Error: max over outputs of max|y − ort_cpu| / max|ort_cpu| against ONNX Runtime CPU's stored outputs. GFLOP/s: 2 · multiply-adds of Conv / ConvTranspose / Gemm / MatMul per median run.</li>
<li>Split: per-node GPU time of a separate winoconv session with timestamp queries (median of 3 runs); winograd = 3×3 stride-1 dilation-1 convs that are not depthwise, whatever algorithm ran them.</li>
<li>Implementations: ${MODEL_IMPLS.map((i) => esc(i)).join(', ')}.</li>
</ul>
`);
}
