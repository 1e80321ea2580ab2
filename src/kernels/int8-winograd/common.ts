/**
 * Pieces shared by the int8 Winograd kernel generators (exact F(2×2,3×3) and tap-wise): config checks, the
 * packed 8-bit patch reader of the input transforms, integer unrolled transforms, 1-D dispatch math.
 * Pure: no GPU objects.
 *
 * Activations use the int8 kernels' buffer format (src/kernels/int8/format.ts): NHWC [N][H][W][C4·4] bytes
 * (4 channels per u32, padding lanes arbitrary), NCHW [N][C][H][W] bytes unpadded, in both cases the bytes of
 * `input: array<u32>`. The input transforms read one tile × 4 channels per invocation.
 */
import type { Layout } from '../../conv/types.ts';
import type { Fraction } from '../../winograd/rational.ts';
import type { RationalMatrix } from '../../winograd/rational-matrix.ts';
import type { Winograd2D } from '../../winograd/types.ts';
import type { UniformField } from '../types.ts';
import type { QDType } from '../int8/types.ts';
import { tileIndexPrologue } from '../winograd-layout.ts';

export const u32f = (name: string): UniformField => ({ name, type: 'u32' });
export const i32f = (name: string): UniformField => ({ name, type: 'i32' });

export const DEFAULT_WG = 64;

export function fail(what: string, field: string, v: unknown, rule: string): never {
  throw new Error(`${what}.${field} = ${typeof v === 'object' && v !== null && 'name' in v ? String((v as { name: unknown }).name) : JSON.stringify(v)}: ${rule}`);
}

export function checkAlgo2D(what: string, algo: Winograd2D): void {
  if (algo?.dims !== 2) fail(what, 'algo', algo, 'must be a 2-D Winograd algorithm (winograd2D)');
}

export function checkLayout(what: string, layout: Layout): void {
  if (layout !== 'NHWC' && layout !== 'NCHW') fail(what, 'layout', layout, "must be 'NHWC' or 'NCHW'");
}

export function checkQDType(what: string, field: string, t: QDType): void {
  if (t !== 'int8' && t !== 'uint8') fail(what, field, t, "must be 'int8' or 'uint8'");
}

export function checkWorkgroup(what: string, wg: number | undefined): number {
  const v = wg ?? DEFAULT_WG;
  if (!Number.isInteger(v) || v < 1 || v > 256) fail(what, 'workgroupSize', v, 'must be an integer in [1, 256]');
  return v;
}

/** 1-D dispatch of `total` invocations in workgroups of `wg`, split over y past `maxPerDim` (row_pitch = x · wg). */
export function linearWorkgroups(total: number, wg: number, maxPerDim: number): { workgroups: [number, number, number]; rowPitch: number } {
  const groups = Math.max(1, Math.ceil(total / wg));
  if (groups <= maxPerDim) return { workgroups: [groups, 1, 1], rowPitch: groups * wg };
  const y = Math.ceil(groups / maxPerDim);
  const x = Math.ceil(groups / y);
  if (y > maxPerDim) throw new Error(`dispatch of ${total} invocations exceeds ${maxPerDim}² workgroups of ${wg}`);
  return { workgroups: [x, y, 1], rowPitch: x * wg };
}

/** Short dtype for IDs. */
export const dtShort = (t: QDType): string => (t === 'int8' ? 'i8' : 'u8');

/** Sign- or zero-extends the 4 bytes of a u32 word expression to vec4<i32> (lane j = bits 8j .. 8j+7). */
export function unpackBytesExpr(word: string, dtype: QDType): string {
  return dtype === 'int8'
    ? `(bitcast<vec4<i32>>(vec4<u32>(${word}) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u))`
    : `bitcast<vec4<i32>>((vec4<u32>(${word}) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(255u))`;
}

/** Uniforms of the input transforms (geometry; x_zp is the activation zero point as an i32). */
export const INPUT_GEOMETRY_UNIFORMS: UniformField[] = [
  ...['batch', 'in_h', 'in_w', 'in_c', 'pad_top', 'pad_left', 'tiles_h', 'tiles_w', 'c4', 'row_pitch'].map(u32f),
  i32f('x_zp'),
];

/**
 * The opening of an input-transform entry point: the invocation's tile t and channel group k, the patch origin,
 * per-row validity and row offsets, and (NCHW) the 4 channel planes. Exposes `lane_ok` (channels < C).
 */
export function patchPrologue(algo: Winograd2D, layout: Layout): string[] {
  const { mh, mw, nh } = algo;
  const nhwc = layout === 'NHWC';
  const I = '  ';
  const L: string[] = tileIndexPrologue(mh, mw, nhwc, I);
  L.push(
    `${I}let lanes = vec4<u32>(4u * k) + vec4<u32>(0u, 1u, 2u, 3u);`,
    `${I}let lane_ok = lanes < vec4<u32>(params.in_c);`,
    `${I}let zp = vec4<i32>(params.x_zp);`,
    `${I}let zero = vec4<i32>(0);`,
  );
  if (!nhwc) {
    L.push(`${I}let plane = params.in_h * params.in_w;`);
    // lanes past C read channel C − 1 (in bounds); their V lanes are zeroed when stored
    L.push(`${I}let pl = (vec4<u32>(n * params.in_c) + min(lanes, vec4<u32>(params.in_c - 1u))) * plane;`);
  }
  for (let a = 0; a < nh; a++) {
    const y = a === 0 ? 'y0' : `y0 + ${a}u`;
    L.push(`${I}let ok_r${a} = ${y} < params.in_h;`);
    L.push(nhwc ? `${I}let row${a} = ((n * params.in_h + min(${y}, ymax)) * params.in_w) * params.c4 + k;` : `${I}let row${a} = min(${y}, ymax) * params.in_w;`);
  }
  return L;
}

/**
 * Patch column b, straight-line: statements that define `ok_c{b}` and `d0_{b} … d{nh−1}_{b}`: vec4<i32> of
 * x − x_zp for the 4 channels, 0 outside the image.
 */
export function patchColumnLoads(algo: Winograd2D, layout: Layout, dtype: QDType, ind: string, b: number): string[] {
  const x = b === 0 ? 'x0' : `x0 + ${b}u`;
  const L: string[] = [`${ind}let ok_c${b} = ${x} < params.in_w;`];
  if (layout === 'NHWC') {
    L.push(`${ind}let col${b} = min(${x}, xmax) * params.c4;`);
    for (let a = 0; a < algo.nh; a++) {
      L.push(`${ind}let d${a}_${b} = select(zero, ${unpackBytesExpr(`input[row${a} + col${b}]`, dtype)} - zp, ok_r${a} && ok_c${b});`);
    }
  } else {
    L.push(`${ind}let cx${b} = min(${x}, xmax);`);
    for (let a = 0; a < algo.nh; a++) {
      const bi = `bi${a}_${b}`;
      const w = `w${a}_${b}`;
      L.push(`${ind}let ${bi} = pl + vec4<u32>(row${a} + cx${b});`);
      L.push(`${ind}let ${w} = vec4<u32>(input[${bi}.x >> 2u], input[${bi}.y >> 2u], input[${bi}.z >> 2u], input[${bi}.w >> 2u]);`);
      const by = `((${w} >> ((${bi} & vec4<u32>(3u)) * 8u)) & vec4<u32>(255u))`;
      const val = dtype === 'int8' ? `(bitcast<vec4<i32>>(${by} << vec4<u32>(24u)) >> vec4<u32>(24u))` : `bitcast<vec4<i32>>(${by})`;
      L.push(`${ind}let d${a}_${b} = select(zero, ${val} - zp, ok_r${a} && ok_c${b});`);
    }
  }
  return L;
}

/**
 * Largest |V| an input transform can produce for |d'| ≤ 255: Σ over the tap's linear form of |coefficients| · 255.
 * The exact path needs it ≤ 32767 (int16 storage); the tap-wise path below 2^24 (exact f32 transform).
 */
export function inputTransformMaxAbs(algo: Winograd2D): number {
  const abs = (m: Winograd2D['h']['BT']) => m.map((row) => row.reduce((s, f) => s + Math.abs(Number(f.s * f.n) / Number(f.d)), 0));
  return Math.max(...abs(algo.h.BT)) * Math.max(...abs(algo.w.BT)) * 255;
}

/** Header lines describing the patch reads. */
export function patchReadDescription(algo: Winograd2D, layout: Layout, dtype: QDType): string[] {
  return [
    `Reads: the ${algo.nh}x${algo.nw} patch at rows th·${algo.mh} − pad_top + a, cols tw·${algo.mw} − pad_left + b of the packed ${dtype} input`,
    layout === 'NHWC'
      ? `  (NHWC [N][H][W][C4·4] bytes: one u32 = the 4 channels of the group per patch element),`
      : `  (NCHW [N][C][H][W] bytes: 4 byte gathers, one per channel plane, per patch element),`,
    `  d' = x − x_zp as vec4<i32>; outside the image d' = 0 (the padded value x_zp minus x_zp), by select on clamped indices.`,
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Integer unrolled transforms (the exact path): the integer counterpart of winograd-layout.ts unrolledRowSum.

function fractionToInt(f: Fraction, what: string): number {
  if (f.d !== 1n) throw new Error(`${what}: ${f.s < 0n ? '-' : ''}${f.n}/${f.d} is not an integer (the exact path needs integer Aᵀ and Bᵀ)`);
  const v = Number(f.s * f.n);
  if (!Number.isSafeInteger(v) || Math.abs(v) > 2 ** 20) throw new Error(`${what}: ${v} is out of range`);
  return v;
}

/**
 * Σ_j coefs[j] · operands[j] over the nonzero terms in ascending j, with integer coefficients (vec4<i32>
 * operands): ±1 as add/sub, others `c * x` (i32 scalar times vector). Null when the row is zero. Integer
 * arithmetic wraps mod 2^32 (a ring), so any order gives the same bits; ascending order is kept anyway.
 */
export function unrolledRowSumInt(coefs: readonly Fraction[], operands: readonly string[], what: string): string | null {
  let expr: string | null = null;
  coefs.forEach((c, j) => {
    const v = fractionToInt(c, `${what}[${j}]`);
    if (v === 0) return;
    const x = operands[j];
    if (expr === null) expr = v === 1 ? x : v === -1 ? `-${x}` : `${v}i * ${x}`;
    else {
      const mag = Math.abs(v);
      expr = `${expr} ${v < 0 ? '-' : '+'} ${mag === 1 ? x : `${mag}i * ${x}`}`;
    }
  });
  return expr;
}

export const ZERO_VEC4I = 'vec4<i32>(0)';

/** One 1-D integer transform X → L · X unrolled (see unrolledRowSumInt); zero rows give vec4<i32>(0). */
export function unrolled1DInt(matrix: RationalMatrix, operands: readonly string[], assign: (i: number, expr: string) => string, what: string): string[] {
  return matrix.map((row, i) => assign(i, unrolledRowSumInt(row, operands, `${what}[${i}]`) ?? ZERO_VEC4I));
}

/** True when every entry of the matrix is an integer. */
export function isIntegerMatrix(m: RationalMatrix): boolean {
  return m.every((row) => row.every((f) => f.d === 1n));
}
