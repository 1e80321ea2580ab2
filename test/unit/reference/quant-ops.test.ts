/**
 * The 8-bit op references (src/reference/quant-ops.ts): round half to even at exact ties, saturation at both ends,
 * per-axis parameters, float32 rounding of x / scale, ONNX's own DynamicQuantizeLinear examples, QLinearAdd/Mul
 * broadcasting, the QLinearSigmoid table, QLinearGlobalAveragePool and MaxPool by hand.
 */
import { describe, expect, it } from 'vitest';
import {
  applyUnaryTableRef, broadcastShapes, concatRef, qlinearRequantizeTable, dequantizeLinearRef, dynamicQuantizeLinearRef, maxPoolI8Ref, qlinearBinaryRef, qlinearGapMultiplier,
  qlinearBinaryConstTable, qlinearGlobalAveragePoolRef, qlinearQuantizeValue, qlinearSigmoidTable, quantizeLinearRef, quantizeValue, stridedCopyRef,
} from '../../../src/reference/quant-ops.ts';

describe('quantizeLinearRef', () => {
  it('rounds half to even and saturates at both ends', () => {
    const x = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 300, -300, 127.5, -128.5];
    expect(Array.from(quantizeLinearRef(x, [10], { scale: [1], zeroPoint: [0] }, 'int8'))).toEqual([0, 2, 2, 0, -2, -2, 127, -128, 127, -128]);
    expect(Array.from(quantizeLinearRef(x, [10], { scale: [1], zeroPoint: [10] }, 'uint8'))).toEqual([10, 12, 12, 10, 8, 8, 255, 0, 138, 0]);
  });
  it('divides in float32: the quotient is rounded to float32 before rounding to an integer', () => {
    // 0.3 / 0.1 in float32 is 3.0000002 → 3; 0.35 / 0.1 lands exactly on 3.5 in float32 → 4 (it is 3.4999999 in float64)
    expect(quantizeValue(0.3, 0.1, 0, 'int8')).toBe(3);
    const x = Math.fround(0.35);
    const s = Math.fround(0.1);
    expect(Math.fround(x / s)).toBe(3.5);
    expect(x / s).toBeLessThan(3.5);
    expect(quantizeValue(x, s, 0, 'int8')).toBe(4);
  });
  it('uses per-axis parameters along the axis', () => {
    const x = [1, 1, 1, 2, 2, 2];
    expect(Array.from(quantizeLinearRef(x, [2, 3], { scale: [0.5, 1, 2], zeroPoint: [-1, 0, 1], axis: 1 }, 'int8'))).toEqual([1, 1, 1, 3, 2, 2]);
    expect(Array.from(quantizeLinearRef(x, [2, 3], { scale: [1, 0.25], zeroPoint: [0, 250], axis: 0 }, 'uint8'))).toEqual([1, 1, 1, 255, 255, 255]);
  });
});

describe('dequantizeLinearRef', () => {
  it('is fl32(fl32(x − zp) · scale), per tensor and per axis', () => {
    expect(Array.from(dequantizeLinearRef([-128, 0, 127], [3], { scale: [0.1], zeroPoint: [-3] }))).toEqual([-125, 3, 130].map((v) => Math.fround(v * Math.fround(0.1))));
    expect(Array.from(dequantizeLinearRef([0, 255, 0, 255], [2, 2], { scale: [2, 0.5], zeroPoint: [128, 0], axis: 0 }))).toEqual([-256, 254, 0, 127.5]);
  });
  it('rounds a large int32 difference to float32', () => {
    expect(dequantizeLinearRef([16777217], [1], { scale: [1], zeroPoint: [0] })[0]).toBe(16777216);
  });
});

describe('dynamicQuantizeLinearRef', () => {
  // ONNX's operator documentation / backend tests (test_dynamicquantizelinear, _max_adjusted, _min_adjusted)
  it('matches ONNX: mixed signs', () => {
    const r = dynamicQuantizeLinearRef([0, 2, -3, -2.5, 1.34, 0.5]);
    expect(r.scale).toBe(Math.fround(5 / 255));
    expect(r.zeroPoint).toBe(153);
    expect(Array.from(r.y)).toEqual([153, 255, 0, 26, 221, 179]);
  });
  it('matches ONNX: all negative (max adjusted to 0)', () => {
    const r = dynamicQuantizeLinearRef([-1.0, -2.1, -1.3, -2.5, -3.34, -4.0]);
    expect(r.zeroPoint).toBe(255);
    expect(Array.from(r.y)).toEqual([191, 121, 172, 96, 42, 0]);
  });
  it('matches ONNX: all positive (min adjusted to 0)', () => {
    const r = dynamicQuantizeLinearRef([1, 2.1, 1.3, 2.5, 3.34, 4.0, 1.5, 2.6, 3.9, 4.0, 3.0, 2.345]);
    expect(r.zeroPoint).toBe(0);
    expect(Array.from(r.y)).toEqual([64, 134, 83, 159, 213, 255, 96, 166, 249, 255, 191, 149]);
  });
  it('uses scale 1 and zero point 0 for an all-zero input (ONNX Runtime)', () => {
    expect(dynamicQuantizeLinearRef([0, 0, 0])).toEqual({ y: new Uint8Array(3), scale: 1, zeroPoint: 0 });
  });
});

describe('qlinearBinaryRef', () => {
  it('broadcasts numpy-style', () => {
    expect(broadcastShapes([2, 1, 3], [4, 1])).toEqual([2, 4, 3]);
    expect(() => broadcastShapes([2, 3], [4])).toThrow(/do not broadcast/);
  });
  it('adds and multiplies in float32 and requantizes', () => {
    const a = { shape: [2, 2], data: [10, 20, 30, 40], scale: 0.5, zeroPoint: 10 };
    const b = { shape: [2], data: [0, 4], scale: 0.25, zeroPoint: 2 };
    const add = qlinearBinaryRef('add', a, b, { scale: 1, zeroPoint: 0 }, 'int8');
    // a = [0, 5, 10, 15], b = [-0.5, 0.5] → [-0.5, 5.5, 9.5, 15.5] → ties to even: [-0, 6, 10, 16]
    expect(Array.from(add.data)).toEqual([0, 6, 10, 16]);
    const mul = qlinearBinaryRef('mul', a, b, { scale: 0.5, zeroPoint: 100 }, 'uint8');
    expect(Array.from(mul.data)).toEqual([100, 105, 90, 115]);
    const sat = qlinearBinaryRef('mul', a, b, { scale: 0.01, zeroPoint: 0 }, 'int8');
    expect(Array.from(sat.data)).toEqual([0, 127, -128, 127]);
  });
  it("adds the output zero point in float before rounding, as ONNX Runtime's QLinearAdd does", () => {
    // PP-OCRv4 det's p2o.Add.258 (scales of winoconv's quantizer), qa = 0, qb = 139: (a + b) / sc = −60.500004 in
    // float32, + 130 = 69.5 in float32 → 70 (ONNX Runtime wasm 1.30, checked on all 65536 pairs), where
    // round(−60.500004) + 130 = 69
    const s = 2.6527693271636963;
    const sc = 5.305538654327393;
    const q = Math.fround(Math.fround(Math.fround(Math.fround(s) * -130) + Math.fround(Math.fround(s) * 9)) / Math.fround(sc));
    expect(q).toBeCloseTo(-60.500004, 5); // just past the tie
    const r = qlinearBinaryRef('add', { shape: [1], data: [0], scale: s, zeroPoint: 130 }, { shape: [1], data: [139], scale: s, zeroPoint: 130 }, { scale: sc, zeroPoint: 130 }, 'uint8');
    expect(r.data[0]).toBe(70);
    expect(qlinearQuantizeValue(q, 1, 130, 'uint8')).toBe(70);
    expect(quantizeValue(q, 1, 130, 'uint8')).toBe(69);
    // float clamp to [lo − zp, hi − zp] before adding the zero point: saturates as before
    expect(qlinearQuantizeValue(1000, 1, 10, 'uint8')).toBe(255);
    expect(qlinearQuantizeValue(-1000, 1, 10, 'int8')).toBe(-128);
  });
});

describe('unary tables', () => {
  it('QLinearSigmoid: table[b] is the quantized logistic of the dequantized byte', () => {
    const x = { scale: 0.1, zeroPoint: -5, dtype: 'int8' as const };
    const y = { scale: 1 / 256, zeroPoint: -128, dtype: 'int8' as const };
    const t = qlinearSigmoidTable(x, y);
    expect(t.length).toBe(256);
    expect(t[toByte(-5)]).toBe(toByte(0)); // sigmoid(0) = 0.5 → 128 − 128 = 0
    expect(t[toByte(127)]).toBe(toByte(127)); // sigmoid(13.2) ≈ 1 → saturates
    expect(Array.from(applyUnaryTableRef([-5, 127, -128], t, 'int8'))).toEqual([0, 127, -128 + Math.round((1 / (1 + Math.exp(12.3))) * 256)]);
  });
});

function toByte(v: number): number {
  return v & 0xff;
}

describe('qlinearGlobalAveragePoolRef', () => {
  it('sums x − zp exactly and requantizes with fl32(x_scale / (y_scale · HW))', () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(qlinearGapMultiplier(0.5, 0.25, 4)).toBe(0.5);
    // channel 0: Σ(x − 1) = 6 → 6 · 0.5 = 3 + 2; channel 1: Σ(x − 1) = 22 → 11 + 2
    expect(Array.from(qlinearGlobalAveragePoolRef(x, [1, 2, 2, 2], { scale: 0.5, zeroPoint: 1 }, { scale: 0.25, zeroPoint: 2 }, 'uint8'))).toEqual([5, 13]);
    // ties: Σ = 5 → 2.5 → 2; Σ = 7 → 3.5 → 4
    expect(Array.from(qlinearGlobalAveragePoolRef([2, 3, 3, 4], [1, 2, 1, 2], { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, 'int8'))).toEqual([2, 4]);
  });
});

describe('strided copy and MaxPool', () => {
  it('gathers through strides', () => {
    expect(Array.from(stridedCopyRef([0, 1, 2, 3, 4, 5], [3, 2], [1, 3]))).toEqual([0, 3, 1, 4, 2, 5]);
  });
  it('MaxPool skips padding taps and yields the lowest value for an empty window', () => {
    const x = [-5, -3, -9, -1];
    const p = { kernel: [2, 2] as [number, number], strides: [2, 2] as [number, number], pads: [1, 1, 2, 2] as [number, number, number, number], dilations: [1, 1] as [number, number], out: [2, 2] as [number, number] };
    expect(Array.from(maxPoolI8Ref(x, [1, 1, 2, 2], p, 'int8'))).toEqual([-5, -3, -9, -1]);
    const far = { ...p, pads: [3, 3, 0, 0] as [number, number, number, number], out: [1, 1] as [number, number] };
    expect(Array.from(maxPoolI8Ref(x, [1, 1, 2, 2], far, 'int8'))).toEqual([-128]);
  });
});

describe('concat and requantization tables', () => {
  it('concatenates along an inner axis', () => {
    const a = { shape: [2, 2], data: [1, 2, 3, 4] };
    const b = { shape: [2, 1], data: [9, 8] };
    expect(concatRef([a, b], 1)).toEqual({ shape: [2, 3], data: Int32Array.from([1, 2, 9, 3, 4, 8]) });
  });
  it('the requantization table is the identity when scales and zero points agree, and rescales otherwise', () => {
    const q = { scale: 0.05, zeroPoint: 3, dtype: 'uint8' as const };
    expect(Array.from(qlinearRequantizeTable(q, q))).toEqual(Array.from({ length: 256 }, (_, b) => b));
    const t = qlinearRequantizeTable(q, { scale: 0.1, zeroPoint: -128, dtype: 'int8' });
    expect(t[3]).toBe(toByte(-128)); // 0 → zero point
    expect(t[4]).toBe(toByte(-128)); // 0.05 / 0.1 = 0.5 → ties to even: 0
    expect(t[6]).toBe(toByte(-126)); // fl32(0.05 · 3) / 0.1 = 1.50000004 in float64, exactly 1.5 in float32 → 2
  });
});

describe('qlinearBinaryConstTable', () => {
  it('equals qlinearBinaryRef element for element for every byte, with the constant as A or as B', () => {
    const f = Math.fround;
    const cases = [
      { op: 'add' as const, dtype: 'int8' as const, x: { scale: f(0.1173), zeroPoint: -3 }, k: 97, kq: { scale: f(0.0236), zeroPoint: -128 }, y: { scale: f(0.0235), zeroPoint: -128 } },
      { op: 'mul' as const, dtype: 'int8' as const, x: { scale: f(0.047), zeroPoint: 11 }, k: 127, kq: { scale: f(0.16667 / 127), zeroPoint: 0 }, y: { scale: f(0.0089), zeroPoint: 4 } },
      { op: 'mul' as const, dtype: 'uint8' as const, x: { scale: f(0.3), zeroPoint: 128 }, k: 200, kq: { scale: f(0.05), zeroPoint: 100 }, y: { scale: f(0.1), zeroPoint: 120 } },
      { op: 'add' as const, dtype: 'uint8' as const, x: { scale: f(0.35), zeroPoint: 0 }, k: 3, kq: { scale: f(0.1), zeroPoint: 0 }, y: { scale: f(0.1), zeroPoint: 0 } },
    ];
    for (const c of cases) {
      const xs = Array.from({ length: 256 }, (_, b) => (c.dtype === 'int8' && b >= 128 ? b - 256 : b));
      const t = qlinearBinaryConstTable(c.op, { ...c.x, dtype: c.dtype }, c.k, c.kq, { ...c.y, dtype: c.dtype });
      const viaTable = applyUnaryTableRef(xs, t, c.dtype);
      const asB = qlinearBinaryRef(c.op, { shape: [256], data: xs, ...c.x }, { shape: [], data: [c.k], ...c.kq }, c.y, c.dtype).data;
      const asA = qlinearBinaryRef(c.op, { shape: [], data: [c.k], ...c.kq }, { shape: [256], data: xs, ...c.x }, c.y, c.dtype).data;
      expect(Array.from(viaTable)).toEqual(Array.from(asB));
      expect(Array.from(viaTable)).toEqual(Array.from(asA));
    }
  });
});
