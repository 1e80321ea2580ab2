/**
 * Modified Cook-Toom construction of 1-D Winograd algorithms F(m, r), in exact rational arithmetic.
 *
 * Derivation. Linear convolution h = g * e (g: r taps, e: m values, h: n = m + r - 1 values) is a
 * product of polynomials. Evaluating at the n - 1 finite points a_j and at infinity (which reads the
 * leading coefficient) gives h = Vn⁻¹ [(Vr g) ⊙ (Vm e)], where Vk is the n×k Vandermonde matrix
 * (row j = [1, a_j, …, a_j^(k-1)]) with the infinity row [0, …, 0, 1] last. Correlation is the transpose
 * of linear convolution, so
 *   AT = Vmᵀ,   G = Vr,   BT = Vn⁻ᵀ.
 * Row j of Vn⁻ᵀ holds the coefficients of the Lagrange basis polynomial L_j(x) = Π_{k≠j}(x − a_k) / f_j
 * with f_j = Π_{k≠j}(a_j − a_k); its infinity row holds the coefficients of M(x) = Π_k (x − a_k)
 * (h = Σ_j h(a_j) L_j + h_∞ M). The factor f_j is moved from BT into G, so that
 *   G[j]  = [1, a_j, …, a_j^(r-1)] / f_j,     BT[j] = coefficients of Π_{k≠j}(x − a_k),
 *   G[∞]  = [0, …, 0, 1],                     BT[∞] = coefficients of Π_k (x − a_k).
 *
 * Sign convention (wincnn's `cookToomFilter`, fractions in G): if f_0 < 0 it is negated, i.e. row 0 of G
 * and row 0 of BT both change sign (their product, hence the algorithm, is unchanged); no other row is
 * touched. With this convention the output equals the matrices published in the wincnn README exactly
 * for F(2,3) (0, 1, −1), F(4,3) (0, 1, −1, 2, −2) and F(6,3) (0, 1, −1, 2, −2, 1/2, −1/2).
 */
import { Fraction, ONE, ZERO, formatFraction, type RationalInput, toRational } from './rational.ts';
import { freezeMatrix, identity } from './rational-matrix.ts';
import type { Winograd1D } from './types.ts';

/** One offered set of interpolation points for F(m, r). */
export interface PointSet {
  readonly m: number;
  readonly r: number;
  /** 'default', or a label for an alternative set (the algorithm is then named "F(m,r)-<variant>"). */
  readonly variant: string;
  /** The m + r - 2 finite points, as exact fraction strings. */
  readonly points: readonly string[];
  readonly note: string;
}

/** Interpolation points offered by the engine. The point at infinity is always implied. */
export const WINOGRAD_POINT_SETS: readonly PointSet[] = Object.freeze([
  { m: 2, r: 3, variant: 'default', points: ['0', '1', '-1'], note: 'Lavin & Gray F(2,3)' },
  { m: 4, r: 3, variant: 'default', points: ['0', '1', '-1', '2', '-2'], note: 'Lavin & Gray F(4,3)' },
  {
    m: 4,
    r: 3,
    variant: 'alt',
    points: ['0', '1', '-1', '1/2', '-2'],
    note: 'alternative F(4,3) points, measured about 2x lower max error than the default set',
  },
  { m: 6, r: 3, variant: 'default', points: ['0', '1', '-1', '2', '-2', '1/2', '-1/2'], note: 'wincnn F(6,3)' },
  { m: 2, r: 5, variant: 'default', points: ['0', '1', '-1', '2', '-2'], note: 'F(2,5)' },
  { m: 4, r: 5, variant: 'default', points: ['0', '1', '-1', '2', '-2', '1/2', '-1/2'], note: 'F(4,5)' },
].map((p) => Object.freeze({ ...p, points: Object.freeze(p.points) })));

/** The point set for F(m, r) with the given variant; throws listing what is offered. */
export function pointSet(m: number, r: number, variant = 'default'): PointSet {
  const found = WINOGRAD_POINT_SETS.find((p) => p.m === m && p.r === r && p.variant === variant);
  if (found) return found;
  const offered = WINOGRAD_POINT_SETS.map((p) => (p.variant === 'default' ? `F(${p.m},${p.r})` : `F(${p.m},${p.r})-${p.variant}`));
  throw new Error(`F(${m},${r}) variant '${variant}': no such point set (offered: ${offered.join(', ')}; F(1,r) is direct)`);
}

function checkPositiveInteger(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${what}: expected a positive integer, got ${String(value)}`);
}

/** Coefficients (lowest degree first) of Π (x − roots[k]). */
function polyFromRoots(roots: readonly Fraction[]): Fraction[] {
  let coeffs: Fraction[] = [ONE];
  for (const root of roots) {
    const next = new Array<Fraction>(coeffs.length + 1).fill(ZERO);
    for (let i = 0; i < coeffs.length; i++) {
      next[i + 1] = next[i + 1].add(coeffs[i]);
      next[i] = next[i].sub(coeffs[i].mul(root));
    }
    coeffs = next;
  }
  return coeffs;
}

function padTo(values: readonly Fraction[], length: number): Fraction[] {
  return [...values, ...new Array<Fraction>(length - values.length).fill(ZERO)];
}

function nameFor(m: number, r: number, points: readonly Fraction[]): string {
  const text = points.map(formatFraction);
  const set = WINOGRAD_POINT_SETS.find(
    (p) => p.m === m && p.r === r && p.points.length === text.length && p.points.every((s, i) => toRational(s).equals(points[i])),
  );
  if (set) return set.variant === 'default' ? `F(${m},${r})` : `F(${m},${r})-${set.variant}`;
  return `F(${m},${r})[${text.join(',')}]`;
}

/**
 * Modified Cook-Toom F(m, r) from the m + r - 2 finite interpolation points (in this order; the order
 * fixes the row order of G and BT). See the file comment for the construction and the sign convention.
 */
export function cookToom(m: number, r: number, points: readonly RationalInput[]): Winograd1D {
  checkPositiveInteger(m, 'm');
  checkPositiveInteger(r, 'r');
  const n = m + r - 1;
  if (!Array.isArray(points) || points.length !== n - 1) {
    const got = Array.isArray(points) ? `${points.length}` : String(points);
    throw new Error(`points: expected m + r - 2 = ${n - 1} points for F(${m},${r}), got ${got}`);
  }
  const a = points.map((p, j) => toRational(p, `points[${j}]`));
  for (let j = 0; j < a.length; j++) {
    for (let k = 0; k < j; k++) {
      if (a[j].equals(a[k])) {
        throw new Error(`points: ${formatFraction(a[j])} appears at indices ${k} and ${j} (interpolation points must be distinct)`);
      }
    }
  }
  const finite = n - 1;
  const f = a.map((aj, j) => a.reduce((acc, ak, k) => (k === j ? acc : acc.mul(aj.sub(ak))), ONE));
  const sign = a.map((_, j) => (j === 0 && f[0].s < 0n ? new Fraction(-1) : ONE));
  const scale = f.map((fj, j) => fj.mul(sign[j]));

  const AT = Array.from({ length: m }, (_, i) =>
    Array.from({ length: n }, (_, j) => (j < finite ? a[j].pow(i) : i === m - 1 ? ONE : ZERO)),
  );
  const G = Array.from({ length: n }, (_, j) =>
    Array.from({ length: r }, (_, k) => (j < finite ? a[j].pow(k).div(scale[j]) : k === r - 1 ? ONE : ZERO)),
  );
  const BT = Array.from({ length: n }, (_, j) => {
    if (j === finite) return padTo(polyFromRoots(a), n);
    const others = a.filter((_, k) => k !== j);
    return padTo(polyFromRoots(others), n).map((c) => c.mul(sign[j]));
  });

  return Object.freeze({
    dims: 1 as const,
    name: nameFor(m, r, a),
    kind: 'cook-toom' as const,
    m,
    r,
    n,
    points: Object.freeze(a),
    AT: freezeMatrix(AT),
    G: freezeMatrix(G),
    BT: freezeMatrix(BT),
  });
}

/** The trivial F(1, r): AT = [1 … 1] (1×r), G = BT = I_r, i.e. direct correlation along this axis. */
export function directAlgorithm(r: number): Winograd1D {
  checkPositiveInteger(r, 'r');
  return Object.freeze({
    dims: 1 as const,
    name: `F(1,${r})`,
    kind: 'direct' as const,
    m: 1,
    r,
    n: r,
    points: Object.freeze([]),
    AT: freezeMatrix([new Array<Fraction>(r).fill(ONE)]),
    G: identity(r),
    BT: identity(r),
  });
}

/** F(m, r) from the offered point sets (`WINOGRAD_POINT_SETS`); m = 1 gives the trivial direct algorithm. */
export function winograd1D(m: number, r: number, variant = 'default'): Winograd1D {
  checkPositiveInteger(m, 'm');
  checkPositiveInteger(r, 'r');
  if (m === 1 && variant === 'default') return directAlgorithm(r);
  return cookToom(m, r, pointSet(m, r, variant).points);
}
