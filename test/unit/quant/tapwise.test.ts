import { describe, expect, it } from 'vitest';
import type { Activation, ConvGeometry } from '../../../src/conv/types.ts';
import { ConvDescError } from '../../../src/conv/validate.ts';
import {
  calibrateTapScales,
  nonnegativeTaps,
  quantizeTapWeights,
  sqnrDb,
  staticTapScales,
  tapScalesFromJSON,
  tapScalesToJSON,
  tapwiseInputTransform,
  tapwiseKernelParams,
  tapwiseWinogradConv,
  type TapScales,
  type TapWeights,
} from '../../../src/quant/tapwise.ts';
import { composeKernel } from '../../../src/kernels/compose.ts';
import { tapwiseWgslPart } from '../../../src/kernels/quant-wgsl.ts';
import { reflectWgsl } from '../../../src/kernels/reflect.ts';
import { qlinearConvReference, type QuantDType } from '../../../src/reference/integer.ts';
import { winogradInputTransform, type WinogradConvShape } from '../../../src/reference/winograd.ts';
import { type Winograd2D, winogradFromName } from '../../../src/winograd/index.ts';
import { mulberry32, randomInts } from '../helpers/rng.ts';
import { measureSqnr, sqnrProblem } from './sqnr-setup.ts';

const algo = (name: string) => winogradFromName(name) as Winograd2D;
const ALGOS = ['F(2x2,3x3)', 'F(4x4,3x3)', 'F(2x1,3x3)', 'F(4x1,3x3)'];

function geometry(s: WinogradConvShape): ConvGeometry {
  return {
    batch: s.batch, inChannels: s.inChannels, outChannels: s.outChannels, inHeight: s.inHeight, inWidth: s.inWidth,
    kernelH: 3, kernelW: 3, strides: [1, 1], pads: [...s.pads], dilations: [1, 1], groups: 1,
  };
}

describe('unsigned (uint8) taps, read from the exact input transforms', () => {
  it.each([
    ['F(2x2,3x3)', [5]],
    ['F(2x1,3x3)', [3, 4, 5]],
    ['F(4x4,3x3)', []],
    ['F(4x1,3x3)', []],
  ] as [string, number[]][])('%s: nonnegative taps %j', (name, want) => {
    const taps = nonnegativeTaps(algo(name));
    expect(taps.flatMap((n, i) => (n ? [i] : []))).toEqual(want);
  });

  it('are used only when the input is nonnegative (x_zp = the type minimum) and granularity is per tap', () => {
    const rng = mulberry32(1);
    const w: TapWeights = { data: randomInts(2 * 3 * 9, rng, -127, 127), outChannels: 2, inChannels: 3 };
    const a = algo('F(2x2,3x3)');
    expect(staticTapScales(a, w, { inputDtype: 'uint8', xZeroPoint: 0 }).inputDtype[5]).toBe('uint8');
    expect(staticTapScales(a, w, { inputDtype: 'int8', xZeroPoint: -128 }).inputDtype[5]).toBe('uint8');
    expect(staticTapScales(a, w, { inputDtype: 'uint8', xZeroPoint: 128 }).inputDtype).toEqual(new Array(16).fill('int8'));
    expect(staticTapScales(a, w, { inputDtype: 'uint8', xZeroPoint: 0, granularity: 'tensor' }).inputDtype).toEqual(new Array(16).fill('int8'));
    expect(staticTapScales(a, w, { inputDtype: 'uint8', xZeroPoint: 0, unsignedTaps: false }).inputDtype).toEqual(new Array(16).fill('int8'));
  });

  it('keep nonnegative data nonnegative: an unsigned tap of ReLU data never sees a negative V', () => {
    const a = algo('F(2x1,3x3)');
    const shape: WinogradConvShape = { batch: 1, inHeight: 9, inWidth: 7, inChannels: 3, outChannels: 1, pads: [1, 1, 1, 1] };
    const x = randomInts(9 * 7 * 3, mulberry32(2), 0, 255);
    const V = winogradInputTransform(a, x, shape, 'f64');
    const per = V.length / 12;
    nonnegativeTaps(a).forEach((nonneg, xi) => {
      if (nonneg) expect(Math.min(...V.subarray(xi * per, (xi + 1) * per))).toBeGreaterThanOrEqual(0);
    });
  });
});

describe('tapwiseWinogradConv is QLinearConv exactly when the quantization is lossless', () => {
  // Small operands: |V| ≤ 4·7 fits int8 with scale 1, and 4·U (F(2x2)) or 2·U (F(2x1)) is an integer ≤ 127 with
  // weight scale 1/4 or 1/2, so every step is exact and the result must equal the reference bit for bit.
  const cases: { name: string; algo: string; shape: WinogradConvShape; out: QuantDType; yZp: number; activation?: Activation; wScaleTap: number }[] = [
    { name: 'F(2x2): c3 9x11 asym pads, uint8 out, relu', algo: 'F(2x2,3x3)', shape: { batch: 1, inHeight: 9, inWidth: 11, inChannels: 3, outChannels: 4, pads: [2, 0, 1, 2] }, out: 'uint8', yZp: 10, activation: { type: 'relu' }, wScaleTap: 0.25 },
    { name: 'F(2x2): b2 c13 6x7 no pad, int8 out, relu6', algo: 'F(2x2,3x3)', shape: { batch: 2, inHeight: 6, inWidth: 7, inChannels: 13, outChannels: 5, pads: [0, 0, 0, 0] }, out: 'int8', yZp: -3, activation: { type: 'relu6' }, wScaleTap: 0.25 },
    { name: 'F(2x1): c1 7x5 pad1, int8 out, linear', algo: 'F(2x1,3x3)', shape: { batch: 1, inHeight: 7, inWidth: 5, inChannels: 1, outChannels: 3, pads: [1, 1, 1, 1] }, out: 'int8', yZp: 0, wScaleTap: 0.5 },
  ];
  it.each(cases)('$name', (c) => {
    const a = algo(c.algo);
    const rng = mulberry32(99);
    const s = c.shape;
    const taps = a.nh * a.nw;
    const input = randomInts(s.batch * s.inHeight * s.inWidth * s.inChannels, rng, 0, 7);
    const wdata = randomInts(s.outChannels * s.inChannels * 9, rng, -3, 3);
    const bias = randomInts(s.outChannels, rng, -20, 20);
    const weights: TapWeights = { data: wdata, outChannels: s.outChannels, inChannels: s.inChannels };
    const scales: TapScales = {
      algorithm: a.name, taps, outChannels: s.outChannels, granularity: 'tap', method: 'test',
      inputDtype: nonnegativeTaps(a).map((n) => (n ? 'uint8' : 'int8')),
      inputScale: new Float64Array(taps).fill(1),
      weightScale: new Float64Array(taps * s.outChannels).fill(c.wScaleTap),
    };
    const wScale = Array.from({ length: s.outChannels }, (_, o) => 0.01 * (o + 1));
    const q = { xScale: 0.05, wScale, yScale: 0.013, yZeroPoint: c.yZp, outputDtype: c.out, activation: c.activation };
    const weightsQ = quantizeTapWeights(a, weights, scales);
    const got = tapwiseWinogradConv(a, { input, inputDtype: 'uint8', shape: s, xZeroPoint: 0, weightsQ, bias, ...q }, scales);
    const ref = qlinearConvReference(geometry(s), {
      input, inputLayout: 'NHWC', weight: wdata, weightLayout: 'OIHW', xZeroPoint: 0, wZeroPoint: 0,
      bias: { shape: [s.outChannels], data: bias, broadcast: 'channel' }, ...q,
    });
    expect(got.outputShape).toEqual(ref.shape);
    expect(Array.from(got.acc)).toEqual(Array.from(ref.accumulator));
    expect(Array.from(got.output)).toEqual(Array.from(ref.data));
  });
});

describe('pipeline details a GPU kernel must reproduce', () => {
  it('the documented WGSL i32 → f32 conversion f32(m >> 16) · 65536 + f32(m & 0xffff) is round-to-nearest-even', () => {
    const rng = mulberry32(4);
    for (let i = 0; i < 200_000; i++) {
      const m = (Math.floor(rng() * 2 ** 32) | 0) >> Math.floor(rng() * 8);
      const viaParts = Math.fround(Math.fround((m >> 16) * 65536) + Math.fround(m & 0xffff));
      if (viaParts !== Math.fround(m)) throw new Error(`m = ${m}: ${viaParts} vs ${Math.fround(m)}`);
    }
  });

  it('tapwiseKernelParams: invS = fround(1/s), deq = fround(s_x · s_w), ranges per tap dtype', () => {
    const a = algo('F(2x2,3x3)');
    const w: TapWeights = { data: randomInts(2 * 2 * 9, mulberry32(5), -127, 127), outChannels: 2, inChannels: 2 };
    const s = staticTapScales(a, w, { inputDtype: 'uint8', xZeroPoint: 0 });
    const p = tapwiseKernelParams(s);
    expect(p.inputInvScale[0]).toBe(Math.fround(1 / s.inputScale[0]));
    expect(p.dequant[16 + 3]).toBe(Math.fround(s.inputScale[3] * s.weightScale[16 + 3]));
    expect([p.inputLo[5], p.inputHi[5], p.inputLo[0], p.inputHi[0]]).toEqual([0, 255, -127, 127]);
  });

  it('static scales never clip: the worst-case input of the type quantizes inside every tap range', () => {
    for (const name of ALGOS) {
      const a = algo(name);
      const w: TapWeights = { data: randomInts(9, mulberry32(6), -127, 127), outChannels: 1, inChannels: 1 };
      const shape: WinogradConvShape = { batch: 1, inHeight: 8, inWidth: 8, inChannels: 1, outChannels: 1, pads: [1, 1, 1, 1] };
      const s = staticTapScales(a, w, { inputDtype: 'uint8', xZeroPoint: 0 });
      const V = winogradInputTransform(a, randomInts(64, mulberry32(7), 0, 1).map((b) => 255 * b), shape, 'f64');
      const per = V.length / s.taps;
      for (let xi = 0; xi < s.taps; xi++) {
        const hi = s.inputDtype[xi] === 'uint8' ? 255 : 127;
        for (let i = xi * per; i < (xi + 1) * per; i++) expect(Math.abs(V[i]) / s.inputScale[xi]).toBeLessThanOrEqual(hi * (1 + 1e-6));
      }
      const Vq = tapwiseInputTransform(a, new Int32Array(64).fill(255), 'uint8', 0, shape, s);
      expect(Math.max(...Vq)).toBeLessThanOrEqual(255);
    }
  });

  it('tapwiseWgslPart defines tap_quantize, tap_i32_to_f32 and tap_acc, with no bindings, and parses', () => {
    const part = tapwiseWgslPart();
    expect(part.bindings).toEqual([]);
    expect(part.uniforms).toEqual([]);
    expect(part.code).toMatch(/fn tap_quantize\(v: f32, inv_scale: f32, lo: i32, hi: i32\) -> i32/);
    expect(part.code).toMatch(/fn tap_i32_to_f32\(m: i32\) -> f32/);
    expect(part.code).toMatch(/fn tap_acc\(y: f32, bias: i32\) -> i32/);
    const k = composeKernel({
      id: 'tap_probe', header: 'probe', workgroupSize: [1, 1, 1],
      parts: [part, { idPart: '', uniforms: [], code: '', bindings: [{ name: 'out', kind: 'storage', type: 'array<i32>' }] }],
      main: '@compute @workgroup_size(1) fn main() { out[0] = tap_quantize(tap_i32_to_f32(out[1]), 0.5, -127i, 127i) + tap_acc(2.5, out[2]); }',
    });
    expect(() => reflectWgsl(k.code)).not.toThrow();
  });

  it('sqnrDb', () => {
    expect(sqnrDb([1, 2], [1, 2])).toBe(Infinity);
    expect(sqnrDb([1.1, 0.9], [1, 1])).toBeCloseTo(20, 10);
    expect(() => sqnrDb([1], [1, 2])).toThrow(/approx.length = 1: must equal exact.length \(2\)/);
  });
});

describe('SQNR on ReLU-like data (half-normal uint8 acts, int8 per-channel weights, C_in 64, 16x16, seeded)', () => {
  // Measured (seed 2024, 4 calibration images, MSE clipping): output-domain SQNR in dB against QLinearConv,
  // per tap vs per tensor:
  //   F(2x2,3x3) 34.35 vs 32.04   F(4x4,3x3) 23.91 vs 5.41   F(2x1,3x3) 35.44 vs 33.56   F(4x1,3x3) 31.65 vs 23.92
  // The floors below sit about 1 dB under the measurements; F(2x2) also meets the 33 dB target.
  const p = sqnrProblem();
  const floors: [string, number, number][] = [
    ['F(2x2,3x3)', 33.0, 1.5],
    ['F(4x4,3x3)', 22.5, 15],
    ['F(2x1,3x3)', 34.5, 1.0],
    ['F(4x1,3x3)', 30.5, 6],
  ];
  it.each(floors)('%s: per-tap calibrated ≥ %d dB and beats per-tensor by ≥ %d dB', (name, floor, gain) => {
    const a = algo(name);
    const tap = measureSqnr(a, p);
    const tensor = measureSqnr(a, p, { granularity: 'tensor' });
    expect(tap.outputDb).toBeGreaterThanOrEqual(floor);
    expect(tap.outputDb - tensor.outputDb).toBeGreaterThanOrEqual(gain);
    expect(tap.accDb).toBeGreaterThan(tensor.accDb);
  });

  it('F(2x2,3x3): the uint8 centre tap adds SQNR over an all-int8 input', () => {
    const a = algo('F(2x2,3x3)');
    expect(measureSqnr(a, p).outputDb).toBeGreaterThan(measureSqnr(a, p, { unsignedTaps: false }).outputDb);
  });
});

describe('TapScales JSON', () => {
  const a = algo('F(2x2,3x3)');
  const w: TapWeights = { data: randomInts(3 * 2 * 9, mulberry32(8), -127, 127), outChannels: 3, inChannels: 2 };
  const samples = [{ data: randomInts(6 * 6 * 2, mulberry32(9), 0, 255), batch: 1, height: 6, width: 6 }];
  const scales = calibrateTapScales(a, samples, w, { inputDtype: 'uint8', xZeroPoint: 0, method: 'percentile', percentile: 99 });

  it('round-trips exactly through JSON text', () => {
    const text = JSON.stringify(tapScalesToJSON(scales));
    const back = tapScalesFromJSON(text);
    expect(back).toEqual(scales);
    expect(tapScalesFromJSON(JSON.parse(text), a)).toEqual(scales);
    expect(back.method).toBe('percentile:99');
  });

  const good = () => JSON.parse(JSON.stringify(tapScalesToJSON(scales))) as Record<string, unknown>;
  const bad: [string, (j: Record<string, unknown>) => void, RegExp][] = [
    ['format', (j) => (j.format = 'x'), /format = "x": must be 'winoconv-tap-scales'/],
    ['version', (j) => (j.version = 2), /version = 2: must be 1/],
    ['algorithm unknown', (j) => (j.algorithm = 'F(3x3,3x3)-zz'), /algorithm = "F\(3x3,3x3\)-zz": must name a 2-D algorithm/],
    ['taps', (j) => (j.taps = 15), /taps = 15: must be 16 \(nh · nw of F\(2x2,3x3\)\)/],
    ['outChannels', (j) => (j.outChannels = 0), /outChannels = 0: must be an integer >= 1/],
    ['granularity', (j) => (j.granularity = 'row'), /granularity = "row": must be 'tap' or 'tensor'/],
    ['inputDtype length', (j) => (j.inputDtype = ['int8']), /inputDtype = .*: must be an array of 16 entries/],
    ['inputDtype value', (j) => ((j.inputDtype as string[])[2] = 'int16'), /inputDtype\[2\] = "int16": must be 'int8' or 'uint8'/],
    ['uint8 on a mixed-sign tap', (j) => ((j.inputDtype as string[])[0] = 'uint8'), /inputDtype\[0\] = "uint8": must be 'int8': tap 0 of F\(2x2,3x3\) has negative/],
    ['inputScale length', (j) => (j.inputScale = [1]), /inputScale = .*: must be an array of 16 scales/],
    ['inputScale negative', (j) => ((j.inputScale as number[])[4] = -1), /inputScale\[4\] = -1: must be a finite number > 0/],
    ['inputScale not float32', (j) => ((j.inputScale as number[])[4] = 0.1), /inputScale\[4\] = 0.1: must be a float32 value/],
    ['weightScale rows', (j) => (j.weightScale = [[1]]), /weightScale = .*: must be an array of 3 rows/],
    ['weightScale row length', (j) => ((j.weightScale as number[][])[1] = [1, 2]), /weightScale\[1\] = .*: must be an array of 16 scales/],
    ['weightScale NaN', (j) => ((j.weightScale as unknown[][])[2][7] = null), /weightScale\[2\]\[7\] = null: must be a finite number > 0/],
  ];
  it.each(bad)('rejects %s, naming field, value and rule', (_, mutate, re) => {
    const j = good();
    mutate(j);
    expect(() => tapScalesFromJSON(j)).toThrow(ConvDescError);
    expect(() => tapScalesFromJSON(j)).toThrow(re);
  });
  it('rejects scales of another algorithm when the algorithm is given', () => {
    expect(() => tapScalesFromJSON(good(), algo('F(4x4,3x3)'))).toThrow(/algorithm = "F\(2x2,3x3\)": must be "F\(4x4,3x3\)" \(the algorithm the scales are used with\)/);
  });
});

describe('calibration option validation', () => {
  const a = algo('F(2x2,3x3)');
  const w: TapWeights = { data: new Int32Array(9), outChannels: 1, inChannels: 1 };
  const sample = [{ data: new Int32Array(16), batch: 1, height: 4, width: 4 }];
  const bad: [string, () => unknown, RegExp][] = [
    ['inputDtype', () => calibrateTapScales(a, sample, w, { inputDtype: 'int4' as QuantDType, xZeroPoint: 0 }), /inputDtype = "int4": must be 'uint8' or 'int8'/],
    ['xZeroPoint', () => calibrateTapScales(a, sample, w, { inputDtype: 'uint8', xZeroPoint: -1 }), /xZeroPoint = -1: must be an integer in the uint8 range/],
    ['method', () => calibrateTapScales(a, sample, w, { inputDtype: 'uint8', xZeroPoint: 0, method: 'kl' as 'mse' }), /options.method = "kl"/],
    ['percentile', () => calibrateTapScales(a, sample, w, { inputDtype: 'uint8', xZeroPoint: 0, method: 'percentile', percentile: 0 }), /options.percentile = 0: must be a number in \(0, 100\]/],
    ['samples', () => calibrateTapScales(a, [], w, { inputDtype: 'uint8', xZeroPoint: 0 }), /samples = .*: must be a non-empty array/],
    ['sample values', () => calibrateTapScales(a, [{ ...sample[0], data: new Int32Array(16).fill(300) }], w, { inputDtype: 'uint8', xZeroPoint: 0 }), /samples\[0\].data\[0\] = 300: must be an integer in \[0, 255\]/],
    ['weights length', () => calibrateTapScales(a, sample, { ...w, data: new Int32Array(8) }, { inputDtype: 'uint8', xZeroPoint: 0 }), /weights.data.length = 8: must be 9/],
  ];
  it.each(bad)('%s', (_, f, re) => {
    expect(f).toThrow(ConvDescError);
    expect(f).toThrow(re);
  });
});
