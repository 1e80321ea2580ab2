/**
 * Winograd convolution stage by stage on the CPU (the math the oracle, src/reference/winograd.ts, chains and the
 * tap-wise quantizer, src/quant/tapwise.ts, reuses; here, not in src/winograd/, because it sizes its tiles with the
 * geometry module of src/conv/): one channel group, stride 1, dilation 1.
 * Each stage is its own function so each GPU stage can be checked against it.
 *
 * Layouts (all flat, row-major):
 *   input    NHWC  [N, H, W, C]
 *   weights  OIHW  [O, C, rh, rw]
 *   U        [ξ][c][o]   filter transform  U = Gh · g · GwT                      (ξ < nh·nw, c < C, o < O)
 *   V        [ξ][t][c]   input transform   V = BhT · d · Bw                        (t < tiles)
 *   M        [ξ][t][o]   tap products      M[ξ][t][o] = Σ_c V[ξ][t][c] · U[ξ][c][o]
 *   output   NHWC  [N, outH, outW, O]      Y = AhT · M · Aw per tile, cropped to the output
 * ξ = a·nw + b indexes the nh×nw tap grid row-major. Tiles: t = ((n·tilesH) + th)·tilesW + tw; tile
 * (th, tw) produces output rows th·mh … th·mh+mh−1 and columns tw·mw … tw·mw+mw−1 and reads input rows
 * th·mh − padTop … (+nh−1) and columns tw·mw − padLeft … (+nw−1); reads outside the input are zero
 * (this covers the padding and the partial last tiles, whose extra outputs are discarded).
 * outH = H + padTop + padBottom − rh + 1, outW = W + padLeft + padRight − rw + 1.
 *
 * Numeric modes:
 *   'f64'  plain float64 arithmetic, constants rounded once to float64;
 *   'f32'  inputs, weights and constants rounded to float32 (constants once, from their exact value), and
 *          Math.fround after EVERY multiply and every add (no fused multiply-add).
 * Operation order (both modes): a 2-D transform X → L · X · Rᵀ is applied first along H (to each column,
 * with L) and then along W (to each row of that result, with R). Each 1-D transform output is an explicit
 * sum over the nonzero entries of its matrix row in ascending column order: acc = c₀·x₀, acc = acc + cⱼ·xⱼ.
 * The tap products sum channels in ascending order the same way.
 */
import { toFloat32, toFloat64 } from '../winograd/float.ts';
import type { RationalMatrix } from '../winograd/rational-matrix.ts';
import type { Winograd2D } from '../winograd/types.ts';
import { convOutputDim, tileCount } from '../conv/geometry.ts';

export type WinogradNumericMode = 'f64' | 'f32';

export interface WinogradConvShape {
  readonly batch: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly outChannels: number;
  /** [top, left, bottom, right] */
  readonly pads: readonly [number, number, number, number];
}

export interface WinogradTiling {
  readonly outHeight: number;
  readonly outWidth: number;
  readonly tilesH: number;
  readonly tilesW: number;
  /** batch · tilesH · tilesW */
  readonly tiles: number;
  /** nh · nw */
  readonly taps: number;
  readonly mh: number;
  readonly mw: number;
  readonly rh: number;
  readonly rw: number;
  readonly nh: number;
  readonly nw: number;
}


type Round = (x: number) => number;
const keep: Round = (x) => x;

function roundFor(mode: WinogradNumericMode): Round {
  if (mode === 'f32') return Math.fround;
  if (mode === 'f64') return keep;
  throw new Error(`mode: expected 'f64' or 'f32', got ${JSON.stringify(mode)}`);
}

/** Nonzero entries of one matrix row, ascending column. */
interface SparseRow {
  readonly cols: readonly number[];
  readonly coefs: readonly number[];
}

function sparseRows(matrix: RationalMatrix, mode: WinogradNumericMode): SparseRow[] {
  const values = mode === 'f32' ? toFloat32(matrix) : toFloat64(matrix);
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

/**
 * dst[dOff + i·dStride] = Σ_j rows[i][j] · src[sOff + j·sStride] for every row i, summed over the row's
 * nonzero entries in ascending column order, rounding after each operation.
 */
function applyRows(
  rows: readonly SparseRow[],
  src: Float64Array,
  sOff: number,
  sStride: number,
  dst: Float64Array,
  dOff: number,
  dStride: number,
  round: Round,
): void {
  for (let i = 0; i < rows.length; i++) {
    const { cols, coefs } = rows[i];
    let acc = 0;
    for (let k = 0; k < cols.length; k++) {
      const term = round(coefs[k] * src[sOff + cols[k] * sStride]);
      acc = k === 0 ? term : round(acc + term);
    }
    dst[dOff + i * dStride] = acc;
  }
}

/**
 * X (p×q, row-major) → L · X · Rᵀ ((rows of L)×(rows of R)): first L along H on every column of X, then R
 * along W on every row of that intermediate.
 */
function transform2D(
  left: readonly SparseRow[],
  right: readonly SparseRow[],
  x: Float64Array,
  q: number,
  tmp: Float64Array,
  out: Float64Array,
  round: Round,
): void {
  for (let col = 0; col < q; col++) applyRows(left, x, col, q, tmp, col, q, round);
  const outCols = right.length;
  for (let row = 0; row < left.length; row++) applyRows(right, tmp, row * q, 1, out, row * outCols, 1, round);
}

function checkCount(value: number, what: string, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${what}: expected an integer >= ${min}, got ${String(value)}`);
  }
}

function checkAlgo(algo: Winograd2D): void {
  if (algo?.dims !== 2) throw new Error(`algo: expected a 2-D Winograd algorithm (winograd2D), got ${String(algo?.name ?? algo)}`);
}

/** Output size and tile grid; validates the shape. */
export function winogradTiling(algo: Winograd2D, shape: WinogradConvShape): WinogradTiling {
  checkAlgo(algo);
  checkCount(shape.batch, 'shape.batch', 1);
  checkCount(shape.inHeight, 'shape.inHeight', 1);
  checkCount(shape.inWidth, 'shape.inWidth', 1);
  checkCount(shape.inChannels, 'shape.inChannels', 1);
  checkCount(shape.outChannels, 'shape.outChannels', 1);
  if (!Array.isArray(shape.pads) || shape.pads.length !== 4) {
    throw new Error(`shape.pads: expected [top, left, bottom, right], got ${JSON.stringify(shape.pads)}`);
  }
  shape.pads.forEach((p, i) => checkCount(p, `shape.pads[${i}]`, 0));
  const [top, left, bottom, right] = shape.pads;
  const { mh, mw, rh, rw, nh, nw } = algo;
  const outHeight = convOutputDim(shape.inHeight, rh, 1, 1, top, bottom);
  const outWidth = convOutputDim(shape.inWidth, rw, 1, 1, left, right);
  if (outHeight < 1 || outWidth < 1) {
    throw new Error(
      `shape: output would be ${outHeight}x${outWidth} (H + padTop + padBottom − rh + 1 = ${shape.inHeight} + ${top} + ${bottom} − ${rh} + 1, ` +
        `W + padLeft + padRight − rw + 1 = ${shape.inWidth} + ${left} + ${right} − ${rw} + 1); both must be >= 1`,
    );
  }
  const tilesH = tileCount(outHeight, mh);
  const tilesW = tileCount(outWidth, mw);
  return Object.freeze({ outHeight, outWidth, tilesH, tilesW, tiles: shape.batch * tilesH * tilesW, taps: nh * nw, mh, mw, rh, rw, nh, nw });
}

function checkLength(data: ArrayLike<number>, expected: number, what: string, rule: string): void {
  if (data?.length !== expected) throw new Error(`${what}: expected ${expected} values (${rule}), got ${String(data?.length)}`);
}

/** Stage (a): U[ξ][c][o] = (Gh · g[o][c] · GwT)[ξ] from OIHW weights [O, C, rh, rw]. */
export function winogradFilterTransform(
  algo: Winograd2D,
  weights: ArrayLike<number>,
  outChannels: number,
  inChannels: number,
  mode: WinogradNumericMode = 'f64',
): Float64Array {
  checkAlgo(algo);
  checkCount(outChannels, 'outChannels', 1);
  checkCount(inChannels, 'inChannels', 1);
  const round = roundFor(mode);
  const { rh, rw, nh, nw } = algo;
  checkLength(weights, outChannels * inChannels * rh * rw, 'weights', `OIHW ${outChannels}x${inChannels}x${rh}x${rw}`);
  const gh = sparseRows(algo.h.G, mode);
  const gw = sparseRows(algo.w.G, mode);
  const taps = nh * nw;
  const U = new Float64Array(taps * inChannels * outChannels);
  const g = new Float64Array(rh * rw);
  const tmp = new Float64Array(nh * rw);
  const u = new Float64Array(taps);
  for (let o = 0; o < outChannels; o++) {
    for (let c = 0; c < inChannels; c++) {
      const base = (o * inChannels + c) * rh * rw;
      for (let k = 0; k < rh * rw; k++) g[k] = round(weights[base + k]);
      transform2D(gh, gw, g, rw, tmp, u, round);
      for (let xi = 0; xi < taps; xi++) U[(xi * inChannels + c) * outChannels + o] = u[xi];
    }
  }
  return U;
}

/** Stage (b): V[ξ][t][c] = (BhT · d · Bw)[ξ] for each tile t and channel c of the NHWC input. */
export function winogradInputTransform(
  algo: Winograd2D,
  input: ArrayLike<number>,
  shape: WinogradConvShape,
  mode: WinogradNumericMode = 'f64',
): Float64Array {
  const tiling = winogradTiling(algo, shape);
  const round = roundFor(mode);
  const { batch, inHeight: H, inWidth: W, inChannels: C } = shape;
  checkLength(input, batch * H * W * C, 'input', `NHWC ${batch}x${H}x${W}x${C}`);
  const [top, left] = shape.pads;
  const { mh, mw, nh, nw, tilesH, tilesW, tiles, taps } = tiling;
  const bh = sparseRows(algo.h.BT, mode);
  const bw = sparseRows(algo.w.BT, mode);
  const V = new Float64Array(taps * tiles * C);
  const d = new Float64Array(taps);
  const tmp = new Float64Array(taps);
  const v = new Float64Array(taps);
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
              d[a * nw + b] = inside ? round(input[((n * H + y) * W + x) * C + c]) : 0;
            }
          }
          transform2D(bh, bw, d, nw, tmp, v, round);
          for (let xi = 0; xi < taps; xi++) V[(xi * tiles + t) * C + c] = v[xi];
        }
      }
    }
  }
  return V;
}

/** Stage (c): M[ξ][t][o] = Σ_c V[ξ][t][c] · U[ξ][c][o] (channels in ascending order). */
export function winogradTapProducts(
  algo: Winograd2D,
  U: Float64Array,
  V: Float64Array,
  shape: WinogradConvShape,
  mode: WinogradNumericMode = 'f64',
): Float64Array {
  const { tiles, taps } = winogradTiling(algo, shape);
  const round = roundFor(mode);
  const { inChannels: C, outChannels: O } = shape;
  checkLength(U, taps * C * O, 'U', `[ξ][c][o] ${taps}x${C}x${O}`);
  checkLength(V, taps * tiles * C, 'V', `[ξ][t][c] ${taps}x${tiles}x${C}`);
  const M = new Float64Array(taps * tiles * O);
  for (let xi = 0; xi < taps; xi++) {
    for (let t = 0; t < tiles; t++) {
      const vBase = (xi * tiles + t) * C;
      for (let o = 0; o < O; o++) {
        let acc = 0;
        for (let c = 0; c < C; c++) {
          const term = round(V[vBase + c] * U[(xi * C + c) * O + o]);
          acc = c === 0 ? term : round(acc + term);
        }
        M[(xi * tiles + t) * O + o] = acc;
      }
    }
  }
  return M;
}

/** Stage (d): Y = AhT · M · Aw per tile and output channel, cropped into the NHWC output. */
export function winogradOutputTransform(
  algo: Winograd2D,
  M: Float64Array,
  shape: WinogradConvShape,
  mode: WinogradNumericMode = 'f64',
): Float64Array {
  const tiling = winogradTiling(algo, shape);
  const round = roundFor(mode);
  const { batch, outChannels: O } = shape;
  const { outHeight, outWidth, mh, mw, nh, nw, tilesH, tilesW, tiles, taps } = tiling;
  checkLength(M, taps * tiles * O, 'M', `[ξ][t][o] ${taps}x${tiles}x${O}`);
  const ah = sparseRows(algo.h.AT, mode);
  const aw = sparseRows(algo.w.AT, mode);
  const output = new Float64Array(batch * outHeight * outWidth * O);
  const m = new Float64Array(taps);
  const tmp = new Float64Array(mh * nw);
  const y = new Float64Array(mh * mw);
  for (let n = 0; n < batch; n++) {
    for (let th = 0; th < tilesH; th++) {
      for (let tw = 0; tw < tilesW; tw++) {
        const t = (n * tilesH + th) * tilesW + tw;
        for (let o = 0; o < O; o++) {
          for (let xi = 0; xi < taps; xi++) m[xi] = M[(xi * tiles + t) * O + o];
          transform2D(ah, aw, m, nw, tmp, y, round);
          for (let a = 0; a < mh; a++) {
            const oy = th * mh + a;
            if (oy >= outHeight) break;
            for (let b = 0; b < mw; b++) {
              const ox = tw * mw + b;
              if (ox >= outWidth) break;
              output[((n * outHeight + oy) * outWidth + ox) * O + o] = y[a * mw + b];
            }
          }
        }
      }
    }
  }
  return output;
}
