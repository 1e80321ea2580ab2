/**
 * The staged Winograd CPU reference (src/reference/winograd.ts) against a straightforward float64 direct
 * correlation, on ugly shapes (DESIGN §4.4), plus per-stage checks against exact rational transforms.
 *
 * Error scale. A Winograd output's rounding error comes from every input its tile reads, not only from its
 * own window, so the scale used here is the tile scale: S = max over the outputs of the same tile and
 * output channel of Σ|x·w| (an output whose own window is all padding can still pick up rounding noise
 * from its tile neighbours).
 *   f64 vs direct: |y − y_direct| ≤ 1e-12 · S. Measured ≤ 7e-15 · S (F(6x6,3x3)).
 *   f32 vs f64:    |y32 − y64| ≤ 4 · (E / (rh·rw)) · 2⁻²⁴ · S, with E = transformErrorScale(algo).
 *     Measured max |y32 − y64| / (2⁻²⁴ · S) on these shapes (C ≤ 64): F(2x2,3x3) 3.0, F(4x4,3x3) 16.6,
 *     F(4x4,3x3)-alt 16.7, F(6x6,3x3) 49, F(2x1,3x3) 1.9, F(2x2,5x5) 13, F(4x4,5x5) 33; E / (rh·rw) is
 *     7.1, 256, 97, 509, 2.7, 133, 301, so the tightest case (F(2x1,3x3), 0.7) keeps a 5x margin.
 */
import { describe, expect, it } from 'vitest';
import {
  type Winograd2D,
  directAlgorithm,
  matMul,
  matrixFrom,
  toFloat64,
  transformErrorScale,
  transpose,
  winograd1D,
  winograd2D,
} from '../../../src/winograd/index.ts';
import {
  type WinogradConvShape,
  winogradConvReference,
  winogradFilterTransform,
  winogradInputTransform,
  winogradOutputTransform,
  winogradTapProducts,
  winogradTiling,
} from '../../../src/reference/winograd.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { type DirectResult, directConv, randomFloats, randomInts } from './helpers.ts';

const sq = (m: number, r: number, variant = 'default') => winograd2D(winograd1D(m, r, variant), winograd1D(m, r, variant));

const ALGOS: readonly Winograd2D[] = [
  sq(2, 3),
  sq(4, 3),
  sq(4, 3, 'alt'),
  sq(6, 3),
  winograd2D(winograd1D(2, 3), directAlgorithm(3)),
  winograd2D(directAlgorithm(3), winograd1D(2, 3)),
  sq(2, 5),
  sq(4, 5),
];

interface ShapeCase {
  readonly name: string;
  readonly shape: WinogradConvShape;
}

const SHAPES: readonly ShapeCase[] = [
  { name: 'N1 7x9 C1 O2 pads 1,1,1,1', shape: { batch: 1, inHeight: 7, inWidth: 9, inChannels: 1, outChannels: 2, pads: [1, 1, 1, 1] } },
  { name: 'N2 11x5 C3 O4 pads 2,0,1,3', shape: { batch: 2, inHeight: 11, inWidth: 5, inChannels: 3, outChannels: 4, pads: [2, 0, 1, 3] } },
  { name: 'N2 9x10 C13 O5 pads 0,1,2,0', shape: { batch: 2, inHeight: 9, inWidth: 10, inChannels: 13, outChannels: 5, pads: [0, 1, 2, 0] } },
  { name: 'N2 13x6 C13 O3 no pads', shape: { batch: 2, inHeight: 13, inWidth: 6, inChannels: 13, outChannels: 3, pads: [0, 0, 0, 0] } },
  { name: 'N1 1x1 C3 O2 pads 2,2,2,2', shape: { batch: 1, inHeight: 1, inWidth: 1, inChannels: 3, outChannels: 2, pads: [2, 2, 2, 2] } },
  { name: 'N1 16x15 C64 O4 pads 1,2,1,2', shape: { batch: 1, inHeight: 16, inWidth: 15, inChannels: 64, outChannels: 4, pads: [1, 2, 1, 2] } },
];

function outputFits(algo: Winograd2D, s: WinogradConvShape): boolean {
  return s.inHeight + s.pads[0] + s.pads[2] >= algo.rh && s.inWidth + s.pads[1] + s.pads[3] >= algo.rw;
}

/** Per output: max Σ|x·w| over the outputs of the same tile and output channel (see the file comment). */
function tileScale(algo: Winograd2D, s: WinogradConvShape, ref: DirectResult): Float64Array {
  const { outHeight: OH, outWidth: OW } = ref;
  const O = s.outChannels;
  const scale = new Float64Array(ref.absSum.length);
  for (let n = 0; n < s.batch; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let o = 0; o < O; o++) {
          const y0 = oy - (oy % algo.mh);
          const x0 = ox - (ox % algo.mw);
          let max = 0;
          for (let y = y0; y < Math.min(y0 + algo.mh, OH); y++)
            for (let x = x0; x < Math.min(x0 + algo.mw, OW); x++) max = Math.max(max, ref.absSum[((n * OH + y) * OW + x) * O + o]);
          scale[((n * OH + oy) * OW + ox) * O + o] = max;
        }
  return scale;
}

/** First index where |a − b| > bound · scale (NaN fails), described; '' when none. */
function firstViolation(a: Float64Array, b: Float64Array, scale: Float64Array, bound: number): string {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i] - b[i]);
    if (!(diff <= bound * scale[i])) return `index ${i}: ${a[i]} vs ${b[i]} (|diff| ${diff}, allowed ${bound * scale[i]})`;
  }
  return '';
}

describe('staged Winograd reference vs float64 direct correlation', () => {
  ALGOS.forEach((algo, ai) => {
    SHAPES.filter((c) => outputFits(algo, c.shape)).forEach((c, si) => {
      const seed = 100 * ai + si + 1;
      const label = `${algo.name} ${c.name} seed ${seed}`;
      it(label, () => {
        const s = c.shape;
        const rand = mulberry32(seed);
        const x = randomFloats(rand, s.batch * s.inHeight * s.inWidth * s.inChannels);
        const w = randomFloats(rand, s.outChannels * s.inChannels * algo.rh * algo.rw);
        const ref = directConv(x, w, s, algo.rh, algo.rw);
        const scale = tileScale(algo, s, ref);

        const y64 = winogradConvReference(algo, x, w, s, 'f64');
        expect(y64.outputShape, label).toEqual([s.batch, ref.outHeight, ref.outWidth, s.outChannels]);
        expect(firstViolation(y64.output, ref.output, scale, 1e-12), `${label} f64`).toBe('');

        const y32 = winogradConvReference(algo, x, w, s, 'f32');
        const bound = 4 * (transformErrorScale(algo) / (algo.rh * algo.rw)) * 2 ** -24;
        expect(firstViolation(y32.output, y64.output, scale, bound), `${label} f32`).toBe('');
        for (const arr of [y32.U, y32.V, y32.M, y32.output]) expect(arr.every((v) => Math.fround(v) === v), `${label} f32 values`).toBe(true);
      });
    });
  });

  it('f32 mode is exact on small integers when every constant is dyadic (F(2x2,3x3), F(2x1,3x3))', () => {
    const s: WinogradConvShape = { batch: 2, inHeight: 7, inWidth: 5, inChannels: 3, outChannels: 2, pads: [1, 0, 2, 1] };
    for (const algo of [ALGOS[0], ALGOS[4]]) {
      const rand = mulberry32(5);
      const x = randomInts(rand, s.batch * s.inHeight * s.inWidth * s.inChannels, 8);
      const w = randomInts(rand, s.outChannels * s.inChannels * 9, 8);
      expect(Array.from(winogradConvReference(algo, x, w, s, 'f32').output), algo.name).toEqual(Array.from(directConv(x, w, s, 3, 3).output));
    }
  });
});

describe('Winograd reference stages', () => {
  const F44 = sq(4, 3);

  it('tiling: output size, tile grid and tile count', () => {
    const t = winogradTiling(F44, { batch: 2, inHeight: 11, inWidth: 5, inChannels: 3, outChannels: 4, pads: [2, 0, 1, 3] });
    expect(t).toMatchObject({ outHeight: 12, outWidth: 6, tilesH: 3, tilesW: 2, tiles: 12, taps: 36, mh: 4, mw: 4, nh: 6, nw: 6 });
  });

  it('filter transform: U[ξ][c][o] = Gh g GwT (exact for F(2x2,3x3), 1e-15 relative for F(6x6,3x3))', () => {
    for (const algo of [sq(2, 3), sq(6, 3)]) {
      const [O, C] = [3, 2];
      const rand = mulberry32(21);
      const w = randomInts(rand, O * C * 9, 9);
      const U = winogradFilterTransform(algo, w, O, C, 'f64');
      for (let o = 0; o < O; o++)
        for (let c = 0; c < C; c++) {
          const g = Array.from({ length: 3 }, (_, i) => w.slice(((o * C + c) * 3 + i) * 3, ((o * C + c) * 3 + i) * 3 + 3));
          const exact = toFloat64(matMul(matMul(algo.h.G, matrixFrom(g)), transpose(algo.w.G))).flat();
          exact.forEach((v, xi) => {
            const got = U[(xi * C + c) * O + o];
            expect(Math.abs(got - v), `${algo.name} o=${o} c=${c} ξ=${xi}`).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(v)) * 10);
            if (algo.mh === 2) expect(got).toBe(v);
          });
        }
    }
  });

  it('input transform: V[ξ][t][c] = BhT d Bw of the zero-padded tile window, tiles t = ((n·tilesH)+th)·tilesW+tw', () => {
    const s: WinogradConvShape = { batch: 2, inHeight: 7, inWidth: 9, inChannels: 3, outChannels: 1, pads: [1, 2, 0, 1] };
    const t = winogradTiling(F44, s);
    const rand = mulberry32(31);
    const x = randomInts(rand, s.batch * s.inHeight * s.inWidth * s.inChannels, 9);
    const V = winogradInputTransform(F44, x, s, 'f64');
    for (const [n, th, tw] of [[0, 0, 0], [1, t.tilesH - 1, t.tilesW - 1], [1, 0, 1]]) {
      const tile = (n * t.tilesH + th) * t.tilesW + tw;
      for (let c = 0; c < s.inChannels; c++) {
        const d = Array.from({ length: 6 }, (_, a) =>
          Array.from({ length: 6 }, (_, b) => {
            const y = th * 4 - s.pads[0] + a;
            const xx = tw * 4 - s.pads[1] + b;
            return y >= 0 && y < s.inHeight && xx >= 0 && xx < s.inWidth ? x[((n * s.inHeight + y) * s.inWidth + xx) * s.inChannels + c] : 0;
          }),
        );
        const exact = toFloat64(matMul(matMul(F44.h.BT, matrixFrom(d)), transpose(F44.w.BT))).flat();
        const got = exact.map((_, xi) => V[(xi * t.tiles + tile) * s.inChannels + c]);
        expect(got, `n=${n} th=${th} tw=${tw} c=${c}`).toEqual(exact);
      }
    }
  });

  it('input transform touches exactly the tiles whose window holds a given pixel', () => {
    const s: WinogradConvShape = { batch: 2, inHeight: 9, inWidth: 9, inChannels: 1, outChannels: 1, pads: [1, 1, 1, 1] };
    const t = winogradTiling(F44, s);
    const x = new Float64Array(2 * 9 * 9);
    x[(1 * 9 + 4) * 9 + 8] = 1; // n = 1, y = 4, x = 8
    const V = winogradInputTransform(F44, x, s, 'f64');
    const touched = new Set<number>();
    for (let xi = 0; xi < t.taps; xi++) for (let tile = 0; tile < t.tiles; tile++) if (V[xi * t.tiles + tile] !== 0) touched.add(tile);
    // Padded row 5 lies in the windows of tile rows 0 (rows 0-5) and 1 (rows 4-9); padded column 9 in tile
    // columns 1 (4-9) and 2 (8-13).
    const expected = [[1, 1], [1, 2], [2, 1], [2, 2]].map(([th, tw]) => (1 * t.tilesH + th - 1) * t.tilesW + tw);
    expect([...touched].sort((a, b) => a - b)).toEqual(expected);
  });

  it('tap products and output transform: M[ξ][t][o] = Σ_c V·U, then AhT M Aw cropped', () => {
    const s: WinogradConvShape = { batch: 1, inHeight: 6, inWidth: 6, inChannels: 2, outChannels: 2, pads: [0, 0, 0, 0] };
    const algo = sq(2, 3);
    const t = winogradTiling(algo, s);
    const rand = mulberry32(41);
    const x = randomInts(rand, 36 * 2, 5);
    const w = randomInts(rand, 2 * 2 * 9, 5);
    const U = winogradFilterTransform(algo, w, 2, 2);
    const V = winogradInputTransform(algo, x, s);
    const M = winogradTapProducts(algo, U, V, s);
    const [xi, tile, o] = [5, 3, 1];
    const v = (c: number) => V[(xi * t.tiles + tile) * 2 + c];
    const u = (c: number) => U[(xi * 2 + c) * 2 + o];
    expect(M[(xi * t.tiles + tile) * 2 + o]).toBe(v(0) * u(0) + v(1) * u(1));
    expect(Array.from(winogradOutputTransform(algo, M, s))).toEqual(Array.from(directConv(x, w, s, 3, 3).output));
  });

  it('rejects bad arguments naming the parameter, value and rule', () => {
    const s: WinogradConvShape = { batch: 1, inHeight: 4, inWidth: 4, inChannels: 2, outChannels: 1, pads: [0, 0, 0, 0] };
    expect(() => winogradInputTransform(F44, new Float64Array(31), s)).toThrow('input: expected 32 values (NHWC 1x4x4x2), got 31');
    expect(() => winogradFilterTransform(F44, new Float64Array(17), 1, 2)).toThrow('weights: expected 18 values (OIHW 1x2x3x3), got 17');
    expect(() => winogradTiling(F44, { ...s, inChannels: 0 })).toThrow('shape.inChannels: expected an integer >= 1, got 0');
    expect(() => winogradTiling(F44, { ...s, pads: [0, -1, 0, 0] })).toThrow('shape.pads[1]: expected an integer >= 0, got -1');
    expect(() => winogradTiling(F44, { ...s, inHeight: 1 })).toThrow(/^shape: output would be -1x2 /);
    expect(() => winogradConvReference(F44, new Float64Array(32), new Float64Array(18), s, 'f16' as 'f32')).toThrow(
      `mode: expected 'f64' or 'f32', got "f16"`,
    );
    expect(() => winogradTiling(winograd1D(4, 3) as unknown as Winograd2D, s)).toThrow('algo: expected a 2-D Winograd algorithm (winograd2D), got F(4,3)');
  });
});
