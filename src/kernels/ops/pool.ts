/**
 * MaxPool and AveragePool over 2 spatial dims (rank-3 inputs run as H = 1), any layout through strides:
 * kernel, strides, dilations, begin/end pads, count_include_pad. One invocation per output element.
 */
import { composeKernel, type WgslPart } from '../compose.ts';
import type { KernelSource, UniformField } from '../types.ts';
import { LINEAR_UNIFORMS, OP_WORKGROUP, decompose, fields, linearMain, operandBinding } from './common.ts';

export interface PoolConfig {
  kind: 'max' | 'avg';
  /** avg: divide by every tap inside the padded input (true) or only by the taps inside the input (false). */
  countIncludePad?: boolean;
}

export function poolKernelId(c: PoolConfig): string {
  return c.kind === 'max' ? 'pool_max_f32' : `pool_avg_f32${c.countIncludePad ? '_incpad' : ''}`;
}

/** Uniforms: os0..3 = [N, C, OH, OW], ist/ost element strides of [N, C, H, W] views, H, W, window geometry. */
export function generatePoolKernel(c: PoolConfig): KernelSource {
  const uniforms: UniformField[] = [
    ...LINEAR_UNIFORMS, ...fields('os', 4, 'u32'), ...fields('ost', 4, 'i32'), ...fields('ist', 4, 'i32'),
    { name: 'ih', type: 'i32' }, { name: 'iw', type: 'i32' },
    { name: 'kh', type: 'i32' }, { name: 'kw', type: 'i32' }, { name: 'sh', type: 'i32' }, { name: 'sw', type: 'i32' },
    { name: 'dh', type: 'i32' }, { name: 'dw', type: 'i32' }, { name: 'pt', type: 'i32' }, { name: 'pl', type: 'i32' },
    { name: 'pbot', type: 'i32' }, { name: 'pr', type: 'i32' },
  ];
  const part: WgslPart = { idPart: '', bindings: [operandBinding('src', 'value'), operandBinding('out', 'value')], uniforms, code: '' };
  const max = c.kind === 'max';
  const body = `${decompose('i', 'os', 'c', 4)}
  let base = c0 * params.ist0 + c1 * params.ist1;
  let y0 = c2 * params.sh - params.pt;
  let x0 = c3 * params.sw - params.pl;
  var acc = ${max ? 'bitcast<f32>(0xff7fffffu)' : '0.0'};
  var n = 0;
  for (var ky = 0; ky < params.kh; ky++) {
    let y = y0 + ky * params.dh;
    for (var kx = 0; kx < params.kw; kx++) {
      let x = x0 + kx * params.dw;
      ${c.countIncludePad ? 'if (y < params.ih + params.pbot && x < params.iw + params.pr) { n++; }' : ''}
      if (y >= 0 && y < params.ih && x >= 0 && x < params.iw) {
        let v = src[base + y * params.ist2 + x * params.ist3];
        ${max ? 'acc = max(acc, v);' : 'acc += v;'}
        ${c.countIncludePad || max ? '' : 'n++;'}
      }
    }
  }
  out[c0 * params.ost0 + c1 * params.ost1 + c2 * params.ost2 + c3 * params.ost3] = ${max ? 'acc' : 'acc / f32(max(n, 1))'};`;
  return composeKernel({
    id: poolKernelId(c),
    header: `${max ? 'Max' : 'Average'} pooling over H, W, float32${c.countIncludePad ? ' (count_include_pad)' : ''}, any layout through strides.
One invocation per output element (n, c, oh, ow): i = gid.x + gid.y · pitch, ow fastest; loops over kh × kw taps
at (oh · sh − pt + ky · dh, ow · sw − pl + kx · dw), skipping taps outside the input.
No workgroup memory, no barriers. Dispatch: linearWork(N · C · OH · OW, ${OP_WORKGROUP}).`,
    parts: [part],
    main: linearMain(body),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}
