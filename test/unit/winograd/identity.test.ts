/**
 * DESIGN §4.2: every offered F(m, r) computes correlation EXACTLY, proven in rational arithmetic before
 * any WGSL uses it. Two independent checks per algorithm: random small integers through the literal
 * matrix formula, and the complete bilinear-form check on the canonical basis (`exactIdentityCheck`).
 */
import { describe, expect, it } from 'vitest';
import {
  type Winograd1D,
  type Winograd2D,
  cookToom,
  directAlgorithm,
  exactIdentityCheck,
  userTransform1D,
  transformsToJSON,
  winograd1D,
  winograd2D,
} from '../../../src/winograd/index.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { apply1DExact, apply2DExact, correlate1DExact, correlate2DExact, randomIntMatrix, randomInts } from './helpers.ts';

const TRIALS = 5;
const RANGE = 9;

const ALGOS_1D: readonly { label: string; algo: Winograd1D }[] = [
  { label: 'F(2,3)', algo: winograd1D(2, 3) },
  { label: 'F(4,3)', algo: winograd1D(4, 3) },
  { label: 'F(4,3)-alt', algo: winograd1D(4, 3, 'alt') },
  { label: 'F(6,3)', algo: winograd1D(6, 3) },
  { label: 'F(2,5)', algo: winograd1D(2, 5) },
  { label: 'F(4,5)', algo: winograd1D(4, 5) },
  { label: 'F(1,3)', algo: winograd1D(1, 3) },
  { label: 'F(1,5)', algo: winograd1D(1, 5) },
];

const d = (m: number, r: number, variant = 'default') => winograd1D(m, r, variant);
const ALGOS_2D: readonly { label: string; algo: Winograd2D }[] = [
  { label: 'F(2x2,3x3)', algo: winograd2D(d(2, 3), d(2, 3)) },
  { label: 'F(4x4,3x3)', algo: winograd2D(d(4, 3), d(4, 3)) },
  { label: 'F(4x4,3x3)-alt', algo: winograd2D(d(4, 3, 'alt'), d(4, 3, 'alt')) },
  { label: 'F(6x6,3x3)', algo: winograd2D(d(6, 3), d(6, 3)) },
  { label: 'F(2x2,5x5)', algo: winograd2D(d(2, 5), d(2, 5)) },
  { label: 'F(4x4,5x5)', algo: winograd2D(d(4, 5), d(4, 5)) },
  { label: 'F(2x1,3x3)', algo: winograd2D(d(2, 3), directAlgorithm(3)) },
  { label: 'F(1x2,3x3)', algo: winograd2D(directAlgorithm(3), d(2, 3)) },
  { label: 'F(4x1,3x3)', algo: winograd2D(d(4, 3), directAlgorithm(3)) },
  { label: 'F(1x4,3x3)', algo: winograd2D(directAlgorithm(3), d(4, 3)) },
];

/** Random-integer identity check; returns the first failing trial's description, or '' when all pass. */
function firstMismatch1D(algo: Winograd1D, seed: number): string {
  const rand = mulberry32(seed);
  for (let trial = 0; trial < TRIALS; trial++) {
    const g = randomInts(rand, algo.r, RANGE);
    const data = randomInts(rand, algo.n, RANGE);
    const got = apply1DExact(algo, g, data);
    const want = correlate1DExact(g, data, algo.m);
    if (got.join() !== want.join()) {
      return `${algo.name} seed ${seed} trial ${trial}: g=[${g}] d=[${data}] got [${got}] want [${want}]`;
    }
  }
  return '';
}

function firstMismatch2D(algo: Winograd2D, seed: number): string {
  const rand = mulberry32(seed);
  for (let trial = 0; trial < TRIALS; trial++) {
    const g = randomIntMatrix(rand, algo.rh, algo.rw, RANGE);
    const data = randomIntMatrix(rand, algo.nh, algo.nw, RANGE);
    const got = apply2DExact(algo, g, data);
    const want = correlate2DExact(g, data, algo.mh, algo.mw);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      return `${algo.name} seed ${seed} trial ${trial}: g=${JSON.stringify(g)} d=${JSON.stringify(data)} got ${JSON.stringify(got)} want ${JSON.stringify(want)}`;
    }
  }
  return '';
}

describe('exact identity, 1-D: AT[(G g) ⊙ (BT d)] = correlation', () => {
  ALGOS_1D.forEach(({ label, algo }, i) => {
    it(`${label} (n = ${algo.n}) on random integers, ${TRIALS} trials`, () => {
      expect(algo.name).toBe(label);
      expect(firstMismatch1D(algo, 1000 + i)).toBe('');
    });
    it(`${label} on the complete canonical basis`, () => {
      const result = exactIdentityCheck(algo);
      expect(result.worst).toBe('');
      expect(result.exact).toBe(true);
    });
  });
});

describe('exact identity, 2-D nested: AhT[(Gh g GwT) ⊙ (BhT d Bw)]Aw = 2-D correlation', () => {
  ALGOS_2D.forEach(({ label, algo }, i) => {
    it(`${label} (tile ${algo.nh}x${algo.nw}) on random integers, ${TRIALS} trials`, () => {
      expect(algo.name).toBe(label);
      expect(firstMismatch2D(algo, 2000 + i)).toBe('');
    });
    it(`${label} on the complete canonical basis`, () => {
      expect(exactIdentityCheck(algo).exact).toBe(true);
    });
  });

  it('non-square pairings are exact too (F(2x4,5x3), F(6x2,3x3))', () => {
    expect(firstMismatch2D(winograd2D(d(2, 5), d(4, 3)), 3001)).toBe('');
    expect(firstMismatch2D(winograd2D(d(6, 3), d(2, 3)), 3002)).toBe('');
  });
});

describe('the identity checks can fail', () => {
  /** F(4,3) with G[3][1] changed from 1/12 to 1/13. */
  function corruptedF43(): Winograd1D {
    const json = transformsToJSON(winograd1D(4, 3));
    const G = json.G.map((row) => [...row]);
    G[3][1] = '1/13';
    return userTransform1D({ AT: json.AT, G, BT: json.BT }, { m: 4, r: 3, name: 'F(4,3)-corrupt' });
  }

  it('a single corrupted entry fails the random-integer check', () => {
    expect(firstMismatch1D(corruptedF43(), 1001)).toMatch(/^F\(4,3\)-corrupt seed 1001 trial 0: /);
  });

  it('a single corrupted entry fails the canonical-basis check, naming the coefficient', () => {
    const result = exactIdentityCheck(corruptedF43());
    expect(result.exact).toBe(false);
    expect(result.maxDefect.toFraction()).not.toBe('0');
    expect(result.worst).toMatch(/^y\[\d\] coefficient of g\[1\]·d\[\d\]: got .+, expected [01]$/);
  });

  it('a corrupted side fails the 2-D checks', () => {
    const algo = winograd2D(winograd1D(4, 3), corruptedF43());
    expect(firstMismatch2D(algo, 2001)).not.toBe('');
    expect(exactIdentityCheck(algo).exact).toBe(false);
  });

  it("wincnn's F(2,3) AT with the paper's BT last row [0, 1, 0, -1] is not an algorithm (sign conventions pair up)", () => {
    const ok = winograd1D(2, 3);
    const json = transformsToJSON(ok);
    const BT = json.BT.map((row) => [...row]);
    BT[3] = ['0', '1', '0', '-1'];
    const mixed = userTransform1D({ AT: json.AT, G: json.G, BT }, { m: 2, r: 3 });
    expect(exactIdentityCheck(mixed).exact).toBe(false);
    // With the paper's AT (last entry -1) the pairing is consistent again.
    const AT = json.AT.map((row) => [...row]);
    AT[1][3] = '-1';
    expect(exactIdentityCheck(userTransform1D({ AT, G: json.G, BT }, { m: 2, r: 3 })).exact).toBe(true);
  });

  it('arbitrary distinct points give exact algorithms (F(4,3) at 0, 1, -1, 3, -1/3)', () => {
    const algo = cookToom(4, 3, ['0', '1', '-1', '3', '-1/3']);
    expect(firstMismatch1D(algo, 77)).toBe('');
    expect(exactIdentityCheck(algo).exact).toBe(true);
  });
});
