/**
 * src/ocr against OpenCV: the same steps written with cv2, pyclipper and shapely (opencv_ref.py, PaddleOCR's
 * DetResizeForTest + NormalizeImage, DBPostProcess with findContours/minAreaRect/fillPoly/pyclipper, and
 * get_rotate_crop_image) on the det output ONNX Runtime gives for the rendered test card. Needs a python3 with cv2,
 * pyclipper and shapely (Debian: python3-opencv python3-pyclipper python3-shapely); skips with the reason otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dbPostprocess, detPreprocess, sortBoxes } from '../../../src/ocr/det.ts';
import type { Quad } from '../../../src/ocr/geometry.ts';
import { type RgbImage, toRgb } from '../../../src/ocr/image.ts';
import { cropQuad } from '../../../src/ocr/rec.ts';
import { RENDERED } from './expected.ts';
import { OCR_MODELS, ortRunner } from './ort-runners.ts';
import { renderText } from './render-text.ts';

const script = fileURLToPath(new URL('./opencv_ref.py', import.meta.url));
const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import cv2, pyclipper, shapely, numpy'], { stdio: 'ignore' }).status === 0);
if (!python) console.log('skipping the OpenCV cross-check: no python3 with cv2, pyclipper, shapely and numpy (Debian: apt-get install python3-opencv python3-pyclipper python3-shapely)');

describe('OCR pipeline vs OpenCV + pyclipper (PaddleOCR\'s steps)', () => {
  it.skipIf(!python)('det input, DB boxes and crops of the rendered card', async () => {
    const rgb = toRgb(renderText(RENDERED.lines, RENDERED.options));
    const det = detPreprocess(rgb);
    const { run, session } = await ortRunner(OCR_MODELS.det);
    const pred = (await run(det.data, det.shape)).data;
    await session.release();
    const [, , H, W] = det.shape;
    const boxes = sortBoxes(dbPostprocess(pred, W, H, rgb.width, rgb.height));
    const crops = boxes.map(({ box }) => cropQuad(rgb, box));
    // rotated and perspective quads (the card's own boxes are upright with integer corners: any sampling is exact)
    const quads: Quad[] = [[[40.3, 70.2], [300.6, 40.1], [306.2, 95.4], [45.5, 118.8]], [[200, 100], [420, 130], [415, 175], [190, 160]], [[60, 300], [64, 120], [110, 122], [104, 302]]];
    const img = (c: RgbImage) => ({ width: c.width, height: c.height, data: Array.from(c.data) });
    const warps = quads.map((box) => ({ box, bilinear: img(cropQuad(rgb, box)), bicubic: img(cropQuad(rgb, box, 'bicubic')) }));
    const dir = mkdtempSync(join(tmpdir(), 'winoconv-ocr-xc-'));
    try {
      writeFileSync(join(dir, 'case.rgb'), Uint8Array.from(rgb.data));
      writeFileSync(join(dir, 'case.detin'), new Uint8Array(det.data.buffer));
      writeFileSync(join(dir, 'case.pred'), new Uint8Array(pred.buffer, pred.byteOffset, pred.byteLength));
      writeFileSync(join(dir, 'case.json'), JSON.stringify({
        width: rgb.width, height: rgb.height, detShape: det.shape, boxes: boxes.map((b) => b.box),
        crops: crops.map(img), warps,
      }));
      const r = spawnSync(python!, [script, dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
      expect(r.status, r.stderr).toBe(0);
      const ref = JSON.parse(r.stdout) as { detShape: number[]; detInputMaxDiff: number; refBoxes: number[][][]; cropMaxDiff: number[]; cropMeanDiff: number[]; cropMeanDiffCubic: number[]; warp: Record<'bilinear' | 'bicubic', [number, number]>[] };
      const boxDiff = ref.refBoxes.map((b, i) => Math.max(...b.flatMap((p, k) => p.map((v, c) => Math.abs(v - boxes[i].box[k][c])))));
      console.log(`OpenCV cross-check: det input max |diff| ${ref.detInputMaxDiff.toFixed(4)}; boxes ${boxes.length} vs ${ref.refBoxes.length}, max corner diff per box ${boxDiff.join(' ')}; crops vs INTER_LINEAR max ${ref.cropMaxDiff.join(' ')}, mean ${ref.cropMeanDiff.map((v) => v.toFixed(2)).join(' ')}; vs INTER_CUBIC mean ${ref.cropMeanDiffCubic.map((v) => v.toFixed(2)).join(' ')}`);
      console.log(`warps of rotated quads vs cv2.warpPerspective (max, mean |diff|): ${ref.warp.map((w) => `bilinear ${w.bilinear.map((v) => v.toFixed(2)).join('/')}, bicubic ${w.bicubic.map((v) => v.toFixed(2)).join('/')}`).join('; ')}`);
      for (const w of ref.warp) {
        expect(w.bilinear[0]).toBeGreaterThanOrEqual(0);
        expect(w.bilinear[0]).toBeLessThanOrEqual(1);
        expect(w.bicubic[0]).toBeLessThanOrEqual(1);
      }
      expect(ref.detShape).toEqual([H, W]);
      expect(ref.detInputMaxDiff).toBeLessThanOrEqual(1 / 255 / 0.224 + 1e-5); // one 8-bit step (OpenCV's fixed-point bilinear)
      expect(ref.refBoxes).toHaveLength(boxes.length);
      expect(Math.max(...boxDiff)).toBeLessThanOrEqual(1); // cv2.minAreaRect works in float32
      expect(Math.max(...ref.cropMaxDiff)).toBeLessThanOrEqual(3);
      expect(Math.min(...ref.cropMaxDiff)).toBeGreaterThanOrEqual(0); // same crop sizes
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
