/**
 * Generated direct int8 convolution: every geometry (any kernel size, strides, asymmetric pads, dilations,
 * groups, depthwise), NHWC or NCHW, int8/uint8 activations and weights with zero points, the three output
 * modes of output.ts. Weights packed with k layout 'tap4' (format.ts): [group][taps·cin_g4][cout_g4] vec4<u32>.
 *
 * Register blocking as in ../direct.ts: one invocation computes `channels` (4 or 8) output channels of one
 * group × `pixels` consecutive output pixels along W. Loops kh, kw, then the tap's input channels 4 at a time
 * (one u32 word): per step channels/4 weight vec4<u32>, `pixels` activation words, 4·channels·pixels MACs as
 * channels·pixels dot products (dot.ts). Taps outside the image are not skipped: they read x_zp (the
 * zero-point scheme of types.ts needs every lane to hold a real value or x_zp).
 * Activation words: 'word' (NHWC, groups == 1 or Cin_g % 4 == 0) one load, channel padding masked;
 * 'byte' (NCHW, or NHWC groups that straddle words) 4 byte gathers, lanes past Cin_g read x_zp.
 *
 * ID: direct_<x><w>_<layout>_c<channels>x<pixels>_<word|byte>[_wg<n>]_<dot4|unpack>[_wzp]_<output>
 */
import { type ConvGeometry } from '../../conv/types.ts';
import { outputSize } from '../../conv/geometry.ts';
import { composeKernel, type WgslPart } from '../compose.ts';
import { directBlockIndex, splitDispatch } from '../direct.ts';
import type { KernelSource, UniformField } from '../types.ts';
import { isF32Dot, macLine, prepA, prepB, QF32_CHUNK, sumExpr } from './dot.ts';
import { qOperandUniforms, qWeightShape, type QCallValues } from './format.ts';
import type { QKernelDispatch } from './im2col-i8.ts';
import { canReadWords, channelTailMask, inputByteStrides, qInputPart, type QInputRead } from './input.ts';
import { canWordStore, qOutputGeometryUniforms, qOutputPart, validateOutputConfig } from './output.ts';
import { qDomainId, validateOperandConfig, type QOperandConfig } from './types.ts';

export interface DirectI8Config extends QOperandConfig {
  /** 'word' needs NHWC with groups == 1 or Cin_g % 4 == 0. */
  read: QInputRead;
  /** qlinear NHWC only (output.ts). */
  wordStore: boolean;
  /** Output channels per invocation: 4 or 8 (default 4). */
  channels?: 4 | 8;
  /** Output pixels along W per invocation, 1..8 (default 4). */
  pixels?: number;
  /** Invocations per workgroup, a multiple of 4 in 4..256 (default 64). */
  workgroupSize?: number;
}

const DEFAULTS = { channels: 4, pixels: 4, workgroupSize: 64 } as const;

export function normalizeDirectI8Config(c: DirectI8Config): Required<DirectI8Config> {
  const n = { ...DEFAULTS, ...Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) } as Required<DirectI8Config>;
  validateOperandConfig('DirectI8Config', n);
  validateOutputConfig('DirectI8Config', n);
  if (n.read !== 'word' && n.read !== 'byte') throw new Error(`DirectI8Config.read = ${JSON.stringify(n.read)}: must be 'word' or 'byte'`);
  if (n.read === 'word' && n.layout !== 'NHWC') throw new Error("DirectI8Config.read = 'word': only with layout 'NHWC'");
  if (n.channels !== 4 && n.channels !== 8) throw new Error(`DirectI8Config.channels = ${n.channels}: must be 4 or 8`);
  if (!Number.isInteger(n.pixels) || n.pixels < 1 || n.pixels > 8) throw new Error(`DirectI8Config.pixels = ${n.pixels}: must be an integer in 1..8`);
  const wg = n.workgroupSize;
  if (!Number.isInteger(wg) || wg < 4 || wg > 256 || wg % 4 !== 0) throw new Error(`DirectI8Config.workgroupSize = ${wg}: must be a multiple of 4 in 4..256`);
  return n;
}

export function directI8KernelId(cfg: DirectI8Config): string {
  const c = normalizeDirectI8Config(cfg);
  return [
    'direct',
    qDomainId(c),
    c.layout.toLowerCase(),
    `c${c.channels}x${c.pixels}`,
    c.read,
    c.workgroupSize !== DEFAULTS.workgroupSize ? `wg${c.workgroupSize}` : '',
    c.dot,
    c.wzp ? 'wzp' : '',
    qOutputPart(c).idPart,
  ]
    .filter(Boolean)
    .join('_');
}

const u32 = (name: string): UniformField => ({ name, type: 'u32' });

export function generateDirectI8Kernel(cfg: DirectI8Config): KernelSource {
  const c = normalizeDirectI8Config(cfg);
  const id = directI8KernelId(c);
  const tw = c.pixels;
  const cv = c.channels / 4;
  const T = [...Array(tw).keys()];
  const V = [...Array(cv).keys()];
  const word = c.read === 'word';
  const geometry = [
    'in_h', 'in_w', 'out_h', 'out_w', 'kernel_h', 'kernel_w', 'stride_h', 'stride_w', 'pad_top', 'pad_left', 'dilation_h', 'dilation_w',
    'cin_g', 'cin_g4', 'cout_g', 'cout_g4', 'cout_gb', 'groups', 'k4_total', 'ow_blocks', 'total', 'row_pitch',
    ...(word ? ['in_c4'] : ['x_img', 'x_ch', 'x_pix']),
  ].map(u32);
  const own: WgslPart = {
    idPart: '',
    bindings: [{ name: 'weights', kind: 'read-only-storage', type: 'array<vec4<u32>>' }],
    uniforms: geometry,
    code: '',
  };
  const input = qInputPart(c.read);
  const out = qOutputPart(c);

  const xBase = word
    ? (t: number) => `select(0u, ((n * params.in_h + u32(ih)) * params.in_w + u32(iw${t})) * params.in_c4 + grp * params.cin_g4, ok${t})`
    : (t: number) => `select(0u, n * params.x_img + grp * params.cin_g * params.x_ch + (u32(ih) * params.in_w + u32(iw${t})) * params.x_pix, ok${t})`;
  const loadX = word
    ? (t: number) => `qx_word(xb${t} + c4, ok${t}, mask)`
    : (t: number) => `qx_gather(vec4<u32>(xb${t}) + coff, lv & vec4<bool>(ok${t}))`;

  // 'unpackf32': exact f32 partial sums over chunks of at most QF32_CHUNK words of one tap, then added to i32.
  const f32 = isF32Dot(c);
  const acc = (v: number, t: number) => (f32 ? `f${v}_${t}` : `acc${v}_${t}`);
  const sum = (t: number) => (f32 ? `fs${t}` : `s${t}`);
  const ind = f32 ? '          ' : '        ';
  const step = [
    ...(word
      ? [`${ind}let mask = select(0xffffffffu, params.c_tail_mask, c4 + 1u == params.cin_g4);`]
      : [
          `${ind}let ci = vec4<u32>(4u * c4) + vec4<u32>(0u, 1u, 2u, 3u);`,
          `${ind}let lv = ci < vec4<u32>(params.cin_g);`,
          `${ind}let coff = ci * params.x_ch;`,
        ]),
    `${ind}let wi = wb + c4 * params.cout_g4;`,
    ...V.flatMap((v) => prepB(c, `w${v}`, `weights[wi${v ? ` + dv${v}` : ''}]`).map((x) => `${ind}${x}`)),
    ...T.flatMap((t) => [
      `${ind}${prepA(c, `x${t}`, loadX(t))}`,
      ...V.map((v) => `${ind}${macLine(c, acc(v, t), `x${t}`, `w${v}`)}`),
      ...(c.wzp ? [`${ind}${sum(t)} += ${sumExpr(c, `x${t}`)};`] : []),
    ]),
  ];
  const inner = [
    ...T.map((t) => `      let xb${t} = ${xBase(t)};`),
    ...(f32
      ? [
          `      for (var cc = 0u; cc < params.cin_g4; cc += ${QF32_CHUNK}u) {`,
          ...T.flatMap((t) => V.map((v) => `        var f${v}_${t} = vec4<f32>(0.0);`)),
          ...(c.wzp ? T.map((t) => `        var fs${t} = 0.0;`) : []),
          `        for (var c4 = cc; c4 < min(cc + ${QF32_CHUNK}u, params.cin_g4); c4++) {`,
          ...step,
          '        }',
          ...T.flatMap((t) => V.map((v) => `        acc${v}_${t} += vec4<i32>(f${v}_${t});`)),
          ...(c.wzp ? T.map((t) => `        s${t} += i32(fs${t});`) : []),
          '      }',
        ]
      : ['      for (var c4 = 0u; c4 < params.cin_g4; c4++) {', ...step, '      }']),
  ];

  const main = `
@compute @workgroup_size(${c.workgroupSize})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
${directBlockIndex(cv, tw)}
${V.slice(1)
  .map((v) => `  let dv${v} = min(${v}u, params.cout_g4 - 1u - co4); // stays inside the packed row when the block overhangs the group`)
  .join('\n')}
${T.flatMap((t) => V.map((v) => `  var acc${v}_${t} = vec4<i32>(0);`)).join('\n')}
${c.wzp ? T.map((t) => `  var s${t} = 0i;`).join('\n') : ''}
  for (var kh = 0u; kh < params.kernel_h; kh++) {
    let ih = i32(oh * params.stride_h + kh * params.dilation_h) - i32(params.pad_top);
    let rok = u32(ih) < params.in_h;
    for (var kw = 0u; kw < params.kernel_w; kw++) {
      let iw0 = i32(ow0 * params.stride_w + kw * params.dilation_w) - i32(params.pad_left);
${T.slice(1).map((t) => `      let iw${t} = iw0 + ${t} * i32(params.stride_w);`).join('\n')}
${T.map((t) => `      let ok${t} = rok && u32(iw${t}) < params.in_w;`).join('\n')}
      let wb = (grp * params.k4_total + (kh * params.kernel_w + kw) * params.cin_g4) * params.cout_g4 + co4;
${inner.join('\n')}
    }
  }
  let pix0 = (n * params.out_h + oh) * params.out_w + ow0;
  var res: array<vec4<i32>, ${cv * tw}>;
${T.flatMap((t) => V.map((v) => `  res[${v * tw + t}] = acc${v}_${t};`)).join('\n')}
${c.wzp ? `  var sums: array<i32, ${tw}>;\n${T.map((t) => `  sums[${t}] = s${t};`).join('\n')}` : ''}
  for (var v = 0u; v < ${cv}u; v++) {
    if (co4 + v >= params.cout_g4) {
      break;
    }
    let q = qcol(grp * params.cout_g4 + co4 + v);
    let c = grp * params.cout_g + (co4 + v) * 4u;
    let lanes = min(4u, params.cout_g - (co4 + v) * 4u);
    for (var t = 0u; t < ${tw}u; t++) {
      if (ow0 + t >= params.out_w) {
        break;
      }
      qstore(pix0 + t, c, lanes, res[v * ${tw}u + t], ${c.wzp ? 'sums[t]' : '0i'}, q);
    }
  }
}`;

  const header = `
Direct int8 convolution (${qDomainId(c)}, ${c.dot === 'dot4' ? 'packed dot4' : c.dot === 'unpack' ? 'unpacked bytes, i32' : `unpacked bytes, exact f32 over chunks of ${QF32_CHUNK} words`}), ${c.layout} in and out, output ${c.output}; weights [group][taps·cin_g4][cout_g4] vec4<u32> (format.ts, k layout tap4).
Thread mapping: linear index idx = gid.x + gid.y·row_pitch over total = batch·out_h·ow_blocks·groups·cout_gb, output-channel
block fastest (cout_gb = ceil(Cout_g / ${c.channels})); invocation idx computes ${c.channels} output channels of one group for the ${tw}
pixels ow0 .. ow0+${tw - 1} of row (n, oh): ${cv * tw} vec4<i32> accumulators${c.wzp ? ` and ${tw} patch sums` : ''}.
Loop: kh, kw, input channel words c4 < cin_g4; activation words ${word ? 'loaded whole (channel padding masked to x_zp)' : 'gathered from 4 bytes (lanes past Cin_g read x_zp)'}; taps outside the image read x_zp.
Workgroup memory: none. Barriers: none.
Dispatch: ceil(total / ${c.workgroupSize}) workgroups of ${c.workgroupSize}, split over (x, y) when x passes the device limit (row_pitch = x·${c.workgroupSize}).`;

  return composeKernel({ id, header, parts: [input, own, out], main, workgroupSize: [c.workgroupSize, 1, 1] });
}

/** A good config for `g`: 'word' reads when possible, 8 channels when a group has ≥ 8 outputs, whole-word stores. */
export function directI8ConfigFor(g: ConvGeometry, ops: Pick<QOperandConfig, 'layout' | 'input' | 'weights' | 'wzp' | 'output' | 'dot' | 'rounding'>): DirectI8Config {
  const cinG = g.inChannels / g.groups;
  const coutG = g.outChannels / g.groups;
  const { outWidth } = outputSize(g);
  const channels = coutG >= 8 ? 8 : 4;
  return {
    ...ops,
    read: canReadWords(ops.layout, g.groups, cinG) ? 'word' : 'byte',
    wordStore: canWordStore(ops.layout, ops.output, g.groups, coutG),
    channels,
    pixels: Math.min(channels === 8 ? 4 : 8, outWidth),
  };
}

/** Workgroups and every uniform of generateDirectI8Kernel(cfg) for `g`. */
export function directI8Dispatch(cfg: DirectI8Config, g: ConvGeometry, call: QCallValues, maxPerDim = 65535): QKernelDispatch {
  const c = normalizeDirectI8Config(cfg);
  const s = qWeightShape(g, 'tap4');
  if (c.read === 'word' && !canReadWords(c.layout, g.groups, s.cinG)) {
    throw new Error(`${directI8KernelId(c)}: read 'word' needs NHWC with groups == 1 or inChannels/groups % 4 == 0 (groups ${g.groups}, Cin_g ${s.cinG})`);
  }
  if (c.wordStore && !canWordStore(c.layout, c.output, g.groups, s.coutG)) {
    throw new Error(`${directI8KernelId(c)}: wordStore needs NHWC qlinear with groups == 1 or outChannels/groups % 4 == 0`);
  }
  const { outHeight: oh, outWidth: ow } = outputSize(g);
  const owBlocks = Math.ceil(ow / c.pixels);
  const coutGb = Math.ceil(s.coutG / c.channels);
  const total = g.batch * oh * owBlocks * g.groups * coutGb;
  const d = splitDispatch(total, c.workgroupSize, maxPerDim);
  const strides = inputByteStrides(c.layout, g.inChannels, g.inHeight, g.inWidth);
  const u: Record<string, number> = {
    in_h: g.inHeight, in_w: g.inWidth, out_h: oh, out_w: ow, kernel_h: g.kernelH, kernel_w: g.kernelW,
    stride_h: g.strides[0], stride_w: g.strides[1], pad_top: g.pads[0], pad_left: g.pads[1],
    dilation_h: g.dilations[0], dilation_w: g.dilations[1],
    cin_g: s.cinG, cin_g4: s.cinG4, cout_g: s.coutG, cout_g4: s.coutG4, cout_gb: coutGb, groups: g.groups, k4_total: s.k4,
    ow_blocks: owBlocks, total, row_pitch: d.rowPitch,
    in_c4: Math.ceil(g.inChannels / 4), c_tail_mask: channelTailMask(s.cinG), ...strides,
    ...qOutputGeometryUniforms(g.outChannels, oh, ow),
    ...qOperandUniforms(c, call),
  };
  const kernel = generateDirectI8Kernel(c);
  const uniforms: Record<string, number> = {};
  for (const f of kernel.uniforms) {
    if (!(f.name in u)) throw new Error(`directI8Dispatch: no value for uniform '${f.name}' of ${kernel.id}`);
    uniforms[f.name] = u[f.name];
  }
  return { workgroups: [d.x, d.y, 1], uniforms };
}
