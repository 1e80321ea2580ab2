/**
 * Exact rational scalars for the Winograd transforms (fraction.js, BigInt-backed) and their exact
 * conversion to and from IEEE-754 binary floating point.
 *
 * Conversions never go through an intermediate rounding: a JS number is turned into the rational it
 * denotes exactly (every finite double is a dyadic rational), and a rational is rounded once, to nearest
 * with ties to even, straight to float64 or float32.
 */
import Fraction from 'fraction.js';

export { Fraction };

/** What the public API accepts as one exact scalar: a fraction string ("1/2", "-2", "0.25"), a number, a bigint. */
export type RationalInput = Fraction | string | number | bigint;

/** Shared constants; fraction.js operations return new objects, so sharing them is safe. */
export const ZERO = new Fraction(0);
export const ONE = new Fraction(1);

/**
 * The exact rational value of a finite double (m · 2^e with integer m), not fraction.js's best rational
 * approximation: `exactFromNumber(0.1)` is 3602879701896397/36028797018963968, not 1/10.
 */
export function exactFromNumber(x: number): Fraction {
  if (!Number.isFinite(x)) throw new Error(`exactFromNumber: expected a finite number, got ${x}`);
  if (Number.isInteger(x) && Number.isSafeInteger(x)) return new Fraction(BigInt(x));
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const negative = hi >>> 31 === 1;
  const biasedExp = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biasedExp === 0) {
    exp = -1074;
  } else {
    mantissa |= 1n << 52n;
    exp = biasedExp - 1075;
  }
  const signed = negative ? -mantissa : mantissa;
  return exp >= 0 ? new Fraction(signed << BigInt(exp)) : new Fraction(signed, 1n << BigInt(-exp));
}

/**
 * Parses one exact scalar. Strings use fraction.js syntax ("1/2", "-3", "0.125"); numbers are taken at
 * their exact binary value (see `exactFromNumber`), so pass "1/3" rather than 1/3 for non-dyadic values.
 * `what` names the parameter in the error message.
 */
export function toRational(value: RationalInput, what = 'value'): Fraction {
  if (value instanceof Fraction) return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${what}: expected a finite number, got ${value}`);
    return exactFromNumber(value);
  }
  if (typeof value === 'bigint') return new Fraction(value);
  if (typeof value === 'string') {
    try {
      return new Fraction(value.trim());
    } catch {
      throw new Error(`${what}: expected a number or a fraction string like "1/2", got ${JSON.stringify(value)}`);
    }
  }
  throw new Error(`${what}: expected a number or a fraction string like "1/2", got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** "1/2", "-1/6", "0", "4". */
export function formatFraction(f: Fraction): string {
  const sign = f.s < 0n && f.n !== 0n ? '-' : '';
  return f.d === 1n ? `${sign}${f.n}` : `${sign}${f.n}/${f.d}`;
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/**
 * Rounds the rational `f` to the binary format with `precision` significand bits and minimum normal
 * exponent `minExp` (round to nearest, ties to even; subnormals handled), returning it as a JS number.
 * `maxFinite` is the largest finite value of the format; anything that rounds beyond it is ±Infinity.
 */
function roundToBinary(f: Fraction, precision: number, minExp: number, maxFinite: number): number {
  if (f.n === 0n) return 0;
  const negative = f.s < 0n;
  const num = f.n;
  const den = f.d;
  // e = floor(log2(num / den)), so that 2^e <= num/den < 2^(e+1).
  let e = bitLength(num) - bitLength(den);
  const below = e >= 0 ? num < den << BigInt(e) : num << BigInt(-e) < den;
  if (below) e -= 1;
  // Quantum (weight of the last significand bit) of the result.
  const q = Math.max(e, minExp) - (precision - 1);
  const scaledNum = q >= 0 ? num : num << BigInt(-q);
  const scaledDen = q >= 0 ? den << BigInt(q) : den;
  let mant = scaledNum / scaledDen;
  const rem2 = (scaledNum - mant * scaledDen) * 2n;
  if (rem2 > scaledDen || (rem2 === scaledDen && (mant & 1n) === 1n)) mant += 1n;
  // mant <= 2^precision <= 2^53 is exact as a number; scaling by 2^q is exact (split to avoid underflow).
  const half = Math.trunc(q / 2);
  const magnitude = Number(mant) * 2 ** half * 2 ** (q - half);
  const result = magnitude > maxFinite ? Infinity : magnitude;
  return negative ? -result : result;
}

const F32_MAX = 3.4028234663852886e38;

/** The float64 nearest to the exact rational (one rounding, ties to even). */
export function fractionToFloat64(f: Fraction): number {
  return roundToBinary(f, 53, -1022, Number.MAX_VALUE);
}

/** The float32 nearest to the exact rational (one rounding, ties to even), as a JS number. */
export function fractionToFloat32(f: Fraction): number {
  return roundToBinary(f, 24, -126, F32_MAX);
}

/** The exact decimal expansion of a finite double (always finite, since the value is dyadic). */
export function exactDecimal(x: number): string {
  const f = exactFromNumber(x);
  const sign = f.s < 0n && f.n !== 0n ? '-' : '';
  if (f.d === 1n) return `${sign}${f.n}`;
  // f.d is a power of two 2^k, so n / 2^k = n · 5^k / 10^k.
  const k = bitLength(f.d) - 1;
  const digits = (f.n * 5n ** BigInt(k)).toString().padStart(k + 1, '0');
  const intPart = digits.slice(0, digits.length - k);
  const fracPart = digits.slice(digits.length - k).replace(/0+$/, '');
  return fracPart.length > 0 ? `${sign}${intPart}.${fracPart}` : `${sign}${intPart}`;
}

/**
 * A WGSL `f32` literal for the value rounded to float32: the exact decimal expansion of that float32
 * with an `f` suffix ("0.5f", "-0.16666667163372039794921875f", "4.0f"). Because the literal is exactly
 * representable, no WGSL compiler has a rounding choice to make. A Fraction is rounded once (correctly);
 * a number with Math.fround.
 */
export function wgslF32Literal(value: Fraction | number): string {
  const v = typeof value === 'number' ? Math.fround(value) : fractionToFloat32(value);
  if (!Number.isFinite(v)) throw new Error(`wgslF32Literal: ${String(value)} is not finite as f32 (got ${v})`);
  const text = exactDecimal(v === 0 ? 0 : v);
  return text.includes('.') ? `${text}f` : `${text}.0f`;
}
