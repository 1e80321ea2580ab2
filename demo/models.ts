/**
 * The model benchmark page: whole ONNX models, winoconv against ONNX Runtime Web (WebGPU in this page, wasm with 1
 * and 2 threads in workers). `winoconv bench --models --browser` drives it through `window.__winoconvModelsBench`.
 * The model files and test data come from `/__winoconv/onnx-tests/<name>/…`, which the CLI's driver serves
 * (bench/browser-driver.ts) from the `npm run onnx-tests` cache.
 */
import { describeAdapter } from 'winoconv';
import { MODEL_CATALOG } from '../bench/models/catalog.ts';
import { loadModelCase } from '../bench/models/load.ts';
import { runModelsBench, type ModelsBenchOptions, type PeerFactory } from '../bench/models/runner.ts';
import { summarizeModels } from '../bench/models/summary.ts';
import { modelsSectionsHtml, renderModelsHtml } from '../bench/models/report-html.ts';
import { REPORT_CSS } from '../bench/report-html.ts';
import { MODEL_IMPLS, type ModelCase, type ModelImpl, type ModelProfile, type ModelRow, type ModelsBenchResults } from '../bench/models/types.ts';

export type ModelsPageOptions = ModelsBenchOptions & { models: string[] };

declare global {
  interface Window {
    __winoconvModelsBench?: { run(opts: ModelsPageOptions): Promise<ModelsBenchResults> };
    __winoconvBenchProgress?: (line: string) => void;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const style = document.createElement('style');
style.textContent = REPORT_CSS;
document.head.prepend(style);

const IMPL_LABELS: Record<ModelImpl, string> = { winoconv: 'winoconv', 'winoconv-fp16': 'winoconv, precision float16', 'ort-webgpu': 'ORT Web WebGPU', 'ort-wasm-1': 'ORT Web wasm 1 thread', 'ort-wasm-2': 'ORT Web wasm 2 threads' };
const SMALL = new Set(['blazeface-front', 'ppocr-cls', 'squeezenet1_1']);
for (const m of MODEL_CATALOG) {
  $('models').insertAdjacentHTML('beforeend', `<label><input type="checkbox" name="model" value="${m.name}" ${SMALL.has(m.name) ? 'checked' : ''}/> ${m.label} (${m.input})</label>`);
}
for (const i of MODEL_IMPLS) {
  $('impls').insertAdjacentHTML('beforeend', `<label><input type="checkbox" name="impl" value="${i}" ${i === 'winoconv-fp16' ? '' : 'checked'}/> ${IMPL_LABELS[i]}</label>`);
}

const logEl = $('log');
function progress(line: string): void {
  logEl.textContent += `${line}\n`;
  logEl.scrollTop = logEl.scrollHeight;
  $('status').textContent = line.length > 120 ? `${line.slice(0, 117)}…` : line;
  window.__winoconvBenchProgress?.(line);
}

async function readFile(name: string, rel: string): Promise<Uint8Array> {
  const url = `/__winoconv/onnx-tests/${name}/${rel}`;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} (the data come from \`npm run onnx-tests\`, served by \`winoconv bench --models --browser\`)`);
  return new Uint8Array(await res.arrayBuffer());
}

let stop = false;

async function run(opts: ModelsPageOptions): Promise<ModelsBenchResults> {
  if (!navigator.gpu) throw new Error('This browser has no WebGPU (navigator.gpu is missing).');
  stop = false;
  const section = document.createElement('section');
  $('results').prepend(section);
  // winoconv-fp16 only when asked for (the page's checkbox, or opts.impls).
  const impls = opts.impls ?? MODEL_IMPLS.filter((i) => i !== 'winoconv-fp16');
  let peers: Partial<Record<ModelImpl, PeerFactory>> = {};
  let skip: Partial<Record<ModelImpl, string>> = {};
  if (impls.some((i) => !i.startsWith('winoconv'))) ({ peers, skip } = (await import('../bench/peers/ort-models.ts')).ortModelPeers());
  const cases: ModelCase[] = [];
  for (const m of opts.models) {
    progress(`loading ${m} ...`);
    cases.push(await loadModelCase(m, (rel) => readFile(m, rel)));
  }
  const rows: ModelRow[] = [];
  const profiles: ModelProfile[] = [];
  const draw = (final?: ModelsBenchResults) => {
    const partial: ModelsBenchResults = final ?? {
      schema: 'winoconv-bench-models/1', date: new Date().toISOString(), environment: 'this page', adapter: '', crossOriginIsolated,
      options: { models: opts.models, impls, runs: opts.runs ?? 5, budgetS: opts.budgetS ?? 60, profile: opts.profile ?? true, checkAuto: Boolean(opts.checkAuto) },
      specs: cases.map((c) => ({ ...c.spec, convGflop: c.convFlops / 1e9 })), rows, profiles, summary: summarizeModels(rows, opts.models),
    };
    const dl = final
      ? `<p>Download: ${link('winoconv-bench-models.json', JSON.stringify(final, null, 2), 'application/json')} · ${link('winoconv-bench-models.html', renderModelsHtml(final), 'text/html')}</p>`
      : '<p class="muted">running…</p>';
    section.innerHTML = dl + modelsSectionsHtml(partial);
  };
  draw();
  const results = await runModelsBench(cases, { ...opts, impls }, {
    gpu: navigator.gpu,
    environment: `browser: ${navigator.userAgent}`,
    crossOriginIsolated,
    peers,
    skip,
    progress,
    onRow: (r) => {
      rows.push(r);
      draw();
    },
    onProfile: (p) => {
      profiles.push(p);
      draw();
    },
    shouldStop: () => stop,
  });
  draw(results);
  return results;
}

function link(name: string, text: string, type: string): string {
  return `<a download="${name}" href="${URL.createObjectURL(new Blob([text], { type }))}">${name}</a>`;
}

function readControls(): ModelsPageOptions {
  const checked = (name: string) => Array.from(document.querySelectorAll<HTMLInputElement>(`input[name=${name}]:checked`)).map((i) => i.value);
  return {
    models: checked('model'),
    impls: checked('impl') as ModelImpl[],
    runs: Number(($('runs') as HTMLInputElement).value),
    budgetS: Number(($('budget') as HTMLInputElement).value),
    profile: ($('profile') as HTMLInputElement).checked,
  };
}

function writeControls(o: ModelsPageOptions): void {
  for (const i of Array.from(document.querySelectorAll<HTMLInputElement>('input[name=model]'))) i.checked = o.models.includes(i.value);
  const impls = o.impls ?? MODEL_IMPLS.filter((i) => i !== 'winoconv-fp16');
  for (const i of Array.from(document.querySelectorAll<HTMLInputElement>('input[name=impl]'))) i.checked = impls.includes(i.value as ModelImpl);
  ($('runs') as HTMLInputElement).value = String(o.runs ?? 5);
  ($('budget') as HTMLInputElement).value = String(o.budgetS ?? 60);
  ($('profile') as HTMLInputElement).checked = o.profile !== false;
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
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
  void guarded(() => run(readControls())).catch(() => undefined);
});
$('stop').addEventListener('click', () => {
  stop = true;
  progress('stopping after the current run…');
});

window.__winoconvModelsBench = {
  run: (opts) =>
    guarded(() => {
      writeControls(opts);
      return run(opts);
    }),
};

async function showAdapter(): Promise<void> {
  const iso = crossOriginIsolated ? 'cross-origin isolated (ORT wasm can use 2 threads)' : 'not cross-origin isolated: ORT wasm 2 threads will be skipped';
  if (!navigator.gpu) {
    $('adapter').textContent = `This browser has no WebGPU (navigator.gpu is missing). ${iso}`;
    ($('run') as HTMLButtonElement).disabled = true;
    return;
  }
  try {
    const a = await describeAdapter(navigator.gpu);
    $('adapter').textContent = `WebGPU adapter: ${[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ')}; timestamp-query ${a.features.includes('timestamp-query') ? 'available' : 'not available (no per-node profile)'}; page ${iso}`;
  } catch (e) {
    $('adapter').textContent = `No WebGPU adapter: ${(e as Error).message}`;
  }
}
void showAdapter();
