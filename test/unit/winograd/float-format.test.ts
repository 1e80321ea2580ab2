import { describe, expect, it } from 'vitest';
import {
  Fraction,
  directAlgorithm,
  exactDecimal,
  exactFromNumber,
  formatFraction,
  formatTransforms,
  fractionToFloat32,
  fractionToFloat64,
  toFloat32,
  toFloat64,
  toWgslLiterals,
  transformErrorScale,
  transformsToJSON,
  wgslF32Literal,
  winograd1D,
  winograd2D,
} from '../../../src/winograd/index.ts';
import { mulberry32 } from '../helpers/rng.ts';

describe('exact float conversion', () => {
  it('converts doubles to the exact dyadic rational and back', () => {
    expect(formatFraction(exactFromNumber(0.1))).toBe('3602879701896397/36028797018963968');
    expect(formatFraction(exactFromNumber(-2.5))).toBe('-5/2');
    expect(formatFraction(exactFromNumber(2 ** 70))).toBe((2n ** 70n).toString());
    const rand = mulberry32(11);
    const samples = [Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, 2 ** -1022, 1 / 3, -1e-300];
    for (let i = 0; i < 200; i++) samples.push((rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20));
    for (const x of samples) expect(fractionToFloat64(exactFromNumber(x))).toBe(x);
  });

  it('rounds rationals once to the nearest float64 / float32', () => {
    expect(fractionToFloat64(new Fraction(1, 6))).toBe(1 / 6);
    expect(fractionToFloat64(new Fraction(-2, 9))).toBe(-2 / 9);
    expect(fractionToFloat32(new Fraction(1, 90))).toBe(Math.fround(1 / 90));
    expect(fractionToFloat32(new Fraction(0))).toBe(0);
    // 1 + 2^-24 is halfway between two floats: ties to even gives 1; a hair above rounds up.
    expect(fractionToFloat32(new Fraction(2n ** 24n + 1n, 2n ** 24n))).toBe(1);
    expect(fractionToFloat32(new Fraction(2n ** 48n + 2n ** 24n + 1n, 2n ** 48n))).toBe(1 + 2 ** -23);
    // The double nearest to 1 + 2^-24 + 2^-60 is exactly the f32 midpoint 1 + 2^-24 (Math.fround → 1):
    // double rounding would be wrong, the exact rational rounds up.
    const x = new Fraction(2n ** 60n + 2n ** 36n + 1n, 2n ** 60n);
    expect(Math.fround(fractionToFloat64(x))).toBe(1);
    expect(fractionToFloat32(x)).toBe(1 + 2 ** -23);
    expect(fractionToFloat32(new Fraction(10n ** 40n))).toBe(Infinity);
    expect(fractionToFloat32(new Fraction(1n, 2n ** 149n))).toBe(2 ** -149);
    expect(fractionToFloat32(new Fraction(1n, 2n ** 151n))).toBe(0);
  });

  it('exports transform matrices as float64 and float32', () => {
    const f63 = winograd1D(6, 3);
    const g64 = toFloat64(f63.G);
    const g32 = toFloat32(f63.G);
    expect(g64[3]).toEqual([1 / 90, 1 / 45, 2 / 45]);
    expect(g32[3]).toEqual([Math.fround(1 / 90), Math.fround(1 / 45), Math.fround(2 / 45)]);
    for (const row of g32) for (const v of row) expect(Math.fround(v)).toBe(v);
    expect(toFloat64(f63.BT)[0]).toEqual([1, 0, -5.25, 0, 5.25, 0, -1, 0]);
  });

  it('writes WGSL f32 literals as the exact decimal of the float32', () => {
    expect(wgslF32Literal(new Fraction(1, 2))).toBe('0.5f');
    expect(wgslF32Literal(new Fraction(4))).toBe('4.0f');
    expect(wgslF32Literal(new Fraction(0))).toBe('0.0f');
    expect(wgslF32Literal(new Fraction(-21, 4))).toBe('-5.25f');
    expect(wgslF32Literal(new Fraction(1, 6))).toBe('0.16666667163372039794921875f');
    expect(wgslF32Literal(-1 / 6)).toBe('-0.16666667163372039794921875f');
    expect(Math.fround(Number.parseFloat(wgslF32Literal(new Fraction(-2, 9))))).toBe(Math.fround(-2 / 9));
    expect(exactDecimal(2 ** -3)).toBe('0.125');
    expect(exactDecimal(-3)).toBe('-3');
    expect(toWgslLiterals(winograd1D(2, 3).G)[1]).toEqual(['0.5f', '0.5f', '0.5f']);
  });
});

describe('formatting', () => {
  it('formats fractions', () => {
    expect([new Fraction(1, 2), new Fraction(-1, 6), new Fraction(0), new Fraction(4), new Fraction('-0')].map(formatFraction)).toEqual([
      '1/2',
      '-1/6',
      '0',
      '4',
      '0',
    ]);
  });

  it('renders JSON with fraction strings (1-D and 2-D)', () => {
    const json = transformsToJSON(winograd1D(2, 3));
    expect(JSON.parse(JSON.stringify(json))).toEqual({
      AT: [['1', '1', '1', '0'], ['0', '1', '-1', '1']],
      G: [['1', '0', '0'], ['1/2', '1/2', '1/2'], ['1/2', '-1/2', '1/2'], ['0', '0', '1']],
      BT: [['1', '0', '-1', '0'], ['0', '1', '1', '0'], ['0', '-1', '1', '0'], ['0', '-1', '0', '1']],
    });
    const two = transformsToJSON(winograd2D(winograd1D(2, 3), directAlgorithm(3)));
    expect(two.H).toEqual(json);
    expect(two.W.AT).toEqual([['1', '1', '1']]);
  });

  it('pretty-prints the three matrices', () => {
    expect(formatTransforms(winograd1D(2, 3))).toBe(
      [
        'F(2,3)  (m = 2, r = 3, n = 4; points: 0, 1, -1, ∞)',
        'AT (2x4) =',
        '  [ 1  1   1  0 ]',
        '  [ 0  1  -1  1 ]',
        'G (4x3) =',
        '  [   1     0    0 ]',
        '  [ 1/2   1/2  1/2 ]',
        '  [ 1/2  -1/2  1/2 ]',
        '  [   0     0    1 ]',
        'BT (4x4) =',
        '  [ 1   0  -1  0 ]',
        '  [ 0   1   1  0 ]',
        '  [ 0  -1   1  0 ]',
        '  [ 0  -1   0  1 ]',
      ].join('\n'),
    );
    const text = formatTransforms(winograd2D(winograd1D(4, 3), directAlgorithm(3)));
    expect(text).toMatch(/^F\(4x1,3x3\): Y = AhT/);
    expect(text).toContain('along H: F(4,3)  (m = 4, r = 3, n = 6; points: 0, 1, -1, 2, -2, ∞)');
    expect(text).toContain('along W: F(1,3)  (m = 1, r = 3, n = 3; direct)');
  });
});

describe('transformErrorScale', () => {
  it('is r for direct and max_i Σ_j |AT_ij|·‖G_j‖₁·‖BT_j‖₁ otherwise', () => {
    expect(transformErrorScale(directAlgorithm(3))).toBe(3);
    expect(transformErrorScale(winograd1D(2, 3))).toBe(8);
    expect(transformErrorScale(winograd1D(4, 3))).toBe(48);
    expect(transformErrorScale(winograd1D(4, 3, 'alt'))).toBeCloseTo(29.6, 12);
    expect(transformErrorScale(winograd1D(6, 3))).toBeCloseTo(203 / 3, 12);
  });

  it('factorizes for nested 2-D algorithms and orders the offered algorithms sensibly', () => {
    const f43 = winograd1D(4, 3);
    expect(transformErrorScale(winograd2D(f43, f43))).toBe(48 * 48);
    expect(transformErrorScale(winograd2D(f43, directAlgorithm(3)))).toBe(48 * 3);
    const scale = (m: number, v = 'default') => transformErrorScale(winograd2D(winograd1D(m, 3, v), winograd1D(m, 3, v)));
    expect(scale(2)).toBeLessThan(scale(4, 'alt'));
    expect(scale(4, 'alt')).toBeLessThan(scale(4));
    expect(scale(4)).toBeLessThan(scale(6));
  });
});
