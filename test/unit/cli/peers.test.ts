/** `winoconv run --peers`: the pure pieces (peer names, output comparison, progress, report lines, --json document). */
import { describe, expect, it } from 'vitest';
import {
  applyPeerEvent, compareOutput, pageErrorMessage, failedPeer, formatPeerEvent, formatPeerReport, median, parsePeers, parseSeconds, peerResult, peerStage, runJson,
  type OrtPeerRun,
} from '../../../src/cli/peers.ts';

describe('parsePeers', () => {
  it('takes the names in order, once each', () => {
    expect(parsePeers('ort-webgpu,ort-wasm', true)).toEqual(['ort-webgpu', 'ort-wasm']);
    expect(parsePeers(' ort-wasm , ort-wasm,', false)).toEqual(['ort-wasm']);
  });
  it('refuses unknown names, an empty list, and ort-webgpu without --browser', () => {
    expect(() => parsePeers('ort-webgl', true)).toThrow(/unknown peer 'ort-webgl'/);
    expect(() => parsePeers(',', true)).toThrow(/at least one/);
    expect(() => parsePeers('ort-webgpu', false)).toThrow(/--browser/);
  });
  it('parseSeconds', () => {
    expect(parseSeconds('2.5', '--peer-timeout')).toBe(2.5);
    expect(() => parseSeconds('0', '--peer-timeout')).toThrow(/> 0/);
    expect(() => parseSeconds('x', '--peer-timeout')).toThrow(/--peer-timeout x/);
  });
});

describe('compareOutput', () => {
  it('max abs, and max rel against the largest magnitude of winoconv\'s output', () => {
    const d = compareOutput('y', Float32Array.of(1, -4, 2), Float32Array.of(1.5, -4, 2));
    expect(d.maxAbsDiff).toBeCloseTo(0.5);
    expect(d.maxRelDiff).toBeCloseTo(0.125);
    expect(compareOutput('y', [0, 0], [0, 0])).toEqual({ name: 'y', maxAbsDiff: 0, maxRelDiff: 0 });
    expect(compareOutput('y', [0, 0], [0, 1e-3]).maxRelDiff).toBe(Infinity);
  });
  it('NaN and infinities: equal ones match, others are an infinite difference', () => {
    expect(compareOutput('y', [NaN, Infinity, 1], [NaN, Infinity, 1]).maxAbsDiff).toBe(0);
    expect(compareOutput('y', [NaN, 1], [0, 1]).maxAbsDiff).toBe(Infinity);
    expect(compareOutput('y', [-Infinity, 1], [Infinity, 1]).maxAbsDiff).toBe(Infinity);
  });
  it('a size mismatch or a missing output is noted', () => {
    expect(compareOutput('y', [1, 2], [1]).note).toMatch(/1 element\(s\) against winoconv's 2/);
    expect(compareOutput('y', [1], undefined).note).toMatch(/peer returned no such output/);
  });
});

describe('pageErrorMessage', () => {
  it('drops the stack frames puppeteer appends to an error from the page', () => {
    const m = "Can't create a session. ERROR_CODE: 7, ERROR_MESSAGE: Failed to load model because protobuf parsing failed.\n" +
      'V (http://127.0.0.1:41323/node_modules/onnxruntime-web/dist/ort.webgpu.bundle.min.mjs?v=ceec88f9:10:31024)\n' +
      'async gr.loadModel (http://127.0.0.1:41323/node_modules/onnxruntime-web/dist/ort.webgpu.bundle.min.mjs?v=ceec88f9:11:35272)\n' +
      '    at async x (http://127.0.0.1:1/a.js:1:2)';
    expect(pageErrorMessage(m)).toBe("Can't create a session. ERROR_CODE: 7, ERROR_MESSAGE: Failed to load model because protobuf parsing failed.");
    expect(pageErrorMessage('Error: no adapter\nsecond line')).toBe('no adapter\nsecond line');
  });
});

describe('progress', () => {
  it('events → lines and partial times; the stage a stopped peer was in', () => {
    const p: { createMs?: number; firstMs?: number; runMs: number[] } = { runMs: [] };
    expect(peerStage(p, 2)).toBe('creating the session');
    for (const e of [{ stage: 'created', ms: 12.34 }, { stage: 'first', ms: 50 }, { stage: 'run', k: 1, of: 2, ms: 40 }] as const) applyPeerEvent(p, e);
    expect(p).toEqual({ createMs: 12.34, firstMs: 50, runMs: [40] });
    expect(peerStage(p, 2)).toBe('in steady run 2/2');
    expect(formatPeerEvent('ort-webgpu', { stage: 'created', ms: 12.34 })).toBe('ort-webgpu: session created in 12.3 ms; first run…');
    expect(formatPeerEvent('ort-wasm', { stage: 'run', k: 1, of: 2, ms: 40 })).toBe('ort-wasm: steady run 1/2 40.0 ms');
  });
});

const ours = { createMs: 100, firstMs: 20, runMs: [10, 12, 11] };
const run: OrtPeerRun = {
  createMs: 300,
  firstMs: 80,
  runMs: [44, 46],
  version: '1.30.0',
  outputs: { a: { dims: [2], data: Float32Array.of(1, 2.5) }, b: { dims: [1], data: Float32Array.of(3) } },
};
const winoOut = { a: Float32Array.of(1, 2), b: Float32Array.of(3) };

describe('report', () => {
  const peers = [
    peerResult('ort-wasm', run, winoOut, ['a', 'b'], 'wasm'),
    failedPeer('ort-webgpu', 'timeout', 'timed out after 5 s (in the first run)', { createMs: 900 }),
    failedPeer('ort-webgpu', 'error', 'no adapter'),
  ];
  it('median', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
  it('prints times, the ratio to winoconv, the diffs, and timeout/error lines', () => {
    const lines = formatPeerReport(ours, peers);
    expect(lines[1]).toBe("  ort-wasm (wasm): created in 300.0 ms; first run 80.00 ms; steady median 45.00 ms over 2 run(s); 4.09× winoconv's 11.00 ms");
    expect(lines[2]).toBe('    max abs diff 0.500, max rel diff 0.250');
    expect(lines[3]).toBe('      a: max abs 0.500, max rel 0.250');
    expect(lines[4]).toBe('      b: max abs 0, max rel 0');
    expect(lines[5]).toBe('  ort-webgpu: timed out after 5 s (in the first run) (created in 900.0 ms)');
    expect(lines[6]).toBe('  ort-webgpu: ERROR no adapter');
  });
  it('the --json document: medians, counts, ratio, diffs; null for what is missing', () => {
    const j = runJson('m.onnx', 'Google / swiftshader', 'HeadlessChrome/140', ours, peers);
    expect(j.model).toBe('m.onnx');
    expect(j.adapter).toBe('Google / swiftshader');
    expect(j.browser).toBe('HeadlessChrome/140');
    expect(j.winoconv).toEqual({ createMs: 100, firstMs: 20, steadyMs: 11, runs: 3, runMs: [10, 12, 11] });
    expect(j.peers[0]).toMatchObject({ name: 'ort-wasm', status: 'ok', createMs: 300, firstMs: 80, steadyMs: 45, runs: 2, maxAbsDiff: 0.5, maxRelDiff: 0.25 });
    expect(j.peers[0].ratio).toBeCloseTo(45 / 11);
    expect(j.peers[1]).toMatchObject({ name: 'ort-webgpu', status: 'timeout', message: 'timed out after 5 s (in the first run)', createMs: 900, firstMs: null, steadyMs: null, runs: 0, ratio: null, maxAbsDiff: null, maxRelDiff: null });
    expect(j.peers[2]).toMatchObject({ status: 'error', message: 'no adapter' });
    expect(runJson('m.onnx', undefined, undefined, ours, []).browser).toBeNull();
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });
});
