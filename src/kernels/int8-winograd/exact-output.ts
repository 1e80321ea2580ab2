/**
 * Exact integer Winograd output transform (scheme `winograd2-exact`): Y' = Ahᵀ · M · Aw in i32 (integer Aᵀ),
 * Y = Y' / S (S = s_h · s_w = 4 for F(2×2,3×3): exact, Y' = S·Y), then the output mode (convint / qlinear /
 * float) through the int8 output part. Bit-identical to `exactWinogradOutputTransform` (integer ring
 * arithmetic, then WGSL's truncating i32 division, like Math.trunc) and, within the channel bound, to
 * ConvInteger / QLinearConv.
 */
import type { Winograd2D } from '../../winograd/types.ts';
import type { KernelSource } from '../types.ts';
import { integerWinograd } from '../../quant/winograd-int.ts';
import { range, tapIndex } from '../winograd-layout.ts';
import { checkAlgo2D, checkWorkgroup, DEFAULT_WG, fail, isIntegerMatrix, unrolled1DInt } from './common.ts';
import { generateOutputSkeleton, outputStoreDescription, validateWinogradQOutput, winogradQOutputId, type WinogradQOutput } from './output-common.ts';

export interface ExactOutputConfig extends WinogradQOutput {
  algo: Winograd2D;
  /** Invocations per workgroup (1-D); default 64. */
  workgroupSize?: number;
}

export function validateExactOutputConfig(c: ExactOutputConfig): number {
  const what = 'ExactOutputConfig';
  checkAlgo2D(what, c.algo);
  if (!isIntegerMatrix(c.algo.h.AT) || !isIntegerMatrix(c.algo.w.AT)) fail(what, 'algo', c.algo, 'must have integer Aᵀ on both sides (exact integer scheme)');
  validateWinogradQOutput(what, c);
  return checkWorkgroup(what, c.workgroupSize);
}

/** `<algo>exact_output_i32_<nhwc|nchw>[_wgN]_<convint|qlinear[_w4]|float>` (kernelId), e.g. `wino2x2exact_output_i32_nhwc_qlinear_w4`. */
export function exactOutputKernelId(c: ExactOutputConfig): string {
  const wg = validateExactOutputConfig(c);
  return winogradQOutputId(c, 'exact', wg !== DEFAULT_WG ? `wg${wg}` : undefined);
}

export function generateExactOutputKernel(c: ExactOutputConfig): KernelSource {
  const wg = validateExactOutputConfig(c);
  const { algo } = c;
  const { nh, nw, mh, mw } = algo;
  const S = integerWinograd(algo).scale;
  const header = [
    `Exact integer Winograd output transform ${algo.name} (tile ${mh}x${mw} from ${nh}x${nw} taps), ${c.layout} output, mode ${c.output}.`,
    `Thread mapping: one invocation = one tile t × 4 output channels (group k, c = 4k); idx = gid.y · row_pitch + gid.x,`,
    c.layout === 'NHWC' ? `  k = idx % o4 (fastest), t = idx / o4.` : `  t = idx % tiles (fastest), k = idx / tiles.`,
    `Reads: M[ξ][t][k] (vec4<i32>) for the ${nh * nw} taps. Computes Y' = AhT · M · Aw in i32 (straight-line code),`,
    `  then acc = Y' / ${S} (exact: Y' = ${S}·Y when no int32 step overflowed, i.e. C ≤ exactWinogradMaxChannels).`,
    ...outputStoreDescription(c),
    `Workgroup memory: none. Barriers: none.`,
    `Dispatch: ${wg} invocations per workgroup along x; tiles · o4 invocations, x = ceil(total / ${wg}) (split over y, row_pitch = x · ${wg}).`,
  ].join('\n');
  return generateOutputSkeleton({
    algo,
    out: c,
    id: exactOutputKernelId(c),
    header,
    workgroupSize: wg,
    valueType: 'vec4<i32>',
    parts: [{ idPart: '', bindings: [{ name: 'wino_m', kind: 'read-only-storage', type: 'array<vec4<i32>>' }], uniforms: [], code: '' }],
    loads: (ind, b) => range(nh).map((a) => `${ind}let m${a}_${b} = wino_m[${tapIndex('mb', 'ms', a * nw + b)}];`),
    unrolled: unrolled1DInt,
    finish: (y) => (S === 1 ? y : `(${y}) / vec4<i32>(${S})`),
  });
}
