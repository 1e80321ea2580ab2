/**
 * Reductions and Softmax. ReduceMean/Sum/Max (and the global pools) give one invocation per output element,
 * looping over the reduced dims; Softmax gives one invocation per row (the dims outside the softmax axes) and makes
 * three passes over it (max, Σ exp, write). Every operand through strides.
 */
import { composeKernel, type WgslPart } from '../compose.ts';
import type { KernelSource, UniformField } from '../types.ts';
import { LINEAR_UNIFORMS, OP_WORKGROUP, checkRank, decompose, fields, linearMain, offsetExpr, operandBinding } from './common.ts';

export interface ReduceConfig {
  op: 'mean' | 'sum' | 'max';
  /** Rank of the kept (output) dims and of the reduced dims. */
  outRank: number;
  redRank: number;
}

export function reduceKernelId(c: ReduceConfig): string {
  return `reduce_${c.op}_f32_r${c.outRank}_k${c.redRank}`;
}

/**
 * Uniforms: os/ost the output shape and strides, ist the input stride of each output dim, rs/rst the reduced dims'
 * sizes and input strides, rcount their product.
 */
export function generateReduceKernel(c: ReduceConfig): KernelSource {
  checkRank(c.outRank, 'reduce');
  checkRank(c.redRank, 'reduce');
  const r = c.outRank;
  const q = c.redRank;
  const uniforms: UniformField[] = [
    ...LINEAR_UNIFORMS, ...fields('os', r, 'u32'), ...fields('ost', r, 'i32'), { name: 'obase', type: 'i32' },
    ...fields('ist', r, 'i32'), { name: 'ibase', type: 'i32' }, ...fields('rs', q, 'u32'), ...fields('rst', q, 'i32'), { name: 'rcount', type: 'u32' },
  ];
  const part: WgslPart = { idPart: '', bindings: [operandBinding('src', 'value'), operandBinding('out', 'value')], uniforms, code: '' };
  const max = c.op === 'max';
  const body = `${decompose('i', 'os', 'c', r)}
  let base = ${offsetExpr('c', 'ist', r, 'params.ibase')};
  var acc = ${max ? 'bitcast<f32>(0xff7fffffu)' : '0.0'};
  for (var t = 0u; t < params.rcount; t++) {
${decompose('t', 'rs', 'k', q)}
    let v = src[${offsetExpr('k', 'rst', q, 'base')}];
    ${max ? 'acc = max(acc, v);' : 'acc += v;'}
  }
  out[${offsetExpr('c', 'ost', r, 'params.obase')}] = ${c.op === 'mean' ? 'acc / f32(params.rcount)' : 'acc'};`;
  return composeKernel({
    id: reduceKernelId(c),
    header: `Reduce ${c.op}, float32: ${r} kept dims, ${q} reduced dims, any strides.
One invocation per output element: i = gid.x + gid.y · pitch → kept coordinates c; a serial loop over the
rcount reduced elements t → reduced coordinates k. No workgroup memory, no barriers.
Dispatch: linearWork(output elements, ${OP_WORKGROUP}).`,
    parts: [part],
    main: linearMain(body),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}

export interface SoftmaxConfig {
  /** Rank of the row dims (outside the softmax) and of the softmax dims. */
  outRank: number;
  redRank: number;
}

export function softmaxKernelId(c: SoftmaxConfig): string {
  return `softmax_f32_r${c.outRank}_k${c.redRank}`;
}

/** Uniforms as the reduce kernel, plus rost: the output strides of the softmax dims. */
export function generateSoftmaxKernel(c: SoftmaxConfig): KernelSource {
  checkRank(c.outRank, 'softmax');
  checkRank(c.redRank, 'softmax');
  const r = c.outRank;
  const q = c.redRank;
  const uniforms: UniformField[] = [
    ...LINEAR_UNIFORMS, ...fields('os', r, 'u32'), ...fields('ost', r, 'i32'), ...fields('ist', r, 'i32'),
    ...fields('rs', q, 'u32'), ...fields('rst', q, 'i32'), ...fields('rost', q, 'i32'), { name: 'rcount', type: 'u32' },
  ];
  const part: WgslPart = { idPart: '', bindings: [operandBinding('src', 'value'), operandBinding('out', 'value')], uniforms, code: '' };
  const body = `${decompose('i', 'os', 'c', r)}
  let ib = ${offsetExpr('c', 'ist', r)};
  let ob = ${offsetExpr('c', 'ost', r)};
  var m = bitcast<f32>(0xff7fffffu);
  for (var t = 0u; t < params.rcount; t++) {
${decompose('t', 'rs', 'k', q)}
    m = max(m, src[${offsetExpr('k', 'rst', q, 'ib')}]);
  }
  var s = 0.0;
  for (var t = 0u; t < params.rcount; t++) {
${decompose('t', 'rs', 'k', q)}
    s += exp(src[${offsetExpr('k', 'rst', q, 'ib')}] - m);
  }
  let inv = 1.0 / s;
  for (var t = 0u; t < params.rcount; t++) {
${decompose('t', 'rs', 'k', q)}
    out[${offsetExpr('k', 'rost', q, 'ob')}] = exp(src[${offsetExpr('k', 'rst', q, 'ib')}] - m) * inv;
  }`;
  return composeKernel({
    id: softmaxKernelId(c),
    header: `Softmax, float32: ${r} row dims, ${q} softmax dims (flattened), any strides.
One invocation per row: i = gid.x + gid.y · pitch → row coordinates c; three serial passes over the row's rcount
elements (max, Σ exp(x − max), write exp(x − max) / Σ). In place is safe (each row is read before it is written
only by its own invocation, and the third pass reads each element before writing it).
No workgroup memory, no barriers. Dispatch: linearWork(rows, ${OP_WORKGROUP}).`,
    parts: [part],
    main: linearMain(body),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}
