import { describe, expect, it } from 'vitest';
import {
  Fraction,
  WINOGRAD_POINT_SETS,
  cookToom,
  directAlgorithm,
  formatFraction,
  identity,
  inverse,
  matricesEqual,
  pointSet,
  transformsToJSON,
  transpose,
  freezeMatrix,
  winograd1D,
  winograd2D,
  winogradFromName,
  winogradSquare,
} from '../../../src/winograd/index.ts';

/**
 * The matrices printed in the wincnn README (github.com/andravin/wincnn, `showCookToomFilter`).
 * Note: the last row of BT for F(2,3) is [0, -1, 0, 1] there; Lavin & Gray's paper prints [0, 1, 0, -1]
 * together with AT's last entry -1 instead of 1 (the same algorithm with the infinity row negated).
 */
const PUBLISHED = [
  {
    m: 2,
    r: 3,
    points: ['0', '1', '-1'],
    AT: [['1', '1', '1', '0'], ['0', '1', '-1', '1']],
    G: [['1', '0', '0'], ['1/2', '1/2', '1/2'], ['1/2', '-1/2', '1/2'], ['0', '0', '1']],
    BT: [['1', '0', '-1', '0'], ['0', '1', '1', '0'], ['0', '-1', '1', '0'], ['0', '-1', '0', '1']],
  },
  {
    m: 4,
    r: 3,
    points: ['0', '1', '-1', '2', '-2'],
    AT: [
      ['1', '1', '1', '1', '1', '0'],
      ['0', '1', '-1', '2', '-2', '0'],
      ['0', '1', '1', '4', '4', '0'],
      ['0', '1', '-1', '8', '-8', '1'],
    ],
    G: [
      ['1/4', '0', '0'],
      ['-1/6', '-1/6', '-1/6'],
      ['-1/6', '1/6', '-1/6'],
      ['1/24', '1/12', '1/6'],
      ['1/24', '-1/12', '1/6'],
      ['0', '0', '1'],
    ],
    BT: [
      ['4', '0', '-5', '0', '1', '0'],
      ['0', '-4', '-4', '1', '1', '0'],
      ['0', '4', '-4', '-1', '1', '0'],
      ['0', '-2', '-1', '2', '1', '0'],
      ['0', '2', '-1', '-2', '1', '0'],
      ['0', '4', '0', '-5', '0', '1'],
    ],
  },
  {
    m: 6,
    r: 3,
    points: ['0', '1', '-1', '2', '-2', '1/2', '-1/2'],
    AT: [
      ['1', '1', '1', '1', '1', '1', '1', '0'],
      ['0', '1', '-1', '2', '-2', '1/2', '-1/2', '0'],
      ['0', '1', '1', '4', '4', '1/4', '1/4', '0'],
      ['0', '1', '-1', '8', '-8', '1/8', '-1/8', '0'],
      ['0', '1', '1', '16', '16', '1/16', '1/16', '0'],
      ['0', '1', '-1', '32', '-32', '1/32', '-1/32', '1'],
    ],
    G: [
      ['1', '0', '0'],
      ['-2/9', '-2/9', '-2/9'],
      ['-2/9', '2/9', '-2/9'],
      ['1/90', '1/45', '2/45'],
      ['1/90', '-1/45', '2/45'],
      ['32/45', '16/45', '8/45'],
      ['32/45', '-16/45', '8/45'],
      ['0', '0', '1'],
    ],
    BT: [
      ['1', '0', '-21/4', '0', '21/4', '0', '-1', '0'],
      ['0', '1', '1', '-17/4', '-17/4', '1', '1', '0'],
      ['0', '-1', '1', '17/4', '-17/4', '-1', '1', '0'],
      ['0', '1/2', '1/4', '-5/2', '-5/4', '2', '1', '0'],
      ['0', '-1/2', '1/4', '5/2', '-5/4', '-2', '1', '0'],
      ['0', '2', '4', '-5/2', '-5', '1/2', '1', '0'],
      ['0', '-2', '4', '5/2', '-5', '-1/2', '1', '0'],
      ['0', '-1', '0', '21/4', '0', '-21/4', '0', '1'],
    ],
  },
];

describe('cookToom: published wincnn matrices', () => {
  for (const pub of PUBLISHED) {
    it(`F(${pub.m},${pub.r}) points ${pub.points.join(',')} matches exactly`, () => {
      const algo = cookToom(pub.m, pub.r, pub.points);
      const json = transformsToJSON(algo);
      expect(json.AT).toEqual(pub.AT);
      expect(json.G).toEqual(pub.G);
      expect(json.BT).toEqual(pub.BT);
      expect(algo.name).toBe(`F(${pub.m},${pub.r})`);
      expect(winograd1D(pub.m, pub.r).name).toBe(algo.name);
    });
  }
});

describe('cookToom: derivation cross-check', () => {
  /**
   * Independent of the polynomial construction: with Vk the n×k Vandermonde matrix plus infinity row,
   * AT = Vmᵀ, G = diag(1/s)·Vr, BT = diag(s)·Vn⁻ᵀ, where s_j = Π_{k≠j}(a_j − a_k) (s_0 made positive,
   * s_∞ = 1).
   */
  function vandermonde(points: readonly Fraction[], cols: number) {
    const rows = points.map((a) => Array.from({ length: cols }, (_, k) => a.pow(k)));
    rows.push(Array.from({ length: cols }, (_, k) => new Fraction(k === cols - 1 ? 1 : 0)));
    return freezeMatrix(rows);
  }

  for (const set of WINOGRAD_POINT_SETS) {
    it(`F(${set.m},${set.r}) ${set.variant} equals the Vandermonde form`, () => {
      const algo = cookToom(set.m, set.r, set.points);
      const a = algo.points;
      const s = a.map((aj, j) => a.reduce((acc, ak, k) => (k === j ? acc : acc.mul(aj.sub(ak))), new Fraction(1)));
      if (s.length > 0 && s[0].s < 0n) s[0] = s[0].neg();
      s.push(new Fraction(1));
      const Vm = vandermonde(a, algo.m);
      const Vr = vandermonde(a, algo.r);
      const VnInvT = transpose(inverse(vandermonde(a, algo.n)));
      expect(matricesEqual(algo.AT, transpose(Vm))).toBe(true);
      expect(matricesEqual(algo.G, freezeMatrix(Vr.map((row, j) => row.map((v) => v.div(s[j])))))).toBe(true);
      expect(matricesEqual(algo.BT, freezeMatrix(VnInvT.map((row, j) => row.map((v) => v.mul(s[j])))))).toBe(true);
    });
  }
});

describe('point sets and names', () => {
  it('offers the documented default point sets', () => {
    const table = Object.fromEntries(
      WINOGRAD_POINT_SETS.map((p) => [`F(${p.m},${p.r})${p.variant === 'default' ? '' : '-' + p.variant}`, p.points.join(',')]),
    );
    expect(table).toEqual({
      'F(2,3)': '0,1,-1',
      'F(4,3)': '0,1,-1,2,-2',
      'F(4,3)-alt': '0,1,-1,1/2,-2',
      'F(6,3)': '0,1,-1,2,-2,1/2,-1/2',
      'F(2,5)': '0,1,-1,2,-2',
      'F(4,5)': '0,1,-1,2,-2,1/2,-1/2',
    });
    expect(pointSet(4, 3, 'alt').note).toMatch(/2x lower max error/);
  });

  it('names algorithms stably', () => {
    expect(winograd1D(4, 3, 'alt').name).toBe('F(4,3)-alt');
    expect(cookToom(4, 3, [0, 1, -1, 0.5, -2]).name).toBe('F(4,3)-alt');
    expect(cookToom(4, 3, ['0', '1', '-1', '3', '-3']).name).toBe('F(4,3)[0,1,-1,3,-3]');
    expect(winograd1D(1, 3).name).toBe('F(1,3)');
    expect(winogradSquare(4, 3).name).toBe('F(4x4,3x3)');
    expect(winogradSquare(4, 3, 'alt').name).toBe('F(4x4,3x3)-alt');
    expect(winograd2D(winograd1D(2, 3), directAlgorithm(3)).name).toBe('F(2x1,3x3)');
    expect(winograd2D(directAlgorithm(3), winograd1D(2, 3)).name).toBe('F(1x2,3x3)');
    expect(winograd2D(winograd1D(4, 3, 'alt'), directAlgorithm(3)).name).toBe('F(4x1,3x3)-alt');
    expect(winograd2D(winograd1D(4, 3), winograd1D(4, 3, 'alt')).name).toBe('F(4x4,3x3)-default/-alt');
    expect(winograd2D(winograd1D(2, 5), winograd1D(4, 3)).name).toBe('F(2x4,5x3)');
  });

  it('parses its own names', () => {
    for (const name of ['F(2,3)', 'F(4,3)-alt', 'F(1,5)', 'F(6x6,3x3)', 'F(2x1,3x3)', 'F(1x4,3x3)', 'F(4x4,3x3)-alt', 'F(4x1,3x3)-alt']) {
      expect(winogradFromName(name).name).toBe(name);
    }
    expect(() => winogradFromName('F(4x4)')).toThrow(/name: expected "F\(m,r\)" or "F\(mhxmw,rhxrw\)".*got "F\(4x4\)"/);
    expect(() => winogradFromName('F(3,3)')).toThrow(/F\(3,3\) variant 'default': no such point set \(offered: F\(2,3\), F\(4,3\), F\(4,3\)-alt/);
  });

  it('F(1,r) is direct correlation: AT = [1 … 1], G = BT = I', () => {
    const algo = directAlgorithm(5);
    expect(algo.kind).toBe('direct');
    expect([algo.m, algo.r, algo.n]).toEqual([1, 5, 5]);
    expect(algo.AT.map((row) => row.map(formatFraction))).toEqual([['1', '1', '1', '1', '1']]);
    expect(matricesEqual(algo.G, identity(5))).toBe(true);
    expect(matricesEqual(algo.BT, identity(5))).toBe(true);
    expect(winograd1D(1, 5)).toEqual(algo);
  });

  it('accepts points as numbers or strings and keeps them exact', () => {
    const a = cookToom(4, 3, ['0', 1, '-1', '0.5', -2]);
    expect(a.points.map(formatFraction)).toEqual(['0', '1', '-1', '1/2', '-2']);
  });

  it('rejects bad parameters with the parameter, value and rule', () => {
    expect(() => cookToom(0, 3, [])).toThrow('m: expected a positive integer, got 0');
    expect(() => cookToom(2, 2.5, [0, 1])).toThrow('r: expected a positive integer, got 2.5');
    expect(() => cookToom(4, 3, [0, 1, -1, 2])).toThrow('points: expected m + r - 2 = 5 points for F(4,3), got 4');
    expect(() => cookToom(4, 3, [0, 1, -1, 2, 1])).toThrow('points: 1 appears at indices 1 and 4 (interpolation points must be distinct)');
    expect(() => cookToom(2, 3, ['0', '1', 'x'])).toThrow('points[2]: expected a number or a fraction string like "1/2", got "x"');
    expect(() => cookToom(2, 3, [0, 1, Number.NaN])).toThrow('points[2]: expected a finite number, got NaN');
    expect(() => winograd1D(4, 3, 'nope')).toThrow(/F\(4,3\) variant 'nope': no such point set/);
  });

  it('builds frozen (immutable) algorithms', () => {
    const algo = winograd1D(4, 3);
    expect(Object.isFrozen(algo)).toBe(true);
    expect(Object.isFrozen(algo.G)).toBe(true);
    expect(Object.isFrozen(algo.G[0])).toBe(true);
  });
});
