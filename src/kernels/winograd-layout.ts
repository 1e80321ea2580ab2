/**
 * Tiling math, buffer sizes and kernel-ID names of the three-dispatch Winograd path F(mh×mw, rh×rw).
 * Pure functions of the algorithm and the problem shape.
 *
 * Buffers (all array<vec4<f32>>; channels padded to multiples of 4 with zeros; ξ < nh·nw is the tap
 * index over the nh×nw grid, row-major; t = ((n·tilesH) + th)·tilesW + tw):
 *   V[ξ][t][c4]       input transform,  GEMM A of batch ξ: M = tiles rows, K = C4·4
 *   U[ξ][C4·4][O4]    filter transform, GEMM B of batch ξ: K = C4·4 rows (padded rows zero), N = O (padded cols zero)
 *   M[ξ][t][O4]       tap products,     GEMM C of batch ξ
 * Tile (th, tw) produces output rows th·mh … th·mh+mh−1 and columns tw·mw … tw·mw+mw−1 and reads input rows
 * th·mh − padTop … (+nh−1) and columns tw·mw − padLeft … (+nw−1); reads outside the input are zero.
 */
import { WINOGRAD_POINT_SETS, directAlgorithm, winograd1D } from '../winograd/cook-toom.ts';
import { formatMatrix } from '../winograd/format.ts';
import { type Fraction, formatFraction, fractionToFloat32, wgslF32Literal } from '../winograd/rational.ts';
import { type RationalMatrix, matricesEqual } from '../winograd/rational-matrix.ts';
import type { Winograd1D, Winograd2D } from '../winograd/types.ts';
import { convOutputDim, tileCount } from '../conv/geometry.ts';

/** The per-call problem the Winograd path is laid out for (stride 1, dilation 1, groups 1). */
export interface WinogradProblem {
  readonly batch: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly outChannels: number;
  /** [top, left, bottom, right] */
  readonly pads: readonly [number, number, number, number];
}

export interface WinogradLayout {
  readonly outHeight: number;
  readonly outWidth: number;
  readonly tilesH: number;
  readonly tilesW: number;
  /** batch · tilesH · tilesW: the GEMM's M. */
  readonly tiles: number;
  /** nh · nw: the GEMM's batch count (dispatch z). */
  readonly taps: number;
  /** ceil(C / 4): vec4 groups of input channels (the GEMM's K4). */
  readonly c4: number;
  /** ceil(O / 4): vec4 groups of output channels (the GEMM's N4). */
  readonly o4: number;
  /** 4 · c4 (the GEMM's K). */
  readonly cPad: number;
  /** 4 · o4. */
  readonly oPad: number;
  /** Byte sizes of V, U and M. */
  readonly vBytes: number;
  readonly uBytes: number;
  readonly mBytes: number;
  /** Per-call scratch: V + M (U lives with the plan). */
  readonly workspaceBytes: number;
}

function checkCount(value: number, what: string, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new Error(`${what}: expected an integer >= ${min}, got ${String(value)}`);
}

function checkAlgo(algo: Winograd2D): void {
  if (algo?.dims !== 2) throw new Error(`algo: expected a 2-D Winograd algorithm (winograd2D), got ${String(algo?.name ?? algo)}`);
}

/** nh · nw. */
export function winogradTaps(algo: Winograd2D): number {
  checkAlgo(algo);
  return algo.nh * algo.nw;
}

/** ceil(channels / 4). */
export function vec4Groups(channels: number): number {
  checkCount(channels, 'channels', 1);
  return Math.ceil(channels / 4);
}

/** Output size of the stride-1, dilation-1 convolution: in + pads − r + 1 along each axis. */
export function winogradOutputSize(algo: Winograd2D, p: WinogradProblem): { outHeight: number; outWidth: number } {
  checkAlgo(algo);
  checkCount(p.inHeight, 'inHeight', 1);
  checkCount(p.inWidth, 'inWidth', 1);
  if (!Array.isArray(p.pads) || p.pads.length !== 4) throw new Error(`pads: expected [top, left, bottom, right], got ${JSON.stringify(p.pads)}`);
  p.pads.forEach((v, i) => checkCount(v, `pads[${i}]`, 0));
  const [top, left, bottom, right] = p.pads;
  const outHeight = convOutputDim(p.inHeight, algo.rh, 1, 1, top, bottom);
  const outWidth = convOutputDim(p.inWidth, algo.rw, 1, 1, left, right);
  if (outHeight < 1 || outWidth < 1) {
    throw new Error(`output would be ${outHeight}x${outWidth} (in + pads − r + 1 with r = ${algo.rh}x${algo.rw}); both must be >= 1`);
  }
  return { outHeight, outWidth };
}

/** The tile grid for an output of outHeight × outWidth: ceil(Ho / mh) × ceil(Wo / mw) tiles per image. */
export function winogradTileGrid(algo: Winograd2D, batch: number, outHeight: number, outWidth: number): { tilesH: number; tilesW: number; tiles: number } {
  checkAlgo(algo);
  checkCount(batch, 'batch', 1);
  checkCount(outHeight, 'outHeight', 1);
  checkCount(outWidth, 'outWidth', 1);
  const tilesH = tileCount(outHeight, algo.mh);
  const tilesW = tileCount(outWidth, algo.mw);
  return { tilesH, tilesW, tiles: batch * tilesH * tilesW };
}

/** Everything the three dispatches and the workspace need to know about one call's shape. */
export function winogradLayout(algo: Winograd2D, p: WinogradProblem): WinogradLayout {
  checkCount(p.batch, 'batch', 1);
  checkCount(p.inChannels, 'inChannels', 1);
  checkCount(p.outChannels, 'outChannels', 1);
  const { outHeight, outWidth } = winogradOutputSize(algo, p);
  const { tilesH, tilesW, tiles } = winogradTileGrid(algo, p.batch, outHeight, outWidth);
  const taps = winogradTaps(algo);
  const c4 = vec4Groups(p.inChannels);
  const o4 = vec4Groups(p.outChannels);
  const vBytes = taps * tiles * c4 * 16;
  const uBytes = taps * c4 * 4 * o4 * 16;
  const mBytes = taps * tiles * o4 * 16;
  return Object.freeze({ outHeight, outWidth, tilesH, tilesW, tiles, taps, c4, o4, cPad: 4 * c4, oPad: 4 * o4, vBytes, uBytes, mBytes, workspaceBytes: vBytes + mBytes });
}

/** Flat float index of V[ξ][t][c] (c < cPad) and of M[ξ][t][o] (o < oPad). */
export function winogradVIndex(l: WinogradLayout, xi: number, t: number, c: number): number {
  return (xi * l.tiles + t) * l.cPad + c;
}
export function winogradMIndex(l: WinogradLayout, xi: number, t: number, o: number): number {
  return (xi * l.tiles + t) * l.oPad + o;
}
/** Flat float index of U[ξ][c][o] (c < cPad, o < oPad). */
export function winogradUIndex(l: Pick<WinogradLayout, 'cPad' | 'oPad'>, xi: number, c: number, o: number): number {
  return (xi * l.cPad + c) * l.oPad + o;
}

// ---------------------------------------------------------------------------------------------------------
// Kernel-ID fragment of the algorithm.

const canonicalCache = new Map<string, Winograd1D>();

function canonical(m: number, r: number, variant: string): Winograd1D {
  const key = `${m},${r},${variant}`;
  let a = canonicalCache.get(key);
  if (!a) {
    a = m === 1 ? directAlgorithm(r) : winograd1D(m, r, variant);
    canonicalCache.set(key, a);
  }
  return a;
}

function sameMatrices(a: Winograd1D, b: Winograd1D): boolean {
  return a.m === b.m && a.r === b.r && matricesEqual(a.AT, b.AT) && matricesEqual(a.G, b.G) && matricesEqual(a.BT, b.BT);
}

/**
 * The offered variant ('default', 'alt', …) whose exact matrices this side has, or undefined. A side is
 * recognised by its matrices, never by its name or kind, so an edited or learned transform cannot borrow
 * a canonical algorithm's pipeline-cache key.
 */
function canonicalVariant(a: Winograd1D): string | undefined {
  if (a.m === 1) return sameMatrices(a, canonical(1, a.r, 'default')) ? 'default' : undefined;
  for (const set of WINOGRAD_POINT_SETS) {
    if (set.m === a.m && set.r === a.r && sameMatrices(a, canonical(a.m, a.r, set.variant))) return set.variant;
  }
  return undefined;
}

function matrixText(mat: RationalMatrix): string {
  return mat.map((row) => row.map(formatFraction).join(',')).join(';');
}

/** FNV-1a (32-bit) of a string's UTF-16 code units, as 8 hex digits. */
export function fnv1a32(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** A stable hash of every matrix of both sides (exact values), 8 hex digits. */
export function winogradMatrixHash(algo: Winograd2D): string {
  checkAlgo(algo);
  const side = (a: Winograd1D) => `m${a.m}r${a.r}|AT:${matrixText(a.AT)}|G:${matrixText(a.G)}|BT:${matrixText(a.BT)}`;
  return fnv1a32(`H{${side(algo.h)}}W{${side(algo.w)}}`);
}

/**
 * The algorithm's kernel-ID fragment:
 *   canonical Cook-Toom / direct sides: 'wino4x4' F(4x4,3x3), 'wino2x1' F(2x1,3x3), 'wino4x4r5' F(4x4,5x5),
 *     'wino2x2r3x5' (rh ≠ rw), 'wino4x4alt' (a non-default point set, the same on every Winograd side);
 *   anything else (user-supplied or edited matrices, other point sets, mixed variants):
 *     'winou4x4_<8 hex>' ('winou4x4r5_<hex>' …; 'u' for user, lower case as kernel IDs are), the hash of all the exact matrices.
 */
export function winogradAlgoIdPart(algo: Winograd2D): string {
  checkAlgo(algo);
  const { mh, mw, rh, rw } = algo;
  const rPart = rh === 3 && rw === 3 ? '' : rh === rw ? `r${rh}` : `r${rh}x${rw}`;
  const vh = canonicalVariant(algo.h);
  const vw = canonicalVariant(algo.w);
  const sides = [algo.h.m === 1 ? undefined : vh, algo.w.m === 1 ? undefined : vw].filter((v) => v !== undefined);
  const agree = vh !== undefined && vw !== undefined && sides.every((v) => v === sides[0]);
  if (agree) {
    const variant = sides[0] ?? 'default';
    return `wino${mh}x${mw}${rPart}${variant === 'default' ? '' : variant}`;
  }
  return `winou${mh}x${mw}${rPart}_${winogradMatrixHash(algo)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Unrolled transforms, shared by the input and output kernels.

/**
 * The straight-line WGSL of one row of a transform: Σ_j coefs[j] · operands[j] over the nonzero terms in
 * ascending j (the CPU reference's order), with each coefficient rounded once from its exact value to f32.
 * Terms whose f32 coefficient is 0 or whose operand is known to be zero (null) are dropped; ±1 become
 * add/sub; a negative coefficient c becomes `− |c| · x` (bit-identical to `+ c · x`).
 * Returns null when no term is left (the row is zero).
 */
export function unrolledRowSum(coefs: readonly Fraction[], operands: readonly (string | null)[]): string | null {
  let expr: string | null = null;
  coefs.forEach((c, j) => {
    const x = operands[j];
    if (x === null || c.n === 0n) return;
    const f = fractionToFloat32(c);
    if (f === 0) return;
    if (expr === null) {
      expr = f === 1 ? x : f === -1 ? `-${x}` : `${wgslF32Literal(f)} * ${x}`;
    } else {
      const mag = Math.abs(f);
      const term = mag === 1 ? x : `${wgslF32Literal(mag)} * ${x}`;
      expr = `${expr} ${f < 0 ? '-' : '+'} ${term}`;
    }
  });
  return expr;
}

export const ZERO_VEC4 = 'vec4<f32>(0.0)';

/**
 * One 1-D transform X → L · X unrolled: for each row i of L, `assign(i, expr)` with expr the row's sum
 * over `operands` (see `unrolledRowSum`), or `vec4<f32>(0.0)` for a zero row. The kernels apply it to one
 * column (along H) or one row (along W) of a tile per loop iteration.
 */
export function unrolled1D(matrix: RationalMatrix, operands: readonly (string | null)[], assign: (i: number, expr: string) => string): string[] {
  return matrix.map((row, i) => assign(i, unrolledRowSum(row, operands) ?? ZERO_VEC4));
}

/** True when an expression from `unrolledRowSum` is a bare operand (a +1 row: no instruction needed). */
export function isBareOperand(expr: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?$/.test(expr);
}

/** The comment that carries a matrix into the generated code: a title line and the exact entries. */
export function matrixComment(title: string, matrix: RationalMatrix, indent: string): string[] {
  return [`${indent}// ${title} (${matrix.length}x${matrix[0].length}) =`, ...formatMatrix(matrix, `${indent}//   `).split('\n')];
}

/**
 * The first lines of every Winograd transform kernel over the input (fp32 and int8): the linear invocation index,
 * the early return past `tiles · c4`, the channel group k and tile t (NHWC: k fastest; NCHW: t fastest), the tile's
 * coordinates (tw, th, n) and the patch origin (y0, x0) with the bounds ymax, xmax. Negative coordinates wrap to
 * huge u32 values, so one unsigned compare tests both ends.
 */
export function tileIndexPrologue(mh: number, mw: number, nhwc: boolean, I: string): string[] {
  const L = [
    `${I}let idx = gid.y * params.row_pitch + gid.x;`,
    `${I}let tiles = params.batch * params.tiles_h * params.tiles_w;`,
    `${I}if (idx >= tiles * params.c4) {`, `${I}${I}return;`, `${I}}`,
  ];
  if (nhwc) L.push(`${I}let k = idx % params.c4;`, `${I}let t = idx / params.c4;`);
  else L.push(`${I}let t = idx % tiles;`, `${I}let k = idx / tiles;`);
  L.push(
    `${I}let tw = t % params.tiles_w;`,
    `${I}let tq = t / params.tiles_w;`,
    `${I}let th = tq % params.tiles_h;`,
    `${I}let n = tq / params.tiles_h;`,
    `${I}let y0 = ${mh === 1 ? 'th' : `th * ${mh}u`} - params.pad_top;`,
    `${I}let x0 = ${mw === 1 ? 'tw' : `tw * ${mw}u`} - params.pad_left;`,
    `${I}let ymax = params.in_h - 1u;`,
    `${I}let xmax = params.in_w - 1u;`,
  );
  return L;
}

/**
 * The first lines of every Winograd output-transform kernel (fp32 and int8): the linear invocation index, the
 * early return past `tiles · o4`, the channel group k and tile t (NHWC: k fastest; NCHW: t fastest), the tile's
 * coordinates (tw, th, n), and the tap stride `ms` and this invocation's base `mb` in M[ξ][t][o4].
 */
export function outputTileIndexPrologue(nhwc: boolean, I: string): string[] {
  return [
    `${I}let idx = gid.y * params.row_pitch + gid.x;`,
    `${I}let tiles = params.batch * params.tiles_h * params.tiles_w;`,
    `${I}if (idx >= tiles * params.o4) {`, `${I}${I}return;`, `${I}}`,
    ...(nhwc ? [`${I}let k = idx % params.o4;`, `${I}let t = idx / params.o4;`] : [`${I}let t = idx % tiles;`, `${I}let k = idx / tiles;`]),
    `${I}let tw = t % params.tiles_w;`,
    `${I}let tq = t / params.tiles_w;`,
    `${I}let th = tq % params.tiles_h;`,
    `${I}let n = tq / params.tiles_h;`,
    `${I}let ms = tiles * params.o4;`,
    `${I}let mb = t * params.o4 + k;`,
  ];
}

/** 0 … n−1. */
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** The index of tap ξ of the current tile in a [ξ][t][k] array: `base + ξ · stride`, written without the no-op terms. */
export function tapIndex(base: string, stride: string, xi: number): string {
  return xi === 0 ? base : xi === 1 ? `${base} + ${stride}` : `${base} + ${xi}u * ${stride}`;
}
