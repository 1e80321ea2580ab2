/**
 * Tap-wise quantized Winograd input transform (schemes `winograd*-tap`): V = Bhᵀ · d' · Bw in f32 per tile and
 * group of 4 input channels, then per tap ξ q = tap_quantize(V, invS[ξ], lo[ξ], hi[ξ]) (src/quant/tapwise.ts
 * steps 1–2), packed as bytes: int8 taps two's complement in [−127, 127], uint8 taps in [0, 255].
 *
 * Storage of Vq (`wino_vq: array<u32>`, index (ξ · tiles + t) · c4 + k): byte j of the word = channel 4k + j
 * (little-endian), channels ≥ C hold 0.
 * Per-tap constants (`tap_q: array<vec4<i32>>`, one record per tap): (bits of invS[ξ] as i32, lo[ξ], hi[ξ], 0)
 * (host: packTapInputParams from tapwiseKernelParams).
 *
 * Bit-exactness: d' are integers and Bᵀ of the four algorithms is integer with |V| ≤ 100·255 < 2^24, so every
 * f32 operation of the transform is exact (order and contraction cannot matter); the quantization is one f32
 * multiply, round-half-even and a clamp, as the CPU reference.
 */
import { kernelId } from '../kernel-id.ts';
import type { Layout } from '../../conv/types.ts';
import type { Winograd2D } from '../../winograd/types.ts';
import { tapwiseWgslPart } from '../quant-wgsl.ts';
import { composeKernel, type WgslPart } from '../compose.ts';
import type { KernelSource } from '../types.ts';
import type { QDType } from '../int8/types.ts';
import { isBareOperand, matrixComment, range, tapIndex, unrolled1D, winogradAlgoIdPart, ZERO_VEC4 } from '../winograd-layout.ts';
import {
  INPUT_GEOMETRY_UNIFORMS,
  checkAlgo2D,
  checkLayout,
  checkQDType,
  checkWorkgroup,
  DEFAULT_WG,
  dtShort,
  fail,
  inputTransformMaxAbs,
  patchColumnLoads,
  patchPrologue,
  patchReadDescription,
} from './common.ts';

export interface TapInputConfig {
  algo: Winograd2D;
  layout: Layout;
  /** Activation dtype. */
  input: QDType;
  /** Invocations per workgroup (1-D); default 64. */
  workgroupSize?: number;
}

export function validateTapInputConfig(c: TapInputConfig): number {
  const what = 'TapInputConfig';
  checkAlgo2D(what, c.algo);
  checkLayout(what, c.layout);
  checkQDType(what, 'input', c.input);
  const integerBT = [c.algo.h.BT, c.algo.w.BT].every((m) => m.every((row) => row.every((f) => f.d === 1n)));
  if (!integerBT || inputTransformMaxAbs(c.algo) >= 2 ** 24) {
    fail(what, 'algo', c.algo, 'must have integer Bᵀ with |V| < 2^24 for 8-bit inputs (so the f32 transform is exact, as tapwise.ts assumes)');
  }
  return checkWorkgroup(what, c.workgroupSize);
}

/** `<algo>tap_input_<i8|u8>_<nhwc|nchw>[_wgN]` (kernelId), e.g. `wino4x4tap_input_u8_nhwc`. */
export function tapInputKernelId(c: TapInputConfig): string {
  const wg = validateTapInputConfig(c);
  return kernelId({ algo: `${winogradAlgoIdPart(c.algo)}tap`, stage: 'input', dtype: dtShort(c.input), layout: c.layout.toLowerCase(), tile: wg !== DEFAULT_WG ? `wg${wg}` : undefined });
}

export function generateTapInputKernel(c: TapInputConfig): KernelSource {
  const wg = validateTapInputConfig(c);
  const id = tapInputKernelId(c);
  const { algo } = c;
  const { nh, nw } = algo;
  const I = '  ';
  const own: WgslPart = {
    idPart: '',
    bindings: [
      { name: 'input', kind: 'read-only-storage', type: 'array<u32>' },
      { name: 'tap_q', kind: 'read-only-storage', type: 'array<vec4<i32>>' },
      { name: 'wino_vq', kind: 'storage', type: 'array<u32>' },
    ],
    uniforms: INPUT_GEOMETRY_UNIFORMS,
    code: `
// Quantizes the 4 channels of tap record p = (bits of invS, lo, hi, 0) with tap_quantize (tapwise.ts step 2)
// and packs them as bytes (lane j -> bits 8j .. 8j+7); lanes outside ok are 0.
fn tap_pack4(v: vec4<f32>, p: vec4<i32>, ok: vec4<bool>) -> u32 {
  let s = bitcast<f32>(p.x);
  let q = vec4<i32>(tap_quantize(v.x, s, p.y, p.z), tap_quantize(v.y, s, p.y, p.z), tap_quantize(v.z, s, p.y, p.z), tap_quantize(v.w, s, p.y, p.z));
  let b = (bitcast<vec4<u32>>(select(vec4<i32>(0), q, ok)) & vec4<u32>(255u)) << vec4<u32>(0u, 8u, 16u, 24u);
  return b.x | b.y | b.z | b.w;
}`,
  };
  const body = patchPrologue(algo, c.layout);
  body.push(...matrixComment(`V = BhT · d' · Bw (${algo.name}), f32 (exact: integers < 2^24), step 1 along H: t[:, b] = BhT · d'[:, b]; BhT = ${algo.h.name} BT`, algo.h.BT, I));
  for (let b = 0; b < nw; b++) {
    body.push(...patchColumnLoads(algo, c.layout, c.input, I, b).map((l) => l.replace(/let d(\d+)_(\d+) = /, 'let e$1_$2 = ')));
    for (let a = 0; a < nh; a++) body.push(`${I}let d${a}_${b} = vec4<f32>(e${a}_${b});`);
    body.push(...unrolled1D(algo.h.BT, range(nh).map((a) => `d${a}_${b}`), (i, e) => `${I}let t${i}_${b} = ${e};`));
  }
  body.push(...matrixComment(`step 2 along W: V[i, :] = BwT · t[i, :] for each row i, quantized and stored as it is computed; BwT = ${algo.w.name} BT`, algo.w.BT, I));
  body.push(`${I}let vs = tiles * params.c4;`, `${I}let vb = t * params.c4 + k;`);
  for (let i = 0; i < nh; i++) {
    body.push(
      ...unrolled1D(algo.w.BT, range(nw).map((b) => `t${i}_${b}`), (j, e) => {
        const v = isBareOperand(e) || e === ZERO_VEC4 ? e : `(${e})`;
        const xi = i * nw + j;
        return `${I}wino_vq[${tapIndex('vb', 'vs', xi)}] = tap_pack4(${v}, tap_q[${xi}], lane_ok);`;
      }),
    );
  }

  const header = [
    `Tap-wise quantized Winograd input transform ${algo.name} (tile ${algo.mh}x${algo.mw} outputs, ${nh}x${nw} patch), ${c.input} activations, ${c.layout}.`,
    `Thread mapping: one invocation = one tile t × 4 input channels (group k); idx = gid.y · row_pitch + gid.x,`,
    c.layout === 'NHWC' ? `  k = idx % c4 (fastest), t = idx / c4.` : `  t = idx % tiles (fastest), k = idx / tiles.`,
    ...patchReadDescription(algo, c.layout, c.input),
    `Computes V = BhT · d' · Bw in f32 (exact integers), H pass then W pass as straight-line code, then per tap ξ`,
    `  q = tap_quantize(V, invS[ξ], lo[ξ], hi[ξ]) with tap_q[ξ] = (bits(invS), lo, hi, 0), packed 4 bytes per u32.`,
    `Writes: Vq[ξ][t][k] (u32, byte j = channel 4k + j), ξ = a·${nw} + b, all ${nh * nw} taps; bytes of channels ≥ C are 0.`,
    `Workgroup memory: none. Barriers: none.`,
    `Dispatch: ${wg} invocations per workgroup along x; tiles · c4 invocations (tiles = batch · tiles_h · tiles_w),`,
    `  x = ceil(total / ${wg}) workgroups (split over y past the device limit, row_pitch = x · ${wg}).`,
  ].join('\n');
  const main = [`@compute @workgroup_size(${wg})`, 'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {', ...body, '}'].join('\n');
  return composeKernel({ id, header, parts: [tapwiseWgslPart(), own], main, workgroupSize: [wg, 1, 1] });
}
