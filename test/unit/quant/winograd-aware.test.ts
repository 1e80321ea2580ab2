import { describe, expect, it } from 'vitest';
import { ConvDescError } from '../../../src/conv/validate.ts';
import { calibrateTapScales, quantizeTapWeights, tapScalesToJSON, tapwiseWinogradConv, type TapWeights } from '../../../src/quant/tapwise.ts';
import { parseWinogradAwareLayer, runWinogradAwareLayer, winogradAwareLayerToJSON, WINOGRAD_AWARE_FORMAT } from '../../../src/quant/winograd-aware.ts';
import { formatFraction, type Winograd1D, type Winograd2D, winogradFromName } from '../../../src/winograd/index.ts';
import { mulberry32, randomInts } from '../helpers/rng.ts';

const frac = (m: Winograd1D['AT']) => m.map((row) => row.map(formatFraction));
const C = 3;
const O = 2;
const H = 7;
const W = 6;

/** A layer document whose "learned" transforms are the Cook-Toom ones of `name`, with calibrated tap scales. */
function layerDoc(name: string, opts: { omitW?: boolean; numbers?: boolean } = {}) {
  const algo = winogradFromName(name) as Winograd2D;
  const rng = mulberry32(17);
  const wdata = randomInts(O * C * 9, rng, -127, 127);
  const weights: TapWeights = { data: wdata, outChannels: O, inChannels: C, zeroPoint: [0, 3] };
  const sample = { data: randomInts(H * W * C, rng, 0, 255), batch: 1, height: H, width: W };
  const scales = calibrateTapScales(algo, [sample], weights, { inputDtype: 'uint8', xZeroPoint: 0 });
  const ts = tapScalesToJSON(scales);
  const side = (a: Winograd1D) =>
    opts.numbers
      ? { AT: a.AT.map((r) => r.map((f) => Number(f.valueOf()))), G: a.G.map((r) => r.map((f) => Number(f.valueOf()))), BT: a.BT.map((r) => r.map((f) => Number(f.valueOf()))) }
      : { AT: frac(a.AT), G: frac(a.G), BT: frac(a.BT) };
  const doc = {
    format: WINOGRAD_AWARE_FORMAT,
    version: 1,
    name: 'test.conv',
    kernel: [3, 3],
    tile: [algo.mh, algo.mw],
    inChannels: C,
    outChannels: O,
    pads: [1, 1, 1, 1],
    transforms: opts.omitW ? { h: side(algo.h) } : { h: side(algo.h), w: side(algo.w) },
    input: { dtype: 'uint8', scale: 0.02, zeroPoint: 0 },
    weights: { dtype: 'int8', layout: 'OIHW', shape: [O, C, 3, 3], data: Array.from(wdata), scale: [0.01, 0.003], zeroPoint: [0, 3] },
    bias: { dtype: 'int32', data: [100, -250] },
    output: { dtype: 'int8', scale: 0.05, zeroPoint: -2 },
    activation: 'relu',
    tapScales: { taps: ts.taps, outChannels: ts.outChannels, granularity: ts.granularity, method: ts.method, inputDtype: ts.inputDtype, inputScale: ts.inputScale, weightScale: ts.weightScale },
  };
  return { doc, algo, weights, scales, sample };
}

describe('Winograd-aware layer JSON', () => {
  it.each([
    ['F(4x4,3x3), fraction strings', 'F(4x4,3x3)', {}],
    ['F(2x2,3x3), plain numbers', 'F(2x2,3x3)', { numbers: true }],
    ['F(4x1,3x3), w omitted (direct)', 'F(4x1,3x3)', { omitW: true }],
  ] as const)('round trip: %s', (_, name, opts) => {
    const { doc } = layerDoc(name, opts);
    const layer = parseWinogradAwareLayer(doc);
    expect(layer.algo.name).toBe(`F(${layer.tile[0]}x${layer.tile[1]},3x3)-user`);
    const again = parseWinogradAwareLayer(JSON.stringify(winogradAwareLayerToJSON(layer)));
    expect(again).toEqual(layer);
    expect(winogradAwareLayerToJSON(again)).toEqual(winogradAwareLayerToJSON(layer));
  });

  it('a layer whose learned transforms are Cook-Toom runs exactly like the tap-wise scheme', () => {
    const { doc, algo, weights, scales, sample } = layerDoc('F(4x4,3x3)');
    const layer = parseWinogradAwareLayer(doc);
    const got = runWinogradAwareLayer(layer, sample.data, 1, H, W);
    const want = tapwiseWinogradConv(
      algo,
      {
        input: sample.data, inputDtype: 'uint8', shape: { batch: 1, inHeight: H, inWidth: W, inChannels: C, outChannels: O, pads: [1, 1, 1, 1] },
        xScale: 0.02, xZeroPoint: 0, weightsQ: quantizeTapWeights(algo, weights, scales), wScale: [0.01, 0.003],
        yScale: 0.05, yZeroPoint: -2, outputDtype: 'int8', bias: [100, -250], activation: { type: 'relu' },
      },
      scales,
    );
    expect(Array.from(got.output)).toEqual(Array.from(want.output));
    expect(Array.from(got.accFloat)).toEqual(Array.from(want.accFloat));
  });

  it('HWIO weights are read into OIHW', () => {
    const { doc } = layerDoc('F(2x2,3x3)');
    const oihw = doc.weights.data;
    const hwio = new Array<number>(oihw.length);
    for (let o = 0; o < O; o++) for (let c = 0; c < C; c++) for (let k = 0; k < 9; k++) hwio[(k * C + c) * O + o] = oihw[(o * C + c) * 9 + k];
    const layer = parseWinogradAwareLayer({ ...doc, weights: { ...doc.weights, layout: 'HWIO', shape: [3, 3, C, O], data: hwio } });
    expect(Array.from(layer.weights.data)).toEqual(oihw);
  });

  it('defaults: pads "same", activation linear, no bias, per-tensor weight scale and zero point', () => {
    const { doc } = layerDoc('F(2x2,3x3)');
    const { pads: _p, activation: _a, bias: _b, ...rest } = doc;
    const layer = parseWinogradAwareLayer({ ...rest, weights: { ...doc.weights, scale: 0.01, zeroPoint: undefined } });
    expect(layer.pads).toEqual([1, 1, 1, 1]);
    expect(layer.activation).toBe('linear');
    expect(layer.bias).toBeNull();
    expect(Array.from(layer.weights.scale)).toEqual([0.01, 0.01]);
    expect(Array.from(layer.weights.zeroPoint)).toEqual([0, 0]);
    void _p;
    void _a;
    void _b;
  });

  type Doc = ReturnType<typeof layerDoc>['doc'] & Record<string, unknown>;
  const bad: [string, (d: Doc) => unknown, RegExp][] = [
    ['not JSON', () => '{oops', /json = "\{oops": must be valid JSON/],
    ['not an object', () => [1], /layer = .*: must be a JSON object/],
    ['format', (d) => ({ ...d, format: 'onnx' }), /format = "onnx": must be 'winoconv-winograd-aware-layer'/],
    ['version', (d) => ({ ...d, version: 3 }), /version = 3: must be 1/],
    ['name', (d) => ({ ...d, name: '' }), /name = "": must be a non-empty string/],
    ['kernel', (d) => ({ ...d, kernel: [3] }), /kernel = .*: must be \[a, b\]/],
    ['kernel entry', (d) => ({ ...d, kernel: [3, 0] }), /kernel\[1\] = 0: must be an integer in \[1, 7\]/],
    ['tile', (d) => ({ ...d, tile: [4, 9] }), /tile\[1\] = 9: must be an integer in \[1, 8\]/],
    ['inChannels', (d) => ({ ...d, inChannels: 2.5 }), /inChannels = 2.5: must be an integer in \[1, 65536\]/],
    ['outChannels', (d) => ({ ...d, outChannels: 0 }), /outChannels = 0: must be an integer in \[1, 65536\]/],
    ['pads', (d) => ({ ...d, pads: [1, 1, 1] }), /pads = .*: must be \[top, left, bottom, right\]/],
    ['pads entry', (d) => ({ ...d, pads: [1, -1, 1, 1] }), /pads\[1\] = -1: must be an integer in \[0, 64\]/],
    ['transforms', (d) => ({ ...d, transforms: null }), /transforms = null: must be an object \{ h, w \}/],
    ['transforms.h.AT rows', (d) => ({ ...d, transforms: { ...d.transforms, h: { ...d.transforms.h, AT: [[1, 1, 1, 0]] } } }), /transforms.h.AT = .*: must be an array of 2 rows \(m × n = 2 × 4\)/],
    ['transforms.h.G row length', (d) => ({ ...d, transforms: { ...d.transforms, h: { ...d.transforms.h, G: [[1, 0], [1, 1, 1], [1, 1, 1], [0, 0, 1]] } } }), /transforms.h.G\[0\] = .*: must be an array of 3 entries \(n × r = 4 × 3\)/],
    ['transforms.h.BT entry', (d) => ({ ...d, transforms: { ...d.transforms, h: { ...d.transforms.h, BT: d.transforms.h.BT.map((r, i) => (i === 2 ? [0, 'x', 1, 0] : r)) } } }), /transforms.h.BT\[2\]\[1\] = "x": must be a finite number or an exact fraction string/],
    ['transforms.w.BT NaN', (d) => ({ ...d, transforms: { ...d.transforms, w: { ...d.transforms.w!, BT: [[Number.NaN, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]] } } }), /transforms.w.BT\[0\]\[0\] = NaN: must be a finite number/],
    ['transforms.w missing', (d) => ({ ...d, transforms: { h: d.transforms.h } }), /transforms.w = undefined: is required when tile\[1\] \(mw\) = 2 > 1/],
    ['input', (d) => ({ ...d, input: 5 }), /input = 5: must be an object \{ dtype, scale, zeroPoint \}/],
    ['input.dtype', (d) => ({ ...d, input: { ...d.input, dtype: 'float32' } }), /input.dtype = "float32": must be 'uint8' or 'int8'/],
    ['input.scale', (d) => ({ ...d, input: { ...d.input, scale: 0 } }), /input.scale = 0: must be a finite number > 0/],
    ['input.zeroPoint', (d) => ({ ...d, input: { ...d.input, zeroPoint: 256 } }), /input.zeroPoint = 256: must be an integer in \[0, 255\]/],
    ['output.zeroPoint', (d) => ({ ...d, output: { ...d.output, zeroPoint: 128 } }), /output.zeroPoint = 128: must be an integer in \[-128, 127\]/],
    ['output.scale float32 overflow', (d) => ({ ...d, output: { ...d.output, scale: 1e39 } }), /output.scale = 1e\+39: must stay finite and > 0 in float32/],
    ['weights', (d) => ({ ...d, weights: [] }), /weights = .*: must be an object/],
    ['weights.dtype', (d) => ({ ...d, weights: { ...d.weights, dtype: 'int4' } }), /weights.dtype = "int4": must be 'uint8' or 'int8'/],
    ['weights.layout', (d) => ({ ...d, weights: { ...d.weights, layout: 'NCHW' } }), /weights.layout = "NCHW": must be 'OIHW' or 'HWIO'/],
    ['weights.shape', (d) => ({ ...d, weights: { ...d.weights, shape: [2, 3, 3, 2] } }), /weights.shape = .*: must be \[2, 3, 3, 3\] \(OIHW of outChannels 2, inChannels 3, kernel 3x3\)/],
    ['weights.data length', (d) => ({ ...d, weights: { ...d.weights, data: [1, 2] } }), /weights.data = "array of 2": must be an array of 54 integers/],
    ['weights.data value', (d) => ({ ...d, weights: { ...d.weights, data: d.weights.data.map((v, i) => (i === 7 ? 200 : v)) } }), /weights.data\[7\] = 200: must be an integer in \[-128, 127\]/],
    ['weights.scale', (d) => ({ ...d, weights: { ...d.weights, scale: [0.1, -1] } }), /weights.scale\[1\] = -1: must be a finite number > 0/],
    ['weights.scale count', (d) => ({ ...d, weights: { ...d.weights, scale: [0.1, 0.1, 0.1] } }), /weights.scale = .*: must be a number or an array of 1 or 2 values/],
    ['weights.zeroPoint', (d) => ({ ...d, weights: { ...d.weights, zeroPoint: [0, 300] } }), /weights.zeroPoint\[1\] = 300: must be an integer in \[-128, 127\]/],
    ['bias', (d) => ({ ...d, bias: [1, 2] }), /bias = .*: must be an object \{ dtype: 'int32', data \}/],
    ['bias.dtype', (d) => ({ ...d, bias: { ...d.bias, dtype: 'int64' } }), /bias.dtype = "int64": must be 'int32'/],
    ['bias.data length', (d) => ({ ...d, bias: { ...d.bias, data: [1] } }), /bias.data = .*: must be an array of 2 integers/],
    ['bias.data value', (d) => ({ ...d, bias: { ...d.bias, data: [1, 2 ** 31] } }), /bias.data\[1\] = 2147483648: must be an integer in \[-1073741824, 1073741824\]/],
    ['activation', (d) => ({ ...d, activation: 'sigmoid' }), /activation = "sigmoid": must be 'linear', 'relu' or 'relu6'/],
    ['tapScales', (d) => ({ ...d, tapScales: undefined }), /tapScales = undefined: must be an object/],
    ['tapScales.taps', (d) => ({ ...d, tapScales: { ...d.tapScales, taps: 36 } }), /tapScales.taps = 36: must be 16 \(nh · nw of F\(2x2,3x3\)-user\)/],
    ['tapScales.outChannels', (d) => ({ ...d, tapScales: { ...d.tapScales, outChannels: 3, weightScale: [...d.tapScales.weightScale, d.tapScales.weightScale[0]] } }), /tapScales.outChannels = 3: must equal outChannels \(2\)/],
    ['tapScales.algorithm', (d) => ({ ...d, tapScales: { ...d.tapScales, algorithm: 'F(2x2,3x3)' } }), /tapScales.algorithm = "F\(2x2,3x3\)": must be "F\(2x2,3x3\)-user"/],
    ['tapScales.inputScale', (d) => ({ ...d, tapScales: { ...d.tapScales, inputScale: d.tapScales.inputScale.map((v, i) => (i === 3 ? 0 : v)) } }), /tapScales.inputScale\[3\] = 0: must be a finite number > 0/],
    ['tapScales.inputDtype on a mixed tap', (d) => ({ ...d, tapScales: { ...d.tapScales, inputDtype: d.tapScales.inputDtype.map(() => 'uint8') } }), /tapScales.inputDtype\[0\] = "uint8": must be 'int8'/],
  ];
  it.each(bad)('rejects %s, naming field, value and rule', (_, mutate, re) => {
    const { doc } = layerDoc('F(2x2,3x3)');
    const input = mutate(doc as Doc);
    expect(() => parseWinogradAwareLayer(input)).toThrow(ConvDescError);
    expect(() => parseWinogradAwareLayer(input)).toThrow(re);
  });
});
