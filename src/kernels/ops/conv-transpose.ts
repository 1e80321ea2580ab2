/**
 * ConvTranspose over 2 spatial dims (rank-3 inputs run as H = 1), float32, any layout through strides: strides,
 * dilations, begin pads (the host turns auto_pad, output_shape and output_padding into them), groups, bias.
 * Gather form: one invocation per output element sums the input pixels whose scatter reaches it.
 */
import { composeKernel, type WgslPart } from '../compose.ts';
import type { KernelSource, UniformField } from '../types.ts';
import { LINEAR_UNIFORMS, OP_WORKGROUP, decompose, fields, linearMain, operandBinding } from './common.ts';

export interface ConvTransposeConfig {
  bias: boolean;
}

export function convTransposeKernelId(c: ConvTransposeConfig): string {
  return `convtranspose_f32_direct${c.bias ? '_bias' : ''}`;
}

/**
 * Weights: constant [Cin, Cout / group, KH, KW] contiguous (ONNX's layout). Uniforms: os0..3 = [N, Cout, OH, OW];
 * ist/ost strides of [N, C, H, W] views; ih, iw; cin_g, cout_g; kh, kw; sh, sw; dh, dw; pt, pl.
 */
export function generateConvTransposeKernel(c: ConvTransposeConfig): KernelSource {
  const uniforms: UniformField[] = [
    ...LINEAR_UNIFORMS, ...fields('os', 4, 'u32'), ...fields('ost', 4, 'i32'), ...fields('ist', 4, 'i32'),
    { name: 'ih', type: 'i32' }, { name: 'iw', type: 'i32' }, { name: 'cin_g', type: 'i32' }, { name: 'cout_g', type: 'i32' },
    { name: 'kh', type: 'i32' }, { name: 'kw', type: 'i32' }, { name: 'sh', type: 'i32' }, { name: 'sw', type: 'i32' },
    { name: 'dh', type: 'i32' }, { name: 'dw', type: 'i32' }, { name: 'pt', type: 'i32' }, { name: 'pl', type: 'i32' },
  ];
  const bindings = [operandBinding('src', 'value'), operandBinding('weight', 'constant')];
  if (c.bias) bindings.push(operandBinding('bias', 'constant'));
  bindings.push(operandBinding('out', 'value'));
  const part: WgslPart = { idPart: '', bindings, uniforms, code: '' };
  const body = `${decompose('i', 'os', 'c', 4)}
  let g = c1 / params.cout_g;
  let ocg = c1 % params.cout_g;
  let taps = params.kh * params.kw;
  var acc = ${c.bias ? 'bias[c1]' : '0.0'};
  for (var ky = 0; ky < params.kh; ky++) {
    let yn = c2 + params.pt - ky * params.dh;
    if (yn < 0 || yn % params.sh != 0) { continue; }
    let y = yn / params.sh;
    if (y >= params.ih) { continue; }
    for (var kx = 0; kx < params.kw; kx++) {
      let xn = c3 + params.pl - kx * params.dw;
      if (xn < 0 || xn % params.sw != 0) { continue; }
      let x = xn / params.sw;
      if (x >= params.iw) { continue; }
      let sbase = c0 * params.ist0 + y * params.ist2 + x * params.ist3;
      let tap = ky * params.kw + kx;
      for (var icg = 0; icg < params.cin_g; icg++) {
        let ic = g * params.cin_g + icg;
        acc += src[sbase + ic * params.ist1] * weight[(ic * params.cout_g + ocg) * taps + tap];
      }
    }
  }
  out[c0 * params.ost0 + c1 * params.ost1 + c2 * params.ost2 + c3 * params.ost3] = acc;`;
  return composeKernel({
    id: convTransposeKernelId(c),
    header: `ConvTranspose (gather form), float32, any layout through strides${c.bias ? ', bias' : ''}.
One invocation per output element (n, oc, oy, ox): i = gid.x + gid.y · pitch, ox fastest; for each tap (ky, kx) the
input pixel y = (oy + pt − ky · dh) / sh (when exact and inside), x likewise, then a loop over the group's input channels.
No workgroup memory, no barriers. Dispatch: linearWork(N · Cout · OH · OW, ${OP_WORKGROUP}).`,
    parts: [part],
    main: linearMain(body),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}
