/**
 * The WGSL of the quantization math (src/quant holds the math only): `requantize` exactly as
 * src/quant/requant.ts and src/quant/scalar.ts compute it on the CPU, and the tap-wise scalar steps of
 * src/quant/tapwise.ts. Parts for src/kernels/compose.ts; the rounding shows in the kernel IDs.
 */
import type { RequantRounding } from '../quant/scalar.ts';
import type { WgslPart } from './compose.ts';

/** The WGSL of `requantize` and its two helpers (`rq_` prefix); see src/quant/requant.ts's file comment for the algorithm. */
export const REQUANT_WGSL = `
// 32x32 -> 64-bit unsigned product from 16-bit limbs; returns (lo, hi).
fn rq_mul_wide(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let p11 = a1 * b1;
  let mid = p01 + p10;
  let midCarry = select(0u, 0x10000u, mid < p01);
  let lo = p00 + (mid << 16u);
  let loCarry = select(0u, 1u, lo < p00);
  return vec2<u32>(lo, p11 + (mid >> 16u) + midCarry + loCarry);
}

// q / 2^k rounded to nearest, ties to even, for q = (lo, hi) and k in [0, 63].
fn rq_shr_rne(q: vec2<u32>, k: u32) -> vec2<u32> {
  if (k == 0u) {
    return q;
  }
  var fl: u32;
  var fh: u32;
  var hb: u32;
  var sticky: bool;
  if (k < 32u) {
    fl = (q.x >> k) | (q.y << (32u - k));
    fh = q.y >> k;
    hb = (q.x >> (k - 1u)) & 1u;
    sticky = (q.x & ((1u << (k - 1u)) - 1u)) != 0u;
  } else if (k == 32u) {
    fl = q.y;
    fh = 0u;
    hb = q.x >> 31u;
    sticky = (q.x & 0x7fffffffu) != 0u;
  } else {
    let j = k - 32u;
    fl = q.y >> j;
    fh = 0u;
    hb = (q.y >> (j - 1u)) & 1u;
    sticky = q.x != 0u || (q.y & ((1u << (j - 1u)) - 1u)) != 0u;
  }
  if (hb == 1u && (sticky || (fl & 1u) == 1u)) {
    fl = fl + 1u;
    if (fl == 0u) {
      fh = fh + 1u;
    }
  }
  return vec2<u32>(fl, fh);
}

// QLinearConv requantization, bit-identical to requantizeCpu (src/quant/requant.ts):
// min(max(round_half_even(acc * m0 * 2^-shift) + zp, lo), hi), with the float64 rounding of the
// reference's product reproduced. m0 = 0 or in [2^23, 2^24), shift in [0, 63], zp/lo/hi in [-2^16, 2^16].
fn requantize(acc: i32, m0: u32, shift: u32, zp: i32, lo: i32, hi: i32) -> i32 {
  let neg = acc < 0i;
  let a = select(bitcast<u32>(acc), 0u - bitcast<u32>(acc), neg);
  let q = rq_mul_wide(a, m0);
  let d = select(select(0u, 1u, q.y >= 0x200000u), 2u, q.y >= 0x400000u);
  let q1 = rq_shr_rne(q, d);
  var r: vec2<u32>;
  if (shift >= d) {
    r = rq_shr_rne(q1, shift - d);
  } else {
    let l = d - shift;
    r = vec2<u32>(q1.x << l, (q1.y << l) | (q1.x >> (32u - l)));
  }
  let mag = select(r.x, 0x40000000u, r.y != 0u || r.x > 0x40000000u);
  let v = select(i32(mag), -i32(mag), neg);
  return min(max(v + zp, lo), hi);
}
`;

/**
 * `requantize` with ONNX Runtime's rounding (rounding 'float32'): y = min(max(round(fl32(fl32(acc) · M)) + zp, lo), hi),
 * M = m0 · 2^-shift (exact in f32: m0 < 2^24, shift ≤ 63). fl32(acc) is rounded to nearest even with integer
 * operations (WGSL leaves the rounding of an i32 → f32 conversion to the implementation); the f32 product is
 * correctly rounded (WGSL), and `round` rounds half to even. The product is clamped to [lo − zp, hi − zp] before
 * rounding, as MLAS does (the same result: the bounds are integers).
 */
export const REQUANT_F32_WGSL = `
// fl32(acc): |acc| rounded to 24 significant bits, nearest, ties to even.
fn rq_acc_f32(acc: i32) -> f32 {
  let neg = acc < 0i;
  let a = select(bitcast<u32>(acc), 0u - bitcast<u32>(acc), neg);
  var f: f32;
  if (a < 0x1000000u) {
    f = f32(a);
  } else {
    let k = firstLeadingBit(a) - 23u;
    let fl = a >> k;
    let rem = a & ((1u << k) - 1u);
    let half = 1u << (k - 1u);
    let r = select(fl, fl + 1u, rem > half || (rem == half && (fl & 1u) == 1u));
    f = ldexp(f32(r), i32(k));
  }
  return select(f, -f, neg);
}

// QLinearConv requantization with ONNX Runtime's float32 arithmetic, identical to requantizeCpu(..., 'float32').
fn requantize(acc: i32, m0: u32, shift: u32, zp: i32, lo: i32, hi: i32) -> i32 {
  let p = rq_acc_f32(acc) * ldexp(f32(m0), -i32(shift));
  let c = min(max(p, f32(lo - zp)), f32(hi - zp));
  return i32(round(c)) + zp;
}
`;

/**
 * The WGSL part defining `fn requantize(acc: i32, m0: u32, shift: u32, zp: i32, lo: i32, hi: i32) -> i32`
 * (plus `rq_` helpers) for `rounding` (default 'float64', the reference's; 'float32', ONNX Runtime's). No bindings
 * or uniforms: the caller reads m0/shift per channel and passes zp/lo/hi (from `requantClamp`). Kernels that use
 * it carry the rounding in their ID (`requantRoundingId`).
 */
export function requantWgslPart(rounding: RequantRounding = 'float64'): WgslPart {
  return { idPart: '', bindings: [], uniforms: [], code: rounding === 'float32' ? REQUANT_F32_WGSL : REQUANT_WGSL };
}

/** The kernel-ID suffix of a requantization rounding: '' for the default 'float64', '_rq32' for 'float32'. */
export function requantRoundingId(rounding: RequantRounding | undefined): string {
  return rounding === 'float32' ? '_rq32' : '';
}

/** WGSL of the scalar steps 2, 4 and 6 of src/quant/tapwise.ts's file comment (no bindings, no uniforms). */
export const TAPWISE_WGSL = `
// Step 2: quantize one transformed input value of tap xi: clamp(round(v * invS[xi]), lo[xi], hi[xi]).
fn tap_quantize(v: f32, inv_scale: f32, lo: i32, hi: i32) -> i32 {
  return i32(clamp(round(v * inv_scale), f32(lo), f32(hi)));
}

// Step 4: i32 -> f32 rounded to nearest even for every i32 (two exact parts, one correctly rounded add).
fn tap_i32_to_f32(m: i32) -> f32 {
  return f32(m >> 16u) * 65536.0 + f32(m & 65535i);
}

// Step 6: the int32 accumulator from the float Winograd output: round half to even, clamp to +-2^30, add bias.
fn tap_acc(y: f32, bias: i32) -> i32 {
  return i32(clamp(round(y), -1073741824.0, 1073741824.0)) + bias;
}
`;

/**
 * WGSL part defining `tap_quantize(v, inv_scale, lo, hi) -> i32`, `tap_i32_to_f32(m) -> f32` and
 * `tap_acc(y, bias) -> i32`, the scalar steps a tap-wise kernel must evaluate exactly as this reference does.
 */
export function tapwiseWgslPart(): WgslPart {
  return { idPart: '', bindings: [], uniforms: [], code: TAPWISE_WGSL };
}
