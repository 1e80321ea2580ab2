/**
 * bench/models/runner.ts without a GPU: fake peers (PeerFactory) stand in for ORT, so the turn order, the budget,
 * the error check, skipped and failing implementations and the results' shape are checked on the CPU. Then the
 * printed table and the HTML report of those results.
 */
import { describe, expect, it } from 'vitest';
import { maxRelErrorOf, runModelsBench, type ImplSession, type PeerFactory } from '../../../bench/models/runner.ts';
import { formatModelsTable } from '../../../bench/models/table.ts';
import { renderModelsHtml, splitChartSvg } from '../../../bench/models/report-html.ts';
import type { ModelCase, ModelImpl, ModelsBenchResults } from '../../../bench/models/types.ts';

const ref = { y: { dims: [1, 4], data: new Float32Array([1, -2, 3, 4]) } };

function fakeCase(name: string): ModelCase {
  return { spec: { name, label: name.toUpperCase(), input: '1×4' }, model: new Uint8Array(), inputs: { x: { dims: [1, 4], data: new Float32Array(4) } }, reference: ref, convFlops: 2e9 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A peer whose runs take `ms` (reported) and `waitMs` (real), answering `out`; every call is logged. */
function fakePeer(impl: ModelImpl, log: string[], o: { ms: number; waitMs?: number; out?: number[]; failCreate?: boolean }): PeerFactory {
  return async (c) => {
    if (o.failCreate) throw new Error(`${impl} cannot load ${c.spec.name}`);
    const s: ImplSession = {
      backend: `fake ${impl}`,
      async run(wantOutputs) {
        log.push(`${impl}:${c.spec.name}${wantOutputs ? ':first' : ''}`);
        if (o.waitMs) await sleep(o.waitMs);
        return { ms: o.ms, outputs: wantOutputs ? { y: { dims: [1, 4], data: new Float32Array(o.out ?? [1, -2, 3, 4]) } } : undefined };
      },
      destroy() {
        log.push(`${impl}:destroy`);
      },
    };
    return s;
  };
}

async function run(log: string[], budgetS = 60): Promise<ModelsBenchResults> {
  return runModelsBench([fakeCase('m1'), fakeCase('m2')], { impls: ['ort-webgpu', 'ort-wasm-1', 'ort-wasm-2'], runs: 3, budgetS }, {
    gpu: {} as GPU,
    environment: 'test',
    crossOriginIsolated: false,
    peers: { 'ort-webgpu': fakePeer('ort-webgpu', log, { ms: 20, out: [1, -2, 3, 4.4] }), 'ort-wasm-1': fakePeer('ort-wasm-1', log, { ms: 40, waitMs: 15 }) },
    skip: { 'ort-wasm-2': 'the page is not cross-origin isolated' },
  });
}

describe('maxRelErrorOf', () => {
  it('max|y − ref| / max|ref| over outputs; a missing output is Infinity', () => {
    expect(maxRelErrorOf({ y: { dims: [1, 4], data: new Float32Array([1, -2, 3, 4.4]) } }, ref)).toBeCloseTo(0.1, 6);
    expect(maxRelErrorOf({}, ref)).toBe(Infinity);
  });
});

describe('runModelsBench with fake peers', () => {
  it('first runs, then rounds with the implementations taking turns; stats, error, skips, summary', async () => {
    const log: string[] = [];
    const r = await run(log);
    const m1 = log.filter((l) => l.includes(':m1') || l.endsWith('destroy')).slice(0, 10);
    expect(m1).toEqual(['ort-webgpu:m1:first', 'ort-wasm-1:m1:first', 'ort-webgpu:m1', 'ort-wasm-1:m1', 'ort-webgpu:m1', 'ort-wasm-1:m1', 'ort-webgpu:m1', 'ort-wasm-1:m1', 'ort-webgpu:destroy', 'ort-wasm-1:destroy']);
    expect(r.schema).toBe('winoconv-bench-models/1');
    expect(r.rows.length).toBe(6);
    const g = r.rows.find((x) => x.model === 'm2' && x.impl === 'ort-webgpu')!;
    expect(g).toMatchObject({ status: 'ok', firstMs: 20, runMs: [20, 20, 20], medianMs: 20, spread: 0, gflops: 100, backend: 'fake ort-webgpu' });
    expect(g.maxRelError).toBeCloseTo(0.1, 6);
    expect(r.rows.find((x) => x.model === 'm1' && x.impl === 'ort-wasm-1')!.maxRelError).toBe(0);
    expect(r.rows.find((x) => x.impl === 'ort-wasm-2')).toMatchObject({ status: 'skipped', message: 'the page is not cross-origin isolated', runMs: [] });
    expect(r.summary.models.m1).toMatchObject({ winoconvMs: null, ortWebgpuMs: 20, ortWasmMs: 40 });
    expect(r.summary.modelsGeomean).toEqual({ overOrtWebgpu: null, overOrtWasm: null });
    expect(r.specs[0]).toMatchObject({ name: 'm1', convGflop: 2 });
    expect(r.options).toEqual({ models: ['m1', 'm2'], impls: ['ort-webgpu', 'ort-wasm-1', 'ort-wasm-2'], runs: 3, budgetS: 60, profile: true, checkAuto: false });
    expect(r.profiles).toEqual([]);
  });
  it('past the budget an implementation keeps one timed run and says so', async () => {
    const log: string[] = [];
    const r = await run(log, 0.005);
    const slow = r.rows.find((x) => x.model === 'm1' && x.impl === 'ort-wasm-1')!;
    expect(slow.runMs.length).toBe(1);
    expect(slow.message).toMatch(/budget .* 1 of 3 timed runs/);
    expect(slow.spread).toBeNull();
  });
  it('a failing session is an error row; the others still run', async () => {
    const r = await runModelsBench([fakeCase('m')], { impls: ['ort-webgpu', 'ort-wasm-1'], runs: 2 }, {
      gpu: {} as GPU, environment: 't', crossOriginIsolated: null,
      peers: { 'ort-webgpu': fakePeer('ort-webgpu', [], { ms: 1, failCreate: true }), 'ort-wasm-1': fakePeer('ort-wasm-1', [], { ms: 3 }) },
    });
    expect(r.rows.find((x) => x.impl === 'ort-webgpu')).toMatchObject({ status: 'error', message: 'ort-webgpu cannot load m', medianMs: null });
    expect(r.rows.find((x) => x.impl === 'ort-wasm-1')).toMatchObject({ status: 'ok', medianMs: 3 });
  });
});

/** Results as a browser run would give them (winoconv and peers, a profile). */
function sample(): ModelsBenchResults {
  const rows: ModelsBenchResults['rows'] = [
    { model: 'ppocr-cls', impl: 'winoconv', status: 'ok', createMs: 3000, firstMs: 100, runMs: [40, 50, 60], medianMs: 50, minMs: 40, maxMs: 60, spread: 0.2, gflops: 0.66, maxRelError: 4.5e-8, arenaBytes: 3 * 2 ** 20, peakLiveBytes: 2 ** 20, weightBytes: 100 },
    { model: 'ppocr-cls', impl: 'ort-webgpu', status: 'ok', createMs: 400, firstMs: 900, runMs: [100], medianMs: 100, minMs: 100, maxMs: 100, spread: null, gflops: 0.33, maxRelError: 1e-7 },
    { model: 'ppocr-cls', impl: 'ort-wasm-1', status: 'ok', createMs: 100, firstMs: 30, runMs: [25], medianMs: 25, minMs: 25, maxMs: 25, spread: null, gflops: 1.3, maxRelError: 0 },
    { model: 'ppocr-cls', impl: 'ort-wasm-2', status: 'skipped', message: 'not <isolated>', createMs: null, firstMs: null, runMs: [], medianMs: null, minMs: null, maxMs: null, spread: null, gflops: null, maxRelError: null },
  ];
  return {
    schema: 'winoconv-bench-models/1', date: '2026-12-03T00:00:00Z', environment: 'test env', adapter: 'fake / gpu', crossOriginIsolated: false,
    options: { models: ['ppocr-cls'], impls: ['winoconv', 'ort-webgpu', 'ort-wasm-1', 'ort-wasm-2'], runs: 3, budgetS: 60, profile: true, checkAuto: false },
    specs: [{ name: 'ppocr-cls', label: 'PP-OCR cls', input: '1×3×48×192', convGflop: 0.033 }],
    rows,
    profiles: [{
      model: 'ppocr-cls',
      layers: [
        { node: 'convA', opType: 'FusedConv', algorithm: 'winograd4', kernels: ['k'], outputShape: [1, 8, 24, 96], conv: '8→8 3×3 s1', gpuMs: 6, class: 'winograd' },
        { node: 'convB', opType: 'FusedConv', algorithm: 'im2col', kernels: ['k'], outputShape: [1, 8, 24, 96], conv: '3→8 3×3 s2', gpuMs: 3, class: 'otherConv' },
        { node: 'relu', opType: 'Relu', algorithm: 'kernel', kernels: ['k'], outputShape: [1, 8, 24, 96], gpuMs: 1, class: 'nonConv' },
      ],
      split: { winograd: 6, otherConv: 3, nonConv: 1, total: 10 },
    }],
    summary: { models: { 'ppocr-cls': { winoconvMs: 50, winoconvFirstMs: 100, ortWebgpuMs: 100, ortWebgpuFirstMs: 900, ortWasmMs: 25, arenaBytes: 3 * 2 ** 20, maxRelError: 4.5e-8 } }, modelsGeomean: { overOrtWebgpu: 2, overOrtWasm: 0.5 } },
  };
}

describe('formatModelsTable', () => {
  it('one line per model with the ratios, the split in percent and the slowest nodes', () => {
    const t = formatModelsTable(sample());
    const line = t.split('\n').find((l) => l.startsWith('ppocr-cls '))!;
    expect(line).toMatch(/ppocr-cls\s+0\.033\s+3000\s+100\.0\s+50\.0\s+20\.0%\s+100\.0\s+900\.0\s+25\.0\s+skipped\s+2\.00×\s+0\.50×\s+4\.5e-8\s+3\.00/);
    expect(t).toContain('over ORT WebGPU 2.00×, over ORT wasm (best of 1t/2t) 0.50×');
    expect(t).toContain('split: winograd (3×3 s1 convs) 60.0%, other convs/Gemm/MatMul 30.0%, non-conv 10.0%; total 10.00 ms');
    expect(t.indexOf('convA')).toBeLessThan(t.indexOf('convB'));
    expect(t).toContain('ppocr-cls ort-wasm-2 (skipped): not <isolated>');
  });
});

describe('renderModelsHtml', () => {
  it('is self-contained: inline SVG charts, escaped text, no scripts to run, the JSON embedded', () => {
    const r = sample();
    const html = renderModelsHtml(r);
    expect(html).not.toMatch(/<script(?![^>]*type="application\/json")/);
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).not.toContain('not <isolated>');
    expect(html).toContain('not &lt;isolated&gt;');
    expect((html.match(/<svg/g) ?? []).length).toBe(2);
    const json = html.match(/<script type="application\/json" id="winoconv-bench-models-results">(.*)<\/script>/s)![1];
    expect(JSON.parse(json)).toEqual(r);
  });
  it('the stacked split bars are proportional to the classes', () => {
    const svg = splitChartSvg(sample());
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="48" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths.length).toBe(3);
    expect(widths[0] / widths[1]).toBeCloseTo(2, 2);
    expect(widths[1] / widths[2]).toBeCloseTo(3, 2);
    expect(splitChartSvg({ ...sample(), profiles: [] })).toContain('No GPU-time split');
  });
});
