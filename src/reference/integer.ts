/**
 * Exact integer references with ONNX semantics: ConvInteger and QLinearConv.
 *
 * ConvInteger: y = Σ (x − x_zero_point)·(w − w_zero_point[o]). Padded positions of x hold x_zero_point, so
 * they add 0 (equivalently: subtract the zero points, then pad with zeros).
 *
 * QLinearConv: acc = ConvInteger(x, w) + B[o] (int32 bias), then
 *   y = saturate(round_half_even(acc · M[o]) + y_zero_point),   M[o] = x_scale · w_scale[o] / y_scale
 * to uint8 or int8. Rounding happens before the zero point is added, as in the ONNX operator spec,
 * QuantizeLinear and ONNX Runtime; the ONNX Python reference (onnx/reference/ops/op_qlinear_conv.py) adds
 * y_zero_point first and then rounds, which differs only on exact .5 ties with an odd zero point.
 *
 * Precision choices:
 * - The integer sums use plain JS numbers. Every product and partial sum is an integer, and float64 holds
 *   integers exactly up to 2^53; `convIntegerReference` checks the a-priori bound
 *   max|x'|·max|w'|·(terms per output) <= 2^53 and throws otherwise (it needs ~1.4e11 terms with 8-bit data).
 *   Sums are returned exactly, without int32 wrap-around.
 * - The scales are float32 in ONNX. M[o] is computed as ONNX's reference and ONNX Runtime compute it: in
 *   float32, fround(fround(x_scale · w_scale[o]) / y_scale). The product acc · M[o] is then taken in float64
 *   (as ONNX's reference does; ONNX Runtime multiplies in float32 and can differ by 1 LSB near a tie, which is
 *   why the schema allows 1 LSB as a fallback).
 * - Fused activations are a clamp in the quantized domain, applied with the saturation: relu clamps below at
 *   y_zero_point; relu6 clamps to [y_zero_point, y_zero_point + round_half_even(6 / y_scale)]; both are
 *   intersected with the output type's range.
 */
import type { Activation, BroadcastTensor, ConvGeometry, Layout, WeightLayout } from '../conv/types.ts';
import { outputSize } from '../conv/geometry.ts';
import { ConvDescError, validateBroadcast, validateConvTensors } from '../conv/validate.ts';
import { directConvNCHW, expandBroadcast, nchwOperands, toLayout } from './conv2d.ts';
import { type QuantDType, type RequantRounding, QUANT_RANGE, fusedClampRange, requantMultiplier, requantize, roundHalfEven } from '../quant/scalar.ts';

// The scalar quantization math lives in src/quant/scalar.ts (generators and the oracle share it); re-exported here.
export { type QuantDType, type RequantRounding, QUANT_RANGE, REQUANT_ROUNDINGS, fusedClampRange, requantMultiplier, requantize, roundHalfEven } from '../quant/scalar.ts';

export interface ConvIntegerOperands {
  input: ArrayLike<number>;
  inputLayout: Layout;
  weight: ArrayLike<number>;
  weightLayout: WeightLayout;
  /** Per tensor; default 0. */
  xZeroPoint?: number;
  /** Per tensor (a number or one value) or per output channel; default 0. */
  wZeroPoint?: number | ArrayLike<number>;
}

export interface IntegerConvOutput {
  /** Exact integers. */
  data: Float64Array;
  /** 4-D, in `layout` (the input's layout). */
  shape: [number, number, number, number];
  layout: Layout;
}

export interface QLinearConvOperands extends ConvIntegerOperands {
  xScale: number;
  /** Per tensor (a number or one value) or per output channel. */
  wScale: number | ArrayLike<number>;
  yScale: number;
  /** Default 0. */
  yZeroPoint?: number;
  outputDtype: QuantDType;
  /** int32 bias, added to the accumulator before requantization (ONNX: 1-D, one per output channel). */
  bias?: BroadcastTensor;
  /** linear (default), relu or relu6, fused as a clamp in the quantized domain. */
  activation?: Activation;
  /** How acc · M is rounded (default 'float64'; 'float32' is ONNX Runtime's). */
  rounding?: RequantRounding;
}

export interface QLinearConvOutput extends IntegerConvOutput {
  /** acc = ConvInteger + bias, exact, in the output's layout. */
  accumulator: Float64Array;
  /** M[o] per output channel (float32 values). */
  multipliers: Float64Array;
}


function requireIntegerValue(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConvDescError(field, v, 'must be an integer');
  return v;
}

function requireAllIntegers(field: string, data: ArrayLike<number>): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isInteger(data[i])) throw new ConvDescError(`${field}[${i}]`, data[i], 'must be an integer');
  }
}

/** A per-tensor or per-output-channel parameter, expanded to one value per output channel. */
function perChannel(field: string, v: number | ArrayLike<number> | undefined, outChannels: number, fallback: number): Float64Array {
  const out = new Float64Array(outChannels);
  if (v === undefined) return out.fill(fallback);
  if (typeof v === 'number') return out.fill(v);
  if (v.length === 1) return out.fill(v[0]);
  if (v.length !== outChannels) {
    throw new ConvDescError(field, v, `must hold 1 value (per tensor) or ${outChannels} values (one per output channel)`);
  }
  out.set(v);
  return out;
}

function requirePositiveScale(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ConvDescError(field, v, 'must be a finite number > 0');
  return v;
}

/** Channel of the element at `idx` of a 4-D tensor with c channels and h×w spatial size in `layout`. */
function channelOf(idx: number, layout: Layout, c: number, h: number, w: number): number {
  return layout === 'NHWC' ? idx % c : Math.floor(idx / (h * w)) % c;
}

/** Exact ConvInteger (int32 output semantics, without wrap-around). The output is in the input's layout. */
export function convIntegerReference(g: ConvGeometry, ops: ConvIntegerOperands): IntegerConvOutput {
  const shape = validateConvTensors(g, ops);
  requireAllIntegers('input.data', ops.input);
  requireAllIntegers('weight.data', ops.weight);
  const xz = requireIntegerValue('xZeroPoint', ops.xZeroPoint ?? 0);
  const wz = perChannel('wZeroPoint', ops.wZeroPoint, g.outChannels, 0);
  wz.forEach((v, o) => requireIntegerValue(`wZeroPoint[${o}]`, v));

  const { x, w } = nchwOperands(g, ops);
  let maxX = 0;
  for (let i = 0; i < x.length; i++) {
    x[i] -= xz;
    maxX = Math.max(maxX, Math.abs(x[i]));
  }
  const perOut = w.length / g.outChannels;
  let maxW = 0;
  for (let i = 0; i < w.length; i++) {
    w[i] -= wz[Math.floor(i / perOut)];
    maxW = Math.max(maxW, Math.abs(w[i]));
  }
  const bound = maxX * maxW * perOut;
  if (bound > 2 ** 53) {
    throw new ConvDescError('input.data', ops.input, `sums may reach ${bound}: exact integer accumulation needs max|x'|·max|w'|·terms <= 2^53`);
  }
  const { outHeight: oh, outWidth: ow } = outputSize(g);
  const data = toLayout(directConvNCHW(g, x, w), ops.inputLayout, g.batch, g.outChannels, oh, ow);
  return { data, shape, layout: ops.inputLayout };
}

/** QLinearConv with per-tensor or per-output-channel weight scale and zero point. */
export function qlinearConvReference(g: ConvGeometry, ops: QLinearConvOperands): QLinearConvOutput {
  const dtype = ops.outputDtype;
  if (dtype !== 'uint8' && dtype !== 'int8') throw new ConvDescError('outputDtype', dtype, "must be 'uint8' or 'int8'");
  const xScale = requirePositiveScale('xScale', ops.xScale);
  const yScale = requirePositiveScale('yScale', ops.yScale);
  const wScale = perChannel('wScale', ops.wScale, g.outChannels, Number.NaN);
  wScale.forEach((v, o) => requirePositiveScale(`wScale[${o}]`, v));
  const yz = requireIntegerValue('yZeroPoint', ops.yZeroPoint ?? 0);
  const [qlo, qhi] = QUANT_RANGE[dtype];
  if (yz < qlo || yz > qhi) throw new ConvDescError('yZeroPoint', yz, `must be within the ${dtype} range [${qlo}, ${qhi}]`);
  const [lo, hi] = fusedClampRange(ops.activation, yScale, yz, dtype);

  const conv = convIntegerReference(g, ops);
  const { outHeight: oh, outWidth: ow } = outputSize(g);
  const accumulator = conv.data;
  if (ops.bias) {
    validateBroadcast('bias', ops.bias, conv.shape, g.outChannels);
    requireAllIntegers('bias.data', ops.bias.data);
    const b = expandBroadcast(ops.bias, ops.inputLayout, g.batch, g.outChannels, oh, ow);
    for (let i = 0; i < accumulator.length; i++) accumulator[i] += b[i];
  }
  const multipliers = wScale.map((ws) => requantMultiplier(xScale, ws, yScale));
  const data = new Float64Array(accumulator.length);
  for (let i = 0; i < data.length; i++) {
    const o = channelOf(i, ops.inputLayout, g.outChannels, oh, ow);
    data[i] = requantize(accumulator[i], multipliers[o], yz, lo, hi, ops.rounding);
  }
  return { data, shape: conv.shape, layout: conv.layout, accumulator, multipliers };
}
