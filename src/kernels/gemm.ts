/**
 * The batched GEMM body, written once (DESIGN.md §1): C_b = A_b · B_b for every batch index b = workgroup_id.z,
 * composed with the A reader, B reader and C writer parts of the contract in ./gemm-contract.ts.
 *
 * Two variants, selected by `GemmTile.variant`:
 * - 'regblock': register blocking, operands read straight from global memory. Each invocation keeps
 *   tm × (tn/4) vec4 accumulators; per k4 step it loads tm vec4 of A and 4 × (tn/4) vec4 of B. No workgroup
 *   memory, no barriers. With `quad`, the four invocations of a quad share their A rows through
 *   quadBroadcast (each loads a quarter of them), which needs the 'subgroups' feature.
 *   The fastest variant on CPU implementations (SwiftShader), where every load is a per-lane gather,
 *   barriers are coroutine switches and workgroup memory is no faster than global memory.
 * - 'wgtile': the same register block, with A and B staged through workgroup memory in k-tiles of tk
 *   elements (workgroupBarrier after loading and after using a tile; or double-buffered, one barrier per
 *   tile). What real GPUs reward.
 *
 * Thread-to-data mapping: a workgroup owns a block of BM = wgy·tm rows and BN4 = wgx·tn/4 column groups
 * (vec4 columns). Invocation (lx, ly) owns column groups c0 + lx + j·wgx (j < tn/4), interleaved so that
 * neighbouring invocations touch neighbouring vec4 (coalesced global access, conflict-free workgroup-memory
 * reads), and rows r0 + ly + i·wgy (i < tm); with `quad` (wgy = 1) rows r0 + i. Rows and column groups past
 * the edge are clamped to the last one for loading and never stored.
 *
 * Each k4 step computes acc_ij += mat4x4(B[k..k+3][col j]) · A[row i][k..k+3]: one matrix-vector product
 * per accumulator. On SwiftShader (Subzero JIT) this compiles to ~10% fewer instructions than the
 * equivalent chain of vector-times-scalar adds (measured, see GEMM_TILES); GPUs compile both to 16 FMAs.
 */
import { composeKernel, type WgslPart } from './compose.ts';
import { GEMM_BODY_UNIFORMS, type GemmOperandParts } from './gemm-contract.ts';
import type { KernelSource } from './types.ts';

export type GemmVariant = 'regblock' | 'wgtile';

export interface GemmTile {
  variant: GemmVariant;
  /** Rows of C per invocation: an integer in [1, 32] (a multiple of 4 with `quad`). */
  tm: number;
  /** Columns of C per invocation: a multiple of 4 in [4, 16] (tn/4 vec4 column groups). */
  tn: number;
  /** Workgroup size in x (column direction) and y (row direction); wgx·wgy ≤ 256. */
  wgx: number;
  wgy: number;
  /**
   * 'wgtile' only (required there): the k-tile, counted in K elements (not vec4), a multiple of 4.
   * Each stage copies (wgy·tm) × tk of A and tk × (wgx·tn) of B into workgroup memory.
   */
  tk?: number;
  /** 'wgtile' only: two workgroup-memory buffers, so one barrier per k-tile instead of two. */
  doubleBuffer?: boolean;
  /**
   * 'regblock' only: quads share A rows through quadBroadcast, cutting A loads by 4 (needs the device
   * feature 'subgroups'). Requires wgy = 1 (so a quad's rows are the workgroup's, whatever the mapping of
   * invocations to subgroup lanes), wgx a multiple of 4 (whole quads) and tm a multiple of 4.
   */
  quad?: boolean;
}

export interface GemmKernelConfig {
  /** Names the use, e.g. 'wino4x4_gemm_f32' or 'im2col_gemm_f32'. */
  idPrefix: string;
  operands: GemmOperandParts;
  tile: GemmTile;
}

/** WebGPU's default limits, which every kernel here must fit (adapters may offer more; we do not rely on it). */
export const GEMM_LIMITS = {
  maxInvocationsPerWorkgroup: 256,
  maxWorkgroupSizeX: 256,
  maxWorkgroupSizeY: 256,
  maxWorkgroupStorageBytes: 16384,
  maxWorkgroupsPerDimension: 65535,
  /**
   * Register budget: tm · tn/4 vec4 accumulators at most. 64 (16×16) is the fastest on SwiftShader;
   * 128 (32×16) measured slower there and would spill on any GPU.
   */
  maxAccumulators: 64,
} as const;

function fail(field: string, value: unknown, rule: string): never {
  throw new Error(`GemmKernelConfig.${field} = ${JSON.stringify(value)}: ${rule}`);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** Bytes of workgroup memory a 'wgtile' tile uses (0 for 'regblock'). */
export function gemmWorkgroupBytes(tile: GemmTile): number {
  if (tile.variant !== 'wgtile' || !tile.tk) return 0;
  const bm = tile.wgy * tile.tm;
  const bn = tile.wgx * tile.tn;
  return (bm * tile.tk + tile.tk * bn) * 4 * (tile.doubleBuffer ? 2 : 1);
}

/** Device features a tile's kernel needs (create the device with them). */
export function gemmRequiredFeatures(tile: GemmTile): GPUFeatureName[] {
  return tile.quad ? ['subgroups'] : [];
}

/** Throws an error naming the field, its value and the rule for the first invalid field. */
export function validateGemmTile(tile: GemmTile, field = 'tile'): void {
  if (tile.variant !== 'regblock' && tile.variant !== 'wgtile') fail(`${field}.variant`, tile.variant, "must be 'regblock' or 'wgtile'");
  if (!isInt(tile.tm) || tile.tm < 1 || tile.tm > 32) fail(`${field}.tm`, tile.tm, 'must be an integer in [1, 32] (rows per invocation)');
  if (!isInt(tile.tn) || tile.tn < 4 || tile.tn > 16 || tile.tn % 4 !== 0) {
    fail(`${field}.tn`, tile.tn, 'must be a multiple of 4 in [4, 16] (columns per invocation, handled as vec4)');
  }
  if ((tile.tm * tile.tn) / 4 > GEMM_LIMITS.maxAccumulators) {
    fail(`${field}.tm×tn`, `${tile.tm}×${tile.tn}`, `needs ${(tile.tm * tile.tn) / 4} vec4 accumulators; at most ${GEMM_LIMITS.maxAccumulators} (tm·tn ≤ ${GEMM_LIMITS.maxAccumulators * 4})`);
  }
  if (!isInt(tile.wgx) || tile.wgx < 1 || tile.wgx > GEMM_LIMITS.maxWorkgroupSizeX) fail(`${field}.wgx`, tile.wgx, `must be an integer in [1, ${GEMM_LIMITS.maxWorkgroupSizeX}]`);
  if (!isInt(tile.wgy) || tile.wgy < 1 || tile.wgy > GEMM_LIMITS.maxWorkgroupSizeY) fail(`${field}.wgy`, tile.wgy, `must be an integer in [1, ${GEMM_LIMITS.maxWorkgroupSizeY}]`);
  if (tile.wgx * tile.wgy > GEMM_LIMITS.maxInvocationsPerWorkgroup) {
    fail(`${field}.wgx×wgy`, `${tile.wgx}×${tile.wgy}`, `a workgroup may have at most ${GEMM_LIMITS.maxInvocationsPerWorkgroup} invocations (has ${tile.wgx * tile.wgy})`);
  }
  if (tile.variant === 'regblock') {
    if (tile.tk !== undefined) fail(`${field}.tk`, tile.tk, "applies only to variant 'wgtile'; leave it out for 'regblock'");
    if (tile.doubleBuffer !== undefined) fail(`${field}.doubleBuffer`, tile.doubleBuffer, "applies only to variant 'wgtile'; leave it out for 'regblock'");
    if (tile.quad !== undefined) {
      if (typeof tile.quad !== 'boolean') fail(`${field}.quad`, tile.quad, 'must be a boolean');
      if (tile.quad) {
        if (tile.wgy !== 1) fail(`${field}.wgy`, tile.wgy, 'must be 1 with quad: all invocations of a quad must own the same rows, whatever their subgroup lanes');
        if (tile.wgx % 4 !== 0) fail(`${field}.wgx`, tile.wgx, 'must be a multiple of 4 with quad (whole quads)');
        if (tile.tm % 4 !== 0) fail(`${field}.tm`, tile.tm, 'must be a multiple of 4 with quad (each quad lane loads tm/4 rows)');
      }
    }
    return;
  }
  if (tile.quad !== undefined) fail(`${field}.quad`, tile.quad, "applies only to variant 'regblock'; leave it out for 'wgtile'");
  if (!isInt(tile.tk) || tile.tk < 4 || tile.tk > 128 || tile.tk % 4 !== 0) {
    fail(`${field}.tk`, tile.tk, "is required for 'wgtile': a multiple of 4 in [4, 128] (K elements per workgroup-memory tile)");
  }
  if (tile.doubleBuffer !== undefined && typeof tile.doubleBuffer !== 'boolean') fail(`${field}.doubleBuffer`, tile.doubleBuffer, 'must be a boolean');
  const bytes = gemmWorkgroupBytes(tile);
  if (bytes > GEMM_LIMITS.maxWorkgroupStorageBytes) {
    fail(
      `${field}.tk`,
      tile.tk,
      `tiles of (wgy·tm)×tk of A and tk×(wgx·tn) of B${tile.doubleBuffer ? ', double-buffered,' : ''} need ${bytes} bytes of workgroup memory; at most ${GEMM_LIMITS.maxWorkgroupStorageBytes}`,
    );
  }
}

/** The tile's fragment of the kernel ID, e.g. 'r8x8_wg8x8', 'r16x16_wg4x1_q', 't4x8_wg16x8_k8', 't4x8_wg16x8_k8_db'. */
export function gemmTileId(tile: GemmTile): string {
  validateGemmTile(tile);
  const base = `${tile.tm}x${tile.tn}_wg${tile.wgx}x${tile.wgy}`;
  if (tile.variant === 'regblock') return `r${base}${tile.quad ? '_q' : ''}`;
  return `t${base}_k${tile.tk}${tile.doubleBuffer ? '_db' : ''}`;
}

/**
 * Workgroup counts for C[batch][m × n] (n in elements, not vec4):
 *   x = ceil(ceil(n/4) / (wgx·tn/4)), y = ceil(m / (wgy·tm)), z = batch.
 */
export function gemmDispatch(tile: GemmTile, m: number, n: number, batch: number): [number, number, number] {
  validateGemmTile(tile);
  for (const [name, v] of [['m', m], ['n', n], ['batch', batch]] as const) {
    if (!isInt(v) || v < 0) throw new Error(`gemmDispatch: ${name} = ${v}: must be a non-negative integer`);
  }
  const n4 = Math.ceil(n / 4);
  const d: [number, number, number] = [Math.ceil(n4 / ((tile.wgx * tile.tn) / 4)), Math.ceil(m / (tile.wgy * tile.tm)), batch];
  const max = GEMM_LIMITS.maxWorkgroupsPerDimension;
  d.forEach((v, i) => {
    if (v > max) throw new Error(`gemmDispatch: ${'xyz'[i]} = ${v} workgroups (m ${m}, n ${n}, batch ${batch}, tile ${gemmTileId(tile)}) exceeds maxComputeWorkgroupsPerDimension ${max}`);
  });
  return d;
}

/** The body's own part: the uniforms gemm_m, gemm_n4, gemm_k4 (listed first so they lead the struct). */
const BODY_PART: WgslPart = { idPart: '', bindings: [], uniforms: GEMM_BODY_UNIFORMS.map((u) => ({ ...u })), code: '' };

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * Accumulator updates for one k4 step from a_i (tm vec4: 4 k of row i) and b{q}_{j} (4 × tn/4 vec4: row k+q,
 * column group j): acc_ij += mat4x4(b0_j, b1_j, b2_j, b3_j) · a_i = Σ_q a_i[q] · b{q}_j.
 */
function fmaLines(tm: number, tn4: number, indent: string): string[] {
  const out: string[] = [];
  for (let j = 0; j < tn4; j++) out.push(`${indent}let bm${j} = mat4x4<f32>(b0_${j}, b1_${j}, b2_${j}, b3_${j});`);
  for (let i = 0; i < tm; i++) {
    for (let j = 0; j < tn4; j++) out.push(`${indent}acc${i}_${j} = acc${i}_${j} + bm${j} * a${i};`);
  }
  return out;
}

function header(cfg: GemmKernelConfig): string {
  const t = cfg.tile;
  const tn4 = t.tn / 4;
  const bm = t.wgy * t.tm;
  const bn4 = t.wgx * tn4;
  const lines = [
    `Batched GEMM C[b] = A[b] · B[b] (${t.variant}${t.quad ? ', quad-shared A' : ''}), b = workgroup_id.z; K in vec4 steps (gemm_k4), N in vec4 column groups (gemm_n4).`,
    `Workgroup ${t.wgx}×${t.wgy} owns rows wid.y·${bm} + [0, ${bm}) and column groups wid.x·${bn4} + [0, ${bn4}) (${bm}×${bn4 * 4} of C).`,
    t.quad
      ? `Invocation lx owns all ${t.tm} rows and column groups +lx+${t.wgx}·j (j < ${tn4}): ${t.tm}×${tn4} vec4 accumulators.`
      : `Invocation (lx, ly) owns rows +ly+${t.wgy}·i (i < ${t.tm}) and column groups +lx+${t.wgx}·j (j < ${tn4}): ${t.tm}×${tn4} vec4 accumulators.`,
    'Rows ≥ gemm_m and column groups ≥ gemm_n4 are clamped to the last one when loaded and never stored.',
  ];
  if (t.variant === 'regblock' && t.quad) {
    lines.push(
      `Per k4 step: quad lane q = subgroup_invocation_id % 4 loads A rows 4s+q (s < ${t.tm / 4}), quadBroadcast shares them;`,
      `4×${tn4} vec4 of B from global memory. No workgroup memory, no barriers.`,
    );
  } else if (t.variant === 'regblock') {
    lines.push(`Per k4 step: ${t.tm} vec4 of A and 4×${tn4} vec4 of B straight from global memory. No workgroup memory, no barriers.`);
  } else {
    const tk4 = t.tk! / 4;
    lines.push(
      `Workgroup memory per k-tile of ${t.tk}: A ${bm}×${tk4} vec4 ([k4][row]) and B ${t.tk}×${bn4} vec4 ([k][col4])${t.doubleBuffer ? ', double-buffered' : ''};`,
      `loaded cooperatively by all ${t.wgx * t.wgy} invocations, zeros past K. ` +
        (t.doubleBuffer
          ? 'One workgroupBarrier per k-tile (the next tile is loaded into the other buffer before it).'
          : 'workgroupBarrier after loading a tile and after using it.'),
    );
  }
  lines.push(`Dispatch: (ceil(gemm_n4 / ${bn4}), ceil(gemm_m / ${bm}), batch).`);
  return lines.join('\n');
}

function regblockMain(t: GemmTile): string {
  const tn4 = t.tn / 4;
  const bm = t.wgy * t.tm;
  const bn4 = t.wgx * tn4;
  const quad = !!t.quad;
  const L: string[] = [];
  L.push(`@compute @workgroup_size(${t.wgx}, ${t.wgy}, 1)`);
  L.push(
    `fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>${quad ? ', @builtin(subgroup_invocation_id) sgid: u32' : ''}) {`,
  );
  L.push('  let b = wid.z;');
  L.push('  let m = params.gemm_m;');
  L.push('  let n4 = params.gemm_n4;');
  L.push('  let k4n = params.gemm_k4;');
  L.push(`  let row = wid.y * ${bm}u + lid.y;`);
  L.push(`  let col = wid.x * ${bn4}u + lid.x;`);
  if (!quad) {
    L.push('  if (row >= m || col >= n4) {');
    L.push('    return;');
    L.push('  }');
    for (let i = 0; i < t.tm; i++) L.push(`  let r${i} = ${i === 0 ? 'row' : `min(row + ${i * t.wgy}u, m - 1u)`};`);
  } else {
    L.push('  let q = sgid & 3u;');
    for (let s4 = 0; s4 < t.tm / 4; s4++) L.push(`  let r${s4} = min(row + ${4 * s4}u + q, m - 1u);`);
  }
  for (let j = 0; j < tn4; j++) L.push(`  let c${j} = min(col${j ? ` + ${j * t.wgx}u` : ''}, n4 - 1u);`);
  for (let i = 0; i < t.tm; i++) for (let j = 0; j < tn4; j++) L.push(`  var acc${i}_${j} = vec4<f32>(0.0);`);
  L.push('  for (var k4 = 0u; k4 < k4n; k4++) {');
  if (!quad) {
    for (let i = 0; i < t.tm; i++) L.push(`    let a${i} = gemm_load_a(b, r${i}, k4);`);
  } else {
    for (let s4 = 0; s4 < t.tm / 4; s4++) {
      L.push(`    let x${s4} = gemm_load_a(b, r${s4}, k4);`);
      for (let p = 0; p < 4; p++) L.push(`    let a${4 * s4 + p} = quadBroadcast(x${s4}, ${p}u);`);
    }
  }
  L.push('    let k = 4u * k4;');
  for (let q = 0; q < 4; q++) for (let j = 0; j < tn4; j++) L.push(`    let b${q}_${j} = gemm_load_b(b, ${q ? `k + ${q}u` : 'k'}, c${j});`);
  L.push(...fmaLines(t.tm, tn4, '    '));
  L.push('  }');
  L.push(...storeLines(t, 'row', 'col'));
  L.push('}');
  return L.join('\n');
}

function storeLines(t: GemmTile, row: string, col: string): string[] {
  const tn4 = t.tn / 4;
  const early = t.variant === 'regblock' && !t.quad;
  const L: string[] = [];
  for (let i = 0; i < t.tm; i++) {
    const rowExpr = i === 0 ? row : `${row} + ${i * t.wgy}u`;
    const stores = range(tn4).map((j) => {
      const colExpr = j === 0 ? col : `${col} + ${j * t.wgx}u`;
      const s = `gemm_store(b, ${rowExpr}, ${colExpr}, acc${i}_${j});`;
      return j === 0 && early ? [`    ${s}`] : [`    if (${colExpr} < n4) {`, `      ${s}`, '    }'];
    });
    if (i === 0 && early) L.push(...stores.flat().map((s) => s.slice(2)));
    else L.push(`  if (${rowExpr} < m) {`, ...stores.flat(), '  }');
  }
  return L;
}

function wgtileMain(t: GemmTile): string {
  const tn4 = t.tn / 4;
  const bm = t.wgy * t.tm;
  const bn4 = t.wgx * tn4;
  const tk = t.tk!;
  const tk4 = tk / 4;
  const nt = t.wgx * t.wgy;
  const aCount = bm * tk4;
  const bCount = tk * bn4;
  const db = !!t.doubleBuffer;
  const aSize = db ? 2 * aCount : aCount;
  const bSize = db ? 2 * bCount : bCount;
  const L: string[] = [];
  L.push(`var<workgroup> gemm_ta: array<vec4<f32>, ${aSize}>;`);
  L.push(`var<workgroup> gemm_tb: array<vec4<f32>, ${bSize}>;`);
  L.push('');
  // Cooperative load of k-tile starting at k4 offset `kt` into buffer offset `ao`/`bo`.
  L.push(`fn gemm_load_tile(b: u32, li: u32, row0: u32, col0: u32, kt: u32, ao: u32, bo: u32) {`);
  L.push('  let m1 = params.gemm_m - 1u;');
  L.push('  let n41 = params.gemm_n4 - 1u;');
  L.push('  let k4n = params.gemm_k4;');
  const aIters = Math.ceil(aCount / nt);
  for (let it = 0; it < aIters; it++) {
    const e = it === 0 ? 'li' : `li + ${it * nt}u`;
    const body = [
      `  let ea${it} = ${e};`,
      `  let ka${it} = kt + ea${it} % ${tk4}u;`,
      `  let va${it} = gemm_load_a(b, min(row0 + ea${it} / ${tk4}u, m1), min(ka${it}, k4n - 1u));`,
      `  gemm_ta[ao + (ea${it} % ${tk4}u) * ${bm}u + ea${it} / ${tk4}u] = select(vec4<f32>(0.0), va${it}, ka${it} < k4n);`,
    ];
    if ((it + 1) * nt > aCount) L.push(`  if (${e} < ${aCount}u) {`, ...body.map((s) => `  ${s}`), '  }');
    else L.push(...body);
  }
  const bIters = Math.ceil(bCount / nt);
  for (let it = 0; it < bIters; it++) {
    const e = it === 0 ? 'li' : `li + ${it * nt}u`;
    const body = [
      `  let eb${it} = ${e};`,
      `  let kb${it} = 4u * kt + eb${it} / ${bn4}u;`,
      `  let vb${it} = gemm_load_b(b, min(kb${it}, 4u * k4n - 1u), min(col0 + eb${it} % ${bn4}u, n41));`,
      `  gemm_tb[bo + eb${it}] = select(vec4<f32>(0.0), vb${it}, kb${it} < 4u * k4n);`,
    ];
    if ((it + 1) * nt > bCount) L.push(`  if (${e} < ${bCount}u) {`, ...body.map((s) => `  ${s}`), '  }');
    else L.push(...body);
  }
  L.push('}');
  L.push('');
  L.push(`@compute @workgroup_size(${t.wgx}, ${t.wgy}, 1)`);
  L.push('fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {');
  L.push('  let b = wid.z;');
  L.push('  let m = params.gemm_m;');
  L.push('  let n4 = params.gemm_n4;');
  L.push('  let k4n = params.gemm_k4;');
  L.push(`  let row0 = wid.y * ${bm}u;`);
  L.push(`  let col0 = wid.x * ${bn4}u;`);
  L.push(`  let li = lid.y * ${t.wgx}u + lid.x;`);
  for (let i = 0; i < t.tm; i++) for (let j = 0; j < tn4; j++) L.push(`  var acc${i}_${j} = vec4<f32>(0.0);`);
  const compute = (ao: string, bo: string, ind: string) => {
    const C: string[] = [];
    C.push(`${ind}for (var kk = 0u; kk < ${tk4}u; kk++) {`);
    for (let i = 0; i < t.tm; i++) C.push(`${ind}  let a${i} = gemm_ta[${ao}kk * ${bm}u + lid.y${i ? ` + ${i * t.wgy}u` : ''}];`);
    for (let q = 0; q < 4; q++) {
      for (let j = 0; j < tn4; j++) C.push(`${ind}  let b${q}_${j} = gemm_tb[${bo}(4u * kk + ${q}u) * ${bn4}u + lid.x${j ? ` + ${j * t.wgx}u` : ''}];`);
    }
    C.push(...fmaLines(t.tm, tn4, `${ind}  `));
    C.push(`${ind}}`);
    return C;
  };
  if (!db) {
    L.push(`  for (var kt = 0u; kt < k4n; kt += ${tk4}u) {`);
    L.push('    gemm_load_tile(b, li, row0, col0, kt, 0u, 0u);');
    L.push('    workgroupBarrier();');
    L.push(...compute('', '', '    '));
    L.push('    workgroupBarrier();');
    L.push('  }');
  } else {
    L.push('  gemm_load_tile(b, li, row0, col0, 0u, 0u, 0u);');
    L.push('  var cur = 0u;');
    L.push(`  for (var kt = 0u; kt < k4n; kt += ${tk4}u) {`);
    L.push('    workgroupBarrier();');
    L.push(`    let ao = cur * ${aCount}u;`);
    L.push(`    let bo = cur * ${bCount}u;`);
    L.push(`    if (kt + ${tk4}u < k4n) {`);
    L.push(`      gemm_load_tile(b, li, row0, col0, kt + ${tk4}u, ${aCount}u - ao, ${bCount}u - bo);`);
    L.push('    }');
    L.push(...compute('ao + ', 'bo + ', '    '));
    L.push('    cur = 1u - cur;');
    L.push('  }');
  }
  L.push(`  let row = row0 + lid.y;`);
  L.push(`  let col = col0 + lid.x;`);
  L.push(...storeLines(t, 'row', 'col'));
  L.push('}');
  return L.join('\n');
}

const ID_PREFIX = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

export function generateGemmKernel(cfg: GemmKernelConfig): KernelSource {
  if (typeof cfg.idPrefix !== 'string' || !ID_PREFIX.test(cfg.idPrefix)) {
    fail('idPrefix', cfg.idPrefix, "must be lower-case words of [a-z0-9] joined by '_', e.g. 'wino4x4_gemm_f32'");
  }
  for (const k of ['a', 'b', 'c'] as const) {
    if (!cfg.operands?.[k]) fail(`operands.${k}`, undefined, 'is required (a WgslPart defining the contract function of gemm-contract.ts)');
  }
  validateGemmTile(cfg.tile);
  const { a, b, c } = cfg.operands;
  const id = [`${cfg.idPrefix}_${gemmTileId(cfg.tile)}`, a.idPart, b.idPart, c.idPart].filter(Boolean).join('_');
  const main = cfg.tile.variant === 'regblock' ? regblockMain(cfg.tile) : wgtileMain(cfg.tile);
  const k = composeKernel({
    id,
    header: header(cfg),
    parts: [BODY_PART, a, b, c],
    main,
    workgroupSize: [cfg.tile.wgx, cfg.tile.wgy, 1],
  });
  if (!cfg.tile.quad) return k;
  // The enable directive must precede every declaration: put it right after the opening comment.
  const lines = k.code.split('\n');
  const at = lines.findIndex((l) => !l.startsWith('//'));
  lines.splice(at, 0, 'enable subgroups;');
  return { ...k, code: lines.join('\n') };
}

/**
 * Named presets. On SwiftShader (CPU) use 'regblock-16x16-quad' where the device has 'subgroups', else
 * 'regblock-16x16'; on GPUs 'wgtile-4x4' (or 'regblock-8x8').
 *
 * Measured 2026-11-21 on SwiftShader 5.0.0 (Vulkan on CPU, Subzero JIT, 2 cores AMD EPYC), Dawn in Node,
 * .scratch/gemm-bench.mts / tourney.mts: plain parts, timestamp queries around one pass, GFLOP/s =
 * 2·M·N·K·batch / time. The machine is shared, so two numbers: wall = best of 3 rounds × 2 runs in the
 * quietest window found; cpu = the same work over the CPU time spent in JIT code (perf samples), × 2 cores,
 * i.e. what an idle machine would give. Problems: P0 = F(4x4) 64@56² (batch 36, M 196, K 64, N 64),
 * P1 = F(4x4) 128@28² (36, 49, 128, 128), P2 = F(2x2) 64@56² (16, 784, 64, 64), P3 = im2col (1, 3136, 576, 64).
 *
 *   preset               id                 P0 wall/cpu  P1 wall/cpu  P2 wall/cpu  P3 wall/cpu
 *   regblock-16x16-quad  r16x16_wg4x1_q      3.8 / 4.5    3.9 / 5.0    4.5 / 5.9    5.6 / 7.2
 *   regblock-16x16       r16x16_wg4x1        3.6 / 4.8    3.1 / 4.5    3.8 / 5.3    4.5 / 6.4
 *   regblock-8x8         r8x8_wg8x8          2.2 / 2.9    2.1 / 2.5    2.3 / 3.2    2.6 / 3.8
 *   wgtile-4x4           t4x4_wg16x16_k8     0.3 / 0.5    0.4 / 0.7    0.3 / 0.6    0.6 / 1.2
 * (regblock-16x16-quad's best quiet wall-clock run: 5.1, 4.6, 4.9, 5.8.)
 *
 * What decided them (cpu numbers unless said): every storage load on SwiftShader is a per-lane gather with a
 * bounds check (~85 instructions per scalar component; 43% of the JIT time of the best kernel), accumulators
 * live on the stack anyway, so the win is fewer loads per FMA: 8x8 → 16x16 per invocation +65%; quad-shared
 * A rows another +20% (median of 3 sessions; 18% fewer JIT instructions); 32x16 (128 accumulators) and 32x8
 * no better than 16x16. mat4x4·vec4 per
 * accumulator: 10% fewer instructions than the vector·scalar add chain (fma() no better). Workgroups: wgx·tn/4
 * must not exceed N/4 (wg 8x1 with 16x16 on N = 64: −45%); 4x1 is a whole quad and wastes no invocations.
 * Workgroup-memory tiling: barriers are coroutine switches (~30% of the time in the driver), 0.3–1.2;
 * double buffering measured no faster there (±20%, mixed), so no preset uses it; it stays an option for GPUs.
 * Reading B through an rgba32float texture instead of a buffer (prototype): only +8%.
 *
 * 'regblock-4x16-quad' is for GEMMs with few rows (issue 12): F(4×4) on 512@7² has M = 4 tiles per tap, so a
 * 16-row block computes 12 clamped rows for nothing (its GEMM stage ran at 0.84 of the FMA ceiling counting those
 * rows, 0.21 counting the useful ones: it was FMA-bound on waste, not weight-bound). With 4 rows per invocation
 * the same layer measured 96.6 / 239 ms against 16x16-quad's 184 / 453 (two interleaved duels of 7 rounds,
 * SwiftShader under load, bench/models/auto-check.ts duelTimes); F(2×2) with 16x16-quad stays faster there
 * (81.8 / 214 ms: F(4×4) reads 36 taps of weights per 4 rows, F(2×2) 16 per 16), so auto keeps F(2×2) and the
 * preset is a tuning the autotuner (findConv2d) times.
 */
export const GEMM_TILES = {
  'regblock-16x16-quad': { variant: 'regblock', tm: 16, tn: 16, wgx: 4, wgy: 1, quad: true },
  'regblock-16x16': { variant: 'regblock', tm: 16, tn: 16, wgx: 4, wgy: 1 },
  'regblock-8x8': { variant: 'regblock', tm: 8, tn: 8, wgx: 8, wgy: 8 },
  'regblock-4x16-quad': { variant: 'regblock', tm: 4, tn: 16, wgx: 4, wgy: 1, quad: true },
  'wgtile-4x4': { variant: 'wgtile', tm: 4, tn: 4, wgx: 16, wgy: 16, tk: 8 },
} as const satisfies Record<string, GemmTile>;

export type GemmTileName = keyof typeof GEMM_TILES;
