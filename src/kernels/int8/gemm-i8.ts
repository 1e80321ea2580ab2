/**
 * The int8 batched GEMM body, register blocked like the fp32 'regblock' body (../gemm.ts):
 * C_b[M × N] = A_b[M × K] · B_b[K × N] for every batch index b = workgroup_id.z (convolution groups), with
 * A and B 8-bit, K in u32 words of 4 lanes (gemm_k4 words), N in groups of 4 columns (gemm_n4), int32
 * accumulation, and optionally the row sums S_b[row] = Σ_k A_b[row][k] (for weight zero points).
 *
 * Operand contract (the parts composed with the body define these):
 *   A reader:  struct QRow; fn qa_row(b: u32, row: u32) -> QRow        once per owned row (row < M)
 *              struct QK;   fn qa_k(k4: u32) -> QK                      once per k step, shared by all rows
 *              fn qa_load(r: QRow, k: QK) -> u32                        A_b[row][4·k4 .. 4·k4+3], raw bytes
 *                (the input's own dtype; padding lanes hold x_zp, never 0)
 *   B reader:  fn qb_load(b: u32, k4: u32, col4: u32) -> vec4<u32>     word k4 of columns 4·col4 .. +3
 *   C writer:  struct QCol; fn qgemm_col(b: u32, col4: u32) -> QCol     once per owned column group
 *              fn qgemm_store(b: u32, row: u32, col4: u32, d: vec4<i32>, s: i32, q: QCol)
 *                called for row < M, col4 < N4 with the raw dot products d and the row sum s (0 without wzp)
 * The body prepares A and B words for the dot path (dot.ts: flip / unpack / f32) and owns the uniforms
 * gemm_m, gemm_n4, gemm_k4. With 'unpackf32' the k loop runs in chunks of QF32_CHUNK words whose exact f32
 * partial sums are added to the i32 accumulators after each chunk.
 *
 * Thread-to-data mapping (as fp32 regblock): a workgroup owns BM = wgy·tm rows and BN4 = wgx·tn/4 column
 * groups; invocation (lx, ly) owns rows row0 + ly + wgy·i (i < tm) and column groups col0 + lx + wgx·j
 * (j < tn/4): tm × tn/4 vec4<i32> accumulators (+ tm row sums). Per k step: tm A words and tn/4 B vec4.
 * With `quad` (wgy = 1) each invocation owns the workgroup's tm consecutive rows, and the 4 lanes of a quad
 * each load tm/4 of them and share them with quadBroadcast. Rows and column groups past the edge are clamped
 * for loading and never stored. No workgroup memory, no barriers (see INT8_GEMM_TILES). The results go
 * through one store loop (not tm·tn/4 inlined epilogues: the requantize body is long, and SwiftShader's
 * compile time grows with every inlined copy).
 */
import { composeKernel, type WgslPart } from '../compose.ts';
import type { KernelSource, UniformField } from '../types.ts';
import { isF32Dot, macLine, prepA, prepB, QF32_CHUNK, sumExpr } from './dot.ts';
import type { QOperandConfig } from './types.ts';

export interface QGemmTile {
  /** Rows per invocation, 1..32. */
  tm: number;
  /** Columns per invocation, a multiple of 4 in 4..16. */
  tn: number;
  wgx: number;
  wgy: number;
  /**
   * Quads share A rows through quadBroadcast (device feature 'subgroups'): lane q of each quad loads rows
   * 4s + q (s < tm/4) and broadcasts them, cutting A loads by 4. Requires wgy = 1, wgx % 4 == 0, tm % 4 == 0;
   * invocation lx then owns the workgroup's tm consecutive rows.
   */
  quad?: boolean;
}

export interface QGemmOperandParts {
  a: WgslPart;
  b: WgslPart;
  c: WgslPart;
}

export interface QGemmKernelConfig {
  /** e.g. 'im2col_gemm_u8i8_nhwc' */
  idPrefix: string;
  tile: QGemmTile;
  /** Operand domains and the dot path (the body prepares A and B words and sums rows with wzp). */
  ops: Pick<QOperandConfig, 'input' | 'weights' | 'wzp' | 'dot'>;
  operands: QGemmOperandParts;
}

export const QGEMM_BODY_UNIFORMS: UniformField[] = [
  { name: 'gemm_m', type: 'u32' },
  { name: 'gemm_n4', type: 'u32' },
  { name: 'gemm_k4', type: 'u32' },
];

export function validateQGemmTile(t: QGemmTile, field = 'tile'): void {
  const bad = (f: string, v: unknown, rule: string): never => {
    throw new Error(`QGemmKernelConfig.${field}.${f} = ${JSON.stringify(v)}: ${rule}`);
  };
  const int = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
  if (!int(t.tm) || t.tm < 1 || t.tm > 32) bad('tm', t.tm, 'must be an integer in [1, 32]');
  if (!int(t.tn) || t.tn < 4 || t.tn > 16 || t.tn % 4 !== 0) bad('tn', t.tn, 'must be a multiple of 4 in [4, 16]');
  if (t.tm * t.tn > 256) bad('tm×tn', `${t.tm}×${t.tn}`, 'at most 256 i32 accumulators per invocation');
  if (!int(t.wgx) || t.wgx < 1 || t.wgx > 256) bad('wgx', t.wgx, 'must be an integer in [1, 256]');
  if (!int(t.wgy) || t.wgy < 1 || t.wgy > 256) bad('wgy', t.wgy, 'must be an integer in [1, 256]');
  if (t.wgx * t.wgy > 256) bad('wgx×wgy', `${t.wgx}×${t.wgy}`, 'a workgroup may have at most 256 invocations');
  if (t.quad !== undefined) {
    if (typeof t.quad !== 'boolean') bad('quad', t.quad, 'must be a boolean');
    if (t.quad) {
      if (t.wgy !== 1) bad('wgy', t.wgy, 'must be 1 with quad: all invocations of a quad must own the same rows');
      if (t.wgx % 4 !== 0) bad('wgx', t.wgx, 'must be a multiple of 4 with quad (whole quads)');
      if (t.tm % 4 !== 0) bad('tm', t.tm, 'must be a multiple of 4 with quad (each quad lane loads tm/4 rows)');
    }
  }
}

/** Device features a tile's kernel needs. */
export function qGemmRequiredFeatures(t: QGemmTile): GPUFeatureName[] {
  return t.quad ? ['subgroups'] : [];
}

/** e.g. 'r16x16_wg4x1' */
export function qGemmTileId(t: QGemmTile): string {
  validateQGemmTile(t);
  return `r${t.tm}x${t.tn}_wg${t.wgx}x${t.wgy}${t.quad ? '_q' : ''}`;
}

/** Workgroups for C[batch][m × n]: (ceil(ceil(n/4) / (wgx·tn/4)), ceil(m / (wgy·tm)), batch). */
export function qGemmDispatch(t: QGemmTile, m: number, n: number, batch: number, maxPerDim = 65535): [number, number, number] {
  validateQGemmTile(t);
  const d: [number, number, number] = [Math.ceil(Math.ceil(n / 4) / ((t.wgx * t.tn) / 4)), Math.ceil(m / (t.wgy * t.tm)), batch];
  d.forEach((v, i) => {
    if (v > maxPerDim) throw new Error(`qGemmDispatch: ${'xyz'[i]} = ${v} workgroups (m ${m}, n ${n}, batch ${batch}, tile ${qGemmTileId(t)}) exceeds ${maxPerDim}`);
  });
  return d;
}

/**
 * Presets: 'r16x16-quad' on SwiftShader with 'subgroups', else 'r16x16'; on GPUs 'r8x8' (or 'r4x4').
 *
 * Measured on SwiftShader (Vulkan on CPU, Subzero JIT, 2 cores AMD EPYC, Dawn in Node), .scratch/i8-bench.mts:
 * one dispatch of im2col + GEMM, NHWC u8 × i8 → QLinearConv u8 (whole-word stores), timestamp queries, and the
 * process CPU time of the same runs (the machine was shared; "cpu" = ops / CPU time × 2 cores = what an idle
 * machine gives). GOP/s = 2·N·Ho·Wo·Cout·kH·kW·Cin / time. 64@56² (M 3136, K 576, N 64), 128@28² (M 784, K 1152, N 128):
 *
 *   tile / dot path               64@56² cpu   128@28² cpu      (ranges over 4 sessions)
 *   r16x16-quad  unpackf32        2.9 – 3.4    2.9 – 4.2
 *   r16x16       unpackf32        2.9 – 3.3    3.0 – 4.0
 *   r8x8         unpackf32        2.0          1.4 – 1.9
 *   r16x16(-q)   unpack (i32)     1.6 – 2.1    1.8 – 2.3
 *   r16x16(-q)   dot4             0.8 – 1.4    1.1 – 1.5
 *   r8x8         dot4             1.1 – 1.2    1.2
 *   fp32 im2col (gemm.ts) regblock-16x16-quad: 2.2 – 4.0 / 2.9 – 4.0; regblock-16x16: 1.3 – 2.4 / 1.9 – 2.2.
 * So on SwiftShader int8 runs at 0.75 – 1.2× the fp32 speed (with 4× less data), not faster: see below.
 *
 * Why (perf samples of the JIT code): SwiftShader lowers dot4I8Packed per invocation — unpack, pmulld, then
 * pextrd + scalar adds for the horizontal sum — so it is the slowest path there; the i32 'unpack' path spends
 * most instructions on spills of its 64 vec4<i32> accumulators and unpacked B (68% movups); 'unpackf32' runs the
 * same mat4x4·vec4 the fp32 GEMM runs, with 4× fewer gathered loads. Quad-shared A rows help less than in fp32
 * (an A word is one u32 gather, not a vec4). On GPUs with DP4a, 'dot4' is the path to use.
 */
export const INT8_GEMM_TILES = {
  'r16x16-quad': { tm: 16, tn: 16, wgx: 4, wgy: 1, quad: true },
  r16x16: { tm: 16, tn: 16, wgx: 4, wgy: 1 },
  r8x8: { tm: 8, tn: 8, wgx: 8, wgy: 8 },
  r4x4: { tm: 4, tn: 4, wgx: 8, wgy: 8 },
} as const satisfies Record<string, QGemmTile>;

export type Int8GemmTileName = keyof typeof INT8_GEMM_TILES;

function header(cfg: QGemmKernelConfig): string {
  const t = cfg.tile;
  const tn4 = t.tn / 4;
  const bm = t.wgy * t.tm;
  const bn4 = t.wgx * tn4;
  return [
    `int8 batched GEMM C[b] = A[b] · B[b] (i32 accumulation, ${cfg.ops.dot === 'dot4' ? `${cfg.ops.weights === 'uint8' ? 'dot4U8Packed' : 'dot4I8Packed'}` : cfg.ops.dot === 'unpack' ? 'unpacked bytes, i32 multiply-add' : `unpacked bytes, exact f32 mat4x4 multiply-add over chunks of ${QF32_CHUNK} words`}), b = workgroup_id.z.`,
    `Workgroup ${t.wgx}×${t.wgy} owns rows wid.y·${bm} + [0, ${bm}) and column groups wid.x·${bn4} + [0, ${bn4}).`,
    t.quad
      ? `Invocation lx owns all ${t.tm} rows and column groups +lx+${t.wgx}·j (j < ${tn4}): ${t.tm}×${tn4} vec4<i32> accumulators${cfg.ops.wzp ? ` and ${t.tm} row sums` : ''}.`
      : `Invocation (lx, ly) owns rows +ly+${t.wgy}·i (i < ${t.tm}) and column groups +lx+${t.wgx}·j (j < ${tn4}): ${t.tm}×${tn4} vec4<i32> accumulators${cfg.ops.wzp ? ` and ${t.tm} row sums` : ''}.`,
    t.quad
      ? `Per k step (4 k in one u32): quad lane q = subgroup_invocation_id % 4 loads A rows 4s+q (s < ${t.tm / 4}), quadBroadcast shares them; ${tn4} B vec4<u32> (qb_load), ${t.tm * t.tn} dot products.`
      : `Per k step (4 k in one u32): ${t.tm} A words (qa_load), ${tn4} B vec4<u32> (qb_load), ${t.tm * t.tn} dot products.`,
    'Rows ≥ gemm_m and column groups ≥ gemm_n4 are clamped when loaded and never stored. No workgroup memory, no barriers.',
    `Dispatch: (ceil(gemm_n4 / ${bn4}), ceil(gemm_m / ${bm}), batch).`,
  ].join('\n');
}

function mainCode(cfg: QGemmKernelConfig): string {
  const t = cfg.tile;
  const ops = cfg.ops;
  const tn4 = t.tn / 4;
  const bm = t.wgy * t.tm;
  const bn4 = t.wgx * tn4;
  const I = [...Array(t.tm).keys()];
  const J = [...Array(tn4).keys()];
  const L: string[] = [];
  const quad = !!t.quad;
  L.push(`@compute @workgroup_size(${t.wgx}, ${t.wgy}, 1)`);
  L.push(`fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>${quad ? ', @builtin(subgroup_invocation_id) sgid: u32' : ''}) {`);
  L.push('  let b = wid.z;');
  L.push('  let m = params.gemm_m;');
  L.push('  let n4 = params.gemm_n4;');
  L.push(`  let row = wid.y * ${bm}u + lid.y;`);
  L.push(`  let col = wid.x * ${bn4}u + lid.x;`);
  if (!quad) {
    L.push('  if (row >= m || col >= n4) {');
    L.push('    return;');
    L.push('  }');
    for (const i of I) L.push(`  let r${i} = qa_row(b, ${i === 0 ? 'row' : `min(row + ${i * t.wgy}u, m - 1u)`});`);
    for (const j of J) L.push(`  let c${j} = ${j === 0 ? 'col' : `min(col + ${j * t.wgx}u, n4 - 1u)`};`);
  } else {
    // No early return: every quad lane must take part in quadBroadcast. Out-of-range rows and columns are
    // clamped for loading and skipped when storing.
    L.push('  let lane = sgid & 3u;');
    for (let s4 = 0; s4 < t.tm / 4; s4++) L.push(`  let r${s4} = qa_row(b, min(row + ${4 * s4}u + lane, m - 1u));`);
    for (const j of J) L.push(`  let c${j} = min(col${j ? ` + ${j * t.wgx}u` : ''}, n4 - 1u);`);
  }
  for (const i of I) for (const j of J) L.push(`  var acc${i}_${j} = vec4<i32>(0);`);
  if (ops.wzp) for (const i of I) L.push(`  var s${i} = 0i;`);
  const f32 = isF32Dot(ops);
  // 'unpackf32': exact f32 partial sums over chunks of QF32_CHUNK words, added to the i32 accumulators.
  const acc = (i: number, j: number) => (f32 ? `f${i}_${j}` : `acc${i}_${j}`);
  const sum = (i: number) => (f32 ? `fs${i}` : `s${i}`);
  const ind = f32 ? '      ' : '    ';
  if (f32) {
    L.push(`  for (var kc = 0u; kc < params.gemm_k4; kc += ${QF32_CHUNK}u) {`);
    L.push(`    let ke = min(kc + ${QF32_CHUNK}u, params.gemm_k4);`);
    for (const i of I) for (const j of J) L.push(`    var f${i}_${j} = vec4<f32>(0.0);`);
    if (ops.wzp) for (const i of I) L.push(`    var fs${i} = 0.0;`);
    L.push('    for (var k4 = kc; k4 < ke; k4++) {');
  } else {
    L.push('  for (var k4 = 0u; k4 < params.gemm_k4; k4++) {');
  }
  L.push(`${ind}let kk = qa_k(k4);`);
  for (const j of J) L.push(...prepB(ops, `b${j}`, `qb_load(b, k4, c${j})`).map((x) => `${ind}${x}`));
  if (quad) for (let s4 = 0; s4 < t.tm / 4; s4++) L.push(`${ind}let x${s4} = qa_load(r${s4}, kk);`);
  for (const i of I) {
    const word = quad ? `quadBroadcast(x${i >> 2}, ${i & 3}u)` : `qa_load(r${i}, kk)`;
    L.push(`${ind}${prepA(ops, `a${i}`, word)}`);
    for (const j of J) L.push(`${ind}${macLine(ops, acc(i, j), `a${i}`, `b${j}`)}`);
    if (ops.wzp) L.push(`${ind}${sum(i)} += ${sumExpr(ops, `a${i}`)};`);
  }
  if (f32) {
    L.push('    }');
    for (const i of I) for (const j of J) L.push(`    acc${i}_${j} += vec4<i32>(f${i}_${j});`);
    if (ops.wzp) for (const i of I) L.push(`    s${i} += i32(fs${i});`);
  }
  L.push('  }');
  // One store loop (not tm·tn/4 inlined epilogues: SwiftShader compile time); QCol loaded once per column group.
  L.push(`  var res: array<vec4<i32>, ${t.tm * tn4}>;`);
  for (const i of I) for (const j of J) L.push(`  res[${i * tn4 + j}] = acc${i}_${j};`);
  if (ops.wzp) {
    L.push(`  var sums: array<i32, ${t.tm}>;`);
    for (const i of I) L.push(`  sums[${i}] = s${i};`);
  }
  L.push(`  for (var j = 0u; j < ${tn4}u; j++) {`);
  L.push(`    let cj = col + j * ${t.wgx}u;`);
  L.push('    if (cj >= n4) {');
  L.push('      break;');
  L.push('    }');
  L.push('    let q = qgemm_col(b, cj);');
  L.push(`    for (var i = 0u; i < ${t.tm}u; i++) {`);
  L.push(`      let r = row + i * ${t.wgy}u;`);
  L.push('      if (r >= m) {');
  L.push('        break;');
  L.push('      }');
  L.push(`      qgemm_store(b, r, cj, res[i * ${tn4}u + j], ${ops.wzp ? 'sums[i]' : '0i'}, q);`);
  L.push('    }');
  L.push('  }');
  L.push('}');
  return L.join('\n');
}

const ID_PREFIX = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

export function generateQGemmKernel(cfg: QGemmKernelConfig): KernelSource {
  if (typeof cfg.idPrefix !== 'string' || !ID_PREFIX.test(cfg.idPrefix)) {
    throw new Error(`QGemmKernelConfig.idPrefix = ${JSON.stringify(cfg.idPrefix)}: must be lower-case words of [a-z0-9] joined by '_'`);
  }
  validateQGemmTile(cfg.tile);
  for (const k of ['a', 'b', 'c'] as const) {
    if (!cfg.operands?.[k]) throw new Error(`QGemmKernelConfig.operands.${k}: required (a WgslPart of the contract in gemm-i8.ts)`);
  }
  const { a, b, c } = cfg.operands;
  const id = [cfg.idPrefix, qGemmTileId(cfg.tile), a.idPart, b.idPart, cfg.ops.dot, cfg.ops.wzp ? 'wzp' : '', c.idPart].filter(Boolean).join('_');
  const body: WgslPart = { idPart: '', bindings: [], uniforms: QGEMM_BODY_UNIFORMS.map((u) => ({ ...u })), code: '' };
  const k = composeKernel({ id, header: header(cfg), parts: [body, a, b, c], main: mainCode(cfg), workgroupSize: [cfg.tile.wgx, cfg.tile.wgy, 1] });
  if (!cfg.tile.quad) return k;
  // The enable directive must precede every declaration: right after the opening comment.
  const lines = k.code.split('\n');
  lines.splice(lines.findIndex((l) => !l.startsWith('//')), 0, 'enable subgroups;');
  return { ...k, code: lines.join('\n') };
}
