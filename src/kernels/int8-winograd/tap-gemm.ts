/**
 * The batched tap GEMM of the tap-wise scheme: Mi[ξ][t][o] = Σ_c Vq[ξ][t][c] · Uq[ξ][c][o] in int32
 * (src/quant/tapwise.ts step 3), one batch per tap ξ = workgroup_id.z, on the int8 GEMM body of
 * src/kernels/int8/gemm-i8.ts (dot4I8Packed with dot 'dot4'; the body's unpacked paths also work) through its
 * operand contract:
 *
 *   A reader  qa_row(b, row) / qa_k(k4) / qa_load: word (ξ·tiles + t)·c4 + k4 of `wino_vq` XOR tap_xor[ξ].
 *             The body is configured for int8 A (no flip). int8 taps: tap_xor = 0, the bytes are the values.
 *             uint8 taps (q in [0, 255], not an int8): tap_xor = 0x80808080 flips each byte's top bit, giving
 *             q − 128 as int8; the C writer adds back 128 · Σ_c Uq[ξ][c][o] (host-computed tap_corr).
 *   B reader  qb_load(b, k4, col4) = wino_uq[(ξ · c4 + k4) · o4 + col4]: Uq as int8 bytes, word = channels
 *             4k4 .. 4k4+3 of one output channel, vec4 = 4 output channels (the int8 weight format with
 *             "group" = tap; host: packTapWeights). Padding (c ≥ C, o ≥ O) is 0, so padded A lanes add 0.
 *   C writer  qgemm_store: wino_m[(ξ · tiles + t) · o4 + col4] = d + tap_corr[ξ · o4 + col4] (vec4<i32>).
 * Every sum is exact in int32 (|q · Uq| ≤ 255 · 127, C ≤ 66,311), so the result is bit-identical to
 * `tapwiseTapProducts` whatever the summation order.
 */
import type { WgslPart } from '../compose.ts';
import type { GemmTileName } from '../gemm.ts';
import type { KernelSource, UniformField } from '../types.ts';
import { generateQGemmKernel, qGemmDispatch, qGemmRequiredFeatures, validateQGemmTile, type QGemmTile } from '../int8/gemm-i8.ts';
import type { QDotPath } from '../int8/types.ts';
import type { Winograd2D } from '../../winograd/types.ts';
import { winogradAlgoIdPart } from '../winograd-layout.ts';
import { checkAlgo2D, fail } from './common.ts';

export interface TapGemmConfig {
  algo: Winograd2D;
  tile: QGemmTile;
  /** 'dot4' (dot4I8Packed; needs the WGSL language feature packed_4x8_integer_dot_product), 'unpack' or 'unpackf32'. */
  dot: QDotPath;
}

/**
 * Tile presets of the tap-wise GEMM (names in GEMM_TILES). Measured on SwiftShader (scratch benchmark of issue 4): r16x16 is the fastest; there
 * dot4I8Packed is emulated and 'unpackf32' runs the GEMM 1.6–3.4x faster (F(4x4) 64@56²: 18.8 vs 37.2 ms), while
 * GPUs with a native packed dot product favour 'dot4' (the default of prepareTapwiseWinograd).
 */
export const TAP_GEMM_PRESETS = ['regblock-16x8', 'regblock-16x16', 'regblock-8x8', 'regblock-4x4'] as const satisfies readonly GemmTileName[];

export function validateTapGemmConfig(c: TapGemmConfig): void {
  checkAlgo2D('TapGemmConfig', c.algo);
  validateQGemmTile(c.tile);
  if (c.dot !== 'dot4' && c.dot !== 'unpack' && c.dot !== 'unpackf32') fail('TapGemmConfig', 'dot', c.dot, "must be 'dot4', 'unpack' or 'unpackf32'");
}

export function tapGemmReaderPart(): WgslPart {
  return {
    idPart: '',
    bindings: [
      { name: 'wino_vq', kind: 'read-only-storage', type: 'array<u32>' },
      { name: 'tap_xor', kind: 'read-only-storage', type: 'array<u32>' },
    ],
    uniforms: [],
    code: `
struct QRow {
  base: u32,
  flip: u32,
}

// Row t of tap b: its first word and the tap's byte flip (0x80808080 for uint8 taps: q - 128 as int8).
fn qa_row(b: u32, row: u32) -> QRow {
  return QRow((b * params.gemm_m + row) * params.gemm_k4, tap_xor[b]);
}

struct QK {
  k4: u32,
}

fn qa_k(k4: u32) -> QK {
  return QK(k4);
}

fn qa_load(r: QRow, k: QK) -> u32 {
  return wino_vq[r.base + k.k4] ^ r.flip;
}`,
  };
}

export function tapGemmWeightsPart(): WgslPart {
  return {
    idPart: '',
    bindings: [{ name: 'wino_uq', kind: 'read-only-storage', type: 'array<vec4<u32>>' }],
    uniforms: [],
    code: `
fn qb_load(b: u32, k4: u32, col4: u32) -> vec4<u32> {
  return wino_uq[(b * params.gemm_k4 + k4) * params.gemm_n4 + col4];
}`,
  };
}

export function tapGemmWriterPart(): WgslPart {
  return {
    idPart: '',
    bindings: [
      { name: 'tap_corr', kind: 'read-only-storage', type: 'array<vec4<i32>>' },
      { name: 'wino_m', kind: 'storage', type: 'array<vec4<i32>>' },
    ],
    uniforms: [],
    code: `
struct QCol {
  corr: vec4<i32>,
}

// 128 · Σ_c Uq[b][c][o] for uint8 taps (undoes the byte flip of the A reader), 0 for int8 taps.
fn qgemm_col(b: u32, col4: u32) -> QCol {
  return QCol(tap_corr[b * params.gemm_n4 + col4]);
}

fn qgemm_store(b: u32, row: u32, col4: u32, d: vec4<i32>, s: i32, q: QCol) {
  wino_m[(b * params.gemm_m + row) * params.gemm_n4 + col4] = d + q.corr;
}`,
  };
}

/** The ID prefix: `<algo>tap_gemm_i8` (the body appends tile, dot path: kernelId's order). */
export function tapGemmIdPrefix(c: Pick<TapGemmConfig, 'algo'>): string {
  return `${winogradAlgoIdPart(c.algo)}tap_gemm_i8`;
}

/** e.g. `wino4x4tap_gemm_i8_r16x16_wg4x1_dot4`. */
export function generateTapGemmKernel(c: TapGemmConfig): KernelSource {
  validateTapGemmConfig(c);
  return generateQGemmKernel({
    idPrefix: tapGemmIdPrefix(c),
    tile: c.tile,
    ops: { input: 'int8', weights: 'int8', wzp: false, dot: c.dot },
    operands: { a: tapGemmReaderPart(), b: tapGemmWeightsPart(), c: tapGemmWriterPart() },
  });
}

export function tapGemmKernelId(c: TapGemmConfig): string {
  return generateTapGemmKernel(c).id;
}

/** Device features the GEMM needs ('subgroups' for quad tiles). */
export function tapGemmRequiredFeatures(c: TapGemmConfig): GPUFeatureName[] {
  return qGemmRequiredFeatures(c.tile);
}

/** Workgroups: the int8 body's (ceil(o4 / (wgx·tn/4)), ceil(tiles / (wgy·tm)), taps). */
export function tapGemmWorkgroups(c: TapGemmConfig, tiles: number, outChannels: number, maxPerDim = 65535): [number, number, number] {
  validateTapGemmConfig(c);
  return qGemmDispatch(c.tile, tiles, outChannels, c.algo.nh * c.algo.nw, maxPerDim);
}

export const TAP_GEMM_BODY_UNIFORMS: readonly UniformField['name'][] = ['gemm_m', 'gemm_n4', 'gemm_k4'];
