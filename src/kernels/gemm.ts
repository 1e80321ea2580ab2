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
  /** Default 'regblock'. */
  variant?: GemmVariant;
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
  /** The multiply-accumulate hook (operand types, MAC, store contract); default F32_FORMAT. */
  format?: GemmFormat;
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

/**
 * The multiply-accumulate hook of the body: what the operands are, how a k step multiplies them into the
 * accumulators, and how results leave. The readers and the writer (WgslParts) implement the contract the
 * format names; the body only owns the loops, the thread-to-data mapping, quad sharing and workgroup staging.
 *
 * - F32_FORMAT (here): fp32 operands (vec4<f32> A words, 4 vec4<f32> B rows per k4 step), FMA as
 *   mat4x4<f32> · vec4, results stored inline through gemm_store. Readers that store f16 (pack2x16float)
 *   return f32 values and use it unchanged.
 * - int8 (int8/gemm-i8.ts `int8GemmFormat`): u32 words of 4 bytes, dot4I8Packed / unpacked i32 / exact f32
 *   chunks, optional row sums, results through the loop writer (qgemm_col / qgemm_store).
 * - int16 pairs (int8-winograd/exact-gemm.ts `exactGemmFormat`): the exact integer Winograd GEMM.
 */
export interface GemmFormat {
  /** Kernel-ID fragment after the B reader's (e.g. 'dot4_wzp'); '' for f32. */
  idPart: string;
  /** The multiply-accumulate in words, for the kernel header. */
  describe: string;
  /** WGSL enable directives the format needs (e.g. 'f16'). */
  enables?: string[];
  /** The accumulators: one per (row, column group). */
  acc: { type: string; zero: string };
  a: {
    /** WGSL type of one raw A word (one k4 step of one row): what quads broadcast and workgroup memory stages. */
    type: string;
    /** Its size in bytes (workgroup memory). */
    bytes: number;
    /** A raw word that contributes nothing (k-tile padding past K in 'wgtile'). */
    pad: string;
    /** Expression: the row handle of row `row` (batch `b` in scope). */
    row(row: string): string;
    /** Expression: the k handle of k4 step `k4`, shared by every row. */
    k(k4: string): string;
    /** Expression: the raw A word of row handle `row` at k handle `k`. */
    load(row: string, k: string): string;
    /** Statements: the prepared operand `name` from the raw word expression `raw`. */
    prep(name: string, raw: string): string[];
    /** Prepare and multiply one row at a time (fewer live registers) instead of loading every row first. */
    lazy?: boolean;
  };
  b: {
    /** Raw B words per (k4 step, column group). */
    words: number;
    type: string;
    bytes: number;
    pad: string;
    /** Expression: raw word `q` (a u32 WGSL expression, '0u' … '<words−1>u') of k4 step `k4`, column group `col` (batch `b` in scope). */
    load(q: string, k4: string, col: string): string;
    /** Statements: the prepared operand `name` from the raw word names `raws`. */
    prep(name: string, raws: string[]): string[];
  };
  /** Statement: accumulator `acc` += prepared a · prepared b (4 k of one row by 4 columns). */
  mac(acc: string, a: string, b: string): string;
  /** Row sums Σ_k A[row][k] (passed to the loop writer; 0 without). */
  rowSum?: { type: string; zero: string; expr(a: string): string };
  /**
   * Exact chunked accumulation: MACs go to partial accumulators of `partial` type for `size` k4 steps
   * (a WGSL expression; `constant` when it is a literal), then fold into the accumulators.
   */
  chunk?: { size: string; constant?: number; partial: { type: string; zero: string }; sumPartial?: { type: string; zero: string }; fold(acc: string, partial: string): string };
  /**
   * 'inline': gemm_store(b, row, col4, acc) per accumulator (fp32 contract);
   * 'loop': one store loop calling qgemm_col(b, col4) -> QCol once per column group and
   * qgemm_store(b, row, col4, acc, rowSum, q) (the int8 contract; short code for long epilogues).
   */
  store: 'inline' | 'loop';
}

/** fp32 operands and FMA: the contract of ./gemm-contract.ts. */
export const F32_FORMAT: GemmFormat = {
  idPart: '',
  describe: 'f32 FMA, one mat4x4<f32> · vec4 per accumulator and k4 step',
  acc: { type: 'vec4<f32>', zero: 'vec4<f32>(0.0)' },
  a: {
    type: 'vec4<f32>',
    bytes: 16,
    pad: 'vec4<f32>(0.0)',
    row: (row) => row,
    k: (k4) => k4,
    load: (row, k) => `gemm_load_a(b, ${row}, ${k})`,
    prep: (name, raw) => [`let ${name} = ${raw};`],
  },
  b: {
    words: 4,
    type: 'vec4<f32>',
    bytes: 16,
    pad: 'vec4<f32>(0.0)',
    load: (q, k4, col) => `gemm_load_b(b, 4u * ${k4}${q === '0u' ? '' : ` + ${q}`}, ${col})`,
    prep: (name, raws) => [`let ${name}_m = mat4x4<f32>(${raws.join(', ')});`],
  },
  mac: (acc, a, b) => `${acc} = ${acc} + ${b}_m * ${a};`,
  store: 'inline',
};

/**
 * f16 arithmetic (device feature 'shader-f16', `enable f16;`): the same fp32 operand contract, each k4 step's
 * products formed in f16 (operands converted, one mat4x4<f16> · vec4<f16> per accumulator: 4 products and their
 * sum rounded to binary16) and added to f32 accumulators, so the error does not grow with K as an f16 running sum
 * would. For float16 plans, as a tuning the autotuner times (TuningConfig.f16Math); kernel IDs carry 'h16'.
 */
export const F16_MATH_FORMAT: GemmFormat = {
  ...F32_FORMAT,
  idPart: 'h16',
  describe: 'f16 products (mat4x4<f16> · vec4<f16> per accumulator and k4 step, enable f16) added to f32 accumulators',
  enables: ['f16'],
  a: { ...F32_FORMAT.a, prep: (name, raw) => [`let ${name} = vec4<f16>(${raw});`] },
  b: { ...F32_FORMAT.b, prep: (name, raws) => [`let ${name}_m = mat4x4<f16>(${raws.map((r) => `vec4<f16>(${r})`).join(', ')});`] },
  mac: (acc, a, b) => `${acc} = ${acc} + vec4<f32>(${b}_m * ${a});`,
};

/** Device features a format's kernels need. */
export function gemmFormatFeatures(format: GemmFormat): GPUFeatureName[] {
  return format.enables?.includes('f16') ? ['shader-f16'] : [];
}

/** Bytes of workgroup memory a 'wgtile' tile uses with `format` (0 for 'regblock'). */
export function gemmWorkgroupBytes(tile: GemmTile, format: GemmFormat = F32_FORMAT): number {
  if (tile.variant !== 'wgtile' || !tile.tk) return 0;
  const bm = tile.wgy * tile.tm;
  const bn4 = (tile.wgx * tile.tn) / 4;
  const tk4 = tile.tk / 4;
  return (bm * tk4 * format.a.bytes + tk4 * format.b.words * bn4 * format.b.bytes) * (tile.doubleBuffer ? 2 : 1);
}

/** Device features a tile's kernel needs (create the device with them). */
export function gemmRequiredFeatures(tile: GemmTile): GPUFeatureName[] {
  return tile.quad ? ['subgroups'] : [];
}

const variantOf = (tile: GemmTile): GemmVariant => tile.variant ?? 'regblock';

/** Throws an error naming the field, its value and the rule for the first invalid field. */
export function validateGemmTile(tile: GemmTile, field = 'tile', format: GemmFormat = F32_FORMAT): void {
  const variant = variantOf(tile);
  if (variant !== 'regblock' && variant !== 'wgtile') fail(`${field}.variant`, tile.variant, "must be 'regblock' or 'wgtile'");
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
  if (variant === 'regblock') {
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
  const ch = format.chunk;
  if (ch && (ch.constant === undefined || tile.tk / 4 > ch.constant)) {
    fail(
      `${field}.variant`,
      'wgtile',
      ch.constant === undefined
        ? `this format sums exact chunks of a run-time length (${ch.size}); only 'regblock' supports it`
        : `needs tk/4 ≤ ${ch.constant} (the exact chunk of this format); tk = ${tile.tk}`,
    );
  }
  const bytes = gemmWorkgroupBytes(tile, format);
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
  if (variantOf(tile) === 'regblock') return `r${base}${tile.quad ? '_q' : ''}`;
  return `t${base}_k${tile.tk}${tile.doubleBuffer ? '_db' : ''}`;
}

/**
 * Workgroup counts for C[batch][m × n] (n in elements, not vec4):
 *   x = ceil(ceil(n/4) / (wgx·tn/4)), y = ceil(m / (wgy·tm)), z = batch.
 * Throws past `maxPerDim` (the device's maxComputeWorkgroupsPerDimension; callers split batches first).
 */
export function gemmDispatch(tile: GemmTile, m: number, n: number, batch: number, maxPerDim: number = GEMM_LIMITS.maxWorkgroupsPerDimension): [number, number, number] {
  validateGemmTile(tile);
  for (const [name, v] of [['m', m], ['n', n], ['batch', batch]] as const) {
    if (!isInt(v) || v < 0) throw new Error(`gemmDispatch: ${name} = ${v}: must be a non-negative integer`);
  }
  const n4 = Math.ceil(n / 4);
  const d: [number, number, number] = [Math.ceil(n4 / ((tile.wgx * tile.tn) / 4)), Math.ceil(m / (tile.wgy * tile.tm)), batch];
  d.forEach((v, i) => {
    if (v > maxPerDim) throw new Error(`gemmDispatch: ${'xyz'[i]} = ${v} workgroups (m ${m}, n ${n}, batch ${batch}, tile ${gemmTileId(tile)}) exceeds maxComputeWorkgroupsPerDimension ${maxPerDim}`);
  });
  return d;
}

/** The body's own part: the uniforms gemm_m, gemm_n4, gemm_k4 (listed first so they lead the struct). */
const BODY_PART: WgslPart = { idPart: '', bindings: [], uniforms: GEMM_BODY_UNIFORMS.map((u) => ({ ...u })), code: '' };

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function header(cfg: GemmKernelConfig, f: GemmFormat): string {
  const t = cfg.tile;
  const variant = variantOf(t);
  const tn4 = t.tn / 4;
  const bm = t.wgy * t.tm;
  const bn4 = t.wgx * tn4;
  const lines = [
    `Batched GEMM C[b] = A[b] · B[b] (${variant}${t.quad ? ', quad-shared A' : ''}), b = workgroup_id.z; K in k4 steps of 4 (gemm_k4), N in column groups of 4 (gemm_n4).`,
    `Multiply-accumulate: ${f.describe}${f.chunk ? `; exact partial sums over chunks of ${f.chunk.size} k4 steps` : ''}${f.rowSum ? '; row sums of A' : ''}.`,
    `Workgroup ${t.wgx}×${t.wgy} owns rows wid.y·${bm} + [0, ${bm}) and column groups wid.x·${bn4} + [0, ${bn4}) (${bm}×${bn4 * 4} of C).`,
    t.quad
      ? `Invocation lx owns all ${t.tm} rows and column groups +lx+${t.wgx}·j (j < ${tn4}): ${t.tm}×${tn4} ${f.acc.type} accumulators.`
      : `Invocation (lx, ly) owns rows +ly+${t.wgy}·i (i < ${t.tm}) and column groups +lx+${t.wgx}·j (j < ${tn4}): ${t.tm}×${tn4} ${f.acc.type} accumulators.`,
    'Rows ≥ gemm_m and column groups ≥ gemm_n4 are clamped to the last one when loaded and never stored.',
  ];
  if (variant === 'regblock' && t.quad) {
    lines.push(
      `Per k4 step: quad lane q = subgroup_invocation_id % 4 loads A rows 4s+q (s < ${t.tm / 4}), quadBroadcast shares them;`,
      `${f.b.words}×${tn4} B words from global memory. No workgroup memory, no barriers.`,
    );
  } else if (variant === 'regblock') {
    lines.push(`Per k4 step: ${t.tm} A words and ${f.b.words}×${tn4} B words straight from global memory. No workgroup memory, no barriers.`);
  } else {
    const tk4 = t.tk! / 4;
    lines.push(
      `Workgroup memory per k-tile of ${t.tk}: A ${bm}×${tk4} ${f.a.type} ([k4][row]) and B ${tk4 * f.b.words}×${bn4} ${f.b.type} ([k4·${f.b.words}+q][col4])${t.doubleBuffer ? ', double-buffered' : ''};`,
      `loaded cooperatively by all ${t.wgx * t.wgy} invocations, padding past K. ` +
        (t.doubleBuffer
          ? 'One workgroupBarrier per k-tile (the next tile is loaded into the other buffer before it).'
          : 'workgroupBarrier after loading a tile and after using it.'),
    );
  }
  if (f.store === 'loop') lines.push('Results leave through one store loop (qgemm_col once per column group, qgemm_store per row).');
  lines.push(`Dispatch: (ceil(gemm_n4 / ${bn4}), ceil(gemm_m / ${bm}), batch).`);
  return lines.join('\n');
}

/**
 * One k4 step's multiply-accumulates from A words `aw(i)` (raw expressions; rows i < tm) and B raw words
 * `bw(q, j)`: B of every column group is prepared first, then A rows (all first, or one at a time with a.lazy).
 */
function stepLines(t: GemmTile, f: GemmFormat, aw: (i: number) => string, bw: (q: number, j: number) => string, ind: string): string[] {
  const tn4 = t.tn / 4;
  const L: string[] = [];
  const target = (i: number, j: number) => (f.chunk ? `p${i}_${j}` : `acc${i}_${j}`);
  const sumTarget = (i: number) => (f.chunk ? `ps${i}` : `s${i}`);
  const rowMacs = (i: number) => {
    const out = range(tn4).map((j) => f.mac(target(i, j), `a${i}`, `b${j}`));
    if (f.rowSum) out.push(`${sumTarget(i)} += ${f.rowSum.expr(`a${i}`)};`);
    return out;
  };
  if (!f.a.lazy) for (let i = 0; i < t.tm; i++) L.push(...f.a.prep(`a${i}`, aw(i)));
  for (let j = 0; j < tn4; j++) {
    const raws = range(f.b.words).map((q) => `b${j}w${q}`);
    raws.forEach((r, q) => L.push(`let ${r} = ${bw(q, j)};`));
    L.push(...f.b.prep(`b${j}`, raws));
  }
  for (let i = 0; i < t.tm; i++) {
    if (f.a.lazy) L.push(...f.a.prep(`a${i}`, aw(i)));
    L.push(...rowMacs(i));
  }
  return L.map((l) => `${ind}${l}`);
}

function accDecls(t: GemmTile, f: GemmFormat, ind: string): string[] {
  const L: string[] = [];
  for (let i = 0; i < t.tm; i++) for (let j = 0; j < t.tn / 4; j++) L.push(`${ind}var acc${i}_${j} = ${f.acc.zero};`);
  if (f.rowSum) for (let i = 0; i < t.tm; i++) L.push(`${ind}var s${i} = ${f.rowSum.zero};`);
  return L;
}

function partialDecls(t: GemmTile, f: GemmFormat, ind: string): string[] {
  const ch = f.chunk!;
  const L: string[] = [];
  for (let i = 0; i < t.tm; i++) for (let j = 0; j < t.tn / 4; j++) L.push(`${ind}var p${i}_${j} = ${ch.partial.zero};`);
  if (f.rowSum) for (let i = 0; i < t.tm; i++) L.push(`${ind}var ps${i} = ${ch.sumPartial!.zero};`);
  return L;
}

function foldLines(t: GemmTile, f: GemmFormat, ind: string): string[] {
  const ch = f.chunk!;
  const L: string[] = [];
  for (let i = 0; i < t.tm; i++) for (let j = 0; j < t.tn / 4; j++) L.push(`${ind}${ch.fold(`acc${i}_${j}`, `p${i}_${j}`)}`);
  if (f.rowSum) for (let i = 0; i < t.tm; i++) L.push(`${ind}s${i} += ${f.rowSum.type}(ps${i});`);
  return L;
}

function regblockMain(t: GemmTile, f: GemmFormat): string {
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
    for (let i = 0; i < t.tm; i++) L.push(`  let r${i} = ${f.a.row(i === 0 ? 'row' : `min(row + ${i * t.wgy}u, m - 1u)`)};`);
    for (let j = 0; j < tn4; j++) L.push(`  let c${j} = ${j === 0 ? 'col' : `min(col + ${j * t.wgx}u, n4 - 1u)`};`);
  } else {
    // No early return: every quad lane must take part in quadBroadcast. Out-of-range rows and columns are
    // clamped for loading and skipped when storing.
    L.push('  let q = sgid & 3u;');
    for (let s4 = 0; s4 < t.tm / 4; s4++) L.push(`  let r${s4} = ${f.a.row(`min(row + ${4 * s4}u + q, m - 1u)`)};`);
    for (let j = 0; j < tn4; j++) L.push(`  let c${j} = min(col${j ? ` + ${j * t.wgx}u` : ''}, n4 - 1u);`);
  }
  L.push(...accDecls(t, f, '  '));
  const ch = f.chunk;
  const ind = ch ? '      ' : '    ';
  if (ch) {
    L.push(`  for (var kc = 0u; kc < k4n; kc += ${ch.size}) {`);
    L.push(`    let ke = min(kc + ${ch.size}, k4n);`);
    L.push(...partialDecls(t, f, '    '));
    L.push('    for (var k4 = kc; k4 < ke; k4++) {');
  } else {
    L.push('  for (var k4 = 0u; k4 < k4n; k4++) {');
  }
  L.push(`${ind}let kk = ${f.a.k('k4')};`);
  if (quad) for (let s4 = 0; s4 < t.tm / 4; s4++) L.push(`${ind}let x${s4} = ${f.a.load(`r${s4}`, 'kk')};`);
  const aw = (i: number) => (quad ? `quadBroadcast(x${i >> 2}, ${i & 3}u)` : f.a.load(`r${i}`, 'kk'));
  L.push(...stepLines(t, f, aw, (q, j) => f.b.load(`${q}u`, 'k4', `c${j}`), ind));
  if (ch) {
    L.push('    }');
    L.push(...foldLines(t, f, '    '));
  }
  L.push('  }');
  L.push(...storeLines(t, f, 'row', 'col'));
  L.push('}');
  return L.join('\n');
}

function storeLines(t: GemmTile, f: GemmFormat, row: string, col: string): string[] {
  const tn4 = t.tn / 4;
  const L: string[] = [];
  if (f.store === 'loop') {
    // One store loop (not tm·tn/4 inlined epilogues: SwiftShader's compile time grows with each copy).
    L.push(`  var res: array<${f.acc.type}, ${t.tm * tn4}>;`);
    for (let i = 0; i < t.tm; i++) for (let j = 0; j < tn4; j++) L.push(`  res[${i * tn4 + j}] = acc${i}_${j};`);
    if (f.rowSum) {
      L.push(`  var sums: array<${f.rowSum.type}, ${t.tm}>;`);
      for (let i = 0; i < t.tm; i++) L.push(`  sums[${i}] = s${i};`);
    }
    L.push(`  for (var j = 0u; j < ${tn4}u; j++) {`);
    L.push(`    let cj = ${col} + j * ${t.wgx}u;`);
    L.push('    if (cj >= n4) {', '      break;', '    }');
    L.push('    let qc = qgemm_col(b, cj);');
    L.push(`    for (var i = 0u; i < ${t.tm}u; i++) {`);
    L.push(`      let r = ${row} + i * ${t.wgy}u;`);
    L.push('      if (r >= m) {', '        break;', '      }');
    L.push(`      qgemm_store(b, r, cj, res[i * ${tn4}u + j], ${f.rowSum ? 'sums[i]' : '0i'}, qc);`);
    L.push('    }', '  }');
    return L;
  }
  const early = variantOf(t) === 'regblock' && !t.quad;
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

function wgtileMain(t: GemmTile, f: GemmFormat): string {
  const tn4 = t.tn / 4;
  const bm = t.wgy * t.tm;
  const bn4 = t.wgx * tn4;
  const tk = t.tk!;
  const tk4 = tk / 4;
  const bw = f.b.words;
  const nt = t.wgx * t.wgy;
  const aCount = bm * tk4;
  const bCount = tk4 * bw * bn4;
  const db = !!t.doubleBuffer;
  const aSize = db ? 2 * aCount : aCount;
  const bSize = db ? 2 * bCount : bCount;
  const L: string[] = [];
  L.push(`var<workgroup> gemm_ta: array<${f.a.type}, ${aSize}>;`);
  L.push(`var<workgroup> gemm_tb: array<${f.b.type}, ${bSize}>;`);
  L.push('');
  // Cooperative load of the k-tile starting at k4 step `kt` into buffer offsets `ao`/`bo`; padding past K.
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
      `  let va${it} = ${f.a.load(f.a.row(`min(row0 + ea${it} / ${tk4}u, m1)`), f.a.k(`min(ka${it}, k4n - 1u)`))};`,
      `  gemm_ta[ao + (ea${it} % ${tk4}u) * ${bm}u + ea${it} / ${tk4}u] = select(${f.a.pad}, va${it}, ka${it} < k4n);`,
    ];
    if ((it + 1) * nt > aCount) L.push(`  if (${e} < ${aCount}u) {`, ...body.map((s) => `  ${s}`), '  }');
    else L.push(...body);
  }
  const bIters = Math.ceil(bCount / nt);
  for (let it = 0; it < bIters; it++) {
    const e = it === 0 ? 'li' : `li + ${it * nt}u`;
    // Element e = (kstep·bw + q)·bn4 + col4 of the tile.
    const kq = `eb${it} / ${bn4}u`;
    const body = [
      `  let eb${it} = ${e};`,
      `  let kb${it} = kt + ${kq}${bw > 1 ? ` / ${bw}u` : ''};`,
      `  let cb${it} = min(col0 + eb${it} % ${bn4}u, n41);`,
      `  let kc${it} = min(kb${it}, k4n - 1u);`,
    ];
    body.push(`  let vb${it} = ${f.b.load(bw === 1 ? '0u' : `(${kq}) % ${bw}u`, `kc${it}`, `cb${it}`)};`);
    body.push(`  gemm_tb[bo + eb${it}] = select(${f.b.pad}, vb${it}, kb${it} < k4n);`);
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
  L.push(...accDecls(t, f, '  '));
  const compute = (ao: string, bo: string, ind: string) => {
    const C: string[] = [];
    if (f.chunk) C.push(...partialDecls(t, f, ind));
    C.push(`${ind}for (var kk = 0u; kk < ${tk4}u; kk++) {`);
    const aw = (i: number) => `gemm_ta[${ao}kk * ${bm}u + lid.y${i ? ` + ${i * t.wgy}u` : ''}]`;
    const bwx = (q: number, j: number) => `gemm_tb[${bo}(${bw}u * kk + ${q}u) * ${bn4}u + lid.x${j ? ` + ${j * t.wgx}u` : ''}]`;
    C.push(...stepLines(t, f, aw, bwx, `${ind}  `));
    C.push(`${ind}}`);
    if (f.chunk) C.push(...foldLines(t, f, ind));
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
  L.push(...storeLines(t, f, 'row', 'col'));
  L.push('}');
  return L.join('\n');
}

const ID_PREFIX = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/**
 * The one GEMM body for every dtype: `format` (default fp32) is the multiply-accumulate hook, the operand
 * parts are its readers and writer. Kernel ID: `<idPrefix>_<tile>[_<a>][_<b>][_<format>][_<c>]`.
 */
export function generateGemmKernel(cfg: GemmKernelConfig): KernelSource {
  if (typeof cfg.idPrefix !== 'string' || !ID_PREFIX.test(cfg.idPrefix)) {
    fail('idPrefix', cfg.idPrefix, "must be lower-case words of [a-z0-9] joined by '_', e.g. 'wino4x4_gemm_f32'");
  }
  for (const k of ['a', 'b', 'c'] as const) {
    if (!cfg.operands?.[k]) fail(`operands.${k}`, undefined, 'is required (a WgslPart defining the contract function of the format)');
  }
  const f = cfg.format ?? F32_FORMAT;
  validateGemmTile(cfg.tile, 'tile', f);
  const { a, b, c } = cfg.operands;
  const id = [`${cfg.idPrefix}_${gemmTileId(cfg.tile)}`, a.idPart, b.idPart, f.idPart, c.idPart].filter(Boolean).join('_');
  const main = variantOf(cfg.tile) === 'regblock' ? regblockMain(cfg.tile, f) : wgtileMain(cfg.tile, f);
  const k = composeKernel({
    id,
    header: header(cfg, f),
    parts: [BODY_PART, a, b, c],
    main,
    workgroupSize: [cfg.tile.wgx, cfg.tile.wgy, 1],
  });
  const enables = [...(f.enables ?? []), ...(cfg.tile.quad ? ['subgroups'] : [])];
  if (!enables.length) return k;
  // Enable directives must precede every declaration: put them right after the opening comment.
  const lines = k.code.split('\n');
  const at = lines.findIndex((l) => !l.startsWith('//'));
  lines.splice(at, 0, ...enables.map((e) => `enable ${e};`));
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
  // Shapes the integer GEMMs measured (their preset lists: INT8_GEMM_PRESETS, EXACT_GEMM_PRESETS, TAP_GEMM_PRESETS).
  'regblock-16x8': { variant: 'regblock', tm: 16, tn: 8, wgx: 8, wgy: 1 },
  'regblock-8x16': { variant: 'regblock', tm: 8, tn: 16, wgx: 4, wgy: 4 },
  'regblock-4x8': { variant: 'regblock', tm: 4, tn: 8, wgx: 8, wgy: 4 },
  'regblock-4x4': { variant: 'regblock', tm: 4, tn: 4, wgx: 8, wgy: 8 },
} as const satisfies Record<string, GemmTile>;

export type GemmTileName = keyof typeof GEMM_TILES;

/** The presets of the fp32 GEMM (what the autotuner times for float plans). */
export const FLOAT_GEMM_PRESETS = ['regblock-16x16-quad', 'regblock-16x16', 'regblock-8x8', 'regblock-4x16-quad', 'wgtile-4x4'] as const satisfies readonly GemmTileName[];
