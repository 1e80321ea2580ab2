/**
 * Exact integer Winograd convolution (the "winograd2-exact" int8 scheme) and its int32 overflow analysis.
 *
 * ## The scheme, F(2×2, 3×3)
 * With x' = x − x_zp (padded positions hold x_zp, so x' = 0 there) and g' = w − w_zp[o]:
 *   V  = Bᵀ d' B                  input transform, integer (Bᵀ has entries 0, ±1)
 *   U' = G' g' G'ᵀ,  G' = 2G      filter transform, integer: G' = [[2,0,0],[1,1,1],[1,−1,1],[0,0,2]], U' = 4·U
 *   M  = Σ_c U' ⊙ V               per-tap products summed over input channels in int32
 *   Y' = Aᵀ M A                   output transform, integer (Aᵀ = [[1,1,1,0],[0,1,−1,1]])
 *   Y  = Y' / 4                   exact
 * The matrices are not typed in: they are read from the exact rational Cook-Toom source (src/winograd), and
 * the per-axis scale s is the least common denominator of that axis' G, so the same code serves any nested
 * algorithm whose Aᵀ and Bᵀ are integer (F(2×2,3×3): s_h = s_w = 2, S = 4; F(2×1,3×3): S = 2).
 *
 * Why the division is exact: Aᵀ[(G' g' G'ᵀ) ⊙ V]A = Aᵀ[(s_h s_w · G g' Gᵀ) ⊙ V]A = S · Aᵀ[(G g' Gᵀ) ⊙ (Bᵀ d' B)]A, and
 * the Winograd identity (proved exactly in rationals by the winograd tests) makes the last factor the direct
 * correlation Σ g'·d', an integer. So Y' = S·Y with Y an integer: Y' is divisible by S and Y' / S (WGSL i32
 * division, or `>> 2` for S = 4) is exact, provided no int32 step overflowed.
 *
 * ## Operation order (the int32 CPU pipeline below and the bound analysis both assume it)
 * A 2-D transform X → L·X·Rᵀ runs along H first (L applied to each column), then along W (R to each row of
 * that). Each output of a 1-D transform is acc = c₀·x₀, then acc = acc + cⱼ·xⱼ over the row's nonzero
 * coefficients in ascending column order. Channels are accumulated in ascending order starting from 0 (any
 * order has the same bound). All arithmetic is int32 with two's-complement wrap-around (WGSL's runtime
 * semantics; `Math.imul` and `| 0` here).
 *
 * ## Overflow analysis (`exactWinogradBounds`, `exactWinogradMaxChannels`)
 * Every intermediate is, per input channel, a bilinear form K(g', d') (products, partial sums and results of
 * the channel sum and of both output-transform passes) or a linear form in d' alone (input transform) or g'
 * alone (filter transform). Channels are independent and identically ranged, so the extreme of the channel sum
 * over C channels is exactly C times the per-channel extreme, and partial channel sums stay inside
 * [C·min, C·max]. The per-channel extremes of a bilinear form over the boxes g' ∈ [wlo, whi]^(rh·rw),
 * d' ∈ [xlo, xhi]^(nh·nw) are attained at vertices; they are computed exactly by enumerating the 2^(rh·rw)
 * vertices of g' and choosing each d'_q optimally. Hence the bound is tight: a worst-case input exists at C =
 * bound + 1 (`exactWinogradWorstCase`), built by repeating the optimal (g', d') in every channel.
 *   maxChannels = min over intermediates of min(⌊(2^31 − 1) / max⌋, ⌊2^31 / −min⌋).
 * The range box always includes 0 (padding contributes d' = 0).
 *
 * Results for F(2×2, 3×3) (x' range × w' range → max C_in, where it binds):
 *   int8 acts × int8 weights, zp 0     [−128,127]×[−128,127]  → 3640  (accumulation of the centre taps, the
 *     H-pass of the output transform and Y' all reach 589,824·C: U' = −1152 (all g' = −128) times V = −512
 *     (four d' = −128) is positive, and 3641·589,824 > 2^31 − 1. The literature's 3669 = ⌊2^31 / (1152·508)⌋
 *     assumes |V| ≤ 4·127 and misses that positive extreme.)
 *   uint8 acts with zp × int8 weights  [−255,255]×[−128,127]  → 1827 (1152·1020·C)
 *   int8 acts × uint8 weights with zp  [−128,127]×[−255,255]  → 1827 (2295·512·C)
 *   uint8 × uint8, both with zp        [−255,255]×[−255,255]  → 917  (2295·1020·C)
 *   ReLU uint8 acts zp 0 × int8         [0,255]×[−128,127]     → 1827
 * (The unit tests pin these numbers and check the edge with BigInt.) Remark: because every step is a ring
 * operation mod 2^32, Y' mod 2^32 is right even after an intermediate wraps; only |Y'| = S·|Y| < 2^31 is truly
 * needed (`wrapSafeMaxChannels`). The engine should still use the no-overflow bound.
 *
 * The bias add of QLinearConv (Y + B) is outside this analysis: |Y| ≤ C·rh·rw·max|x'|·max|w'| and the caller
 * adds an int32 bias.
 */
import { ConvDescError } from '../conv/validate.ts';
import { formatFraction, type Fraction } from '../winograd/rational.ts';
import type { RationalMatrix } from '../winograd/rational-matrix.ts';
import type { Winograd2D } from '../winograd/types.ts';
import { winogradSquare } from '../winograd/winograd-2d.ts';
import { winogradTiling, type WinogradConvShape, type WinogradTiling } from './winograd-stages.ts';

export type IntRange = readonly [number, number];

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

/** F(2×2, 3×3) from the default point set (0, 1, −1). */
export function exactWinogradDefault(): Winograd2D {
  return winogradSquare(2, 3);
}

export interface IntegerAxis {
  /** m×n integer output transform. */
  AT: number[][];
  /** n×r integer filter transform G' = s·G. */
  G: number[][];
  /** n×n integer input transform. */
  BT: number[][];
  /** Least common denominator of G. */
  scale: number;
}

export interface IntegerWinograd {
  algo: Winograd2D;
  h: IntegerAxis;
  w: IntegerAxis;
  /** S = s_h · s_w: U' = S·U and Y' = S·Y. */
  scale: number;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

function toInts(mat: RationalMatrix, scale: bigint, what: string): number[][] {
  return mat.map((row, i) =>
    row.map((f: Fraction, j) => {
      const num = f.s * f.n * scale;
      if (num % f.d !== 0n) throw new ConvDescError(`${what}[${i}][${j}]`, formatFraction(f), `must be an integer after scaling by ${scale} (the exact integer scheme needs integer Aᵀ and Bᵀ)`);
      const v = num / f.d;
      if (v > 2n ** 20n || v < -(2n ** 20n)) throw new ConvDescError(`${what}[${i}][${j}]`, String(v), 'must be within ±2^20 after scaling');
      return Number(v);
    }),
  );
}

function integerAxis(side: Winograd2D['h'], what: string): IntegerAxis {
  let lcd = 1n;
  for (const row of side.G) for (const f of row) lcd = (lcd * f.d) / gcd(lcd, f.d);
  return {
    AT: toInts(side.AT, 1n, `${what}.AT`),
    G: toInts(side.G, lcd, `${what}.G`),
    BT: toInts(side.BT, 1n, `${what}.BT`),
    scale: Number(lcd),
  };
}

/**
 * Integer matrices of a nested algorithm: Aᵀ and Bᵀ as they are (they must be integer), G scaled by its least
 * common denominator per axis. Throws, naming the entry, when Aᵀ or Bᵀ is not integer.
 */
export function integerWinograd(algo: Winograd2D = exactWinogradDefault()): IntegerWinograd {
  if (algo?.dims !== 2) throw new ConvDescError('algo', (algo as { name?: string })?.name ?? algo, 'must be a 2-D Winograd algorithm (winograd2D)');
  const h = integerAxis(algo.h, `${algo.name}.h`);
  const w = integerAxis(algo.w, `${algo.name}.w`);
  return { algo, h, w, scale: h.scale * w.scale };
}

// ---------------------------------------------------------------------------------------------------------
// The int32 pipeline (wrap-around arithmetic, same order as a GPU kernel).

interface IntRow {
  cols: number[];
  coefs: number[];
}

function rows(mat: number[][]): IntRow[] {
  return mat.map((row) => {
    const cols: number[] = [];
    const coefs: number[] = [];
    row.forEach((v, j) => {
      if (v !== 0) {
        cols.push(j);
        coefs.push(v);
      }
    });
    return { cols, coefs };
  });
}

/** dst[dOff + i·dStride] = Σ_j rows[i][j] · src[sOff + j·sStride], int32 wrap-around, ascending j. */
function applyRowsI32(rs: IntRow[], src: Int32Array, sOff: number, sStride: number, dst: Int32Array, dOff: number, dStride: number): void {
  for (let i = 0; i < rs.length; i++) {
    const { cols, coefs } = rs[i];
    let acc = 0;
    for (let k = 0; k < cols.length; k++) {
      const term = Math.imul(coefs[k], src[sOff + cols[k] * sStride]);
      acc = k === 0 ? term : (acc + term) | 0;
    }
    dst[dOff + i * dStride] = acc;
  }
}

/** X (p×q) → L·X·Rᵀ, H pass (L on each column) first, then W pass (R on each row). */
function transform2DI32(left: IntRow[], right: IntRow[], x: Int32Array, q: number, tmp: Int32Array, out: Int32Array): void {
  for (let col = 0; col < q; col++) applyRowsI32(left, x, col, q, tmp, col, q);
  const outCols = right.length;
  for (let row = 0; row < left.length; row++) applyRowsI32(right, tmp, row * q, 1, out, row * outCols, 1);
}

function perChannel(field: string, v: number | ArrayLike<number> | undefined, n: number): Int32Array {
  const out = new Int32Array(n);
  if (v === undefined) return out;
  const src = typeof v === 'number' ? [v] : v;
  if (src.length !== 1 && src.length !== n) throw new ConvDescError(field, v, `must hold 1 value (per tensor) or ${n} (one per output channel)`);
  for (let o = 0; o < n; o++) {
    const z = src.length === 1 ? src[0] : src[o];
    if (!Number.isInteger(z) || Math.abs(z) > 2 ** 16) throw new ConvDescError(`${field}[${o}]`, z, 'must be an integer with |value| <= 65536');
    out[o] = z;
  }
  return out;
}

function checkIntegers(field: string, data: ArrayLike<number>, expected: number, rule: string): void {
  if (data?.length !== expected) throw new ConvDescError(`${field}.length`, data?.length, `must be ${expected} (${rule})`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isInteger(data[i]) || Math.abs(data[i]) > 2 ** 16) throw new ConvDescError(`${field}[${i}]`, data[i], 'must be an integer with |value| <= 65536');
  }
}

/** Stage (a), offline: U'[ξ][c][o] = (G'h · (w − w_zp[o]) · G'wᵀ)[ξ] in int32, from OIHW weights. */
export function exactWinogradFilterTransform(
  iw: IntegerWinograd,
  weights: ArrayLike<number>,
  outChannels: number,
  inChannels: number,
  wZeroPoint?: number | ArrayLike<number>,
): Int32Array {
  const { rh, rw, nh, nw } = iw.algo;
  checkIntegers('weights', weights, outChannels * inChannels * rh * rw, `OIHW ${outChannels}x${inChannels}x${rh}x${rw}`);
  const wz = perChannel('wZeroPoint', wZeroPoint, outChannels);
  const gh = rows(iw.h.G);
  const gw = rows(iw.w.G);
  const taps = nh * nw;
  const U = new Int32Array(taps * inChannels * outChannels);
  const g = new Int32Array(rh * rw);
  const tmp = new Int32Array(nh * rw);
  const u = new Int32Array(taps);
  for (let o = 0; o < outChannels; o++) {
    for (let c = 0; c < inChannels; c++) {
      const base = (o * inChannels + c) * rh * rw;
      for (let k = 0; k < rh * rw; k++) g[k] = weights[base + k] - wz[o];
      transform2DI32(gh, gw, g, rw, tmp, u);
      for (let xi = 0; xi < taps; xi++) U[(xi * inChannels + c) * outChannels + o] = u[xi];
    }
  }
  return U;
}

/** Stage (b): V[ξ][t][c] = (Bᵀh · d' · Bw)[ξ], d' = x − x_zp inside the input and 0 outside (NHWC input). */
export function exactWinogradInputTransform(iw: IntegerWinograd, input: ArrayLike<number>, shape: WinogradConvShape, xZeroPoint = 0): Int32Array {
  const tiling = winogradTiling(iw.algo, shape);
  const { batch, inHeight: H, inWidth: W, inChannels: C } = shape;
  checkIntegers('input', input, batch * H * W * C, `NHWC ${batch}x${H}x${W}x${C}`);
  if (!Number.isInteger(xZeroPoint) || Math.abs(xZeroPoint) > 2 ** 16) throw new ConvDescError('xZeroPoint', xZeroPoint, 'must be an integer with |value| <= 65536');
  const [top, left] = shape.pads;
  const { mh, mw, nh, nw, tilesH, tilesW, tiles, taps } = tiling;
  const bh = rows(iw.h.BT);
  const bw = rows(iw.w.BT);
  const V = new Int32Array(taps * tiles * C);
  const d = new Int32Array(taps);
  const tmp = new Int32Array(taps);
  const v = new Int32Array(taps);
  for (let n = 0; n < batch; n++) {
    for (let th = 0; th < tilesH; th++) {
      for (let tw = 0; tw < tilesW; tw++) {
        const t = (n * tilesH + th) * tilesW + tw;
        const y0 = th * mh - top;
        const x0 = tw * mw - left;
        for (let c = 0; c < C; c++) {
          for (let a = 0; a < nh; a++) {
            const y = y0 + a;
            for (let b = 0; b < nw; b++) {
              const x = x0 + b;
              const inside = y >= 0 && y < H && x >= 0 && x < W;
              d[a * nw + b] = inside ? input[((n * H + y) * W + x) * C + c] - xZeroPoint : 0;
            }
          }
          transform2DI32(bh, bw, d, nw, tmp, v);
          for (let xi = 0; xi < taps; xi++) V[(xi * tiles + t) * C + c] = v[xi];
        }
      }
    }
  }
  return V;
}

/** Stage (c): M[ξ][t][o] = Σ_c V[ξ][t][c] · U'[ξ][c][o], int32 wrap-around, channels ascending. */
export function exactWinogradTapProducts(iw: IntegerWinograd, U: Int32Array, V: Int32Array, shape: WinogradConvShape): Int32Array {
  const { tiles, taps } = winogradTiling(iw.algo, shape);
  const { inChannels: C, outChannels: O } = shape;
  if (U.length !== taps * C * O) throw new ConvDescError('U.length', U.length, `must be ${taps * C * O} ([ξ][c][o] ${taps}x${C}x${O})`);
  if (V.length !== taps * tiles * C) throw new ConvDescError('V.length', V.length, `must be ${taps * tiles * C} ([ξ][t][c] ${taps}x${tiles}x${C})`);
  const M = new Int32Array(taps * tiles * O);
  for (let xi = 0; xi < taps; xi++) {
    for (let t = 0; t < tiles; t++) {
      const vBase = (xi * tiles + t) * C;
      for (let o = 0; o < O; o++) {
        let acc = 0;
        for (let c = 0; c < C; c++) acc = (acc + Math.imul(V[vBase + c], U[(xi * C + c) * O + o])) | 0;
        M[(xi * tiles + t) * O + o] = acc;
      }
    }
  }
  return M;
}

/** Stage (d): Y = (Aᵀh · M · Aw) / S per tile and output channel, cropped into the NHWC int32 output. */
export function exactWinogradOutputTransform(iw: IntegerWinograd, M: Int32Array, shape: WinogradConvShape): Int32Array {
  const tiling = winogradTiling(iw.algo, shape);
  const { batch, outChannels: O } = shape;
  const { outHeight, outWidth, mh, mw, nw, tilesH, tilesW, tiles, taps } = tiling;
  if (M.length !== taps * tiles * O) throw new ConvDescError('M.length', M.length, `must be ${taps * tiles * O} ([ξ][t][o])`);
  const ah = rows(iw.h.AT);
  const aw = rows(iw.w.AT);
  const S = iw.scale;
  const output = new Int32Array(batch * outHeight * outWidth * O);
  const m = new Int32Array(taps);
  const tmp = new Int32Array(mh * nw);
  const y = new Int32Array(mh * mw);
  for (let n = 0; n < batch; n++) {
    for (let th = 0; th < tilesH; th++) {
      for (let tw = 0; tw < tilesW; tw++) {
        const t = (n * tilesH + th) * tilesW + tw;
        for (let o = 0; o < O; o++) {
          for (let xi = 0; xi < taps; xi++) m[xi] = M[(xi * tiles + t) * O + o];
          transform2DI32(ah, aw, m, nw, tmp, y);
          for (let a = 0; a < mh; a++) {
            const oy = th * mh + a;
            if (oy >= outHeight) break;
            for (let b = 0; b < mw; b++) {
              const ox = tw * mw + b;
              if (ox >= outWidth) break;
              output[((n * outHeight + oy) * outWidth + ox) * O + o] = Math.trunc(y[a * mw + b] / S) | 0; // exact: Y' = S·Y
            }
          }
        }
      }
    }
  }
  return output;
}

export interface ExactWinogradOperands {
  /** NHWC integers. */
  input: ArrayLike<number>;
  /** OIHW integers. */
  weights: ArrayLike<number>;
  shape: WinogradConvShape;
  /** Default 0. */
  xZeroPoint?: number;
  /** Per tensor or per output channel; default 0. */
  wZeroPoint?: number | ArrayLike<number>;
}

export interface ExactWinogradResult {
  /** ConvInteger result, NHWC [N, outH, outW, O], int32. */
  output: Int32Array;
  outputShape: [number, number, number, number];
  tiling: WinogradTiling;
  /** U' = S·U, [ξ][c][o]. */
  U: Int32Array;
  /** [ξ][t][c]. */
  V: Int32Array;
  /** [ξ][t][o]. */
  M: Int32Array;
  /** S. */
  scale: number;
}

/**
 * ConvInteger (stride 1, dilation 1, one group) through exact integer Winograd, emulating int32 wrap-around.
 * Bit-identical to `convIntegerReference` whenever C_in ≤ exactWinogradMaxChannels for the operands' ranges.
 */
export function exactWinogradConv(ops: ExactWinogradOperands, algo: Winograd2D = exactWinogradDefault()): ExactWinogradResult {
  const iw = integerWinograd(algo);
  const { shape } = ops;
  const tiling = winogradTiling(algo, shape);
  const U = exactWinogradFilterTransform(iw, ops.weights, shape.outChannels, shape.inChannels, ops.wZeroPoint);
  const V = exactWinogradInputTransform(iw, ops.input, shape, ops.xZeroPoint ?? 0);
  const M = exactWinogradTapProducts(iw, U, V, shape);
  const output = exactWinogradOutputTransform(iw, M, shape);
  return { output, outputShape: [shape.batch, tiling.outHeight, tiling.outWidth, shape.outChannels], tiling, U, V, M, scale: iw.scale };
}

// ---------------------------------------------------------------------------------------------------------
// Overflow analysis.

export type IntermediateStage = 'filter' | 'input' | 'accumulate' | 'output-h' | 'output-w';

export interface IntermediateBound {
  stage: IntermediateStage;
  /** e.g. "M[1][1]", "H-pass row 0 col 1, partial 2", "Y'[0][1]". */
  name: string;
  /** Per-channel extremes (for 'filter' and 'input': the value itself, independent of C). */
  min: number;
  max: number;
  /** Largest C for which C·[min, max] stays in int32 (Infinity for 'filter'/'input' that fit). */
  maxChannels: number;
}

export interface ExactWinogradBoundOptions {
  /** Range of x' = x − x_zp (e.g. [−128, 127] for int8 zp 0, [−255, 255] for uint8 with any zp). */
  xRange: IntRange;
  /** Range of w' = w − w_zp. */
  wRange: IntRange;
  /** Default F(2×2, 3×3). */
  algo?: Winograd2D;
}

export interface ExactWinogradBounds {
  algorithm: string;
  /** Largest C_in for which no int32 intermediate can overflow. */
  maxChannels: number;
  /** Largest C_in for which |Y'| = S·|Y| fits int32 (enough under wrap-around arithmetic; see the file comment). */
  wrapSafeMaxChannels: number;
  /** The intermediates that set `maxChannels`. */
  binding: IntermediateBound[];
  /** Every intermediate class, in pipeline order. */
  intermediates: IntermediateBound[];
  /** Range of V entries and of U' entries (C-independent): what V and U' need to be stored in. */
  vRange: [number, number];
  uRange: [number, number];
  xRange: [number, number];
  wRange: [number, number];
}

/** A bilinear (or linear) form over g (rh·rw entries) and d (nh·nw entries): Σ K[p][q] g_p d_q. */
type Bilinear = Float64Array; // [p * nd + q]

interface Ctx {
  ng: number;
  nd: number;
  gLo: number;
  gHi: number;
  dLo: number;
  dHi: number;
  vertices: Float64Array[]; // g vertices
}

function checkRange(field: string, r: unknown): [number, number] {
  if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => Number.isInteger(v) && Math.abs(v) <= 2 ** 16) || r[0] > r[1]) {
    throw new ConvDescError(field, r, 'must be [lo, hi]: integers with lo <= hi and |value| <= 65536');
  }
  // padding contributes 0, so the box always contains 0
  return [Math.min(r[0], 0), Math.max(r[1], 0)];
}

/** Per-channel [min, max] of a bilinear form, and the maximizing/minimizing (g, d). */
function bilinearExtremes(ctx: Ctx, K: Bilinear): { min: number; max: number; argmax: [Float64Array, Float64Array]; argmin: [Float64Array, Float64Array] } {
  let best = -Infinity;
  let worst = Infinity;
  let argmax: [Float64Array, Float64Array] = [ctx.vertices[0], new Float64Array(ctx.nd)];
  let argmin: [Float64Array, Float64Array] = argmax;
  const kg = new Float64Array(ctx.nd);
  for (const g of ctx.vertices) {
    kg.fill(0);
    for (let p = 0; p < ctx.ng; p++) {
      if (g[p] === 0) continue;
      for (let q = 0; q < ctx.nd; q++) kg[q] += K[p * ctx.nd + q] * g[p];
    }
    let hi = 0;
    let lo = 0;
    for (let q = 0; q < ctx.nd; q++) {
      hi += Math.max(kg[q] * ctx.dLo, kg[q] * ctx.dHi);
      lo += Math.min(kg[q] * ctx.dLo, kg[q] * ctx.dHi);
    }
    if (hi > best) {
      best = hi;
      argmax = [g, kg.map((k) => (k > 0 ? ctx.dHi : k < 0 ? ctx.dLo : 0))];
    }
    if (lo < worst) {
      worst = lo;
      argmin = [g, kg.map((k) => (k > 0 ? ctx.dLo : k < 0 ? ctx.dHi : 0))];
    }
  }
  return { min: worst, max: best, argmax, argmin };
}

function linearExtremes(coefs: number[], lo: number, hi: number): [number, number] {
  let mn = 0;
  let mx = 0;
  for (const c of coefs) {
    mn += Math.min(c * lo, c * hi);
    mx += Math.max(c * lo, c * hi);
  }
  return [mn, mx];
}

function channelsFor(min: number, max: number): number {
  const up = max > 0 ? Math.floor(I32_MAX / max) : Infinity;
  const down = min < 0 ? Math.floor(-I32_MIN / -min) : Infinity;
  return Math.min(up, down);
}

interface FormEntry {
  bound: IntermediateBound;
  K: Bilinear | null;
}

/** All intermediates with their forms, in pipeline order. */
function intermediateForms(iw: IntegerWinograd, ctx: Ctx): FormEntry[] {
  const { rh, rw, nh, nw } = iw.algo;
  const out: FormEntry[] = [];
  const push = (stage: IntermediateStage, name: string, min: number, max: number, K: Bilinear | null) =>
    out.push({ bound: { stage, name, min, max, maxChannels: stage === 'filter' || stage === 'input' ? (min >= I32_MIN && max <= I32_MAX ? Infinity : 0) : channelsFor(min, max) }, K });

  // filter transform: U'[a][b] = Σ G'h[a][i] G'w[b][j] g[i][j]; H pass partials (per column j of g), then W pass
  for (let a = 0; a < nh; a++) {
    for (let j = 0; j < rw; j++) {
      const coefs: number[] = [];
      for (const c of iw.h.G[a]) {
        if (c === 0) continue;
        coefs.push(c);
        const [mn, mx] = linearExtremes(coefs, ctx.gLo, ctx.gHi);
        push('filter', `G'g H-pass [${a}][${j}] partial ${coefs.length}`, mn, mx, null);
      }
    }
  }
  // input transform, same structure
  for (let a = 0; a < nh; a++) {
    for (let j = 0; j < nw; j++) {
      const coefs: number[] = [];
      for (const c of iw.h.BT[a]) {
        if (c === 0) continue;
        coefs.push(c);
        const [mn, mx] = linearExtremes(coefs, ctx.dLo, ctx.dHi);
        push('input', `Bᵀd H-pass [${a}][${j}] partial ${coefs.length}`, mn, mx, null);
      }
    }
  }
  // 2-D coefficient vectors of U'[ξ] (over g) and V[ξ] (over d), and the W-pass partials
  const gCoef: number[][] = [];
  const dCoef: number[][] = [];
  for (let a = 0; a < nh; a++) {
    for (let b = 0; b < nw; b++) {
      const gc = new Array<number>(rh * rw).fill(0);
      const dc = new Array<number>(nh * nw).fill(0);
      const gPart = new Array<number>(rh * rw).fill(0);
      const dPart = new Array<number>(nh * nw).fill(0);
      let kG = 0;
      for (let j = 0; j < rw; j++) {
        if (iw.w.G[b][j] === 0) continue;
        kG++;
        for (let i = 0; i < rh; i++) gPart[i * rw + j] += iw.h.G[a][i] * iw.w.G[b][j];
        const [mn, mx] = linearExtremes(gPart, ctx.gLo, ctx.gHi);
        push('filter', `U'[${a}][${b}] W-pass partial ${kG}`, mn, mx, null);
      }
      let kD = 0;
      for (let j = 0; j < nw; j++) {
        if (iw.w.BT[b][j] === 0) continue;
        kD++;
        for (let i = 0; i < nh; i++) dPart[i * nw + j] += iw.h.BT[a][i] * iw.w.BT[b][j];
        const [mn, mx] = linearExtremes(dPart, ctx.dLo, ctx.dHi);
        push('input', `V[${a}][${b}] W-pass partial ${kD}`, mn, mx, null);
      }
      for (let i = 0; i < rh; i++) for (let j = 0; j < rw; j++) gc[i * rw + j] = iw.h.G[a][i] * iw.w.G[b][j];
      for (let i = 0; i < nh; i++) for (let j = 0; j < nw; j++) dc[i * nw + j] = iw.h.BT[a][i] * iw.w.BT[b][j];
      gCoef.push(gc);
      dCoef.push(dc);
    }
  }
  const tapForm = (xi: number): Bilinear => {
    const K = new Float64Array(ctx.ng * ctx.nd);
    for (let p = 0; p < ctx.ng; p++) for (let q = 0; q < ctx.nd; q++) K[p * ctx.nd + q] = gCoef[xi][p] * dCoef[xi][q];
    return K;
  };
  const addScaled = (acc: Bilinear, K: Bilinear, s: number) => {
    for (let i = 0; i < acc.length; i++) acc[i] += s * K[i];
  };
  const pushForm = (stage: IntermediateStage, name: string, K: Bilinear) => {
    const e = bilinearExtremes(ctx, K);
    push(stage, name, e.min, e.max, Float64Array.from(K));
  };
  const M: Bilinear[] = [];
  for (let xi = 0; xi < nh * nw; xi++) {
    M.push(tapForm(xi));
    pushForm('accumulate', `M[${Math.floor(xi / nw)}][${xi % nw}]`, M[xi]);
  }
  // output transform: H pass T[a][j] = Σ_i AhT[a][i] M[i][j], then W pass Y'[a][b] = Σ_j AwT[b][j] T[a][j]
  const { mh, mw } = iw.algo;
  const T: Bilinear[] = [];
  for (let a = 0; a < mh; a++) {
    for (let j = 0; j < nw; j++) {
      const acc = new Float64Array(ctx.ng * ctx.nd);
      let k = 0;
      iw.h.AT[a].forEach((c, i) => {
        if (c === 0) return;
        k++;
        if (Math.abs(c) !== 1) {
          const prod = new Float64Array(acc.length);
          addScaled(prod, M[i * nw + j], c);
          pushForm('output-h', `H-pass [${a}][${j}] product ${c}·M[${i}][${j}]`, prod);
        }
        addScaled(acc, M[i * nw + j], c);
        pushForm('output-h', `H-pass [${a}][${j}] partial ${k}`, acc);
      });
      T.push(acc);
    }
  }
  for (let a = 0; a < mh; a++) {
    for (let b = 0; b < mw; b++) {
      const acc = new Float64Array(ctx.ng * ctx.nd);
      let k = 0;
      iw.w.AT[b].forEach((c, j) => {
        if (c === 0) return;
        k++;
        if (Math.abs(c) !== 1) {
          const prod = new Float64Array(acc.length);
          addScaled(prod, T[a * nw + j], c);
          pushForm('output-w', `W-pass [${a}][${b}] product ${c}·T[${a}][${j}]`, prod);
        }
        addScaled(acc, T[a * nw + j], c);
        pushForm('output-w', k === iw.w.AT[b].filter((v) => v !== 0).length ? `Y'[${a}][${b}]` : `W-pass [${a}][${b}] partial ${k}`, acc);
      });
    }
  }
  return out;
}

function makeCtx(iw: IntegerWinograd, xRange: [number, number], wRange: [number, number]): Ctx {
  const { rh, rw, nh, nw } = iw.algo;
  const ng = rh * rw;
  if (ng > 16) throw new ConvDescError('algo', iw.algo.name, `must have rh·rw <= 16 (the bound analysis enumerates 2^(rh·rw) filter vertices; rh·rw = ${ng})`);
  const vertices: Float64Array[] = [];
  for (let v = 0; v < 2 ** ng; v++) vertices.push(Float64Array.from({ length: ng }, (_, p) => ((v >> p) & 1 ? wRange[1] : wRange[0])));
  return { ng, nd: nh * nw, gLo: wRange[0], gHi: wRange[1], dLo: xRange[0], dHi: xRange[1], vertices };
}

/** The full overflow analysis (see the file comment). */
export function exactWinogradBounds(opts: ExactWinogradBoundOptions): ExactWinogradBounds {
  if (typeof opts !== 'object' || opts === null) throw new ConvDescError('options', opts, 'must be an object { xRange, wRange, algo? }');
  const xRange = checkRange('xRange', opts.xRange);
  const wRange = checkRange('wRange', opts.wRange);
  const iw = integerWinograd(opts.algo ?? exactWinogradDefault());
  const ctx = makeCtx(iw, xRange, wRange);
  const forms = intermediateForms(iw, ctx);
  const intermediates = forms.map((f) => f.bound);
  const maxChannels = Math.min(...intermediates.map((b) => b.maxChannels));
  const finals = intermediates.filter((b) => b.name.startsWith("Y'"));
  const wrapSafeMaxChannels = Math.min(...finals.map((b) => b.maxChannels));
  const range = (stage: IntermediateStage, prefix: string): [number, number] => {
    const sel = intermediates.filter((b) => b.stage === stage && b.name.startsWith(prefix));
    return [Math.min(...sel.map((b) => b.min)), Math.max(...sel.map((b) => b.max))];
  };
  return {
    algorithm: iw.algo.name,
    maxChannels,
    wrapSafeMaxChannels,
    binding: intermediates.filter((b) => b.maxChannels === maxChannels),
    intermediates,
    vRange: range('input', 'V['),
    uRange: range('filter', "U'["),
    xRange,
    wRange,
  };
}

/** Largest C_in for which no int32 intermediate of the exact integer Winograd pipeline can overflow. */
export function exactWinogradMaxChannels(opts: ExactWinogradBoundOptions): number {
  return exactWinogradBounds(opts).maxChannels;
}

export interface ExactWinogradWorstCase {
  /** The no-overflow bound; the worst case overflows at channels + 1. */
  channels: number;
  /** The intermediate it drives to its extreme. */
  intermediate: IntermediateBound;
  /** 'max' (towards 2^31 − 1) or 'min' (towards −2^31). */
  side: 'max' | 'min';
  /** Per-channel filter g' (rh×rw, row-major) and input tile d' (nh×nw), to repeat in every channel. */
  g: Int32Array;
  d: Int32Array;
}

/** A per-channel (g', d') that drives the first binding intermediate to its extreme (repeat it in every channel). */
export function exactWinogradWorstCase(opts: ExactWinogradBoundOptions): ExactWinogradWorstCase {
  const xRange = checkRange('xRange', opts.xRange);
  const wRange = checkRange('wRange', opts.wRange);
  const iw = integerWinograd(opts.algo ?? exactWinogradDefault());
  const ctx = makeCtx(iw, xRange, wRange);
  const forms = intermediateForms(iw, ctx);
  const maxChannels = Math.min(...forms.map((f) => f.bound.maxChannels));
  const hit = forms.find((f) => f.K && f.bound.maxChannels === maxChannels);
  if (!hit?.K) throw new Error('exactWinogradWorstCase: the bound is set by a C-independent stage (filter or input transform)');
  const e = bilinearExtremes(ctx, hit.K);
  const side = channelsFor(0, e.max) === maxChannels ? 'max' : 'min';
  const [g, d] = side === 'max' ? e.argmax : e.argmin;
  return { channels: maxChannels, intermediate: hit.bound, side, g: Int32Array.from(g), d: Int32Array.from(d) };
}
