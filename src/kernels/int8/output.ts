/**
 * The output side shared by the int8 kernels: per-channel parameters, the zero-point correction and the three
 * output modes (types.ts QOutputMode), as a WgslPart that defines
 *
 *   struct QCol { ... }                        // the parameters of 4 output channels
 *   fn qcol(rec: u32) -> QCol                  // record rec = group·cout_g4 + col4 of the qchan buffer
 *   fn qstore(pix: u32, c: u32, lanes: u32, d: vec4<i32>, s: i32, q: QCol)
 *
 * qstore finishes output channels c .. c+lanes−1 (lanes ≤ 4, all in one group) of linear output pixel
 * pix = (n·Ho + oh)·Wo + ow from the raw dot products d (Σ x_e·w_e per channel) and the patch sum s:
 *   acc = d − wz·s + x_zp_e·wcorr          (the wz·s term only with `wzp`; see types.ts)
 *   convint  output[...] = acc                                           array<i32>
 *   qlinear  y = requantize(acc + bias, m0, shift, y_zp, q_lo, q_hi)      packed bytes (format.ts)
 *   float    y = clamp(f32(acc)·(x_scale·scale) + bias, f_lo, f_hi)      array<f32>
 * Kernels load QCol once per column group and reuse it for every pixel they own.
 *
 * Byte output (qlinear): with `wordStore` (NHWC and groups == 1 or Cout_g % 4 == 0, so the 4 channels are
 * one aligned word of the padded output) one u32 store, lanes ≥ `lanes` written as 0. Otherwise (NCHW, or
 * NHWC groups whose channels straddle words) each byte is written with atomicAnd + atomicOr on its own
 * lane, so invocations sharing a word do not race and no clearing pass is needed.
 */
import type { Layout } from '../../conv/types.ts';
import { requantRoundingId, requantWgslPart } from '../quant-wgsl.ts';
import type { RequantRounding } from '../../quant/scalar.ts';
import { mergeUniforms, type PartBinding, type WgslPart } from '../compose.ts';
import type { UniformField } from '../types.ts';
import { QCHAN_FIELDS } from './format.ts';
import type { QOperandConfig, QOutputMode } from './types.ts';

export interface QOutputConfig {
  layout: Layout;
  output: QOutputMode;
  wzp: boolean;
  /** qlinear only: store whole words (see the file comment); requires NHWC. */
  wordStore: boolean;
  /** qlinear only: how acc · M is rounded (src/quant/requant.ts); default 'float64'. In the kernel ID ('_rq32'). */
  rounding?: RequantRounding;
}

const u32 = (name: string): UniformField => ({ name, type: 'u32' });
const i32 = (name: string): UniformField => ({ name, type: 'i32' });
const f32 = (name: string): UniformField => ({ name, type: 'f32' });

export function validateOutputConfig(what: string, c: QOutputConfig): void {
  if (c.rounding !== undefined && c.rounding !== 'float64' && c.rounding !== 'float32') throw new Error(`${what}.rounding = ${JSON.stringify(c.rounding)}: must be 'float64' or 'float32'`);
  if (c.rounding === 'float32' && c.output !== 'qlinear') throw new Error(`${what}.rounding = 'float32': only for output 'qlinear' (got ${c.output})`);
  if (typeof c.wordStore !== 'boolean') throw new Error(`${what}.wordStore = ${JSON.stringify(c.wordStore)}: must be a boolean`);
  if (c.wordStore && (c.output !== 'qlinear' || c.layout !== 'NHWC')) {
    throw new Error(`${what}.wordStore = true: only for output 'qlinear' in layout 'NHWC' (got ${c.output}, ${c.layout})`);
  }
}

/** ID fragment: e.g. 'convint', 'qlinear_w4', 'qlinear', 'float'. */
export function qOutputIdPart(c: QOutputConfig): string {
  const base = c.output === 'qlinear' && c.wordStore ? 'qlinear_w4' : c.output;
  return c.output === 'qlinear' ? `${base}${requantRoundingId(c.rounding)}` : base;
}

/** Whether `wordStore` is possible for a geometry: NHWC qlinear whose groups start at word boundaries. */
export function canWordStore(layout: Layout, output: QOutputMode, groups: number, coutG: number): boolean {
  return layout === 'NHWC' && output === 'qlinear' && (groups === 1 || coutG % 4 === 0);
}

/** The part; binding names `qchan` (array<vec4<i32>>) and `output`. */
export function qOutputPart(c: QOutputConfig): WgslPart {
  validateOutputConfig('qOutputPart', c);
  const F = QCHAN_FIELDS[c.output].length;
  const nhwc = c.layout === 'NHWC';
  const uniforms: UniformField[] = [u32('out_c'), u32('out_hw'), i32('x_zp_e')];
  const struct: string[] = ['  wz: vec4<i32>,', '  corr: vec4<i32>,'];
  const load: string[] = [
    `  let base = rec * ${F}u;`,
    '  var q: QCol;',
    '  q.wz = qchan[base];',
    '  q.corr = params.x_zp_e * qchan[base + 1u];',
  ];
  let outType: string;
  let finish: string[];
  if (c.output === 'convint') {
    outType = 'array<i32>';
    finish = ['  let y = acc;'];
  } else if (c.output === 'qlinear') {
    uniforms.push(i32('y_zp'), i32('q_lo'), i32('q_hi'));
    struct.push('  bias: vec4<i32>,', '  m0: vec4<u32>,', '  shift: vec4<u32>,');
    load.push('  q.bias = qchan[base + 2u];', '  q.m0 = bitcast<vec4<u32>>(qchan[base + 3u]);', '  q.shift = bitcast<vec4<u32>>(qchan[base + 4u]);');
    outType = c.wordStore ? 'array<u32>' : 'array<atomic<u32>>';
    finish = [
      '  let b = acc + q.bias;',
      // A loop, not 4 calls: the requantize body is inlined once (SwiftShader compile time).
      '  var y = vec4<i32>(0);',
      '  for (var j = 0u; j < 4u; j++) {',
      '    y[j] = requantize(b[j], q.m0[j], q.shift[j], params.y_zp, params.q_lo, params.q_hi);',
      '  }',
    ];
  } else {
    uniforms.push(f32('x_scale'), f32('f_lo'), f32('f_hi'));
    struct.push('  scale: vec4<f32>,', '  bias: vec4<f32>,');
    load.push('  q.scale = params.x_scale * bitcast<vec4<f32>>(qchan[base + 2u]);', '  q.bias = bitcast<vec4<f32>>(qchan[base + 3u]);');
    outType = 'array<f32>';
    finish = ['  let y = clamp(vec4<f32>(acc) * q.scale + q.bias, vec4<f32>(params.f_lo), vec4<f32>(params.f_hi));'];
  }
  const accLine = c.wzp ? '  let acc = d - q.wz * s + q.corr;' : '  let acc = d + q.corr;';
  let store: string[];
  if (c.output === 'qlinear' && c.wordStore) {
    uniforms.push(u32('out_c4'));
    store = [
      '  let m = vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(lanes);',
      '  let yb = select(vec4<u32>(0u), bitcast<vec4<u32>>(y) & vec4<u32>(255u), m) << vec4<u32>(0u, 8u, 16u, 24u);',
      '  output[pix * params.out_c4 + c / 4u] = yb.x | yb.y | yb.z | yb.w;',
    ];
  } else {
    const addr = nhwc
      ? c.output === 'qlinear'
        ? ['  let bi = pix * params.out_c4 * 4u + c;', '  let cs = 1u;']
        : ['  let bi = pix * params.out_c + c;', '  let cs = 1u;']
      : ['  let bi = ((pix / params.out_hw) * params.out_c + c) * params.out_hw + pix % params.out_hw;', '  let cs = params.out_hw;'];
    if (c.output === 'qlinear' && nhwc) uniforms.push(u32('out_c4'));
    const put =
      c.output === 'qlinear'
        ? [
            '    let i = bi + j * cs;',
            '    let sh = (i & 3u) * 8u;',
            '    atomicAnd(&output[i >> 2u], ~(255u << sh));',
            '    atomicOr(&output[i >> 2u], (bitcast<u32>(y[j]) & 255u) << sh);',
          ]
        : ['    output[bi + j * cs] = y[j];'];
    store = [...addr, '  for (var j = 0u; j < lanes; j++) {', ...put, '  }'];
  }
  const code = [
    `// output: ${c.output}${c.wzp ? ', patch-sum correction (wz·s)' : ''}, ${c.layout}`,
    'struct QCol {',
    ...struct,
    '}',
    '',
    'fn qcol(rec: u32) -> QCol {',
    ...load,
    '  return q;',
    '}',
    '',
    'fn qstore(pix: u32, c: u32, lanes: u32, d: vec4<i32>, s: i32, q: QCol) {',
    accLine,
    ...finish,
    ...store,
    '}',
  ].join('\n');
  const bindings: PartBinding[] = [
    { name: 'qchan', kind: 'read-only-storage', type: 'array<vec4<i32>>' },
    { name: 'output', kind: 'storage', type: outType },
  ];
  const own: WgslPart = { idPart: qOutputIdPart(c), bindings, uniforms, code };
  if (c.output !== 'qlinear') return own;
  const rq = requantWgslPart(c.rounding);
  return { idPart: own.idPart, bindings, uniforms: mergeUniforms([own, rq]), code: `${rq.code.trim()}\n\n${code}` };
}

/** Values of the output part's geometry uniforms (out_c, out_hw, out_c4). */
export function qOutputGeometryUniforms(outChannels: number, outH: number, outW: number): Record<string, number> {
  return { out_c: outChannels, out_hw: outH * outW, out_c4: Math.ceil(outChannels / 4) };
}

/** Bytes of the output buffer a kernel with `cfg` writes for an output of n × c × h × w. */
export function qOutputBytes(cfg: Pick<QOperandConfig, 'layout' | 'output'>, n: number, c: number, h: number, w: number): number {
  if (cfg.output !== 'qlinear') return n * c * h * w * 4;
  return 4 * (cfg.layout === 'NHWC' ? n * h * w * Math.ceil(c / 4) : Math.ceil((n * c * h * w) / 4));
}
