import { describe, expect, it } from 'vitest';
import { type Activation, type BroadcastTensor, type ConvGeometry, type Layout, type WeightLayout } from '../../../src/conv/types.ts';
import { outputSize } from '../../../src/conv/geometry.ts';
import { ConvDescError } from '../../../src/conv/validate.ts';
import {
  applyActivation,
  conv2dReference,
  expandBroadcast,
  maxAbsDot,
  transposeActivation,
  transposeWeight,
} from '../../../src/reference/conv2d.ts';
import { mulberry32, randomF32 } from '../helpers/rng.ts';

function geom(p: Partial<ConvGeometry> & Pick<ConvGeometry, 'inChannels' | 'outChannels' | 'inHeight' | 'inWidth'>): ConvGeometry {
  return { batch: 1, kernelH: 3, kernelW: 3, strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], groups: 1, ...p };
}

/** Ugly shapes: odd sizes, C = 1, 3, 13, batch > 1, asymmetric pads, stride with dilation, groups, depthwise. */
const SHAPES: { name: string; g: ConvGeometry }[] = [
  { name: 'c1_k1_5x7_3x3_pad1', g: geom({ inChannels: 1, outChannels: 1, inHeight: 5, inWidth: 7, pads: [1, 1, 1, 1] }) },
  { name: 'b2_c3_k4_7x6_3x3_asym', g: geom({ batch: 2, inChannels: 3, outChannels: 4, inHeight: 7, inWidth: 6, pads: [0, 2, 1, 0] }) },
  { name: 'c13_k5_9x9_5x3_s2', g: geom({ inChannels: 13, outChannels: 5, inHeight: 9, inWidth: 9, kernelH: 5, strides: [2, 2], pads: [2, 1, 2, 1] }) },
  { name: 'c4_k6_11x10_3x3_s2_d2', g: geom({ inChannels: 4, outChannels: 6, inHeight: 11, inWidth: 10, strides: [2, 3], dilations: [2, 2], pads: [1, 2, 2, 1] }) },
  { name: 'g2_c6_k4_8x9', g: geom({ inChannels: 6, outChannels: 4, groups: 2, inHeight: 8, inWidth: 9, pads: [1, 1, 1, 1] }) },
  { name: 'g3_c9_k6_7x5_d2', g: geom({ batch: 2, inChannels: 9, outChannels: 6, groups: 3, inHeight: 7, inWidth: 5, dilations: [2, 1], pads: [2, 1, 2, 1] }) },
  { name: 'depthwise_c5_m2_6x7', g: geom({ inChannels: 5, outChannels: 10, groups: 5, inHeight: 6, inWidth: 7, pads: [1, 1, 1, 1] }) },
  { name: 'c3_k2_1x9_1x3_conv1d', g: geom({ inChannels: 3, outChannels: 2, inHeight: 1, inWidth: 9, kernelH: 1, pads: [0, 1, 0, 1] }) },
];

interface Data {
  x: Float32Array;
  w: Float32Array;
  bias: Float32Array;
}

function randomData(g: ConvGeometry, seed: number): Data {
  const rng = mulberry32(seed);
  return {
    x: randomF32(g.batch * g.inChannels * g.inHeight * g.inWidth, rng),
    w: randomF32(g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW, rng),
    bias: randomF32(g.outChannels, rng),
  };
}

/**
 * An independent naive convolution that indexes NHWC input and HWIO weights directly (no transposes), with a
 * per-channel bias; output NHWC.
 */
function naiveNHWC(g: ConvGeometry, x: ArrayLike<number>, w: ArrayLike<number>, bias?: ArrayLike<number>): Float64Array {
  const { outHeight, outWidth } = outputSize(g);
  const cinG = g.inChannels / g.groups;
  const coutG = g.outChannels / g.groups;
  const out = new Float64Array(g.batch * outHeight * outWidth * g.outChannels);
  for (let n = 0; n < g.batch; n++)
    for (let oy = 0; oy < outHeight; oy++)
      for (let ox = 0; ox < outWidth; ox++)
        for (let o = 0; o < g.outChannels; o++) {
          let acc = bias ? bias[o] : 0;
          const grp = Math.floor(o / coutG);
          for (let ky = 0; ky < g.kernelH; ky++)
            for (let kx = 0; kx < g.kernelW; kx++) {
              const iy = oy * g.strides[0] + ky * g.dilations[0] - g.pads[0];
              const ix = ox * g.strides[1] + kx * g.dilations[1] - g.pads[1];
              if (iy < 0 || ix < 0 || iy >= g.inHeight || ix >= g.inWidth) continue;
              for (let ci = 0; ci < cinG; ci++) {
                const xv = x[((n * g.inHeight + iy) * g.inWidth + ix) * g.inChannels + grp * cinG + ci];
                const wv = w[((ky * g.kernelW + kx) * cinG + ci) * g.outChannels + o];
                acc += xv * wv;
              }
            }
          out[((n * outHeight + oy) * outWidth + ox) * g.outChannels + o] = acc;
        }
  return out;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) {
      throw new Error(`${what}: element ${i}: got ${got[i]}, want ${want[i]}`);
    }
  }
}

describe('conv2dReference: hand-computed values', () => {
  it('stride 2 together with dilation 2 is computed (not rejected)', () => {
    // x = 0..24 in a 5x5 image, a 2x2 kernel of ones dilated by 2 (effective 3x3), stride 2: 2x2 outputs
    // y[0,0] = x[0,0]+x[0,2]+x[2,0]+x[2,2] = 0+2+10+12 = 24; y[0,1] = 2+4+12+14 = 32; y[1,0] = 10+12+20+22 = 64; y[1,1] = 72
    const g = geom({ inChannels: 1, outChannels: 1, inHeight: 5, inWidth: 5, kernelH: 2, kernelW: 2, strides: [2, 2], dilations: [2, 2] });
    const x = Array.from({ length: 25 }, (_, i) => i);
    const r = conv2dReference(g, { input: x, inputLayout: 'NCHW', weight: [1, 1, 1, 1], weightLayout: 'OIHW' });
    expect(r.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(r.data)).toEqual([24, 32, 64, 72]);
  });

  it('asymmetric pads shift the window: pads (t,l,b,r) = (1,0,0,2), 1x2 kernel [1, 10]', () => {
    // x (2x3) = [[1,2,3],[4,5,6]]; out H = 2+1+0-1+1 = 3, W = 3+0+2-2+1 = 4
    // row -1 is padding (zeros); y[r,c] = x[r-1,c] + 10·x[r-1,c+1]
    const g = geom({ inChannels: 1, outChannels: 1, inHeight: 2, inWidth: 3, kernelH: 1, kernelW: 2, pads: [1, 0, 0, 2] });
    const r = conv2dReference(g, { input: [1, 2, 3, 4, 5, 6], inputLayout: 'NHWC', weight: [1, 10], weightLayout: 'HWIO' });
    expect(r.shape).toEqual([1, 3, 4, 1]);
    expect(Array.from(r.data)).toEqual([0, 0, 0, 0, 21, 32, 3, 0, 54, 65, 6, 0]);
  });

  it('bias is added before the activation', () => {
    const g = geom({ inChannels: 1, outChannels: 2, inHeight: 1, inWidth: 2, kernelH: 1, kernelW: 1 });
    const bias: BroadcastTensor = { shape: [2], data: [-3, 1], broadcast: 'channel' };
    const r = conv2dReference(g, { input: [1, 2], inputLayout: 'NCHW', weight: [2, -1], weightLayout: 'OIHW', bias, activation: { type: 'relu' } });
    // conv: ch0 = [2, 4], ch1 = [-1, -2]; + bias: [-1, 1], [0, -1]; relu: [0, 1], [0, 0]
    expect(Array.from(r.data)).toEqual([0, 1, 0, 0]);
  });
});

describe('conv2dReference: layouts, groups, depthwise', () => {
  const pairs: [Layout, WeightLayout][] = [
    ['NCHW', 'OIHW'],
    ['NCHW', 'HWIO'],
    ['NHWC', 'OIHW'],
    ['NHWC', 'HWIO'],
  ];

  it.each(SHAPES)('$name: every layout pair matches an independent NHWC/HWIO loop', ({ g }) => {
    const { x, w, bias } = randomData(g, 7);
    const { outHeight, outWidth } = outputSize(g);
    const cinG = g.inChannels / g.groups;
    const want = naiveNHWC(g, x, w, bias);
    for (const [layout, wLayout] of pairs) {
      const input = transposeActivation(x, 'NHWC', layout, g.batch, g.inChannels, g.inHeight, g.inWidth);
      const weight = transposeWeight(w, 'HWIO', wLayout, g.outChannels, cinG, g.kernelH, g.kernelW);
      const r = conv2dReference(g, { input, inputLayout: layout, weight, weightLayout: wLayout, bias: { shape: [g.outChannels], data: bias, broadcast: 'channel' } });
      expect(r.layout).toBe(layout);
      const asNHWC = transposeActivation(r.data, layout, 'NHWC', g.batch, g.outChannels, outHeight, outWidth);
      expectClose(asNHWC, want, 1e-12, `${layout}/${wLayout} ${JSON.stringify(g)}`);
    }
  });

  it('transposes round-trip', () => {
    const rng = mulberry32(3);
    const a = randomF32(2 * 3 * 4 * 5, rng);
    const back = transposeActivation(transposeActivation(a, 'NCHW', 'NHWC', 2, 3, 4, 5), 'NHWC', 'NCHW', 2, 3, 4, 5);
    expect(Array.from(back)).toEqual(Array.from(a));
    const wt = transposeWeight(transposeWeight(a, 'OIHW', 'HWIO', 2, 3, 4, 5), 'HWIO', 'OIHW', 2, 3, 4, 5);
    expect(Array.from(wt)).toEqual(Array.from(a));
  });

  it.each(SHAPES.filter((s) => s.g.groups > 1))('$name: groups equal a loop of group-1 convolutions', ({ g }) => {
    const { x, w } = randomData(g, 11);
    const { outHeight, outWidth } = outputSize(g);
    const cinG = g.inChannels / g.groups;
    const coutG = g.outChannels / g.groups;
    const full = conv2dReference(g, { input: x, inputLayout: 'NCHW', weight: w, weightLayout: 'OIHW' });
    const plane = g.inHeight * g.inWidth;
    const outPlane = outHeight * outWidth;
    for (let grp = 0; grp < g.groups; grp++) {
      const sub: ConvGeometry = { ...g, inChannels: cinG, outChannels: coutG, groups: 1 };
      const xs = new Float64Array(g.batch * cinG * plane);
      for (let n = 0; n < g.batch; n++) xs.set(x.subarray((n * g.inChannels + grp * cinG) * plane, (n * g.inChannels + (grp + 1) * cinG) * plane), n * cinG * plane);
      const ws = w.subarray(grp * coutG * cinG * g.kernelH * g.kernelW, (grp + 1) * coutG * cinG * g.kernelH * g.kernelW);
      const part = conv2dReference(sub, { input: xs, inputLayout: 'NCHW', weight: ws, weightLayout: 'OIHW' });
      for (let n = 0; n < g.batch; n++) {
        const got = full.data.subarray((n * g.outChannels + grp * coutG) * outPlane, (n * g.outChannels + (grp + 1) * coutG) * outPlane);
        expect(Array.from(got), `group ${grp} batch ${n}`).toEqual(Array.from(part.data.subarray(n * coutG * outPlane, (n + 1) * coutG * outPlane)));
      }
    }
  });

  it('depthwise re-expression: HWIO [kH,kW,1,C*M] with group C equals a per-channel loop over a [kH,kW,C,M] filter', () => {
    const C = 3;
    const M = 2;
    const g = geom({ batch: 2, inChannels: C, outChannels: C * M, groups: C, inHeight: 6, inWidth: 5, pads: [1, 0, 1, 2], strides: [1, 2] });
    const rng = mulberry32(5);
    const x = randomF32(g.batch * g.inHeight * g.inWidth * C, rng);
    const filter = randomF32(3 * 3 * C * M, rng);
    const r = conv2dReference(g, { input: x, inputLayout: 'NHWC', weight: filter, weightLayout: 'HWIO' });
    const { outHeight, outWidth } = outputSize(g);
    for (let c = 0; c < C; c++) {
      for (let m = 0; m < M; m++) {
        const single = geom({ ...g, inChannels: 1, outChannels: 1, groups: 1 });
        const xc = new Float64Array(g.batch * g.inHeight * g.inWidth).map((_, i) => x[i * C + c]);
        const wc = new Float64Array(9).map((_, k) => filter[(k * C + c) * M + m]);
        const one = conv2dReference(single, { input: xc, inputLayout: 'NHWC', weight: wc, weightLayout: 'HWIO' });
        for (let p = 0; p < g.batch * outHeight * outWidth; p++) {
          expect(r.data[p * C * M + c * M + m], `c ${c} m ${m} position ${p}`).toBe(one.data[p]);
        }
      }
    }
  });
});

describe('conv2dReference: bias and PReLU broadcasts', () => {
  const g = geom({ batch: 2, inChannels: 2, outChannels: 3, inHeight: 4, inWidth: 3, pads: [1, 1, 1, 1] });
  const { x, w } = randomData(g, 21);
  const { outHeight: H, outWidth: W } = outputSize(g);
  const perChannel = [0.5, -1.25, 2];

  it('channel, numpy [C] (NHWC), numpy [C,1,1] (NCHW) and scalar agree with a plain per-channel add', () => {
    const plain = naiveNHWC(g, x, w, perChannel);
    const nhwc = { input: x, inputLayout: 'NHWC' as const, weight: w, weightLayout: 'HWIO' as const };
    const nchwX = transposeActivation(x, 'NHWC', 'NCHW', g.batch, g.inChannels, g.inHeight, g.inWidth);
    const nchw = { input: nchwX, inputLayout: 'NCHW' as const, weight: w, weightLayout: 'HWIO' as const };
    const channel = conv2dReference(g, { ...nhwc, bias: { shape: [3], data: perChannel, broadcast: 'channel' } });
    const numpyC = conv2dReference(g, { ...nhwc, bias: { shape: [3], data: perChannel, broadcast: 'numpy' } });
    const numpyC11 = conv2dReference(g, { ...nchw, bias: { shape: [3, 1, 1], data: perChannel, broadcast: 'numpy' } });
    expectClose(channel.data, plain, 1e-12, 'channel');
    expectClose(numpyC.data, plain, 1e-12, 'numpy [C]');
    expectClose(transposeActivation(numpyC11.data, 'NCHW', 'NHWC', 2, 3, H, W), plain, 1e-12, 'numpy [C,1,1]');
    const scalar = conv2dReference(g, { ...nhwc, bias: { shape: [], data: [0.75], broadcast: 'scalar' } });
    expectClose(scalar.data, naiveNHWC(g, x, w, [0.75, 0.75, 0.75]), 1e-12, 'scalar');
  });

  it('numpy [H,W,C] bias adds a different value at every position', () => {
    const full = Float64Array.from({ length: H * W * 3 }, (_, i) => i / 10);
    const r = conv2dReference(g, { input: x, inputLayout: 'NHWC', weight: w, weightLayout: 'HWIO', bias: { shape: [H, W, 3], data: full, broadcast: 'numpy' } });
    const plain = naiveNHWC(g, x, w);
    for (let i = 0; i < plain.length; i++) expect(r.data[i]).toBeCloseTo(plain[i] + full[i % (H * W * 3)], 12);
  });

  it('expandBroadcast follows numpy rules with size-1 dims', () => {
    // output NHWC [1, 2, 2, 3]; tensor [2, 1, 3]: varies over H and C, repeats over W
    const t: BroadcastTensor = { shape: [2, 1, 3], data: [1, 2, 3, 4, 5, 6], broadcast: 'numpy' };
    expect(Array.from(expandBroadcast(t, 'NHWC', 1, 3, 2, 2))).toEqual([1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
    const c: BroadcastTensor = { shape: [3], data: [7, 8, 9], broadcast: 'channel' };
    expect(Array.from(expandBroadcast(c, 'NCHW', 1, 3, 1, 2))).toEqual([7, 7, 8, 8, 9, 9]);
  });

  it('prelu uses the same broadcast rules as the bias', () => {
    const slopes: BroadcastTensor = { shape: [1, 1, 3], data: [0.1, 0.2, 0.3], broadcast: 'numpy' };
    const r = conv2dReference(g, { input: x, inputLayout: 'NHWC', weight: w, weightLayout: 'HWIO', activation: { type: 'prelu', preluWeights: slopes } });
    const plain = naiveNHWC(g, x, w);
    for (let i = 0; i < plain.length; i++) {
      const v = plain[i];
      expect(r.data[i]).toBeCloseTo(v >= 0 ? v : [0.1, 0.2, 0.3][i % 3] * v, 12);
    }
  });
});

describe('activations', () => {
  const cases: [Activation, number, number][] = [
    [{ type: 'linear' }, -2, -2],
    [{ type: 'relu' }, -2, 0],
    [{ type: 'relu' }, 3, 3],
    [{ type: 'relu6' }, 7.5, 6],
    [{ type: 'relu6' }, -1, 0],
    [{ type: 'relu6' }, 2.5, 2.5],
    [{ type: 'leakyrelu' }, -2, -0.4],
    [{ type: 'leakyrelu', alpha: 0.5 }, -2, -1],
    [{ type: 'leakyrelu' }, 2, 2],
    [{ type: 'elu' }, -1, Math.exp(-1) - 1],
    [{ type: 'elu' }, 1.5, 1.5],
    [{ type: 'sigmoid' }, 0, 0.5],
    [{ type: 'sigmoid' }, 2, 1 / (1 + Math.exp(-2))],
  ];
  it.each(cases)('%o(%d) = %d', (act, v, want) => {
    expect(applyActivation(v, act)).toBeCloseTo(want, 15);
  });

  it('prelu uses the given slope for negative values only', () => {
    expect(applyActivation(-2, { type: 'prelu' }, 0.25)).toBe(-0.5);
    expect(applyActivation(2, { type: 'prelu' }, 0.25)).toBe(2);
  });

  it('prelu without slopes and unknown activations are rejected', () => {
    const g = geom({ inChannels: 1, outChannels: 1, inHeight: 1, inWidth: 1, kernelH: 1, kernelW: 1 });
    const ops = { input: [1], inputLayout: 'NCHW' as const, weight: [1], weightLayout: 'OIHW' as const };
    expect(() => conv2dReference(g, { ...ops, activation: { type: 'prelu' } })).toThrow(/activation\.preluWeights = undefined: is required/);
    expect(() => conv2dReference(g, { ...ops, activation: { type: 'swish' } as unknown as Activation })).toThrow(ConvDescError);
  });
});

describe('maxAbsDot', () => {
  it.each(SHAPES)('$name: per-output Σ|x·w| + |bias| matches a naive loop on |x|, |w|', ({ g }) => {
    const { x, w, bias } = randomData(g, 31);
    const ops = { input: x, inputLayout: 'NHWC' as const, weight: w, weightLayout: 'HWIO' as const, bias: { shape: [g.outChannels], data: bias, broadcast: 'channel' as const } };
    const d = maxAbsDot(g, ops);
    const want = naiveNHWC(g, x.map(Math.abs), w.map(Math.abs), bias.map(Math.abs));
    expectClose(d.perOutput, want, 1e-12, 'perOutput');
    expect(d.max).toBe(Math.max(...d.perOutput));
  });

  it('bounds the reference output', () => {
    const g = SHAPES[2].g;
    const { x, w } = randomData(g, 41);
    const ops = { input: x, inputLayout: 'NCHW' as const, weight: w, weightLayout: 'OIHW' as const };
    const y = conv2dReference(g, ops).data;
    const d = maxAbsDot(g, ops).perOutput;
    for (let i = 0; i < y.length; i++) expect(Math.abs(y[i])).toBeLessThanOrEqual(d[i]);
  });
});
