/** bench/models/summary.ts and the conv bookkeeping of bench --models: stats, classes, split, per-model summary, geomeans, convFlops. */
import { describe, expect, it } from 'vitest';
import { classifyNode, convText, profileSplit, runStats, slowestLayers, summarizeModels, type ConvAttrs } from '../../../bench/models/summary.ts';
import { convAttrsOf } from '../../../bench/models/runner.ts';
import { convFlops } from '../../../bench/models/zoo.ts';
import type { LayerProfile, ModelImpl, ModelRow } from '../../../bench/models/types.ts';
import { importOnnx } from '../../../src/graph/onnx-import.ts';
import { attr, writeOnnx } from '../../../src/graph/onnx-writer.ts';

const conv = (k: number, s: number, o: Partial<ConvAttrs> = {}): ConvAttrs => ({ kernel: [k, k], strides: [s, s], dilations: [1, 1], group: 1, inChannels: 16, outChannels: 32, ...o });

function row(model: string, impl: ModelImpl, medianMs: number | null, o: Partial<ModelRow> = {}): ModelRow {
  return { model, impl, status: 'ok', createMs: 1, firstMs: medianMs === null ? null : 2 * medianMs, runMs: medianMs === null ? [] : [medianMs], medianMs, minMs: medianMs, maxMs: medianMs, spread: null, gflops: null, maxRelError: 1e-6, ...o };
}

function layer(node: string, cls: LayerProfile['class'], gpuMs: number | null): LayerProfile {
  return { node, opType: 'Conv', algorithm: 'im2col', kernels: [], outputShape: [1, 8, 4, 4], gpuMs, class: cls };
}

describe('runStats', () => {
  it('median, min, max and the interquartile spread over the median', () => {
    // sorted 10 20 30 40 50: q1 20, median 30, q3 40 → spread 20/30
    const s = runStats([50, 10, 40, 20, 30]);
    expect(s.medianMs).toBe(30);
    expect(s.minMs).toBe(10);
    expect(s.maxMs).toBe(50);
    expect(s.spread).toBeCloseTo(20 / 30, 12);
  });
  it('even counts interpolate; one run has no spread; no runs are all null', () => {
    expect(runStats([4, 1, 3, 2]).medianMs).toBe(2.5);
    expect(runStats([7])).toEqual({ medianMs: 7, minMs: 7, maxMs: 7, spread: null });
    expect(runStats([])).toEqual({ medianMs: null, minMs: null, maxMs: null, spread: null });
  });
});

describe('classifyNode', () => {
  it('3×3 stride-1 dilation-1 convs with > 1 input channel per group are winograd, whatever the op name', () => {
    expect(classifyNode('Conv', conv(3, 1))).toBe('winograd');
    expect(classifyNode('FusedConv', conv(3, 1))).toBe('winograd');
    expect(classifyNode('Conv', conv(3, 1, { group: 4 }))).toBe('winograd');
  });
  it('other convs, depthwise 3×3, ConvTranspose, Gemm and MatMul are otherConv', () => {
    expect(classifyNode('Conv', conv(3, 2))).toBe('otherConv');
    expect(classifyNode('Conv', conv(1, 1))).toBe('otherConv');
    expect(classifyNode('Conv', conv(5, 1))).toBe('otherConv');
    expect(classifyNode('Conv', conv(3, 1, { dilations: [2, 2] }))).toBe('otherConv');
    expect(classifyNode('Conv', conv(3, 1, { group: 16 }))).toBe('otherConv');
    expect(classifyNode('Conv', undefined)).toBe('otherConv');
    expect(classifyNode('ConvTranspose', conv(3, 1))).toBe('otherConv');
    for (const op of ['Gemm', 'MatMul']) expect(classifyNode(op)).toBe('otherConv');
  });
  it('everything else is nonConv', () => {
    for (const op of ['Relu', 'Add', 'Relayout', 'MaxPool', 'Softmax']) expect(classifyNode(op)).toBe('nonConv');
  });
});

describe('convText', () => {
  it('names channels, kernel, stride, dilation and groups', () => {
    expect(convText(conv(3, 1, { inChannels: 64, outChannels: 64 }))).toBe('64→64 3×3 s1');
    expect(convText(conv(3, 2, { group: 16, inChannels: 16, outChannels: 16 }))).toBe('16→16 3×3 s2 dw');
    expect(convText(conv(1, 1, { group: 2, dilations: [2, 2] }))).toBe('16→32 1×1 s1 d2 g2');
  });
});

describe('profileSplit and slowestLayers', () => {
  const layers = [layer('a', 'winograd', 3), layer('b', 'otherConv', 1.5), layer('c', 'nonConv', 0.5), layer('d', 'winograd', 1), layer('e', 'nonConv', 0.25), layer('f', 'otherConv', 2)];
  it('sums per class and in total', () => {
    expect(profileSplit(layers)).toEqual({ winograd: 4, otherConv: 3.5, nonConv: 0.75, total: 8.25 });
  });
  it('is null without GPU times or layers', () => {
    expect(profileSplit([...layers, layer('g', 'nonConv', null)])).toBeNull();
    expect(profileSplit([])).toBeNull();
  });
  it('the top n, slowest first', () => {
    expect(slowestLayers(layers, 3).map((l) => l.node)).toEqual(['a', 'f', 'b']);
    expect(slowestLayers(layers).length).toBe(5);
  });
});

describe('summarizeModels', () => {
  it('per model medians, ORT wasm as the better of 1 and 2 threads, geomeans over the models where both ran ok', () => {
    const rows = [
      row('m1', 'winoconv', 10, { arenaBytes: 1024, maxRelError: 2e-6 }),
      row('m1', 'ort-webgpu', 20),
      row('m1', 'ort-wasm-1', 50),
      row('m1', 'ort-wasm-2', 40),
      row('m2', 'winoconv', 10),
      row('m2', 'ort-webgpu', 5),
      row('m2', 'ort-wasm-1', 160),
      row('m2', 'ort-wasm-2', null, { status: 'skipped', message: 'not isolated' }),
      // m3: winoconv failed, so m3 counts in no geomean
      row('m3', 'winoconv', null, { status: 'error', message: 'boom', maxRelError: null }),
      row('m3', 'ort-webgpu', 7),
    ];
    const s = summarizeModels(rows, ['m1', 'm2', 'm3']);
    expect(s.models.m1).toEqual({ winoconvMs: 10, winoconvFirstMs: 20, ortWebgpuMs: 20, ortWebgpuFirstMs: 40, ortWasmMs: 40, arenaBytes: 1024, maxRelError: 2e-6 });
    expect(s.models.m2.ortWasmMs).toBe(160);
    expect(s.models.m3.winoconvMs).toBeNull();
    expect(s.models.m3.ortWebgpuMs).toBe(7);
    expect(s.modelsGeomean.overOrtWebgpu).toBeCloseTo(Math.sqrt(2 * 0.5), 12); // 20/10 and 5/10
    expect(s.modelsGeomean.overOrtWasm).toBeCloseTo(Math.sqrt(4 * 16), 12); // 40/10 and 160/10
  });
  it('no pairs: null geomeans', () => {
    const s = summarizeModels([row('m', 'winoconv', 3)], ['m']);
    expect(s.modelsGeomean).toEqual({ overOrtWebgpu: null, overOrtWasm: null });
    expect(s.models.m.ortWebgpuMs).toBeNull();
  });
});

describe('convFlops and convAttrsOf on a tiny model', () => {
  // x [1,4,8,8] → Conv 3×3 s1 (4→6, pad 1) → ConvTranspose 2×2 s2 (6→3) → [1,3,16,16]; MatMul [16,16]·[16,5] on the last axes
  const f32 = (name: string, dims: number[]) => ({ name, dtype: 'float32' as const, dims, data: new Float32Array(dims.reduce((a, d) => a * d, 1)).fill(0.01) });
  const bytes = writeOnnx({
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4, 8, 8] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 3, 16, 5] }],
    initializers: [f32('w1', [6, 4, 3, 3]), f32('w2', [6, 3, 2, 2]), f32('m', [16, 5])],
    nodes: [
      { opType: 'Conv', name: 'c1', inputs: ['x', 'w1'], outputs: ['a'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
      { opType: 'ConvTranspose', name: 't1', inputs: ['a', 'w2'], outputs: ['b'], attributes: { strides: attr.ints([2, 2]) } },
      { opType: 'MatMul', name: 'mm', inputs: ['b', 'm'], outputs: ['y'] },
    ],
  });
  const g = importOnnx(bytes);
  it('counts Conv, ConvTranspose and MatMul multiply-adds ×2', () => {
    const convF = 2 * (1 * 6 * 8 * 8) * (4 * 3 * 3);
    const transF = 2 * (1 * 6 * 8 * 8) * (3 * 2 * 2);
    const mmF = 2 * (1 * 3 * 16 * 5) * 16;
    expect(convFlops(g)).toBe(convF + transF + mmF);
  });
  it('reads kernel, strides and channels of conv nodes by name', () => {
    const a = convAttrsOf(g);
    expect(a.get('c1')).toEqual({ kernel: [3, 3], strides: [1, 1], dilations: [1, 1], group: 1, inChannels: 4, outChannels: 6 });
    expect(a.get('t1')).toEqual({ kernel: [2, 2], strides: [2, 2], dilations: [1, 1], group: 1, inChannels: 6, outChannels: 3 });
    expect(a.has('mm')).toBe(false);
    expect(classifyNode('Conv', a.get('c1'))).toBe('winograd');
  });
});
