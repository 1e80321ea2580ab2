/**
 * Op kernels on 8-bit tensors (issue 13): QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear (GPU min/max
 * reduction, nothing read back), com.microsoft QLinearAdd/QLinearMul, a 256-entry table for unary 8-bit ops
 * (QLinearSigmoid), QLinearGlobalAveragePool, strided byte copies and MaxPool on 8-bit NCHW.
 *
 * Storage (src/kernels/ops/bytes.ts): 8-bit operands are byte tensors read through element strides and an element
 * base; 8-bit outputs are contiguous and written one whole u32 word (4 elements) per invocation, starting at word
 * `obase`, lanes past the end 0. float32 / int32 operands are strided like the other op kernels.
 *
 * Rounding is exactly ONNX's / ONNX Runtime's float32 arithmetic: x / scale is a correctly rounded f32 division
 * (`div_rne`, integer long division: WGSL's `/` may be 2.5 ULP off), WGSL `round` is round half to even, f32
 * products and sums are correctly rounded in WGSL, and `no_contract` keeps a product from being fused into an
 * add. The CPU references are src/reference/quant-ops.ts.
 */
import { composeKernel, type PartBinding, type WgslPart } from '../compose.ts';
import type { KernelSource, UniformField } from '../types.ts';
import {
  BYTE_PACK_CODE, BYTE_RANGE, type ByteDType, DIV_RNE_CODE, I32_TO_F32_CODE, NO_CONTRACT_CODE, WORD_OUTPUT_UNIFORMS, byteReader, byteWords, checkByteDType,
  wordOutputMain,
} from './bytes.ts';
import {
  LINEAR_UNIFORMS, OP_WORKGROUP, type OperandKind, checkRank, decompose, fieldValues, fields, kindsId, linearMain, linearWork, offsetExpr, operandBinding,
} from './common.ts';

import { requantRoundingId, requantWgslPart } from '../quant-wgsl.ts';

export type { ByteDType } from './bytes.ts';

/**
 * Where a quantization's scale and zero point come from: 'tensor' uniforms `scale` (f32) and `zp` (i32);
 * 'axis' a constant buffer `qparams` (array<f32>, [scale_c, zp_c] per index c along the axis; see packAxisParams)
 * with uniforms adim (axis length) and astride (elements after the axis); 'buffer' arena values: `qscale`
 * (array<f32>, element sbase) and `qzp` (a byte tensor of the output dtype, element zoff), e.g. the outputs of
 * DynamicQuantizeLinear's reduction.
 */
export type QuantParamSource = 'tensor' | 'axis' | 'buffer';

const WORD_OUT: PartBinding = { name: 'out', kind: 'storage', type: 'array<u32>' };

function paramSourceId(p: QuantParamSource): string {
  return p === 'tensor' ? 'pt' : p === 'axis' ? 'ax' : 'buf';
}

function checkParamSource(p: string, what: string, allowed: readonly QuantParamSource[]): void {
  if (!(allowed as readonly string[]).includes(p)) throw new Error(`${what}: params '${p}' must be one of ${allowed.join(', ')}`);
}

/** Uniforms and WGSL (`let s: f32`, `let zp: i32` for logical element index `idx`) of a parameter source. */
function paramSource(p: QuantParamSource, idx: string, zpDtype: ByteDType): { uniforms: UniformField[]; bindings: PartBinding[]; code: string; load: string } {
  switch (p) {
    case 'tensor':
      return { uniforms: [{ name: 'scale', type: 'f32' }, { name: 'zp', type: 'i32' }], bindings: [], code: '', load: 'let s = params.scale;\nlet zp = params.zp;' };
    case 'axis':
      return {
        uniforms: [{ name: 'adim', type: 'u32' }, { name: 'astride', type: 'u32' }],
        bindings: [operandBinding('qparams', 'constant')],
        code: '',
        load: `let ch = (${idx} / params.astride) % params.adim;\nlet s = qparams[2u * ch];\nlet zp = i32(qparams[2u * ch + 1u]);`,
      };
    case 'buffer':
      return {
        uniforms: [{ name: 'sbase', type: 'u32' }, { name: 'zoff', type: 'u32' }],
        bindings: [operandBinding('qscale', 'value'), operandBinding('qzp', 'value', 'array<u32>')],
        code: byteReader('read_qzp', 'qzp', zpDtype),
        load: 'let s = qscale[params.sbase];\nlet zp = read_qzp(i32(params.zoff));',
      };
  }
}

/** Per-axis scales and zero points as the `qparams` constant: [scale_c, zp_c] per c (float32). */
export function packAxisParams(scales: ArrayLike<number>, zeroPoints: ArrayLike<number> | undefined, zpDtype: ByteDType | 'int32', what = 'quantization'): Float32Array {
  const n = scales.length;
  if (n < 1) throw new Error(`${what}: scale has no elements`);
  if (zeroPoints && zeroPoints.length !== n) throw new Error(`${what}: zero_point has ${zeroPoints.length} elements, scale has ${n}: they must match`);
  const out = new Float32Array(2 * n);
  const [lo, hi] = zpDtype === 'int32' ? [-(2 ** 31), 2 ** 31 - 1] : BYTE_RANGE[zpDtype];
  for (let c = 0; c < n; c++) {
    const s = Math.fround(scales[c]);
    if (!(Number.isFinite(s) && s > 0)) throw new Error(`${what}: scale[${c}] = ${scales[c]}: must be a finite float32 > 0`);
    const z = zeroPoints ? zeroPoints[c] : 0;
    if (!Number.isInteger(z) || z < lo || z > hi) throw new Error(`${what}: zero_point[${c}] = ${z}: must be an integer in the ${zpDtype} range [${lo}, ${hi}]`);
    if (zpDtype === 'int32' && Math.abs(z) > 2 ** 24) throw new Error(`${what}: zero_point[${c}] = ${z}: int32 zero points beyond ±2^24 are not supported`);
    out[2 * c] = s;
    out[2 * c + 1] = z;
  }
  return out;
}

/** Uniforms of a per-tensor or per-axis parameter source (checked like packAxisParams). */
export function paramUniforms(p: QuantParamSource, shape: readonly number[], q: { scale?: number; zeroPoint?: number; axis?: number; scaleBase?: number; zpOffset?: number }, zpDtype: ByteDType | 'int32', what: string): Record<string, number> {
  if (p === 'tensor') {
    const packed = packAxisParams([q.scale ?? NaN], [q.zeroPoint ?? 0], zpDtype, what);
    return { scale: packed[0], zp: packed[1] };
  }
  if (p === 'axis') {
    const r = shape.length;
    const axis = q.axis ?? 1;
    if (!Number.isInteger(axis) || axis < 0 || axis >= r) throw new Error(`${what}: axis ${q.axis} must be an integer in [0, ${r - 1}] (normalized) for a rank-${r} tensor`);
    return { adim: shape[axis], astride: shape.slice(axis + 1).reduce((a, b) => a * b, 1) };
  }
  const sbase = q.scaleBase ?? 0;
  const zoff = q.zpOffset ?? 0;
  if (!Number.isInteger(sbase) || sbase < 0 || !Number.isInteger(zoff) || zoff < 0) throw new Error(`${what}: scaleBase ${sbase} / zpOffset ${zoff} must be integers ≥ 0`);
  return { sbase, zoff };
}

function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkView(what: string, name: string, shape: readonly number[], strides: readonly number[], rank: number): void {
  if (shape.length !== rank || strides.length !== rank) throw new Error(`${what}: ${name} has shape [${shape.join(', ')}] and strides [${strides.join(', ')}], the kernel is for rank ${rank}`);
}

/** Dispatch of a word-writing kernel: one invocation per output word. */
export function wordWork(elements: number, outWord: number, maxPerDim: number): { workgroups: [number, number, number]; uniforms: Record<string, number> } {
  if (!Number.isInteger(outWord) || outWord < 0) throw new Error(`byte output: word offset ${outWord} must be an integer ≥ 0`);
  const w = linearWork(byteWords(elements), maxPerDim);
  return { workgroups: w.workgroups, uniforms: { ...w.uniforms, count: elements, obase: outWord } };
}

// ---------------------------------------------------------------------------------------------------------------
// 1. QuantizeLinear

export interface QuantizeLinearConfig {
  /** Rank of x (0..6). */
  rank: number;
  dtype: ByteDType;
  params: QuantParamSource;
  /** Binding kind of x (float32, strided). */
  input: OperandKind;
}

export function quantizeLinearKernelId(c: QuantizeLinearConfig): string {
  return `q_quantize_${c.dtype}_r${c.rank}_${kindsId([c.input])}_${paramSourceId(c.params)}`;
}

/** WGSL `quantize_f32(x, s, zp) -> i32`: saturate(round_half_even(x / s) + zp) with x / s an exact f32 division. */
/**
 * WGSL `qlinear_quantize_f32(x, s, zp) -> i32`, the requantization of ONNX Runtime's com.microsoft QLinearAdd /
 * QLinearMul (MlasQLinearAddKernelRawHelper and its Mul twin): v = x / s (exact f32 division), clamped to
 * [lo − zp, hi − zp] in float, then round_half_even(fl32(v + zp)). Adding the zero point in float before rounding
 * differs from quantize_f32 when v + zp rounds onto (or off) a tie: e.g. v = 2.5000002, zp = 130 → 132.5 → 132.
 */
function qlinearQuantizeCode(dtype: ByteDType): string {
  const [lo, hi] = BYTE_RANGE[dtype];
  return `fn qlinear_quantize_f32(x: f32, s: f32, zp: i32) -> i32 {
  let v = clamp(div_rne(x, s), f32(${lo} - zp), f32(${hi} - zp));
  return i32(round(no_contract(v + f32(zp))));
}`;
}

function quantizeCode(dtype: ByteDType): string {
  const [lo, hi] = BYTE_RANGE[dtype];
  return `fn quantize_f32(x: f32, s: f32, zp: i32) -> i32 {
  let q = round(div_rne(x, s));
  return i32(clamp(q + f32(zp), ${lo}.0, ${hi}.0));
}`;
}

/**
 * f32 (strided) → int8/uint8 (contiguous words). Uniforms: LINEAR_UNIFORMS (total = words), count, obase (word),
 * os0.. (shape), ist0.. (element strides of x), ibase, and the parameter source's.
 */
export function generateQuantizeLinearKernel(c: QuantizeLinearConfig): KernelSource {
  const what = 'QuantizeLinear kernel';
  checkRank(c.rank, what);
  checkByteDType(c.dtype, what);
  checkParamSource(c.params, what, ['tensor', 'axis', 'buffer']);
  const r = c.rank;
  const ps = paramSource(c.params, 'e', c.dtype);
  const part: WgslPart = {
    idPart: '',
    bindings: [operandBinding('src', c.input), ...ps.bindings, WORD_OUT],
    uniforms: [...LINEAR_UNIFORMS, ...WORD_OUTPUT_UNIFORMS, ...fields('os', r, 'u32'), ...fields('ist', r, 'i32'), { name: 'ibase', type: 'i32' }, ...ps.uniforms],
    code: [BYTE_PACK_CODE, DIV_RNE_CODE, quantizeCode(c.dtype), ps.code].filter(Boolean).join('\n\n'),
  };
  const element = [decompose('e', 'os', 'c', r).replace(/^ {2}/gm, ''), `let x = src[${offsetExpr('c', 'ist', r, 'params.ibase')}];`, ps.load, 'v = quantize_f32(x, s, zp);']
    .filter(Boolean).join('\n');
  return composeKernel({
    id: quantizeLinearKernelId(c),
    header: `QuantizeLinear: float32 x (rank ${r}, strided) → ${c.dtype}, contiguous, 4 elements per u32 word; ${c.params === 'tensor' ? 'per-tensor scale/zero point (uniforms)' : c.params === 'axis' ? 'per-axis scale/zero point (qparams[2c], qparams[2c+1], c = (e / astride) % adim)' : 'scale and zero point read from arena values (qscale, qzp)'}.
y = saturate(round_half_even(x / scale) + zp), x / scale correctly rounded (div_rne).
One invocation per output word: i = gid.x + gid.y · pitch writes word obase + i = elements 4i..4i+3 (row-major
e → coordinates c; x read at ibase + Σ c_d · ist_d); lanes past count are 0.
No workgroup memory, no barriers. Dispatch: wordWork(count) = linearWork(ceil(count / 4), ${OP_WORKGROUP}).`,
    parts: [part],
    main: wordOutputMain(element),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}

export interface QuantizeLinearCall {
  shape: number[];
  inStrides: number[];
  inBase?: number;
  /** Word offset of y in its binding. */
  outWord?: number;
  /** 'tensor': the scale and zero point; 'axis': the axis (normalized); 'buffer': element offsets in qscale / qzp. */
  scale?: number;
  zeroPoint?: number;
  axis?: number;
  scaleBase?: number;
  zpOffset?: number;
}

/** Uniforms and workgroups of a QuantizeLinear kernel call. */
export function quantizeLinearDispatch(c: QuantizeLinearConfig, call: QuantizeLinearCall, maxPerDim: number): { uniforms: Record<string, number>; workgroups: [number, number, number] } {
  const what = 'QuantizeLinear';
  checkView(what, 'x', call.shape, call.inStrides, c.rank);
  const w = wordWork(count(call.shape), call.outWord ?? 0, maxPerDim);
  return {
    workgroups: w.workgroups,
    uniforms: {
      ...w.uniforms, ...fieldValues('os', call.shape), ...fieldValues('ist', call.inStrides), ibase: call.inBase ?? 0,
      ...paramUniforms(c.params, call.shape, call, c.dtype, what),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 2. DequantizeLinear

export interface DequantizeLinearConfig {
  rank: number;
  /** Type of x: a byte tensor or int32 (one i32 per element). */
  dtype: ByteDType | 'int32';
  /** 'buffer' (scale and zero point from arena values, e.g. DynamicQuantizeLinear's outputs) needs a byte dtype. */
  params: QuantParamSource;
  input: OperandKind;
}

export function dequantizeLinearKernelId(c: DequantizeLinearConfig): string {
  return `q_dequantize_${c.dtype}_r${c.rank}_${kindsId([c.input])}_${paramSourceId(c.params)}`;
}

/**
 * int8/uint8/int32 (strided) → f32 (strided): y = f32(x − zp) · scale, the difference converted to f32 rounding to
 * nearest even, the product correctly rounded (both as ONNX Runtime's float32 code). Uniforms: LINEAR_UNIFORMS
 * (total = elements), os0.., ist0.., ibase, ost0.., obase, and the parameter source's.
 */
export function generateDequantizeLinearKernel(c: DequantizeLinearConfig): KernelSource {
  const what = 'DequantizeLinear kernel';
  checkRank(c.rank, what);
  if (c.dtype !== 'int32') checkByteDType(c.dtype, what);
  checkParamSource(c.params, what, c.dtype === 'int32' ? ['tensor', 'axis'] : ['tensor', 'axis', 'buffer']);
  const r = c.rank;
  const ps = paramSource(c.params, 'i', c.dtype === 'int32' ? 'int8' : c.dtype);
  const bytes = c.dtype !== 'int32';
  const part: WgslPart = {
    idPart: '',
    bindings: [operandBinding('src', c.input, bytes ? 'array<u32>' : 'array<i32>'), ...ps.bindings, operandBinding('out', 'value')],
    uniforms: [
      ...LINEAR_UNIFORMS, ...fields('os', r, 'u32'), ...fields('ist', r, 'i32'), { name: 'ibase', type: 'i32' },
      ...fields('ost', r, 'i32'), { name: 'obase', type: 'i32' }, ...ps.uniforms,
    ],
    code: [I32_TO_F32_CODE, bytes ? byteReader('read_src', 'src', c.dtype as ByteDType) : '', ps.code].filter(Boolean).join('\n\n'),
  };
  const at = offsetExpr('c', 'ist', r, 'params.ibase');
  const body = [
    decompose('i', 'os', 'c', r),
    `  let x = ${bytes ? `read_src(${at})` : `src[${at}]`};`,
    ps.load.split('\n').map((l) => `  ${l}`).join('\n'),
    `  out[${offsetExpr('c', 'ost', r, 'params.obase')}] = i32_to_f32_rne(x - zp) * s;`,
  ].filter(Boolean).join('\n');
  return composeKernel({
    id: dequantizeLinearKernelId(c),
    header: `DequantizeLinear: ${c.dtype} x (rank ${r}, strided) → float32 (strided); ${c.params === 'tensor' ? 'per-tensor scale/zero point (uniforms)' : c.params === 'axis' ? 'per-axis scale/zero point (qparams[2c], qparams[2c+1], c = (i / astride) % adim)' : 'scale and zero point read from arena values (qscale, qzp)'}.
y = f32(x − zp) · scale (conversion rounded to nearest even, product correctly rounded).
One invocation per element: i = gid.x + gid.y · pitch (row-major) → coordinates c; x read at ibase + Σ c_d · ist_d,
y written at obase + Σ c_d · ost_d. No workgroup memory, no barriers. Dispatch: linearWork(count, ${OP_WORKGROUP}).`,
    parts: [part],
    main: linearMain(body),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}

export interface DequantizeLinearCall {
  shape: number[];
  inStrides: number[];
  inBase?: number;
  outStrides: number[];
  outBase?: number;
  scale?: number;
  zeroPoint?: number;
  axis?: number;
  /** 'buffer': element offsets of the scale in qscale and of the zero point in qzp. */
  scaleBase?: number;
  zpOffset?: number;
}

export function dequantizeLinearDispatch(c: DequantizeLinearConfig, call: DequantizeLinearCall, maxPerDim: number): { uniforms: Record<string, number>; workgroups: [number, number, number] } {
  const what = 'DequantizeLinear';
  checkView(what, 'x', call.shape, call.inStrides, c.rank);
  checkView(what, 'y', call.shape, call.outStrides, c.rank);
  const w = linearWork(count(call.shape), maxPerDim);
  return {
    workgroups: w.workgroups,
    uniforms: {
      ...w.uniforms, ...fieldValues('os', call.shape), ...fieldValues('ist', call.inStrides), ibase: call.inBase ?? 0,
      ...fieldValues('ost', call.outStrides), obase: call.outBase ?? 0, ...paramUniforms(c.params, call.shape, call, c.dtype, what),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 3. DynamicQuantizeLinear

export interface DynamicQuantizeConfig {
  rank: number;
  input: OperandKind;
}

/** Workgroup size of the min/max reduction passes. */
export const DQ_REDUCE_WORKGROUP = 64;
/** The most partial (min, max) pairs the first pass writes (the second pass is one workgroup looping over them). */
export const DQ_MAX_GROUPS = 256;

export function dynamicQuantizeKernelIds(c: DynamicQuantizeConfig): { reduce: string; finish: string; quantize: string } {
  return {
    reduce: `q_dynq_minmax_r${c.rank}_${kindsId([c.input])}`,
    finish: 'q_dynq_params',
    quantize: quantizeLinearKernelId({ rank: c.rank, dtype: 'uint8', params: 'buffer', input: c.input }),
  };
}

/**
 * ONNX DynamicQuantizeLinear as three kernels, nothing read back:
 *   reduce   x (strided f32) → partial[2g], partial[2g+1] = min(0, min of its share), max(0, max of its share)
 *   finish   partial → y_scale (`yscale[sbase]`) and y_zero_point (uint8 scalar: word `yzp[zword]`, lanes 1..3 = 0):
 *            x_min, x_max over all partials (both include 0); scale = (x_max − x_min) / 255 (1 when x_max = x_min,
 *            as ONNX Runtime); zp = saturate(round_half_even(0 − x_min / scale)), divisions exact f32
 *   quantize QuantizeLinear (uint8, params 'buffer') reading the scale and zero point the finish pass wrote.
 */
export function generateDynamicQuantizeKernels(c: DynamicQuantizeConfig): { reduce: KernelSource; finish: KernelSource; quantize: KernelSource } {
  const what = 'DynamicQuantizeLinear kernels';
  checkRank(c.rank, what);
  const r = c.rank;
  const ids = dynamicQuantizeKernelIds(c);
  const wg = DQ_REDUCE_WORKGROUP;
  const tree = (lo: string, hi: string) => `  wmin[lid] = ${lo};
  wmax[lid] = ${hi};
  workgroupBarrier();
  for (var k = ${wg / 2}u; k > 0u; k >>= 1u) {
    if (lid < k) {
      wmin[lid] = min(wmin[lid], wmin[lid + k]);
      wmax[lid] = max(wmax[lid], wmax[lid + k]);
    }
    workgroupBarrier();
  }`;
  const reduce = composeKernel({
    id: ids.reduce,
    header: `DynamicQuantizeLinear pass 1: min/max of x (rank ${r}, strided f32), both starting from 0.
Workgroup g (of groups) and thread lid walk elements g · ${wg} + lid, step groups · ${wg} (row-major e → coordinates c,
x at ibase + Σ c_d · ist_d), then a tree reduction in workgroup memory (log2 ${wg} barriers); thread 0 writes
partial[2g] = min, partial[2g + 1] = max. Dispatch: [groups, 1, 1], groups ≤ ${DQ_MAX_GROUPS} (dynamicQuantizeDispatches).`,
    parts: [{
      idPart: '',
      bindings: [operandBinding('src', c.input), operandBinding('partial', 'value')],
      uniforms: [{ name: 'count', type: 'u32' }, { name: 'groups', type: 'u32' }, ...fields('os', r, 'u32'), ...fields('ist', r, 'i32'), { name: 'ibase', type: 'i32' }],
      code: '',
    }],
    main: `var<workgroup> wmin: array<f32, ${wg}>;
var<workgroup> wmax: array<f32, ${wg}>;

@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  var lo = 0.0;
  var hi = 0.0;
  for (var e = wid.x * ${wg}u + lid; e < params.count; e += params.groups * ${wg}u) {
${decompose('e', 'os', 'c', r).replace(/^/gm, '  ')}
    let x = src[${offsetExpr('c', 'ist', r, 'params.ibase')}];
    lo = min(lo, x);
    hi = max(hi, x);
  }
${tree('lo', 'hi')}
  if (lid == 0u) {
    partial[2u * wid.x] = wmin[0];
    partial[2u * wid.x + 1u] = wmax[0];
  }
}`,
    workgroupSize: [wg, 1, 1],
  });
  const finish = composeKernel({
    id: ids.finish,
    header: `DynamicQuantizeLinear pass 2: one workgroup of ${wg}; thread lid folds partial pairs lid, lid + ${wg}, … (< groups),
a tree reduction (log2 ${wg} barriers), then thread 0 writes y_scale = (x_max − x_min) / 255 (1 if equal) to yscale[sbase]
and the uint8 y_zero_point = saturate(round_half_even(0 − x_min / y_scale)) as the whole word yzp[zword] (lanes 1..3 = 0).
Divisions are correctly rounded f32 (div_rne). Dispatch: [1, 1, 1].`,
    parts: [{
      idPart: '',
      bindings: [operandBinding('partial', 'value'), operandBinding('yscale', 'value'), operandBinding('yzp', 'value', 'array<u32>')],
      uniforms: [{ name: 'groups', type: 'u32' }, { name: 'sbase', type: 'u32' }, { name: 'zword', type: 'u32' }],
      code: DIV_RNE_CODE,
    }],
    main: `var<workgroup> wmin: array<f32, ${wg}>;
var<workgroup> wmax: array<f32, ${wg}>;

@compute @workgroup_size(${wg})
fn main(@builtin(local_invocation_index) lid: u32) {
  var lo = 0.0;
  var hi = 0.0;
  for (var g = lid; g < params.groups; g += ${wg}u) {
    lo = min(lo, partial[2u * g]);
    hi = max(hi, partial[2u * g + 1u]);
  }
${tree('lo', 'hi')}
  if (lid == 0u) {
    let x_min = wmin[0];
    let x_max = wmax[0];
    let scale = select(div_rne(x_max - x_min, 255.0), 1.0, x_max == x_min);
    let zp = round(clamp(0.0 - div_rne(x_min, scale), 0.0, 255.0));
    yscale[params.sbase] = scale;
    yzp[params.zword] = u32(zp);
  }
}`,
    workgroupSize: [wg, 1, 1],
  });
  return { reduce, finish, quantize: generateQuantizeLinearKernel({ rank: r, dtype: 'uint8', params: 'buffer', input: c.input }) };
}

export interface DynamicQuantizeCall {
  shape: number[];
  inStrides: number[];
  inBase?: number;
  /** Word offset of y in its binding. */
  outWord?: number;
  /** Element offset of y_scale in its binding. */
  scaleBase?: number;
  /** Word offset of y_zero_point in its binding. */
  zpWord?: number;
}

export interface DynamicQuantizeDispatches {
  reduce: { uniforms: Record<string, number>; workgroups: [number, number, number] };
  finish: { uniforms: Record<string, number>; workgroups: [number, number, number] };
  quantize: { uniforms: Record<string, number>; workgroups: [number, number, number] };
  /** Bytes of the `partial` scratch buffer (f32 pairs). */
  partialBytes: number;
}

/**
 * The three dispatches: reduce (binds src, partial), finish (partial, yscale, yzp), quantize (src, qscale = the
 * y_scale value, qzp = the y_zero_point value, out).
 */
export function dynamicQuantizeDispatches(c: DynamicQuantizeConfig, call: DynamicQuantizeCall, maxPerDim: number): DynamicQuantizeDispatches {
  const what = 'DynamicQuantizeLinear';
  checkView(what, 'x', call.shape, call.inStrides, c.rank);
  const n = count(call.shape);
  if (n >= 2 ** 31) throw new Error(`${what}: x has ${n} elements, at most 2^31 − 1 supported`);
  const groups = Math.max(1, Math.min(DQ_MAX_GROUPS, maxPerDim, Math.ceil(n / (DQ_REDUCE_WORKGROUP * 16))));
  const sbase = call.scaleBase ?? 0;
  const zword = call.zpWord ?? 0;
  const q = quantizeLinearDispatch({ rank: c.rank, dtype: 'uint8', params: 'buffer', input: c.input }, {
    shape: call.shape, inStrides: call.inStrides, inBase: call.inBase, outWord: call.outWord, scaleBase: sbase, zpOffset: zword * 4,
  }, maxPerDim);
  return {
    reduce: { workgroups: [groups, 1, 1], uniforms: { count: n, groups, ...fieldValues('os', call.shape), ...fieldValues('ist', call.inStrides), ibase: call.inBase ?? 0 } },
    finish: { workgroups: [1, 1, 1], uniforms: { groups, sbase, zword } },
    quantize: q,
    partialBytes: groups * 8,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 4. QLinearAdd / QLinearMul (com.microsoft)

export interface QLinearBinaryConfig {
  op: 'add' | 'mul';
  /** Rank of the output; A and B are addressed with one (broadcast, possibly 0) stride per output dimension. */
  rank: number;
  /** Type of A, B and C (ONNX Runtime requires one type). */
  dtype: ByteDType;
  inputs: [OperandKind, OperandKind];
  /** B is the same arena value as A (bound once, as `a`). */
  sameInput?: boolean;
}

export function qlinearBinaryKernelId(c: QLinearBinaryConfig): string {
  return `q_qlinear_${c.op}_${c.dtype}_r${c.rank}_${kindsId(c.inputs)}${c.sameInput ? '_same' : ''}`;
}

/**
 * QLinearAdd / QLinearMul with numpy broadcasting: a = fl32(sa · (qa − za)), b = fl32(sb · (qb − zb)),
 * v = clamp(fl32((a + b or a · b) / sc), lo − zc, hi − zc), y = round_half_even(fl32(v + zc)), float32 throughout
 * (ONNX Runtime's float path, MlasQLinearAddKernelRawHelper: see qlinearQuantizeCode).
 * Uniforms: LINEAR_UNIFORMS (total = words), count, obase, os0.., ast0.., abase, bst0.., bbase, sa, za, sb, zb,
 * sc, zc, zero (always 0: see NO_CONTRACT_CODE).
 */
export function generateQLinearBinaryKernel(c: QLinearBinaryConfig): KernelSource {
  const what = `QLinear${c.op === 'add' ? 'Add' : 'Mul'} kernel`;
  if (c.op !== 'add' && c.op !== 'mul') throw new Error(`${what}: op '${c.op}' must be 'add' or 'mul'`);
  checkRank(c.rank, what);
  checkByteDType(c.dtype, what);
  if (c.sameInput && c.inputs[0] !== c.inputs[1]) throw new Error(`${what}: sameInput needs both inputs of one kind, got ${c.inputs.join(', ')}`);
  const r = c.rank;
  const bBinding = c.sameInput ? 'a' : 'b';
  const part: WgslPart = {
    idPart: '',
    bindings: [operandBinding('a', c.inputs[0], 'array<u32>'), ...(c.sameInput ? [] : [operandBinding('b', c.inputs[1], 'array<u32>')]), WORD_OUT],
    uniforms: [
      ...LINEAR_UNIFORMS, ...WORD_OUTPUT_UNIFORMS, ...fields('os', r, 'u32'),
      ...fields('ast', r, 'i32'), { name: 'abase', type: 'i32' }, ...fields('bst', r, 'i32'), { name: 'bbase', type: 'i32' },
      { name: 'sa', type: 'f32' }, { name: 'za', type: 'i32' }, { name: 'sb', type: 'f32' }, { name: 'zb', type: 'i32' },
      { name: 'sc', type: 'f32' }, { name: 'zc', type: 'i32' }, { name: 'zero', type: 'u32' },
    ],
    code: [
      BYTE_PACK_CODE, DIV_RNE_CODE, NO_CONTRACT_CODE, qlinearQuantizeCode(c.dtype), byteReader('read_a', 'a', c.dtype),
      ...(c.sameInput ? [] : [byteReader('read_b', 'b', c.dtype)]),
    ].join('\n\n'),
  };
  const element = [
    decompose('e', 'os', 'c', r).replace(/^ {2}/gm, ''),
    `let fa = no_contract(params.sa * f32(read_a(${offsetExpr('c', 'ast', r, 'params.abase')}) - params.za));`,
    `let fb = no_contract(params.sb * f32(read_${bBinding}(${offsetExpr('c', 'bst', r, 'params.bbase')}) - params.zb));`,
    `v = qlinear_quantize_f32(${c.op === 'add' ? 'fa + fb' : 'fa * fb'}, params.sc, params.zc);`,
  ].filter(Boolean).join('\n');
  return composeKernel({
    id: qlinearBinaryKernelId(c),
    header: `com.microsoft QLinear${c.op === 'add' ? 'Add' : 'Mul'}, ${c.dtype}, rank-${r} output (contiguous words), A and B strided (stride 0 broadcasts)${c.sameInput ? ', B = A' : ''}.
a = sa · (qa − za), b = sb · (qb − zb) in f32 (no_contract: rounded before the ${c.op === 'add' ? 'sum' : 'product'}), v = clamp((a ${c.op === 'add' ? '+' : '·'} b) / sc, lo − zc, hi − zc),
y = round_half_even(fl32(v + zc)) (ONNX Runtime's rounding: the zero point is added in float before rounding).
One invocation per output word: i = gid.x + gid.y · pitch writes word obase + i = elements 4i..4i+3 (row-major
e → coordinates c); lanes past count are 0. No workgroup memory, no barriers. Dispatch: wordWork(count).`,
    parts: [part],
    main: wordOutputMain(element),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}

export interface QLinearOperandCall {
  strides: number[];
  base?: number;
  scale: number;
  zeroPoint: number;
}

export function qlinearBinaryDispatch(c: QLinearBinaryConfig, call: { shape: number[]; a: QLinearOperandCall; b: QLinearOperandCall; c: { scale: number; zeroPoint: number }; outWord?: number }, maxPerDim: number): { uniforms: Record<string, number>; workgroups: [number, number, number] } {
  const what = `QLinear${c.op === 'add' ? 'Add' : 'Mul'}`;
  checkView(what, 'A', call.shape, call.a.strides, c.rank);
  checkView(what, 'B', call.shape, call.b.strides, c.rank);
  const pa = paramUniforms('tensor', call.shape, call.a, c.dtype, `${what} A`);
  const pb = paramUniforms('tensor', call.shape, call.b, c.dtype, `${what} B`);
  const pc = paramUniforms('tensor', call.shape, call.c, c.dtype, `${what} C`);
  const w = wordWork(count(call.shape), call.outWord ?? 0, maxPerDim);
  return {
    workgroups: w.workgroups,
    uniforms: {
      ...w.uniforms, ...fieldValues('os', call.shape), ...fieldValues('ast', call.a.strides), abase: call.a.base ?? 0,
      ...fieldValues('bst', call.b.strides), bbase: call.b.base ?? 0,
      sa: pa.scale, za: pa.zp, sb: pb.scale, zb: pb.zp, sc: pc.scale, zc: pc.zp, zero: 0,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Lookup table (QLinearSigmoid, …) and 7. byte copy

export interface ByteMapConfig {
  rank: number;
  input: OperandKind;
}

export function qlinearLutKernelId(c: ByteMapConfig): string {
  return `q_lut_r${c.rank}_${kindsId([c.input])}`;
}

export function byteCopyKernelId(c: ByteMapConfig): string {
  return `q_bytecopy_r${c.rank}_${kindsId([c.input])}`;
}

function byteMapKernel(c: ByteMapConfig, lut: boolean): KernelSource {
  const what = lut ? 'QLinear lookup-table kernel' : 'byte copy kernel';
  checkRank(c.rank, what);
  const r = c.rank;
  const part: WgslPart = {
    idPart: '',
    bindings: [operandBinding('src', c.input, 'array<u32>'), ...(lut ? [operandBinding('table', 'constant', 'array<u32>')] : []), WORD_OUT],
    uniforms: [...LINEAR_UNIFORMS, ...WORD_OUTPUT_UNIFORMS, ...fields('os', r, 'u32'), ...fields('ist', r, 'i32'), { name: 'ibase', type: 'i32' }],
    code: [BYTE_PACK_CODE, byteReader('read_src', 'src', 'uint8')].join('\n\n'),
  };
  const read = `read_src(${offsetExpr('c', 'ist', r, 'params.ibase')})`;
  const element = [decompose('e', 'os', 'c', r).replace(/^ {2}/gm, ''), lut ? `v = i32(table[${read}]);` : `v = ${read};`].filter(Boolean).join('\n');
  return composeKernel({
    id: lut ? qlinearLutKernelId(c) : byteCopyKernelId(c),
    header: `${lut ? 'Unary 8-bit op by table: y = table[raw byte of x] (256 u32 entries, each a raw output byte; built on the host)' : 'Byte copy: strided 8-bit x → contiguous 8-bit y (Transpose, Slice, Concat part, Reshape copy)'}, rank ${r}.
One invocation per output word: i = gid.x + gid.y · pitch writes word obase + i = elements 4i..4i+3 (row-major
e → coordinates c; x's byte at element offset ibase + Σ c_d · ist_d); lanes past count are 0.
No workgroup memory, no barriers. Dispatch: wordWork(count).`,
    parts: [part],
    main: wordOutputMain(element),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}

/** y = table[x] for a 256-entry table of raw bytes (buildUnaryTable / qlinearSigmoidTable, src/reference/quant-ops.ts). */
export function generateQLinearLutKernel(c: ByteMapConfig): KernelSource {
  return byteMapKernel(c, true);
}

/** Strided 8-bit → contiguous 8-bit. */
export function generateByteCopyKernel(c: ByteMapConfig): KernelSource {
  return byteMapKernel(c, false);
}

/** Uniforms and workgroups of a lookup-table or byte-copy call (x's view in elements; y contiguous from outWord). */
export function byteMapDispatch(c: ByteMapConfig, call: { shape: number[]; inStrides: number[]; inBase?: number; outWord?: number }, maxPerDim: number): { uniforms: Record<string, number>; workgroups: [number, number, number] } {
  checkView('byte map', 'x', call.shape, call.inStrides, c.rank);
  const w = wordWork(count(call.shape), call.outWord ?? 0, maxPerDim);
  return { workgroups: w.workgroups, uniforms: { ...w.uniforms, ...fieldValues('os', call.shape), ...fieldValues('ist', call.inStrides), ibase: call.inBase ?? 0 } };
}

/** A lookup table (256 raw output bytes) as the `table` constant, checked. */
export function packLutTable(table: ArrayLike<number>): Uint32Array {
  if (table.length !== 256) throw new Error(`lookup table: ${table.length} entries, must be 256`);
  const out = new Uint32Array(256);
  for (let k = 0; k < 256; k++) {
    const v = table[k];
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new Error(`lookup table: entry ${k} = ${v}, must be a raw byte 0..255`);
    out[k] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// 6. QLinearGlobalAveragePool (com.microsoft, NCHW)

export interface QLinearGapConfig {
  dtype: ByteDType;
  input: OperandKind;
}

export function qlinearGapKernelId(c: QLinearGapConfig): string {
  return `q_qlinear_gap_${c.dtype}_${kindsId([c.input])}`;
}

/**
 * x [N, C, H, W] (strided bytes) → y [N, C, 1, 1] (contiguous words): acc = Σ (x − xzp) exact in i32,
 * y = saturate(round_half_even(f32(acc) · m) + yzp), m = fl32(x_scale / fl32(y_scale · fl32(H·W))) (ONNX Runtime's
 * MlasQLinearGlobalAveragePoolNchw). Uniforms: LINEAR_UNIFORMS (total = words), count (= N·C), obase, ch, ih, iw,
 * ist0..3, ibase, xzp, yzp, m.
 */
export function generateQLinearGlobalAveragePoolKernel(c: QLinearGapConfig): KernelSource {
  const what = 'QLinearGlobalAveragePool kernel';
  checkByteDType(c.dtype, what);
  const [lo, hi] = BYTE_RANGE[c.dtype];
  const part: WgslPart = {
    idPart: '',
    bindings: [operandBinding('src', c.input, 'array<u32>'), WORD_OUT],
    uniforms: [
      ...LINEAR_UNIFORMS, ...WORD_OUTPUT_UNIFORMS, { name: 'ch', type: 'u32' }, { name: 'ih', type: 'i32' }, { name: 'iw', type: 'i32' },
      ...fields('ist', 4, 'i32'), { name: 'ibase', type: 'i32' }, { name: 'xzp', type: 'i32' }, { name: 'yzp', type: 'i32' }, { name: 'm', type: 'f32' },
    ],
    code: [BYTE_PACK_CODE, I32_TO_F32_CODE, byteReader('read_src', 'src', c.dtype)].join('\n\n'),
  };
  const element = `let base = params.ibase + i32(e / params.ch) * params.ist0 + i32(e % params.ch) * params.ist1;
var acc = 0;
for (var y = 0; y < params.ih; y++) {
  for (var x = 0; x < params.iw; x++) {
    acc += read_src(base + y * params.ist2 + x * params.ist3) - params.xzp;
  }
}
v = i32(clamp(round(i32_to_f32_rne(acc) * params.m) + f32(params.yzp), ${lo}.0, ${hi}.0));`;
  return composeKernel({
    id: qlinearGapKernelId(c),
    header: `com.microsoft QLinearGlobalAveragePool (channels_last 0), ${c.dtype}: x [N, C, H, W] strided bytes → y [N, C, 1, 1] contiguous words.
y = saturate(round_half_even(f32(Σ (x − xzp)) · m) + yzp), the sum exact in i32, m = x_scale / (y_scale · H·W) in f32.
One invocation per output word: i = gid.x + gid.y · pitch writes word obase + i = (n, c) pairs e = 4i..4i+3 (e = n · C + c),
each a loop over H × W. No workgroup memory, no barriers. Dispatch: wordWork(N · C).`,
    parts: [part],
    main: wordOutputMain(element),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}

export function qlinearGapDispatch(c: QLinearGapConfig, call: { shape: [number, number, number, number]; inStrides: number[]; inBase?: number; outWord?: number; x: { scale: number; zeroPoint: number }; y: { scale: number; zeroPoint: number } }, maxPerDim: number): { uniforms: Record<string, number>; workgroups: [number, number, number] } {
  const what = 'QLinearGlobalAveragePool';
  checkView(what, 'X', call.shape, call.inStrides, 4);
  const [n, ch, h, w] = call.shape;
  const px = paramUniforms('tensor', call.shape, call.x, c.dtype, `${what} x`);
  const py = paramUniforms('tensor', call.shape, call.y, c.dtype, `${what} y`);
  if (255 * h * w >= 2 ** 31) throw new Error(`${what}: H·W = ${h * w} is too large for an exact i32 sum (at most ${Math.floor((2 ** 31 - 1) / 255)})`);
  const m = Math.fround(px.scale / Math.fround(py.scale * Math.fround(h * w)));
  if (!(Number.isFinite(m) && m > 0)) throw new Error(`${what}: x_scale / (y_scale · H·W) = ${m} must be a finite float32 > 0`);
  const wk = wordWork(n * ch, call.outWord ?? 0, maxPerDim);
  return {
    workgroups: wk.workgroups,
    uniforms: { ...wk.uniforms, ch, ih: h, iw: w, ...fieldValues('ist', call.inStrides), ibase: call.inBase ?? 0, xzp: px.zp, yzp: py.zp, m },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 8. MaxPool on 8-bit NCHW

export interface MaxPoolI8Config {
  dtype: ByteDType;
  input: OperandKind;
}

export function maxPoolI8KernelId(c: MaxPoolI8Config): string {
  return `q_maxpool_${c.dtype}_${kindsId([c.input])}`;
}

/**
 * MaxPool over H, W of x [N, C, H, W] (strided bytes) → y [N, C, OH, OW] (contiguous words); kernel, strides,
 * dilations and begin pads in uniforms (ceil_mode and end pads only decide OH, OW). Taps outside the input are
 * skipped; a window with none gives the dtype's lowest value. Uniforms: LINEAR_UNIFORMS (total = words), count,
 * obase, os0..3 = [N, C, OH, OW], ist0..3, ibase, ih, iw, kh, kw, sh, sw, dh, dw, pt, pl.
 */
export function generateMaxPoolI8Kernel(c: MaxPoolI8Config): KernelSource {
  const what = 'MaxPool 8-bit kernel';
  checkByteDType(c.dtype, what);
  const part: WgslPart = {
    idPart: '',
    bindings: [operandBinding('src', c.input, 'array<u32>'), WORD_OUT],
    uniforms: [
      ...LINEAR_UNIFORMS, ...WORD_OUTPUT_UNIFORMS, ...fields('os', 4, 'u32'), ...fields('ist', 4, 'i32'), { name: 'ibase', type: 'i32' },
      { name: 'ih', type: 'i32' }, { name: 'iw', type: 'i32' }, { name: 'kh', type: 'i32' }, { name: 'kw', type: 'i32' },
      { name: 'sh', type: 'i32' }, { name: 'sw', type: 'i32' }, { name: 'dh', type: 'i32' }, { name: 'dw', type: 'i32' },
      { name: 'pt', type: 'i32' }, { name: 'pl', type: 'i32' },
    ],
    code: [BYTE_PACK_CODE, byteReader('read_src', 'src', c.dtype)].join('\n\n'),
  };
  const element = `${decompose('e', 'os', 'c', 4).replace(/^ {2}/gm, '')}
let base = params.ibase + c0 * params.ist0 + c1 * params.ist1;
let y0 = c2 * params.sh - params.pt;
let x0 = c3 * params.sw - params.pl;
var acc = ${BYTE_RANGE[c.dtype][0]};
for (var ky = 0; ky < params.kh; ky++) {
  let y = y0 + ky * params.dh;
  if (y < 0 || y >= params.ih) { continue; }
  for (var kx = 0; kx < params.kw; kx++) {
    let x = x0 + kx * params.dw;
    if (x >= 0 && x < params.iw) { acc = max(acc, read_src(base + y * params.ist2 + x * params.ist3)); }
  }
}
v = acc;`;
  return composeKernel({
    id: maxPoolI8KernelId(c),
    header: `MaxPool over H, W, ${c.dtype}: x [N, C, H, W] strided bytes → y [N, C, OH, OW] contiguous words.
One invocation per output word: i = gid.x + gid.y · pitch writes word obase + i = output elements 4i..4i+3 (row-major
e → (n, c, oh, ow)), each a loop over kh × kw taps at (oh · sh − pt + ky · dh, ow · sw − pl + kx · dw), skipping taps
outside the input; lanes past count are 0. No workgroup memory, no barriers. Dispatch: wordWork(N · C · OH · OW).`,
    parts: [part],
    main: wordOutputMain(element),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}

export interface MaxPoolI8Call {
  /** x [N, C, H, W]. */
  shape: [number, number, number, number];
  inStrides: number[];
  inBase?: number;
  outWord?: number;
  /** Output [OH, OW]. */
  out: [number, number];
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** Begin pads [top, left]. */
  pads: [number, number];
}

export function maxPoolI8Dispatch(c: MaxPoolI8Config, call: MaxPoolI8Call, maxPerDim: number): { uniforms: Record<string, number>; workgroups: [number, number, number] } {
  const what = 'MaxPool 8-bit';
  checkView(what, 'X', call.shape, call.inStrides, 4);
  for (const [name, v] of [['kernel', call.kernel], ['strides', call.strides], ['dilations', call.dilations]] as const) {
    if (v.some((k) => !Number.isInteger(k) || k < 1)) throw new Error(`${what}: ${name} [${v.join(', ')}] must be integers ≥ 1`);
  }
  if (call.pads.some((p) => !Number.isInteger(p) || p < 0)) throw new Error(`${what}: pads [${call.pads.join(', ')}] must be integers ≥ 0`);
  const [n, ch, h, w] = call.shape;
  const oshape = [n, ch, ...call.out];
  const wk = wordWork(count(oshape), call.outWord ?? 0, maxPerDim);
  return {
    workgroups: wk.workgroups,
    uniforms: {
      ...wk.uniforms, ...fieldValues('os', oshape), ...fieldValues('ist', call.inStrides), ibase: call.inBase ?? 0, ih: h, iw: w,
      kh: call.kernel[0], kw: call.kernel[1], sh: call.strides[0], sw: call.strides[1], dh: call.dilations[0], dw: call.dilations[1],
      pt: call.pads[0], pl: call.pads[1],
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// com.microsoft QLinearAveragePool (NCHW)

export interface QLinearAveragePoolConfig {
  dtype: ByteDType;
  input: OperandKind;
  /** Divide by kh · kw (true) or by the taps inside the input (false, the default). */
  countIncludePad?: boolean;
}

export function qlinearAveragePoolKernelId(c: QLinearAveragePoolConfig): string {
  return `q_qlinear_avgpool_${c.dtype}${c.countIncludePad ? '_incpad' : ''}_${kindsId([c.input])}`;
}

/**
 * com.microsoft QLinearAveragePool over H, W of x [N, C, H, W] (strided bytes) → y [N, C, OH, OW] (contiguous
 * words), ONNX Runtime's arithmetic (qlinear_pool.cc): each tap dequantized fl32(xs · (q − xzp)), summed in f32 in
 * row-major window order, divided by the count (exact f32 division), then y = round_half_even(fl32(v / ys + yzp))
 * saturated (qlinearQuantizeCode). Count: kh · kw with countIncludePad, else the taps inside the input. Uniforms:
 * MaxPool 8-bit's (dilations 1) and xs, xzp, ys, yzp, zero.
 */
export function generateQLinearAveragePoolKernel(c: QLinearAveragePoolConfig): KernelSource {
  const what = 'QLinearAveragePool kernel';
  checkByteDType(c.dtype, what);
  const part: WgslPart = {
    idPart: '',
    bindings: [operandBinding('src', c.input, 'array<u32>'), WORD_OUT],
    uniforms: [
      ...LINEAR_UNIFORMS, ...WORD_OUTPUT_UNIFORMS, ...fields('os', 4, 'u32'), ...fields('ist', 4, 'i32'), { name: 'ibase', type: 'i32' },
      { name: 'ih', type: 'i32' }, { name: 'iw', type: 'i32' }, { name: 'kh', type: 'i32' }, { name: 'kw', type: 'i32' },
      { name: 'sh', type: 'i32' }, { name: 'sw', type: 'i32' }, { name: 'pt', type: 'i32' }, { name: 'pl', type: 'i32' },
      { name: 'xs', type: 'f32' }, { name: 'xzp', type: 'i32' }, { name: 'ys', type: 'f32' }, { name: 'yzp', type: 'i32' }, { name: 'zero', type: 'u32' },
    ],
    code: [BYTE_PACK_CODE, DIV_RNE_CODE, NO_CONTRACT_CODE, qlinearQuantizeCode(c.dtype), byteReader('read_src', 'src', c.dtype)].join('\n\n'),
  };
  const element = `${decompose('e', 'os', 'c', 4).replace(/^ {2}/gm, '')}
let base = params.ibase + c0 * params.ist0 + c1 * params.ist1;
let y0 = c2 * params.sh - params.pt;
let x0 = c3 * params.sw - params.pl;
var acc = 0.0;
var n = 0;
for (var ky = 0; ky < params.kh; ky++) {
  let y = y0 + ky;
  if (y < 0 || y >= params.ih) { continue; }
  for (var kx = 0; kx < params.kw; kx++) {
    let x = x0 + kx;
    if (x >= 0 && x < params.iw) {
      acc = no_contract(acc + no_contract(params.xs * f32(read_src(base + y * params.ist2 + x * params.ist3) - params.xzp)));
      n++;
    }
  }
}
v = qlinear_quantize_f32(div_rne(acc, f32(${c.countIncludePad ? 'params.kh * params.kw' : 'max(n, 1)'})), params.ys, params.yzp);`;
  return composeKernel({
    id: qlinearAveragePoolKernelId(c),
    header: `com.microsoft QLinearAveragePool over H, W, ${c.dtype}${c.countIncludePad ? ' (count_include_pad)' : ''}: x [N, C, H, W] strided bytes → y [N, C, OH, OW] contiguous words.
Each tap fl32(xs · (q − xzp)), summed in f32 row-major over the window (taps outside the input skipped), divided by
${c.countIncludePad ? 'kh · kw' : 'the taps inside the input'} (exact), y = round_half_even(fl32(v / ys + yzp)) saturated: ONNX Runtime's arithmetic.
One invocation per output word: i = gid.x + gid.y · pitch writes word obase + i = output elements 4i..4i+3 (row-major
e → (n, c, oh, ow)); lanes past count are 0. No workgroup memory, no barriers. Dispatch: wordWork(N · C · OH · OW).`,
    parts: [part],
    main: wordOutputMain(element),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}

export function qlinearAveragePoolDispatch(
  c: QLinearAveragePoolConfig,
  call: Omit<MaxPoolI8Call, 'dilations'> & { x: { scale: number; zeroPoint: number }; y: { scale: number; zeroPoint: number } },
  maxPerDim: number,
): { uniforms: Record<string, number>; workgroups: [number, number, number] } {
  const d = maxPoolI8Dispatch({ dtype: c.dtype, input: c.input }, { ...call, dilations: [1, 1] }, maxPerDim);
  const px = paramUniforms('tensor', call.shape, call.x, c.dtype, 'QLinearAveragePool x');
  const py = paramUniforms('tensor', call.shape, call.y, c.dtype, 'QLinearAveragePool y');
  const { dh: _dh, dw: _dw, ...u } = d.uniforms;
  return { workgroups: d.workgroups, uniforms: { ...u, xs: px.scale, xzp: px.zp, ys: py.scale, yzp: py.zp, zero: 0 } };
}

// ---------------------------------------------------------------------------------------------------------------
// Concat of 8-bit values (Concat, com.microsoft QLinearConcat)

export interface ByteConcatConfig {
  /** Rank of the output and of every input. */
  rank: number;
  /** The concatenation axis (normalized, 0..rank-1). */
  axis: number;
  /** Binding kind per input (in0, in1, …; 1..8 inputs). */
  inputs: OperandKind[];
  /**
   * QLinearConcat: per input, whether its bytes go through its 256-entry table (the constant `tables`, 256 u32 per
   * input, input k's at 256·k; see qlinearRequantizeTable) or are copied as they are (scale and zero point already
   * the output's). Default: all copied (plain Concat).
   */
  tables?: boolean[];
}

export function byteConcatKernelId(c: ByteConcatConfig): string {
  const t = c.tables?.some(Boolean) ? `_t${c.tables.map((x) => (x ? 1 : 0)).join('')}` : '';
  return `q_concat_r${c.rank}_a${c.axis}_${kindsId(c.inputs)}${t}`;
}

/**
 * Concat (any axis) of 8-bit inputs, each strided, into a contiguous 8-bit output, one whole word per invocation: an
 * output element at coordinate c_axis reads input k with iend_{k−1} ≤ c_axis < iend_k at c_axis − iend_{k−1}, so
 * parts that do not start on a word boundary need no byte writes. Uniforms: LINEAR_UNIFORMS (total = words), count,
 * obase, os0.., and per input k: i<k>st0.., i<k>base, i<k>end (cumulative extent along the axis).
 */
export function generateByteConcatKernel(c: ByteConcatConfig): KernelSource {
  const what = 'Concat 8-bit kernel';
  checkRank(c.rank, what);
  const r = c.rank;
  const n = c.inputs.length;
  if (r < 1 || !Number.isInteger(c.axis) || c.axis < 0 || c.axis >= r) throw new Error(`${what}: axis ${c.axis} must be in [0, ${r - 1}] (rank ${r} ≥ 1)`);
  if (n < 1 || n > 8) throw new Error(`${what}: ${n} inputs, must be 1..8`);
  const tables = c.tables ?? c.inputs.map(() => false);
  if (tables.length !== n) throw new Error(`${what}: tables has ${tables.length} flags for ${n} inputs`);
  const anyTable = tables.some(Boolean);
  const uniforms: UniformField[] = [...LINEAR_UNIFORMS, ...WORD_OUTPUT_UNIFORMS, ...fields('os', r, 'u32')];
  for (let k = 0; k < n; k++) uniforms.push(...fields(`i${k}st`, r, 'i32'), { name: `i${k}base`, type: 'i32' }, { name: `i${k}end`, type: 'i32' });
  const part: WgslPart = {
    idPart: '',
    bindings: [
      ...c.inputs.map((kind, k) => operandBinding(`in${k}`, kind, 'array<u32>')),
      ...(anyTable ? [operandBinding('tables', 'constant', 'array<u32>')] : []),
      WORD_OUT,
    ],
    uniforms,
    code: [BYTE_PACK_CODE, ...c.inputs.map((_, k) => byteReader(`read_in${k}`, `in${k}`, 'uint8'))].join('\n\n'),
  };
  const a = c.axis;
  const branch = (k: number) => {
    const start = k === 0 ? '0' : `params.i${k - 1}end`;
    const terms = [`params.i${k}base`, ...Array.from({ length: r }, (_, d) => (d === a ? `(c${d} - ${start}) * params.i${k}st${d}` : `c${d} * params.i${k}st${d}`))];
    const read = `read_in${k}(${terms.join(' + ')})`;
    return tables[k] ? `v = i32(tables[${256 * k}u + u32(${read})]);` : `v = ${read};`;
  };
  const chain = c.inputs.map((_, k) => (k === n - 1 ? `{ ${branch(k)} }` : `if (c${a} < params.i${k}end) { ${branch(k)} }`)).join(' else ');
  const element = [decompose('e', 'os', 'c', r).replace(/^ {2}/gm, ''), chain].join('\n');
  return composeKernel({
    id: byteConcatKernelId(c),
    header: `Concat of ${n} 8-bit input(s) along axis ${a}, rank ${r}${anyTable ? ' (QLinearConcat: inputs marked in the ID requantized by 256-entry tables)' : ''}; strided inputs → contiguous words.
One invocation per output word: i = gid.x + gid.y · pitch writes word obase + i = elements 4i..4i+3 (row-major
e → coordinates c); input k (iend_{k−1} ≤ c_${a} < iend_k) is read at i<k>base + Σ c_d · i<k>st_d with c_${a} − iend_{k−1};
lanes past count are 0. No workgroup memory, no barriers. Dispatch: wordWork(count).`,
    parts: [part],
    main: wordOutputMain(element),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}

export function byteConcatDispatch(c: ByteConcatConfig, call: { inputs: { shape: number[]; strides: number[]; base?: number }[]; outWord?: number }, maxPerDim: number): { uniforms: Record<string, number>; workgroups: [number, number, number] } {
  const what = 'Concat 8-bit';
  if (call.inputs.length !== c.inputs.length) throw new Error(`${what}: ${call.inputs.length} input views for a kernel of ${c.inputs.length}`);
  const first = call.inputs[0].shape;
  const u: Record<string, number> = {};
  let end = 0;
  call.inputs.forEach((v, k) => {
    checkView(what, `input ${k}`, v.shape, v.strides, c.rank);
    v.shape.forEach((d, i) => {
      if (i !== c.axis && d !== first[i]) throw new Error(`${what}: input ${k} has shape [${v.shape.join(', ')}], input 0 [${first.join(', ')}]: they must agree except along axis ${c.axis}`);
    });
    end += v.shape[c.axis];
    Object.assign(u, fieldValues(`i${k}st`, v.strides), { [`i${k}base`]: v.base ?? 0, [`i${k}end`]: end });
  });
  const shape = first.map((d, i) => (i === c.axis ? end : d));
  const w = wordWork(count(shape), call.outWord ?? 0, maxPerDim);
  return { workgroups: w.workgroups, uniforms: { ...w.uniforms, ...fieldValues('os', shape), ...u } };
}

// ---------------------------------------------------------------------------------------------------------------
// 9. Depthwise QLinearConv (NCHW, group = C = M)

export interface QLinearDepthwiseConfig {
  /** x's dtype (y's is `output`). */
  input: ByteDType;
  weights: ByteDType;
  output: ByteDType;
  /** How acc · M is rounded (src/quant/requant.ts); default 'float64'. */
  rounding?: 'float64' | 'float32';
}

export function qlinearDepthwiseKernelId(c: QLinearDepthwiseConfig): string {
  return `q_dwconv_${c.input}_${c.weights}_${c.output}${requantRoundingId(c.rounding)}`;
}

/**
 * Depthwise QLinearConv on contiguous NCHW byte tensors (group = C = M, one filter per channel):
 * acc = bias[c] + Σ over the in-image taps (x − x_zp) · (w − w_zp[c]) in i32 (exact: taps outside the image hold
 * x_zp in ONNX's padding, so they add 0), y = requantize(acc, m0[c], shift[c], y_zp, lo, hi) (src/quant/requant.ts,
 * the engine's QLinearConv rounding). Constant `qw` (array<i32>): 4 words per channel (m0, shift, bias, w_zp),
 * then the weights [C][kh][kw] (packDepthwiseParams). The engine's grouped direct kernel computes 4 output
 * channels × 4 input lanes per step, 1 of 16 of them useful for a depthwise layer; this one does only the useful MACs.
 */
export function generateQLinearDepthwiseKernel(c: QLinearDepthwiseConfig): KernelSource {
  const what = 'QLinearConv depthwise kernel';
  checkByteDType(c.input, what);
  checkByteDType(c.weights, what);
  checkByteDType(c.output, what);
  const g = ['c', 'in_h', 'in_w', 'out_h', 'out_w', 'kernel_h', 'kernel_w', 'stride_h', 'stride_w', 'pad_top', 'pad_left', 'dilation_h', 'dilation_w', 'wbase'];
  const part: WgslPart = {
    idPart: '',
    bindings: [operandBinding('x', 'value', 'array<u32>'), { name: 'qw', kind: 'read-only-storage', type: 'array<i32>' }, WORD_OUT],
    uniforms: [
      ...LINEAR_UNIFORMS, ...WORD_OUTPUT_UNIFORMS, ...g.map((name) => ({ name, type: 'u32' as const })),
      { name: 'x_zp', type: 'i32' }, { name: 'y_zp', type: 'i32' }, { name: 'lo', type: 'i32' }, { name: 'hi', type: 'i32' },
    ],
    code: [BYTE_PACK_CODE, byteReader('read_x', 'x', c.input), requantWgslPart(c.rounding).code].join('\n\n'),
  };
  const element = `let ow = e % params.out_w;
let r1 = e / params.out_w;
let oh = r1 % params.out_h;
let nc = r1 / params.out_h;
let ch = nc % params.c;
let xb = nc * params.in_h * params.in_w;
let wz = qw[ch * 4u + 3u];
let wb = params.wbase + ch * params.kernel_h * params.kernel_w;
var acc = qw[ch * 4u + 2u];
for (var kh = 0u; kh < params.kernel_h; kh++) {
  let ih = oh * params.stride_h + kh * params.dilation_h - params.pad_top;
  if (ih >= params.in_h) { continue; }
  for (var kw = 0u; kw < params.kernel_w; kw++) {
    let iw = ow * params.stride_w + kw * params.dilation_w - params.pad_left;
    if (iw >= params.in_w) { continue; }
    acc += (read_x(i32(xb + ih * params.in_w + iw)) - params.x_zp) * (qw[wb + kh * params.kernel_w + kw] - wz);
  }
}
v = requantize(acc, bitcast<u32>(qw[ch * 4u]), bitcast<u32>(qw[ch * 4u + 1u]), params.y_zp, params.lo, params.hi);`;
  return composeKernel({
    id: qlinearDepthwiseKernelId(c),
    header: `Depthwise QLinearConv, NCHW, x ${c.input}, w ${c.weights}, y ${c.output} (contiguous words); i32 accumulation, exact requantization (requant.ts).
One invocation per output word: i = gid.x + gid.y · pitch writes word obase + i = elements 4i..4i+3 (e → n·C + c, oh, ow);
each lane loops the kernel's taps (unsigned wrap-around skips the taps above/left of the image). Lanes past count are 0.
No workgroup memory, no barriers. Dispatch: wordWork(N·C·OH·OW).`,
    parts: [part],
    main: wordOutputMain(element),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}

/** The `qw` constant of the depthwise kernel: (m0, shift, bias, w_zp) per channel, then the weights [C][kh][kw]. */
export function packDepthwiseParams(m0: ArrayLike<number>, shift: ArrayLike<number>, bias: ArrayLike<number> | undefined, wZp: ArrayLike<number>, weights: ArrayLike<number>): Int32Array {
  const C = m0.length;
  const out = new Int32Array(4 * C + weights.length);
  for (let ch = 0; ch < C; ch++) {
    out[4 * ch] = m0[ch] | 0;
    out[4 * ch + 1] = shift[ch];
    out[4 * ch + 2] = bias ? bias[ch] : 0;
    out[4 * ch + 3] = wZp[wZp.length === 1 ? 0 : ch];
  }
  out.set(weights, 4 * C);
  return out;
}
