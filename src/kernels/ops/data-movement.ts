/**
 * Data-movement kernels: the strided copy (Transpose, Reshape/Flatten/Squeeze/Unsqueeze of a non-contiguous view,
 * Slice with any step, Concat and Split as copies into/out of sub-views, relayout contiguous ↔ nhwc), Gather with
 * constant indices, and Pad (constant, reflect, edge, wrap). One invocation per output element.
 */
import { composeKernel, type WgslPart } from '../compose.ts';
import type { KernelSource, UniformField } from '../types.ts';
import {
  LINEAR_UNIFORMS, OP_WORKGROUP, type OperandKind, checkRank, decompose, fields, linearMain, offsetExpr, operandBinding,
} from './common.ts';

export interface CopyConfig {
  /** Rank of the output view. */
  rank: number;
  /**
   * Rank of the input's own shape when the element order is shared but the shapes differ (Reshape of a strided
   * view): the linear index is split by each shape separately. undefined: the input is indexed by the output's
   * coordinates (one stride per output dim).
   */
  inRank?: number;
  input: OperandKind;
}

export function copyKernelId(c: CopyConfig): string {
  return `copy_f32_r${c.rank}${c.inRank === undefined ? '' : `_in${c.inRank}`}${c.input === 'constant' ? '_c' : ''}`;
}

export function generateCopyKernel(c: CopyConfig): KernelSource {
  checkRank(c.rank, 'copy');
  if (c.inRank !== undefined) checkRank(c.inRank, 'copy input');
  const r = c.rank;
  const q = c.inRank;
  const uniforms: UniformField[] = [...LINEAR_UNIFORMS, ...fields('os', r, 'u32'), ...fields('ost', r, 'i32'), { name: 'obase', type: 'i32' }];
  if (q !== undefined) uniforms.push(...fields('is', q, 'u32'));
  uniforms.push(...fields('ist', q ?? r, 'i32'), { name: 'ibase', type: 'i32' });
  const part: WgslPart = { idPart: '', bindings: [operandBinding('src', c.input), operandBinding('out', 'value')], uniforms, code: '' };
  const inOff = q === undefined ? offsetExpr('c', 'ist', r, 'params.ibase') : offsetExpr('k', 'ist', q, 'params.ibase');
  const body = [decompose('i', 'os', 'c', r), q === undefined ? '' : decompose('i', 'is', 'k', q), `  out[${offsetExpr('c', 'ost', r, 'params.obase')}] = src[${inOff}];`]
    .filter(Boolean)
    .join('\n');
  return composeKernel({
    id: copyKernelId(c),
    header: `Strided copy, float32: out[obase + Σ c_d · ost_d] = src[ibase + Σ k_d · ist_d] over a rank-${r} output view.
One invocation per output element: i = gid.x + gid.y · pitch → output coordinates c (last dim fastest); the input
coordinates k are c${q === undefined ? '' : ` re-split by the input shape (rank ${q}: same element order, other shape)`}.
No workgroup memory, no barriers. Dispatch: linearWork(total, ${OP_WORKGROUP}).`,
    parts: [part],
    main: linearMain(body),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}

export interface GatherConfig {
  rank: number;
  input: OperandKind;
}

export function gatherKernelId(c: GatherConfig): string {
  return `gather_f32_r${c.rank}${c.input === 'constant' ? '_c' : ''}`;
}

/**
 * out[c] = src[ibase + Σ c_d · ist_d + idx[Σ c_d · xst_d] · axst]: the output dims that come from the indices have
 * ist_d = 0 and xst_d = the indices' strides; the others ist_d = the input's stride and xst_d = 0. Indices are
 * normalized (≥ 0) by the host.
 */
export function generateGatherKernel(c: GatherConfig): KernelSource {
  checkRank(c.rank, 'gather');
  const r = c.rank;
  const uniforms: UniformField[] = [
    ...LINEAR_UNIFORMS, ...fields('os', r, 'u32'), ...fields('ost', r, 'i32'), { name: 'obase', type: 'i32' },
    ...fields('ist', r, 'i32'), { name: 'ibase', type: 'i32' }, ...fields('xst', r, 'i32'), { name: 'axst', type: 'i32' },
  ];
  const part: WgslPart = {
    idPart: '',
    bindings: [operandBinding('src', c.input), operandBinding('idx', 'constant', 'array<i32>'), operandBinding('out', 'value')],
    uniforms,
    code: '',
  };
  const body = [
    decompose('i', 'os', 'c', r),
    `  let j = idx[${offsetExpr('c', 'xst', r)}];`,
    `  out[${offsetExpr('c', 'ost', r, 'params.obase')}] = src[${offsetExpr('c', 'ist', r, 'params.ibase')} + j * params.axst];`,
  ].join('\n');
  return composeKernel({
    id: gatherKernelId(c),
    header: `Gather along one axis with constant indices, float32, rank-${r} output.
One invocation per output element: i = gid.x + gid.y · pitch → output coordinates c (last dim fastest);
j = idx[Σ c_d · xst_d]; out[obase + Σ c_d · ost_d] = src[ibase + Σ c_d · ist_d + j · axst].
No workgroup memory, no barriers. Dispatch: linearWork(total, ${OP_WORKGROUP}).`,
    parts: [part],
    main: linearMain(body),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}

export type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

export interface PadConfig {
  rank: number;
  mode: PadMode;
  input: OperandKind;
}

export function padKernelId(c: PadConfig): string {
  return `pad_${c.mode}_f32_r${c.rank}${c.input === 'constant' ? '_c' : ''}`;
}

function padIndex(mode: PadMode, d: number): string {
  const j = `j${d}`;
  const n = `i32(params.is${d})`;
  switch (mode) {
    case 'constant': return `  let k${d} = c${d} - params.pb${d};\n  inside = inside && k${d} >= 0 && k${d} < ${n};`;
    case 'edge': return `  let k${d} = clamp(c${d} - params.pb${d}, 0, ${n} - 1);`;
    case 'wrap': return `  let ${j} = (c${d} - params.pb${d}) % ${n};\n  let k${d} = select(${j}, ${j} + ${n}, ${j} < 0);`;
    case 'reflect': return `  let ${j} = abs(c${d} - params.pb${d});\n  let k${d} = select(${j}, max(2 * (${n} - 1) - ${j}, 0), ${j} >= ${n});`;
  }
}

/** Pad: output coordinate c_d reads input coordinate c_d − pb_d, mapped back inside by the mode (host checks reflect pads < dim). */
export function generatePadKernel(c: PadConfig): KernelSource {
  checkRank(c.rank, 'pad');
  const r = c.rank;
  const uniforms: UniformField[] = [
    ...LINEAR_UNIFORMS, ...fields('os', r, 'u32'), ...fields('ost', r, 'i32'), { name: 'obase', type: 'i32' },
    ...fields('is', r, 'u32'), ...fields('ist', r, 'i32'), { name: 'ibase', type: 'i32' }, ...fields('pb', r, 'i32'),
  ];
  if (c.mode === 'constant') uniforms.push({ name: 'value', type: 'f32' });
  const part: WgslPart = { idPart: '', bindings: [operandBinding('src', c.input), operandBinding('out', 'value')], uniforms, code: '' };
  const lines = [decompose('i', 'os', 'c', r)];
  if (c.mode === 'constant') lines.push('  var inside = true;');
  for (let d = 0; d < r; d++) lines.push(padIndex(c.mode, d));
  const read = `src[${offsetExpr('k', 'ist', r, 'params.ibase')}]`;
  const o = `out[${offsetExpr('c', 'ost', r, 'params.obase')}]`;
  if (c.mode === 'constant') lines.push(`  if (inside) { ${o} = ${read}; } else { ${o} = params.value; }`);
  else lines.push(`  ${o} = ${read};`);
  return composeKernel({
    id: padKernelId(c),
    header: `Pad (${c.mode}), float32, rank ${r}.
One invocation per output element: i = gid.x + gid.y · pitch → output coordinates c (last dim fastest);
input coordinate k_d = c_d − pb_d${c.mode === 'constant' ? ' (outside the input: the constant value)' : `, mapped inside by ${c.mode}`}.
No workgroup memory, no barriers. Dispatch: linearWork(total, ${OP_WORKGROUP}).`,
    parts: [part],
    main: linearMain(lines.join('\n')),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}
