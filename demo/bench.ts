/**
 * The benchmark page: pick suites and implementations, run them on this browser's WebGPU; charts and tables
 * update as each row is measured, error against float64 beside speed, the peers (TensorFlow.js, ONNX Runtime
 * Web) side by side. `winoconv bench --browser` drives this same page headless through `window.__winoconvBench`.
 *
 * The library comes in through 'winoconv' (src/ in dev, dist/src/index.js in the demo build); the peers and the
 * baseline load on demand.
 */
import { describeAdapter } from 'winoconv';
import { ENGINE_IMPLS, PEER_NAMES, type BenchImpl } from '../bench/impls.ts';
import { runBenchmark, type BenchOptions } from '../bench/runner.ts';
import { SUITES } from '../bench/suites.ts';
import { summarize } from '../bench/summary.ts';
import { autoChoices, errorChartSvg, escapeXml, gflopsChartSvg } from '../bench/charts.ts';
import { htmlTable, peerComparisonRows, ratiosTableHtml, renderHtmlReport, REPORT_CSS, rowsTableHtml } from '../bench/report-html.ts';
import type { BenchResults, BenchRow, CeilingResult } from '../bench/types.ts';

declare global {
  interface Window {
    __winoconvBench?: {
      /** Sets the controls from the options, runs one suite, returns its results (the CLI's entry point). */
      run(opts: BenchOptions): Promise<BenchResults>;
    };
    /** Set by the CLI (puppeteer exposeFunction): progress lines go to its stderr. */
    __winoconvBenchProgress?: (line: string) => void;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const style = document.createElement('style');
style.textContent = REPORT_CSS;
document.head.prepend(style);

const IMPL_CHOICES: { name: string; label: string; checked: boolean }[] = [
  ...ENGINE_IMPLS.map((i) => ({ name: i.name, label: i.name, checked: true })),
  { name: 'baseline', label: 'baseline (naive WGSL)', checked: false },
  { name: 'tfjs-webgpu', label: 'TensorFlow.js WebGPU', checked: true },
  { name: 'ort-webgpu', label: 'ONNX Runtime Web WebGPU', checked: true },
];

for (const s of SUITES) {
  $('suites').insertAdjacentHTML('beforeend', `<label title="${s.description.replace(/"/g, '&quot;')}"><input type="checkbox" name="suite" value="${s.name}" ${s.name === 'smoke' ? 'checked' : ''}/> ${s.name} (${s.layers.length})</label>`);
}
for (const c of IMPL_CHOICES) {
  $('impls').insertAdjacentHTML('beforeend', `<label><input type="checkbox" name="impl" value="${c.name}" ${c.checked ? 'checked' : ''}/> ${c.label}</label>`);
}

const logEl = $('log');
function progress(line: string): void {
  logEl.textContent += `${line}\n`;
  logEl.scrollTop = logEl.scrollHeight;
  $('status').textContent = line.length > 120 ? `${line.slice(0, 117)}…` : line;
  window.__winoconvBenchProgress?.(line);
}

async function available(names: string[]): Promise<BenchImpl[]> {
  const list: BenchImpl[] = [...ENGINE_IMPLS];
  if (names.includes('baseline')) list.push((await import('../bench/baseline.ts')).BASELINE_IMPL);
  if (names.includes('tfjs-webgpu')) list.push((await import('../bench/peers/tfjs.ts')).TFJS_PEER);
  if (names.includes('ort-webgpu')) list.push((await import('../bench/peers/ort.ts')).ORT_PEER);
  return list;
}

function download(name: string, text: string, type: string): string {
  const url = URL.createObjectURL(new Blob([text], { type }));
  return `<a download="${name}" href="${url}">${name}</a>`;
}

/** Draws one suite's section from the rows so far (called after every row). */
function render(section: HTMLElement, suite: string, rows: BenchRow[], ceiling: CeilingResult | null, final?: BenchResults): void {
  const layers = SUITES.find((s) => s.name === suite)!.layers.map((l) => l.name).filter((l) => rows.some((r) => r.layer === l));
  const summary = final?.summary ?? summarize(rows, layers, ceiling);
  const partial = { rows, ceiling, summary };
  const peers = peerComparisonRows(partial);
  const geo = summary.bestPeerSpeedup.geomean;
  const cards = [
    geo !== null ? `<div class="card">best peer / winoconv (geomean)<b class="${geo >= 1 ? 'good' : 'bad'}">${geo.toFixed(2)}×</b><span class="muted">&gt; 1: winoconv faster</span></div>` : '',
    `<div class="card">FMA ceiling<b>${ceiling ? `${ceiling.gflops.toFixed(2)} GFLOP/s` : '…'}</b><span class="muted">${ceiling ? `${ceiling.kernel}, ${ceiling.method}` : 'sampled in every round'}</span></div>`,
    `<div class="card">rows<b>${rows.length}</b><span class="muted">${final ? 'done' : 'running…'}</span></div>`,
  ].join('');
  section.innerHTML = `<h2>${suite}${final ? '' : ' (running)'}</h2>
<div class="cards">${cards}</div>
${final ? `<p>Download: ${download(`winoconv-bench-${suite}.json`, JSON.stringify(final, null, 2), 'application/json')} · ${download(`winoconv-bench-${suite}.html`, renderHtmlReport(final), 'text/html')}</p>` : ''}
<div class="chart-speed">${gflopsChartSvg(partial)}</div>
<p class="muted">auto chose: ${autoChoices(partial) || '–'}</p>
${peers.rows.length && rows.some((r) => r.kind === 'peer') ? `<h3>winoconv vs peers</h3>${htmlTable(peers.head, peers.rows)}` : ''}
<div class="chart-error">${errorChartSvg(partial)}</div>
<h3>F(4×4,3×3): ceiling and im2col</h3>${ratiosTableHtml(partial)}
<h3>Every row</h3>${rowsTableHtml(partial)}
${final?.skipped.length ? `<h3>Not run</h3>${htmlTable(['layer', 'implementation', 'status', 'why'], final.skipped.map((k) => [escapeXml(k.layer), escapeXml(k.impl), k.status, escapeXml(k.reason)]))}` : ''}`;
}

let controller: AbortController | undefined;

async function runSuite(opts: BenchOptions): Promise<BenchResults> {
  if (!navigator.gpu) throw new Error('This browser has no WebGPU (navigator.gpu is missing).');
  const names = [...(opts.impls ?? []), ...(opts.peers ? PEER_NAMES : [])];
  const section = document.createElement('section');
  section.className = 'suite';
  $('results').prepend(section);
  let rowsNow: BenchRow[] = [];
  let ceilingNow: CeilingResult | null = null;
  render(section, opts.suite, rowsNow, ceilingNow);
  const results = await runBenchmark(navigator.gpu, `browser: ${navigator.userAgent}`, opts, {
    available: await available(names),
    progress,
    signal: controller?.signal,
    onRow: (_row, rows) => {
      rowsNow = rows;
      render(section, opts.suite, rowsNow, ceilingNow);
    },
    onCeiling: (c) => {
      ceilingNow = c;
      render(section, opts.suite, rowsNow, ceilingNow);
    },
  });
  render(section, opts.suite, results.rows, results.ceiling, results);
  return results;
}

function readControls(): { suites: string[]; opts: Omit<BenchOptions, 'suite'> } {
  const checked = (name: string) => Array.from(document.querySelectorAll<HTMLInputElement>(`input[name=${name}]:checked`)).map((i) => i.value);
  return {
    suites: checked('suite'),
    opts: { impls: checked('impl'), warmup: Number(($('warmup') as HTMLInputElement).value), runs: Number(($('runs') as HTMLInputElement).value), ceiling: ($('ceiling') as HTMLInputElement).checked },
  };
}

/** Makes the controls show what the CLI asked for, so the page (and a screenshot of it) tells the truth. */
function writeControls(opts: BenchOptions): void {
  const impls = new Set([...(opts.impls ?? ENGINE_IMPLS.map((i) => i.name)), ...(opts.peers ? PEER_NAMES : [])]);
  for (const i of Array.from(document.querySelectorAll<HTMLInputElement>('input[name=suite]'))) i.checked = i.value === opts.suite;
  for (const i of Array.from(document.querySelectorAll<HTMLInputElement>('input[name=impl]'))) i.checked = impls.has(i.value);
  ($('warmup') as HTMLInputElement).value = String(opts.warmup ?? 2);
  ($('runs') as HTMLInputElement).value = String(opts.runs ?? 9);
  ($('ceiling') as HTMLInputElement).checked = opts.ceiling !== false;
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  controller = new AbortController();
  ($('run') as HTMLButtonElement).disabled = true;
  ($('stop') as HTMLButtonElement).disabled = false;
  try {
    const r = await work();
    $('status').textContent = 'done';
    return r;
  } catch (e) {
    progress(`error: ${(e as Error).message}`);
    throw e;
  } finally {
    ($('run') as HTMLButtonElement).disabled = false;
    ($('stop') as HTMLButtonElement).disabled = true;
  }
}

$('controls').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const { suites, opts } = readControls();
  void guarded(async () => {
    for (const suite of suites) {
      if (controller?.signal.aborted) break;
      await runSuite({ ...opts, suite });
    }
  }).catch(() => undefined);
});
$('stop').addEventListener('click', () => {
  controller?.abort();
  progress('stopping after the current layer…');
});

window.__winoconvBench = {
  run: (opts) =>
    guarded(() => {
      writeControls(opts);
      return runSuite(opts);
    }),
};

async function showAdapter(): Promise<void> {
  if (!navigator.gpu) {
    $('adapter').textContent = 'This browser has no WebGPU (navigator.gpu is missing). Use Chrome/Edge 113+ or enable WebGPU.';
    ($('run') as HTMLButtonElement).disabled = true;
    return;
  }
  try {
    const a = await describeAdapter(navigator.gpu);
    $('adapter').textContent = `WebGPU adapter: ${[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ')}; timestamp-query ${a.features.includes('timestamp-query') ? 'available' : 'not available (wall clock only)'}`;
  } catch (e) {
    $('adapter').textContent = `No WebGPU adapter: ${(e as Error).message}`;
  }
}
void showAdapter();
