/**
 * The scalar 8-bit quantization of the QLinear ops and their 256-entry lookup tables (QLinearSigmoid, QLinearAdd /
 * QLinearMul with a constant operand, QLinearConcat's requantization), with float32 rounding exactly where ONNX and
 * ONNX Runtime round (see src/reference/quant-ops.ts for the op semantics). Shared by the op lowering
 * (src/graph/lower-ops.ts) and the CPU references. Pure.
 */
import { roundHalfEven } from './scalar.ts';

const f32 = Math.fround;

export type Int8DType = 'int8' | 'uint8';

export const INT8_RANGE: Readonly<Record<Int8DType, readonly [number, number]>> = { int8: [-128, 127], uint8: [0, 255] };

/** saturate(round_half_even(fl32(x / scale)) + zp) for one float32 x. */
export function quantizeValue(x: number, scale: number, zp: number, dtype: Int8DType): number {
  const [lo, hi] = INT8_RANGE[dtype];
  const q = roundHalfEven(f32(f32(x) / f32(scale)));
  const v = q + zp;
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * ONNX Runtime's requantization in com.microsoft QLinearAdd / QLinearMul: v = fl32(x / scale) clamped to
 * [lo − zp, hi − zp], y = round_half_even(fl32(v + zp)). Differs from quantizeValue only where fl32(v + zp) lands on
 * or leaves a tie (v = 2.5000002, zp = 130: 132.5 → 132, where quantizeValue gives 3 + 130 = 133).
 */
export function qlinearQuantizeValue(x: number, scale: number, zp: number, dtype: Int8DType): number {
  const [lo, hi] = INT8_RANGE[dtype];
  let v = f32(f32(x) / f32(scale));
  v = v < lo - zp ? lo - zp : v > hi - zp ? hi - zp : v;
  return roundHalfEven(f32(v + zp));
}

/** Raw byte (0..255) of an 8-bit value, and back. */
export function toRawByte(v: number): number {
  return v & 0xff;
}
export function fromRawByte(b: number, dtype: Int8DType): number {
  return dtype === 'int8' && b >= 128 ? b - 256 : b;
}

/**
 * The 256-entry table of a unary 8-bit op, indexed by the input's raw byte, holding the output's raw byte:
 * table[b] = raw(quantize(f(fl32(x_scale · (value(b) − x_zp))), y_scale, y_zp)), quantize = QuantizeLinear unless
 * given (QLinearAdd / QLinearMul's own rounding for their constant-operand tables).
 */
export function buildUnaryTable(
  f: (x: number) => number,
  x: { scale: number; zeroPoint: number; dtype: Int8DType },
  y: { scale: number; zeroPoint: number; dtype: Int8DType },
  quantize: (x: number, scale: number, zp: number, dtype: Int8DType) => number = quantizeValue,
): Uint32Array {
  const table = new Uint32Array(256);
  for (let b = 0; b < 256; b++) {
    const xv = f32(f32(x.scale) * (fromRawByte(b, x.dtype) - x.zeroPoint));
    table[b] = toRawByte(quantize(f32(f(xv)), y.scale, y.zeroPoint, y.dtype));
  }
  return table;
}

/** The QLinearSigmoid table (com.microsoft; the logistic in float64, rounded to float32 as ORT's float output). */
export function qlinearSigmoidTable(x: { scale: number; zeroPoint: number; dtype: Int8DType }, y: { scale: number; zeroPoint: number; dtype: Int8DType }): Uint32Array {
  return buildUnaryTable((v) => 1 / (1 + Math.exp(-v)), x, y);
}

/**
 * QLinearAdd / QLinearMul with one operand constant (every element the raw value `k`, parameters `kq`) as a unary
 * table on the other operand (`x`): table[b] = raw(qlinearBinaryRef's element for (value(b), k)). fl32 addition and
 * multiplication commute, so which of A and B is the constant does not matter.
 */
export function qlinearBinaryConstTable(op: 'add' | 'mul', x: { scale: number; zeroPoint: number; dtype: Int8DType }, k: number, kq: { scale: number; zeroPoint: number }, y: { scale: number; zeroPoint: number; dtype: Int8DType }): Uint32Array {
  const vk = f32(f32(kq.scale) * (k - kq.zeroPoint));
  return buildUnaryTable(op === 'add' ? (v) => f32(v + vk) : (v) => f32(v * vk), x, y, qlinearQuantizeValue);
}

/**
 * QLinearConcat's per-input requantization table (ONNX Runtime builds the same one, with an identity function):
 * table[b] = raw(QuantizeLinear(fl32(x_scale · (value(b) − x_zp)), y_scale, y_zp)).
 */
export function qlinearRequantizeTable(x: { scale: number; zeroPoint: number; dtype: Int8DType }, y: { scale: number; zeroPoint: number; dtype: Int8DType }): Uint32Array {
  return buildUnaryTable((v) => v, x, y);
}
