import { describe, expect, it } from 'vitest';
import { type ConvGeometry } from '../../../src/conv/types.ts';
import { outputSize } from '../../../src/conv/geometry.ts';
import { ConvDescError } from '../../../src/conv/validate.ts';
import { conv2dReference, transposeActivation, transposeWeight } from '../../../src/reference/conv2d.ts';
import {
  convIntegerReference,
  fusedClampRange,
  qlinearConvReference,
  requantMultiplier,
  roundHalfEven,
  type QLinearConvOperands,
} from '../../../src/reference/integer.ts';
import { mulberry32, randomInts } from '../helpers/rng.ts';

function geom(p: Partial<ConvGeometry> & Pick<ConvGeometry, 'inChannels' | 'outChannels' | 'inHeight' | 'inWidth'>): ConvGeometry {
  return { batch: 1, kernelH: 1, kernelW: 1, strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], groups: 1, ...p };
}

describe('roundHalfEven', () => {
  const table: [number, number][] = [
    [0.5, 0],
    [1.5, 2],
    [2.5, 2],
    [3.5, 4],
    [-0.5, 0],
    [-1.5, -2],
    [-2.5, -2],
    [2.4999999, 2],
    [2.5000001, 3],
    [-2.5000001, -3],
    [3, 3],
    [2 ** 52 + 1, 2 ** 52 + 1],
  ];
  it.each(table)('round(%d) = %d', (v, want) => {
    expect(roundHalfEven(v)).toBe(want);
    expect(Object.is(roundHalfEven(v), -0)).toBe(false);
  });
});

describe('QLinearConv: hand-computed examples', () => {
  it('uint8, per tensor: .5 ties round to even before the zero point is added', () => {
    // x' = x (x_zp 0), w' = 3 - 2 = 1, M = 0.5·0.5/1 = 0.25 (exact): acc·M = [0.5, 1.5, 2.5, 3.5, 0.75]
    // round half even → [0, 2, 2, 4, 1]; + y_zp 1 → [1, 3, 3, 5, 2].
    // (ONNX's Python reference adds y_zp before rounding and would give [2, 2, 4, 4, 2].)
    const g = geom({ inChannels: 1, outChannels: 1, inHeight: 1, inWidth: 5 });
    const r = qlinearConvReference(g, {
      input: [2, 6, 10, 14, 3], inputLayout: 'NCHW', weight: [3], weightLayout: 'OIHW',
      xZeroPoint: 0, wZeroPoint: 2, xScale: 0.5, wScale: 0.5, yScale: 1, yZeroPoint: 1, outputDtype: 'uint8',
    });
    expect(Array.from(r.accumulator)).toEqual([2, 6, 10, 14, 3]);
    expect(Array.from(r.multipliers)).toEqual([0.25]);
    expect(Array.from(r.data)).toEqual([1, 3, 3, 5, 2]);
  });

  it('uint8 saturates at 0 and 255', () => {
    // x' = [255 - 100, 0 - 100] = [155, -100], w' = 200: acc = [31000, -20000], ·0.25 = [7750, -5000], +1 → [255, 0]
    const g = geom({ inChannels: 1, outChannels: 1, inHeight: 1, inWidth: 2 });
    const r = qlinearConvReference(g, {
      input: [255, 0], inputLayout: 'NHWC', weight: [200], weightLayout: 'HWIO',
      xZeroPoint: 100, wZeroPoint: 0, xScale: 0.5, wScale: 0.5, yScale: 1, yZeroPoint: 1, outputDtype: 'uint8',
    });
    expect(Array.from(r.data)).toEqual([255, 0]);
  });

  // x (int8, 1x1x2x2) = [10, -20, 30, 40], x_zp 10 → x' = [0, -30, 20, 30]
  // w (int8, 2x1x1x1) = [5, -3], w_zp per channel [1, -1] → w' = [4, -2]; bias (int32) = [100, -207]
  // acc ch0 = 4x' + 100 = [100, -20, 180, 220]; ch1 = -2x' - 207 = [-207, -147, -247, -267]
  // x_scale 0.5, w_scale per channel [2, 1], y_scale 1 → M = [1, 0.5]; y_zp = -1
  // ch0: [100, -20, 180, 220] - 1 → [99, -21, 127 (sat), 127 (sat)]
  // ch1: [-103.5, -73.5, -123.5, -133.5] → ties to even [-104, -74, -124, -134] - 1 → [-105, -75, -125, -128 (sat)]
  const perChannel: QLinearConvOperands = {
    input: [10, -20, 30, 40], inputLayout: 'NCHW', weight: [5, -3], weightLayout: 'OIHW',
    xZeroPoint: 10, wZeroPoint: [1, -1], xScale: 0.5, wScale: [2, 1], yScale: 1, yZeroPoint: -1, outputDtype: 'int8',
    bias: { shape: [2], data: [100, -207], broadcast: 'channel' },
  };
  const g2 = geom({ inChannels: 1, outChannels: 2, inHeight: 2, inWidth: 2 });

  it('int8, per-channel scale and zero point, int32 bias, saturation at both ends', () => {
    const r = qlinearConvReference(g2, perChannel);
    expect(Array.from(r.accumulator)).toEqual([100, -20, 180, 220, -207, -147, -247, -267]);
    expect(Array.from(r.multipliers)).toEqual([1, 0.5]);
    expect(Array.from(r.data)).toEqual([99, -21, 127, 127, -105, -75, -125, -128]);
  });

  it('the same example in NHWC / HWIO gives the same numbers', () => {
    const input = transposeActivation(perChannel.input, 'NCHW', 'NHWC', 1, 1, 2, 2);
    const weight = transposeWeight(perChannel.weight, 'OIHW', 'HWIO', 2, 1, 1, 1);
    const r = qlinearConvReference(g2, { ...perChannel, input, inputLayout: 'NHWC', weight, weightLayout: 'HWIO' });
    expect(Array.from(r.data)).toEqual(Array.from(transposeActivation([99, -21, 127, 127, -105, -75, -125, -128], 'NCHW', 'NHWC', 1, 2, 2, 2)));
  });

  it('fused relu clamps at y_zero_point; relu6 at [y_zp, y_zp + round(6 / y_scale)]', () => {
    expect(Array.from(qlinearConvReference(g2, { ...perChannel, activation: { type: 'relu' } }).data)).toEqual([99, -1, 127, 127, -1, -1, -1, -1]);
    expect(Array.from(qlinearConvReference(g2, { ...perChannel, activation: { type: 'relu6' } }).data)).toEqual([5, -1, 5, 5, -1, -1, -1, -1]);
    expect(fusedClampRange({ type: 'relu6' }, 0.5, 10, 'uint8')).toEqual([10, 22]);
    expect(fusedClampRange({ type: 'relu6' }, 0.01, 10, 'uint8')).toEqual([10, 255]);
    expect(fusedClampRange({ type: 'relu' }, 1, -128, 'int8')).toEqual([-128, 127]);
    expect(() => fusedClampRange({ type: 'sigmoid' }, 1, 0, 'int8')).toThrow(/activation\.type = "sigmoid": qlinear_conv fuses only/);
  });

  it('padded positions hold x_zero_point, so they add 0', () => {
    // x = [9, 5], x_zp 5 → x' = [4, 0]; w = [2, 3] (1x2 kernel), pads left/right 1: out W = 3
    // acc = [pad·2 + 4·3, 4·2 + 0·3, 0·2 + pad·3] = [12, 8, 0]; M = 1·1/4 = 0.25 → [3, 2, 0] + 10 → [13, 12, 10]
    // (zero-valued padding would have given x' = -5 there: acc[0] = -10 + 12 = 2)
    const g = geom({ inChannels: 1, outChannels: 1, inHeight: 1, inWidth: 2, kernelW: 2, pads: [0, 1, 0, 1] });
    const ops = { input: [9, 5], inputLayout: 'NCHW' as const, weight: [2, 3], weightLayout: 'OIHW' as const, xZeroPoint: 5, wZeroPoint: 0 };
    expect(Array.from(convIntegerReference(g, ops).data)).toEqual([12, 8, 0]);
    const r = qlinearConvReference(g, { ...ops, xScale: 1, wScale: 1, yScale: 4, yZeroPoint: 10, outputDtype: 'uint8' });
    expect(Array.from(r.data)).toEqual([13, 12, 10]);
  });
});

describe('QLinearConv: ONNX backend test data', () => {
  // onnx/onnx onnx/backend/test/case/node/qlinearconv.py (test_qlinearconv): the literal inputs and output.
  const x = [
    255, 174, 162, 25, 203, 168, 58, 15, 59, 237, 95, 129, 0, 64, 56, 242, 153, 221, 168, 12, 166, 232, 178, 186, 195, 237, 162, 237, 188,
    39, 124, 77, 80, 102, 43, 127, 230, 21, 83, 41, 40, 134, 255, 154, 92, 141, 42, 148, 247,
  ];
  const y = [
    0, 81, 93, 230, 52, 87, 197, 240, 196, 18, 160, 126, 255, 191, 199, 13, 102, 34, 87, 243, 89, 23, 77, 69, 60, 18, 93, 18, 67, 216, 131,
    178, 175, 153, 212, 128, 25, 234, 172, 214, 215, 121, 0, 101, 163, 114, 213, 107, 8,
  ];
  it('test_qlinearconv is reproduced exactly', () => {
    const g = geom({ inChannels: 1, outChannels: 1, inHeight: 7, inWidth: 7 });
    const r = qlinearConvReference(g, {
      input: x, inputLayout: 'NCHW', weight: [0], weightLayout: 'OIHW',
      xScale: 0.00369204697, xZeroPoint: 132, wScale: [0.00172794575], wZeroPoint: [255],
      yScale: 0.00162681262, yZeroPoint: 123, outputDtype: 'uint8',
    });
    expect(Array.from(r.data)).toEqual(y);
    expect(r.multipliers[0]).toBe(requantMultiplier(0.00369204697, 0.00172794575, 0.00162681262));
    expect(Math.fround(r.multipliers[0])).toBe(r.multipliers[0]);
  });
});

describe('ConvInteger', () => {
  it('equals the float64 convolution of (x - x_zp) and (w - w_zp[o]), and explicit x_zp padding', () => {
    const rng = mulberry32(17);
    const g: ConvGeometry = { batch: 2, inChannels: 4, outChannels: 6, inHeight: 5, inWidth: 7, kernelH: 3, kernelW: 2, strides: [2, 1], pads: [1, 2, 2, 0], dilations: [1, 2], groups: 2 };
    const cinG = g.inChannels / g.groups;
    const x = randomInts(g.batch * g.inChannels * g.inHeight * g.inWidth, rng, 0, 255);
    const w = randomInts(g.outChannels * cinG * g.kernelH * g.kernelW, rng, -128, 127);
    const xz = 131;
    const wz = [-3, 0, 7, 127, -128, 1];
    const got = convIntegerReference(g, { input: x, inputLayout: 'NCHW', weight: w, weightLayout: 'OIHW', xZeroPoint: xz, wZeroPoint: wz });

    const perOut = cinG * g.kernelH * g.kernelW;
    const xs = Float64Array.from(x, (v) => v - xz);
    const ws = Float64Array.from(w, (v, i) => v - wz[Math.floor(i / perOut)]);
    const want = conv2dReference(g, { input: xs, inputLayout: 'NCHW', weight: ws, weightLayout: 'OIHW' });
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
    expect(got.data.every((v) => Number.isInteger(v))).toBe(true);

    const [pt, pl, pb, pr] = g.pads;
    const H = g.inHeight + pt + pb;
    const W = g.inWidth + pl + pr;
    const padded = new Float64Array(g.batch * g.inChannels * H * W).fill(xz);
    for (let nc = 0; nc < g.batch * g.inChannels; nc++)
      for (let i = 0; i < g.inHeight; i++)
        for (let j = 0; j < g.inWidth; j++) padded[(nc * H + i + pt) * W + j + pl] = x[(nc * g.inHeight + i) * g.inWidth + j];
    const unpadded = convIntegerReference({ ...g, inHeight: H, inWidth: W, pads: [0, 0, 0, 0] }, { input: padded, inputLayout: 'NCHW', weight: w, weightLayout: 'OIHW', xZeroPoint: xz, wZeroPoint: wz });
    expect(Array.from(unpadded.data)).toEqual(Array.from(got.data));
    expect(got.shape).toEqual([2, 6, outputSize(g).outHeight, outputSize(g).outWidth]);
  });

  it('rejects non-integer data and mis-sized per-channel parameters', () => {
    const g = geom({ inChannels: 1, outChannels: 2, inHeight: 1, inWidth: 2 });
    const base = { input: [1, 2], inputLayout: 'NCHW' as const, weight: [1, 1], weightLayout: 'OIHW' as const };
    expect(() => convIntegerReference(g, { ...base, input: [1, 1.5] })).toThrow(/input\.data\[1\] = 1\.5: must be an integer/);
    expect(() => convIntegerReference(g, { ...base, wZeroPoint: [1, 2, 3] })).toThrow(/wZeroPoint = \[1, 2, 3\]: must hold 1 value \(per tensor\) or 2 values/);
    const q = { ...base, xScale: 1, wScale: [1, 1], yScale: 1, outputDtype: 'uint8' as const };
    expect(() => qlinearConvReference(g, { ...q, wScale: [1, 0] })).toThrow(/wScale\[1\] = 0: must be a finite number > 0/);
    expect(() => qlinearConvReference(g, { ...q, yScale: Number.NaN })).toThrow(/yScale = NaN: must be a finite number > 0/);
    expect(() => qlinearConvReference(g, { ...q, yZeroPoint: 300 })).toThrow(/yZeroPoint = 300: must be within the uint8 range/);
    expect(() => qlinearConvReference(g, { ...q, bias: { shape: [2], data: [0.5, 1], broadcast: 'channel' } })).toThrow(ConvDescError);
  });
});
