import { describe, expect, test } from 'vitest';
import { compareWithReference, epilogueValueMagnitude, tileMaxAbsDot, toleranceFor } from '../../../src/conv/tolerance.ts';
import { verificationKeys, winogradOutputTile } from '../../../src/engine/verify.ts';
import { normalizeDesc } from '../../../src/conv/desc.ts';
import type { PrepareContext } from '../../../src/engine/algorithm.ts';

describe('tolerance floors for outputs with few or no terms (issue 10)', () => {
  test('tileMaxAbsDot gives every output of a tile the largest term sum of the tile (NHWC and NCHW)', () => {
    // one image, one channel, 3×5 outputs, 2×2 tiles: tiles [0..1]×[0..1], [0..1]×[2..3], [0..1]×[4], [2]×…
    const s = Float64Array.from([1, 0, 5, 0, 2, 0, 3, 0, 0, 7, 4, 0, 0, 0, 0]);
    const out = tileMaxAbsDot(s, 'NCHW', { n: 1, c: 1, h: 3, w: 5 }, 2, 2);
    expect(Array.from(out)).toEqual([3, 3, 5, 5, 7, 3, 3, 5, 5, 7, 4, 4, 0, 0, 0]);
    const nhwc = tileMaxAbsDot(Float64Array.from([1, 10, 0, 0]), 'NHWC', { n: 1, c: 2, h: 1, w: 2 }, 1, 2);
    expect(Array.from(nhwc)).toEqual([1, 10, 1, 10]);
  });

  test('an output that sees only padding passes with the tile maximum, and would fail with its own S = 0', () => {
    const tol = toleranceFor('float32', 'winograd4');
    const ref = [0.5, 0.25];
    const got = [0.5 + 1e-7, 0.25 + 1e-5];
    const own = [8, 0.25];
    expect(compareWithReference(got, ref, own, tol).pass).toBe(false);
    expect(compareWithReference(got, ref, [8, 8], tol).pass).toBe(true);
  });

  test('elu near 0 allows the error of exp(v) − 1, not only |ref|; a wrong value still fails', () => {
    const tol = toleranceFor('float32', 'direct');
    const v = -1e-3;
    const ref = [Math.expm1(v)];
    const mag = epilogueValueMagnitude(ref, [v], 'elu');
    const got = [ref[0] + 2 * 2 ** -24];
    expect(compareWithReference(got, ref, [Math.abs(v)], tol).pass).toBe(false);
    expect(compareWithReference(got, ref, [Math.abs(v)], tol, mag).pass).toBe(true);
    expect(compareWithReference([ref[0] * 1.001], ref, [Math.abs(v)], tol, mag).pass).toBe(false);
    expect(Array.from(epilogueValueMagnitude([2], [2], 'relu'))).toEqual([2]);
  });

  test('winogradOutputTile names the output tile of each float32 Winograd algorithm', () => {
    expect(winogradOutputTile('winograd4')).toEqual([4, 4]);
    expect(winogradOutputTile('winograd2x1')).toEqual([2, 1]);
    expect(winogradOutputTile('winograd1x4')).toEqual([1, 4]);
    expect(winogradOutputTile('direct')).toBeUndefined();
    expect(winogradOutputTile('winograd2-exact')).toBeUndefined();
  });

  test('verification keys: same kernels, other data or pads → other full key; kernel key ignores data', () => {
    const ctx = (pads: number, bias?: number[]): PrepareContext => ({
      core: undefined as never, desc: normalizeDesc({ inChannels: 1, outChannels: 2, kernelSize: 3, pads }), weightsOIHW: new Float32Array(18).fill(1),
      bias: bias ? { shape: [2], data: bias, broadcast: 'channel' } : undefined,
    });
    const a = verificationKeys(['k'], ctx(1, [1, 2]));
    const b = verificationKeys(['k'], ctx(1, [1, NaN]));
    const c = verificationKeys(['k'], ctx(3, [1, 2]));
    expect(a.kernel).toBe(b.kernel);
    expect(a.full).not.toBe(b.full);
    expect(a.kernel).not.toBe(c.kernel);
    expect(verificationKeys(['k'], ctx(1, [1, 2])).full).toBe(a.full);
  });
});
