/**
 * Checks and error measures for Winograd algorithms: an exact proof of the correlation identity, its
 * float64 residual (for user transforms that are not exact), and a scalar error-amplification bound.
 *
 * The algorithm is bilinear in (g, d), so checking every pair of canonical basis vectors (g = e_q,
 * d = e_p) covers every input: the outputs for that pair are the coefficients of g_q·d_p in each y_i.
 */
import { Fraction, ONE, ZERO, fractionToFloat64 } from './rational.ts';
import type { RationalMatrix } from './rational-matrix.ts';
import { toFloat64 } from './float.ts';
import type { Winograd1D, Winograd2D } from './types.ts';

/**
 * T[i][q][p] = Σ_j AT[i][j]·G[j][q]·BT[j][p]: the coefficient of g_q·d_p in output i. An exact
 * algorithm has T[i][q][p] = 1 when p = i + q and 0 otherwise.
 */
function bilinearTensor(algo: Winograd1D): Fraction[][][] {
  const { m, r, n, AT, G, BT } = algo;
  return Array.from({ length: m }, (_, i) =>
    Array.from({ length: r }, (_, q) =>
      Array.from({ length: n }, (_, p) => {
        let acc = ZERO;
        for (let j = 0; j < n; j++) {
          if (AT[i][j].n !== 0n && G[j][q].n !== 0n && BT[j][p].n !== 0n) acc = acc.add(AT[i][j].mul(G[j][q]).mul(BT[j][p]));
        }
        return acc;
      }),
    ),
  );
}

export interface ExactIdentityResult {
  /** True when the algorithm computes correlation exactly for every input. */
  readonly exact: boolean;
  /** Largest |coefficient − expected| over outputs and basis pairs (0 when exact). */
  readonly maxDefect: Fraction;
  /** Where the largest defect is, e.g. "y[1] coefficient of g[2]·d[3]: got 0, expected 1"; empty when exact. */
  readonly worst: string;
}

/**
 * Proves (or refutes) in exact arithmetic that the algorithm computes correlation: every coefficient of
 * the bilinear form is compared with that of direct correlation. For 2-D nested algorithms the coefficient
 * of g[q][q']·d[p][p'] in y[i][i'] is Th[i][q][p]·Tw[i'][q'][p'].
 */
export function exactIdentityCheck(algo: Winograd1D | Winograd2D): ExactIdentityResult {
  let maxDefect = ZERO;
  let worst = '';
  const note = (defect: Fraction, describe: () => string) => {
    if (defect.abs().gt(maxDefect)) {
      maxDefect = defect.abs();
      worst = describe();
    }
  };
  if (algo.dims === 1) {
    const t = bilinearTensor(algo);
    for (let i = 0; i < algo.m; i++) {
      for (let q = 0; q < algo.r; q++) {
        for (let p = 0; p < algo.n; p++) {
          const expected = p === i + q ? ONE : ZERO;
          note(t[i][q][p].sub(expected), () => `y[${i}] coefficient of g[${q}]·d[${p}]: got ${t[i][q][p].toFraction()}, expected ${expected.toFraction()}`);
        }
      }
    }
  } else {
    const th = bilinearTensor(algo.h);
    const tw = bilinearTensor(algo.w);
    for (let i = 0; i < algo.mh; i++)
      for (let i2 = 0; i2 < algo.mw; i2++)
        for (let q = 0; q < algo.rh; q++)
          for (let q2 = 0; q2 < algo.rw; q2++)
            for (let p = 0; p < algo.nh; p++)
              for (let p2 = 0; p2 < algo.nw; p2++) {
                const got = th[i][q][p].mul(tw[i2][q2][p2]);
                const expected = p === i + q && p2 === i2 + q2 ? ONE : ZERO;
                note(
                  got.sub(expected),
                  () => `y[${i}][${i2}] coefficient of g[${q}][${q2}]·d[${p}][${p2}]: got ${got.toFraction()}, expected ${expected.toFraction()}`,
                );
              }
  }
  return Object.freeze({ exact: maxDefect.n === 0n, maxDefect, worst });
}

function matMulF64(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number[][] {
  return a.map((row) =>
    Array.from({ length: b[0].length }, (_, j) => {
      let acc = 0;
      for (let k = 0; k < row.length; k++) acc += row[k] * b[k][j];
      return acc;
    }),
  );
}

function transposeF64(a: readonly (readonly number[])[]): number[][] {
  return a[0].map((_, j) => a.map((row) => row[j]));
}

function basisMatrix(rows: number, cols: number, i: number, j: number): number[][] {
  return Array.from({ length: rows }, (_, a) => Array.from({ length: cols }, (_, b) => (a === i && b === j ? 1 : 0)));
}

/**
 * max |Winograd(d, g) − correlation(d, g)| in float64 over all canonical basis pairs (g = e_q, d = e_p),
 * the algorithm evaluated as written (dense float64 matrix products). About 1e-16 for an exact algorithm
 * whose constants are not all dyadic; larger for an inexact (e.g. learned) one.
 */
export function identityResidual(algo: Winograd1D | Winograd2D): number {
  const h = algo.dims === 1 ? algo : algo.h;
  const AhT = toFloat64(h.AT);
  const Gh = toFloat64(h.G);
  const BhT = toFloat64(h.BT);
  // A 1-D algorithm is the 2-D one with the 1×1 identity along W.
  const one = [[1]];
  const AwT = algo.dims === 1 ? one : toFloat64(algo.w.AT);
  const Gw = algo.dims === 1 ? one : toFloat64(algo.w.G);
  const BwT = algo.dims === 1 ? one : toFloat64(algo.w.BT);
  const [mh, rh, nh] = [h.m, h.r, h.n];
  const [mw, rw, nw] = algo.dims === 1 ? [1, 1, 1] : [algo.w.m, algo.w.r, algo.w.n];
  const GwT = transposeF64(Gw);
  const Bw = transposeF64(BwT);
  const Aw = transposeF64(AwT);
  let worst = 0;
  for (let q = 0; q < rh; q++)
    for (let q2 = 0; q2 < rw; q2++) {
      const g = basisMatrix(rh, rw, q, q2);
      const U = matMulF64(matMulF64(Gh, g), GwT);
      for (let p = 0; p < nh; p++)
        for (let p2 = 0; p2 < nw; p2++) {
          const d = basisMatrix(nh, nw, p, p2);
          const V = matMulF64(matMulF64(BhT, d), Bw);
          const M = U.map((row, a) => row.map((u, b) => u * V[a][b]));
          const Y = matMulF64(matMulF64(AhT, M), Aw);
          for (let i = 0; i < mh; i++)
            for (let i2 = 0; i2 < mw; i2++) {
              const expected = p === i + q && p2 === i2 + q2 ? 1 : 0;
              const diff = Math.abs(Y[i][i2] - expected);
              worst = Number.isNaN(diff) ? NaN : Math.max(worst, diff);
            }
        }
    }
  return worst;
}

function rowAbsSum(row: readonly Fraction[]): Fraction {
  return row.reduce((acc, v) => acc.add(v.abs()), ZERO);
}

function errorScale1D(AT: RationalMatrix, G: RationalMatrix, BT: RationalMatrix): Fraction {
  const gNorm = G.map(rowAbsSum);
  const bNorm = BT.map(rowAbsSum);
  let best = ZERO;
  for (const row of AT) {
    const s = row.reduce((acc, a, j) => acc.add(a.abs().mul(gNorm[j]).mul(bNorm[j])), ZERO);
    if (s.gt(best)) best = s;
  }
  return best;
}

/**
 * Error-amplification scale E of the transforms, a float64 scalar:
 *   1-D: E = max_i Σ_j |AT[i][j]| · ‖G[j,:]‖₁ · ‖BT[j,:]‖₁,
 *   2-D: E = E_h · E_w (the nested algorithm's bound factorizes exactly).
 * It bounds the magnitude of the terms that the algorithm sums into one output when |g|, |d| ≤ 1, with
 * no cancellation credited, i.e. how large the intermediate values that rounding acts on can get.
 * Direct correlation has E = r (1-D) or rh·rw (2-D), so E / (rh·rw) is the amplification over direct.
 * Computed exactly, rounded once to float64. Values: F(2,3) 8, F(4,3) 48, F(4,3)-alt 29.6, F(6,3) 67.67,
 * F(2,5) 57.67, F(4,5) 86.78, F(1,r) r; F(2x2,3x3) 64, F(4x4,3x3) 2304, F(6x6,3x3) 4578.8.
 */
export function transformErrorScale(algo: Winograd1D | Winograd2D): number {
  if (algo.dims === 1) return fractionToFloat64(errorScale1D(algo.AT, algo.G, algo.BT));
  const eh = errorScale1D(algo.h.AT, algo.h.G, algo.h.BT);
  const ew = errorScale1D(algo.w.AT, algo.w.G, algo.w.BT);
  return fractionToFloat64(eh.mul(ew));
}
