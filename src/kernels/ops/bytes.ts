/**
 * WGSL helpers for 8-bit tensors in the session arena (issue 13 contract): element offset e of a byte tensor is
 * byte e of its storage, read from an `array<u32>` binding as word e >> 2, lane e & 3 (little-endian; int8 is two's
 * complement, sign-extended on read). Writers store one whole word of 4 consecutive contiguous elements per
 * invocation (no atomics); lanes past the tensor's end are written as 0. Also the exact float helpers the
 * quantizing kernels share: a correctly rounded f32 division (WGSL's `/` is only accurate to 2.5 ULP) and a
 * round-to-nearest-even i32 → f32 conversion. Pure: no GPU.
 */
import type { UniformField } from '../types.ts';
import { linearMain } from './common.ts';

/** The 8-bit element types. */
export type ByteDType = 'int8' | 'uint8';

export const BYTE_RANGE: Readonly<Record<ByteDType, readonly [number, number]>> = { int8: [-128, 127], uint8: [0, 255] };

export function checkByteDType(dtype: string, what: string): asserts dtype is ByteDType {
  if (dtype !== 'int8' && dtype !== 'uint8') throw new Error(`${what}: dtype '${dtype}' must be 'int8' or 'uint8'`);
}

/** Words of storage a byte tensor of `count` elements takes. */
export function byteWords(count: number): number {
  return Math.ceil(count / 4);
}

/**
 * WGSL `fn <fnName>(e: i32) -> i32`: the value of element offset `e` of the byte tensor bound as `binding`
 * (array<u32>), sign-extended for int8. (A function per binding: WGSL cannot pass storage pointers.)
 */
export function byteReader(fnName: string, binding: string, dtype: ByteDType): string {
  const lane = '(u32(e) & 3u) * 8u';
  const body = dtype === 'int8'
    ? `return extractBits(bitcast<i32>(${binding}[u32(e) >> 2u]), ${lane}, 8u);`
    : `return i32(extractBits(${binding}[u32(e) >> 2u], ${lane}, 8u));`;
  return `fn ${fnName}(e: i32) -> i32 {\n  ${body}\n}`;
}

/** WGSL: byte `lane` (0..3) of a word holding the low 8 bits of `v`. */
export const BYTE_PACK_CODE = `fn byte_at(v: i32, lane: u32) -> u32 {
  return (bitcast<u32>(v) & 0xffu) << (lane * 8u);
}`;

/** Uniforms of a word-writing kernel: total = words to write, count = elements, obase = first output word. */
export const WORD_OUTPUT_UNIFORMS: UniformField[] = [
  { name: 'count', type: 'u32' },
  { name: 'obase', type: 'u32' },
];

/**
 * Entry point writing one whole output word per invocation: word i = gid.x + gid.y · pitch holds elements
 * e = 4i + lane (lane 0..3, e < count) of the contiguous output; `element` is WGSL statements that read `e` (u32)
 * and assign the element's value to `v` (var i32, declared by the caller as `var v: i32;` inside it). Lanes past
 * `count` stay 0. Binding `out` (array<u32>), uniforms LINEAR_UNIFORMS + WORD_OUTPUT_UNIFORMS (total = words).
 */
export function wordOutputMain(element: string, prologue = ''): string {
  return linearMain(`${prologue}
  var word = 0u;
  for (var lane = 0u; lane < 4u; lane++) {
    let e = i * 4u + lane;
    if (e >= params.count) { break; }
    var v: i32;
${element.split('\n').map((l) => `    ${l}`).join('\n')}
    word |= byte_at(v, lane);
  }
  out[params.obase + i] = word;`);
}

/**
 * WGSL `div_rne(a, b) -> f32`: a / b correctly rounded to f32 (round to nearest, ties to even), computed on the
 * bit patterns (the 26-bit mantissa quotient from an f32 estimate corrected with the exact integer remainder, as
 * exact as a long division and about 5× fewer steps), so every GPU gives the result of an IEEE f32 division
 * (x86 divss, numpy's float32 divide). a finite, b finite and ≠ 0; subnormal operands and results are handled;
 * overflow gives ±inf.
 */
export const DIV_RNE_CODE = `fn rne_shift(q: u32, drop: u32, sticky: bool) -> u32 {
  if (drop == 0u) { return q; }
  if (drop >= 32u) { return 0u; }
  let fl = q >> drop;
  let r = q & ((1u << drop) - 1u);
  let hv = 1u << (drop - 1u);
  let up = r > hv || (r == hv && (sticky || (fl & 1u) == 1u));
  return fl + select(0u, 1u, up);
}

fn div_rne(a: f32, b: f32) -> f32 {
  let ua = bitcast<u32>(a);
  let ub = bitcast<u32>(b);
  let sg = (ua ^ ub) & 0x80000000u;
  var ea = i32((ua >> 23u) & 0xffu);
  var eb = i32((ub >> 23u) & 0xffu);
  var ma = ua & 0x7fffffu;
  var mb = ub & 0x7fffffu;
  if (ea == 0 && ma == 0u) { return bitcast<f32>(sg); }
  if (ea == 0) { ea = 1; } else { ma |= 0x800000u; }
  if (eb == 0) { eb = 1; } else { mb |= 0x800000u; }
  let na = countLeadingZeros(ma) - 8u;
  let nb = countLeadingZeros(mb) - 8u;
  ma <<= na;
  mb <<= nb;
  var e = (ea - i32(na)) - (eb - i32(nb));
  if (ma < mb) { ma <<= 1u; e -= 1; }
  // q = floor(ma · 2^25 / mb) (26 bits, ma in [mb, 2 mb)) and whether a remainder is left: an f32 estimate, the
  // remainder of the estimate exactly in wrapping u32 arithmetic (it is within ±2^28: the estimate is a few units
  // off at most), one f32 correction step, then at most a few unit steps until 0 ≤ rem < mb.
  var q = u32((f32(ma) / f32(mb)) * 33554432.0);
  var rem = bitcast<i32>((ma << 25u) - q * mb);
  let dq = i32(floor(f32(rem) / f32(mb)));
  q = u32(i32(q) + dq);
  rem -= dq * i32(mb);
  for (var k = 0; k < 4 && rem < 0; k++) { q -= 1u; rem += i32(mb); }
  for (var k = 0; k < 4 && rem >= i32(mb); k++) { q += 1u; rem -= i32(mb); }
  let sticky = rem != 0;
  let be = e + 127;
  if (be >= 255) { return bitcast<f32>(sg | 0x7f800000u); }
  if (be <= 0) {
    return bitcast<f32>(sg | rne_shift(q, u32(min(2 + 1 - be, 32)), sticky));
  }
  return bitcast<f32>(sg | ((u32(be - 1) << 23u) + rne_shift(q, 2u, sticky)));
}`;

/**
 * WGSL `i32_to_f32_rne(d) -> f32`: d converted to f32 rounding to nearest even (WGSL leaves the rounding of
 * inexact i32 → f32 conversions to the implementation; |d| ≤ 2^24 is exact either way).
 */
export const I32_TO_F32_CODE = `fn i32_to_f32_rne(d: i32) -> f32 {
  let m = select(u32(d), u32(0) - bitcast<u32>(d), d < 0);
  if (m <= 0x1000000u) { return f32(d); }
  let drop = 8u - countLeadingZeros(m);
  let fl = m >> drop;
  let r = m & ((1u << drop) - 1u);
  let hv = 1u << (drop - 1u);
  let k = fl + select(0u, 1u, r > hv || (r == hv && (fl & 1u) == 1u));
  let f = f32(k) * f32(1u << drop);
  return select(f, -f, d < 0);
}`;

/**
 * WGSL `no_contract(v) -> f32`: v itself, through an integer XOR with a uniform that is always 0, so the compiler
 * must round v to f32 before the next operation (no fused multiply-add across it). Needs uniform `zero` (u32, 0).
 */
export const NO_CONTRACT_CODE = `fn no_contract(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) ^ params.zero);
}`;
