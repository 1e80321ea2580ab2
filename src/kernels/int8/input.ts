/**
 * Reading packed 8-bit activations (format.ts) with the zero-point padding rule of types.ts: a lane that is
 * not a real (tap, channel) of the patch reads x_zp. Binding `input: array<u32>`.
 *
 * 'word' (NHWC; groups == 1 or Cin_g % 4 == 0, so a group's channels start at a word):
 *   fn qx_word(i: u32, ok: bool, mask: u32) -> u32
 *   word i of the input when `ok` (the tap is inside the image), else x_zp4; lanes outside `mask` (channel
 *   padding of a pixel's last word: c_tail_mask) replaced by x_zp.
 * 'byte' (any layout and grouping):
 *   fn qx_gather(bi: vec4<u32>, m: vec4<bool>) -> u32
 *   the 4 bytes at byte indices bi (lane j from bi[j] where m[j], else x_zp), packed into one word.
 * Both return raw bytes of the input dtype; the dot code (dot.ts) flips/unpacks them.
 */
import type { WgslPart } from '../compose.ts';
import type { UniformField } from '../types.ts';

export type QInputRead = 'word' | 'byte';

const u32 = (name: string): UniformField => ({ name, type: 'u32' });

export function qInputPart(read: QInputRead): WgslPart {
  if (read !== 'word' && read !== 'byte') throw new Error(`qInputPart: read = ${JSON.stringify(read)}: must be 'word' or 'byte'`);
  const code =
    read === 'word'
      ? `
// Word i of the input if ok, else x_zp in all lanes; lanes outside mask (channel padding) read x_zp.
fn qx_word(i: u32, ok: bool, mask: u32) -> u32 {
  let v = input[select(0u, i, ok)];
  return select(params.x_zp4, (v & mask) | (params.x_zp4 & ~mask), ok);
}`
      : `
// Bytes bi[j] of the input where m[j], else x_zp, packed lane j = bits 8j .. 8j+7.
fn qx_gather(bi: vec4<u32>, m: vec4<bool>) -> u32 {
  let i = select(vec4<u32>(0u), bi, m);
  let v = vec4<u32>(input[i.x >> 2u], input[i.y >> 2u], input[i.z >> 2u], input[i.w >> 2u]);
  let by = select(vec4<u32>(params.x_zp4 & 255u), (v >> ((i & vec4<u32>(3u)) * 8u)) & vec4<u32>(255u), m);
  return by.x | (by.y << 8u) | (by.z << 16u) | (by.w << 24u);
}`;
  return {
    idPart: read,
    bindings: [{ name: 'input', kind: 'read-only-storage', type: 'array<u32>' }],
    uniforms: read === 'word' ? [u32('x_zp4'), u32('c_tail_mask')] : [u32('x_zp4')],
    code,
  };
}

/** True when the 'word' read applies: NHWC and every group's channels start at a word boundary. */
export function canReadWords(layout: 'NHWC' | 'NCHW', groups: number, cinG: number): boolean {
  return layout === 'NHWC' && (groups === 1 || cinG % 4 === 0);
}

/** c_tail_mask: the valid lanes of a group's last channel word (all four when Cin_g % 4 == 0). */
export function channelTailMask(cinG: number): number {
  const r = cinG % 4;
  return r === 0 ? 0xffffffff : (2 ** (8 * r) - 1) >>> 0;
}

/**
 * Byte strides of the packed input for the 'byte' read: element (n, c, h, w) is at
 * n·x_img + c·x_ch + (h·W + w)·x_pix (group g's channel 0 is c = g·Cin_g).
 */
export function inputByteStrides(layout: 'NHWC' | 'NCHW', c: number, h: number, w: number): { x_img: number; x_ch: number; x_pix: number } {
  if (layout === 'NHWC') {
    const c4 = Math.ceil(c / 4) * 4;
    return { x_img: h * w * c4, x_ch: 1, x_pix: c4 };
  }
  return { x_img: c * h * w, x_ch: h * w, x_pix: 1 };
}
