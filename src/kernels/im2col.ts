/**
 * Operand parts of the GEMM contract (./gemm-contract.ts) for convolution as a GEMM, without a column buffer
 * (implicit im2col). For convolution group b (the GEMM batch index):
 *   A_b[M × K]  M = batch·out_h·out_w (row = linear output pixel (n·out_h + oh)·out_w + ow),
 *               K = kH·kW·Cin_g, k = (kh·kW + kw)·Cin_g + ci (ci fastest), read from the input tensor with
 *               stride, pads and dilation; taps outside the image and k ≥ K read 0;
 *   B_b[K × N]  N = Cout_g: weights packed by the host [group][k_pad][cout_g4] vec4 (weight-pack.ts
 *               `packGroupedWeights`, zero padded), k_pad = 4·ceil(K/4);
 *   C_b         written through the shared epilogue into the output (NHWC or NCHW) at channel b·Cout_g + col.
 * 1×1 convolutions with stride 1 and no pads use the 'rows' reader instead: the input seen as plain rows
 * [pixels][Cin] (NHWC), or [n][Cin][pixels] (NCHW), with no tap arithmetic.
 *
 * Uniforms use the geometry names of the direct kernel (in_h, in_w, in_c, out_h, out_w, out_c, ...), so the
 * parts share them when composed; the GEMM body adds gemm_m, gemm_n4, gemm_k4.
 */
import type { ConvGeometry, Layout } from '../conv/types.ts';
import { outputSize } from '../conv/geometry.ts';
import { mergeUniforms, type PartBinding, type WgslPart } from './compose.ts';
import { epiloguePart, type EpilogueConfig, type EpilogueParams } from './epilogue.ts';
import type { GemmOperandParts } from './gemm-contract.ts';
import type { UniformField } from './types.ts';
import { epilogueUniformValues, groupedPackShape } from './weight-pack.ts';

export type ConvAReader = 'im2col' | 'rows';

export interface Im2colGemmConfig {
  layout: Layout;
  epilogue: EpilogueConfig;
  /** 'im2col': any geometry; 'rows': 1×1, stride 1, pads 0 only. */
  reader: ConvAReader;
  /** NHWC only: read A as one vec4 of 4 input channels; needs Cin/groups % 4 == 0. */
  vecInput: boolean;
  /** Write 4 output channels with epilogue4 (and, in NHWC, one vec4 store); needs Cout/groups % 4 == 0. */
  vecOutput: boolean;
}

const u32 = (name: string): UniformField => ({ name, type: 'u32' });

function checkLayout(what: string, layout: Layout, vecInput: boolean): void {
  if (layout !== 'NHWC' && layout !== 'NCHW') throw new Error(`${what}.layout = ${JSON.stringify(layout)}: must be 'NHWC' or 'NCHW'`);
  if (vecInput && layout !== 'NHWC') throw new Error(`${what}.vecInput = true: only with layout 'NHWC' (channels contiguous)`);
}

/** WGSL: GEMM row → output pixel (n, oh, ow) and the input window's top-left (ih0, iw0); shared by every dtype's im2col reader. */
export const IM2COL_DECODE_ROW = `
  let ow = row % params.out_w;
  let nh = row / params.out_w;
  let oh = nh % params.out_h;
  let n = nh / params.out_h;
  let ih0 = i32(oh * params.stride_h) - i32(params.pad_top);
  let iw0 = i32(ow * params.stride_w) - i32(params.pad_left);`;

/** The implicit im2col A reader: `fn gemm_load_a(b, row, k4) -> vec4<f32>`. Binding `input`. */
export function im2colReaderPart(cfg: { layout: Layout; vecInput: boolean }): WgslPart {
  checkLayout('im2colReaderPart', cfg.layout, cfg.vecInput);
  const uniforms = ['in_h', 'in_w', 'in_c', 'out_h', 'out_w', 'kernel_w', 'stride_h', 'stride_w', 'pad_top', 'pad_left', 'dilation_h', 'dilation_w', 'cin_g', 'k_total'].map(u32);
  const decode = `${IM2COL_DECODE_ROW}
  let k = k4 * 4u;`;
  let code: string;
  if (cfg.vecInput) {
    code = `
// A[b][row][4·k4 ..]: 4 consecutive input channels of one tap (Cin/groups % 4 == 0), one vec4 load.
fn gemm_load_a(b: u32, row: u32, k4: u32) -> vec4<f32> {${decode}
  if (k >= params.k_total) {
    return vec4<f32>(0.0);
  }
  let ci = k % params.cin_g;
  let tap = k / params.cin_g;
  let ih = ih0 + i32((tap / params.kernel_w) * params.dilation_h);
  let iw = iw0 + i32((tap % params.kernel_w) * params.dilation_w);
  if (ih < 0 || ih >= i32(params.in_h) || iw < 0 || iw >= i32(params.in_w)) {
    return vec4<f32>(0.0);
  }
  return input[(((n * params.in_h + u32(ih)) * params.in_w + u32(iw)) * params.in_c + b * params.cin_g + ci) / 4u];
}`;
  } else {
    const addr =
      cfg.layout === 'NHWC'
        ? '((n * params.in_h + u32(ih)) * params.in_w + u32(iw)) * params.in_c + b * params.cin_g + ci'
        : '((n * params.in_c + b * params.cin_g + ci) * params.in_h + u32(ih)) * params.in_w + u32(iw)';
    code = `
// A[b][row][4·k4 ..]: 4 consecutive k, each decoded to (kh, kw, ci) incrementally.
fn gemm_load_a(b: u32, row: u32, k4: u32) -> vec4<f32> {${decode}
  var ci = k % params.cin_g;
  let tap = k / params.cin_g;
  var kw = tap % params.kernel_w;
  var kh = tap / params.kernel_w;
  var r = vec4<f32>(0.0);
  for (var j = 0u; j < 4u; j++) {
    if (k + j >= params.k_total) {
      break;
    }
    let ih = ih0 + i32(kh * params.dilation_h);
    let iw = iw0 + i32(kw * params.dilation_w);
    if (ih >= 0 && ih < i32(params.in_h) && iw >= 0 && iw < i32(params.in_w)) {
      r[j] = input[${addr}];
    }
    ci += 1u;
    if (ci == params.cin_g) {
      ci = 0u;
      kw += 1u;
      if (kw == params.kernel_w) {
        kw = 0u;
        kh += 1u;
      }
    }
  }
  return r;
}`;
  }
  return {
    idPart: `im2col_${cfg.layout.toLowerCase()}${cfg.vecInput ? '_ci4' : ''}`,
    bindings: [{ name: 'input', kind: 'read-only-storage', type: cfg.vecInput ? 'array<vec4<f32>>' : 'array<f32>' }],
    uniforms,
    code,
  };
}

/**
 * The 'plain rows' A reader for 1×1, stride 1, pad 0: A_b[row][k] = input channel b·Cin_g + k of pixel row.
 * NHWC: input seen as [pixels][Cin]; NCHW: [n][Cin][out_h·out_w]. Binding `input`.
 */
export function plainRowsReaderPart(cfg: { layout: Layout; vecInput: boolean }): WgslPart {
  checkLayout('plainRowsReaderPart', cfg.layout, cfg.vecInput);
  let code: string;
  let uniforms: UniformField[];
  if (cfg.layout === 'NHWC') {
    uniforms = ['in_c', 'cin_g'].map(u32);
    code = cfg.vecInput
      ? `
// A[b][row][4·k4 ..] = input[row][b·Cin_g + 4·k4 ..] as one vec4 (Cin/groups % 4 == 0).
fn gemm_load_a(b: u32, row: u32, k4: u32) -> vec4<f32> {
  if (k4 * 4u >= params.cin_g) {
    return vec4<f32>(0.0);
  }
  return input[(row * params.in_c + b * params.cin_g) / 4u + k4];
}`
      : `
// A[b][row][4·k4 ..] = input[row][b·Cin_g + 4·k4 ..], zeros past Cin_g.
fn gemm_load_a(b: u32, row: u32, k4: u32) -> vec4<f32> {
  let base = row * params.in_c + b * params.cin_g;
  var r = vec4<f32>(0.0);
  for (var j = 0u; j < 4u; j++) {
    let k = k4 * 4u + j;
    if (k < params.cin_g) {
      r[j] = input[base + k];
    }
  }
  return r;
}`;
  } else {
    uniforms = ['in_c', 'cin_g', 'out_h', 'out_w'].map(u32);
    code = `
// A[b][row][4·k4 ..] = input[n][b·Cin_g + 4·k4 ..][p] (row = n·HW + p), zeros past Cin_g.
fn gemm_load_a(b: u32, row: u32, k4: u32) -> vec4<f32> {
  let hw = params.out_h * params.out_w;
  let base = ((row / hw) * params.in_c + b * params.cin_g) * hw + row % hw;
  var r = vec4<f32>(0.0);
  for (var j = 0u; j < 4u; j++) {
    let k = k4 * 4u + j;
    if (k < params.cin_g) {
      r[j] = input[base + k * hw];
    }
  }
  return r;
}`;
  }
  return {
    idPart: `rows_${cfg.layout.toLowerCase()}${cfg.vecInput ? '_ci4' : ''}`,
    bindings: [{ name: 'input', kind: 'read-only-storage', type: cfg.vecInput ? 'array<vec4<f32>>' : 'array<f32>' }],
    uniforms,
    code,
  };
}

/** The B reader over weights packed [group][k_pad][cout_g4] vec4 (zero padded): `fn gemm_load_b(b, k, col4)`. */
export function packedWeightsReaderPart(): WgslPart {
  return {
    idPart: '',
    bindings: [{ name: 'weights', kind: 'read-only-storage', type: 'array<vec4<f32>>' }],
    uniforms: ['k_pad', 'cout_g4'].map(u32),
    code: `
// B[b][k][col4]: weights packed [group][k_pad][cout_g4] vec4, zero padded by the host.
fn gemm_load_b(b: u32, k: u32, col4: u32) -> vec4<f32> {
  return weights[(b * params.k_pad + k) * params.cout_g4 + col4];
}`,
  };
}

/** Combines parts into one (bindings in order, shared uniforms merged, code concatenated). */
function combineParts(idPart: string, parts: WgslPart[]): WgslPart {
  const bindings: PartBinding[] = [];
  for (const p of parts) for (const b of p.bindings) if (!bindings.some((x) => x.name === b.name)) bindings.push(b);
  return { idPart, bindings, uniforms: mergeUniforms(parts), code: parts.map((p) => p.code.trim()).join('\n') };
}

/**
 * The C writer with the shared epilogue: `fn gemm_store(b, row, col4, v)` writes output channels
 * b·Cout_g + 4·col4 .. (+3) of output pixel `row` in `layout`. With `vecOutput` (Cout/groups % 4 == 0) all four
 * lanes go through epilogue4 (NHWC: one vec4 store, binding `output` is array<vec4<f32>>); otherwise each valid
 * lane (4·col4 + j < Cout_g) goes through epilogue1. Binding `output` plus the epilogue's.
 */
export function convOutputWriterPart(cfg: { layout: Layout; epilogue: EpilogueConfig; vecOutput: boolean }): WgslPart {
  checkLayout('convOutputWriterPart', cfg.layout, false);
  const vecStore = cfg.vecOutput && cfg.layout === 'NHWC';
  const epi = epiloguePart(cfg.epilogue);
  const nhwc = cfg.layout === 'NHWC';
  const addr = nhwc
    ? ['  let base = row * params.out_c + c;', '  let cs = 1u;']
    : ['  let hw = params.out_h * params.out_w;', '  let base = ((row / hw) * params.out_c + c) * hw + row % hw;', '  let cs = hw;'];
  let body: string[];
  if (vecStore) {
    body = ['  output[(row * params.out_c + c) / 4u] = epilogue4(v, row, c);'];
  } else if (cfg.vecOutput) {
    body = [
      ...addr,
      '  let r = epilogue4(v, row, c);',
      '  output[base] = r.x;',
      '  output[base + cs] = r.y;',
      '  output[base + 2u * cs] = r.z;',
      '  output[base + 3u * cs] = r.w;',
    ];
  } else {
    body = [
      ...addr,
      '  let lanes = min(4u, params.cout_g - col4 * 4u);',
      '  for (var j = 0u; j < lanes; j++) {',
      '    output[base + j * cs] = epilogue1(v[j], row, c + j);',
      '  }',
    ];
  }
  const writer: WgslPart = {
    idPart: '',
    bindings: [{ name: 'output', kind: 'storage', type: vecStore ? 'array<vec4<f32>>' : 'array<f32>' }],
    uniforms: (nhwc ? ['out_c', 'cout_g'] : ['out_c', 'cout_g', 'out_h', 'out_w']).map(u32),
    code: [
      `// C[b][row][4·col4 ..] → output channels b·Cout_g + 4·col4 .. of pixel row (${cfg.layout}), through the epilogue.`,
      'fn gemm_store(b: u32, row: u32, col4: u32, v: vec4<f32>) {',
      '  let c = b * params.cout_g + col4 * 4u;',
      ...body,
      '}',
    ].join('\n'),
  };
  const idPart = [`out_${cfg.layout.toLowerCase()}`, cfg.vecOutput ? 'c4' : 'c1', epi.idPart].filter(Boolean).join('_');
  return combineParts(idPart, [writer, epi]);
}

/** The three operand parts for convolution group b as GEMM batch b. */
export function im2colGemmParts(cfg: Im2colGemmConfig): GemmOperandParts {
  const reader = cfg.reader === 'rows' ? plainRowsReaderPart(cfg) : im2colReaderPart(cfg);
  return { a: reader, b: packedWeightsReaderPart(), c: convOutputWriterPart(cfg) };
}

/** ID fragment of the three parts together, e.g. `im2col_nhwc_ci4_out_nhwc_c4_bias_relu`. */
export function im2colGemmIdPart(cfg: Im2colGemmConfig): string {
  const p = im2colGemmParts(cfg);
  return [p.a.idPart, p.b.idPart, p.c.idPart].filter(Boolean).join('_');
}

/** True when `g` can use the 'rows' reader: 1×1 kernel, stride 1, no pads (dilation is then irrelevant). */
export function isPlainRows(g: ConvGeometry): boolean {
  return g.kernelH === 1 && g.kernelW === 1 && g.strides[0] === 1 && g.strides[1] === 1 && g.pads.every((p) => p === 0);
}

/** The fastest valid part configuration for `g` in `layout`. */
export function im2colConfigFor(g: ConvGeometry, layout: Layout, epilogue: EpilogueConfig): Im2colGemmConfig {
  const s = groupedPackShape(g);
  return {
    layout,
    epilogue,
    reader: isPlainRows(g) ? 'rows' : 'im2col',
    vecInput: layout === 'NHWC' && s.cinG % 4 === 0,
    vecOutput: s.coutG % 4 === 0,
  };
}

export interface Im2colGemmShape {
  /** GEMM batch count: the convolution groups (dispatch z). */
  batches: number;
  /** rows: batch·out_h·out_w */
  m: number;
  /** columns: Cout_g */
  n: number;
  /** K = kH·kW·Cin_g */
  k: number;
  n4: number;
  k4: number;
}

export function im2colGemmShape(g: ConvGeometry): Im2colGemmShape {
  const { outHeight, outWidth } = outputSize(g);
  const s = groupedPackShape(g);
  return { batches: g.groups, m: g.batch * outHeight * outWidth, n: s.coutG, k: s.k, n4: s.coutG4, k4: s.kPad / 4 };
}

/**
 * Values of every uniform the parts of `cfg` declare, plus the GEMM body's gemm_m, gemm_n4, gemm_k4; the caller
 * keeps the fields its kernel has (`pickUniforms`).
 */
export function im2colGemmUniforms(cfg: Im2colGemmConfig, g: ConvGeometry, alpha: number | EpilogueParams = 0.2): Record<string, number> {
  const s = groupedPackShape(g);
  if (cfg.vecInput && s.cinG % 4 !== 0) throw new Error(`im2col: vecInput needs inChannels / groups (${s.cinG}) to be a multiple of 4`);
  if (cfg.vecOutput && s.coutG % 4 !== 0) throw new Error(`im2col: vecOutput needs outChannels / groups (${s.coutG}) to be a multiple of 4`);
  if (cfg.reader === 'rows' && !isPlainRows(g)) throw new Error("im2col: reader 'rows' needs a 1×1 kernel, stride 1 and no pads");
  const { outHeight, outWidth } = outputSize(g);
  const shape = im2colGemmShape(g);
  return {
    in_h: g.inHeight, in_w: g.inWidth, in_c: g.inChannels, out_h: outHeight, out_w: outWidth, out_c: g.outChannels,
    kernel_w: g.kernelW, stride_h: g.strides[0], stride_w: g.strides[1], pad_top: g.pads[0], pad_left: g.pads[1],
    dilation_h: g.dilations[0], dilation_w: g.dilations[1], cin_g: s.cinG, cout_g: s.coutG, cout_g4: s.coutG4,
    k_total: s.k, k_pad: s.kPad, gemm_m: shape.m, gemm_n4: shape.n4, gemm_k4: shape.k4,
    ...epilogueUniformValues(cfg.epilogue, g.outChannels, alpha, outHeight * outWidth),
  };
}

/** The subset of `values` that are fields of `fields` (packUniforms rejects unknown names). */
export function pickUniforms(fields: UniformField[], values: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of fields) if (f.name in values) out[f.name] = values[f.name];
  return out;
}
