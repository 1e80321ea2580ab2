/**
 * Integer op kernels of the runtime (issue 13): MatMulInteger / QLinearMatMul on 8-bit byte tensors, and the
 * run-time zero-point correction of ConvInteger. Pure generators, as the other op kernels (src/kernels/ops/*).
 *
 * 8-bit operands are byte tensors (runtime-types.ts): element e of a binding is byte e & 3 of word e >> 2,
 * little-endian, int8 sign-extended on read. 8-bit outputs are contiguous and written one whole u32 word
 * (4 consecutive elements) per invocation, the padding lanes of the last word 0.
 */
import { composeKernel, type WgslPart } from '../compose.ts';
import { requantRoundingId, requantWgslPart } from '../quant-wgsl.ts';
import type { KernelSource, UniformField } from '../types.ts';
import { LINEAR_UNIFORMS, OP_WORKGROUP, type OperandKind, linearMain, operandBinding } from './common.ts';
import { byteReader } from './bytes.ts';

export type Int8Type = 'int8' | 'uint8';

/** WGSL `fn <name>(e: i32) -> i32`: element e of the byte tensor `buf`, as an integer of `t` (bytes.ts). */
export function byteLoadWgsl(name: string, buf: string, t: Int8Type): string {
  return byteReader(name, buf, t);
}

const short = (t: Int8Type) => (t === 'int8' ? 'i8' : 'u8');

export interface IntMatmulConfig {
  a: Int8Type;
  b: Int8Type;
  /** int32: MatMulInteger; int8/uint8: QLinearMatMul (requantized per column, round half to even, saturated). */
  output: 'int32' | Int8Type;
  aKind: OperandKind;
  bKind: OperandKind;
  /** Where A's zero point comes from: a uniform, or byte 0 of the run-time value bound as `a_zp` (a dtype-`a` scalar). */
  aZeroPoint: 'uniform' | 'value';
  /** QLinearMatMul: how acc · M is rounded (src/quant/requant.ts); default 'float64'. */
  rounding?: 'float64' | 'float32';
}

export function intMatmulKernelId(c: IntMatmulConfig): string {
  const out = c.output === 'int32' ? 'i32' : `q${short(c.output)}`;
  return `matmul_${short(c.a)}${short(c.b)}_${out}_${c.aKind === 'value' ? 'v' : 'c'}${c.bKind === 'value' ? 'v' : 'c'}${c.aZeroPoint === 'value' ? '_azpv' : ''}${c.output === 'int32' ? '' : requantRoundingId(c.rounding)}`;
}

/**
 * C[b] = (A[b] − a_zp) · (B[b] − b_zp[col]) over one batch dim (batch strides may be 0: broadcasts), then for 8-bit
 * outputs requantize(acc, m0[col], shift[col], y_zp, q_lo, q_hi) (src/quant/requant.ts). The per-column record
 * `cols[n]` is vec4<i32>(b_zp, m0, shift, 0).
 */
export function generateIntMatmulKernel(c: IntMatmulConfig): KernelSource {
  for (const [k, v] of [['a', c.a], ['b', c.b]] as const) if (v !== 'int8' && v !== 'uint8') throw new Error(`int matmul: ${k} = ${String(v)} must be int8 or uint8`);
  if (!['int32', 'int8', 'uint8'].includes(c.output)) throw new Error(`int matmul: output ${String(c.output)} must be int32, int8 or uint8`);
  const q = c.output !== 'int32';
  const uniforms: UniformField[] = [
    ...LINEAR_UNIFORMS,
    { name: 'elems', type: 'u32' }, { name: 'm', type: 'u32' }, { name: 'n', type: 'u32' }, { name: 'k', type: 'u32' },
    { name: 'a_sb', type: 'i32' }, { name: 'a_sm', type: 'i32' }, { name: 'a_sk', type: 'i32' },
    { name: 'b_sb', type: 'i32' }, { name: 'b_sk', type: 'i32' }, { name: 'b_sn', type: 'i32' },
    { name: 'a_zp', type: 'i32' },
  ];
  if (q) uniforms.push({ name: 'y_zp', type: 'i32' }, { name: 'q_lo', type: 'i32' }, { name: 'q_hi', type: 'i32' });
  const bindings = [
    operandBinding('mat_a', c.aKind, 'array<u32>'),
    operandBinding('mat_b', c.bKind, 'array<u32>'),
    { name: 'cols', kind: 'read-only-storage' as const, type: 'array<vec4<i32>>' },
    operandBinding('out', 'value', q ? 'array<u32>' : 'array<i32>'),
  ];
  if (c.aZeroPoint === 'value') bindings.push(operandBinding('a_zp', 'value', 'array<u32>'));
  const code = [
    byteLoadWgsl('ld_a', 'mat_a', c.a),
    byteLoadWgsl('ld_b', 'mat_b', c.b),
    c.aZeroPoint === 'value' ? byteLoadWgsl('ld_azp', 'a_zp', c.a) : '',
    `fn element(e: u32, azp: i32) -> i32 {
  let col = e % params.n;
  let rest = e / params.n;
  let row = rest % params.m;
  let bat = i32(rest / params.m);
  let rec = cols[col];
  var a_off = bat * params.a_sb + i32(row) * params.a_sm;
  var b_off = bat * params.b_sb + i32(col) * params.b_sn;
  var acc = 0i;
  for (var kk = 0u; kk < params.k; kk++) {
    acc += (ld_a(a_off) - azp) * (ld_b(b_off) - rec.x);
    a_off += params.a_sk;
    b_off += params.b_sk;
  }
  return ${q ? 'requantize(acc, bitcast<u32>(rec.y), bitcast<u32>(rec.z), params.y_zp, params.q_lo, params.q_hi)' : 'acc'};
}`,
  ].filter(Boolean).join('\n\n');
  const parts: WgslPart[] = [{ idPart: '', bindings, uniforms, code }];
  if (q) parts.unshift(requantWgslPart(c.rounding));
  const azp = c.aZeroPoint === 'value' ? 'ld_azp(0)' : 'params.a_zp';
  const body = q
    ? `  var word = 0u;
  for (var j = 0u; j < 4u; j++) {
    let e = 4u * i + j;
    if (e < params.elems) {
      word |= (bitcast<u32>(element(e, ${azp})) & 0xffu) << (8u * j);
    }
  }
  out[i] = word;`
    : `  for (var j = 0u; j < 4u; j++) {
    let e = 4u * i + j;
    if (e < params.elems) {
      out[e] = element(e, ${azp});
    }
  }`;
  return composeKernel({
    id: intMatmulKernelId(c),
    header: `${q ? 'QLinearMatMul' : 'MatMulInteger'}, ${c.a} × ${c.b} → ${c.output}: C[b] = (A[b] − a_zp)(B[b] − b_zp[col])${q ? ', requantized per column (round half to even, saturated)' : ''}.
One batch dim (strides a_sb, b_sb; 0 broadcasts); A and B are byte tensors addressed by element strides; C is contiguous [batch, m, n].
One invocation per 4 consecutive elements of C (i = gid.x + gid.y · pitch${q ? '; they form one u32 word of the byte output' : ''}),
each a serial loop over K. No workgroup memory, no barriers. Dispatch: linearWork(ceil(batch · m · n / 4), ${OP_WORKGROUP}).`,
    parts,
    main: linearMain(body),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}

export interface ZeroPointCorrectionConfig {
  /** dtype of the run-time x zero point (the convolution's input dtype). */
  zeroPoint: Int8Type;
}

export function zeroPointCorrectionKernelId(c: ZeroPointCorrectionConfig): string {
  return `convint_xzp_fix_${short(c.zeroPoint)}`;
}

/**
 * ConvInteger with a run-time x zero point: the plan ran with x_zp 0, so y[n, o, p] = plan[n, o, p] −
 * x_zp · corr[o, p], corr[o, p] = Σ over the taps of output position p that fall inside the input of (w − w_zp[o])
 * (computed at load). Exact in int32 (both are int32 wrap-around sums of the same products).
 */
export function generateZeroPointCorrectionKernel(c: ZeroPointCorrectionConfig): KernelSource {
  if (c.zeroPoint !== 'int8' && c.zeroPoint !== 'uint8') throw new Error(`zero-point correction: zeroPoint ${String(c.zeroPoint)} must be int8 or uint8`);
  const part: WgslPart = {
    idPart: '',
    bindings: [operandBinding('out', 'value', 'array<i32>'), operandBinding('x_zp', 'value', 'array<u32>'), { name: 'corr', kind: 'read-only-storage', type: 'array<i32>' }],
    uniforms: [...LINEAR_UNIFORMS, { name: 'per_image', type: 'u32' }],
    code: byteLoadWgsl('ld_zp', 'x_zp', c.zeroPoint),
  };
  return composeKernel({
    id: zeroPointCorrectionKernelId(c),
    header: `ConvInteger run-time x zero point (${c.zeroPoint}): out[i] −= x_zp · corr[i % per_image], per_image = M · OH · OW (NCHW int32).
One invocation per output element, i = gid.x + gid.y · pitch. No workgroup memory, no barriers.
Dispatch: linearWork(N · M · OH · OW, ${OP_WORKGROUP}).`,
    parts: [part],
    main: linearMain('  out[i] = out[i] - ld_zp(0) * corr[i % params.per_image];'),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}
