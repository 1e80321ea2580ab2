/**
 * The skeleton shared by the two int8 Winograd output kernels (exact and tap-wise): one invocation = one tile
 * × 4 output channels; load the taps of the tile from M[ξ][t][o4], apply Ahᵀ along H and Aw along W as
 * straight-line code (no loops: see src/kernels/winograd-input.ts), turn each output pixel's 4 values into the int32
 * accumulator, and hand it to `qstore` of the int8 kernels' output part (src/kernels/int8/output.ts), which
 * writes ConvInteger int32, QLinearConv bytes (bias + requantize + clamp) or dequantized float in NHWC/NCHW.
 *
 * The output part's zero-point correction is unused: the Winograd schemes subtract the zero points before
 * the transforms, so the host packs the channel records with wz = wcorr = 0 (packWinogradChannelParams) and
 * x_zp_e = 0; acc reaches the epilogue unchanged.
 */
import { kernelId } from '../kernel-id.ts';
import type { Layout } from '../../conv/types.ts';
import type { RationalMatrix } from '../../winograd/rational-matrix.ts';
import type { Winograd2D } from '../../winograd/types.ts';
import { composeKernel, type WgslPart } from '../compose.ts';
import type { KernelSource, UniformField } from '../types.ts';
import { canWordStore, qOutputPart } from '../int8/output.ts';
import type { QOutputMode } from '../int8/types.ts';
import { matrixComment, outputTileIndexPrologue, range, winogradAlgoIdPart } from '../winograd-layout.ts';
import { fail, u32f } from './common.ts';

export interface WinogradQOutput {
  layout: Layout;
  /** 'convint' (int32), 'qlinear' (requantized bytes) or 'float' (dequantized f32). */
  output: QOutputMode;
  /** qlinear NHWC only: whole-word stores (lanes past O written as 0). */
  wordStore: boolean;
}

export const OUTPUT_GEOMETRY_UNIFORMS: UniformField[] = ['batch', 'out_h', 'out_w', 'out_c', 'tiles_h', 'tiles_w', 'o4', 'row_pitch'].map(u32f);

export function validateWinogradQOutput(what: string, c: WinogradQOutput): void {
  if (c.layout !== 'NHWC' && c.layout !== 'NCHW') fail(what, 'layout', c.layout, "must be 'NHWC' or 'NCHW'");
  if (c.output !== 'convint' && c.output !== 'qlinear' && c.output !== 'float') fail(what, 'output', c.output, "must be 'convint', 'qlinear' or 'float'");
  if (typeof c.wordStore !== 'boolean') fail(what, 'wordStore', c.wordStore, 'must be a boolean');
  if (c.wordStore && !canWordStore(c.layout, c.output, 1, 4)) fail(what, 'wordStore', c.wordStore, "only for output 'qlinear' in layout 'NHWC'");
}

/** ID fragment of the output side: `<nhwc|nchw>_<convint|qlinear[_w4]|float>`. */
/** The output stage's ID (kernelId): `<algo><scheme>_output_i32_<layout>[_<tile>]_<convint|qlinear[_w4]|float>`; M is i32. */
export function winogradQOutputId(c: WinogradQOutput & { algo: Winograd2D }, scheme: 'exact' | 'tap', tile?: string): string {
  return kernelId({ algo: `${winogradAlgoIdPart(c.algo)}${scheme}`, stage: 'output', dtype: 'i32', layout: c.layout.toLowerCase(), tile, rest: [c.output === 'qlinear' && c.wordStore ? 'qlinear_w4' : c.output] });
}

export interface OutputSkeleton {
  algo: Winograd2D;
  out: WinogradQOutput;
  id: string;
  header: string;
  workgroupSize: number;
  /** 'vec4<i32>' or 'vec4<f32>'. */
  valueType: string;
  /** Parts besides the output part (their bindings come first). */
  parts: WgslPart[];
  /** Statement(s) defining m0_b … m{nh−1}_b for tap column `b` (variables in scope: mb, ms, k). */
  loads: (ind: string, b: number) => string[];
  /** Unrolled 1-D transform (vec4 operands) as statements, `assign(i, expr)` per output row. */
  unrolled: (matrix: RationalMatrix, operands: string[], assign: (i: number, e: string) => string, what: string) => string[];
  /** vec4<i32> expression of the accumulator from the transformed vec4 `y`. */
  finish: (y: string) => string;
}

export function generateOutputSkeleton(s: OutputSkeleton): KernelSource {
  const { algo } = s;
  const { mh, mw, nh, nw } = algo;
  const I = '  ';
  const II = I + I;
  const III = II + I;
  const body: string[] = [];
  body.push(...outputTileIndexPrologue(s.out.layout === 'NHWC', I));
  body.push(...matrixComment(`Y = AhT · M · Aw (${algo.name}), step 1 along H: t[:, b] = AhT · M[:, b] for each tap column b; AhT = ${algo.h.name} AT`, algo.h.AT, I));
  for (let b = 0; b < nw; b++) {
    body.push(...s.loads(I, b));
    body.push(...s.unrolled(algo.h.AT, range(nh).map((a) => `m${a}_${b}`), (i, e) => `${I}let t${i}_${b} = ${e};`, `${algo.h.name}.AT`));
  }
  body.push(`${I}let c = 4u * k;`, `${I}let lanes = min(4u, params.out_c - c);`, `${I}let q = qcol(k);`);
  body.push(`${I}let oh0 = ${mh === 1 ? 'th' : `th * ${mh}u`};`, `${I}let ow0 = ${mw === 1 ? 'tw' : `tw * ${mw}u`};`);
  body.push(`${I}let p0 = (n * params.out_h + oh0) * params.out_w + ow0;`);
  body.push(`${I}let rows = params.out_h - oh0;`, `${I}let cols = params.out_w - ow0;`);
  body.push(...matrixComment(`step 2 along W: Y[i, :] = AwT · t[i, :] for each row i, into acc[i·${mw} + j]; AwT = ${algo.w.name} AT`, algo.w.AT, I));
  body.push(`${I}var acc: array<vec4<i32>, ${mh * mw}>;`);
  for (let i = 0; i < mh; i++) {
    body.push(...s.unrolled(algo.w.AT, range(nw).map((b) => `t${i}_${b}`), (j, e) => `${I}acc[${i * mw + j}] = ${s.finish(e)};`, `${algo.w.name}.AT`));
  }
  // One qstore call site (the requantize body is inlined once: SwiftShader compile time); only these
  // mh·mw accumulator reads index the private array dynamically.
  body.push(`${I}for (var i = 0u; i < min(${mh}u, rows); i++) {`);
  body.push(`${II}let pr = p0 + i * params.out_w;`);
  body.push(`${II}for (var j = 0u; j < min(${mw}u, cols); j++) {`, `${III}qstore(pr + j, c, lanes, acc[i * ${mw}u + j], 0i, q);`, `${II}}`);
  body.push(`${I}}`);

  const out = qOutputPart({ layout: s.out.layout, output: s.out.output, wzp: false, wordStore: s.out.wordStore });
  const geometry: WgslPart = { idPart: '', bindings: [], uniforms: OUTPUT_GEOMETRY_UNIFORMS, code: '' };
  const main = [`@compute @workgroup_size(${s.workgroupSize})`, 'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {', ...body, '}'].join('\n');
  return composeKernel({ id: s.id, header: s.header, parts: [geometry, ...s.parts, out], main, workgroupSize: [s.workgroupSize, 1, 1] });
}

/** Header lines on the output side (after the transform description). */
export function outputStoreDescription(out: WinogradQOutput): string[] {
  const what =
    out.output === 'convint'
      ? 'ConvInteger: array<i32>'
      : out.output === 'qlinear'
        ? `QLinearConv: requantize(acc + bias[o], m0[o], shift[o], y_zp, q_lo, q_hi) as packed bytes${out.wordStore ? ' (whole-word stores, lanes past O = 0)' : out.layout === 'NCHW' ? ' (byte lanes via atomicAnd/atomicOr)' : ''}`
        : 'dequantized: clamp(f32(acc) · (x_scale · w_scale[o]) + bias[o], f_lo, f_hi) as array<f32>';
  return [
    `Stores through qstore (src/kernels/int8/output.ts, channel records qchan[o4] with wz = wcorr = 0): ${what},`,
    `  ${out.layout} at pixel (n · Ho + oh) · Wo + ow; pixels past Ho/Wo of the last tile row/column are skipped.`,
  ];
}
