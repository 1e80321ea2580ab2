/**
 * Test helpers for the Winograd tests: exact rational application of an algorithm, direct correlation
 * (exact and float64), and seeded random data.
 */
import {
  Fraction,
  type RationalMatrix,
  type Winograd1D,
  type Winograd2D,
  formatFraction,
  hadamard,
  matMul,
  matrixFrom,
  transpose,
} from '../../../src/winograd/index.ts';

/** Random integers in [-range, range]. */
export function randomInts(rand: () => number, count: number, range: number): number[] {
  return Array.from({ length: count }, () => Math.floor(rand() * (2 * range + 1)) - range);
}

export function randomIntMatrix(rand: () => number, rows: number, cols: number, range: number): number[][] {
  return Array.from({ length: rows }, () => randomInts(rand, cols, range));
}

/** Uniform floats in [-1, 1). */
export function randomFloats(rand: () => number, count: number): Float64Array {
  return Float64Array.from({ length: count }, () => 2 * rand() - 1);
}

/** Y = AT · [(G · g) ⊙ (BT · d)] in exact arithmetic, as fraction strings. */
export function apply1DExact(algo: Winograd1D, g: readonly number[], d: readonly number[]): string[] {
  const U = matMul(algo.G, matrixFrom(g.map((v) => [v])));
  const V = matMul(algo.BT, matrixFrom(d.map((v) => [v])));
  return matMul(algo.AT, hadamard(U, V)).map((row) => formatFraction(row[0]));
}

/** y_i = Σ_k g_k d_{i+k} in exact arithmetic, as fraction strings. */
export function correlate1DExact(g: readonly number[], d: readonly number[], m: number): string[] {
  return Array.from({ length: m }, (_, i) =>
    formatFraction(g.reduce((acc, gk, k) => acc.add(new Fraction(gk).mul(d[i + k])), new Fraction(0))),
  );
}

/** Y = AhT · [(Gh g GwT) ⊙ (BhT d Bw)] · Aw in exact arithmetic, as fraction strings. */
export function apply2DExact(algo: Winograd2D, g: readonly (readonly number[])[], d: readonly (readonly number[])[]): string[][] {
  const { h, w } = algo;
  const U: RationalMatrix = matMul(matMul(h.G, matrixFrom(g)), transpose(w.G));
  const V: RationalMatrix = matMul(matMul(h.BT, matrixFrom(d)), transpose(w.BT));
  const Y = matMul(matMul(h.AT, hadamard(U, V)), transpose(w.AT));
  return Y.map((row) => row.map(formatFraction));
}

/** y[i][j] = Σ_{k,l} g[k][l] d[i+k][j+l] in exact arithmetic, as fraction strings. */
export function correlate2DExact(
  g: readonly (readonly number[])[],
  d: readonly (readonly number[])[],
  mh: number,
  mw: number,
): string[][] {
  return Array.from({ length: mh }, (_, i) =>
    Array.from({ length: mw }, (_, j) => {
      let acc = new Fraction(0);
      g.forEach((row, k) => row.forEach((gkl, l) => (acc = acc.add(new Fraction(gkl).mul(d[i + k][j + l])))));
      return formatFraction(acc);
    }),
  );
}

export interface DirectResult {
  /** NHWC [N, outH, outW, O] */
  readonly output: Float64Array;
  /** Σ |x · w| per output element (the scale of the rounding error of any summation order). */
  readonly absSum: Float64Array;
  readonly outHeight: number;
  readonly outWidth: number;
}

/** Straightforward float64 correlation: NHWC input, OIHW weights, stride 1, dilation 1, zero padding. */
export function directConv(
  input: ArrayLike<number>,
  weights: ArrayLike<number>,
  s: { batch: number; inHeight: number; inWidth: number; inChannels: number; outChannels: number; pads: readonly number[] },
  kh: number,
  kw: number,
): DirectResult {
  const [top, left, bottom, right] = s.pads;
  const { batch, inHeight: H, inWidth: W, inChannels: C, outChannels: O } = s;
  const outHeight = H + top + bottom - kh + 1;
  const outWidth = W + left + right - kw + 1;
  const output = new Float64Array(batch * outHeight * outWidth * O);
  const absSum = new Float64Array(output.length);
  for (let n = 0; n < batch; n++)
    for (let oy = 0; oy < outHeight; oy++)
      for (let ox = 0; ox < outWidth; ox++)
        for (let o = 0; o < O; o++) {
          let acc = 0;
          let abs = 0;
          for (let c = 0; c < C; c++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const y = oy + ky - top;
                const x = ox + kx - left;
                if (y < 0 || y >= H || x < 0 || x >= W) continue;
                const p = input[((n * H + y) * W + x) * C + c] * weights[((o * C + c) * kh + ky) * kw + kx];
                acc += p;
                abs += Math.abs(p);
              }
          const idx = ((n * outHeight + oy) * outWidth + ox) * O + o;
          output[idx] = acc;
          absSum[idx] = abs;
        }
  return { output, absSum, outHeight, outWidth };
}
