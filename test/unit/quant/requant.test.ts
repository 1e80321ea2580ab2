import { describe, expect, it } from 'vitest';
import type { ConvGeometry } from '../../../src/conv/types.ts';
import { composeKernel } from '../../../src/kernels/compose.ts';
import { reflectWgsl } from '../../../src/kernels/reflect.ts';
import {
  checkRequantClamp,
  decomposeMultiplier,
  REQUANT_MAX_SHIFT,
  requantClamp,
  requantizeArray,
  requantizeCpu,
  requantParams,
} from '../../../src/quant/requant.ts';
import { requantWgslPart } from '../../../src/kernels/quant-wgsl.ts';
import { ConvDescError } from '../../../src/conv/validate.ts';
import { convIntegerReference, fusedClampRange, qlinearConvReference, requantize, requantMultiplier } from '../../../src/reference/integer.ts';
import { mulberry32, randomInts } from '../helpers/rng.ts';
import { geom as shapeGeom } from '../../shapes.ts';

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;
const clampI32 = (v: number) => (Number.isFinite(v) ? Math.max(I32_MIN, Math.min(I32_MAX, v)) : 0);

/** Compares requantizeCpu with the reference for one case; returns a description on mismatch. */
function mismatch(acc: number, xs: number, ws: number, ys: number, zp: number, lo: number, hi: number): string | null {
  const M = requantMultiplier(xs, ws, ys);
  const p = requantParams(xs, [ws], ys);
  const want = requantize(acc, M, zp, lo, hi);
  const got = requantizeCpu(acc, p.m0[0], p.shift[0], zp, lo, hi);
  return got === want ? null : JSON.stringify({ acc, xs, ws, ys, M, m0: p.m0[0], shift: p.shift[0], zp, lo, hi, want, got });
}

const RANGES: [number, number][] = [
  [-128, 127],
  [0, 255],
];

describe('requantizeCpu equals the reference requantize (float32 M, float64 product, round half even)', () => {
  it('1.5 million random cases: log-uniform scales, accumulators aimed at the unsaturated range, near ties, anywhere in int32', () => {
    const rng = mulberry32(20240601);
    const failures: string[] = [];
    let unsaturated = 0;
    const n = 1_500_000;
    for (let i = 0; i < n; i++) {
      const xs = 2 ** (-30 + 40 * rng());
      const ws = 2 ** (-20 + 25 * rng());
      const ys = 2 ** (-20 + 30 * rng());
      const M = requantMultiplier(xs, ws, ys);
      const k = rng();
      let acc: number;
      if (k < 0.45) acc = Math.round((rng() * 800 - 400) / M);
      else if (k < 0.7) acc = Math.round((Math.floor(rng() * 800) - 400 + 0.5) / M); // next to a .5 tie
      else if (k < 0.85) acc = Math.floor(rng() * 2 ** 32) + I32_MIN;
      else acc = Math.trunc((rng() - 0.5) * 2 ** (32 * rng()));
      acc = clampI32(acc);
      const [lo, hi] = RANGES[i & 1];
      const zp = lo + Math.floor(rng() * 256);
      if (requantize(acc, M, zp, lo, hi) > lo && requantize(acc, M, zp, lo, hi) < hi) unsaturated++;
      const bad = mismatch(acc, xs, ws, ys, zp, lo, hi);
      if (bad && failures.length < 5) failures.push(bad);
    }
    expect(failures).toEqual([]);
    expect(unsaturated).toBeGreaterThan(n * 0.4);
  });

  it('1 million exact .5 ties (M = k·2^-j with k odd, acc = o·2^(j-1) with o odd), both signs', () => {
    const rng = mulberry32(77);
    const failures: string[] = [];
    let ties = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const bits = 1 + Math.floor(rng() * 11);
      const kOdd = 2 * Math.floor(rng() * 2 ** (bits - 1)) + 1;
      const j = 1 + Math.floor(rng() * 31);
      const M = kOdd * 2 ** -j;
      // |acc · M| = kOdd · o / 2 kept below ~600 so that most results are unsaturated
      const oMax = Math.max(1, Math.min(2 ** (31 - (j - 1)), Math.floor(1200 / kOdd)));
      const o = 2 * Math.floor(rng() * Math.ceil(oMax / 2)) + 1;
      const acc = clampI32((rng() < 0.5 ? -1 : 1) * o * 2 ** (j - 1));
      if (Math.abs(acc * M) % 1 === 0.5) ties++;
      const [lo, hi] = RANGES[i & 1];
      const zp = lo + Math.floor(rng() * 256);
      const bad = mismatch(acc, M, 1, 1, zp, lo, hi);
      if (bad && failures.length < 5) failures.push(bad);
    }
    expect(failures).toEqual([]);
    expect(ties).toBeGreaterThan(900_000);
  });

  // Found by a seeded search (.scratch): |acc|·m0 ∈ [2^53, 2^55) is 1 or 2 away from a .5 tie at shift s, so the
  // reference's float64 product rounds exactly ONTO the tie, and round-half-even then goes to even, which the
  // exact product would not. The integer algorithm must reproduce this (step 2 of the file comment).
  const FLOAT64_NEAR_TIES: [number, number, number][] = [
    [1361396867, 8399403, 46],
    [1257991734, 16501523, 47],
    [1100348957, 8473547, 46],
    [1620467193, 16110665, 47],
    [802574905, 12581897, 46],
    [2118527329, 8403617, 47],
    [1260081787, 16139085, 47],
    [804716571, 16570899, 46],
    [1459484465, 11402799, 46],
    [1565394891, 11822563, 47],
    [780843105, 14554207, 46],
    [1455581441, 11626751, 46],
    [866154149, 10845907, 46],
    [1601511041, 9249153, 46],
    [1789685642, 16396045, 47],
  ];
  it.each(FLOAT64_NEAR_TIES)('float64 product rounding onto a tie: acc = ±%d, m0 = %d, shift = %d', (absAcc, m0, s) => {
    const M = m0 * 2 ** -s;
    expect(Math.fround(M)).toBe(M);
    expect(decomposeMultiplier(M)).toEqual({ m0, shift: s });
    const q = BigInt(absAcc) * BigInt(m0);
    expect(q >= 2n ** 53n).toBe(true);
    // the exact product is NOT a tie, the float64 product is
    expect(q % (1n << BigInt(s)) === 1n << BigInt(s - 1)).toBe(false);
    expect(Math.abs(absAcc * M) % 1).toBe(0.5);
    const exactRounded = Number((q + (1n << BigInt(s - 1))) >> BigInt(s)); // nearest (no tie exists)
    for (const sign of [1, -1]) {
      for (const [lo, hi] of RANGES) {
        const zp = lo === 0 ? 0 : -128;
        const want = requantize(sign * absAcc, M, zp, lo, hi);
        expect(requantizeCpu(sign * absAcc, m0, s, zp, lo, hi)).toBe(want);
      }
    }
    // the reference rounds the tie to even; where that is the other side, exact rounding of the exact product differs
    const refValue = requantize(absAcc, M, 0, -(2 ** 16), 2 ** 16);
    expect(refValue % 2).toBe(0);
    if (refValue !== exactRounded) differing.add(absAcc);
  });
  const differing = new Set<number>();
  it('those cases matter: in at least 5 of them the reference differs from exact rounding of the exact product', () => {
    expect(differing.size).toBeGreaterThanOrEqual(5);
  });

  it('accumulators at and near ±2^31 with multipliers that keep them unsaturated', () => {
    const accs = [I32_MIN, I32_MIN + 1, I32_MIN + 2, -(2 ** 30), 2 ** 30, I32_MAX - 1, I32_MAX, -1, 0, 1];
    const failures: string[] = [];
    const rng = mulberry32(5);
    for (const acc of accs) {
      for (let j = 0; j < 4000; j++) {
        const M = Math.fround(2 ** (-40 + 20 * rng()));
        for (const [lo, hi] of RANGES) {
          for (const zp of [lo, lo + 1, lo + 128, hi]) {
            const bad = mismatch(acc, M, 1, 1, zp, lo, hi);
            if (bad && failures.length < 5) failures.push(bad);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    // spot values: 2^31 · 2^-24 = 128 exactly, −2^31 · 2^-24 = −128
    const p = requantParams(2 ** -24, [1], 1);
    expect(requantizeCpu(I32_MIN, p.m0[0], p.shift[0], 0, -(2 ** 16), 2 ** 16)).toBe(-128);
    expect(requantizeCpu(I32_MAX, p.m0[0], p.shift[0], 0, -(2 ** 16), 2 ** 16)).toBe(128);
  });

  it('shifts at both ends: M ≥ 2^24 (shift 0), M in [2^23, 2^24), M = 1, tiny M (shift capped at 63), subnormal M, M = 0', () => {
    const multipliers = [2 ** 100, 2 ** 30, 2 ** 24, 2 ** 24 - 1, 2 ** 23, 2 ** 23 + 0.5, 1000.25, 1, 0.5, 2 ** -38, 2 ** -39, 2 ** -40, 2 ** -60, 2 ** -126, 2 ** -130, 2 ** -149];
    const rng = mulberry32(9);
    const failures: string[] = [];
    for (const mult of multipliers) {
      const M = Math.fround(mult);
      const p = requantParams(M, [1], 1);
      expect(p.shift[0]).toBeLessThanOrEqual(REQUANT_MAX_SHIFT);
      for (let i = 0; i < 5000; i++) {
        const e = Math.floor(rng() * 32);
        const acc = clampI32(Math.trunc((rng() - 0.5) * 2 ** e));
        for (const [lo, hi] of RANGES) {
          const zp = lo + Math.floor(rng() * 256);
          const want = requantize(acc, M, zp, lo, hi);
          const got = requantizeCpu(acc, p.m0[0], p.shift[0], zp, lo, hi);
          if (got !== want && failures.length < 5) failures.push(JSON.stringify({ M, acc, zp, want, got }));
        }
      }
    }
    expect(failures).toEqual([]);
    expect(requantParams(2 ** 30, [1], 1)).toMatchObject({ m0: Uint32Array.of(2 ** 23), shift: Uint32Array.of(0) });
    expect(requantParams(1, [1], 1)).toMatchObject({ m0: Uint32Array.of(2 ** 23), shift: Uint32Array.of(23) });
    expect(requantParams(2 ** -60, [1], 1).shift[0]).toBe(63);
    expect(decomposeMultiplier(2 ** -149)).toEqual({ m0: 2 ** 23, shift: 63 });
    expect(decomposeMultiplier(0)).toEqual({ m0: 0, shift: 0 });
    // float32 underflow of the multiplier: every result is the zero point
    const z = requantParams(2 ** -100, [2 ** -100], 1);
    expect(z.multiplier[0]).toBe(0);
    expect(requantizeCpu(I32_MIN, z.m0[0], z.shift[0], 7, -128, 127)).toBe(7);
  });

  it('m0 · 2^-shift equals the float32 multiplier exactly for every M in [2^-39, 2^24)', () => {
    const rng = mulberry32(3);
    for (let i = 0; i < 200_000; i++) {
      const M = Math.fround(2 ** (-39 + 63 * rng()));
      if (M >= 2 ** 24) continue;
      const { m0, shift } = decomposeMultiplier(M);
      expect(m0).toBeGreaterThanOrEqual(2 ** 23);
      expect(m0).toBeLessThan(2 ** 24);
      if (m0 * 2 ** -shift !== M) throw new Error(`M = ${M}: m0 = ${m0}, shift = ${shift}`);
    }
  });
});

describe('requantizeCpu with QLinearConv semantics: saturation and fused relu/relu6', () => {
  const geom = (c: number, o: number, h: number, w: number): ConvGeometry => shapeGeom({ inChannels: c, outChannels: o, inHeight: h, inWidth: w });
  const cases = [
    { name: 'uint8 out, linear', dtype: 'uint8' as const, activation: undefined, yZeroPoint: 131 },
    { name: 'uint8 out, relu', dtype: 'uint8' as const, activation: { type: 'relu' as const }, yZeroPoint: 100 },
    { name: 'int8 out, relu6', dtype: 'int8' as const, activation: { type: 'relu6' as const }, yZeroPoint: -20 },
    { name: 'int8 out, linear', dtype: 'int8' as const, activation: undefined, yZeroPoint: 3 },
  ];
  it.each(cases)('$name: requantizeArray(ConvInteger + bias) equals qlinearConvReference, with saturation at both ends', (c) => {
    const rng = mulberry32(31);
    const g = geom(5, 4, 7, 6);
    const input = randomInts(g.inChannels * g.inHeight * g.inWidth, rng, 0, 255);
    const weight = randomInts(g.outChannels * g.inChannels * 9, rng, -128, 127);
    const wScale = [0.003, 0.0071, 0.0005, 0.02];
    const bias = randomInts(g.outChannels, rng, -3000, 3000);
    const xScale = 0.05;
    const yScale = 0.02;
    const ref = qlinearConvReference(g, {
      input, inputLayout: 'NHWC', weight, weightLayout: 'OIHW', xZeroPoint: 77, wZeroPoint: [0, 1, -2, 3],
      xScale, wScale, yScale, yZeroPoint: c.yZeroPoint, outputDtype: c.dtype, bias: { shape: [4], data: bias, broadcast: 'channel' }, activation: c.activation,
    });
    const conv = convIntegerReference(g, { input, inputLayout: 'NHWC', weight, weightLayout: 'OIHW', xZeroPoint: 77, wZeroPoint: [0, 1, -2, 3] });
    const acc = conv.data.map((v, i) => v + bias[i % 4]);
    const params = requantParams(xScale, wScale, yScale);
    expect(Array.from(params.multiplier)).toEqual(Array.from(ref.multipliers));
    const clamp = requantClamp(c.activation, yScale, c.yZeroPoint, c.dtype);
    expect([clamp.lo, clamp.hi]).toEqual(fusedClampRange(c.activation, yScale, c.yZeroPoint, c.dtype));
    const got = requantizeArray(acc, params, clamp, (i) => i % 4);
    expect(Array.from(got)).toEqual(Array.from(ref.data));
    expect(Array.from(got)).toContain(clamp.lo);
    expect(Array.from(got)).toContain(clamp.hi);
  });
});

describe('requantParams / requantClamp validation', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['xScale 0', () => requantParams(0, [1], 1), /xScale = 0: must be a finite number > 0/],
    ['xScale NaN', () => requantParams(Number.NaN, [1], 1), /xScale = NaN: must be a finite number > 0/],
    ['yScale negative', () => requantParams(1, [1], -2), /yScale = -2: must be a finite number > 0/],
    ['yScale Infinity', () => requantParams(1, [1], Infinity), /yScale = Infinity: must be a finite number > 0/],
    ['wScale empty', () => requantParams(1, [], 1), /wScale = \[\]: must be a number or a non-empty array/],
    ['wScale[2] negative', () => requantParams(1, [1, 2, -1], 1), /wScale\[2\] = -1: must be a finite number > 0/],
    ['xScale underflows float32', () => requantParams(1e-46, [1], 1), /xScale = 1e-46: must stay finite and > 0 in float32/],
    ['wScale overflows float32', () => requantParams(1, [1e39], 1), /wScale\[0\] = 1e\+39: must stay finite and > 0 in float32/],
    ['multiplier overflows', () => requantParams(1e30, [1e30], 1), /multiplier\[0\] = Infinity: .* must be finite in float32/],
    ['yZeroPoint out of range', () => requantClamp(undefined, 1, 300, 'uint8'), /yZeroPoint = 300: must be an integer in the uint8 range \[0, 255\]/],
    ['dtype', () => requantClamp(undefined, 1, 0, 'int16' as 'int8'), /dtype = "int16": must be 'uint8' or 'int8'/],
    ['clamp lo > hi', () => checkRequantClamp({ zp: 0, lo: 5, hi: 4 }), /lo = 5: must be <= hi \(4\)/],
    ['clamp zp too large', () => checkRequantClamp({ zp: 70000, lo: 0, hi: 4 }), /zp = 70000: must be an integer in \[-65536, 65536\]/],
    ['acc not int32', () => requantizeArray([2 ** 31], { m0: Uint32Array.of(1), shift: Uint32Array.of(0) }, { zp: 0, lo: 0, hi: 1 }, () => 0), /acc\[0\] = 2147483648: must be an int32/],
  ];
  it.each(cases)('%s', (_, f, re) => {
    expect(f).toThrow(ConvDescError);
    expect(f).toThrow(re);
  });
});

describe('requantWgslPart', () => {
  it('defines requantize(acc: i32, m0: u32, shift: u32, zp: i32, lo: i32, hi: i32) -> i32, with no bindings or uniforms, and parses', () => {
    const part = requantWgslPart();
    expect(part.bindings).toEqual([]);
    expect(part.uniforms).toEqual([]);
    expect(part.code).toMatch(/fn requantize\(acc: i32, m0: u32, shift: u32, zp: i32, lo: i32, hi: i32\) -> i32/);
    const k = composeKernel({
      id: 'requant_probe',
      header: 'probe',
      parts: [part, { idPart: '', uniforms: [], code: '', bindings: [{ name: 'out', kind: 'storage', type: 'array<i32>' }] }],
      main: '@compute @workgroup_size(1) fn main() { out[0] = requantize(out[0], 8388608u, 23u, 0i, -128i, 127i); }',
      workgroupSize: [1, 1, 1],
    });
    expect(() => reflectWgsl(k.code)).not.toThrow();
  });
});
