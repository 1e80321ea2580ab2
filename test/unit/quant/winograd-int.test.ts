import { describe, expect, it } from 'vitest';
import type { ConvGeometry } from '../../../src/conv/types.ts';
import {
  exactWinogradBounds,
  exactWinogradConv,
  exactWinogradMaxChannels,
  exactWinogradWorstCase,
  integerWinograd,
  type IntRange,
} from '../../../src/quant/winograd-int.ts';
import { convIntegerReference } from '../../../src/reference/integer.ts';
import type { WinogradConvShape } from '../../../src/reference/winograd.ts';
import { type Winograd2D, winogradFromName } from '../../../src/winograd/index.ts';
import { mulberry32, randomInts } from '../helpers/rng.ts';

const F2 = winogradFromName('F(2x2,3x3)') as Winograd2D;
const I8: IntRange = [-128, 127];
const U8ZP: IntRange = [-255, 255];

function geometry(s: WinogradConvShape, k = 3): ConvGeometry {
  return {
    batch: s.batch,
    inChannels: s.inChannels,
    outChannels: s.outChannels,
    inHeight: s.inHeight,
    inWidth: s.inWidth,
    kernelH: k,
    kernelW: k,
    strides: [1, 1],
    pads: [...s.pads],
    dilations: [1, 1],
    groups: 1,
  };
}

describe('integer matrices of F(2x2,3x3), read from the exact rational source', () => {
  it("G' = 2G, Bᵀ and Aᵀ integer, S = 4", () => {
    const iw = integerWinograd(F2);
    expect(iw.h.G).toEqual([
      [2, 0, 0],
      [1, 1, 1],
      [1, -1, 1],
      [0, 0, 2],
    ]);
    expect(iw.h.BT).toEqual([
      [1, 0, -1, 0],
      [0, 1, 1, 0],
      [0, -1, 1, 0],
      [0, -1, 0, 1],
    ]);
    expect(iw.h.AT).toEqual([
      [1, 1, 1, 0],
      [0, 1, -1, 1],
    ]);
    expect(iw.scale).toBe(4);
    expect(integerWinograd(winogradFromName('F(2x1,3x3)') as Winograd2D).scale).toBe(2);
  });
  it('refuses algorithms whose Bᵀ is not integer, naming the entry', () => {
    expect(() => integerWinograd(winogradFromName('F(4x4,3x3)-alt') as Winograd2D)).toThrow(/(AT|BT)\[\d\]\[\d\] = "1\/2": must be an integer after scaling/);
  });
});

interface ExactCase {
  name: string;
  algo: string;
  shape: WinogradConvShape;
  x: [number, number];
  xZeroPoint: number;
  w: [number, number];
  wZeroPoint: number | number[];
}

const CASES: ExactCase[] = [
  { name: 'int8 x int8, c1 7x5 pad1', algo: 'F(2x2,3x3)', shape: { batch: 1, inHeight: 7, inWidth: 5, inChannels: 1, outChannels: 1, pads: [1, 1, 1, 1] }, x: [-128, 127], xZeroPoint: 0, w: [-128, 127], wZeroPoint: 0 },
  { name: 'uint8 zp 131 x int8 per-channel zp, c3 9x11 asym pads', algo: 'F(2x2,3x3)', shape: { batch: 1, inHeight: 9, inWidth: 11, inChannels: 3, outChannels: 4, pads: [2, 0, 1, 3] }, x: [0, 255], xZeroPoint: 131, w: [-128, 127], wZeroPoint: [0, -5, 7, 127] },
  { name: 'uint8 x uint8 zp, b2 c13 6x7 no pad', algo: 'F(2x2,3x3)', shape: { batch: 2, inHeight: 6, inWidth: 7, inChannels: 13, outChannels: 5, pads: [0, 0, 0, 0] }, x: [0, 255], xZeroPoint: 0, w: [0, 255], wZeroPoint: 128 },
  { name: 'int8 zp -128 (ReLU) x int8, c64 12x12 pad1', algo: 'F(2x2,3x3)', shape: { batch: 1, inHeight: 12, inWidth: 12, inChannels: 64, outChannels: 8, pads: [1, 1, 1, 1] }, x: [-128, 127], xZeroPoint: -128, w: [-128, 127], wZeroPoint: 0 },
  { name: 'F(2x1,3x3): uint8 zp 3 x int8, b2 c5 5x4 pad1', algo: 'F(2x1,3x3)', shape: { batch: 2, inHeight: 5, inWidth: 4, inChannels: 5, outChannels: 3, pads: [1, 1, 1, 1] }, x: [0, 255], xZeroPoint: 3, w: [-128, 127], wZeroPoint: [1, 2, 3] },
  { name: 'F(1x2,3x3): int8 x int8, c2 3x3 pad2', algo: 'F(1x2,3x3)', shape: { batch: 1, inHeight: 3, inWidth: 3, inChannels: 2, outChannels: 2, pads: [2, 2, 2, 2] }, x: [-128, 127], xZeroPoint: 0, w: [-128, 127], wZeroPoint: 0 },
];

describe('exactWinogradConv (int32 wrap-around pipeline) is bit-identical to convIntegerReference', () => {
  it.each(CASES)('$name', (c) => {
    const rng = mulberry32(1234);
    const algo = winogradFromName(c.algo) as Winograd2D;
    const s = c.shape;
    const input = randomInts(s.batch * s.inHeight * s.inWidth * s.inChannels, rng, c.x[0], c.x[1]);
    const weights = randomInts(s.outChannels * s.inChannels * 9, rng, c.w[0], c.w[1]);
    // include the extremes
    input[0] = c.x[0];
    input[1] = c.x[1];
    weights[0] = c.w[0];
    weights[1] = c.w[1];
    const got = exactWinogradConv({ input, weights, shape: s, xZeroPoint: c.xZeroPoint, wZeroPoint: c.wZeroPoint }, algo);
    const ref = convIntegerReference(geometry(s), { input, inputLayout: 'NHWC', weight: weights, weightLayout: 'OIHW', xZeroPoint: c.xZeroPoint, wZeroPoint: c.wZeroPoint });
    expect(got.outputShape).toEqual(ref.shape);
    expect(Array.from(got.output)).toEqual(Array.from(ref.data));
  });

  it("U' = 4·U exactly (the filter transform of the rational G times 4)", () => {
    const iw = integerWinograd(F2);
    const g = [3, -7, 11, 0, 5, -128, 127, 1, -2];
    const r = exactWinogradConv({ input: new Int32Array(16), weights: g, shape: { batch: 1, inHeight: 4, inWidth: 4, inChannels: 1, outChannels: 1, pads: [0, 0, 0, 0] } }, F2);
    const G = [
      [1, 0, 0],
      [0.5, 0.5, 0.5],
      [0.5, -0.5, 0.5],
      [0, 0, 1],
    ];
    for (let a = 0; a < 4; a++) {
      for (let b = 0; b < 4; b++) {
        let u = 0;
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) u += G[a][i] * g[i * 3 + j] * G[b][j];
        expect(r.U[a * 4 + b]).toBe(4 * u);
      }
    }
    expect(iw.h.G.flat().every(Number.isInteger)).toBe(true);
  });
});

describe('int32 overflow bounds of exact F(2x2,3x3)', () => {
  const table: [string, IntRange, IntRange, number][] = [
    ['int8 acts x int8 weights (zp 0)', I8, I8, 3640],
    ['uint8 acts with zp (x − x_zp in [−255, 255]) x int8 weights', U8ZP, I8, 1827],
    ['int8 acts x uint8 weights with zp', I8, U8ZP, 1827],
    ['uint8 x uint8, both with zp', U8ZP, U8ZP, 917],
    ['ReLU uint8 acts (zp 0) x int8 weights', [0, 255], I8, 1827],
  ];
  it.each(table)("%s: x' in %j, w' in %j → max C_in = %d", (_, xRange, wRange, want) => {
    expect(exactWinogradMaxChannels({ xRange, wRange })).toBe(want);
  });

  it('int8 x int8 binds at the accumulation of the centre tap (U\' = −1152 times V = −512), where the literature bound 3669 assumes |V| ≤ 508', () => {
    const b = exactWinogradBounds({ xRange: I8, wRange: I8 });
    expect(b.binding[0]).toMatchObject({ stage: 'accumulate', name: 'M[1][1]', min: -585216, max: 589824 });
    expect(Math.floor(2 ** 31 / (1152 * 508))).toBe(3669);
    expect(b.vRange).toEqual([-512, 510]);
    expect(b.uRange).toEqual([-1152, 1147]);
    // the output transform and Y' = 4·Y reach the same per-channel extreme, 4 · 9 · 128 · 128
    expect(b.binding.some((x) => x.name === "Y'[1][1]")).toBe(true);
    expect(b.wrapSafeMaxChannels).toBe(3640);
  });

  it('F(2x1,3x3) binds at the output (Y\' = 2·Y), not at the accumulation', () => {
    const b = exactWinogradBounds({ xRange: I8, wRange: I8, algo: winogradFromName('F(2x1,3x3)') as Winograd2D });
    expect(b.maxChannels).toBe(Math.floor((2 ** 31 - 1) / (2 * 9 * 128 * 128)));
    expect(b.binding.every((x) => x.stage === 'output-w' || x.stage === 'output-h')).toBe(true);
  });

  it('rejects bad ranges, naming the field', () => {
    expect(() => exactWinogradMaxChannels({ xRange: [5, 1], wRange: I8 })).toThrow(/xRange = .*: must be \[lo, hi\]: integers with lo <= hi/);
    expect(() => exactWinogradMaxChannels({ xRange: I8, wRange: [0.5, 2] })).toThrow(/wRange = .*: must be \[lo, hi\]/);
  });
});

/** All int32 intermediates of one tile with C identical channels, in BigInt, in the pipeline's order. */
function bigIntIntermediates(algoName: string, g: Int32Array, d: Int32Array, C: number): { max: bigint; min: bigint } {
  const iw = integerWinograd(winogradFromName(algoName) as Winograd2D);
  const { nh, nw, rh, rw, mh, mw } = iw.algo;
  let max = 0n;
  let min = 0n;
  const see = (v: bigint) => {
    if (v > max) max = v;
    if (v < min) min = v;
    return v;
  };
  const big = (m: number[][]) => m.map((r) => r.map(BigInt));
  const [Gh, Gw, Bh, Bw, Ah, Aw] = [iw.h.G, iw.w.G, iw.h.BT, iw.w.BT, iw.h.AT, iw.w.AT].map(big);
  // generic L · X · Rᵀ with every product and partial sum observed
  const t2 = (L: bigint[][], R: bigint[][], X: bigint[][]): bigint[][] => {
    const tmp = L.map((row) =>
      X[0].map((_, col) => {
        let acc = 0n;
        let first = true;
        row.forEach((c, i) => {
          if (c === 0n) return;
          const term = see(c * X[i][col]);
          acc = first ? term : see(acc + term);
          first = false;
        });
        return acc;
      }),
    );
    return tmp.map((trow) =>
      R.map((rrow) => {
        let acc = 0n;
        let first = true;
        rrow.forEach((c, j) => {
          if (c === 0n) return;
          const term = see(c * trow[j]);
          acc = first ? term : see(acc + term);
          first = false;
        });
        return acc;
      }),
    );
  };
  const gm = Array.from({ length: rh }, (_, i) => Array.from({ length: rw }, (_, j) => BigInt(g[i * rw + j])));
  const dm = Array.from({ length: nh }, (_, i) => Array.from({ length: nw }, (_, j) => BigInt(d[i * nw + j])));
  const U = t2(Gh, Gw, gm);
  const V = t2(Bh, Bw, dm);
  const M = U.map((row) => row.map(() => 0n));
  for (let c = 0; c < C; c++) {
    for (let a = 0; a < nh; a++) for (let b = 0; b < nw; b++) M[a][b] = see(M[a][b] + see(U[a][b] * V[a][b]));
  }
  const Y = t2(Ah, Aw, M);
  expect(Y.length).toBe(mh);
  expect(Y[0].length).toBe(mw);
  return { max, min };
}

describe('the bound is tight: the worst case fits at C = bound and overflows at bound + 1 (BigInt check)', () => {
  const I32_MAX = 2n ** 31n - 1n;
  const I32_MIN = -(2n ** 31n);
  const table: [string, IntRange, IntRange][] = [
    ['int8 x int8', I8, I8],
    ['uint8 zp x int8', U8ZP, I8],
    ['int8 x uint8 zp', I8, U8ZP],
    ['uint8 zp x uint8 zp', U8ZP, U8ZP],
    ['ReLU uint8 x int8', [0, 255], I8],
  ];
  it.each(table)('%s', (_, xRange, wRange) => {
    const wc = exactWinogradWorstCase({ xRange, wRange });
    expect(wc.channels).toBe(exactWinogradMaxChannels({ xRange, wRange }));
    const at = bigIntIntermediates('F(2x2,3x3)', wc.g, wc.d, wc.channels);
    expect(at.max <= I32_MAX && at.min >= I32_MIN).toBe(true);
    const over = bigIntIntermediates('F(2x2,3x3)', wc.g, wc.d, wc.channels + 1);
    expect(over.max > I32_MAX || over.min < I32_MIN).toBe(true);
  });

  function runTile(g: ArrayLike<number>, d: ArrayLike<number>, C: number) {
    const shape: WinogradConvShape = { batch: 1, inHeight: 4, inWidth: 4, inChannels: C, outChannels: 1, pads: [0, 0, 0, 0] };
    const input = new Int32Array(16 * C);
    const weights = new Int32Array(9 * C);
    for (let c = 0; c < C; c++) {
      for (let p = 0; p < 16; p++) input[p * C + c] = d[p];
      for (let p = 0; p < 9; p++) weights[c * 9 + p] = g[p];
    }
    const got = exactWinogradConv({ input, weights, shape }, F2);
    const ref = convIntegerReference(geometry(shape), { input, inputLayout: 'NHWC', weight: weights, weightLayout: 'OIHW' });
    return { got: Array.from(got.output), want: Array.from(ref.data) };
  }

  it('int8 x int8: the int32 pipeline matches convIntegerReference on the worst case at C = 3640', () => {
    const wc = exactWinogradWorstCase({ xRange: I8, wRange: I8 });
    const r = runTile(wc.g, wc.d, wc.channels);
    expect(r.got).toEqual(r.want);
  });

  it('int8 x int8 at C = 3641: an all −128 tile and filter makes Y\' = 4·Y exceed int32, and the pipeline is wrong', () => {
    const r = runTile(new Array(9).fill(-128), new Array(16).fill(-128), 3641);
    expect(4 * r.want[0]).toBeGreaterThan(2 ** 31 - 1);
    expect(r.got).not.toEqual(r.want);
    const ok = runTile(new Array(9).fill(-128), new Array(16).fill(-128), 3640);
    expect(ok.got).toEqual(ok.want);
  });

  it('wrap-around remark: at C = 3641 the centre-tap worst case overflows M, yet Y\' = 4·Y fits and the result is right', () => {
    const wc = exactWinogradWorstCase({ xRange: I8, wRange: I8 });
    const r = runTile(wc.g, wc.d, wc.channels + 1);
    expect(r.got).toEqual(r.want);
  });
});
