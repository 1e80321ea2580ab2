import { describe, expect, it } from 'vitest';
import {
  type UserTransforms,
  formatFraction,
  identityResidual,
  toFloat64,
  transformsToJSON,
  userTransform1D,
  winograd1D,
  winograd2D,
} from '../../../src/winograd/index.ts';

const F43 = winograd1D(4, 3);
const F43_FLOAT: UserTransforms = { AT: toFloat64(F43.AT), G: toFloat64(F43.G), BT: toFloat64(F43.BT) };

function withEntry(t: UserTransforms, key: keyof UserTransforms, i: number, j: number, value: unknown): UserTransforms {
  const copy = { AT: t.AT.map((r) => [...r]), G: t.G.map((r) => [...r]), BT: t.BT.map((r) => [...r]) };
  (copy[key][i] as unknown[])[j] = value;
  return copy;
}

describe('userTransform1D validation', () => {
  const cases: readonly { name: string; transforms: unknown; options: unknown; message: string }[] = [
    { name: 'm not a positive integer', transforms: F43_FLOAT, options: { m: 0, r: 3 }, message: 'm: expected a positive integer, got 0' },
    { name: 'r fractional', transforms: F43_FLOAT, options: { m: 4, r: 2.5 }, message: 'r: expected a positive integer, got 2.5' },
    { name: 'r missing', transforms: F43_FLOAT, options: { m: 4 }, message: 'r: expected a positive integer, got undefined' },
    { name: 'options missing', transforms: F43_FLOAT, options: undefined, message: 'options: expected { m, r }, got undefined' },
    { name: 'transforms not an object', transforms: 7, options: { m: 4, r: 3 }, message: 'transforms: expected an object { AT, G, BT }, got 7' },
    {
      name: 'G missing a row',
      transforms: { ...F43_FLOAT, G: F43_FLOAT.G.slice(0, 5) },
      options: { m: 4, r: 3 },
      message: 'G: expected 6 rows (n = m + r - 1 = 6), got 5',
    },
    {
      name: 'AT with too many rows',
      transforms: { ...F43_FLOAT, AT: [...F43_FLOAT.AT, F43_FLOAT.AT[0]] },
      options: { m: 4, r: 3 },
      message: 'AT: expected 4 rows (m = 4), got 5',
    },
    {
      name: 'BT row too short',
      transforms: { ...F43_FLOAT, BT: F43_FLOAT.BT.map((row, i) => (i === 2 ? row.slice(0, 4) : row)) },
      options: { m: 4, r: 3 },
      message: 'BT[2]: expected 6 columns (n = m + r - 1 = 6), got 4',
    },
    {
      name: 'G row with 4 taps for r = 3',
      transforms: { ...F43_FLOAT, G: F43_FLOAT.G.map((row) => [...row, 0]) },
      options: { m: 4, r: 3 },
      message: 'G[0]: expected 3 columns (r = 3), got 4',
    },
    { name: 'AT missing', transforms: { G: F43_FLOAT.G, BT: F43_FLOAT.BT }, options: { m: 4, r: 3 }, message: 'AT: expected an array of 4 rows (m = 4), got undefined' },
    { name: 'G row not an array', transforms: { ...F43_FLOAT, G: [1, ...F43_FLOAT.G.slice(1)] }, options: { m: 4, r: 3 }, message: 'G[0]: expected an array of 3 entries (r = 3), got 1' },
    { name: 'NaN entry', transforms: withEntry(F43_FLOAT, 'G', 1, 2, Number.NaN), options: { m: 4, r: 3 }, message: 'G[1][2]: expected a finite number, got NaN' },
    { name: 'Infinity entry', transforms: withEntry(F43_FLOAT, 'BT', 0, 0, Infinity), options: { m: 4, r: 3 }, message: 'BT[0][0]: expected a finite number, got Infinity' },
    {
      name: 'bad fraction string',
      transforms: withEntry(F43_FLOAT, 'AT', 3, 5, 'one'),
      options: { m: 4, r: 3 },
      message: 'AT[3][5]: expected a number or a fraction string like "1/2", got "one"',
    },
    {
      name: 'null entry',
      transforms: withEntry(F43_FLOAT, 'AT', 0, 0, null),
      options: { m: 4, r: 3 },
      message: 'AT[0][0]: expected a finite number or a fraction string like "1/2", got null',
    },
    { name: 'empty name', transforms: F43_FLOAT, options: { m: 4, r: 3, name: '' }, message: 'name: expected a non-empty string, got ""' },
  ];
  for (const c of cases) {
    it(`rejects ${c.name}`, () => {
      expect(() => userTransform1D(c.transforms as UserTransforms, c.options as { m: number; r: number })).toThrow(c.message);
    });
  }

  it('accepts numbers and fraction strings, stored exactly', () => {
    const algo = userTransform1D(transformsToJSON(F43), { m: 4, r: 3 });
    expect(algo.kind).toBe('user');
    expect(algo.name).toBe('F(4,3)-user');
    expect(transformsToJSON(algo)).toEqual(transformsToJSON(F43));
    const fromFloats = userTransform1D(F43_FLOAT, { m: 4, r: 3, name: 'learned' });
    expect(fromFloats.name).toBe('learned');
    // 1/6 as a double is the dyadic 6004799503160661/36028797018963968, kept exactly.
    expect(formatFraction(fromFloats.G[1][0])).toBe('-6004799503160661/36028797018963968');
    expect(toFloat64(fromFloats.G)).toEqual(F43_FLOAT.G);
  });
});

describe('identityResidual', () => {
  it('is ~0 for a user transform equal to a Cook-Toom one', () => {
    const algo = userTransform1D(F43_FLOAT, { m: 4, r: 3 });
    expect(identityResidual(algo)).toBeLessThan(1e-15);
    expect(identityResidual(userTransform1D(transformsToJSON(F43), { m: 4, r: 3 }))).toBeLessThan(1e-15);
  });

  it('is 0 for the dyadic F(2,3) and tiny for every offered algorithm', () => {
    expect(identityResidual(winograd1D(2, 3))).toBe(0);
    for (const [m, r] of [[4, 3], [6, 3], [2, 5], [4, 5]]) expect(identityResidual(winograd1D(m, r))).toBeLessThan(1e-14);
    expect(identityResidual(winograd2D(winograd1D(6, 3), winograd1D(6, 3)))).toBeLessThan(1e-13);
  });

  it('measures the size of a perturbation', () => {
    const perturbed = withEntry(F43_FLOAT, 'G', 3, 1, (F43_FLOAT.G[3][1] as number) + 1e-3);
    const residual = identityResidual(userTransform1D(perturbed, { m: 4, r: 3 }));
    // G[3][1] multiplies g_1 on tap 3; the largest AT entry on tap 3 is 8 and BT row 3 has entries up to 2.
    expect(residual).toBeGreaterThan(1e-4);
    expect(residual).toBeLessThan(0.1);
    const nested = winograd2D(userTransform1D(perturbed, { m: 4, r: 3 }), winograd1D(4, 3));
    expect(identityResidual(nested)).toBeGreaterThan(1e-4);
  });
});
