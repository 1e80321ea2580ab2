/**
 * The one kernel-ID function (issue 14, point 3): every conv kernel's ID is derived from its config as
 *   <algo>_<stage>_<dtype>[_<layout>]_<tile>[_<rest>...]
 * algo: the algorithm and, for schemes of it, the scheme ('direct', 'dwconv', 'im2col', 'wino4x4', 'wino4x4alt',
 *   'wino2x2exact', 'wino4x4tap'); stage: 'input' | 'gemm' | 'output' for multi-stage algorithms (omitted for
 *   single-kernel ones); dtype: the stage's storage ('f32', 'f16', 'u8', 'i8', 'u8i8', 'i16', 'i32', ...);
 *   layout: 'nhwc' | 'nchw' where the stage touches the caller's tensors; tile: the thread mapping ('r16x16_wg4x1_q',
 *   'c8x4', 'wg64'); rest: the epilogue and variants (output mode, bias/activation, dot path, wordStore 'w4').
 * Each part is lower-case words of [a-z0-9] joined by '_'; empty parts are left out. IDs name the WGSL exactly:
 * two configs that generate different code never share an ID (the pipeline caches and verification records key on it).
 *
 * The int8 Winograd stages call it directly (the scheme is part of the algo token: 'wino2x2exact_input_u8_nhwc',
 * 'wino4x4tap_gemm_i8_r16x8_wg8x1_dot4', 'wino2x2exact_output_i32_nhwc_qlinear_w4'). The GEMM body
 * (gemm.ts generateGemmKernel) composes the same order from its `idPrefix` (= algo_stage_dtype), the tile ID and its
 * parts' fragments (readers, format, writer: layout and epilogue); the direct, depthwise and Winograd float
 * generators write algo_[stage_]dtype_layout_tile_epilogue; float16 plans swap the dtype token (f16-storage.ts).
 */

export interface KernelIdParts {
  algo: string;
  stage?: string;
  dtype: string;
  layout?: string;
  tile?: string;
  rest?: (string | undefined | false)[];
}

const PART = /^[a-z0-9]+(_[a-z0-9]+)*$/;

export function kernelId(p: KernelIdParts): string {
  const parts = [p.algo, p.stage, p.dtype, p.layout, p.tile, ...(p.rest ?? [])].filter((x): x is string => typeof x === 'string' && x !== '');
  for (const [k, v] of Object.entries({ algo: p.algo, dtype: p.dtype })) {
    if (typeof v !== 'string' || !PART.test(v)) throw new Error(`kernelId: ${k} = ${JSON.stringify(v)}: must be lower-case words of [a-z0-9] joined by '_'`);
  }
  for (const v of parts) if (!PART.test(v)) throw new Error(`kernelId: part ${JSON.stringify(v)}: must be lower-case words of [a-z0-9] joined by '_'`);
  return parts.join('_');
}
