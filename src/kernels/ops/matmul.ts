/**
 * MatMul / Gemm, float32, register-blocked: each invocation computes a tm × 4 block of C (tm = 1 or 4) with a
 * serial loop over K; operands through strides (transposes are swapped strides, broadcast batch dims stride 0),
 * batch dims up to 4. Gemm's alpha, beta and a broadcast C (bias) are in the epilogue.
 *
 * On SwiftShader per-thread register blocking beats workgroup tiling (no barriers, and every load feeds tm · 4 or
 * 4 FMAs), so there is no workgroup memory here.
 */
import { composeKernel, type WgslPart } from '../compose.ts';
import type { KernelSource, UniformField } from '../types.ts';
import { LINEAR_UNIFORMS, OP_WORKGROUP, type OperandKind, decompose, fields, kindsId, linearMain, operandBinding } from './common.ts';

export const MATMUL_TN = 4;
/** K steps unrolled per loop iteration. */
const KU = 4;

export interface MatmulConfig {
  tm: 1 | 4;
  /** Columns per invocation, 4 (one vec4) or 8 (two); default 4. */
  tn?: 4 | 8;
  /** Batch dims of C (0..4). */
  batchRank: number;
  a: OperandKind;
  b: OperandKind;
  /** Gemm's C operand, or 'none'. */
  bias: OperandKind | 'none';
  /**
   * B is a constant packed by the host (packMatmulB) as [K][ceil(N / tn) · tn / 4] vec4 rows, zero-padded: one vec4
   * load per 4 columns and k instead of 4 scalar gathers. Needs batchRank 0; bsk is then the vec4 row pitch and bsn
   * is unused (0).
   */
  packedB?: boolean;
}

/**
 * Columns n0 .. n0 + n − 1 of B, B(k, n) = b[k · bsk + n · bsn], packed as [K][ceil(n / tn) · tn] floats (zero
 * padding), for MatmulConfig.packedB with that tn.
 */
export function packMatmulB(b: ArrayLike<number>, k: number, n: number, bsk: number, bsn: number, n0 = 0, tn: 4 | 8 = 4): Float32Array {
  const n4 = Math.ceil(n / tn) * tn;
  const out = new Float32Array(k * n4);
  for (let kk = 0; kk < k; kk++) for (let j = 0; j < n; j++) out[kk * n4 + j] = b[kk * bsk + (n0 + j) * bsn];
  return out;
}

export function matmulKernelId(c: MatmulConfig): string {
  const kinds = kindsId(c.bias === 'none' ? [c.a, c.b] : [c.a, c.b, c.bias]);
  return `matmul_f32_m${c.tm}n${c.tn ?? MATMUL_TN}_b${c.batchRank}_${kinds}${c.bias === 'none' ? '' : '_bias'}${c.packedB ? '_pb' : ''}`;
}

/** Work items (invocations) of a C of [batch, m, n]. */
export function matmulBlocks(c: MatmulConfig, m: number, n: number): { mb: number; nb: number } {
  return { mb: Math.ceil(m / c.tm), nb: Math.ceil(n / (c.tn ?? MATMUL_TN)) };
}

export function generateMatmulKernel(c: MatmulConfig): KernelSource {
  if (c.tm !== 1 && c.tm !== 4) throw new Error(`matmul: tm ${String(c.tm)} must be 1 or 4`);
  if (!(Number.isInteger(c.batchRank) && c.batchRank >= 0 && c.batchRank <= 4)) throw new Error(`matmul: batchRank ${c.batchRank} must be 0..4`);
  const q = c.batchRank;
  const tm = c.tm;
  const tn = c.tn ?? MATMUL_TN;
  if (tn !== 4 && tn !== 8) throw new Error(`matmul: tn ${String(tn)} must be 4 or 8`);
  const vecs = Array.from({ length: tn / 4 }, (_, v) => v);
  const packed = Boolean(c.packedB);
  if (packed && (q !== 0 || c.b !== 'constant')) throw new Error(`matmul: packedB needs a constant B and batchRank 0 (got ${c.b}, batchRank ${q})`);
  const bias = c.bias !== 'none';
  const uniforms: UniformField[] = [
    ...LINEAR_UNIFORMS, { name: 'm', type: 'u32' }, { name: 'n', type: 'u32' }, { name: 'k', type: 'u32' }, { name: 'mb', type: 'u32' }, { name: 'nb', type: 'u32' },
    { name: 'a_sm', type: 'i32' }, { name: 'a_sk', type: 'i32' }, { name: 'abase', type: 'i32' },
    { name: 'bsk', type: 'i32' }, { name: 'bsn', type: 'i32' }, { name: 'bbase', type: 'i32' },
    { name: 'csm', type: 'i32' }, { name: 'csn', type: 'i32' }, { name: 'cbase', type: 'i32' },
    ...fields('bs', q, 'u32'), ...fields('abs', q, 'i32'), ...fields('bbs', q, 'i32'), ...fields('cbs', q, 'i32'),
    { name: 'alpha', type: 'f32' },
  ];
  if (bias) uniforms.push({ name: 'bism', type: 'i32' }, { name: 'bisn', type: 'i32' }, { name: 'bibase', type: 'i32' }, ...fields('bibs', q, 'i32'), { name: 'beta', type: 'f32' });
  const bindings = [operandBinding('mat_a', c.a), operandBinding('mat_b', c.b, packed ? 'array<vec4<f32>>' : 'array<f32>')];
  if (bias) bindings.push(operandBinding('mat_bias', c.bias as OperandKind));
  bindings.push(operandBinding('mat_c', 'value'));
  const part: WgslPart = { idPart: '', bindings, uniforms, code: '' };
  const sum = (pre: string, base: string) => [base, ...Array.from({ length: q }, (_, d) => `b${d} * params.${pre}${d}`)].join(' + ');
  const rows = Array.from({ length: tm }, (_, r) => r);
  const cols = Array.from({ length: tn }, (_, j) => j);
  const step = (k: string, u: string) => `${vecs.map((v) => `    let bv${u}_${v} = ${packed ? `mat_b[bo + ${v} + (${k}) * params.bsk]` : `vec4<f32>(${[0, 1, 2, 3].map((j) => `mat_b[bo${4 * v + j} + (${k}) * params.bsk]`).join(', ')})`};`).join('\n')}
${rows.map((r) => `    let a${u}_${r} = mat_a[ao${r} + (${k}) * params.a_sk];
${vecs.map((v) => `    acc${r}_${v} += a${u}_${r} * bv${u}_${v};`).join('\n')}`).join('\n')}`;
  const body = `  let nblk = i % params.nb;
  let rest = i / params.nb;
  let mblk = rest % params.mb;
${q ? decompose('rest / params.mb', 'bs', 'b', q) : ''}
  let m0 = i32(mblk * ${tm}u);
  let n0 = i32(nblk * ${tn}u);
  let mlast = i32(params.m) - 1;
  let nlast = i32(params.n) - 1;
  let ab = ${sum('abs', 'params.abase')};
  let bb = ${sum('bbs', 'params.bbase')};
${rows.map((r) => `  let ao${r} = ab + min(m0 + ${r}, mlast) * params.a_sm;`).join('\n')}
${packed ? `  let bo = bb + i32(nblk) * ${tn / 4};` : cols.map((j) => `  let bo${j} = bb + min(n0 + ${j}, nlast) * params.bsn;`).join('\n')}
${rows.map((r) => vecs.map((v) => `  var acc${r}_${v} = vec4<f32>(0.0);`).join('\n')).join('\n')}
  let kend = i32(params.k);
  let kmain = kend - kend % ${KU};
  var kk = 0;
  for (; kk < kmain; kk += ${KU}) {
${Array.from({ length: KU }, (_, u) => step(`kk + ${u}`, `${u}`)).join('\n')}
  }
  for (; kk < kend; kk++) {
${step('kk', 't')}
  }
  let cb = ${sum('cbs', 'params.cbase')};
${bias ? `  let bib = ${sum('bibs', 'params.bibase')};` : ''}
${rows.map((r) => `  if (m0 + ${r} <= mlast) {
${vecs.map((v) => `    for (var j = 0; j < 4; j++) {
      let col = n0 + ${4 * v} + j;
      if (col <= nlast) {
        mat_c[cb + (m0 + ${r}) * params.csm + col * params.csn] = params.alpha * acc${r}_${v}[j]${bias ? ` + params.beta * mat_bias[bib + (m0 + ${r}) * params.bism + col * params.bisn]` : ''};
      }
    }`).join('\n')}
  }`).join('\n')}`;
  return composeKernel({
    id: matmulKernelId(c),
    header: `MatMul/Gemm, float32: C[b] = alpha · A[b] · B[b]${bias ? ' + beta · bias[b]' : ''}, ${q} batch dims, any strides.
Register blocking: one invocation computes a ${tm} × ${tn} block of C (rows m0.., cols n0..), i = gid.x + gid.y · pitch
with the column block fastest, then the row block, then the batch index; a serial loop over K (unrolled ×${KU}) loads ${tm} A
values and ${tn / 4} vec4 of B (${packed ? 'one vec4 load from the packed [K][ceil(N / 4)] B; ' : ''}out-of-range rows/columns clamp on load and are not stored) for ${(tm * tn) / 4} vec4 FMAs.
No workgroup memory, no barriers. Dispatch: linearWork(batch · ceil(M / ${tm}) · ceil(N / ${tn}), ${OP_WORKGROUP}).`,
    parts: [part],
    main: linearMain(body),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}
