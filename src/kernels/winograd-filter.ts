/**
 * Winograd filter transform, done once on the CPU when a plan is created (never per call):
 *   U[ξ][c][o] = (Gh · g[o][c] · GwT)[ξ]
 * evaluated in float64 from the algorithm's exact matrices (each entry rounded once to float64; user
 * transforms are held at the exact value of their float entries) and rounded once to float32, packed into
 * the GEMM-B layout U[ξ][C4·4][O4] (array<vec4<f32>>; rows c ≥ C and columns o ≥ O are zero).
 *
 * Operation order matches src/reference/winograd.ts (Gh along H on each column of g, then Gw along W,
 * nonzero entries in ascending column order), so the result is the reference's 'f64' U rounded to f32.
 */
import type { WeightLayout } from '../conv/types.ts';
import { toFloat64 } from '../winograd/float.ts';
import type { RationalMatrix } from '../winograd/rational-matrix.ts';
import type { Winograd2D } from '../winograd/types.ts';
import { vec4Groups, winogradUIndex } from './winograd-layout.ts';

export interface WinogradFilterOptions {
  /** OIHW [O, C, rh, rw] or HWIO [rh, rw, C, O]. */
  weightLayout: WeightLayout;
  outChannels: number;
  inChannels: number;
}

interface SparseRow {
  cols: number[];
  coefs: number[];
}

function sparseRows(matrix: RationalMatrix): SparseRow[] {
  const values = toFloat64(matrix);
  return matrix.map((row, i) => {
    const cols: number[] = [];
    const coefs: number[] = [];
    row.forEach((v, j) => {
      if (v.n !== 0n) {
        cols.push(j);
        coefs.push(values[i][j]);
      }
    });
    return { cols, coefs };
  });
}

/** Float32 count of the packed U: taps · (4·C4) · (4·O4). */
export function winogradFilterLength(algo: Winograd2D, outChannels: number, inChannels: number): number {
  return algo.nh * algo.nw * 4 * vec4Groups(inChannels) * 4 * vec4Groups(outChannels);
}

/** U = Gh · g · GwT per (o, c) in float64, rounded once to f32, packed as U[ξ][C4·4][O4·4]. */
export function transformWinogradFilter(algo: Winograd2D, weights: ArrayLike<number>, opts: WinogradFilterOptions): Float32Array {
  if (algo?.dims !== 2) throw new Error(`algo: expected a 2-D Winograd algorithm (winograd2D), got ${String(algo?.name ?? algo)}`);
  const { weightLayout, outChannels: O, inChannels: C } = opts;
  if (weightLayout !== 'OIHW' && weightLayout !== 'HWIO') throw new Error(`weightLayout: expected 'OIHW' or 'HWIO', got ${JSON.stringify(weightLayout)}`);
  const { rh, rw, nh, nw } = algo;
  const cPad = 4 * vec4Groups(C);
  const oPad = 4 * vec4Groups(O);
  const expected = O * C * rh * rw;
  if (weights?.length !== expected) {
    const shape = weightLayout === 'OIHW' ? `${O}x${C}x${rh}x${rw}` : `${rh}x${rw}x${C}x${O}`;
    throw new Error(`weights: expected ${expected} values (${weightLayout} ${shape}), got ${String(weights?.length)}`);
  }
  const gh = sparseRows(algo.h.G);
  const gw = sparseRows(algo.w.G);
  const U = new Float32Array(nh * nw * cPad * oPad);
  const g = new Float64Array(rh * rw);
  const tmp = new Float64Array(nh * rw);
  const at =
    weightLayout === 'OIHW'
      ? (o: number, c: number, y: number, x: number) => ((o * C + c) * rh + y) * rw + x
      : (o: number, c: number, y: number, x: number) => ((y * rw + x) * C + c) * O + o;
  for (let o = 0; o < O; o++) {
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < rh; y++) for (let x = 0; x < rw; x++) g[y * rw + x] = weights[at(o, c, y, x)];
      // tmp = Gh · g (nh × rw): along H, each column of g.
      for (let x = 0; x < rw; x++) {
        for (let i = 0; i < nh; i++) {
          const { cols, coefs } = gh[i];
          let acc = 0;
          for (let k = 0; k < cols.length; k++) {
            const term = coefs[k] * g[cols[k] * rw + x];
            acc = k === 0 ? term : acc + term;
          }
          tmp[i * rw + x] = acc;
        }
      }
      // u = tmp · GwT (nh × nw): along W, each row of tmp.
      for (let i = 0; i < nh; i++) {
        for (let j = 0; j < nw; j++) {
          const { cols, coefs } = gw[j];
          let acc = 0;
          for (let k = 0; k < cols.length; k++) {
            const term = coefs[k] * tmp[i * rw + cols[k]];
            acc = k === 0 ? term : acc + term;
          }
          U[winogradUIndex({ cPad, oPad }, i * nw + j, c, o)] = acc;
        }
      }
    }
  }
  return U;
}
