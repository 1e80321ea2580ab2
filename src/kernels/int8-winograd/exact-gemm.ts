/**
 * The batched tap GEMM of the exact integer Winograd scheme: M[ξ][t][o] = Σ_c V[ξ][t][c] · U'[ξ][c][o] in
 * int32 (wrapping mod 2^32, as `exactWinogradTapProducts`), one batch per tap ξ = workgroup_id.z.
 *
 * Operands are int16 (|V| ≤ 1020, |U'| ≤ 2295 for 8-bit data): too wide for dot4I8Packed. Scheme: both stored
 * as int16 pairs in u32 words (half the bytes of i32), unpacked with two shifts (sign-extending `>>` of i32)
 * and multiplied in i32: one vec4<i32> multiply-add per (row, 4 output channels, input channel). Products are
 * ≤ 2^22 in magnitude; sums wrap like the CPU pipeline's, so the result is bit-identical in every case, and
 * exact (no intermediate overflow) for C_in ≤ exactWinogradMaxChannels.
 *
 * Buffers:
 *   wino_v  array<vec2<u32>>  V[ξ][t][k]: 4 channels 4k .. 4k+3 as int16 (exact-input.ts)
 *   wino_u  array<vec4<u32>>  U'[ξ][p][o4]: word = channels 2p (bits 0..15), 2p+1 (16..31) of one output
 *                             channel; vec4 = output channels 4·o4 .. +3. p < 2·c4 (pairs past C are 0),
 *                             columns past O are 0. (host: packExactFilter)
 *   wino_m  array<vec4<i32>>  M[ξ][t][o4]
 * The one GEMM body (../gemm.ts) with the int16-pair format `exactGemmFormat` (register blocked; tile without `quad`).
 */
import type { WgslPart } from '../compose.ts';
import { generateGemmKernel, type GemmFormat, type GemmTileName } from '../gemm.ts';
import { kernelId } from '../kernel-id.ts';
import type { KernelSource, UniformField } from '../types.ts';
import { qGemmDispatch, qGemmTileId, validateQGemmTile, type QGemmTile } from '../int8/gemm-i8.ts';
import type { Winograd2D } from '../../winograd/types.ts';
import { winogradAlgoIdPart } from '../winograd-layout.ts';
import { checkAlgo2D, fail, u32f } from './common.ts';

export interface ExactGemmConfig {
  algo: Winograd2D;
  tile: QGemmTile;
  /**
   * 'i32' (default): i32 multiply-adds. 'f32': the int16 operands converted to f32 and multiplied as
   * mat4x4<f32> · vec4<f32> (like the fp32 GEMM), over chunks of `gemm_kc` k steps (uniform) short enough that
   * every partial sum is an integer of magnitude ≤ 2^24 (exact in f32), then added to i32 accumulators: exact,
   * and bit-identical to the i32 path (exactF32Chunk gives gemm_kc from the operand ranges).
   */
  acc?: 'i32' | 'f32';
}

export const EXACT_GEMM_UNIFORMS: UniformField[] = ['gemm_m', 'gemm_n4', 'gemm_k4'].map(u32f);

/**
 * k steps (4 input channels each) per exact f32 chunk: the largest s with s · 4 · max|V| · max|U'| ≤ 2^24, so
 * that every product (≤ max|V|·max|U'| < 2^24) and partial sum of a chunk is an integer f32 holds exactly.
 */
export function exactF32Chunk(maxAbsV: number, maxAbsU: number): number {
  const step = 4 * Math.max(1, maxAbsV) * Math.max(1, maxAbsU);
  const s = Math.floor(2 ** 24 / step);
  if (s < 1) throw new Error(`exactF32Chunk: 4 · ${maxAbsV} · ${maxAbsU} > 2^24: one k step is not exact in f32`);
  return s;
}

/**
 * Tile presets (names in GEMM_TILES). Measured on SwiftShader (Dawn/Node, 2 shared cores, scratch benchmark of issue 4, min of 21 interleaved
 * rounds): the GEMM of 64@56² takes 40 ms with r16x16 (i32 or f32 chunks alike), about 2x r8x8; r16x16 is the default.
 */
export const EXACT_GEMM_PRESETS = ['regblock-16x16', 'regblock-8x8', 'regblock-16x8', 'regblock-8x16', 'regblock-4x8'] as const satisfies readonly GemmTileName[];

export function validateExactGemmConfig(c: ExactGemmConfig): void {
  checkAlgo2D('ExactGemmConfig', c.algo);
  validateQGemmTile(c.tile);
  if (c.tile.quad) fail('ExactGemmConfig', 'tile.quad', c.tile.quad, 'is not supported by the int16 GEMM');
  if (c.acc !== undefined && c.acc !== 'i32' && c.acc !== 'f32') fail('ExactGemmConfig', 'acc', c.acc, "must be 'i32' or 'f32'");
}

export function exactGemmUniforms(c: Pick<ExactGemmConfig, 'acc'>): UniformField[] {
  return c.acc === 'f32' ? [...EXACT_GEMM_UNIFORMS, u32f('gemm_kc')] : EXACT_GEMM_UNIFORMS;
}

/** `<algo>exact_gemm_i16_<tile>[_f32acc]` (kernelId), e.g. `wino2x2exact_gemm_i16_r8x8_wg8x8`, `wino2x2exact_gemm_i16_r16x8_wg8x1_f32acc`. */
export function exactGemmKernelId(c: ExactGemmConfig): string {
  validateExactGemmConfig(c);
  return kernelId({ algo: `${winogradAlgoIdPart(c.algo)}exact`, stage: 'gemm', dtype: 'i16', tile: qGemmTileId(c.tile), rest: [c.acc === 'f32' && 'f32acc'] });
}

/** Workgroups: (ceil(o4 / (wgx·tn/4)), ceil(tiles / (wgy·tm)), taps). */
export function exactGemmWorkgroups(c: ExactGemmConfig, tiles: number, outChannels: number, maxPerDim = 65535): [number, number, number] {
  validateExactGemmConfig(c);
  return qGemmDispatch(c.tile, tiles, outChannels, c.algo.nh * c.algo.nw, maxPerDim);
}

/** Sign-extended int16 lanes of a u32 word pair: bits 0..15 and 16..31 of x, then of y. */
const I16_LANES = (v: string) => `bitcast<vec4<i32>>(vec4<u32>(${v}.x << 16u, ${v}.x, ${v}.y << 16u, ${v}.y)) >> vec4<u32>(16u)`;

/** The int16-pair multiply-accumulate hook of the one GEMM body (../gemm.ts). */
export function exactGemmFormat(c: Pick<ExactGemmConfig, 'acc'>): GemmFormat {
  const f32 = c.acc === 'f32';
  const cvt = (e: string) => (f32 ? `vec4<f32>(${e})` : e);
  return {
    idPart: f32 ? 'f32acc' : '',
    describe: f32
      ? 'int16 operands converted to f32, mat4x4<f32> · vec4 over chunks of gemm_kc k steps (every partial sum an integer ≤ 2^24: exact), added to i32'
      : 'int16 operands unpacked by shifts, vec4<i32> multiply-adds (wrapping like the CPU pipeline)',
    acc: { type: 'vec4<i32>', zero: 'vec4<i32>(0)' },
    a: {
      type: 'vec2<u32>',
      bytes: 8,
      pad: 'vec2<u32>(0u)',
      row: (row) => `qa_row(b, ${row})`,
      k: (k4) => k4,
      load: (row, k) => `wino_v[${row} + ${k}]`,
      prep: (name, raw) => [`let ${name}w = ${raw};`, `let ${name} = ${cvt(I16_LANES(`${name}w`))};`],
      lazy: true,
    },
    b: {
      words: 2,
      type: 'vec4<u32>',
      bytes: 16,
      pad: 'vec4<u32>(0u)',
      load: (q, k4, col) => `qb_load(b, ${k4}, ${col}, ${q})`,
      prep: (name, [lo, hi]) => {
        const L = [
          `let ${name}_0 = ${cvt(`bitcast<vec4<i32>>(${lo} << vec4<u32>(16u)) >> vec4<u32>(16u)`)};`,
          `let ${name}_1 = ${cvt(`bitcast<vec4<i32>>(${lo}) >> vec4<u32>(16u)`)};`,
          `let ${name}_2 = ${cvt(`bitcast<vec4<i32>>(${hi} << vec4<u32>(16u)) >> vec4<u32>(16u)`)};`,
          `let ${name}_3 = ${cvt(`bitcast<vec4<i32>>(${hi}) >> vec4<u32>(16u)`)};`,
        ];
        if (f32) L.push(`let ${name}_m = mat4x4<f32>(${name}_0, ${name}_1, ${name}_2, ${name}_3);`);
        return L;
      },
    },
    mac: f32 ? (acc, a, b) => `${acc} += ${b}_m * ${a};` : (acc, a, b) => `${acc} += ${a}.x * ${b}_0 + ${a}.y * ${b}_1 + ${a}.z * ${b}_2 + ${a}.w * ${b}_3;`,
    chunk: f32 ? { size: 'params.gemm_kc', partial: { type: 'vec4<f32>', zero: 'vec4<f32>(0.0)' }, fold: (acc, p) => `${acc} += vec4<i32>(${p});` } : undefined,
    store: 'loop',
  };
}

/** The operand parts: V rows (first word of row t of tap b), U' word pairs, M stores. */
function exactGemmParts(c: ExactGemmConfig): { a: WgslPart; b: WgslPart; c: WgslPart } {
  return {
    a: {
      idPart: '',
      bindings: [{ name: 'wino_v', kind: 'read-only-storage', type: 'array<vec2<u32>>' }],
      uniforms: [],
      code: `
// Row t of tap b of V: the index of its first word (k4 steps follow).
fn qa_row(b: u32, row: u32) -> u32 {
  return (b * params.gemm_m + row) * params.gemm_k4;
}`,
    },
    b: {
      idPart: '',
      bindings: [{ name: 'wino_u', kind: 'read-only-storage', type: 'array<vec4<u32>>' }],
      uniforms: [],
      code: `
// U' words of k4 step k4, output-channel group col4: h = 0 holds channels 2p (low) / 2p+1 (high) of pair p = 2·k4, h = 1 pair 2·k4 + 1.
fn qb_load(b: u32, k4: u32, col4: u32, h: u32) -> vec4<u32> {
  return wino_u[((b * params.gemm_k4 + k4) * 2u + h) * params.gemm_n4 + col4];
}`,
    },
    c: {
      idPart: '',
      bindings: [{ name: 'wino_m', kind: 'storage', type: 'array<vec4<i32>>' }],
      uniforms: exactGemmUniforms(c).slice(EXACT_GEMM_UNIFORMS.length),
      code: `
struct QCol {
  unused: u32,
}

fn qgemm_col(b: u32, col4: u32) -> QCol {
  return QCol(0u);
}

fn qgemm_store(b: u32, row: u32, col4: u32, d: vec4<i32>, s: i32, q: QCol) {
  wino_m[(b * params.gemm_m + row) * params.gemm_n4 + col4] = d;
}`,
    },
  };
}

export function generateExactGemmKernel(c: ExactGemmConfig): KernelSource {
  validateExactGemmConfig(c);
  const k = generateGemmKernel({ idPrefix: `${winogradAlgoIdPart(c.algo)}exact_gemm_i16`, tile: c.tile, operands: exactGemmParts(c), format: exactGemmFormat(c) });
  if (k.id !== exactGemmKernelId(c)) throw new Error(`internal error: exact GEMM ID ${k.id} ≠ ${exactGemmKernelId(c)}`);
  const header = `Exact integer Winograd tap GEMM ${c.algo.name}: M[ξ] = V[ξ] · U'[ξ] (tiles × C by C × O), int16 operands, i32 result, ξ = workgroup_id.z = tap; gemm_m = tiles, gemm_n4 = o4, gemm_k4 = c4.`;
  return { ...k, code: k.code.replace('\n', `\n// ${header}\n`) };
}
