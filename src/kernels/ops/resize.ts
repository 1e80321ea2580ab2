/**
 * Resize over H and W (N and C unscaled; rank-3 inputs run as H = 1): nearest (every nearest_mode) or linear
 * (bilinear), with the coordinate transformation in the config. One invocation per output element.
 */
import { composeKernel, type WgslPart } from '../compose.ts';
import type { KernelSource, UniformField } from '../types.ts';
import { LINEAR_UNIFORMS, OP_WORKGROUP, decompose, fields, linearMain, operandBinding } from './common.ts';
import { BYTE_PACK_CODE, WORD_OUTPUT_UNIFORMS, byteReader, wordOutputMain } from './bytes.ts';

export const RESIZE_COORDINATE_MODES = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nearest'] as const;
export type ResizeCoordinateMode = (typeof RESIZE_COORDINATE_MODES)[number];
/** 'simple': opset 10 (floor when upsampling, ceil when downsampling, as ONNX Runtime). */
export const RESIZE_NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil', 'simple'] as const;
export type ResizeNearestMode = (typeof RESIZE_NEAREST_MODES)[number];

export interface ResizeConfig {
  mode: 'nearest' | 'linear';
  coordinate: ResizeCoordinateMode;
  /** nearest only. */
  nearest?: ResizeNearestMode;
  /**
   * 'u8': 8-bit values (int8 or uint8 alike: nearest copies raw bytes) in the arena's byte format, the output
   * contiguous and written a whole word per invocation; nearest only. Default 'f32'.
   */
  storage?: 'f32' | 'u8';
}

export function resizeKernelId(c: ResizeConfig): string {
  return `resize_${c.mode}_${c.storage ?? 'f32'}_${c.coordinate}${c.mode === 'nearest' ? `_${c.nearest ?? 'round_prefer_floor'}` : ''}`;
}

function coordinate(mode: ResizeCoordinateMode): string {
  switch (mode) {
    case 'half_pixel': return '(f32(x) + 0.5) / scale - 0.5';
    case 'half_pixel_symmetric': return 'f32(n) / 2.0 * (1.0 - f32(o) / (scale * f32(n))) + (f32(x) + 0.5) / scale - 0.5';
    case 'pytorch_half_pixel': return 'select(0.0, (f32(x) + 0.5) / scale - 0.5, o > 1)';
    case 'align_corners': return 'select(0.0, f32(x) * f32(n - 1) / f32(o - 1), o > 1)';
    case 'asymmetric': return 'f32(x) / scale';
    case 'tf_half_pixel_for_nearest': return '(f32(x) + 0.5) / scale';
  }
}

function nearest(mode: ResizeNearestMode): string {
  switch (mode) {
    case 'round_prefer_floor': return 'ceil(v - 0.5)';
    case 'round_prefer_ceil': return 'floor(v + 0.5)';
    case 'floor': return 'floor(v)';
    case 'ceil': return 'ceil(v)';
    case 'simple': return 'select(floor(v), ceil(v), scale < 1.0)';
  }
}

/** Uniforms: os0..3 = [N, C, OH, OW]; ist/ost strides of [N, C, H, W] views; ih, iw; the scales of H and W. */
export function generateResizeKernel(c: ResizeConfig): KernelSource {
  const uniforms: UniformField[] = [
    ...LINEAR_UNIFORMS, ...fields('os', 4, 'u32'), ...fields('ost', 4, 'i32'), ...fields('ist', 4, 'i32'),
    { name: 'ih', type: 'i32' }, { name: 'iw', type: 'i32' }, { name: 'scale_h', type: 'f32' }, { name: 'scale_w', type: 'f32' },
  ];
  const nm = c.nearest ?? 'round_prefer_floor';
  const code = `fn src_coord(x: i32, o: i32, n: i32, scale: f32) -> f32 {
  return ${coordinate(c.coordinate)};
}
${c.mode === 'nearest' ? `fn nearest_index(x: i32, o: i32, n: i32, scale: f32) -> i32 {
  let v = src_coord(x, o, n, scale);
  return clamp(i32(${nearest(nm)}), 0, n - 1);
}` : ''}`;
  if (c.storage === 'u8') return generateResizeBytesKernel(c, uniforms, code);
  const part: WgslPart = { idPart: '', bindings: [operandBinding('src', 'value'), operandBinding('out', 'value')], uniforms, code };
  const head = `${decompose('i', 'os', 'c', 4)}
  let base = c0 * params.ist0 + c1 * params.ist1;
  let oh = i32(params.os2);
  let ow = i32(params.os3);
  let o = c0 * params.ost0 + c1 * params.ost1 + c2 * params.ost2 + c3 * params.ost3;`;
  const body = c.mode === 'nearest'
    ? `${head}
  let y = nearest_index(c2, oh, params.ih, params.scale_h);
  let x = nearest_index(c3, ow, params.iw, params.scale_w);
  out[o] = src[base + y * params.ist2 + x * params.ist3];`
    : `${head}
  let fy = clamp(src_coord(c2, oh, params.ih, params.scale_h), 0.0, f32(params.ih - 1));
  let fx = clamp(src_coord(c3, ow, params.iw, params.scale_w), 0.0, f32(params.iw - 1));
  let y0 = i32(floor(fy));
  let x0 = i32(floor(fx));
  let y1 = min(y0 + 1, params.ih - 1);
  let x1 = min(x0 + 1, params.iw - 1);
  let ty = fy - f32(y0);
  let tx = fx - f32(x0);
  let v00 = src[base + y0 * params.ist2 + x0 * params.ist3];
  let v01 = src[base + y0 * params.ist2 + x1 * params.ist3];
  let v10 = src[base + y1 * params.ist2 + x0 * params.ist3];
  let v11 = src[base + y1 * params.ist2 + x1 * params.ist3];
  out[o] = mix(mix(v00, v01, tx), mix(v10, v11, tx), ty);`;
  return composeKernel({
    id: resizeKernelId(c),
    header: `Resize (${c.mode}, ${c.coordinate}${c.mode === 'nearest' ? `, ${nm}` : ''}) over H, W, float32, any layout through strides.
One invocation per output element (n, c, oh, ow): i = gid.x + gid.y · pitch, ow fastest; the source coordinate
of each axis from the coordinate transformation, then ${c.mode === 'nearest' ? 'the nearest index (clamped)' : 'the 2 × 2 neighbours (clamped) blended bilinearly'}.
No workgroup memory, no barriers. Dispatch: linearWork(N · C · OH · OW, ${OP_WORKGROUP}).`,
    parts: [part],
    main: linearMain(body),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}

/** Nearest Resize of 8-bit values: one invocation per output word (4 consecutive elements of the contiguous output). */
function generateResizeBytesKernel(c: ResizeConfig, uniforms: UniformField[], code: string): KernelSource {
  if (c.mode !== 'nearest') throw new Error(`ResizeConfig.storage = 'u8' with mode '${c.mode}': 8-bit values resize with mode 'nearest' only`);
  const nm = c.nearest ?? 'round_prefer_floor';
  const part: WgslPart = {
    idPart: '',
    bindings: [operandBinding('src', 'value', 'array<u32>'), operandBinding('out', 'value', 'array<u32>')],
    uniforms: [...uniforms, ...WORD_OUTPUT_UNIFORMS],
    code: [code, BYTE_PACK_CODE, byteReader('read_src', 'src', 'uint8')].join('\n\n'),
  };
  const element = `${decompose('e', 'os', 'c', 4).replace(/^ {2}/gm, '')}
let y = nearest_index(c2, i32(params.os2), params.ih, params.scale_h);
let x = nearest_index(c3, i32(params.os3), params.iw, params.scale_w);
v = read_src(c0 * params.ist0 + c1 * params.ist1 + y * params.ist2 + x * params.ist3);`;
  return composeKernel({
    id: resizeKernelId(c),
    header: `Resize (nearest, ${c.coordinate}, ${nm}) over H, W of 8-bit values (raw bytes; int8 and uint8 alike), input through strides.
One invocation per output word: i = gid.x + gid.y · pitch writes word obase + i = elements 4i..4i+3 of the contiguous
output (n, c, oh, ow row-major; lanes past count are 0); each element's source index from the coordinate
transformation and the nearest mode (clamped). The ost uniforms are unused (the output is contiguous).
No workgroup memory, no barriers. Dispatch: linearWork(ceil(N · C · OH · OW / 4), ${OP_WORKGROUP}).`,
    parts: [part],
    main: wordOutputMain(element),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}
