/**
 * The exact-arithmetic WGSL helpers of src/kernels/ops/bytes.ts, checked on the CPU: `div_rne` and `i32_to_f32_rne`
 * are ported here statement by statement (u32 arithmetic as `>>> 0`, countLeadingZeros as Math.clz32) and compared
 * bit for bit with IEEE float32 results (Math.fround of the float64 quotient is the correctly rounded float32
 * quotient) over random bit patterns: normal, subnormal, huge and tiny operands, exact ties. The GPU cases
 * (test/gpu/cases/quant-ops.ts) run the WGSL itself; this pins the algorithm. The test also checks that the port
 * still matches the WGSL text (the statements it mirrors are present).
 */
import { describe, expect, it } from 'vitest';
import { DIV_RNE_CODE, I32_TO_F32_CODE } from '../../../../src/kernels/ops/bytes.ts';
import { mulberry32 } from '../../../../src/util/random.ts';

const buf = new DataView(new ArrayBuffer(4));
const bitsOf = (f: number) => { buf.setFloat32(0, f); return buf.getUint32(0); };
const fromBits = (u: number) => { buf.setUint32(0, u >>> 0); return buf.getFloat32(0); };

function rneShift(q: number, drop: number, sticky: boolean): number {
  if (drop === 0) return q;
  if (drop >= 32) return 0;
  const fl = q >>> drop;
  const r = (q & (2 ** drop - 1)) >>> 0;
  const half = 2 ** (drop - 1);
  const up = r > half || (r === half && (sticky || (fl & 1) === 1));
  return fl + (up ? 1 : 0);
}

function divRne(a: number, b: number, estimateError = 0): number {
  const ua = bitsOf(a);
  const ub = bitsOf(b);
  const sign = ((ua ^ ub) & 0x80000000) >>> 0;
  let ea = (ua >>> 23) & 0xff;
  let eb = (ub >>> 23) & 0xff;
  let ma = ua & 0x7fffff;
  let mb = ub & 0x7fffff;
  if (ea === 0 && ma === 0) return fromBits(sign);
  if (ea === 0) ea = 1; else ma |= 0x800000;
  if (eb === 0) eb = 1; else mb |= 0x800000;
  const na = Math.clz32(ma) - 8;
  const nb = Math.clz32(mb) - 8;
  ma = (ma << na) >>> 0;
  mb = (mb << nb) >>> 0;
  let e = (ea - na) - (eb - nb);
  if (ma < mb) { ma = (ma << 1) >>> 0; e -= 1; }
  // the estimate as the GPU may compute it: within `estimateError` units of the f32 one (its division ≤ 2.5 ulp off)
  let q = (Math.trunc(Math.fround(Math.fround(ma) / Math.fround(mb)) * 33554432) + estimateError) >>> 0;
  let rem = ((((ma << 25) >>> 0) - Math.imul(q, mb)) >>> 0) | 0;
  const dq = Math.floor(Math.fround(Math.fround(rem) / Math.fround(mb)));
  q = (q + dq) >>> 0;
  rem -= dq * mb;
  for (let k = 0; k < 4 && rem < 0; k++) { q = (q - 1) >>> 0; rem += mb; }
  for (let k = 0; k < 4 && rem >= mb; k++) { q = (q + 1) >>> 0; rem -= mb; }
  const sticky = rem !== 0;
  const be = e + 127;
  if (be >= 255) return fromBits(sign | 0x7f800000);
  if (be <= 0) return fromBits(sign | rneShift(q, Math.min(2 + 1 - be, 32), sticky));
  return fromBits(sign | ((((be - 1) << 23) >>> 0) + rneShift(q, 2, sticky)));
}

function i32ToF32(d: number): number {
  const m = Math.abs(d);
  if (m <= 0x1000000) return Math.fround(d);
  const drop = 8 - Math.clz32(m);
  const fl = Math.floor(m / 2 ** drop);
  const r = m % 2 ** drop;
  const half = 2 ** (drop - 1);
  const k = fl + (r > half || (r === half && (fl & 1) === 1) ? 1 : 0);
  const f = k * 2 ** drop;
  return d < 0 ? -f : f;
}

describe('div_rne (WGSL correctly rounded f32 division), ported', () => {
  it('the port mirrors the WGSL statements', () => {
    for (const s of ['var q = u32((f32(ma) / f32(mb)) * 33554432.0);', 'var rem = bitcast<i32>((ma << 25u) - q * mb);', 'for (var k = 0; k < 4 && rem < 0; k++) { q -= 1u; rem += i32(mb); }', 'if (ma < mb) { ma <<= 1u; e -= 1; }', 'rne_shift(q, u32(min(2 + 1 - be, 32)), sticky)', '((u32(be - 1) << 23u) + rne_shift(q, 2u, sticky))']) {
      expect(DIV_RNE_CODE).toContain(s);
    }
    expect(I32_TO_F32_CODE).toContain('let drop = 8u - countLeadingZeros(m);');
  });
  it('equals IEEE float32 division over random operands', () => {
    const rng = mulberry32(77);
    const pick = (): number => {
      const kind = Math.floor(rng() * 5);
      const mant = Math.floor(rng() * 0x800000);
      const exp = kind === 0 ? 0 : kind === 1 ? 1 + Math.floor(rng() * 10) : kind === 2 ? 244 + Math.floor(rng() * 10) : 100 + Math.floor(rng() * 55);
      const sign = rng() < 0.5 ? 0x80000000 : 0;
      return fromBits((sign | (exp << 23) | mant) >>> 0);
    };
    let checked = 0;
    for (let i = 0; i < 200000; i++) {
      const a = pick();
      const b = pick();
      if (b === 0) continue;
      const want = Math.fround(a / b);
      const got = divRne(a, b, Math.floor(rng() * 41) - 20);
      if (!Object.is(got, want)) throw new Error(`div_rne(${a}, ${b}) = ${got}, IEEE f32 ${want}`);
      checked++;
    }
    expect(checked).toBeGreaterThan(190000);
  });
  it('exact ties and quantization-like quotients', () => {
    for (let k = -300; k <= 300; k++) {
      for (const s of [0.1, 0.0157, 0.5, 1 / 255, 3.3e-3, 7]) {
        const sf = Math.fround(s);
        const x = Math.fround((k + 0.5) * sf);
        expect(divRne(x, sf)).toBe(Math.fround(x / sf));
        const y = Math.fround(x + 1e-7);
        expect(divRne(y, sf)).toBe(Math.fround(y / sf));
      }
    }
    expect(divRne(3e38, 1e-3)).toBe(Infinity);
    expect(divRne(-3e38, 1e-3)).toBe(-Infinity);
    expect(Object.is(divRne(-0, 3), -0)).toBe(true);
    expect(divRne(1e-45, 2)).toBe(0);
    expect(divRne(3e-45, 2)).toBe(Math.fround(3e-45 / 2));
  });
});

describe('i32_to_f32_rne, ported', () => {
  it('rounds to nearest even', () => {
    const rng = mulberry32(78);
    for (let i = 0; i < 100000; i++) {
      const d = Math.floor((rng() - 0.5) * 2 ** 32);
      expect(i32ToF32(d)).toBe(Math.fround(d));
    }
    for (const d of [16777216, 16777217, 16777218, 16777219, -16777217, -16777219, 2 ** 31 - 1, -(2 ** 31), 33554435]) expect(i32ToF32(d)).toBe(Math.fround(d));
  });
});
