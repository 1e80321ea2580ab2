/**
 * The fused output kernel of the tap-wise scheme (src/quant/tapwise.ts steps 4–7): per tap
 * Mf = tap_i32_to_f32(Mi) · deq[o][ξ], Y = Ahᵀ · Mf · Aw in f32 (unrolled from the exact matrices, f32
 * literals, ascending terms, H pass then W pass: the order of the 'f32' reference), acc = tap_acc(Y, 0), then
 * the output part adds the int32 bias and requantizes (qlinear), or writes acc (convint) / the dequantized
 * float. With no FMA contraction of step 4 into step 5 this equals `tapwiseWinogradConv` bit for bit
 * (the tapwise.ts header bounds the contracted case by 1 LSB).
 *
 * Per-tap dequantization constants (`tap_deq: array<vec4<f32>>`, index ξ · o4 + k): deq[o][ξ] for output
 * channels 4k .. 4k+3 (0 past O) (host: packTapDequant from tapwiseKernelParams).
 */
import type { Winograd2D } from '../../winograd/types.ts';
import { tapwiseWgslPart } from '../quant-wgsl.ts';
import type { KernelSource } from '../types.ts';
import { range, tapIndex, unrolled1D } from '../winograd-layout.ts';
import { checkAlgo2D, checkWorkgroup, DEFAULT_WG } from './common.ts';
import { generateOutputSkeleton, outputStoreDescription, validateWinogradQOutput, winogradQOutputId, type WinogradQOutput } from './output-common.ts';

export interface TapOutputConfig extends WinogradQOutput {
  algo: Winograd2D;
  /** Invocations per workgroup (1-D); default 64. */
  workgroupSize?: number;
}

export function validateTapOutputConfig(c: TapOutputConfig): number {
  const what = 'TapOutputConfig';
  checkAlgo2D(what, c.algo);
  validateWinogradQOutput(what, c);
  return checkWorkgroup(what, c.workgroupSize);
}

/** `<algo>tap_output_i32_<nhwc|nchw>[_wgN]_<convint|qlinear[_w4]|float>` (kernelId), e.g. `wino4x4tap_output_i32_nhwc_qlinear_w4`. */
export function tapOutputKernelId(c: TapOutputConfig): string {
  const wg = validateTapOutputConfig(c);
  return winogradQOutputId(c, 'tap', wg !== DEFAULT_WG ? `wg${wg}` : undefined);
}

const DEQUANT_WGSL = `
// Step 4 for 4 output channels: f32(Mi) rounded to nearest even (tap_i32_to_f32), times deq[o][xi].
fn tap_dequant4(m: vec4<i32>, deq: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(tap_i32_to_f32(m.x), tap_i32_to_f32(m.y), tap_i32_to_f32(m.z), tap_i32_to_f32(m.w)) * deq;
}

// Step 6 for 4 output channels (bias 0 here: the output part adds the int32 bias before requantizing).
fn tap_acc4(y: vec4<f32>) -> vec4<i32> {
  return vec4<i32>(tap_acc(y.x, 0i), tap_acc(y.y, 0i), tap_acc(y.z, 0i), tap_acc(y.w, 0i));
}`;

export function generateTapOutputKernel(c: TapOutputConfig): KernelSource {
  const wg = validateTapOutputConfig(c);
  const { algo } = c;
  const { nh, nw, mh, mw } = algo;
  const tw = tapwiseWgslPart();
  const header = [
    `Tap-wise quantized Winograd output kernel ${algo.name} (tile ${mh}x${mw} from ${nh}x${nw} taps), ${c.layout} output, mode ${c.output}:`,
    `  dequantize per tap, inverse transform, bias, activation clamp, requantize — fused (tapwise.ts steps 4–7).`,
    `Thread mapping: one invocation = one tile t × 4 output channels (group k, c = 4k); idx = gid.y · row_pitch + gid.x,`,
    c.layout === 'NHWC' ? `  k = idx % o4 (fastest), t = idx / o4.` : `  t = idx % tiles (fastest), k = idx / tiles.`,
    `Reads: Mi[ξ][t][k] (vec4<i32>) and deq = tap_deq[ξ·o4 + k] for the ${nh * nw} taps; Mf = tap_i32_to_f32(Mi) · deq.`,
    `Computes Y = AhT · Mf · Aw in f32 (straight-line code; exact f32 literals, ascending terms),`,
    `  acc = i32(clamp(round(Y), ±2^30)) (tap_acc), then qstore adds bias[o] and applies the output mode.`,
    ...outputStoreDescription(c),
    `Workgroup memory: none. Barriers: none.`,
    `Dispatch: ${wg} invocations per workgroup along x; tiles · o4 invocations, x = ceil(total / ${wg}) (split over y, row_pitch = x · ${wg}).`,
  ].join('\n');
  return generateOutputSkeleton({
    algo,
    out: c,
    id: tapOutputKernelId(c),
    header,
    workgroupSize: wg,
    valueType: 'vec4<f32>',
    parts: [
      tw,
      {
        idPart: '',
        bindings: [
          { name: 'wino_m', kind: 'read-only-storage', type: 'array<vec4<i32>>' },
          { name: 'tap_deq', kind: 'read-only-storage', type: 'array<vec4<f32>>' },
        ],
        uniforms: [],
        code: DEQUANT_WGSL,
      },
    ],
    loads: (ind, b) =>
      range(nh).map((a) => {
        const xi = a * nw + b;
        return `${ind}let m${a}_${b} = tap_dequant4(wino_m[${tapIndex('mb', 'ms', xi)}], tap_deq[${xi === 0 ? 'k' : `${xi}u * params.o4 + k`}]);`;
      }),
    unrolled: (m, ops, assign) => unrolled1D(m, ops, assign),
    finish: (y) => `tap_acc4(${y})`,
  });
}
