/**
 * Quantization parameters of an int8/uint8 convolution (ONNX ConvInteger / QLinearConv semantics, SCHEMA.md):
 *   int32 output:   y = Σ (x − x_zp)(w − w_zp[o])                                   (ConvInteger, exact)
 *   int8/uint8:     y = saturate(round_half_even((acc + bias)·x_scale·w_scale[o]/y_scale) + y_zp), then the
 *                   fused relu/relu6 clamp                                           (QLinearConv, exact)
 *   float32:        y = acc·x_scale·w_scale[o] + bias                                  (dequantized)
 */
import { ConvDescError, rejectUnknownKeys } from './validate.ts';
import type { NormalizedDesc } from './desc.ts';

export type QuantOutput = 'int32' | 'int8' | 'uint8' | 'float32';

export interface QuantOptions {
  output: QuantOutput;
  xZeroPoint?: number;
  xScale?: number;
  /** Element type of the weights (default int8). */
  weightDtype?: 'int8' | 'uint8';
  /** One per tensor, or one per output channel. */
  wZeroPoint?: number | ArrayLike<number>;
  wScale?: number | ArrayLike<number>;
  yScale?: number;
  yZeroPoint?: number;
  /**
   * int8/uint8 output: how acc · M is rounded before round-half-to-even. 'float64' (default): the reference's
   * (src/reference/integer.ts); 'float32': ONNX Runtime's MLAS arithmetic, fl32(fl32(acc) · M), so outputs match
   * ONNX Runtime's bit for bit (the runtime's default for ONNX models). direct and im2col plans only.
   */
  rounding?: 'float64' | 'float32';
}

export interface NormalizedQuant {
  output: QuantOutput;
  inputDtype: 'int8' | 'uint8';
  weightDtype: 'int8' | 'uint8';
  xZeroPoint: number;
  xScale: number;
  wZeroPoint: number | Int32Array;
  wScale: number[];
  yScale: number;
  yZeroPoint: number;
  rounding: 'float64' | 'float32';
}

export const QUANT_KEYS = ['output', 'xZeroPoint', 'xScale', 'weightDtype', 'wZeroPoint', 'wScale', 'yScale', 'yZeroPoint', 'rounding'] as const;

const RANGE = { int8: [-128, 127], uint8: [0, 255] } as const;

function intIn(field: string, v: unknown, dtype: 'int8' | 'uint8'): number {
  const [lo, hi] = RANGE[dtype];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new ConvDescError(field, v, `must be an integer in the ${dtype} range [${lo}, ${hi}]`);
  return v;
}

function positive(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ConvDescError(field, v, 'must be a finite number > 0');
  return v;
}

export function normalizeQuant(d: NormalizedDesc, q: QuantOptions | undefined): NormalizedQuant {
  if (d.dtype !== 'int8' && d.dtype !== 'uint8') throw new ConvDescError('quant', 'given', `applies to dtype int8 or uint8, not ${d.dtype}`);
  if (!q || typeof q !== 'object' || Array.isArray(q)) throw new ConvDescError('quant', q, `is required for dtype ${d.dtype}: {output: 'int32' | 'int8' | 'uint8' | 'float32', scales, zero points}`);
  rejectUnknownKeys('quant', q, QUANT_KEYS);
  if (!['int32', 'int8', 'uint8', 'float32'].includes(q.output)) throw new ConvDescError('quant.output', q.output, "must be 'int32' (ConvInteger), 'int8' or 'uint8' (QLinearConv) or 'float32' (dequantized)");
  const weightDtype = q.weightDtype === undefined ? 'int8' : q.weightDtype;
  if (weightDtype !== 'int8' && weightDtype !== 'uint8') throw new ConvDescError('quant.weightDtype', weightDtype, "must be 'int8' or 'uint8'");
  const xZeroPoint = intIn('quant.xZeroPoint', q.xZeroPoint === undefined ? 0 : q.xZeroPoint, d.dtype);
  let wZeroPoint: number | Int32Array;
  if (q.wZeroPoint === undefined || typeof q.wZeroPoint !== 'object' || q.wZeroPoint === null) wZeroPoint = intIn('quant.wZeroPoint', q.wZeroPoint === undefined ? 0 : q.wZeroPoint, weightDtype);
  else {
    if (!Array.isArray(q.wZeroPoint) && !ArrayBuffer.isView(q.wZeroPoint)) throw new ConvDescError('quant.wZeroPoint', q.wZeroPoint, `must be one integer or an array of outChannels (${d.outChannels})`);
    if (q.wZeroPoint.length !== d.outChannels) throw new ConvDescError('quant.wZeroPoint.length', q.wZeroPoint.length, `must be 1 or outChannels (${d.outChannels})`);
    wZeroPoint = Int32Array.from(q.wZeroPoint, (v, i) => intIn(`quant.wZeroPoint[${i}]`, v, weightDtype));
  }
  const needScales = q.output !== 'int32';
  const xScale = needScales ? positive('quant.xScale', q.xScale) : 1;
  if (q.wScale !== undefined && typeof q.wScale !== 'number' && !Array.isArray(q.wScale) && !ArrayBuffer.isView(q.wScale)) {
    throw new ConvDescError('quant.wScale', q.wScale, `must be one number or an array of outChannels (${d.outChannels})`);
  }
  const ws = q.wScale === undefined ? (needScales ? undefined : [1]) : typeof q.wScale === 'number' ? [q.wScale] : Array.from(q.wScale as ArrayLike<number>);
  if (!ws) throw new ConvDescError('quant.wScale', undefined, `is required for output ${q.output}`);
  if (ws.length !== 1 && ws.length !== d.outChannels) throw new ConvDescError('quant.wScale.length', ws.length, `must be 1 or outChannels (${d.outChannels})`);
  ws.forEach((v, i) => positive(`quant.wScale[${i}]`, v));
  const requant = q.output === 'int8' || q.output === 'uint8';
  const yScale = requant ? positive('quant.yScale', q.yScale) : 1;
  const yZeroPoint = requant ? intIn('quant.yZeroPoint', q.yZeroPoint === undefined ? 0 : q.yZeroPoint, q.output as 'int8' | 'uint8') : 0;
  if (!['linear', 'relu', 'relu6'].includes(d.activation.type)) {
    throw new ConvDescError('activation', d.activation.type, "must be linear, relu or relu6 for int8/uint8 (applied as a clamp)");
  }
  if (q.output === 'int32' && d.activation.type !== 'linear') {
    throw new ConvDescError('activation', d.activation.type, "must be linear with quant.output 'int32' (ConvInteger has no activation); use output int8, uint8 or float32");
  }
  const rounding = q.rounding ?? 'float64';
  if (rounding !== 'float64' && rounding !== 'float32') throw new ConvDescError('quant.rounding', rounding, "must be 'float64' (the reference's product) or 'float32' (ONNX Runtime's)");
  return { output: q.output, inputDtype: d.dtype, weightDtype, xZeroPoint, xScale, wZeroPoint, wScale: ws, yScale, yZeroPoint, rounding };
}
