/** SessionOptions.tapwise's CPU parts: option checks (field, value, rule), calibration crops, the whole-model check. */
import { describe, expect, it } from 'vitest';
import { CROP_MACS, TAP_SCHEMES, checkTapwiseOptions, compareOutputs, layerCrop } from '../../../src/graph/tapwise-select.ts';

const cal = [{ x: new Float32Array(4) }];

describe('checkTapwiseOptions', () => {
  it('fills in the defaults', () => {
    const o = checkTapwiseOptions({ calibration: cal, minSqnrDb: 20 });
    expect(o.check).toEqual({ outputSqnrDb: 20 });
    expect(o.schemes).toEqual([...TAP_SCHEMES]);
  });
  it.each([
    [null, /options.tapwise = null: must be an object/],
    [{ calibration: cal }, /tapwise.minSqnrDb = undefined: must be a finite number of dB > 0/],
    [{ calibration: cal, minSqnrDb: -3 }, /tapwise.minSqnrDb = -3/],
    [{ calibration: [], minSqnrDb: 20 }, /tapwise.calibration = \[0 items\]: must be a non-empty array/],
    [{ calibration: [{ x: [1, 2] }], minSqnrDb: 20 }, /tapwise.calibration\[0\].x = \[2 items\]: must be a Float32Array/],
    [{ calibration: cal, minSqnrDb: 20, check: 'top5' }, /tapwise.check = "top5": must be 'top1' or \{ outputSqnrDb/],
    [{ calibration: cal, minSqnrDb: 20, check: { outputSqnrDb: 0 } }, /tapwise.check = \{"outputSqnrDb":0\}/],
    [{ calibration: cal, minSqnrDb: 20, schemes: ['winograd2-exact'] }, /tapwise.schemes\[0\] = "winograd2-exact": must be one of winograd4-tap/],
    [{ calibration: cal, minSqnrDb: 20, floor: 3 }, /tapwise.floor = 3: unknown key/],
  ])('refuses %j', (v, re) => {
    expect(() => checkTapwiseOptions(v)).toThrow(re);
  });
});

describe('layerCrop', () => {
  it('keeps small inputs whole and crops large ones under CROP_MACS at moving places', () => {
    const small = Int8Array.from({ length: 2 * 5 * 6 }, (_, i) => (i % 200) - 100);
    const c = layerCrop(small, [1, 2, 5, 6], 4, 0);
    expect([c.batch, c.height, c.width]).toEqual([1, 5, 6]);
    expect(Array.from(c.data)).toEqual(Array.from(small));
    const shape = [1, 64, 100, 90];
    const big = Uint8Array.from({ length: 64 * 100 * 90 }, (_, i) => i % 251);
    for (const k of [0, 1, 2]) {
      const b = layerCrop(big, shape, 64, k);
      expect(9 * 64 * 64 * b.height * b.width).toBeLessThanOrEqual(CROP_MACS);
      const y0 = [0, Math.round((100 - b.height) / 2), 100 - b.height][k];
      const x0 = [0, Math.round((90 - b.width) / 2), 90 - b.width][k];
      // channel 3, crop row 2, column 1
      expect(b.data[(3 * b.height + 2) * b.width + 1]).toBe(big[(3 * 100 + y0 + 2) * 90 + x0 + 1]);
    }
  });
});

describe('compareOutputs', () => {
  const ref = [{ y: Float32Array.from([1, 5, 2, 0, 0, 3]) }];
  it('top1 per row of the last axis', () => {
    expect(compareOutputs(ref, [{ y: Float32Array.from([1, 4, 2, 0, 1, 3]) }], 'top1', { y: [2, 3] })).toMatchObject({ passed: true, detail: expect.stringMatching(/2\/2 output rows/) });
    expect(compareOutputs(ref, [{ y: Float32Array.from([1, 4, 2, 0, 4, 3]) }], 'top1', { y: [2, 3] })).toMatchObject({ passed: false, detail: expect.stringMatching(/1\/2/) });
    expect(compareOutputs(ref, ref, 'top1', { y: [6, 1] }).passed).toBe(false);
  });
  it('output SQNR against the exact model', () => {
    expect(compareOutputs(ref, ref, { outputSqnrDb: 40 }, { y: [6] })).toMatchObject({ passed: true, detail: expect.stringMatching(/y exact/) });
    // signal 39, noise 0.39 → 20 dB
    const got = [{ y: Float32Array.from(ref[0].y, (v, i) => v + (i === 0 ? Math.sqrt(0.39) : 0)) }];
    const r = compareOutputs(ref, got, { outputSqnrDb: 20.5 }, { y: [6] });
    expect(r.passed).toBe(false);
    expect(r.detail).toMatch(/y 20\.00 dB/);
  });
});
