/**
 * Host-side packing of convolution weights into the layouts the generated fallback kernels read, and host
 * expansion of bias / PReLU tensors for the shared epilogue (./epilogue.ts). Pure functions returning new
 * Float32Arrays; nothing here touches the GPU.
 *
 * Layouts (all zero padded; `cout_g4 = ceil(Cout_g / 4)`, `k_pad = 4·ceil(K / 4)`, K = kH·kW·Cin_g):
 *   grouped  [group][k_pad][cout_g4·4]   k = (kh·kW + kw)·Cin_g + ci    direct kernel and im2col GEMM B operand
 *   depthwise [kH·kW][cout4·4]           output channel o = c·M + m     depthwise kernel (groups = Cin)
 * Both are read as array<vec4<f32>> over 4 consecutive output channels (of one group).
 */
import { weightShape, type BroadcastTensor, type ConvGeometry, type Layout, type WeightLayout } from '../conv/types.ts';
import { outputSize } from '../conv/geometry.ts';
import { expandBroadcast } from '../conv/tensor-layout.ts';
import { ACTIVATION_PARAM_DEFAULTS, activationUniforms, type ActivationParams, type EpilogueConfig, type EpilogueParams } from './epilogue.ts';
import type { ActivationType } from '../conv/types.ts';

/** Rounds up to a multiple of 4. */
export const pad4 = (n: number): number => Math.ceil(n / 4) * 4;

/** Dimensions of the grouped packing for `g`. */
export interface GroupedPackShape {
  groups: number;
  cinG: number;
  coutG: number;
  /** K = kH·kW·Cin_g */
  k: number;
  /** 4·ceil(K / 4): rows per group */
  kPad: number;
  /** ceil(Cout_g / 4): vec4 columns per row */
  coutG4: number;
}

export function groupedPackShape(g: ConvGeometry): GroupedPackShape {
  const cinG = g.inChannels / g.groups;
  const coutG = g.outChannels / g.groups;
  const k = g.kernelH * g.kernelW * cinG;
  return { groups: g.groups, cinG, coutG, k, kPad: pad4(k), coutG4: Math.ceil(coutG / 4) };
}

/** Index of weight (o, i, y, x) (o: output channel, i: in-channel within the group) in `layout`. */
function weightIndex(layout: WeightLayout, g: ConvGeometry, o: number, i: number, y: number, x: number): number {
  const cinG = g.inChannels / g.groups;
  return layout === 'OIHW' ? ((o * cinG + i) * g.kernelH + y) * g.kernelW + x : ((y * g.kernelW + x) * cinG + i) * g.outChannels + o;
}

function checkLength(what: string, data: ArrayLike<number>, want: number, shape: readonly number[]): void {
  if (data.length !== want) throw new Error(`${what}: ${data.length} values given, the shape [${shape.join(', ')}] needs ${want}`);
}

/** Visits every weight element: cb(o, i, y, x, packedIndex). */
function forEachGrouped(g: ConvGeometry, cb: (o: number, i: number, y: number, x: number, p: number) => void): void {
  const s = groupedPackShape(g);
  const colPad = s.coutG4 * 4;
  for (let grp = 0; grp < s.groups; grp++) {
    for (let oc = 0; oc < s.coutG; oc++) {
      const o = grp * s.coutG + oc;
      for (let y = 0; y < g.kernelH; y++) {
        for (let x = 0; x < g.kernelW; x++) {
          for (let i = 0; i < s.cinG; i++) {
            const k = (y * g.kernelW + x) * s.cinG + i;
            cb(o, i, y, x, (grp * s.kPad + k) * colPad + oc);
          }
        }
      }
    }
  }
}

/** Packs OIHW or HWIO weights into [group][k_pad][cout_g4·4] (direct kernel, im2col GEMM). */
export function packGroupedWeights(w: ArrayLike<number>, layout: WeightLayout, g: ConvGeometry): Float32Array {
  const shape = weightShape(g, layout);
  checkLength(`packGroupedWeights (${layout})`, w, shape.reduce((a, b) => a * b, 1), shape);
  const s = groupedPackShape(g);
  const out = new Float32Array(s.groups * s.kPad * s.coutG4 * 4);
  forEachGrouped(g, (o, i, y, x, p) => {
    out[p] = w[weightIndex(layout, g, o, i, y, x)];
  });
  return out;
}

/** Inverse of packGroupedWeights: the weights back in `layout`. */
export function unpackGroupedWeights(packed: ArrayLike<number>, layout: WeightLayout, g: ConvGeometry): Float32Array {
  const s = groupedPackShape(g);
  const shape = weightShape(g, layout);
  checkLength('unpackGroupedWeights', packed, s.groups * s.kPad * s.coutG4 * 4, [s.groups, s.kPad, s.coutG4 * 4]);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  forEachGrouped(g, (o, i, y, x, p) => {
    out[weightIndex(layout, g, o, i, y, x)] = packed[p];
  });
  return out;
}

/** True when `g` is a depthwise convolution (groups = Cin, channel multiplier M = Cout / Cin ≥ 1). */
export function isDepthwise(g: ConvGeometry): boolean {
  return g.groups === g.inChannels && g.outChannels % g.inChannels === 0;
}

function requireDepthwise(what: string, g: ConvGeometry): void {
  if (!isDepthwise(g)) {
    throw new Error(`${what}: groups = ${g.groups}: a depthwise convolution needs groups == inChannels (${g.inChannels}) and outChannels (${g.outChannels}) a multiple of it`);
  }
}

/** Packs depthwise weights (OIHW [Cout,1,kH,kW] or HWIO [kH,kW,1,Cout]) into [kH·kW][cout4·4]. */
export function packDepthwiseWeights(w: ArrayLike<number>, layout: WeightLayout, g: ConvGeometry): Float32Array {
  requireDepthwise('packDepthwiseWeights', g);
  const shape = weightShape(g, layout);
  checkLength(`packDepthwiseWeights (${layout})`, w, shape.reduce((a, b) => a * b, 1), shape);
  const cpad = pad4(g.outChannels);
  const out = new Float32Array(g.kernelH * g.kernelW * cpad);
  for (let y = 0; y < g.kernelH; y++) {
    for (let x = 0; x < g.kernelW; x++) {
      for (let o = 0; o < g.outChannels; o++) out[(y * g.kernelW + x) * cpad + o] = w[weightIndex(layout, g, o, 0, y, x)];
    }
  }
  return out;
}

/** Inverse of packDepthwiseWeights. */
export function unpackDepthwiseWeights(packed: ArrayLike<number>, layout: WeightLayout, g: ConvGeometry): Float32Array {
  requireDepthwise('unpackDepthwiseWeights', g);
  const cpad = pad4(g.outChannels);
  checkLength('unpackDepthwiseWeights', packed, g.kernelH * g.kernelW * cpad, [g.kernelH * g.kernelW, cpad]);
  const out = new Float32Array(g.kernelH * g.kernelW * g.outChannels);
  for (let y = 0; y < g.kernelH; y++) {
    for (let x = 0; x < g.kernelW; x++) {
      for (let o = 0; o < g.outChannels; o++) out[weightIndex(layout, g, o, 0, y, x)] = packed[(y * g.kernelW + x) * cpad + o];
    }
  }
  return out;
}

// ---- epilogue operands ------------------------------------------------------------------------------------

/** A channel vector (length C, or 1 to repeat) padded with zeros to ceil(C/4)·4. */
export function channelVector(values: ArrayLike<number>, channels: number): Float32Array {
  if (values.length !== channels && values.length !== 1) {
    throw new Error(`channelVector: ${values.length} values for ${channels} channels (give ${channels} or 1)`);
  }
  const out = new Float32Array(pad4(channels));
  for (let c = 0; c < channels; c++) out[c] = values.length === 1 ? values[0] : values[c];
  return out;
}

/** True when a bias / PReLU tensor varies at most along the output channel axis of `layout`. */
export function isPerChannelBroadcast(t: BroadcastTensor, layout: Layout): boolean {
  if (t.broadcast !== 'numpy' || t.data.length === 1) return true;
  const shape = [...t.shape];
  while (shape.length < 4) shape.unshift(1);
  const channelAxis = layout === 'NHWC' ? 3 : 1;
  return shape.every((d, i) => i === channelAxis || d === 1);
}

export interface EpilogueOperand {
  mode: 'channel' | 'tensor';
  /** 'channel': [cpad]; 'tensor': [pix][cpad] in NHWC order (pix = (n·Ho + oh)·Wo + ow), zero padded. */
  data: Float32Array;
}

/**
 * The buffer the epilogue reads for a bias or PReLU tensor given against the output of `g` in `layout`.
 * Scalars and per-channel tensors (including numpy shapes that vary only over C) become 'channel';
 * other numpy broadcasts are expanded to the full 'tensor' form.
 */
export function epilogueOperand(t: BroadcastTensor, layout: Layout, g: ConvGeometry, force?: 'tensor'): EpilogueOperand {
  const { outHeight: h, outWidth: w } = outputSize(g);
  const c = g.outChannels;
  const cpad = pad4(c);
  if (force !== 'tensor' && isPerChannelBroadcast(t, layout)) {
    return { mode: 'channel', data: channelVector(t.data.length === 1 ? [t.data[0]] : expandBroadcast(t, layout, 1, c, 1, 1), c) };
  }
  const full = expandBroadcast(t, layout, g.batch, c, h, w);
  const out = new Float32Array(g.batch * h * w * cpad);
  const hw = h * w;
  for (let n = 0; n < g.batch; n++) {
    for (let p = 0; p < hw; p++) {
      for (let ch = 0; ch < c; ch++) {
        const src = layout === 'NHWC' ? (n * hw + p) * c + ch : (n * c + ch) * hw + p;
        out[(n * hw + p) * cpad + ch] = full[src];
      }
    }
  }
  return { mode: 'tensor', data: out };
}

/**
 * Values of the uniform fields the epilogue part of `cfg` declares (epi_cpad, the activations' parameters, and with
 * a residual epi_c and epi_hw = output height · width), and no others. `params`: the activations' parameters, or a
 * number: leakyrelu's alpha.
 */
export function epilogueUniformValues(cfg: EpilogueConfig, outChannels: number, params: number | EpilogueParams = 0.2, outHW = 0): Record<string, number> {
  const p: EpilogueParams = typeof params === 'number' ? { activation: { alpha: params } } : params;
  const u: Record<string, number> = {};
  if (cfg.bias === 'tensor' || (cfg.activation === 'prelu' && cfg.prelu === 'tensor')) u.epi_cpad = pad4(outChannels);
  const set = (type: ActivationType, prefix: string, a: ActivationParams = {}) => {
    for (const f of activationUniforms(type, prefix)) {
      const name = f.name.slice(prefix.length) as keyof ActivationParams;
      u[f.name] = a[name] ?? ACTIVATION_PARAM_DEFAULTS[name];
    }
  };
  set(cfg.activation, 'epi_', p.activation);
  if (cfg.residual) {
    set(cfg.preActivation ?? 'linear', 'epi_pre_', p.preActivation);
    u.epi_c = outChannels;
    u.epi_hw = outHW;
  }
  return u;
}
