/**
 * Generated depthwise convolution, fp32: groups == Cin, Cout = Cin·M (channel multiplier M ≥ 1); output
 * channel o = c·M + m reads input channel c = o / M. Any kernel size, stride, dilation and pads; NHWC or NCHW.
 *
 * One invocation computes 4 consecutive output channels (vec4) × `pixels` output pixels along W. Weights are
 * packed by the host (weight-pack.ts `packDepthwiseWeights`) as [kH·kW][cout4] vec4: one vec4 load per tap.
 * Input lanes are read per output channel (input channel (c+j)/M); with `vecInput` (NHWC, M = 1, C % 4 == 0)
 * the 4 input channels are one vec4 load.
 */
import type { ConvGeometry, Layout } from '../conv/types.ts';
import { outputSize } from '../conv/geometry.ts';
import { composeKernel, type WgslPart } from './compose.ts';
import { CONV_GEOMETRY_UNIFORMS, checkTile, definedOnly, convGeometryUniforms, splitDispatch, storeOutCode, type DispatchOptions, type KernelDispatch } from './direct.ts';
import { epiloguePart, type EpilogueConfig } from './epilogue.ts';
import type { KernelSource, UniformField } from './types.ts';
import { epilogueUniformValues, isDepthwise } from './weight-pack.ts';

export interface DepthwiseKernelConfig {
  layout: Layout;
  epilogue: EpilogueConfig;
  /** Output pixels along W per invocation (each with 4 output channels), 1..8; default 4. */
  pixels?: number;
  /** NHWC only, channel multiplier 1 and C % 4 == 0: read the 4 input channels as one vec4. */
  vecInput?: boolean;
  /**
   * Sliding window along W: needs stride_w == dilation_w (then pixel t at tap kw reads column s·(t + kw) past the
   * first), so each tap after the first loads one new input vec4 instead of `pixels`.
   */
  slide?: boolean;
  /** Invocations per workgroup (1-D), a multiple of 4 up to 256; default 64. */
  workgroupSize?: number;
}

export const DEPTHWISE_DEFAULTS = { pixels: 4, vecInput: false, slide: false, workgroupSize: 64 } as const;

export function normalizeDepthwiseConfig(cfg: DepthwiseKernelConfig): Required<DepthwiseKernelConfig> {
  const c = { ...DEPTHWISE_DEFAULTS, ...definedOnly(cfg) } as Required<DepthwiseKernelConfig>;
  if (c.layout !== 'NHWC' && c.layout !== 'NCHW') throw new Error(`DepthwiseKernelConfig.layout = ${JSON.stringify(c.layout)}: must be 'NHWC' or 'NCHW'`);
  checkTile('DepthwiseKernelConfig', c.pixels, c.workgroupSize);
  if (c.vecInput && c.layout !== 'NHWC') throw new Error("DepthwiseKernelConfig.vecInput = true: only with layout 'NHWC'");
  return c;
}

/** Kernel ID, e.g. `dwconv_f32_nhwc_c4x4_bias_relu6`, `dwconv_f32_nhwc_c4x4_v4_bias`. */
export function depthwiseKernelId(cfg: DepthwiseKernelConfig): string {
  const c = normalizeDepthwiseConfig(cfg);
  return [
    'dwconv_f32',
    c.layout.toLowerCase(),
    `c4x${c.pixels}`,
    c.vecInput ? 'v4' : '',
    c.slide ? 'slide' : '',
    c.workgroupSize !== DEPTHWISE_DEFAULTS.workgroupSize ? `wg${c.workgroupSize}` : '',
    epiloguePart(c.epilogue).idPart,
  ]
    .filter(Boolean)
    .join('_');
}

const u32 = (name: string): UniformField => ({ name, type: 'u32' });

export function generateDepthwiseKernel(cfg: DepthwiseKernelConfig): KernelSource {
  const c = normalizeDepthwiseConfig(cfg);
  const tw = c.pixels;
  const ts = [...Array(tw).keys()];

  // fn load_x(rb, iw, cb, ic): the 4 input channels of output channels 4·cb .. 4·cb+3 at column iw of the input row
  // rb (NHWC: n·in_h + ih; NCHW: (n·in_c)·in_h + ih, the channel offset comes from ic); 0 outside the image.
  const at =
    c.layout === 'NHWC'
      ? c.vecInput
        ? ['  return select(vec4<f32>(0.0), input[((rb * params.in_w + u32(clamp(iw, 0, iw_max))) * params.in_c) / 4u + cb], ok);']
        : [
            '  let b = (rb * params.in_w + u32(clamp(iw, 0, iw_max))) * params.in_c;',
            '  return select(vec4<f32>(0.0), vec4<f32>(input[b + ic.x], input[b + ic.y], input[b + ic.z], input[b + ic.w]), ok);',
          ]
      : [
          '  let hw = params.in_h * params.in_w;',
          '  let b = rb * params.in_w + u32(clamp(iw, 0, iw_max));',
          '  return select(vec4<f32>(0.0), vec4<f32>(input[b + ic.x * hw], input[b + ic.y * hw], input[b + ic.z * hw], input[b + ic.w * hw]), ok);',
        ];
  const loadFn = [
    'fn load_x(rb: u32, iw: i32, cb: u32, ic: vec4<u32>) -> vec4<f32> {',
    '  let iw_max = i32(params.in_w) - 1;',
    '  let ok = iw >= 0 && iw <= iw_max;',
    ...at,
    '}',
  ].join('\n');
  const part: WgslPart = {
    idPart: '',
    bindings: [
      { name: 'input', kind: 'read-only-storage', type: c.vecInput ? 'array<vec4<f32>>' : 'array<f32>' },
      { name: 'weights', kind: 'read-only-storage', type: 'array<vec4<f32>>' },
      { name: 'output', kind: 'storage', type: 'array<f32>' },
    ],
    uniforms: [...CONV_GEOMETRY_UNIFORMS, ...['multiplier', 'out_c4', 'ow_blocks', 'total', 'row_pitch'].map(u32)],
    code: `${storeOutCode(c.layout)}\n${loadFn}`,
  };
  const rowBase = c.layout === 'NHWC' ? 'n * params.in_h + u32(ih)' : 'n * params.in_c * params.in_h + u32(ih)';

  const taps = c.slide
    ? `
    // stride_w == dilation_w = s: pixel t at tap kw reads column iwb + s·(t + kw), so the window slides by one.
    let iwb = i32(ow0 * params.stride_w) - i32(params.pad_left);
    let s = i32(params.stride_w);
${ts.map((t) => `    var x${t} = load_x(rb, iwb${t ? ` + ${t} * s` : ''}, cb, ic);`).join('\n')}
    for (var kw = 0u; kw < params.kernel_w; kw++) {
      if (kw > 0u) {
${ts.slice(1).map((t) => `        x${t - 1} = x${t};`).join('\n')}
        x${tw - 1} = load_x(rb, iwb + i32(kw + ${tw - 1}u) * s, cb, ic);
      }
      let w = weights[(kh * params.kernel_w + kw) * params.out_c4 + cb];
${ts.map((t) => `      acc${t} = fma(x${t}, w, acc${t});`).join('\n')}
    }`
    : `
    for (var kw = 0u; kw < params.kernel_w; kw++) {
      let iw0 = i32(ow0 * params.stride_w + kw * params.dilation_w) - i32(params.pad_left);
      let w = weights[(kh * params.kernel_w + kw) * params.out_c4 + cb];
${ts.map((t) => `      acc${t} = fma(load_x(rb, iw0${t ? ` + ${t} * i32(params.stride_w)` : ''}, cb, ic), w, acc${t});`).join('\n')}
    }`;

  const main = `
@compute @workgroup_size(${c.workgroupSize})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * params.row_pitch;
  if (idx >= params.total) {
    return;
  }
  let cb = idx % params.out_c4;
  var rest = idx / params.out_c4;
  let owb = rest % params.ow_blocks;
  rest = rest / params.ow_blocks;
  let oh = rest % params.out_h;
  let n = rest / params.out_h;
  let ow0 = owb * ${tw}u;
  let c = cb * 4u;
  let last = params.out_c - 1u;
  let ic = vec4<u32>(min(c, last), min(c + 1u, last), min(c + 2u, last), min(c + 3u, last)) / params.multiplier;
${ts.map((t) => `  var acc${t} = vec4<f32>(0.0);`).join('\n')}
  for (var kh = 0u; kh < params.kernel_h; kh++) {
    let ih = i32(oh * params.stride_h + kh * params.dilation_h) - i32(params.pad_top);
    if (ih < 0 || ih >= i32(params.in_h)) {
      continue;
    }
    let rb = ${rowBase};${taps}
  }
  let lanes = min(4u, params.out_c - c);
  let pix0 = (n * params.out_h + oh) * params.out_w + ow0;
  var res: array<vec4<f32>, ${tw}>;
${ts.map((t) => `  res[${t}] = acc${t};`).join('\n')}
  for (var t = 0u; t < min(${tw}u, params.out_w - ow0); t++) {
    store_out(res[t], pix0 + t, c, lanes);
  }
}`;

  const header = `
Depthwise convolution, fp32, ${c.layout} input and output, channel multiplier M (uniform 'multiplier'), weights packed
[kH·kW][out_c4] vec4 (weight-pack.ts). Output channel o reads input channel o / M.
Thread mapping: linear index idx = gid.x + gid.y·row_pitch over total = batch·out_h·ow_blocks·out_c4, channel block
fastest; invocation idx computes output channels 4·cb .. 4·cb+3 (vec4) of the ${tw} pixels ow0 .. ow0+${tw - 1} of row
(n, oh), ow_blocks = ceil(out_w / ${tw}). Input: ${c.vecInput ? 'one vec4 load per pixel (M = 1, C % 4 == 0)' : '4 scalar loads per pixel'}; taps outside read 0;
${c.slide ? `sliding window along W (stride_w == dilation_w): ${tw} pixels loaded at kw = 0, one more per further tap.` : `${tw} pixels loaded per tap.`}
Workgroup memory: none. Barriers: none.
Dispatch: ceil(total / ${c.workgroupSize}) workgroups of ${c.workgroupSize}, split over (x, y) when x passes the device limit (row_pitch = x·${c.workgroupSize}).`;

  return composeKernel({ id: depthwiseKernelId(c), header, parts: [part, epiloguePart(c.epilogue)], main, workgroupSize: [c.workgroupSize, 1, 1] });
}

/** Uniform values and workgroup counts of generateDepthwiseKernel(cfg) for geometry `g`. */
export function depthwiseDispatch(cfg: DepthwiseKernelConfig, g: ConvGeometry, opts: DispatchOptions = {}): KernelDispatch {
  const c = normalizeDepthwiseConfig(cfg);
  const id = depthwiseKernelId(c);
  if (!isDepthwise(g)) {
    throw new Error(`${id}: groups = ${g.groups}: needs groups == inChannels (${g.inChannels}) and outChannels (${g.outChannels}) a multiple of it`);
  }
  const multiplier = g.outChannels / g.inChannels;
  if (c.slide && g.strides[1] !== g.dilations[1]) {
    throw new Error(`${id}: slide needs stride_w == dilation_w (got ${g.strides[1]} and ${g.dilations[1]})`);
  }
  if (c.vecInput && (multiplier !== 1 || g.inChannels % 4 !== 0)) {
    throw new Error(`${id}: vecInput needs channel multiplier 1 (got ${multiplier}) and channels a multiple of 4 (got ${g.inChannels})`);
  }
  const { outHeight, outWidth } = outputSize(g);
  const owBlocks = Math.ceil(outWidth / c.pixels);
  const outC4 = Math.ceil(g.outChannels / 4);
  const total = g.batch * outHeight * owBlocks * outC4;
  const d = splitDispatch(total, c.workgroupSize, opts.maxWorkgroupsPerDimension);
  return {
    workgroups: [d.x, d.y, 1],
    uniforms: {
      ...convGeometryUniforms(g),
      multiplier, out_c4: outC4, ow_blocks: owBlocks, total, row_pitch: d.rowPitch,
      ...epilogueUniformValues(c.epilogue, g.outChannels, opts.alpha, outHeight * outWidth),
    },
  };
}

/** A good tile for depthwise `g` in `layout`: vec4 input when possible, the sliding window when stride_w == dilation_w. */
export function depthwiseConfigFor(g: ConvGeometry, layout: Layout, epilogue: EpilogueConfig): DepthwiseKernelConfig {
  const { outWidth } = outputSize(g);
  return {
    layout,
    epilogue,
    pixels: Math.min(4, outWidth),
    vecInput: layout === 'NHWC' && g.outChannels === g.inChannels && g.inChannels % 4 === 0,
    slide: g.strides[1] === g.dilations[1],
  };
}
