/**
 * IEEE 754 binary16 on the host: rounding (to nearest, ties to even, as WGSL's pack2x16float and
 * f16 conversions do), bit patterns, and the packed layout of the GPU kernels' f16 storage: two halves per
 * u32 word, element 2i in bits 0..15 and element 2i+1 in bits 16..31 (pack2x16float(vec2(x[2i], x[2i+1]))).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bit pattern nearest to `x` (first rounded to float32; ties to even; overflow to ±Inf; NaN kept). */
export function f16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const man = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0);
  // Unbiased exponent; binary16 normal range is [-14, 15].
  const e = exp - 127;
  if (e > 15) return sign | 0x7c00;
  if (e >= -14) {
    // Normal: keep 10 mantissa bits, round the 13 dropped ones to nearest even (a carry may bump the exponent).
    let h = ((e + 15) << 10) | (man >>> 13);
    const rest = man & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
    return sign | h;
  }
  if (e < -25) return sign;
  // Subnormal: value = m · 2^-24 with m = full · 2^(e + 1) (full = the 24-bit significand), rounded to nearest even.
  const full = man | 0x800000;
  const shift = -e - 1;
  const m = full >>> shift;
  const dropped = full & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  let h = m;
  if (dropped > half || (dropped === half && m & 1)) h++;
  return sign | h;
}

/** The value of a binary16 bit pattern. */
export function f16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0x1f) return man ? NaN : sign * Infinity;
  if (exp === 0) return sign * man * 2 ** -24;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}

/** `x` rounded to the nearest binary16 value. */
export function roundF16(x: number): number {
  return f16Value(f16Bits(x));
}

/** Values packed two halves per u32 word (length ceil(n / 2); an odd tail's upper half is 0). */
export function packF16(values: ArrayLike<number>): Uint32Array {
  const out = new Uint32Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) out[i >> 1] |= f16Bits(values[i]) << ((i & 1) * 16);
  return out;
}

/** The first `n` values of words packed by packF16, as float32. */
export function unpackF16(words: Uint32Array, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = f16Value((words[i >> 1] >>> ((i & 1) * 16)) & 0xffff);
  return out;
}

/** The largest finite binary16 value. */
export const F16_MAX = 65504;
