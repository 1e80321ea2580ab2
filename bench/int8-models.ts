/**
 * `npx tsx bench/int8-models.ts [--models a,b,...] [--runs N] [--json FILE] [--md FILE]`: int8 against fp32 on whole
 * models (issue 13, points 4 and 6), Node (Dawn). For each model:
 *
 * 1. quantized by winoconv's quantizer (`quantizeWithOrtRanges`: `quantizeGraph`, QDQ, weights int8 per channel,
 *    activations uint8, minmax ranges from ONNX Runtime's float run on the calibration inputs: real images);
 * 2. the fp32 model and the int8 model each in a winoconv session (exact int8 algorithms: the session's default);
 *    creation ms, first run, median of --runs N steady runs (default 3) on the first evaluation input;
 * 3. on every evaluation input (real images; some not calibrated on): the int8 model's outputs against the fp32
 *    model's, by what the model is for (classifier: top-1 agreement and the largest probability difference; BlazeFace:
 *    the best face score and the largest score difference over the anchors; PP-OCR det: the probability map's SQNR and
 *    the mask IoU at p > 0.3; PP-OCR rec: the decoded text), and the int8 outputs against ONNX Runtime's outputs of the
 *    same int8 model (wasm, its default optimizations: its integer kernels), in LSB of the output's scale;
 * 4. the int8 model once more with SessionOptions.tapwise (--min-sqnr dB, default 25; calibration: the calibrated
 *    inputs; whole-model check 'top1' for classifiers, output SQNR for the others; --no-tapwise skips it): the layers
 *    chosen, their SQNR, the checks, its speed, and its outputs judged against fp32 like the exact int8 model's.
 *
 * The zoo classifiers carry seeded random weights (bench/models: no trained ImageNet classifier ships in an npm
 * package here), so their top-1 is one class for every photo: their rows measure agreement, not recognition.
 *
 * Inputs: Debian's darknet photos (classifiers, BlazeFace; calibrated on the first four), the three text photos of the
 * README (PP-OCR det; the rendered test card is evaluated, not calibrated on), and text-line crops that ONNX Runtime's
 * fp32 pipeline (det → boxes → crops) cuts from them (cls, rec; rec at width 320 only). Results go to --json / --md
 * (bench/results/<adapter>/int8-models.{json,md}); --save DIR writes each int8 model and its inputs (.pb) there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Tensor } from '../src/graph/ir.ts';
import { decodeOnnx } from '../src/graph/onnx-import.ts';
import { toNumbers } from '../src/graph/ir.ts';
import { graphToSpec, writeOnnx } from '../src/graph/onnx-writer.ts';
import { createSession } from '../src/graph/session.ts';
import { getNodeGPU } from '../src/node/dawn.ts';
import { createNodeEngine } from '../src/node/engine.ts';
import { cacheDir, debianPackage, ocrPhoto } from '../src/node/debian-assets.ts';
import { ensureOnnxTests, quantizeWithOrtRanges } from '../src/node/onnx-testgen.ts';
import { runOrt } from '../src/node/ort-runner.ts';
import { decodeImage, encodeTensorProto, imageToTensor, type RgbaImage } from '../src/node/tensor-files.ts';
import { readText } from '../src/ocr/pipeline.ts';
import { ctcDecode } from '../src/ocr/rec.ts';
import { describeAdapter } from '../src/runtime/adapter-info.ts';
import { debianFiles } from '../test/unit/ocr/debian-file.ts';
import { PHOTOS, RENDERED } from '../test/unit/ocr/expected.ts';
import { ocrCharacters, ortRunners } from '../test/unit/ocr/ort-runners.ts';
import { renderText } from '../test/unit/ocr/render-text.ts';

const { values } = parseArgs({
  options: { models: { type: 'string' }, runs: { type: 'string' }, json: { type: 'string' }, md: { type: 'string' }, save: { type: 'string' }, 'min-sqnr': { type: 'string' }, 'no-tapwise': { type: 'boolean' } },
});
/** SessionOptions.tapwise.minSqnrDb of the tap-wise runs (--min-sqnr; default 25 dB); the whole-model check is 'top1'
 * for classifiers (and the PP-OCR direction classifier), output SQNR ≥ the same dB for the others. */
const MIN_SQNR = values['min-sqnr'] ? Number(values['min-sqnr']) : 25;
type Kind = 'classifier' | 'blazeface' | 'det' | 'cls' | 'rec' | 'isnet';
const MODELS: Record<string, Kind> = {
  'blazeface-front': 'blazeface', 'blazeface-back': 'blazeface', 'ppocr-det': 'det', 'ppocr-cls': 'cls', 'ppocr-rec': 'rec',
  mobilenetv2: 'classifier', squeezenet1_1: 'classifier', resnet18: 'classifier', resnet50: 'classifier', vgg16: 'classifier',
  'isnet-small': 'isnet',
};
const names = values.models ? String(values.models).split(',') : Object.keys(MODELS);
for (const n of names) if (!MODELS[n]) throw new Error(`--models: unknown model '${n}' (known: ${Object.keys(MODELS).join(', ')})`);
const RUNS = values.runs ? Number(values.runs) : 3;
if (!(Number.isSafeInteger(RUNS) && RUNS >= 1)) throw new Error(`--runs ${values.runs}: an integer ≥ 1`);
/** Models whose int8 run takes a minute or more on a software GPU: one steady run (the first run is timed too). */
const ONE_RUN = new Set(['vgg16', 'isnet-small']);
const log = (l: string) => console.error(l);

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const HALF = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

interface Sample { what: string; tensor: Tensor; calibrated: boolean }

function rgbaFromRgb(img: { width: number; height: number; data: Uint8Array | Uint8ClampedArray | Float32Array; channels: 3 | 4 }): RgbaImage {
  if (img.channels === 4) return { width: img.width, height: img.height, data: Uint8Array.from(img.data) };
  const data = new Uint8Array(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    data[4 * i] = img.data[3 * i];
    data[4 * i + 1] = img.data[3 * i + 1];
    data[4 * i + 2] = img.data[3 * i + 2];
    data[4 * i + 3] = 255;
  }
  return { width: img.width, height: img.height, data };
}

async function darknetPhotos(): Promise<{ name: string; img: RgbaImage }[]> {
  const dir = path.join(debianPackage('darknet', log), 'usr/share/darknet/data');
  const files = ['dog.jpg', 'eagle.jpg', 'giraffe.jpg', 'person.jpg', 'horses.jpg', 'kite.jpg', 'scream.jpg'];
  return Promise.all(files.map(async (f) => ({ name: `darknet ${f}`, img: await decodeImage(await readFile(path.join(dir, f)), f) })));
}

async function textPhotos(): Promise<{ name: string; img: RgbaImage; calibrated: boolean }[]> {
  const out: { name: string; img: RgbaImage; calibrated: boolean }[] = [];
  const p = ocrPhoto(log);
  out.push({ name: 'fuzzyocr ocr-jpg', img: await decodeImage(await readFile(p), p), calibrated: true });
  for (const c of PHOTOS) {
    const r = debianFiles(c.pkg, [c.file]);
    if ('skip' in r) throw new Error(r.skip);
    out.push({ name: path.basename(c.file.path), img: await decodeImage(r.files[0], c.file.path), calibrated: true });
  }
  out.push({ name: 'rendered test card', img: rgbaFromRgb(renderText(RENDERED.lines, RENDERED.options)), calibrated: false });
  return out;
}

/** Text-line crops of ONNX Runtime's fp32 pipeline on the text images: the cls and rec inputs it made. */
async function textLines(): Promise<{ cls: Sample[]; rec: Sample[] }> {
  const ort = await ortRunners();
  const cls: Sample[] = [];
  const rec: Sample[] = [];
  try {
    for (const ph of await textPhotos()) {
      let k = 0;
      const img = { width: ph.img.width, height: ph.img.height, data: ph.img.data, channels: 4 as const };
      await readText(img, {
        det: ort.det,
        cls: async (input, shape) => {
          if (cls.filter((s) => s.what.startsWith(ph.name)).length < 12) cls.push({ what: `${ph.name} line ${k}`, tensor: { name: 'x', dtype: 'float32', dims: shape, data: input.slice() }, calibrated: ph.calibrated });
          return ort.cls!(input, shape);
        },
        rec: async (input, shape) => {
          if (shape[3] === 320 && rec.filter((s) => s.what.startsWith(ph.name)).length < 8) rec.push({ what: `${ph.name} line ${k}`, tensor: { name: 'x', dtype: 'float32', dims: shape, data: input.slice() }, calibrated: ph.calibrated });
          k++;
          return ort.rec(input, shape);
        },
      }, { characters: ocrCharacters(), limitSideLen: 640, rec: { widthMultiple: 160 } });
    }
  } finally {
    await ort.release();
  }
  return { cls, rec };
}

async function samples(model: string, kind: Kind): Promise<Sample[]> {
  if (kind === 'classifier' || kind === 'blazeface') {
    const photos = await darknetPhotos();
    const size = model === 'blazeface-back' ? 256 : model === 'blazeface-front' ? 128 : 224;
    return photos.map((p, i) => ({
      what: p.name,
      calibrated: i < 4,
      tensor: kind === 'blazeface'
        ? imageToTensor(p.img, { size: [size, size], layout: 'nhwc', scale: 1 / 255, ...HALF }, 'input:0')
        : imageToTensor(p.img, { size: [224, 224], layout: 'nchw', scale: 1 / 255, ...IMAGENET }, 'input'),
    }));
  }
  if (kind === 'isnet') {
    // two photos (a session run at 1024×1024 takes minutes on a software GPU); imgly normalizes (p / 255 − 0.5) / 1
    const photos = (await darknetPhotos()).filter((p) => /person|dog/.test(p.name));
    return photos.map((p) => ({ what: p.name, calibrated: false, tensor: imageToTensor(p.img, { size: [1024, 1024], layout: 'nchw', scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [1, 1, 1] }, 'input') }));
  }
  if (kind === 'det') {
    return (await textPhotos()).map((p) => ({ what: p.name, calibrated: p.calibrated, tensor: imageToTensor(p.img, { size: [640, 640], layout: 'nchw', scale: 1 / 255, ...IMAGENET, channels: 'bgr' }, 'x') }));
  }
  linesP ??= textLines();
  const l = await linesP;
  return kind === 'cls' ? l.cls : l.rec;
}
let linesP: Promise<{ cls: Sample[]; rec: Sample[] }> | undefined;

/**
 * @imgly/background-removal-data@1.4.5's ISNet models (a 136 MB npm tarball, fetched once into the cache with
 * `npm pack`, never in npm test): "small" (dynamically quantized: DynamicQuantizeLinear → ConvInteger) and "medium"
 * (float), each reassembled from the package's chunks (dist/resources.json).
 */
function imglyModels(): { small: Uint8Array; medium: Uint8Array } {
  const dir = cacheDir('imgly-background-removal-data-1.4.5');
  const file = (n: string) => path.join(dir, `${n}.onnx`);
  if (!existsSync(file('small')) || !existsSync(file('medium'))) {
    mkdirSync(dir, { recursive: true });
    log(`fetching @imgly/background-removal-data@1.4.5 (136 MB) into ${dir}…`);
    const pack = spawnSync('npm', ['pack', '@imgly/background-removal-data@1.4.5'], { cwd: dir, encoding: 'utf8' });
    const tgz = pack.stdout.trim().split('\n').pop() ?? '';
    if (pack.status !== 0 || !tgz.endsWith('.tgz')) throw new Error(`npm pack @imgly/background-removal-data@1.4.5 failed: ${pack.stderr.trim().split('\n').pop()}`);
    const tar = spawnSync('tar', ['xzf', tgz], { cwd: dir, encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`tar xzf ${tgz}: ${tar.stderr.trim()}`);
    const res = JSON.parse(readFileSync(path.join(dir, 'package/dist/resources.json'), 'utf8')) as Record<string, { chunks: { hash: string }[] }>;
    for (const n of ['small', 'medium']) {
      const parts = res[`/models/${n}`].chunks.map((c) => readFileSync(path.join(dir, 'package/dist', c.hash)));
      writeFileSync(`${file(n)}.tmp`, Buffer.concat(parts));
      renameSync(`${file(n)}.tmp`, file(n));
    }
    rmSync(path.join(dir, 'package'), { recursive: true, force: true });
    rmSync(path.join(dir, tgz), { force: true });
  }
  return { small: new Uint8Array(readFileSync(file('small'))), medium: float16ToFloat32(new Uint8Array(readFileSync(file('medium')))) };
}

/**
 * The "medium" ISNet is float16 (initializers, Constants, Casts to float16): the same network with float32 everywhere
 * (values widened exactly; Cast to float16 becomes Cast to float32), so that a float32 session runs it (winoconv's
 * runtime computes float32, int8, uint8 and int32 values; float16 is issue 14).
 */
function float16ToFloat32(bytes: Uint8Array): Uint8Array {
  const g = decodeOnnx(bytes);
  const widen = (t: Tensor): Tensor => (t.dtype === 'float16' ? { ...t, dtype: 'float32', data: Float32Array.from(toNumbers(t)) } : t);
  const spec = graphToSpec(g);
  spec.initializers = (spec.initializers ?? []).map(widen);
  spec.nodes = spec.nodes.map((n) => {
    const attributes = { ...(n.attributes ?? {}) };
    for (const [k, a] of Object.entries(attributes)) {
      if (a.type === 'tensor') attributes[k] = { type: 'tensor', value: widen(a.value) };
      if (n.opType === 'Cast' && k === 'to' && a.type === 'int' && a.value === 10) attributes[k] = { type: 'int', value: 1 };
    }
    return { ...n, attributes };
  });
  for (const v of [...spec.inputs, ...spec.outputs]) if (v.dtype === 'float16') v.dtype = 'float32';
  return writeOnnx(spec);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function softmax(x: ArrayLike<number>, from: number, n: number): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < n; i++) m = Math.max(m, x[from + i]);
  const p = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) s += p[i] = Math.exp(x[from + i] - m);
  for (let i = 0; i < n; i++) p[i] /= s;
  return p;
}
const argmax = (p: ArrayLike<number>) => {
  let k = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[k]) k = i;
  return k;
};
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** What one evaluation input shows: a short text and numbers for the summary. */
interface Judged { text: string; agree?: boolean; maxDiff?: number; sqnrDb?: number; iou?: number }

function judge(kind: Kind, f: Record<string, Float32Array>, q: Record<string, Float32Array>, outNames: string[], characters: readonly string[] | undefined): Judged {
  if (kind === 'classifier' || kind === 'cls') {
    const a = f[outNames[0]];
    const b = q[outNames[0]];
    // the zoo models end in logits; PP-OCR cls in a softmax already (sums to 1)
    const sum = a.reduce((s, v) => s + v, 0);
    const pa = Math.abs(sum - 1) < 1e-3 ? Float64Array.from(a) : softmax(a, 0, a.length);
    const pb = Math.abs(sum - 1) < 1e-3 ? Float64Array.from(b) : softmax(b, 0, b.length);
    let d = 0;
    for (let i = 0; i < pa.length; i++) d = Math.max(d, Math.abs(pa[i] - pb[i]));
    const ka = argmax(pa);
    const kb = argmax(pb);
    return { text: `top-1 ${ka} (p ${pa[ka].toFixed(3)}) / ${kb} (p ${pb[kb].toFixed(3)}), max |Δp| ${d.toFixed(4)}`, agree: ka === kb, maxDiff: d };
  }
  if (kind === 'blazeface') {
    // scores: the [1, anchors, 1] outputs (logits)
    let best = [0, 0];
    let d = 0;
    let over = [0, 0];
    for (const n of outNames) {
      const a = f[n];
      const b = q[n];
      if (a.length > 1024) continue; // regressors are [1, anchors, 16]
      for (let i = 0; i < a.length; i++) {
        const sa = sigmoid(a[i]);
        const sb = sigmoid(b[i]);
        best = [Math.max(best[0], sa), Math.max(best[1], sb)];
        d = Math.max(d, Math.abs(sa - sb));
        over = [over[0] + (sa > 0.75 ? 1 : 0), over[1] + (sb > 0.75 ? 1 : 0)];
      }
    }
    return { text: `best score ${best[0].toFixed(3)} / ${best[1].toFixed(3)}, anchors > 0.75: ${over[0]} / ${over[1]}, max |Δscore| ${d.toFixed(4)}`, agree: over[0] === over[1], maxDiff: d };
  }
  if (kind === 'det' || kind === 'isnet') {
    const cut = kind === 'det' ? 0.3 : 0.5;
    const a = f[outNames[0]];
    const b = q[outNames[0]];
    let sig = 0;
    let err = 0;
    let inter = 0;
    let uni = 0;
    for (let i = 0; i < a.length; i++) {
      sig += a[i] * a[i];
      err += (a[i] - b[i]) ** 2;
      const ma = a[i] > cut;
      const mb = b[i] > cut;
      if (ma && mb) inter++;
      if (ma || mb) uni++;
    }
    const sqnr = 10 * Math.log10(sig / Math.max(err, 1e-30));
    const iou = uni ? inter / uni : 1;
    return { text: `SQNR ${sqnr.toFixed(1)} dB, mask IoU ${iou.toFixed(3)}`, sqnrDb: sqnr, iou };
  }
  // rec: decoded text
  const a = f[outNames[0]];
  const b = q[outNames[0]];
  const C = characters!.length;
  const T = a.length / C;
  const ta = ctcDecode(a, T, C, characters!).text;
  const tb = ctcDecode(b, T, C, characters!).text;
  return { text: `"${ta}" / "${tb}"`, agree: ta === tb };
}

interface Row {
  model: string;
  kind: Kind;
  weights?: 'per channel' | 'per tensor' | 'dynamic (as published)';
  quantizeMs: number;
  /** Steady runs timed (the median of them); `--runs`, 1 for the models of ONE_RUN. */
  runs?: number;
  fp32: { createMs: number; firstMs: number; medianMs: number };
  int8: { createMs: number; firstMs: number; medianMs: number };
  ort?: { fp32Ms: number; int8Ms: number };
  /** The int8 model with SessionOptions.tapwise (calibration: the calibrated inputs): what it chose, speed, accuracy. */
  tapwise?: { createMs: number; medianMs: number; eligible: number; chosen: string[]; checks: string[]; samples: { what: string; judged: Judged }[]; summary: string; error?: string };
  /** int8 outputs against ONNX Runtime's run of the same int8 model: in LSB of the output's DequantizeLinear scale
   * where every output has one, else the max abs difference (a float op after the last DequantizeLinear). */
  samples: { what: string; calibrated: boolean; judged: Judged; int8VsOrt: number; int8VsOrtUnit: 'LSB' | 'abs'; int8VsOrtDiffering: number }[];
  summary: string;
  error?: string;
}

let scaleCache: Map<Uint8Array, Map<string, number>> | undefined;
const engine = await createNodeEngine();
const report = await describeAdapter(await getNodeGPU()).catch(() => undefined);
const adapter = report ? [report.vendor, report.architecture, report.device, report.description].filter(Boolean).join(' / ') : 'unknown';
const rows: Row[] = [];
const characters = ocrCharacters();
try {
  for (const model of names) {
    const kind = MODELS[model];
    log(`${model}: data…`);
    try {
      const all = await samples(model, kind);
      if (all.length === 0) throw new Error('no evaluation inputs');
      const calib = all.filter((s) => s.calibrated).map((s) => [s.tensor]);
      let t = performance.now();
      if (kind === 'isnet') {
        // quantized by its publisher (dynamic: DynamicQuantizeLinear → ConvInteger); fp32 reference: the package's
        // "medium" model (the same network, float weights)
        const imgly = imglyModels();
        rows.push(await compare(model, kind, 'dynamic (as published)', 0, imgly.medium, imgly.small, all));
        continue;
      }
      const [dir] = await ensureOnnxTests([model], { log });
      const floatBytes = new Uint8Array(readFileSync(path.join(dir, 'model.onnx')));
      // per channel where the opset allows (per-axis DequantizeLinear needs opset 13; the quantizer refuses to raise
      // it over ops whose inputs changed at 13), else per tensor
      let weights: Row['weights'] = 'per channel';
      let int8Bytes: Uint8Array;
      try {
        int8Bytes = await quantizeWithOrtRanges(floatBytes, calib, { perChannel: true, activationType: 'uint8' });
      } catch (e) {
        if (!/opset/.test((e as Error).message)) throw e;
        log(`${model}: per channel refused (${(e as Error).message}); per tensor`);
        weights = 'per tensor';
        int8Bytes = await quantizeWithOrtRanges(floatBytes, calib, { perChannel: false, activationType: 'uint8' });
      }
      const quantizeMs = performance.now() - t;
      if (values.save) {
        mkdirSync(String(values.save), { recursive: true });
        writeFileSync(path.join(String(values.save), `${model}-int8.onnx`), int8Bytes);
        all.forEach((smp, i) => writeFileSync(path.join(String(values.save), `${model}-input-${i}.pb`), encodeTensorProto(smp.tensor)));
      }
      log(`${model}: quantized in ${(quantizeMs / 1000).toFixed(1)} s on ${calib.length} input(s); sessions…`);
      rows.push(await compare(model, kind, weights, quantizeMs, floatBytes, int8Bytes, all));
    } catch (e) {
      log(`${model}: ERROR ${(e as Error).message}`);
      rows.push({ model, kind, quantizeMs: 0, fp32: { createMs: 0, firstMs: 0, medianMs: 0 }, int8: { createMs: 0, firstMs: 0, medianMs: 0 }, samples: [], summary: '', error: (e as Error).message });
    }
  }
} finally {
  engine.destroy();
}


/** fp32 and int8 sessions of one model: timings, and each sample judged (int8 vs fp32, int8 vs ORT's int8 run). */
async function compare(model: string, kind: Kind, weights: Row['weights'], quantizeMs: number, floatBytes: Uint8Array, int8Bytes: Uint8Array, all: Sample[]): Promise<Row> {
    const inputShapes = { [all[0].tensor.name]: all[0].tensor.dims };
    const timed = async (bytes: Uint8Array) => {
      const t0 = performance.now();
      const s = await createSession(engine, bytes, { inputShapes });
      const createMs = performance.now() - t0;
      const feed = { [all[0].tensor.name]: all[0].tensor.data as Float32Array };
      const t1 = performance.now();
      await s.run(feed);
      const firstMs = performance.now() - t1;
      const ms: number[] = [];
      for (let r = 0; r < (ONE_RUN.has(model) ? 1 : RUNS); r++) {
        const t2 = performance.now();
        await s.run(feed);
        ms.push(performance.now() - t2);
      }
      return { s, stats: { createMs, firstMs, medianMs: median(ms) } };
    };
    const fp = await timed(floatBytes);
    const q8 = await timed(int8Bytes);
    log(`${model}: fp32 ${fp.stats.medianMs.toFixed(0)} ms, int8 ${q8.stats.medianMs.toFixed(0)} ms; judging ${all.length} input(s)…`);
    const outNames = fp.s.info.outputs.map((o) => o.name);
    const judgedSamples: Row['samples'] = [];
    let ortMs: Row['ort'];
    for (const smp of all) {
      const feed = { [smp.tensor.name]: smp.tensor.data as Float32Array };
      const f = (await fp.s.run(feed)) as Record<string, Float32Array>;
      const q = (await q8.s.run(feed)) as Record<string, Float32Array>;
      const judged = judge(kind, f, q, outNames, characters);
      // the int8 model in ONNX Runtime: in LSB of each float output's DequantizeLinear scale (else in raw units)
      const o = await runOrt(int8Bytes, { [smp.tensor.name]: smp.tensor }, 'all');
      if (!ortMs) ortMs = { int8Ms: o.runMs, fp32Ms: (await runOrt(floatBytes, { [smp.tensor.name]: smp.tensor }, 'all')).runMs };
      let lsb = 0;
      let differing = 0;
      let unit: 'LSB' | 'abs' = 'LSB';
      for (const ot of o.outputs) {
        const mine = q[ot.name];
        const known = outputScale(int8Bytes, ot.name);
        if (known === undefined) unit = 'abs';
        const scale = known ?? 1;
        const ref = ot.data as Float32Array;
        for (let i = 0; i < ref.length; i++) {
          const d = Math.abs(mine[i] - ref[i]) / scale;
          if (d > (known === undefined ? 0 : 1e-3)) differing++;
          lsb = Math.max(lsb, d);
        }
      }
      judgedSamples.push({ what: smp.what, calibrated: smp.calibrated, judged, int8VsOrt: Number(lsb.toPrecision(3)), int8VsOrtUnit: unit, int8VsOrtDiffering: differing });
      log(`  ${smp.what}${smp.calibrated ? '' : ' (not calibrated on)'}: ${judged.text}; int8 vs ORT ${unit === 'LSB' ? `${lsb.toFixed(2)} LSB` : `max abs ${lsb.toPrecision(3)}`} (${differing} differ)`);
    }
    q8.s.destroy();
    let tapwise: Row['tapwise'];
    const calibration = all.filter((x) => x.calibrated).map((x) => ({ [x.tensor.name]: x.tensor.data as Float32Array }));
    if (!values['no-tapwise'] && calibration.length && kind !== 'isnet') {
      log(`${model}: tap-wise selection (minSqnrDb ${MIN_SQNR}) on ${calibration.length} calibration input(s)…`);
      const check = kind === 'classifier' || kind === 'cls' ? 'top1' as const : { outputSqnrDb: MIN_SQNR };
      try {
        const t0 = performance.now();
        const tw = await createSession(engine, int8Bytes, { inputShapes, tapwise: { calibration, minSqnrDb: MIN_SQNR, check } });
        const createMs = performance.now() - t0;
        const info = tw.info.tapwise!;
        const chosen = tw.info.nodes.filter((n) => n.tapwise && n.tapwise.chosen !== 'exact').map((n) => `${n.name} ${n.tapwise!.chosen} ${n.tapwise!.sqnrDb?.toFixed(1)} dB`);
        const feed = { [all[0].tensor.name]: all[0].tensor.data as Float32Array };
        await tw.run(feed);
        const ms: number[] = [];
        for (let r = 0; r < (ONE_RUN.has(model) ? 1 : RUNS); r++) {
          const t2 = performance.now();
          await tw.run(feed);
          ms.push(performance.now() - t2);
        }
        const twSamples: { what: string; judged: Judged }[] = [];
        for (const smp of all) {
          const f = (await fp.s.run({ [smp.tensor.name]: smp.tensor.data as Float32Array })) as Record<string, Float32Array>;
          const q = (await tw.run({ [smp.tensor.name]: smp.tensor.data as Float32Array })) as Record<string, Float32Array>;
          twSamples.push({ what: smp.what, judged: judge(kind, f, q, outNames, characters) });
        }
        tw.destroy();
        tapwise = {
          createMs, medianMs: median(ms), eligible: info.eligible.length, chosen, checks: info.checks.map((c) => `${c.passed ? 'passed' : 'failed'} with ${c.layers.length} layer(s): ${c.detail}`),
          samples: twSamples, summary: summarize(kind, twSamples.map((x) => ({ ...x, calibrated: false, int8VsOrt: 0, int8VsOrtUnit: 'abs', int8VsOrtDiffering: 0 }))),
        };
        log(`${model}: tap-wise on ${chosen.length} of ${info.eligible.length} eligible layer(s), ${tapwise.medianMs.toFixed(0)} ms; ${tapwise.summary}`);
      } catch (e) {
        log(`${model}: tap-wise ERROR ${(e as Error).message}`);
        tapwise = { createMs: 0, medianMs: 0, eligible: 0, chosen: [], checks: [], samples: [], summary: '', error: (e as Error).message };
      }
    }
    fp.s.destroy();
    return { model, kind, weights, quantizeMs, runs: ONE_RUN.has(model) ? 1 : RUNS, fp32: fp.stats, int8: q8.stats, ort: ortMs, samples: judgedSamples, summary: summarize(kind, judgedSamples), tapwise };
}

function outputScale(modelBytes: Uint8Array, name: string): number | undefined {
  scaleCache ??= new Map();
  let m = scaleCache.get(modelBytes);
  if (!m) {
    m = outputScales(modelBytes);
    scaleCache.set(modelBytes, m);
  }
  return m.get(name);
}
function outputScales(bytes: Uint8Array): Map<string, number> {
  const out = new Map<string, number>();
  const g = decodeOnnx(bytes);
  for (const n of g.nodes) {
    if (n.opType !== 'DequantizeLinear') continue;
    const s = g.initializers.get(n.inputs[1]);
    if (s && s.data.length === 1) out.set(n.outputs[0], Number(s.data[0]));
  }
  return out;
}

function summarize(kind: Kind, s: Row['samples']): string {
  const n = s.length;
  if (kind === 'det' || kind === 'isnet') {
    const iou = s.map((x) => x.judged.iou!);
    const sq = s.map((x) => x.judged.sqnrDb!);
    return `mask IoU ${Math.min(...iou).toFixed(3)}–${Math.max(...iou).toFixed(3)}, SQNR ${Math.min(...sq).toFixed(1)}–${Math.max(...sq).toFixed(1)} dB (${n} images)`;
  }
  const agree = s.filter((x) => x.judged.agree).length;
  if (kind === 'rec') return `${agree} of ${n} lines decode to the same text`;
  const d = Math.max(...s.map((x) => x.judged.maxDiff ?? 0));
  if (kind === 'blazeface') return `same anchors over 0.75 on ${agree} of ${n} photos; max |Δscore| ${d.toFixed(4)}`;
  return `top-1 agrees on ${agree} of ${n}; max |Δp| ${d.toFixed(4)}`;
}

const md = [
  `# int8 against fp32 on whole models (${adapter}, Node/Dawn; ${new Date().toISOString().slice(0, 10)})`,
  '',
  'Quantized by winoconv\'s quantizer (QDQ, weights int8 per channel where the opset allows, else per tensor, activations uint8, minmax ranges from ONNX Runtime\'s float run on the calibration inputs); exact int8 algorithms. Produced by `npx tsx bench/int8-models.ts`. The zoo classifiers (mobilenetv2, squeezenet1_1, resnet18, resnet50, vgg16) carry seeded random weights (no trained ImageNet classifier ships in an npm package here): their top-1 is one class for every photo, so their rows measure int8-vs-fp32 agreement of a random network, not recognition. SwiftShader emulates dot4 (no packed integer dot product in hardware): int8 speed here is not what a GPU gives.',
  '',
  '| model | accuracy int8 vs fp32 | int8 vs ONNX Runtime (same int8 model) | fp32 median ms | int8 median ms | int8 / fp32 | ORT wasm fp32 / int8 ms (1 run) |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) => r.error
    ? `| ${r.model} | error: ${r.error.replace(/\|/g, '\\|').slice(0, 200)} | | | | | |`
    : `| ${r.model} (weights ${r.weights}) | ${r.summary} | ${r.samples.some((s) => s.int8VsOrtUnit === 'abs') ? 'max abs' : 'max'} ${Math.max(...r.samples.map((s) => s.int8VsOrt))}${r.samples.some((s) => s.int8VsOrtUnit === 'abs') ? '' : ' LSB'}, ${r.samples.reduce((a, s) => a + s.int8VsOrtDiffering, 0)} elements differ | ${r.fp32.medianMs.toFixed(0)} | ${r.int8.medianMs.toFixed(0)} | ${(r.int8.medianMs / r.fp32.medianMs).toFixed(2)}× | ${r.ort ? `${r.ort.fp32Ms.toFixed(0)} / ${r.ort.int8Ms.toFixed(0)}` : ''} |`),
  '',
  `Tap-wise: the int8 model with \`SessionOptions.tapwise\` (minSqnrDb ${MIN_SQNR} dB per layer against exact int8 on the layer's own calibration inputs; whole-model check: top-1 for classifiers, output SQNR ≥ ${MIN_SQNR} dB for the others), judged against fp32 like the exact int8 model.`,
  '',
  '| model | tap-wise layers (chosen / eligible) | accuracy tap-wise int8 vs fp32 | tap-wise median ms | exact int8 median ms |',
  '|---|---|---|---|---|',
  ...rows.filter((r) => r.tapwise).map((r) => r.tapwise!.error
    ? `| ${r.model} | error: ${r.tapwise!.error.replace(/\|/g, '\\|').slice(0, 200)} | | | |`
    : `| ${r.model} | ${r.tapwise!.chosen.length} / ${r.tapwise!.eligible} | ${r.tapwise!.summary} | ${r.tapwise!.medianMs.toFixed(0)} | ${r.int8.medianMs.toFixed(0)} |`),
  '',
  ...rows.flatMap((r) => r.error ? [] : [`## ${r.model}`, '', ...r.samples.map((s) => `- ${s.what}${s.calibrated ? '' : ' (not calibrated on)'}: ${s.judged.text}; int8 vs ORT ${s.int8VsOrtUnit === 'LSB' ? `${s.int8VsOrt} LSB` : `max abs ${s.int8VsOrt}`}`),
    ...(r.tapwise && !r.tapwise.error ? ['', `Tap-wise: ${r.tapwise.chosen.length ? r.tapwise.chosen.join('; ') : 'no layer'}; checks: ${r.tapwise.checks.join(' / ') || 'none'}`, ...r.tapwise.samples.map((s) => `- tap-wise ${s.what}: ${s.judged.text}`)] : []), '']),
].join('\n');
console.log(md);
if (values.json) writeFileSync(String(values.json), JSON.stringify({ adapter, date: new Date().toISOString(), runs: RUNS, rows }, null, 2));
if (values.md) writeFileSync(String(values.md), md + '\n');
