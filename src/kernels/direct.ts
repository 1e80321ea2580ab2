/**
 * Generated direct convolution, fp32: the fallback that serves every geometry the conformance schema
 * expresses (any kernel size, strides, asymmetric pads, dilations, groups; NHWC or NCHW in and out).
 *
 * Register blocking: one invocation computes `channels` (4 or 8) output channels (1 or 2 vec4, within one
 * group) × `pixels` output pixels along W. Weights are packed by the host (weight-pack.ts
 * `packGroupedWeights`) as [group][k_pad][cout_g4] vec4. Each step of the inner loop takes 4 input channels of
 * one tap: 4·channels/4 weight vec4 and `pixels` input vec4 feed 4·(channels/4)·`pixels` vec4 FMAs. The input
 * vec4 is one load with `vecInput` (NHWC and Cin/groups a multiple of 4), else 4 masked scalar loads. On
 * SwiftShader every load is a per-lane gather costing tens of FMAs, so the larger tiles pay.
 *
 * Geometry is all uniforms; the config (layout, epilogue, tile) is all in the kernel ID.
 */
import type { ConvGeometry, Layout } from '../conv/types.ts';
import { outputSize } from '../conv/geometry.ts';
import { composeKernel, type WgslPart } from './compose.ts';
import { epiloguePart, type EpilogueConfig, type EpilogueParams } from './epilogue.ts';
import type { KernelSource, UniformField } from './types.ts';
import { epilogueUniformValues, groupedPackShape } from './weight-pack.ts';

export interface DirectKernelConfig {
  layout: Layout;
  epilogue: EpilogueConfig;
  /** Output channels per invocation: 4 (one vec4) or 8 (two vec4 of the same group); default 4. */
  channels?: 4 | 8;
  /** Output pixels along W per invocation, 1..8; default 4. */
  pixels?: number;
  /** NHWC only: read the input as vec4 over input channels; the geometry must have (Cin / groups) % 4 == 0. */
  vecInput?: boolean;
  /** Invocations per workgroup (1-D), a multiple of 4 up to 256; default 64. */
  workgroupSize?: number;
}

/** A dispatch ready to encode: workgroup counts and every uniform value of the kernel. */
export interface KernelDispatch {
  workgroups: [number, number, number];
  uniforms: Record<string, number>;
}

export const DIRECT_DEFAULTS = { channels: 4, pixels: 4, vecInput: false, workgroupSize: 64 } as const;

export function normalizeDirectConfig(cfg: DirectKernelConfig): Required<DirectKernelConfig> {
  const c = { ...DIRECT_DEFAULTS, ...definedOnly(cfg) } as Required<DirectKernelConfig>;
  if (c.layout !== 'NHWC' && c.layout !== 'NCHW') throw new Error(`DirectKernelConfig.layout = ${JSON.stringify(c.layout)}: must be 'NHWC' or 'NCHW'`);
  checkTile('DirectKernelConfig', c.pixels, c.workgroupSize);
  if (c.channels !== 4 && c.channels !== 8) throw new Error(`DirectKernelConfig.channels = ${c.channels}: must be 4 or 8`);
  if (c.vecInput && c.layout !== 'NHWC') throw new Error("DirectKernelConfig.vecInput = true: only with layout 'NHWC' (channels contiguous)");
  return c;
}

/** `o` without its undefined fields, so that spreading it over defaults keeps the defaults. */
export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function checkTile(what: string, pixels: number, wg: number): void {
  if (!Number.isInteger(pixels) || pixels < 1 || pixels > 8) throw new Error(`${what}.pixels = ${pixels}: must be an integer in 1..8`);
  if (!Number.isInteger(wg) || wg < 4 || wg > 256 || wg % 4 !== 0) throw new Error(`${what}.workgroupSize = ${wg}: must be a multiple of 4 in 4..256`);
}

/** Kernel ID, e.g. `direct_f32_nhwc_c4x4_bias_relu`, `direct_f32_nhwc_c4x4_ci4_bias_relu`, `direct_f32_nchw_c4x2_wg128`. */
export function directKernelId(cfg: DirectKernelConfig): string {
  const c = normalizeDirectConfig(cfg);
  const epi = epiloguePart(c.epilogue).idPart;
  return [
    'direct_f32',
    c.layout.toLowerCase(),
    `c${c.channels}x${c.pixels}`,
    c.vecInput ? 'ci4' : '',
    c.workgroupSize !== DIRECT_DEFAULTS.workgroupSize ? `wg${c.workgroupSize}` : '',
    epi,
  ]
    .filter(Boolean)
    .join('_');
}

const u32 = (name: string): UniformField => ({ name, type: 'u32' });

/** Geometry uniforms shared by the direct and depthwise kernels (same names, same order). */
export const CONV_GEOMETRY_UNIFORMS: UniformField[] = [
  'batch', 'in_h', 'in_w', 'in_c', 'out_h', 'out_w', 'out_c', 'groups',
  'kernel_h', 'kernel_w', 'stride_h', 'stride_w', 'pad_top', 'pad_left', 'dilation_h', 'dilation_w',
].map(u32);

/** Values of CONV_GEOMETRY_UNIFORMS for `g`. */
export function convGeometryUniforms(g: ConvGeometry): Record<string, number> {
  const { outHeight, outWidth } = outputSize(g);
  return {
    batch: g.batch, in_h: g.inHeight, in_w: g.inWidth, in_c: g.inChannels,
    out_h: outHeight, out_w: outWidth, out_c: g.outChannels, groups: g.groups,
    kernel_h: g.kernelH, kernel_w: g.kernelW, stride_h: g.strides[0], stride_w: g.strides[1],
    pad_top: g.pads[0], pad_left: g.pads[1], dilation_h: g.dilations[0], dilation_w: g.dilations[1],
  };
}

/**
 * WGSL `fn store_out(v, pix, c, lanes)`: applies the epilogue to output channels c .. c+lanes−1 of linear output
 * pixel `pix` and writes them in `layout` (binding `output`, array<f32>). epilogue4 when all 4 lanes are
 * valid, epilogue1 per lane otherwise (so no bias/slope index reaches past the padded channel count).
 * Reads params.out_c, params.out_h, params.out_w.
 */
export function storeOutCode(layout: Layout): string {
  const addr =
    layout === 'NHWC'
      ? ['  let base = pix * params.out_c + c;', '  let cs = 1u;']
      : ['  let hw = params.out_h * params.out_w;', '  let base = ((pix / hw) * params.out_c + c) * hw + pix % hw;', '  let cs = hw;'];
  return [
    'fn store_out(v: vec4<f32>, pix: u32, c: u32, lanes: u32) {',
    ...addr,
    '  if (lanes >= 4u) {',
    '    let r = epilogue4(v, pix, c);',
    '    output[base] = r.x;',
    '    output[base + cs] = r.y;',
    '    output[base + 2u * cs] = r.z;',
    '    output[base + 3u * cs] = r.w;',
    '    return;',
    '  }',
    '  for (var j = 0u; j < lanes; j++) {',
    '    output[base + j * cs] = epilogue1(v[j], pix, c + j);',
    '  }',
    '}',
  ].join('\n');
}

/**
 * The thread mapping shared by the direct kernels (f32 and int8): the linear invocation index (with its early
 * return past `total`) split into the output-channel block cb (fastest: group grp, first channel co4), the block of
 * `tw` output pixels along W (ow0), the output row oh and the image n.
 */
export function directBlockIndex(cv: number, tw: number): string {
  return `  let idx = gid.x + gid.y * params.row_pitch;
  if (idx >= params.total) {
    return;
  }
  let co_blocks = params.groups * params.cout_gb;
  let cb = idx % co_blocks;
  var rest = idx / co_blocks;
  let owb = rest % params.ow_blocks;
  rest = rest / params.ow_blocks;
  let oh = rest % params.out_h;
  let n = rest / params.out_h;
  let grp = cb / params.cout_gb;
  let co4 = (cb % params.cout_gb) * ${cv}u;
  let ow0 = owb * ${tw}u;`;
}

export function generateDirectKernel(cfg: DirectKernelConfig): KernelSource {
  const c = normalizeDirectConfig(cfg);
  const tw = c.pixels;
  const cv = c.channels / 4;
  const id = directKernelId(c);
  const ts = [...Array(tw).keys()];
  const vs = [...Array(cv).keys()];
  const tv = ts.flatMap((t) => vs.map((v) => [t, v] as const));
  const part: WgslPart = {
    idPart: '',
    bindings: [
      { name: 'input', kind: 'read-only-storage', type: c.vecInput ? 'array<vec4<f32>>' : 'array<f32>' },
      { name: 'weights', kind: 'read-only-storage', type: 'array<vec4<f32>>' },
      { name: 'output', kind: 'storage', type: 'array<f32>' },
    ],
    uniforms: [...CONV_GEOMETRY_UNIFORMS, ...['cin_g', 'cout_g', 'cout_g4', 'cout_gb', 'k_pad', 'ow_blocks', 'total', 'row_pitch'].map(u32)],
    code: storeOutCode(c.layout),
  };
  const epi = epiloguePart(c.epilogue);

  // Input address of pixel t's tap (before adding the channel), with channel stride `cs`.
  const xBase =
    c.layout === 'NHWC'
      ? (t: number) => `((n * params.in_h + u32(ih)) * params.in_w + u32(clamp(iw${t}, 0, iw_max))) * params.in_c + ci0`
      : (t: number) => `((n * params.in_c + ci0) * params.in_h + u32(ih)) * params.in_w + u32(clamp(iw${t}, 0, iw_max))`;
  const chanStride = c.layout === 'NHWC' ? '1u' : 'params.in_h * params.in_w';
  const lanes4 = ['x', 'y', 'z', 'w'];

  // One step = 4 input channels: 4·channels/4 weight vec4, `pixels` input vec4, 4·(channels/4)·pixels vec4 FMAs.
  // Scalar input: lanes past Cin_g read 0 (their weights, from the next tap or the zero padding, do not matter).
  const loadX = c.vecInput
    ? (t: number) => `select(vec4<f32>(0.0), input[xb${t} + ci / 4u], ok${t})`
    : (t: number) =>
        `vec4<f32>(${[0, 1, 2, 3]
          .map((j) => `select(0.0, input[xb${t} + ${j ? `(ci + ${j}u)` : 'ci'} * cs], ok${t}${j ? ` && m${j}` : ''})`)
          .join(', ')})`;
  const inner = [
    ...ts.map((t) => (c.vecInput ? `      let xb${t} = (${xBase(t)}) / 4u;` : `      let xb${t} = ${xBase(t)};`)),
    '      for (var ci = 0u; ci < params.cin_g; ci += 4u) {',
    ...(c.vecInput ? [] : [1, 2, 3].map((j) => `        let m${j} = ci + ${j}u < params.cin_g;`)),
    '        let wi = wb + ci * params.cout_g4;',
    ...vs.flatMap((v) => [0, 1, 2, 3].map((j) => `        let w${v}${j} = weights[wi${v ? ` + dv${v}` : ''}${j ? ` + ${j}u * params.cout_g4` : ''}];`)),
    ...ts.map((t) => `        let x${t} = ${loadX(t)};`),
    ...tv.flatMap(([t, v]) => [0, 1, 2, 3].map((j) => `        acc${v}${t} = fma(vec4<f32>(x${t}.${lanes4[j]}), w${v}${j}, acc${v}${t});`)),
    '      }',
  ];

  // The accumulators go through one store loop, so the epilogue is inlined once, not channels/4·pixels times.
  const stores = [
    `  var res: array<vec4<f32>, ${tw * cv}>;`,
    ...tv.map(([t, v]) => `  res[${v * tw + t}] = acc${v}${t};`),
    `  for (var i = 0u; i < ${tw * cv}u; i++) {`,
    `    let t = i % ${tw}u;`,
    `    let co = co4 + i / ${tw}u;`,
    '    if (ow0 + t < params.out_w && co < params.cout_g4) {',
    '      store_out(res[i], pix0 + t, grp * params.cout_g + co * 4u, min(4u, params.cout_g - co * 4u));',
    '    }',
    '  }',
  ];

  const main = `
@compute @workgroup_size(${c.workgroupSize})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
${directBlockIndex(cv, tw)}
  let ci0 = grp * params.cin_g;
  let cs = ${chanStride};
  let iw_max = i32(params.in_w) - 1;
${vs
  .slice(1)
  .map((v) => `  let dv${v} = min(${v}u, params.cout_g4 - 1u - co4); // stays inside the packed row when the block overhangs the group`)
  .join('\n')}
${tv.map(([t, v]) => `  var acc${v}${t} = vec4<f32>(0.0);`).join('\n')}
  for (var kh = 0u; kh < params.kernel_h; kh++) {
    let ih = i32(oh * params.stride_h + kh * params.dilation_h) - i32(params.pad_top);
    if (ih < 0 || ih >= i32(params.in_h)) {
      continue;
    }
    for (var kw = 0u; kw < params.kernel_w; kw++) {
      let iw0 = i32(ow0 * params.stride_w + kw * params.dilation_w) - i32(params.pad_left);
${ts.slice(1).map((t) => `      let iw${t} = iw0 + ${t} * i32(params.stride_w);`).join('\n')}
${ts.map((t) => `      let ok${t} = iw${t} >= 0 && iw${t} <= iw_max;`).join('\n')}
      let wb = (grp * params.k_pad + (kh * params.kernel_w + kw) * params.cin_g) * params.cout_g4 + co4;
${inner.join('\n')}
    }
  }
  let pix0 = (n * params.out_h + oh) * params.out_w + ow0;
${stores.join('\n')}
}`;

  const header = `
Direct convolution, fp32, ${c.layout} input and output, weights packed [group][k_pad][cout_g4] vec4 (weight-pack.ts).
Thread mapping: linear index idx = gid.x + gid.y·row_pitch over total = batch·out_h·ow_blocks·groups·cout_gb,
output-channel block fastest (cout_gb = ceil(Cout_g / ${c.channels}) blocks per group); invocation idx computes the
${c.channels} output channels of its block (${cv} vec4, one group) for the ${tw} pixels ow0 .. ow0+${tw - 1} of row (n, oh),
ow0 = ${tw}·(idx / (groups·cout_gb) % ow_blocks), ow_blocks = ceil(out_w / ${tw}).
Loop: kh, kw, then input channels 4 at a time; input ${c.vecInput ? 'as one vec4 of 4 channels (Cin/groups % 4 == 0)' : 'as 4 scalars (channels past Cin/groups read 0)'}; taps outside the image read 0.
Workgroup memory: none. Barriers: none.
Dispatch: ceil(total / ${c.workgroupSize}) workgroups of ${c.workgroupSize}, split over (x, y) when x passes the device limit (row_pitch = x·${c.workgroupSize}).`;

  return composeKernel({ id, header, parts: [part, epi], main, workgroupSize: [c.workgroupSize, 1, 1] });
}

/**
 * Workgroup counts for `total` invocations in 1-D, split over y when x would pass `maxPerDim`; returns the x
 * pitch (invocations per y row) from which the kernel rebuilds the linear index.
 */
export function splitDispatch(total: number, workgroupSize: number, maxPerDim = 65535): { x: number; y: number; rowPitch: number } {
  const groups = Math.max(1, Math.ceil(total / workgroupSize));
  if (groups <= maxPerDim) return { x: groups, y: 1, rowPitch: groups * workgroupSize };
  const y = Math.ceil(groups / maxPerDim);
  const x = Math.ceil(groups / y);
  if (y > maxPerDim) throw new Error(`dispatch of ${total} invocations exceeds ${maxPerDim}² workgroups of ${workgroupSize}`);
  return { x, y, rowPitch: x * workgroupSize };
}

export interface DispatchOptions {
  /** device.limits.maxComputeWorkgroupsPerDimension (default 65535). */
  maxWorkgroupsPerDimension?: number;
  /** The epilogue's activation parameters, or a number: leakyrelu's slope (default 0.2). */
  alpha?: number | EpilogueParams;
}

/** Uniform values and workgroup counts of generateDirectKernel(cfg) for geometry `g`. */
export function directDispatch(cfg: DirectKernelConfig, g: ConvGeometry, opts: DispatchOptions = {}): KernelDispatch {
  const c = normalizeDirectConfig(cfg);
  const s = groupedPackShape(g);
  if (c.vecInput && s.cinG % 4 !== 0) {
    throw new Error(`${directKernelId(c)}: vecInput needs inChannels / groups (${s.cinG}) to be a multiple of 4`);
  }
  const { outHeight, outWidth } = outputSize(g);
  const owBlocks = Math.ceil(outWidth / c.pixels);
  const coutGb = Math.ceil(s.coutG / c.channels);
  const total = g.batch * outHeight * owBlocks * g.groups * coutGb;
  const d = splitDispatch(total, c.workgroupSize, opts.maxWorkgroupsPerDimension);
  return {
    workgroups: [d.x, d.y, 1],
    uniforms: {
      ...convGeometryUniforms(g),
      cin_g: s.cinG, cout_g: s.coutG, cout_g4: s.coutG4, cout_gb: coutGb, k_pad: s.kPad, ow_blocks: owBlocks, total, row_pitch: d.rowPitch,
      ...epilogueUniformValues(c.epilogue, g.outChannels, opts.alpha, outHeight * outWidth),
    },
  };
}

/**
 * A good tile for `g` in `layout`: vec4 input when NHWC and Cin/groups % 4 == 0; 8 channels a thread when a group
 * has at least 8 output channels, else 4 channels and more pixels; never more pixels than the output row has.
 */
export function directConfigFor(g: ConvGeometry, layout: Layout, epilogue: EpilogueConfig): DirectKernelConfig {
  const s = groupedPackShape(g);
  const { outWidth } = outputSize(g);
  const channels = s.coutG >= 8 ? 8 : 4;
  return { layout, epilogue, channels, pixels: Math.min(channels === 8 ? 4 : 8, outWidth), vecInput: layout === 'NHWC' && s.cinG % 4 === 0 };
}
