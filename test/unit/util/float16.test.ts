/** Host binary16: every bit pattern round-trips, ties go to even, overflow and subnormals, the packed layout. */
import { describe, expect, it } from 'vitest';
import { f16Bits, f16Value, packF16, roundF16, unpackF16 } from '../../../src/util/float16.ts';

describe('float16', () => {
  it('round-trips every non-NaN bit pattern', () => {
    let bad = 0;
    for (let h = 0; h < 0x10000; h++) {
      const v = f16Value(h);
      if (!Number.isNaN(v) && f16Bits(v) !== h) bad++;
    }
    expect(bad).toBe(0);
  });
  it('rounds to nearest, ties to even, between every pair of neighbours', () => {
    let bad = 0;
    for (let h = 0; h < 0x7bff; h++) {
      const a = f16Value(h);
      const b = f16Value(h + 1);
      const mid = (a + b) / 2;
      if (f16Bits(mid) !== (h & 1 ? h + 1 : h)) bad++;
      if (f16Bits(a + (b - a) * 0.49) !== h || f16Bits(a + (b - a) * 0.51) !== h + 1) bad++;
    }
    expect(bad).toBe(0);
  });
  it('overflows to infinity past the largest half, keeps NaN and signed zero', () => {
    expect(roundF16(65519)).toBe(65504);
    expect(roundF16(65520)).toBe(Infinity);
    expect(roundF16(-1e6)).toBe(-Infinity);
    expect(roundF16(NaN)).toBeNaN();
    expect(Object.is(roundF16(-1e-9), -0)).toBe(true);
    expect(roundF16(2 ** -24)).toBe(2 ** -24);
  });
  it('packs element 2i in the low half and 2i+1 in the high half (pack2x16float)', () => {
    const w = packF16([1, -2, 0.5]);
    expect(Array.from(w)).toEqual([(0x3c00 | (0xc000 << 16)) >>> 0, 0x3800]);
    expect(Array.from(unpackF16(w, 3))).toEqual([1, -2, 0.5]);
  });
});
