/**
 * The int8 multiply-accumulate hook of the one GEMM body (../gemm.ts): C_b[M × N] = A_b[M × K] · B_b[K × N]
 * for every batch index b = workgroup_id.z (convolution groups), with A and B 8-bit, K in u32 words of 4 lanes
 * (gemm_k4 words), N in groups of 4 columns (gemm_n4), int32 accumulation, and optionally the row sums
 * S_b[row] = Σ_k A_b[row][k] (for weight zero points).
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
 * The format prepares A and B words for the dot path (dot.ts: flip / unpack / f32). With 'unpackf32' the k
 * loop runs in chunks of QF32_CHUNK words whose exact f32 partial sums are added to the i32 accumulators.
 * Tiles, validation, tile IDs, dispatch and the loops are the body's (GemmTile); both variants work
 * ('wgtile' stages raw words; its k-tile must fit one exact chunk).
 */
import { generateGemmKernel, gemmDispatch, gemmRequiredFeatures, gemmTileId, validateGemmTile, type GemmFormat, type GemmTile, type GemmTileName } from '../gemm.ts';
import type { WgslPart } from '../compose.ts';
import type { KernelSource, UniformField } from '../types.ts';
import { accTypes, isF32Dot, macLine, prepA, prepB, QF32_CHUNK, sumExpr } from './dot.ts';
import { flipsInput, type QOperandConfig } from './types.ts';

/** The int8 kernels' tile: the body's GemmTile (variant defaults to 'regblock'). */
export type QGemmTile = GemmTile;

export interface QGemmOperandParts {
  a: WgslPart;
  b: WgslPart;
  c: WgslPart;
}

export interface QGemmKernelConfig {
  /** e.g. 'im2col_gemm_u8i8_nhwc' */
  idPrefix: string;
  tile: QGemmTile;
  /** Operand domains and the dot path (the format prepares A and B words and sums rows with wzp). */
  ops: Pick<QOperandConfig, 'input' | 'weights' | 'wzp' | 'dot'>;
  operands: QGemmOperandParts;
}

export const QGEMM_BODY_UNIFORMS: UniformField[] = [
  { name: 'gemm_m', type: 'u32' },
  { name: 'gemm_n4', type: 'u32' },
  { name: 'gemm_k4', type: 'u32' },
];

export function validateQGemmTile(t: QGemmTile, field = 'tile'): void {
  validateGemmTile(t, field);
}

/** Device features a tile's kernel needs. */
export const qGemmRequiredFeatures = gemmRequiredFeatures;

/** e.g. 'r16x16_wg4x1' */
export const qGemmTileId = gemmTileId;

/** Workgroups for C[batch][m × n]: (ceil(ceil(n/4) / (wgx·tn/4)), ceil(m / (wgy·tm)), batch). */
export const qGemmDispatch = gemmDispatch;

/** The int8 multiply-accumulate hook for operand domains and dot path `ops`. */
export function int8GemmFormat(ops: Pick<QOperandConfig, 'input' | 'weights' | 'wzp' | 'dot'>): GemmFormat {
  const f32 = isF32Dot(ops);
  const t = accTypes(ops);
  return {
    idPart: [ops.dot, ops.wzp ? 'wzp' : ''].filter(Boolean).join('_'),
    describe:
      ops.dot === 'dot4'
        ? `i32 accumulation of ${ops.weights === 'uint8' ? 'dot4U8Packed' : 'dot4I8Packed'} products`
        : ops.dot === 'unpack'
          ? 'unpacked bytes, i32 multiply-add'
          : `unpacked bytes, exact f32 mat4x4 multiply-add over chunks of ${QF32_CHUNK} words, added to i32`,
    acc: { type: 'vec4<i32>', zero: 'vec4<i32>(0)' },
    a: {
      type: 'u32',
      bytes: 4,
      // A padding word that contributes 0 to products and row sums once prepared (flipped inputs: 0x80 is 0).
      pad: ops.dot === 'dot4' && flipsInput(ops) ? '0x80808080u' : '0u',
      row: (row) => `qa_row(b, ${row})`,
      k: (k4) => `qa_k(${k4})`,
      load: (row, k) => `qa_load(${row}, ${k})`,
      prep: (name, raw) => [prepA(ops, name, raw)],
      lazy: true,
    },
    b: {
      words: 1,
      type: 'vec4<u32>',
      bytes: 16,
      pad: 'vec4<u32>(0u)',
      load: (_q, k4, col) => `qb_load(b, ${k4}, ${col})`,
      prep: (name, raws) => prepB(ops, name, raws[0]),
    },
    mac: (acc, a, b) => macLine(ops, acc, a, b),
    rowSum: ops.wzp ? { type: 'i32', zero: '0i', expr: (a) => sumExpr(ops, a) } : undefined,
    chunk: f32
      ? { size: `${QF32_CHUNK}u`, constant: QF32_CHUNK, partial: { type: t.vec, zero: t.zero }, sumPartial: { type: t.scalar, zero: t.szero }, fold: (acc, p) => `${acc} += vec4<i32>(${p});` }
      : undefined,
    store: 'loop',
  };
}

/**
 * The int8 GEMM's presets (names in GEMM_TILES): 'regblock-16x16-quad' on SwiftShader with 'subgroups', else
 * 'regblock-16x16'; on GPUs 'regblock-8x8' (or 'regblock-4x4'). Rows below name them by shape (r16x16-quad …).
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
export const INT8_GEMM_PRESETS = ['regblock-16x16-quad', 'regblock-16x16', 'regblock-8x8', 'regblock-4x4'] as const satisfies readonly GemmTileName[];

/** The int8 GEMM kernel: the one body with the int8 format. ID `<idPrefix>_<tile>_<a>_<b>_<dot>[_wzp]_<c>`. */
export function generateQGemmKernel(cfg: QGemmKernelConfig): KernelSource {
  for (const k of ['a', 'b', 'c'] as const) {
    if (!cfg.operands?.[k]) throw new Error(`QGemmKernelConfig.operands.${k}: required (a WgslPart of the contract in gemm-i8.ts)`);
  }
  return generateGemmKernel({ idPrefix: cfg.idPrefix, tile: cfg.tile, operands: cfg.operands, format: int8GemmFormat(cfg.ops) });
}
