/**
 * int8 convolution as implicit im2col + the int8 GEMM body (gemm-i8.ts), one dispatch. For group b (GEMM batch):
 *   A_b[M × K]  M = batch·Ho·Wo (row = (n·Ho + oh)·Wo + ow), K along the k layout of the reader:
 *               'word' (NHWC, groups == 1 or Cin_g % 4 == 0): k layout 'tap4', one u32 load per A word
 *                      (4 channels of one tap); channel padding lanes and taps outside the image read x_zp;
 *               'byte' (any layout/grouping): k layout 'dense', each lane gathered from its byte
 *                      (decoded once per k step for all rows); lanes past K and outside the image read x_zp.
 *   B_b[K × N]  N = Cout_g, the packed weights (format.ts packInt8Weights with the same k layout).
 *   C_b         through the shared output part (output.ts): correction, convint / qlinear / float.
 * Every geometry value is a uniform; the config (domains, layout, reader, dot path, wzp, output, tile) is in the ID:
 *   im2col_gemm_<x><w>_<layout>_r<tm>x<tn>_wg<x>x<y>_<word|byte>_<dot4|unpack>[_wzp]_<convint|qlinear[_w4]|float>
 */
import { type ConvGeometry } from '../../conv/types.ts';
import { outputSize } from '../../conv/geometry.ts';
import type { WgslPart } from '../compose.ts';
import type { KernelSource, UniformField } from '../types.ts';
import { qOperandUniforms, qWeightShape, type QCallValues } from './format.ts';
import { GEMM_TILES } from '../gemm.ts';
import { IM2COL_DECODE_ROW } from '../im2col.ts';
import { generateQGemmKernel, qGemmDispatch, validateQGemmTile, type QGemmTile } from './gemm-i8.ts';
import { canReadWords, channelTailMask, inputByteStrides, qInputPart, type QInputRead } from './input.ts';
import { canWordStore, qOutputGeometryUniforms, qOutputPart, validateOutputConfig } from './output.ts';
import { qDomainId, validateOperandConfig, type QKLayout, type QOperandConfig } from './types.ts';

export interface Im2colI8Config extends QOperandConfig {
  reader: QInputRead;
  /** qlinear NHWC only: whole-word output stores (output.ts). */
  wordStore: boolean;
  tile: QGemmTile;
}

const u32 = (name: string): UniformField => ({ name, type: 'u32' });

/** The k layout the reader implies (pack the weights with it). */
export function im2colI8KLayout(reader: QInputRead): QKLayout {
  return reader === 'word' ? 'tap4' : 'dense';
}

export function validateIm2colI8Config(c: Im2colI8Config): void {
  validateOperandConfig('Im2colI8Config', c);
  validateOutputConfig('Im2colI8Config', { layout: c.layout, output: c.output, wzp: c.wzp, wordStore: c.wordStore });
  if (c.reader !== 'word' && c.reader !== 'byte') throw new Error(`Im2colI8Config.reader = ${JSON.stringify(c.reader)}: must be 'word' or 'byte'`);
  if (c.reader === 'word' && c.layout !== 'NHWC') throw new Error("Im2colI8Config.reader = 'word': only with layout 'NHWC' (channels packed along words)");
  validateQGemmTile(c.tile);
}

const DECODE_ROW = IM2COL_DECODE_ROW;

const READER_GEOMETRY = ['in_h', 'in_w', 'out_h', 'out_w', 'kernel_w', 'stride_h', 'stride_w', 'pad_top', 'pad_left', 'dilation_h', 'dilation_w'].map(u32);

/** The A reader (contract of gemm-i8.ts) over the packed input. */
export function im2colI8ReaderPart(read: QInputRead): WgslPart {
  const input = qInputPart(read);
  let code: string;
  let uniforms: UniformField[];
  if (read === 'word') {
    uniforms = [...READER_GEOMETRY, u32('in_c4'), u32('cin_g4')];
    code = `
struct QRow {
  base: u32,
  ih0: i32,
  iw0: i32,
}

// Output pixel row: word offset of its image and group, top-left input position of its window.
fn qa_row(b: u32, row: u32) -> QRow {${DECODE_ROW}
  return QRow(n * params.in_h * params.in_w * params.in_c4 + b * params.cin_g4, ih0, iw0);
}

struct QK {
  dh: i32,
  dw: i32,
  c4: u32,
  mask: u32,
}

// k4 = tap·cin_g4 + c4 (k layout tap4): the tap's offset and the channel word; its last word is masked.
fn qa_k(k4: u32) -> QK {
  let c4 = k4 % params.cin_g4;
  let tap = k4 / params.cin_g4;
  let mask = select(0xffffffffu, params.c_tail_mask, c4 + 1u == params.cin_g4);
  return QK(i32((tap / params.kernel_w) * params.dilation_h), i32((tap % params.kernel_w) * params.dilation_w), c4, mask);
}

fn qa_load(r: QRow, k: QK) -> u32 {
  let ih = r.ih0 + k.dh;
  let iw = r.iw0 + k.dw;
  let ok = u32(ih) < params.in_h && u32(iw) < params.in_w;
  return qx_word(r.base + (u32(ih) * params.in_w + u32(iw)) * params.in_c4 + k.c4, ok, k.mask);
}`;
  } else {
    uniforms = [...READER_GEOMETRY, u32('cin_g'), u32('k_total'), u32('x_img'), u32('x_grp'), u32('x_ch'), u32('x_pix')];
    code = `
struct QRow {
  base: u32,
  ih0: i32,
  iw0: i32,
}

// Output pixel row: byte offset of its image and group, top-left input position of its window.
fn qa_row(b: u32, row: u32) -> QRow {${DECODE_ROW}
  return QRow(n * params.x_img + b * params.x_grp, ih0, iw0);
}

struct QK {
  dh: vec4<i32>,
  dw: vec4<i32>,
  ch: vec4<u32>,
}

// Lanes k = 4·k4 + j (k layout dense: k = tap·cin_g + ci) decoded once for all rows; k ≥ K gets an offset
// that no window reaches (reads x_zp).
fn qa_k(k4: u32) -> QK {
  let k = vec4<u32>(4u * k4) + vec4<u32>(0u, 1u, 2u, 3u);
  let ci = k % params.cin_g;
  let tap = k / params.cin_g;
  let dh = bitcast<vec4<i32>>((tap / params.kernel_w) * params.dilation_h);
  return QK(select(vec4<i32>(-0x40000000), dh, k < vec4<u32>(params.k_total)), bitcast<vec4<i32>>((tap % params.kernel_w) * params.dilation_w), ci * params.x_ch);
}

fn qa_load(r: QRow, k: QK) -> u32 {
  let ih = vec4<i32>(r.ih0) + k.dh;
  let iw = vec4<i32>(r.iw0) + k.dw;
  let uh = bitcast<vec4<u32>>(ih);
  let uw = bitcast<vec4<u32>>(iw);
  let m = (uh < vec4<u32>(params.in_h)) & (uw < vec4<u32>(params.in_w));
  return qx_gather(vec4<u32>(r.base) + (uh * params.in_w + uw) * params.x_pix + k.ch, m);
}`;
  }
  return { idPart: input.idPart, bindings: input.bindings, uniforms: [...uniforms, ...input.uniforms], code: `${input.code.trim()}\n\n${code.trim()}` };
}

/** The B reader: weights [group][gemm_k4][cout_g4] vec4<u32> (format.ts). */
export function im2colI8WeightsPart(): WgslPart {
  return {
    idPart: '',
    bindings: [{ name: 'weights', kind: 'read-only-storage', type: 'array<vec4<u32>>' }],
    uniforms: [u32('cout_g4')],
    code: `
fn qb_load(b: u32, k4: u32, col4: u32) -> vec4<u32> {
  return weights[(b * params.gemm_k4 + k4) * params.cout_g4 + col4];
}`,
  };
}

/** The C writer: GEMM (b, row, col4) → output channels b·Cout_g + 4·col4 .. of pixel row, via output.ts. */
export function im2colI8WriterPart(c: Pick<Im2colI8Config, 'layout' | 'output' | 'wzp' | 'wordStore'>): WgslPart {
  const out = qOutputPart(c);
  const code = `
fn qgemm_col(b: u32, col4: u32) -> QCol {
  return qcol(b * params.cout_g4 + col4);
}

fn qgemm_store(b: u32, row: u32, col4: u32, d: vec4<i32>, s: i32, q: QCol) {
  qstore(row, b * params.cout_g + 4u * col4, min(4u, params.cout_g - 4u * col4), d, s, q);
}`;
  return { idPart: out.idPart, bindings: out.bindings, uniforms: [...out.uniforms, u32('cout_g'), u32('cout_g4')], code: `${out.code.trim()}\n\n${code.trim()}` };
}

export function im2colI8IdPrefix(c: Pick<Im2colI8Config, 'input' | 'weights' | 'layout'>): string {
  return `im2col_gemm_${qDomainId(c)}_${c.layout.toLowerCase()}`;
}

export function generateIm2colI8Kernel(c: Im2colI8Config): KernelSource {
  validateIm2colI8Config(c);
  return generateQGemmKernel({
    idPrefix: im2colI8IdPrefix(c),
    tile: c.tile,
    ops: c,
    operands: { a: im2colI8ReaderPart(c.reader), b: im2colI8WeightsPart(), c: im2colI8WriterPart(c) },
  });
}

/** Kernel ID of `c` without generating the WGSL. */
export function im2colI8KernelId(c: Im2colI8Config): string {
  return generateIm2colI8Kernel(c).id;
}

/**
 * A good config for `g`: the 'word' reader when NHWC groups start at words, whole-word output stores when
 * possible, and `tile` (default: 16 rows × min(16, Cout_g rounded up to 4) columns, workgroup 4×1).
 */
export function im2colI8ConfigFor(
  g: ConvGeometry,
  ops: Pick<QOperandConfig, 'layout' | 'input' | 'weights' | 'wzp' | 'output' | 'dot' | 'rounding'>,
  tile?: QGemmTile,
): Im2colI8Config {
  const cinG = g.inChannels / g.groups;
  const coutG = g.outChannels / g.groups;
  const t: QGemmTile = tile ?? { ...GEMM_TILES['regblock-16x16'], tn: Math.min(16, 4 * Math.ceil(coutG / 4)) };
  return {
    ...ops,
    reader: canReadWords(ops.layout, g.groups, cinG) ? 'word' : 'byte',
    wordStore: canWordStore(ops.layout, ops.output, g.groups, coutG),
    tile: { ...t },
  };
}

export interface QKernelDispatch {
  workgroups: [number, number, number];
  uniforms: Record<string, number>;
}

/** Workgroups and every uniform of generateIm2colI8Kernel(c) for `g` (throws when c does not fit g). */
export function im2colI8Dispatch(c: Im2colI8Config, g: ConvGeometry, call: QCallValues, maxPerDim = 65535): QKernelDispatch {
  validateIm2colI8Config(c);
  const { outHeight: oh, outWidth: ow } = outputSize(g);
  const s = qWeightShape(g, im2colI8KLayout(c.reader));
  if (c.reader === 'word' && !canReadWords(c.layout, g.groups, s.cinG)) {
    throw new Error(`im2col int8: reader 'word' needs NHWC with groups == 1 or inChannels/groups % 4 == 0 (groups ${g.groups}, Cin_g ${s.cinG})`);
  }
  if (c.wordStore && !canWordStore(c.layout, c.output, g.groups, s.coutG)) {
    throw new Error(`im2col int8: wordStore needs NHWC qlinear with groups == 1 or outChannels/groups % 4 == 0 (groups ${g.groups}, Cout_g ${s.coutG})`);
  }
  const m = g.batch * oh * ow;
  const strides = inputByteStrides(c.layout, g.inChannels, g.inHeight, g.inWidth);
  const u: Record<string, number> = {
    gemm_m: m, gemm_n4: s.coutG4, gemm_k4: s.k4,
    in_h: g.inHeight, in_w: g.inWidth, out_h: oh, out_w: ow, kernel_w: g.kernelW,
    stride_h: g.strides[0], stride_w: g.strides[1], pad_top: g.pads[0], pad_left: g.pads[1],
    dilation_h: g.dilations[0], dilation_w: g.dilations[1],
    cout_g: s.coutG, cout_g4: s.coutG4,
    ...qOutputGeometryUniforms(g.outChannels, oh, ow),
    ...qOperandUniforms(c, call),
  };
  if (c.reader === 'word') {
    Object.assign(u, { in_c4: Math.ceil(g.inChannels / 4), cin_g4: s.cinG4, c_tail_mask: channelTailMask(s.cinG) });
  } else {
    Object.assign(u, { cin_g: s.cinG, k_total: s.k, x_img: strides.x_img, x_grp: s.cinG * strides.x_ch, x_ch: strides.x_ch, x_pix: strides.x_pix });
  }
  const kernel = generateIm2colI8Kernel(c);
  const uniforms: Record<string, number> = {};
  for (const f of kernel.uniforms) {
    if (!(f.name in u)) throw new Error(`im2colI8Dispatch: no value for uniform '${f.name}' of ${kernel.id}`);
    uniforms[f.name] = u[f.name];
  }
  return { workgroups: qGemmDispatch(c.tile, m, s.coutG, g.groups, maxPerDim), uniforms };
}
