/**
 * The one geometry module (DESIGN.md §2): output sizes, SAME padding and tile counts. Everything that needs a
 * convolution's or a window's output size, or how many Winograd tiles cover an output, computes it here. Pure.
 *
 *   out = floor((in + padBegin + padEnd − ((k − 1)·d + 1)) / s) + 1            (ONNX, SCHEMA.md)
 *   SAME_UPPER / SAME_LOWER: out = ceil(in / s), total pad = max(0, (out − 1)·s + (k − 1)·d + 1 − in), the odd
 *   one at the end (UPPER) or at the beginning (LOWER)
 *   pools with ceil_mode: ceil instead of floor, a last window starting in the end padding dropped
 *   ConvTranspose: out = s·(in − 1) + output_padding + (k − 1)·d + 1 − padBegin − padEnd (SAME_*: in·s)
 *   tiles of an m-output Winograd tile along a side: ceil(out / m)
 */
import type { ConvGeometry, OutputShape } from './types.ts';

/** The dilated kernel extent (k − 1)·d + 1. */
export function effectiveKernel(kernel: number, dilation = 1): number {
  return (kernel - 1) * dilation + 1;
}

/** One spatial dimension's output size (may be < 1: the caller refuses it, naming its parameters). */
export function convOutputDim(input: number, kernel: number, stride = 1, dilation = 1, padBegin = 0, padEnd = 0): number {
  return Math.floor((input + padBegin + padEnd - effectiveKernel(kernel, dilation)) / stride) + 1;
}

/**
 * A pooling window's output size with ceil_mode (ONNX pools): ceil instead of floor, dropping a last window that
 * would start in the end padding; floor (convOutputDim) without it.
 */
export function poolOutputDim(input: number, kernel: number, stride = 1, dilation = 1, padBegin = 0, padEnd = 0, ceilMode = false): number {
  if (!ceilMode) return convOutputDim(input, kernel, stride, dilation, padBegin, padEnd);
  let o = Math.ceil((input + padBegin + padEnd - effectiveKernel(kernel, dilation)) / stride) + 1;
  if ((o - 1) * stride >= input + padBegin) o--;
  return o;
}

/** A transposed convolution's output size: s·(in − 1) + output_padding + (k − 1)·d + 1 − padBegin − padEnd. */
export function convTransposeOutputDim(input: number, kernel: number, stride = 1, dilation = 1, outputPadding = 0, padBegin = 0, padEnd = 0): number {
  return stride * (input - 1) + outputPadding + effectiveKernel(kernel, dilation) - padBegin - padEnd;
}

/** Output height and width of a 2-D convolution. */
export function outputSize(g: ConvGeometry): OutputShape {
  return {
    outHeight: convOutputDim(g.inHeight, g.kernelH, g.strides[0], g.dilations[0], g.pads[0], g.pads[2]),
    outWidth: convOutputDim(g.inWidth, g.kernelW, g.strides[1], g.dilations[1], g.pads[1], g.pads[3]),
  };
}

/** The output size of a descriptor-like geometry (kernel, strides, dilations, [top, left, bottom, right] pads) at H×W. */
export function outputHW(d: { kernelH: number; kernelW: number; strides: readonly number[]; dilations: readonly number[]; pads: readonly number[] }, height: number, width: number): [number, number] {
  return [
    convOutputDim(height, d.kernelH, d.strides[0], d.dilations[0], d.pads[0], d.pads[2]),
    convOutputDim(width, d.kernelW, d.strides[1], d.dilations[1], d.pads[1], d.pads[3]),
  ];
}

/** [begin, end] pads of auto_pad SAME_UPPER / SAME_LOWER along one dimension. */
export function samePads(input: number, kernel: number, stride: number, dilation: number, mode: 'SAME_UPPER' | 'SAME_LOWER'): [number, number] {
  const out = Math.ceil(input / stride);
  const total = Math.max(0, (out - 1) * stride + effectiveKernel(kernel, dilation) - input);
  const small = Math.floor(total / 2);
  return mode === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
}

/** Tiles of m outputs needed to cover `out` outputs along one side. */
export function tileCount(out: number, m: number): number {
  return Math.ceil(out / m);
}
