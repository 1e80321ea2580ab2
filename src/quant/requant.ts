/**
 * Fixed-point requantization shared, bit for bit, by the CPU and WGSL (QLinearConv semantics).
 *
 *   y = saturate(round_half_even(acc · M[o]) + y_zero_point)   clamped to [lo, hi]
 *
 * exactly as `requantize` in src/quant/scalar.ts computes it, for every int32 accumulator.
 *
 * ## Where the integers come from
 * The reference computes the multiplier in float32, M = fround(fround(x_scale · w_scale[o]) / y_scale)
 * (`requantMultiplier`, reused here so there is one definition), and then the product acc · M in float64,
 * followed by round-half-to-even. A float32 M is m0 · 2^-s with a 24-bit integer mantissa m0, so
 *
 *   acc · M = ±Q · 2^-s,   Q = |acc| · m0  (an integer < 2^31 · 2^24 = 2^55).
 *
 * Q can have more than 53 significant bits, so the reference's float64 product is itself rounded:
 * fl64(acc · M) = ±RNE53(Q) · 2^-s, where RNE53 rounds Q to 53 significant bits (nearest, ties to even).
 * This matters: with |acc| > 2^29 and M ≈ 2^-22, Q·2^-s can be within 2^-45 of a .5 tie, and the float64
 * product lands exactly on the tie, which round-half-even then rounds to even although the exact value is
 * past it. The tests construct such cases. The integer algorithm therefore performs the same two roundings:
 *
 *   1. Q = |acc| · m0                                     exact 64-bit product from 16-bit limbs (WGSL has no u64)
 *   2. d = 0 if Q < 2^53, 1 if Q < 2^54, else 2           bits the float64 product drops (Q < 2^55 always)
 *      Q1 = RNE(Q / 2^d)                                  so Q1 · 2^d = RNE53(Q), the float64 product's magnitude
 *   3. R = RNE(Q1 / 2^(s−d)) if s ≥ d, else Q1 · 2^(d−s)   round half to even of RNE53(Q) · 2^-s
 *   4. R = min(R, 2^30)                                    saturation guard, see below
 *   5. r = acc < 0 ? −R : R;   y = min(max(r + zp, lo), hi)
 *
 * RNE(q / 2^k): floor = q >> k; the dropped bits are compared with the half 2^(k−1): above → +1; exactly
 * half → +1 only if floor is odd; below → floor. All rounding is on magnitudes: float64 rounding and
 * round-half-even are symmetric in sign, so the sign is applied at the end.
 *
 * ## Ranges (what `requantParams` produces and what `requantizeCpu` / WGSL `requantize` accept)
 * - acc: any int32, including −2^31 (its magnitude 2^31 is held in a u32).
 * - m0: 0 or an integer in [2^23, 2^24); shift: an integer in [0, 63]. The product Q < 2^55 needs m0 < 2^24.
 * - zp, lo, hi: integers in [−2^16, 2^16] with lo ≤ hi (int8/uint8 need [−128, 255]). Step 4 caps R at 2^30:
 *   any R ≥ 2^30 − 2^16 already clamps to hi (or lo) after adding zp, so the cap changes no result and keeps
 *   r + zp inside int32.
 * - M from float32 scales: x_scale, w_scale[o], y_scale must be finite numbers > 0 that stay finite and > 0
 *   in float32 (about 1.4e-45 … 3.4e38), and M must be finite; `requantParams` throws otherwise.
 * - Normal M = 1.f · 2^e: m0 = 1f (24 bits), s = 23 − e. Subnormal M is normalized (m0 shifted up, s raised).
 * - M ≥ 2^24 (s < 0): stored as (m0, shift 0), i.e. M' = m0 ∈ [2^23, 2^24) instead of M. Any acc ≠ 0 then gives
 *   |acc · M| ≥ 2^24 and |acc · M'| ≥ 2^23, both of which saturate for zp, lo, hi in [−2^16, 2^16]; acc = 0
 *   gives zp in both. Results are identical. (M in [1, 2^24) is represented exactly, s ∈ [0, 23].)
 * - Tiny M (s > 63, i.e. M < 2^-39): shift is capped at 63. Both |acc · M| < 2^31 · 2^-39 and Q · 2^-63 < 2^-8
 *   round to 0, so every result is zp, as in the reference.
 * - M = 0 (x_scale · w_scale / y_scale underflows float32): m0 = 0, shift = 0, every result is zp, as in the
 *   reference (acc · 0 = 0).
 */
import type { Activation } from '../conv/types.ts';
import { ConvDescError } from '../conv/validate.ts';
import { fusedClampRange, QUANT_RANGE, requantMultiplier, roundHalfEven, type QuantDType, type RequantRounding } from './scalar.ts';

export interface RequantParams {
  /** Per output channel: 0 or the 24-bit mantissa of M[o], in [2^23, 2^24). */
  m0: Uint32Array;
  /** Per output channel: M[o] = m0 · 2^-shift (see the file comment for M ≥ 2^24 and tiny M), in [0, 63]. */
  shift: Uint32Array;
  /** M[o] itself (float32 values), for reference and diagnostics. */
  multiplier: Float64Array;
}

export interface RequantClamp {
  zp: number;
  lo: number;
  hi: number;
}

/** Largest |zp|, |lo|, |hi| that the saturation guard covers. */
export const REQUANT_CLAMP_LIMIT = 2 ** 16;
/** The largest shift `requantParams` emits. */
export const REQUANT_MAX_SHIFT = 63;

const F32_MAX = 3.4028234663852886e38;

function checkScale(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new ConvDescError(field, v, 'must be a finite number > 0');
  }
  const f = Math.fround(v);
  if (f === 0 || !Number.isFinite(f)) {
    throw new ConvDescError(field, v, `must stay finite and > 0 in float32 (about 1.4e-45 to ${F32_MAX}); it rounds to ${f}`);
  }
  return v;
}

const f32View = new Float32Array(1);
const u32View = new Uint32Array(f32View.buffer);

/** m0 · 2^-shift for one float32 multiplier (see the file comment for the special cases). */
export function decomposeMultiplier(multiplier: number): { m0: number; shift: number } {
  const m = Math.fround(multiplier);
  if (!(m >= 0) || !Number.isFinite(m)) throw new ConvDescError('multiplier', multiplier, 'must be a finite float32 >= 0');
  if (m === 0) return { m0: 0, shift: 0 };
  f32View[0] = m;
  const bits = u32View[0];
  const biased = (bits >>> 23) & 0xff;
  let m0 = bits & 0x7fffff;
  let s: number;
  if (biased === 0) {
    s = 149; // subnormal: m = frac · 2^-149; normalize frac into [2^23, 2^24)
    while (m0 < 0x800000) {
      m0 *= 2;
      s += 1;
    }
  } else {
    m0 |= 0x800000;
    s = 150 - biased; // m = 1.f · 2^(biased−127) = m0 · 2^(biased−150)
  }
  return { m0, shift: Math.min(Math.max(s, 0), REQUANT_MAX_SHIFT) };
}

/**
 * Per-output-channel fixed-point multipliers for QLinearConv requantization. `wScale` holds one value
 * (per tensor) or one per output channel. Throws a `ConvDescError` (field, value, rule).
 */
export function requantParams(xScale: number, wScale: ArrayLike<number> | number, yScale: number): RequantParams {
  checkScale('xScale', xScale);
  checkScale('yScale', yScale);
  const ws = typeof wScale === 'number' ? [wScale] : wScale;
  if (ws === null || typeof ws !== 'object' || typeof ws.length !== 'number' || ws.length < 1) {
    throw new ConvDescError('wScale', wScale, 'must be a number or a non-empty array (one per tensor or per output channel)');
  }
  const n = ws.length;
  const m0 = new Uint32Array(n);
  const shift = new Uint32Array(n);
  const multiplier = new Float64Array(n);
  for (let o = 0; o < n; o++) {
    checkScale(`wScale[${o}]`, ws[o]);
    const m = requantMultiplier(xScale, ws[o], yScale);
    if (!Number.isFinite(m)) {
      throw new ConvDescError(
        `multiplier[${o}]`,
        m,
        `(fround(fround(xScale · wScale[${o}]) / yScale) with xScale = ${xScale}, wScale[${o}] = ${ws[o]}, yScale = ${yScale}) must be finite in float32`,
      );
    }
    const d = decomposeMultiplier(m);
    m0[o] = d.m0;
    shift[o] = d.shift;
    multiplier[o] = m;
  }
  return { m0, shift, multiplier };
}

/**
 * zp, lo, hi for a quantized output with an optional fused relu/relu6: the reference's `fusedClampRange`
 * (relu clamps below at zp; relu6 above at zp + round_half_even(6 / y_scale)), checked against the ranges
 * the fixed-point path accepts.
 */
export function requantClamp(activation: Activation | undefined, yScale: number, yZeroPoint: number, dtype: QuantDType): RequantClamp {
  if (dtype !== 'uint8' && dtype !== 'int8') throw new ConvDescError('dtype', dtype, "must be 'uint8' or 'int8'");
  checkScale('yScale', yScale);
  const [qlo, qhi] = QUANT_RANGE[dtype];
  if (typeof yZeroPoint !== 'number' || !Number.isInteger(yZeroPoint) || yZeroPoint < qlo || yZeroPoint > qhi) {
    throw new ConvDescError('yZeroPoint', yZeroPoint, `must be an integer in the ${dtype} range [${qlo}, ${qhi}]`);
  }
  const [lo, hi] = fusedClampRange(activation, yScale, yZeroPoint, dtype);
  return { zp: yZeroPoint, lo, hi };
}

/** Throws unless zp, lo, hi are integers in [−2^16, 2^16] with lo ≤ hi (the range the saturation guard covers). */
export function checkRequantClamp(c: RequantClamp): void {
  for (const k of ['zp', 'lo', 'hi'] as const) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > REQUANT_CLAMP_LIMIT) {
      throw new ConvDescError(k, v, `must be an integer in [-${REQUANT_CLAMP_LIMIT}, ${REQUANT_CLAMP_LIMIT}]`);
    }
  }
  if (c.lo > c.hi) throw new ConvDescError('lo', c.lo, `must be <= hi (${c.hi})`);
}

// ---------------------------------------------------------------------------------------------------------
// CPU emulation. Every function mirrors its WGSL namesake line by line, with u32 values held in JS numbers
// in [0, 2^32) (`>>> 0` after any operation that can leave that range; JS shifts, like WGSL's, take the
// shift amount modulo 32, and the code never relies on that). A 64-bit value is the pair (lo, hi).

const HALF_LIMIT = 0x40000000; // 2^30

let wideLo = 0;
let wideHi = 0;

/** (wideLo, wideHi) = a · b, a and b u32: WGSL `rq_mul_wide`. */
function rqMulWide(a: number, b: number): void {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0; // each < 2^32, exact
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p01 + p10) >>> 0;
  const midCarry = mid < p01 ? 0x10000 : 0;
  const lo = (p00 + ((mid << 16) >>> 0)) >>> 0;
  const loCarry = lo < p00 ? 1 : 0;
  wideLo = lo;
  wideHi = (p11 + (mid >>> 16) + midCarry + loCarry) >>> 0;
}

/** (wideLo, wideHi) = RNE((lo, hi) / 2^k), k in [0, 63]: WGSL `rq_shr_rne`. */
function rqShrRne(lo: number, hi: number, k: number): void {
  if (k === 0) {
    wideLo = lo;
    wideHi = hi;
    return;
  }
  let fl: number;
  let fh: number;
  let hb: number;
  let sticky: boolean;
  if (k < 32) {
    fl = ((lo >>> k) | (hi << (32 - k))) >>> 0;
    fh = hi >>> k;
    hb = (lo >>> (k - 1)) & 1;
    sticky = (lo & ((1 << (k - 1)) - 1)) !== 0;
  } else if (k === 32) {
    fl = hi;
    fh = 0;
    hb = lo >>> 31;
    sticky = (lo & 0x7fffffff) !== 0;
  } else {
    const j = k - 32;
    fl = hi >>> j;
    fh = 0;
    hb = (hi >>> (j - 1)) & 1;
    sticky = lo !== 0 || (hi & ((1 << (j - 1)) - 1)) !== 0;
  }
  if (hb === 1 && (sticky || (fl & 1) === 1)) {
    fl = (fl + 1) >>> 0;
    if (fl === 0) fh = (fh + 1) >>> 0;
  }
  wideLo = fl;
  wideHi = fh;
}

/**
 * saturate(round_half_even(acc · m0 · 2^-shift) + zp) to [lo, hi], with the float64 rounding of the
 * reference's product reproduced (see the file comment). Integer operations only, identical to the WGSL
 * `requantize` of `requantWgslPart`. Inputs must be in the documented ranges (not checked here: this is the
 * per-element path; check parameters once with `requantParams` / `checkRequantClamp`).
 */
export function requantizeCpu(acc: number, m0: number, shift: number, zp: number, lo: number, hi: number, rounding: RequantRounding = 'float64'): number {
  if (rounding === 'float32') {
    // ONNX Runtime's MLAS: fl32(fl32(acc) · M), M = m0 · 2^-shift exactly (a float32 value), round half to even.
    const p = Math.fround(Math.fround(acc) * (m0 * 2 ** -shift));
    return Math.min(Math.max(roundHalfEven(p) + zp, lo), hi);
  }
  const neg = acc < 0;
  const a = neg ? (0 - (acc >>> 0)) >>> 0 : acc >>> 0;
  rqMulWide(a, m0 >>> 0);
  const qLo = wideLo;
  const qHi = wideHi;
  const d = qHi >= 0x400000 ? 2 : qHi >= 0x200000 ? 1 : 0;
  rqShrRne(qLo, qHi, d);
  let rLo: number;
  let rHi: number;
  if (shift >= d) {
    rqShrRne(wideLo, wideHi, shift - d);
    rLo = wideLo;
    rHi = wideHi;
  } else {
    const l = d - shift;
    rLo = (wideLo << l) >>> 0;
    rHi = ((wideHi << l) | (wideLo >>> (32 - l))) >>> 0;
  }
  const mag = rHi !== 0 || rLo > HALF_LIMIT ? HALF_LIMIT : rLo;
  const v = neg ? -mag : mag;
  return Math.min(Math.max(v + zp, lo), hi);
}

/**
 * Requantizes a whole accumulator array whose channel of element i is `channelOf(i)` (e.g. i % C for NHWC).
 * Values must be int32. Returns the quantized integers.
 */
export function requantizeArray(
  acc: ArrayLike<number>,
  params: Pick<RequantParams, 'm0' | 'shift'>,
  clamp: RequantClamp,
  channelOf: (i: number) => number,
  rounding: RequantRounding = 'float64',
): Int32Array {
  checkRequantClamp(clamp);
  const out = new Int32Array(acc.length);
  for (let i = 0; i < acc.length; i++) {
    const v = acc[i];
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new ConvDescError(`acc[${i}]`, v, 'must be an int32');
    const o = channelOf(i);
    out[i] = requantizeCpu(v, params.m0[o], params.shift[o], clamp.zp, clamp.lo, clamp.hi, rounding);
  }
  return out;
}
