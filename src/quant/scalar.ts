/**
 * Scalar quantization math shared by the generators, the engine and the CPU oracle (src/reference re-exports it):
 * the 8-bit ranges, round-half-to-even, ONNX's float32 requantization multiplier, how acc · M is rounded, and the
 * clamp range of a quantized output with a fused relu/relu6 (ONNX QLinearConv semantics). Pure: no GPU, no WGSL.
 */
import type { Activation } from '../conv/types.ts';
import { ConvDescError } from '../conv/validate.ts';

export type QuantDType = 'uint8' | 'int8';

/** Inclusive value range of each quantized output type. */
export const QUANT_RANGE: Readonly<Record<QuantDType, readonly [number, number]>> = { uint8: [0, 255], int8: [-128, 127] };

/** Rounds to the nearest integer, ties to even (numpy's `np.round`, IEEE roundTiesToEven). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  const tieRoundedToOdd = r - v === 0.5 && r % 2 !== 0;
  const out = tieRoundedToOdd ? r - 1 : r;
  return out === 0 ? 0 : out;
}

/** M = x_scale · w_scale / y_scale with float32 operands and float32 rounding after each operation. */
export function requantMultiplier(xScale: number, wScale: number, yScale: number): number {
  return Math.fround(Math.fround(Math.fround(xScale) * Math.fround(wScale)) / Math.fround(yScale));
}

/**
 * How the requantization product acc · M is rounded before round-half-to-even:
 * - 'float64': in float64 (the ONNX reference's arithmetic; the engine's default);
 * - 'float32': fl32(fl32(acc) · M), ONNX Runtime's MLAS requantization (`MlasRequantizeOutput`: float(acc) · scale in
 *   float32, clamped, rounded to nearest even), so a model's outputs match ONNX Runtime's bit for bit.
 */
export type RequantRounding = 'float64' | 'float32';
export const REQUANT_ROUNDINGS: readonly RequantRounding[] = ['float64', 'float32'];

/** saturate(round_half_even(acc · multiplier) + zeroPoint) to [lo, hi], the product rounded as `rounding` says. */
export function requantize(acc: number, multiplier: number, zeroPoint: number, lo: number, hi: number, rounding: RequantRounding = 'float64'): number {
  const p = rounding === 'float32' ? Math.fround(Math.fround(acc) * multiplier) : acc * multiplier;
  return Math.min(Math.max(roundHalfEven(p) + zeroPoint, lo), hi);
}

/** The clamp range of a quantized output with an optional fused relu/relu6 (see the file comment). */
export function fusedClampRange(activation: Activation | undefined, yScale: number, yZeroPoint: number, dtype: QuantDType): [number, number] {
  const [lo, hi] = QUANT_RANGE[dtype];
  switch (activation?.type ?? 'linear') {
    case 'linear':
      return [lo, hi];
    case 'relu':
      return [Math.max(lo, yZeroPoint), hi];
    case 'relu6':
      return [Math.max(lo, yZeroPoint), Math.min(hi, yZeroPoint + roundHalfEven(6 / Math.fround(yScale)))];
    default:
      throw new ConvDescError('activation.type', activation?.type, "qlinear_conv fuses only 'linear', 'relu' or 'relu6'");
  }
}
