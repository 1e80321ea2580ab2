/**
 * The OCR pipeline (src/ocr) end to end with ONNX Runtime runners (ort-runners.ts): a rendered test card read
 * exactly (upright, and turned 180° so the direction classifier must flip every crop), and real photos from a Debian
 * package (debian-file.ts; skipped with the reason printed where apt-get is unavailable) read as recorded in
 * expected.ts — the strings the GPU runtime must later match.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageInput } from '../../../src/ocr/image.ts';
import { type OcrResult, readText } from '../../../src/ocr/pipeline.ts';
import { debianFiles } from './debian-file.ts';
import { PHOTOS, RENDERED } from './expected.ts';
import { ocrCharacters, ortRunners } from './ort-runners.ts';
import { renderText } from './render-text.ts';
import { sessionRunner } from './session-runners.ts';
import type { Session } from '../../../src/graph/runtime-types.ts';

let runners: Awaited<ReturnType<typeof ortRunners>>;
const characters = ocrCharacters();
beforeAll(async () => { runners = await ortRunners(); });
afterAll(async () => { await runners?.release(); });

const summary = (r: OcrResult) =>
  `det ${r.detShape.join('×')}, ${r.timings.boxes} boxes → ${r.lines.length} lines; ms: ` +
  `det ${r.timings.det.toFixed(0)}, post ${r.timings.detPost.toFixed(0)}, cls ${r.timings.cls.toFixed(0)}, rec ${r.timings.rec.toFixed(0)}, total ${r.timings.total.toFixed(0)}\n` +
  r.lines.map((l) => `  ${JSON.stringify(l.text)} ${l.score.toFixed(3)}${l.angle180 ? ' (180°)' : ''} ${JSON.stringify(l.box)}`).join('\n');

describe('the PP-OCR models as the pipeline uses them', () => {
  it('input and output names; output shapes for the pipeline\'s input shapes', async () => {
    const s = runners.sessions;
    expect([s.det, s.cls, s.rec].map((x) => [x.inputNames, x.outputNames])).toEqual([
      [['x'], ['sigmoid_0.tmp_0']], [['x'], ['softmax_0.tmp_0']], [['x'], ['softmax_11.tmp_0']],
    ]);
    expect((await runners.det(new Float32Array(3 * 64 * 96), [1, 3, 64, 96])).shape).toEqual([1, 1, 64, 96]);
    expect((await runners.cls!(new Float32Array(3 * 48 * 192), [1, 3, 48, 192])).shape).toEqual([1, 2]);
    expect((await runners.rec(new Float32Array(3 * 48 * 480), [1, 3, 48, 480])).shape).toEqual([1, 60, characters.length]);
  });
});

describe('OCR pipeline on ONNX Runtime: rendered text', () => {
  const img = renderText(RENDERED.lines, RENDERED.options);
  const words = RENDERED.lines.join(' ').split(' ');

  it('reads every rendered word exactly, in reading order, upright', async () => {
    const r = await readText(img, runners, { characters });
    console.log(`rendered ${img.width}×${img.height}: ${summary(r)}`);
    expect(r.lines.map((l) => l.text)).toEqual(words);
    expect(r.lines.every((l) => !l.angle180 && l.score > 0.8)).toBe(true);
    // deterministic: a second run gives the same lines, scores and boxes
    const again = await readText(img, runners, { characters });
    expect(again.lines).toEqual(r.lines);
  });

  it('rec tensor widths rounded up to multiples of 160 (fewer shapes for a planned runtime): the same words', async () => {
    const shapes = new Set<string>();
    const rec: typeof runners.rec = (x, shape) => { shapes.add(shape.join('x')); return runners.rec(x, shape); };
    const r = await readText(img, { ...runners, rec }, { characters, rec: { widthMultiple: 160 } });
    console.log(`rendered, rec widths ×160: shapes ${[...shapes].join(', ')}`);
    expect(r.lines.map((l) => l.text)).toEqual(words);
    expect([...shapes].every((s) => +s.split('x')[3] % 160 === 0)).toBe(true);
  });

  // At PaddleOCR's cls threshold (0.9) upside-down QUICK stays unflipped (cls says '180' with 0.675 only) and reads
  // 'OIO' (0.44, dropped); at 0.5 every crop flips.
  it('through sessionRunner (the GPU Session adapter) with Session-shaped ORT stand-ins: the same words', async () => {
    // A stand-in Session per input shape: output shape from a run at creation, as a planned Session knows it.
    const fake = (run: typeof runners.det) => async (shapes: Record<string, readonly number[]>): Promise<Session> => {
      const shape = [...shapes.x];
      const probe = await run(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
      const info = { inputs: [{ name: 'x', shape, dtype: 'float32' as const }], outputs: [{ name: 'y', shape: probe.shape, dtype: 'float32' as const }], nodes: [], memory: { weightBytes: 0, arenaBytes: 0, peakLiveBytes: 0 }, creationMs: 0, passes: {}, precision: 'float32' as const };
      return { info, run: (async (inputs: Record<string, Float32Array>) => ({ y: (await run(inputs.x, shape)).data })) as unknown as Session['run'], encode: () => {}, resize: async () => {}, destroy: () => {} };
    };
    const det = sessionRunner(fake(runners.det)), cls = sessionRunner(fake(runners.cls!)), rec = sessionRunner(fake(runners.rec));
    const r = await readText(img, { det, cls, rec }, { characters, rec: { widthMultiple: 160 } });
    expect(r.lines.map((l) => l.text)).toEqual(words);
    expect([det.sessions.size, cls.sessions.size, rec.sessions.size]).toEqual([1, 1, 2]);
    det.destroy(); cls.destroy(); rec.destroy();
  });

  it('the same card turned 180°: cls flips each crop (threshold 0.5), the words read in reverse order', async () => {
    const rot = { ...img, data: new Uint8Array(img.data.length) };
    const n = img.width * img.height;
    for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) rot.data[i * 3 + k] = img.data[(n - 1 - i) * 3 + k];
    const r = await readText(rot, runners, { characters, clsThresh: 0.5 });
    console.log(`rendered, 180°: ${summary(r)}`);
    expect(r.lines.map((l) => l.text)).toEqual(words.slice().reverse());
    expect(r.lines.every((l) => l.angle180)).toBe(true);
  });
});

describe('OCR pipeline on ONNX Runtime: photos from Debian opencv-doc', () => {
  const got = debianFiles('opencv-doc', PHOTOS.map((p) => p.file));
  if ('skip' in got) console.log(`skipping the photo tests: ${got.skip}`);

  it.skipIf('skip' in got).each(PHOTOS.map((p, i) => ({ ...p, i })))('$name', async (p) => {
    const bytes = (got as { files: Buffer[] }).files[p.i];
    let img: ImageInput;
    if (p.format === 'jpeg') {
      const d = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
      img = { data: d.data, width: d.width, height: d.height, channels: 3 };
    } else {
      const d = PNG.sync.read(bytes);
      img = { data: d.data, width: d.width, height: d.height, channels: 4 };
    }
    const r = await readText(img, runners, { characters });
    console.log(`${p.name} ${img.width}×${img.height}: ${summary(r)}`);
    expect(r.lines.length).toBeGreaterThan(0);
    expect(r.lines.map((l) => l.text)).toEqual(p.texts);
    if (p.boxes) {
      r.lines.forEach((l, i) => l.box.forEach((pt, k) => pt.forEach((v, c) => expect(Math.abs(v - p.boxes![i][k][c]), `line ${i} corner ${k}`).toBeLessThanOrEqual(2))));
    }
  });
});
