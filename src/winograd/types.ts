/**
 * Winograd algorithm descriptions. Pure data: exact rational matrices, frozen once built.
 *
 * Convention (1-D): for a filter g of length r and an input d of length n = m + r - 1,
 *   Y = AT · [(G · g) ⊙ (BT · d)]
 * computes the CORRELATION y_i = Σ_k g_k d_{i+k}, i = 0..m-1 (what CNN "convolution" layers compute).
 *
 * Convention (2-D, nested): for a filter g (rh×rw) and an input tile d (nh×nw),
 *   Y = AhT · [(Gh · g · GwT) ⊙ (BhT · d · Bw)] · Aw          (Y is mh×mw)
 * with (AhT, Gh, BhT) the algorithm along H (rows) and (AwT, Gw, BwT) the one along W (columns).
 */
import type { Fraction } from './rational.ts';
import type { RationalMatrix } from './rational-matrix.ts';

/**
 * Where the matrices came from: modified Cook-Toom from interpolation points, the trivial F(1, r)
 * ("direct along this axis"), or supplied by the user (e.g. learned transforms, not necessarily exact).
 */
export type WinogradKind = 'cook-toom' | 'direct' | 'user';

export interface Winograd1D {
  readonly dims: 1;
  /** Stable name: "F(4,3)", "F(4,3)-alt", "F(1,3)", "F(4,3)[0,1,-1,3,-3]", "F(4,3)-user". */
  readonly name: string;
  readonly kind: WinogradKind;
  /** Outputs per tile. */
  readonly m: number;
  /** Filter taps. */
  readonly r: number;
  /** Transform size m + r - 1. */
  readonly n: number;
  /** The n - 1 finite interpolation points (the point at infinity is implied); empty unless kind is 'cook-toom'. */
  readonly points: readonly Fraction[];
  /** m×n output transform. */
  readonly AT: RationalMatrix;
  /** n×r filter transform. */
  readonly G: RationalMatrix;
  /** n×n input (data) transform. */
  readonly BT: RationalMatrix;
}

export interface Winograd2D {
  readonly dims: 2;
  /** Stable name: "F(4x4,3x3)", "F(2x1,3x3)", "F(4x4,3x3)-alt". */
  readonly name: string;
  /** Algorithm along H (rows of the tile). */
  readonly h: Winograd1D;
  /** Algorithm along W (columns of the tile). */
  readonly w: Winograd1D;
  readonly mh: number;
  readonly mw: number;
  readonly rh: number;
  readonly rw: number;
  readonly nh: number;
  readonly nw: number;
}

export type WinogradAlgorithm = Winograd1D | Winograd2D;
