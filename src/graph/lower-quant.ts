/**
 * QLinearConv and ConvInteger nodes as the engine's int8/uint8 plans (layout NCHW: the plans' input and output are
 * the session's byte tensors, contiguous row-major; int32 outputs one i32 per element). Pure: no GPU.
 *
 *   QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B)   quant.output int8/uint8 (requantized, exact)
 *   ConvInteger(x, w, x_zp, w_zp)                                        quant.output int32
 *
 * Scales and zero points must be known at load, except ConvInteger's x_zp, which may be a run-time scalar (the
 * output of DynamicQuantizeLinear): the plan then runs with x zero point 0 and a small kernel subtracts
 * x_zp · corr[o, oh, ow], corr = Σ over the taps inside the input of (w − w_zp[o]) (zeroPointCorrection).
 */
import type { Conv2dDesc } from '../conv/desc.ts';
import { samePads } from '../conv/geometry.ts';
import type { QuantOptions } from '../conv/quant-options.ts';
import { OnnxLoadError } from './errors.ts';
import { type Graph, type Node, type Tensor, elementCount, formatShape, toNumbers } from './ir.ts';
import { generateQLinearDepthwiseKernel, packDepthwiseParams, wordWork } from '../kernels/ops/quant.ts';
import { requantClamp, requantParams } from '../quant/requant.ts';
import type { OpDispatch } from './runtime-types.ts';

export interface QConvLowering {
  desc: Conv2dDesc;
  /** OIHW weights of quant.weightDtype. */
  weights: Int32Array;
  /** QLinearConv's int32 bias. */
  bias?: Int32Array;
  quant: QuantOptions;
  /** ConvInteger: the run-time x zero point's value name (then quant.xZeroPoint is 0 and `correction` is set). */
  xZeroPointValue?: string;
  /** Per output channel and position [M, OH, OW]: Σ over the in-image taps of (w − w_zp[o]). */
  correction?: Int32Array;
}

/** The quantized convolution op types (default domain). */
export const QCONV_OPS: readonly string[] = ['QLinearConv', 'ConvInteger'];

export function isQConvNode(n: Node): boolean {
  return (n.domain === '' || n.domain === 'ai.onnx') && QCONV_OPS.includes(n.opType);
}

const label = (n: Node) => `node '${n.name}' (${n.opType})`;

function attrInts(n: Node, name: string): number[] | undefined {
  const a = n.attributes[name];
  return a?.type === 'ints' ? a.value : undefined;
}

/** Explicit [top, left, bottom, right] pads of a 2-D Conv-like node (auto_pad resolved against the input size). */
export function convPads(n: Node, inHW: number[], kernel: number[], strides: number[], dilations: number[]): [number, number, number, number] {
  const a = n.attributes.auto_pad;
  const autoPad = a?.type === 'string' ? a.value : 'NOTSET';
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const [t, b] = samePads(inHW[0], kernel[0], strides[0], dilations[0], autoPad);
    const [l, r] = samePads(inHW[1], kernel[1], strides[1], dilations[1], autoPad);
    return [t, l, b, r];
  }
  if (autoPad === 'VALID') return [0, 0, 0, 0];
  const p = attrInts(n, 'pads') ?? [0, 0, 0, 0];
  return [p[0], p[1], p[2], p[3]];
}

/** How a QLinearConv / ConvInteger node maps onto an int8 plan; throws OnnxLoadError naming what it cannot take. */
export function lowerQConv(g: Graph, n: Node): QConvLowering {
  const ql = n.opType === 'QLinearConv';
  const fail = (msg: string): never => {
    throw new OnnxLoadError(`${label(n)}: ${msg}`);
  };
  const constant = (i: number): Tensor | undefined => (n.inputs[i] ? (g.initializers.get(n.inputs[i]) ?? g.folded.get(n.inputs[i])) : undefined);
  const has = (i: number) => i < n.inputs.length && n.inputs[i] !== '';
  const param = (i: number, what: string, perChannel?: number): number[] => {
    const t = constant(i);
    if (!t) return fail(`${what} (input ${i}, '${n.inputs[i]}') must be known at load (an initializer)`);
    const v = toNumbers(t);
    if (v.length === 1 || (perChannel !== undefined && v.length === perChannel)) return v;
    return fail(`${what} (input ${i}, '${n.inputs[i]}') has ${v.length} values; it must be a scalar${perChannel !== undefined ? ` or have ${perChannel} (one per output channel)` : ''}`);
  };
  const xName = n.inputs[0];
  const xv = g.values.get(xName)!;
  const x = xv.shape as number[];
  if (x.length !== 4) fail(`input '${xName}' ${formatShape(x)} has rank ${x.length}; only 2-D convolutions (rank-4 inputs) are supported`);
  if (xv.dtype !== 'int8' && xv.dtype !== 'uint8') fail(`input '${xName}' is ${xv.dtype}; it must be int8 or uint8`);
  const xType = xv.dtype as 'int8' | 'uint8';
  const wi = ql ? 3 : 1;
  const w = constant(wi) ?? fail(`the weights '${n.inputs[wi]}' must be an initializer (weights computed at run time are not supported)`);
  if (w.dtype !== 'int8' && w.dtype !== 'uint8') fail(`the weights '${n.inputs[wi]}' are ${w.dtype}; they must be int8 or uint8`);
  const wType = w.dtype as 'int8' | 'uint8';
  if (w.dims.length !== 4) fail(`the weights '${n.inputs[wi]}' ${formatShape(w.dims)} must have rank 4`);
  const m = w.dims[0];
  const groupAttr = n.attributes.group;
  const group = groupAttr?.type === 'int' ? groupAttr.value : 1;
  const kernel = [w.dims[2], w.dims[3]];
  const strides = attrInts(n, 'strides') ?? [1, 1];
  const dilations = attrInts(n, 'dilations') ?? [1, 1];
  const pads = convPads(n, [x[2], x[3]], kernel, strides, dilations);
  const desc: Conv2dDesc = {
    inChannels: x[1], outChannels: m, kernelSize: [kernel[0], kernel[1]], strides: [strides[0], strides[1]], pads,
    dilations: [dilations[0], dilations[1]], groups: group, layout: 'NCHW', dtype: xType, activation: { type: 'linear' }, algorithm: 'auto',
  };
  const weights = Int32Array.from(toNumbers(w));
  if (ql) {
    const yName = n.outputs[0];
    const yType = g.values.get(yName)!.dtype;
    if (yType !== 'int8' && yType !== 'uint8') fail(`output '${yName}' is ${yType}; it must be int8 or uint8`);
    const wZp = has(5) ? param(5, 'w_zero_point', m) : [0];
    const quant: QuantOptions = {
      output: yType as 'int8' | 'uint8',
      xScale: param(1, 'x_scale')[0],
      xZeroPoint: has(2) ? param(2, 'x_zero_point')[0] : 0,
      weightDtype: wType,
      wScale: param(4, 'w_scale', m),
      wZeroPoint: wZp.length === 1 ? wZp[0] : wZp,
      yScale: param(6, 'y_scale')[0],
      yZeroPoint: has(7) ? param(7, 'y_zero_point')[0] : 0,
    };
    let bias: Int32Array | undefined;
    if (has(8)) {
      const b = constant(8) ?? fail(`the bias '${n.inputs[8]}' must be an initializer`);
      if (b.dtype !== 'int32') fail(`the bias '${n.inputs[8]}' is ${b.dtype}; it must be int32`);
      bias = Int32Array.from(toNumbers(b));
    }
    return { desc, weights, bias, quant };
  }
  const yType = g.values.get(n.outputs[0])!.dtype;
  if (yType !== 'int32') fail(`output '${n.outputs[0]}' is ${yType}; ConvInteger writes int32`);
  const wZp = has(3) ? param(3, 'w_zero_point', m) : [0];
  const quant: QuantOptions = { output: 'int32', weightDtype: wType, wZeroPoint: wZp.length === 1 ? wZp[0] : wZp, xZeroPoint: 0 };
  if (!has(2)) return { desc, weights, quant };
  const zpName = n.inputs[2];
  if (constant(2)) {
    quant.xZeroPoint = param(2, 'x_zero_point')[0];
    return { desc, weights, quant };
  }
  const zv = g.values.get(zpName)!;
  if (zv.dtype !== xType) fail(`x_zero_point '${zpName}' is ${zv.dtype}; it must have x's dtype ${xType}`);
  if ((zv.shape as number[]).reduce((a, b) => a * b, 1) !== 1) fail(`x_zero_point '${zpName}' ${formatShape(zv.shape)} must be a scalar (per-tensor)`);
  const y = g.values.get(n.outputs[0])!.shape as number[];
  const correction = zeroPointCorrection(weights, wZp, { inChannels: x[1], outChannels: m, groups: group, kernel, strides, dilations, pads, inHW: [x[2], x[3]], outHW: [y[2], y[3]] });
  return { desc, weights, quant, xZeroPointValue: zpName, correction };
}

export interface CorrectionGeometry {
  inChannels: number;
  outChannels: number;
  groups: number;
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [top, left, bottom, right] */
  pads: readonly number[];
  inHW: number[];
  outHW: number[];
}

/**
 * corr[o, oh, ow] = Σ_{ci, kh, kw: the tap's input row and column inside the image} (w[o, ci, kh, kw] − w_zp[o])
 * (OIHW weights; w_zp one value or one per output channel). Summed per tap over ci first, so the cost is
 * M·(Cg·KH·KW + OH·OW·KH·KW).
 */
export function zeroPointCorrection(w: ArrayLike<number>, wZp: readonly number[], g: CorrectionGeometry): Int32Array {
  const [kh, kw] = g.kernel;
  const [oh, ow] = g.outHW;
  const [ih, iw] = g.inHW;
  const cg = g.inChannels / g.groups;
  const out = new Int32Array(g.outChannels * oh * ow);
  const tapSum = new Int32Array(kh * kw);
  const rowOk = (y: number, r: number) => {
    const i = y * g.strides[0] - g.pads[0] + r * g.dilations[0];
    return i >= 0 && i < ih;
  };
  const colOk = (x: number, s: number) => {
    const i = x * g.strides[1] - g.pads[1] + s * g.dilations[1];
    return i >= 0 && i < iw;
  };
  for (let o = 0; o < g.outChannels; o++) {
    const z = wZp.length === 1 ? wZp[0] : wZp[o];
    tapSum.fill(0);
    for (let c = 0; c < cg; c++) for (let t = 0; t < kh * kw; t++) tapSum[t] += w[(o * cg + c) * kh * kw + t] - z;
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let s = 0;
        for (let r = 0; r < kh; r++) {
          if (!rowOk(y, r)) continue;
          for (let q = 0; q < kw; q++) if (colOk(x, q)) s += tapSum[r * kw + q];
        }
        out[(o * oh + y) * ow + x] = s;
      }
    }
  }
  return out;
}

/**
 * A depthwise QLinearConv (group = C = M, 8-bit output, every output at least 4 elements) as the op kernel of
 * src/kernels/ops/quant.ts (generateQLinearDepthwiseKernel: only the useful MACs, one output word per invocation)
 * instead of an engine plan; undefined for every other convolution. Same integers as the engine's plan: i32
 * accumulation and the requantization of src/quant/requant.ts.
 */
export function lowerQDepthwise(q: QConvLowering, x: readonly number[], y: readonly number[], outValue: string, inValue: string, maxPerDim: number): OpDispatch | undefined {
  const d = q.desc;
  const out = q.quant.output;
  if (out !== 'int8' && out !== 'uint8') return undefined;
  if (d.groups !== d.inChannels || d.outChannels !== d.inChannels || d.groups === 1 || q.xZeroPointValue) return undefined;
  const C = d.inChannels;
  const rq = requantParams(q.quant.xScale!, q.quant.wScale!, q.quant.yScale!);
  const m0 = rq.m0.length === 1 ? new Uint32Array(C).fill(rq.m0[0]) : rq.m0;
  const shift = rq.shift.length === 1 ? new Uint32Array(C).fill(rq.shift[0]) : rq.shift;
  const wz = q.quant.wZeroPoint ?? 0;
  const clamp = requantClamp({ type: 'linear' }, q.quant.yScale!, q.quant.yZeroPoint ?? 0, out);
  const packed = packDepthwiseParams(m0, shift, q.bias, typeof wz === 'number' ? [wz] : wz, q.weights);
  const cfg = { input: d.dtype as 'int8' | 'uint8', weights: q.quant.weightDtype!, output: out, ...(q.quant.rounding === 'float32' ? { rounding: 'float32' as const } : {}) };
  const w = wordWork(elementCount(y), 0, maxPerDim);
  const pads = d.pads as [number, number, number, number];
  const ks = d.kernelSize as [number, number];
  const st = d.strides as [number, number];
  const dl = d.dilations as [number, number];
  return {
    kernel: generateQLinearDepthwiseKernel(cfg),
    uniforms: {
      ...w.uniforms, c: C, in_h: x[2], in_w: x[3], out_h: y[2], out_w: y[3], kernel_h: ks[0], kernel_w: ks[1],
      stride_h: st[0], stride_w: st[1], pad_top: pads[0], pad_left: pads[1], dilation_h: dl[0], dilation_w: dl[1],
      wbase: 4 * C, x_zp: q.quant.xZeroPoint ?? 0, y_zp: clamp.zp, lo: clamp.lo, hi: clamp.hi,
    },
    workgroups: w.workgroups,
    buffers: { x: { value: inValue }, qw: { constant: packed, label: `depthwise ${outValue}: requantization and weights` }, out: { value: outValue } },
  };
}
