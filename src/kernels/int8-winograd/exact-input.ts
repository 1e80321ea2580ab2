/**
 * Exact integer Winograd input transform (scheme `winograd2-exact`): V = Bhᵀ · d' · Bw per tile and group of
 * 4 input channels, d' = x − x_zp (padding: d' = 0), in int32, stored as int16 pairs.
 *
 * Storage of V (`wino_v: array<vec2<u32>>`, index (ξ · tiles + t) · c4 + k): one vec2<u32> = 4 channels
 * 4k .. 4k+3 as int16, channel 4k+2p+h in bits 16h .. 16h+15 of component p (two's complement). Lanes of
 * channels ≥ C are 0. int16 holds every V: the algorithm must have |V| ≤ 32767 for |d'| ≤ 255 (checked from
 * the exact matrices: F(2×2,3×3) gives |V| ≤ 4·255 = 1020; F(2×1,3×3) 2·255).
 * Why int16 pairs and not i32: the GEMM (exact-gemm.ts) then loads half the bytes per multiply-accumulate;
 * its two shifts per unpacked operand are amortized over the register block.
 *
 * The arithmetic is exactly `exactWinogradInputTransform` (src/quant/winograd-int.ts): integer additions and
 * multiplications by the integer Bᵀ entries, wrapping mod 2^32 — here nothing can wrap (|V| ≤ 1020).
 */
import { kernelId } from '../kernel-id.ts';
import type { Layout } from '../../conv/types.ts';
import type { Winograd2D } from '../../winograd/types.ts';
import { composeKernel, type WgslPart } from '../compose.ts';
import type { KernelSource } from '../types.ts';
import type { QDType } from '../int8/types.ts';
import { matrixComment, range, tapIndex, winogradAlgoIdPart } from '../winograd-layout.ts';
import {
  INPUT_GEOMETRY_UNIFORMS,
  checkAlgo2D,
  checkLayout,
  checkQDType,
  checkWorkgroup,
  DEFAULT_WG,
  dtShort,
  fail,
  isIntegerMatrix,
  inputTransformMaxAbs,
  patchColumnLoads,
  patchPrologue,
  patchReadDescription,
  unrolled1DInt,
} from './common.ts';

export interface ExactInputConfig {
  /** F(2×2,3×3) for `winograd2-exact` (any algorithm with integer Bᵀ whose |V| fits int16). */
  algo: Winograd2D;
  layout: Layout;
  /** Activation dtype. */
  input: QDType;
  /** Invocations per workgroup (1-D); default 64. */
  workgroupSize?: number;
}

export function validateExactInputConfig(c: ExactInputConfig): number {
  const what = 'ExactInputConfig';
  checkAlgo2D(what, c.algo);
  checkLayout(what, c.layout);
  checkQDType(what, 'input', c.input);
  if (!isIntegerMatrix(c.algo.h.BT) || !isIntegerMatrix(c.algo.w.BT)) fail(what, 'algo', c.algo, 'must have integer Bᵀ on both sides (exact integer scheme)');
  if (inputTransformMaxAbs(c.algo) > 32767) fail(what, 'algo', c.algo, `|V| can reach ${inputTransformMaxAbs(c.algo)}, more than int16 holds`);
  return checkWorkgroup(what, c.workgroupSize);
}

/** `<algo>exact_input_<i8|u8>_<nhwc|nchw>[_wgN]` (kernelId), e.g. `wino2x2exact_input_u8_nhwc`. */
export function exactInputKernelId(c: ExactInputConfig): string {
  const wg = validateExactInputConfig(c);
  return kernelId({ algo: `${winogradAlgoIdPart(c.algo)}exact`, stage: 'input', dtype: dtShort(c.input), layout: c.layout.toLowerCase(), tile: wg !== DEFAULT_WG ? `wg${wg}` : undefined });
}

export const PACK_I16X4_WGSL = `
// 4 int32 values (each in [-32768, 32767]) as int16 pairs: lanes (x, y) in component 0, (z, w) in 1.
fn pack_i16x4(v: vec4<i32>) -> vec2<u32> {
  let u = bitcast<vec4<u32>>(v);
  return vec2<u32>((u.x & 0xffffu) | (u.y << 16u), (u.z & 0xffffu) | (u.w << 16u));
}`;

export function generateExactInputKernel(c: ExactInputConfig): KernelSource {
  const wg = validateExactInputConfig(c);
  const id = exactInputKernelId(c);
  const { algo } = c;
  const { nh, nw } = algo;
  const I = '  ';
  const part: WgslPart = {
    idPart: '',
    bindings: [
      { name: 'input', kind: 'read-only-storage', type: 'array<u32>' },
      { name: 'wino_v', kind: 'storage', type: 'array<vec2<u32>>' },
    ],
    uniforms: INPUT_GEOMETRY_UNIFORMS,
    code: PACK_I16X4_WGSL,
  };
  const body = patchPrologue(algo, c.layout);
  body.push(...matrixComment(`V = BhT · d' · Bw (${algo.name}), integer, step 1 along H: t[:, b] = BhT · d'[:, b] for each patch column b; BhT = ${algo.h.name} BT`, algo.h.BT, I));
  for (let b = 0; b < nw; b++) {
    body.push(...patchColumnLoads(algo, c.layout, c.input, I, b));
    body.push(...unrolled1DInt(algo.h.BT, range(nh).map((a) => `d${a}_${b}`), (i, e) => `${I}let t${i}_${b} = ${e};`, `${algo.h.name}.BT`));
  }
  body.push(...matrixComment(`step 2 along W: V[i, :] = BwT · t[i, :] for each row i, stored as it is computed; BwT = ${algo.w.name} BT`, algo.w.BT, I));
  body.push(`${I}let vs = tiles * params.c4;`, `${I}let vb = t * params.c4 + k;`);
  for (let i = 0; i < nh; i++) {
    body.push(
      ...unrolled1DInt(
        algo.w.BT,
        range(nw).map((b) => `t${i}_${b}`),
        (j, e) => `${I}wino_v[${tapIndex('vb', 'vs', i * nw + j)}] = pack_i16x4(select(zero, ${e}, lane_ok));`,
        `${algo.w.name}.BT`,
      ),
    );
  }

  const header = [
    `Exact integer Winograd input transform ${algo.name} (tile ${algo.mh}x${algo.mw} outputs, ${nh}x${nw} patch), ${c.input} activations, ${c.layout}.`,
    `Thread mapping: one invocation = one tile t × 4 input channels (group k); idx = gid.y · row_pitch + gid.x,`,
    c.layout === 'NHWC' ? `  k = idx % c4 (fastest), t = idx / c4.` : `  t = idx % tiles (fastest), k = idx / tiles.`,
    ...patchReadDescription(algo, c.layout, c.input),
    `Computes V = BhT · d' · Bw in i32 (integer BT: adds, subtracts, integer multiples), H pass then W pass, as`,
    `  straight-line code (no loops, no private arrays).`,
    `Writes: V[ξ][t][k] as 4 int16 in a vec2<u32> (pack_i16x4), ξ = a·${nw} + b, all ${nh * nw} taps; lanes of channels ≥ C are 0.`,
    `Workgroup memory: none. Barriers: none.`,
    `Dispatch: ${wg} invocations per workgroup along x; tiles · c4 invocations (tiles = batch · tiles_h · tiles_w),`,
    `  x = ceil(total / ${wg}) workgroups (split over y past the device limit, row_pitch = x · ${wg}).`,
  ].join('\n');
  const main = [`@compute @workgroup_size(${wg})`, 'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {', ...body, '}'].join('\n');
  return composeKernel({ id, header, parts: [part], main, workgroupSize: [wg, 1, 1] });
}
