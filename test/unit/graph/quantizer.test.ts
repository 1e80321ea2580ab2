/**
 * The QDQ quantizer (src/graph/quantizer.ts) and the calibration collectors (src/graph/calibrate.ts), no GPU: scale and
 * zero-point math against hand-computed float64 values, weights and biases element by element, the QDQ structure
 * ONNX Runtime's quantize_static writes (names, rewiring, Relu removal, shared scales, graph outputs, per-channel
 * axes, opset), and a small conv model quantized with ranges from ONNX Runtime's own float run, then run in ONNX
 * Runtime (wasm, CPU): output SQNR against the float model.
 */
import { describe, expect, it } from 'vitest';
import { createEntropyCollector, createMinMaxCollector, createPercentileCollector, entropyThreshold } from '../../../src/graph/calibrate.ts';
import type { Tensor } from '../../../src/graph/ir.ts';
import { decodeOnnx, importOnnx } from '../../../src/graph/onnx-import.ts';
import { type GraphSpec, attr, graphToSpec, readMetadataProps, writeOnnx } from '../../../src/graph/onnx-writer.ts';
import { QUANTIZED_OP_TYPES, type TensorRange, adjustWeightScalesForBias, computeScaleZp, quantizeBias, quantizeGraph, quantizeWeights, roundHalfEven, tensorsToCalibrate } from '../../../src/graph/quantizer.ts';
import { runOrt } from '../../../src/node/ort-runner.ts';
import { mulberry32 } from '../../../src/util/random.ts';

const f32 = (name: string, dims: number[], values: ArrayLike<number>): Tensor => ({ name, dtype: 'float32', dims, data: Float32Array.from(values) });

describe('scale and zero point (ORT compute_scale_zp)', () => {
  it('asymmetric int8: [−1, 3] → scale 4/255, zp round(−128 + 63.75) = −64', () => {
    const [s, z] = computeScaleZp(-1, 3, -128, 127, false);
    expect(s).toBe(Math.fround(4 / 255));
    expect(z).toBe(-64);
  });
  it('the range always holds 0: [0.5, 2] behaves as [0, 2] (zp = qmin)', () => {
    expect(computeScaleZp(0.5, 2, -128, 127, false)).toEqual([Math.fround(2 / 255), -128]);
    expect(computeScaleZp(0.5, 2, 0, 255, false)).toEqual([Math.fround(2 / 255), 0]);
  });
  it('symmetric: zp (qmin+qmax)/2, scale max|r|/127; an all-zero range gives scale 1, zp 0', () => {
    expect(computeScaleZp(-0.2, 5.08, -127, 127, true)).toEqual([Math.fround(10.16 / 254), 0]);
    expect(computeScaleZp(0, 0, -128, 127, false)).toEqual([1, 0]);
  });
  it('round half to even', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999].map(roundHalfEven)).toEqual([0, 2, 2, 0, -2, -2, 2]);
  });
});

describe('weights and biases', () => {
  it('per tensor: scale = fround(max|w|/127), q = round_half_even(w/scale) in float64 (ties to even)', () => {
    const w = f32('w', [6], [127, 2.5, -3.5, 0.5, -0.5, 1.5]);
    const q = quantizeWeights(w, undefined);
    expect(Array.from(q.scales)).toEqual([1]);
    expect(q.zeroPoints).toEqual([0]);
    expect(Array.from(q.data)).toEqual([127, 2, -4, 0, 0, 2]);
  });
  it('random weights match the float64 formula element by element', () => {
    const rng = mulberry32(3);
    const vals = Array.from({ length: 999 }, () => (rng() * 2 - 1) * 0.37);
    const w = f32('w', [999], vals);
    const q = quantizeWeights(w, undefined);
    const maxAbs = Math.max(...Array.from(w.data as Float32Array, Math.abs));
    const scale = Math.fround((2 * maxAbs) / 254);
    expect(q.scales[0]).toBe(scale);
    (w.data as Float32Array).forEach((v, i) => expect(q.data[i]).toBe(Math.max(-127, Math.min(127, roundHalfEven(v / scale)))));
  });
  it('per channel along axis 0: one scale per output channel; an all-zero channel gets scale 1', () => {
    const w = f32('w', [3, 1, 1, 2], [127, -63.5, 0.25, -0.5, 0, 0]);
    const q = quantizeWeights(w, 0);
    expect(Array.from(q.scales)).toEqual([1, Math.fround(0.5 / 127), 1]);
    expect(Array.from(q.data)).toEqual([127, -64, roundHalfEven(0.25 / Math.fround(0.5 / 127)), -127, 0, 0]);
  });
  it('per channel along axis 1 (ConvTranspose weights [Cin, Cout, kh, kw])', () => {
    const w = f32('w', [2, 2, 1, 1], [1, 4, -2, 8]);
    const q = quantizeWeights(w, 1);
    expect(Array.from(q.scales)).toEqual([Math.fround(2 / 127), Math.fround(8 / 127)]);
    expect(Array.from(q.data)).toEqual([roundHalfEven(1 / Math.fround(2 / 127)), roundHalfEven(4 / Math.fround(8 / 127)), -127, 127]);
  });
  it('a weight scale too small for its bias grows (ORT\'s int32 bias adjustment); the bias then fits', () => {
    const xs = Math.fround(0.01);
    const ws = Float32Array.of(Math.fround(1e-9), Math.fround(0.004));
    const b = f32('b', [2], [30, 0.5]);
    const adj = adjustWeightScalesForBias(xs, ws, b)!;
    const smallest = (1.0001 * 2 * 30) / (2 ** 32 - 2);
    expect(adj[0]).toBe(Math.fround(ws[0] * (smallest / (xs * ws[0]))));
    expect(adj[1]).toBe(ws[1]);
    expect(quantizeBias(b, xs, ws).clipped).toBe(1);
    expect(quantizeBias(b, xs, adj).clipped).toBe(0);
    expect(adjustWeightScalesForBias(xs, Float32Array.of(ws[1]), f32('b', [1], [0.5]))).toBeUndefined();
    const w = f32('w', [2, 1, 1, 1], [1e-7, 0.5]);
    expect(Array.from(quantizeWeights(w, 0, 'int8', true, adj).data)).toEqual([roundHalfEven(Math.fround(1e-7) / adj[0]), 125]);
  });
  it('bias: int32 with scale fround(x_scale·w_scale), zp 0', () => {
    const xs = Math.fround(0.0213);
    const ws = Float32Array.of(Math.fround(0.0071), Math.fround(0.0032));
    const b = f32('b', [2], [0.37, -1.25]);
    const q = quantizeBias(b, xs, ws);
    const s = [Math.fround(xs * ws[0]), Math.fround(xs * ws[1])];
    expect(Array.from(q.scales)).toEqual(s);
    expect(Array.from(q.data)).toEqual([roundHalfEven(Math.fround(0.37) / s[0]), roundHalfEven(Math.fround(-1.25) / s[1])]);
    expect(q.clipped).toBe(0);
  });
});

// Conv 3×3 → Relu → Conv 3×3 → MaxPool → GlobalAveragePool (graph output)
function smallModel(seed = 5, opset = 13, extra: Partial<GraphSpec> = {}): Uint8Array {
  const rng = mulberry32(seed);
  const rnd = (n: number, s: number) => Array.from({ length: n }, () => (rng() * 2 - 1) * s);
  return writeOnnx({
    opset,
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 12, 10] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 16, 1, 1] }],
    initializers: [
      f32('w1', [8, 3, 3, 3], rnd(8 * 27, 0.5)),
      f32('b1', [8], rnd(8, 0.2)),
      f32('w2', [16, 8, 3, 3], rnd(16 * 72, 0.3)),
      f32('b2', [16], rnd(16, 0.2)),
    ],
    nodes: [
      { name: 'conv1', opType: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
      { name: 'relu1', opType: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { name: 'conv2', opType: 'Conv', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
      { name: 'pool', opType: 'MaxPool', inputs: ['c2'], outputs: ['p2'], attributes: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) } },
      { name: 'gap', opType: 'GlobalAveragePool', inputs: ['p2'], outputs: ['y'] },
    ],
    ...extra,
  });
}

const RANGES = new Map<string, TensorRange>([
  ['x', { min: -1, max: 1 }],
  ['c1', { min: -2, max: 3 }],
  ['r1', { min: 0, max: 3 }],
  ['c2', { min: -4, max: 5 }],
  ['p2', { min: -1, max: 5 }],
  ['y', { min: -0.5, max: 1.5 }],
]);

describe('QDQ structure (ORT quantize_static, QuantFormat.QDQ)', () => {
  const g = importOnnx(smallModel());
  it('tensorsToCalibrate lists the float inputs/outputs of quantized ops, no initializers', () => {
    expect(tensorsToCalibrate(g)).toEqual(['x', 'c1', 'r1', 'c2', 'p2', 'y']);
  });
  const { spec, report } = quantizeGraph(g, RANGES);
  const node = (name: string) => spec.nodes.find((n) => n.name === name)!;
  const init = (name: string) => spec.initializers!.find((t) => t.name === name);

  it('Relu removed: conv1 writes r1, whose Q range [0, 3] clamps', () => {
    expect(report.removedActivations).toEqual(['relu1']);
    expect(spec.nodes.some((n) => n.opType === 'Relu')).toBe(false);
    expect(node('conv1').outputs).toEqual(['r1']);
    expect(init('r1_zero_point')!.data[0]).toBe(-128);
  });
  it('activations: <t>_QuantizeLinear → <t>_DequantizeLinear, consumers read <t>_DequantizeLinear_Output', () => {
    expect(node('x_QuantizeLinear')).toMatchObject({ opType: 'QuantizeLinear', inputs: ['x', 'x_scale', 'x_zero_point'], outputs: ['x_QuantizeLinear_Output'] });
    expect(node('x_DequantizeLinear')).toMatchObject({ opType: 'DequantizeLinear', inputs: ['x_QuantizeLinear_Output', 'x_scale', 'x_zero_point'], outputs: ['x_DequantizeLinear_Output'] });
    expect(node('conv1').inputs).toEqual(['x_DequantizeLinear_Output', 'w1_DequantizeLinear_Output', 'b1']);
    expect(node('conv2').inputs).toEqual(['r1_DequantizeLinear_Output', 'w2_DequantizeLinear_Output', 'b2']);
    // c1 is gone (the Relu's input): r1's range [0, 3] gives the pair's parameters
    expect(init('r1_scale')!.data[0]).toBe(computeScaleZp(0, 3, -128, 127, false)[0]);
    expect(init('c1_scale')).toBeUndefined();
    expect(init('x_scale')!.dims).toEqual([]);
    expect(init('x_zero_point')).toMatchObject({ dtype: 'int8', dims: [] });
  });
  it('weights: int8 <w>_quantized → DequantizeLinear (no axis per tensor), float weights dropped', () => {
    expect(init('w1_quantized')).toMatchObject({ dtype: 'int8', dims: [8, 3, 3, 3] });
    expect(init('w1')).toBeUndefined();
    expect(node('w1_DequantizeLinear')).toMatchObject({ inputs: ['w1_quantized', 'w1_scale', 'w1_zero_point'], outputs: ['w1_DequantizeLinear_Output'], attributes: {} });
    expect(init('w1_zero_point')).toMatchObject({ dtype: 'int8', dims: [], data: Int8Array.of(0) });
  });
  it('biases: int32 <b>_quantized, scale x_scale·w_scale, DequantizeLinear writes the bias name', () => {
    expect(init('b1_quantized')).toMatchObject({ dtype: 'int32', dims: [8] });
    expect(node('b1_DequantizeLinear')).toMatchObject({ inputs: ['b1_quantized', 'b1_quantized_scale', 'b1_quantized_zero_point'], outputs: ['b1'] });
    const xs = init('x_scale')!.data[0] as number;
    const ws = init('w1_scale')!.data[0] as number;
    expect(init('b1_quantized_scale')!.data[0]).toBe(Math.fround(xs * ws));
    expect(init('b1_quantized_scale')!.dims).toEqual([1]); // 1-D even per tensor, as ORT writes it
    expect(init('b1_quantized_zero_point')).toMatchObject({ dtype: 'int32', dims: [] });
  });
  it('MaxPool output reuses its input\'s scale and zero point; the graph output keeps its name after DQ', () => {
    expect(node('p2_QuantizeLinear').inputs).toEqual(['p2', 'c2_scale', 'c2_zero_point']);
    expect(init('p2_scale')).toBeUndefined();
    expect(node('gap').outputs).toEqual(['y_QuantizeLinear_Input']);
    expect(node('y_QuantizeLinear').inputs[0]).toBe('y_QuantizeLinear_Input');
    expect(node('y_DequantizeLinear').outputs).toEqual(['y']);
  });
  it('nodes are in topological order and every input is defined', () => {
    const defined = new Set(['x', ...spec.initializers!.map((t) => t.name)]);
    for (const n of spec.nodes) {
      for (const i of n.inputs) expect(defined.has(i), `${n.name} reads ${i}`).toBe(true);
      for (const o of n.outputs) defined.add(o);
    }
  });
  it('--per-channel: vector scales, axis 0 on weight and bias DequantizeLinear; opset 11 raised to 13', () => {
    const g11 = importOnnx(smallModel(5, 11));
    const r = quantizeGraph(g11, RANGES, { perChannel: true });
    expect(r.report.opsetBumpedFrom).toBe(11);
    expect((r.spec.opset as Record<string, number>)['']).toBe(13);
    const dq = r.spec.nodes.find((n) => n.name === 'w2_DequantizeLinear')!;
    expect(dq.attributes).toEqual({ axis: { type: 'int', value: 0 } });
    expect(r.spec.initializers!.find((t) => t.name === 'w2_scale')!.dims).toEqual([16]);
    expect(r.spec.initializers!.find((t) => t.name === 'w2_zero_point')!.dims).toEqual([16]);
    expect(r.spec.nodes.find((n) => n.name === 'b2_DequantizeLinear')!.attributes).toEqual({ axis: { type: 'int', value: 0 } });
    expect(r.spec.initializers!.find((t) => t.name === 'b2_quantized_scale')!.dims).toEqual([16]);
  });
  it('raises the opset over ops whose inputs changed at 13 (rewritten, reported), refuses what cannot be carried over, and a missing range, naming them', () => {
    const m = smallModel(5, 11, {
      outputs: [{ name: 'z', dtype: 'float32', shape: [1, 1, 16, 1, 1] }],
    });
    const g2 = decodeOnnx(m);
    g2.nodes.push({ name: 'unsq', opType: 'Unsqueeze', domain: '', inputs: ['y'], outputs: ['z'], attributes: { axes: { type: 'ints', value: [0] } } });
    const r = quantizeGraph(g2, RANGES, { perChannel: true });
    expect(r.report.opsetBumpedFrom).toBe(11);
    const unsq = r.spec.nodes.find((n) => n.name === 'unsq')!;
    expect(unsq.attributes).toEqual({});
    expect(unsq.inputs.length).toBe(2);
    expect(Array.from(r.spec.initializers!.find((t) => t.name === unsq.inputs[1])!.data as BigInt64Array)).toEqual([0n]);
    expect(r.report.warnings.join('\n')).toMatch(/opset 11 → 13: 1 node\(s\) rewritten \(Unsqueeze/);
    const g3 = decodeOnnx(m);
    g3.nodes.push({ name: 'sm', opType: 'Softmax', domain: '', inputs: ['y'], outputs: ['z'], attributes: { axis: { type: 'int', value: 1 } } });
    expect(() => quantizeGraph(g3, RANGES, { perChannel: true })).toThrow(/opset is below 13.*node Softmax sm.*flattens its input to 2-D at axis 1/);
    const partial = new Map(RANGES);
    partial.delete('c2');
    expect(() => quantizeGraph(g, partial)).toThrow(/no calibration range for tensor 'c2'/);
  });
  it('BatchNormalization only when asked (ORT\'s QDQNormalization): scale per tensor int8 even with --per-channel, bias int32 with x_scale·scale_scale, mean/var float, output Q/DQ; the Relu after it folds', () => {
    const s = graphToSpec(g);
    s.initializers = [...s.initializers!, f32('bs', [16], Array.from({ length: 16 }, (_, i) => 0.5 + i / 32)), f32('bb', [16], Array.from({ length: 16 }, (_, i) => i / 10 - 0.8)), f32('bm', [16], new Array(16).fill(0.1)), f32('bv', [16], new Array(16).fill(2))];
    s.nodes = s.nodes.map((n) => (n.name === 'pool' ? { ...n, inputs: ['r2'] } : n));
    s.nodes.splice(s.nodes.findIndex((n) => n.name === 'pool'), 0,
      { name: 'bn', opType: 'BatchNormalization', inputs: ['c2', 'bs', 'bb', 'bm', 'bv'], outputs: ['n2'] },
      { name: 'relu2', opType: 'Relu', inputs: ['n2'], outputs: ['r2'] });
    const gb = importOnnx(writeOnnx(s));
    const ranges = new Map(RANGES);
    ranges.set('n2', { min: -3, max: 4 });
    ranges.set('r2', { min: 0, max: 4 });
    expect(quantizeGraph(gb, ranges, { perChannel: true }).spec.nodes.find((n) => n.name === 'bn')!.inputs[1]).toBe('bs'); // not by default
    expect(() => quantizeGraph(gb, ranges, { opTypes: ['Conv', 'Softmax'] })).toThrow(/op type 'Softmax' is not one the quantizer handles/);
    const r = quantizeGraph(gb, ranges, { perChannel: true, opTypes: [...QUANTIZED_OP_TYPES, 'BatchNormalization'] });
    const bn = r.spec.nodes.find((n) => n.name === 'bn')!;
    expect(bn.inputs).toEqual(['c2_DequantizeLinear_Output', 'bs_DequantizeLinear_Output', 'bb', 'bm', 'bv']);
    expect(bn.outputs).toEqual(['r2']);
    expect(r.report.removedActivations).toEqual(['relu1', 'relu2']);
    const init = (n: string) => r.spec.initializers!.find((t) => t.name === n)!;
    expect(init('bs_scale').dims).toEqual([]);
    expect(init('bs_scale').data[0]).toBe(Math.fround((0.5 + 15 / 32) / 127));
    expect(init('bb_quantized_scale').data[0]).toBe(Math.fround((init('c2_scale').data[0] as number) * (init('bs_scale').data[0] as number)));
    expect(init('bb_quantized').dtype).toBe('int32');
  });
  it('uint8 activations: zero points uint8 in [0, 255]', () => {
    const r = quantizeGraph(g, RANGES, { activationType: 'uint8' });
    expect(r.spec.initializers!.find((t) => t.name === 'x_zero_point')).toMatchObject({ dtype: 'uint8', data: Uint8Array.of(128) });
  });
  it('Constant weights become initializers first; written and decoded again, int8/int32 data survive; metadata_props round-trip', () => {
    const s = graphToSpec(g);
    s.nodes = [
      { name: 'cw', opType: 'Constant', inputs: [], outputs: ['w1'], attributes: { value: attr.tensor(g.initializers.get('w1')!) } },
      ...s.nodes,
    ];
    s.initializers = s.initializers!.filter((t) => t.name !== 'w1');
    const gc = importOnnx(writeOnnx(s));
    const r = quantizeGraph(gc, RANGES);
    expect(r.report.constantsToInitializers).toBe(1);
    const bytes = writeOnnx({ ...r.spec, metadata: { 'winoconv.test': '{"a":1}' } });
    const back = decodeOnnx(bytes);
    expect(back.initializers.get('w1_quantized')!.data).toEqual(r.spec.initializers!.find((t) => t.name === 'w1_quantized')!.data);
    expect(back.initializers.get('b1_quantized')!.dtype).toBe('int32');
    expect(readMetadataProps(bytes)).toEqual({ 'winoconv.test': '{"a":1}' });
  });
});

describe('a chain of ops that share their input\'s parameters (Transpose → Reshape → graph output, as in BlazeFace)', () => {
  const bytes = writeOnnx({
    opset: 13,
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 4, 4] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 32, 4] }],
    initializers: [f32('w', [8, 3, 1, 1], Array.from({ length: 24 }, (_, i) => (i % 5) / 5 - 0.4)), { name: 'shape', dtype: 'int64', dims: [3], data: BigInt64Array.of(1n, 32n, 4n) }],
    nodes: [
      { name: 'conv', opType: 'Conv', inputs: ['x', 'w'], outputs: ['c'] },
      { name: 'tr', opType: 'Transpose', inputs: ['c'], outputs: ['t'], attributes: { perm: attr.ints([0, 2, 3, 1]) } },
      { name: 'rs', opType: 'Reshape', inputs: ['t', 'shape'], outputs: ['y'] },
    ],
  });
  const { spec } = quantizeGraph(importOnnx(bytes), new Map([['x', { min: -1, max: 1 }], ['c', { min: -2, max: 2 }], ['t', { min: -2, max: 2 }], ['y', { min: -2, max: 2 }]]));
  it('each output gets exactly one Q/DQ pair: node names and outputs are unique', () => {
    const names = spec.nodes.map((n) => n.name);
    expect(names.length).toBe(new Set(names).size);
    const outs = spec.nodes.flatMap((n) => n.outputs);
    expect(outs.length).toBe(new Set(outs).size);
    expect(spec.nodes.filter((n) => n.opType === 'QuantizeLinear').map((n) => n.name).sort()).toEqual(['c_QuantizeLinear', 't_QuantizeLinear', 'x_QuantizeLinear', 'y_QuantizeLinear']);
    expect(spec.nodes.find((n) => n.name === 'y_QuantizeLinear')!.inputs).toEqual(['y_QuantizeLinear_Input', 'c_scale', 'c_zero_point']);
  });
});

describe('calibration collectors (ORT calibrate.py)', () => {
  it('minmax: the extreme values over all inputs', () => {
    const c = createMinMaxCollector();
    c.add('t', [0.5, -1, 2]);
    c.add('t', [3, 0]);
    expect(c.ranges().get('t')).toEqual({ min: -1, max: 3 });
    expect(() => c.add('u', [NaN])).toThrow(/'u' holds non-finite values/);
  });
  it('percentile: the |x| histogram edge where the CDF reaches p, clipped to the seen range', () => {
    const c = createPercentileCollector({ percentile: 99, bins: 100 });
    const xs = Array.from({ length: 1000 }, (_, i) => i / 10); // 0 .. 99.9
    c.add('t', xs);
    const r = c.ranges().get('t')!;
    // 100 bins of width 0.999 over [0, 99.9]: the CDF reaches 0.99 in bin 98 → edge 98·0.999
    expect(r.max).toBeCloseTo(Math.fround(98 * 0.999), 4);
    expect(r.min).toBe(0); // −t clipped to the minimum seen
  });
  it('percentile: a second input with larger values adds bins of the same width', () => {
    const c = createPercentileCollector({ percentile: 100, bins: 10 });
    c.add('t', [0, 10]);
    c.add('t', [25]);
    // bins of width 1 up to 25: 25 lands in [24, 25], whose left edge is the threshold (as numpy.searchsorted gives)
    expect(c.ranges().get('t')!.max).toBe(24);
  });
  it('entropy with ORT\'s defaults (128 bins, 128 levels): one candidate, the whole range', () => {
    const c = createEntropyCollector();
    c.add('t', [-1, 0.5, 40]);
    expect(c.ranges().get('t')).toEqual({ min: -1, max: 40 });
  });
  it('entropy (1024 bins): a threshold inside the seen range; outliers get clipped', () => {
    const rng = mulberry32(9);
    const xs = Array.from({ length: 20000 }, () => (rng() + rng() + rng() - 1.5) * 2);
    xs.push(40);
    const c = createEntropyCollector({ bins: 1024 });
    c.add('t', xs);
    c.add('t', xs.slice(0, 5000));
    const r = c.ranges().get('t')!;
    expect(r.max).toBeLessThan(40);
    expect(r.max).toBeGreaterThan(2);
    expect(r.min).toBeGreaterThanOrEqual(Math.min(...xs));
  });
  it('entropyThreshold on a uniform histogram keeps (nearly) the whole range', () => {
    const h = new Float64Array(256).fill(100);
    const [lo, hi] = entropyThreshold(h, 1, 128);
    expect(hi).toBeGreaterThan(0.9);
    expect(lo).toBeLessThan(-0.9);
  });
});

describe('a quantized conv model in ONNX Runtime (wasm, CPU)', () => {
  it('QDQ output SQNR > 25 dB against the float model, per tensor and per channel (ranges from ORT\'s float run)', async () => {
    const model = smallModel(7);
    const g = importOnnx(model);
    const names = tensorsToCalibrate(g);
    const s = graphToSpec(g);
    const aug = writeOnnx({ ...s, outputs: names.map((n) => ({ name: n, dtype: 'float32' as const, shape: undefined })) });
    const rng = mulberry32(11);
    const inputs = [0, 1, 2, 3].map(() => ({ x: f32('x', [1, 3, 12, 10], Array.from({ length: 360 }, () => rng() * 2 - 1)) }));
    const c = createMinMaxCollector();
    for (const x of inputs) for (const o of (await runOrt(aug, x)).outputs) c.add(o.name, o.data as Float32Array);
    for (const perChannel of [false, true]) {
      const q = writeOnnx(quantizeGraph(g, c.ranges(), { perChannel }).spec);
      for (const x of inputs) {
        const f = (await runOrt(model, x)).outputs[0].data as Float32Array;
        const y = (await runOrt(q, x)).outputs[0].data as Float32Array;
        let sig = 0;
        let err = 0;
        f.forEach((v, i) => {
          sig += v * v;
          err += (v - y[i]) ** 2;
        });
        const db = 10 * Math.log10(sig / err);
        console.log(`small conv model, ${perChannel ? 'per channel' : 'per tensor'}: SQNR ${db.toFixed(1)} dB`);
        expect(db).toBeGreaterThan(25);
      }
    }
  });
});
