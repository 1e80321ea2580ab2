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
 * Register blocking as the int8 GEMM (src/kernels/int8/gemm-i8.ts; tile type QGemmTile without `quad`).
 */
import { composeKernel, type WgslPart } from '../compose.ts';
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
 * Tile presets. Measured on SwiftShader (Dawn/Node, 2 shared cores, scratch benchmark of issue 4, min of 21 interleaved
 * rounds): the GEMM of 64@56² takes 40 ms with r16x16 (i32 or f32 chunks alike), about 2x r8x8; r16x16 is the default.
 */
export const EXACT_GEMM_TILES = {
  r16x16: { tm: 16, tn: 16, wgx: 4, wgy: 1 },
  r8x8: { tm: 8, tn: 8, wgx: 8, wgy: 8 },
  r16x8: { tm: 16, tn: 8, wgx: 8, wgy: 1 },
  r8x16: { tm: 8, tn: 16, wgx: 4, wgy: 4 },
  r4x8: { tm: 4, tn: 8, wgx: 8, wgy: 4 },
} as const satisfies Record<string, QGemmTile>;

export function validateExactGemmConfig(c: ExactGemmConfig): void {
  checkAlgo2D('ExactGemmConfig', c.algo);
  validateQGemmTile(c.tile);
  if (c.tile.quad) fail('ExactGemmConfig', 'tile.quad', c.tile.quad, 'is not supported by the int16 GEMM');
  if (c.acc !== undefined && c.acc !== 'i32' && c.acc !== 'f32') fail('ExactGemmConfig', 'acc', c.acc, "must be 'i32' or 'f32'");
}

export function exactGemmUniforms(c: Pick<ExactGemmConfig, 'acc'>): UniformField[] {
  return c.acc === 'f32' ? [...EXACT_GEMM_UNIFORMS, u32f('gemm_kc')] : EXACT_GEMM_UNIFORMS;
}

/** `<algo>_gemm_i16[f32]_r<tm>x<tn>_wg<x>x<y>_exact`, e.g. `wino2x2_gemm_i16_r8x8_wg8x8_exact`, `wino2x2_gemm_i16f32_r16x8_wg8x1_exact`. */
export function exactGemmKernelId(c: ExactGemmConfig): string {
  validateExactGemmConfig(c);
  return `${winogradAlgoIdPart(c.algo)}_gemm_i16${c.acc === 'f32' ? 'f32' : ''}_${qGemmTileId(c.tile)}_exact`;
}

/** Workgroups: (ceil(o4 / (wgx·tn/4)), ceil(tiles / (wgy·tm)), taps). */
export function exactGemmWorkgroups(c: ExactGemmConfig, tiles: number, outChannels: number, maxPerDim = 65535): [number, number, number] {
  validateExactGemmConfig(c);
  return qGemmDispatch(c.tile, tiles, outChannels, c.algo.nh * c.algo.nw, maxPerDim);
}

export function generateExactGemmKernel(c: ExactGemmConfig): KernelSource {
  validateExactGemmConfig(c);
  const id = exactGemmKernelId(c);
  const t = c.tile;
  const tn4 = t.tn / 4;
  const bm = t.wgy * t.tm;
  const bn4 = t.wgx * tn4;
  const I = [...Array(t.tm).keys()];
  const J = [...Array(tn4).keys()];
  const L: string[] = [];
  L.push(`@compute @workgroup_size(${t.wgx}, ${t.wgy}, 1)`);
  L.push('fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {');
  L.push('  let b = wid.z;', '  let m = params.gemm_m;', '  let n4 = params.gemm_n4;', '  let k4n = params.gemm_k4;');
  L.push(`  let row = wid.y * ${bm}u + lid.y;`, `  let col = wid.x * ${bn4}u + lid.x;`);
  L.push('  if (row >= m || col >= n4) {', '    return;', '  }');
  for (const i of I) L.push(`  let ar${i} = (b * m + ${i === 0 ? 'row' : `min(row + ${i * t.wgy}u, m - 1u)`}) * k4n;`);
  for (const j of J) L.push(`  let c${j} = ${j === 0 ? 'col' : `min(col + ${j * t.wgx}u, n4 - 1u)`};`);
  L.push('  let ub = b * k4n * 2u * n4;');
  for (const i of I) for (const j of J) L.push(`  var acc${i}_${j} = vec4<i32>(0);`);
  const f32 = c.acc === 'f32';
  const ind = f32 ? '      ' : '    ';
  const cvt = (e: string) => (f32 ? `vec4<f32>(${e})` : e);
  if (f32) {
    L.push('  for (var k0 = 0u; k0 < k4n; k0 += params.gemm_kc) {');
    L.push('    let k1 = min(k0 + params.gemm_kc, k4n);');
    for (const i of I) for (const j of J) L.push(`    var f${i}_${j} = vec4<f32>(0.0);`);
    L.push('    for (var k = k0; k < k1; k++) {');
  } else {
    L.push('  for (var k = 0u; k < k4n; k++) {');
  }
  L.push(`${ind}let uk = ub + k * 2u * n4;`);
  for (const j of J) {
    L.push(`${ind}let u${j}a = wino_u[uk + c${j}];`, `${ind}let u${j}b = wino_u[uk + n4 + c${j}];`);
    L.push(`${ind}let b${j}_0 = ${cvt(`bitcast<vec4<i32>>(u${j}a << vec4<u32>(16u)) >> vec4<u32>(16u)`)};`);
    L.push(`${ind}let b${j}_1 = ${cvt(`bitcast<vec4<i32>>(u${j}a) >> vec4<u32>(16u)`)};`);
    L.push(`${ind}let b${j}_2 = ${cvt(`bitcast<vec4<i32>>(u${j}b << vec4<u32>(16u)) >> vec4<u32>(16u)`)};`);
    L.push(`${ind}let b${j}_3 = ${cvt(`bitcast<vec4<i32>>(u${j}b) >> vec4<u32>(16u)`)};`);
    if (f32) L.push(`${ind}let b${j}_m = mat4x4<f32>(b${j}_0, b${j}_1, b${j}_2, b${j}_3);`);
  }
  for (const i of I) {
    L.push(`${ind}let v${i} = wino_v[ar${i} + k];`);
    L.push(`${ind}let a${i} = ${cvt(`bitcast<vec4<i32>>(vec4<u32>(v${i}.x << 16u, v${i}.x, v${i}.y << 16u, v${i}.y)) >> vec4<u32>(16u)`)};`);
    for (const j of J) {
      L.push(f32 ? `${ind}f${i}_${j} += b${j}_m * a${i};` : `${ind}acc${i}_${j} += a${i}.x * b${j}_0 + a${i}.y * b${j}_1 + a${i}.z * b${j}_2 + a${i}.w * b${j}_3;`);
    }
  }
  if (f32) {
    L.push('    }');
    for (const i of I) for (const j of J) L.push(`    acc${i}_${j} += vec4<i32>(f${i}_${j});`);
  }
  L.push('  }');
  L.push(`  var res: array<vec4<i32>, ${t.tm * tn4}>;`);
  for (const i of I) for (const j of J) L.push(`  res[${i * tn4 + j}] = acc${i}_${j};`);
  L.push(`  for (var j = 0u; j < ${tn4}u; j++) {`);
  L.push(`    let cj = col + j * ${t.wgx}u;`, '    if (cj >= n4) {', '      break;', '    }');
  L.push(`    for (var i = 0u; i < ${t.tm}u; i++) {`);
  L.push(`      let r = row + i * ${t.wgy}u;`, '      if (r >= m) {', '        break;', '      }');
  L.push(`      wino_m[(b * m + r) * n4 + cj] = res[i * ${tn4}u + j];`);
  L.push('    }', '  }', '}');

  const part: WgslPart = {
    idPart: '',
    bindings: [
      { name: 'wino_v', kind: 'read-only-storage', type: 'array<vec2<u32>>' },
      { name: 'wino_u', kind: 'read-only-storage', type: 'array<vec4<u32>>' },
      { name: 'wino_m', kind: 'storage', type: 'array<vec4<i32>>' },
    ],
    uniforms: exactGemmUniforms(c),
    code: '',
  };
  const header = [
    `Exact integer Winograd tap GEMM ${c.algo.name}: M[ξ] = V[ξ] · U'[ξ] (tiles × C by C × O), int16 operands, ${f32 ? 'exact f32 chunks' : 'i32 multiply-adds'}, i32 result, ξ = workgroup_id.z.`,
    `Workgroup ${t.wgx}×${t.wgy} owns tile rows wid.y·${bm} + [0, ${bm}) and output-channel groups wid.x·${bn4} + [0, ${bn4}).`,
    `Invocation (lx, ly) owns rows +ly+${t.wgy}·i (i < ${t.tm}) and channel groups +lx+${t.wgx}·j (j < ${tn4}): ${t.tm}×${tn4} vec4<i32> accumulators.`,
    `Per k step (4 input channels): ${t.tm} V vec2<u32> (4 int16 each) and ${2 * tn4} U' vec4<u32> (2 int16 per lane) loads, unpacked by`,
    f32
      ? `  shifts and converted to f32, ${t.tm * tn4} mat4x4<f32> · vec4 products, summed in f32 over chunks of gemm_kc k steps (every partial sum an integer ≤ 2^24: exact), then added to i32.`
      : `  shifts, ${t.tm * tn4 * 4} vec4<i32> multiply-adds (wrapping like the CPU pipeline).`,
    `Rows ≥ gemm_m and groups ≥ gemm_n4 are clamped when loaded, never stored.`,
    'Workgroup memory: none. Barriers: none.',
    `Dispatch: (ceil(gemm_n4 / ${bn4}), ceil(gemm_m / ${bm}), taps = ${c.algo.nh * c.algo.nw}); gemm_m = tiles, gemm_n4 = o4, gemm_k4 = c4.`,
  ].join('\n');
  return composeKernel({ id, header, parts: [part], main: L.join('\n'), workgroupSize: [t.wgx, t.wgy, 1] });
}
