/**
 * Race: one catalog model (bench/models/catalog.ts; default blazeface-front) with a seeded input, winoconv against
 * ONNX Runtime Web (WebGPU EP and wasm EP, demo/lib/ort-racer.ts), round after round; a live SVG chart (every run's
 * latency, log scale; median bars) and a table (creation, first run, median).
 * URL parameters: model=<catalog name>, rounds=<n> (default 20), impls=winoconv,ort-webgpu,ort-wasm.
 * `window.__winoconvDemo.result`: per implementation its creation ms and every run's ms (resolved when the race ends).
 */
import { createSession } from 'winoconv';
import { MODEL_CATALOG, catalogEntry } from '../bench/models/catalog.ts';
import { $, addCss, demoEngine, demoHandle, escapeHtml, fetchModel, fmtMs, median, renderNav, seededValues } from './lib/common.ts';
import { createOrtRacer, ORT_RACERS, type OrtRacerName, type Racer } from './lib/ort-racer.ts';

export interface RaceImplResult {
  name: string;
  backend: string;
  createMs: number;
  /** Every run's ms, round by round (the first is the first run). */
  runs: number[];
  /** Median of the runs after the first (of the first when there is only one). */
  medianMs: number;
  error?: string;
}

export interface RaceResult {
  model: string;
  input: string;
  rounds: number;
  impls: RaceImplResult[];
}

renderNav();
addCss('#chart svg { display: block; margin: 0.5rem 0; font: 11px system-ui, sans-serif; } .err { color: #8a1010; }');
const { status, resolve, fail } = demoHandle<RaceResult>($('status'));
const params = new URLSearchParams(location.search);
const modelSelect = $<HTMLSelectElement>('model');
const roundsInput = $<HTMLInputElement>('rounds');
modelSelect.innerHTML = MODEL_CATALOG.map((m) => `<option value="${m.name}">${escapeHtml(m.label)} (${m.input})</option>`).join('');
modelSelect.value = params.get('model') ?? 'blazeface-front';
roundsInput.value = params.get('rounds') ?? '20';
const IMPLS = (params.get('impls') ?? ['winoconv', ...ORT_RACERS].join(',')).split(',').filter(Boolean);
const COLORS: Record<string, string> = { winoconv: '#1e88e5', 'ort-webgpu': '#e53935', 'ort-wasm-1': '#8e24aa', 'ort-wasm-2': '#43a047' };
let stopped = false;

$('start').addEventListener('click', () => {
  const q = new URLSearchParams({ model: modelSelect.value, rounds: roundsInput.value });
  location.search = q.toString();
});
$('stop').addEventListener('click', () => { stopped = true; });

/** The chart: each run's ms per round (log scale) beside the median bars. */
function chartSvg(impls: RaceImplResult[], rounds: number): string {
  const all = impls.flatMap((i) => i.runs).filter((v) => v > 0 && Number.isFinite(v));
  if (!all.length) return '<svg id="race-chart" width="900" height="40" role="img"><text x="10" y="24">waiting for the first runs…</text></svg>';
  const W = 630, H = 280, L = 62, R = 10, T = 14, B = 30;
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all)))), hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all) * 1.0001)));
  const y = (v: number) => T + (H - T - B) * (1 - (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)));
  const x = (k: number) => L + (W - L - R) * (rounds > 1 ? k / (rounds - 1) : 0.5);
  const parts: string[] = [];
  for (let d = lo; d <= hi * 1.001; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v > hi * 1.001) break;
      parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="${m === 1 ? '#ccc' : '#eee'}"/><text x="${L - 4}" y="${y(v) + 4}" text-anchor="end">${v >= 1 ? v : v.toPrecision(1)}</text>`);
    }
  }
  parts.push(`<text x="${L}" y="${H - 8}">round 1</text><text x="${W - R}" y="${H - 8}" text-anchor="end">round ${rounds}</text><text x="4" y="${T + 40}" transform="rotate(-90 4 ${T + 40})" dominant-baseline="hanging">ms (log)</text>`);
  for (const i of impls) {
    const c = COLORS[i.name] ?? '#555';
    const pts = i.runs.map((v, k) => `${x(k).toFixed(1)},${y(Math.max(v, lo)).toFixed(1)}`);
    if (pts.length > 1) parts.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${pts.join(' ')}"/>`);
    for (const p of pts) { const [px, py] = p.split(','); parts.push(`<circle cx="${px}" cy="${py}" r="2.5" fill="${c}"/>`); }
  }
  // median bars
  const BX = W + 30, BW = 250, bh = 22;
  const maxMed = Math.max(...impls.map((i) => (Number.isFinite(i.medianMs) ? i.medianMs : 0)), 1e-9);
  parts.push(`<text x="${BX}" y="${T}">median ms (lower is faster)</text>`);
  impls.forEach((i, k) => {
    const by = T + 12 + k * (bh + 10);
    const w = Number.isFinite(i.medianMs) ? Math.max(1, (BW - 90) * (i.medianMs / maxMed)) : 0;
    parts.push(`<rect x="${BX}" y="${by}" width="${w.toFixed(1)}" height="${bh}" fill="${COLORS[i.name] ?? '#555'}"/><text x="${BX + w + 4}" y="${by + 15}">${escapeHtml(i.name)} ${fmtMs(i.medianMs)}</text>`);
  });
  return `<svg id="race-chart" width="${BX + BW + 40}" height="${H}" role="img" aria-label="latency per run">${parts.join('')}</svg>`;
}

function table(impls: RaceImplResult[]): string {
  return `<table><tr><th>implementation</th><th>backend</th><th class="num">session ms</th><th class="num">first run ms</th><th class="num">median ms</th><th class="num">runs</th></tr>${impls
    .map((i) => `<tr><td style="color:${COLORS[i.name] ?? '#000'}">${i.name}</td><td>${escapeHtml(i.backend)}${i.error ? `<div class="err">${escapeHtml(i.error)}</div>` : ''}</td><td class="num">${fmtMs(i.createMs)}</td><td class="num">${fmtMs(i.runs[0])}</td><td class="num">${fmtMs(i.medianMs)}</td><td class="num">${i.runs.length}</td></tr>`)
    .join('')}</table>`;
}

async function main(): Promise<void> {
  const entry = catalogEntry(modelSelect.value);
  const rounds = Math.max(1, Math.min(500, Math.trunc(Number(roundsInput.value)) || 20));
  const n = entry.inputDims.reduce((a, b) => a * b, 1);
  const data = seededValues(n, 1);
  $('about').textContent = `Input '${entry.inputName}' ${entry.input} (${entry.layout.toUpperCase()}), seeded uniform [0, 1) values. Model served by the demo server: /models/${entry.name}.onnx. On a software GPU (SwiftShader, as in headless test runs) WebGPU itself runs on the CPU, so the wasm EP is expected to win there; a real GPU gives a different picture.`;
  status('creating the engine…');
  const { engine } = await demoEngine();
  status(`fetching ${entry.label}…`);
  const bytes = await fetchModel(entry.name);
  const results: RaceImplResult[] = [];
  const racers = new Map<string, Racer>();
  const redraw = () => {
    for (const r of results) { const steady = r.runs.length > 1 ? r.runs.slice(1) : r.runs; r.medianMs = median(steady); }
    $('chart').innerHTML = chartSvg(results, rounds);
    $('table').innerHTML = table(results);
  };
  for (const name of IMPLS) {
    const r: RaceImplResult = { name, backend: '', createMs: NaN, runs: [], medianMs: NaN };
    results.push(r);
    status(`creating the ${name} session for ${entry.label}…`);
    const t0 = performance.now();
    try {
      let racer: Racer;
      if (name === 'winoconv') {
        const s = await createSession(engine, bytes, { inputShapes: { [entry.inputName]: entry.inputDims } });
        const feeds = { [entry.inputName]: data };
        racer = { name, backend: 'winoconv session, WebGPU', run: async () => { const t = performance.now(); await s.run(feeds); return performance.now() - t; }, release: async () => s.destroy() };
      } else if ((ORT_RACERS as string[]).includes(name)) {
        racer = await createOrtRacer(name as OrtRacerName, bytes, { name: entry.inputName, dims: entry.inputDims, data });
      } else throw new Error(`unknown implementation '${name}' (winoconv, ${ORT_RACERS.join(', ')})`);
      r.createMs = performance.now() - t0;
      r.backend = racer.backend;
      racers.set(name, racer);
    } catch (e) {
      r.error = `session: ${(e as Error).message}`;
    }
    redraw();
  }
  $<HTMLButtonElement>('stop').disabled = false;
  for (let k = 0; k < rounds && !stopped; k++) {
    status(`round ${k + 1}/${rounds}…`);
    for (const r of results) {
      const racer = racers.get(r.name);
      if (!racer || r.error) continue;
      try {
        // launch → outputs on the CPU (the wasm contestants time session.run inside their worker)
        r.runs.push(await racer.run());
      } catch (e) {
        r.error = `run ${k + 1}: ${(e as Error).message}`;
      }
      redraw();
      await new Promise((res) => requestAnimationFrame(() => res(undefined)));
    }
  }
  $<HTMLButtonElement>('stop').disabled = true;
  for (const racer of racers.values()) await racer.release().catch(() => undefined);
  status(`${stopped ? 'stopped' : 'done'}: ${results.map((r) => `${r.name} median ${fmtMs(r.medianMs)} ms`).join(', ')}`);
  resolve({ model: entry.name, input: entry.input, rounds, impls: results.map((r) => ({ ...r, runs: r.runs.slice() })) });
}

main().catch(fail);
