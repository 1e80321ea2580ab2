/**
 * `winoconv run` without a GPU: input preparation (files, images, seeded data, symbolic dims), and runModel +
 * formatRunReport on a stand-in createSession backed by ONNX Runtime (vi.mock of src/graph/session.ts), which also
 * drives onnx-test's sessionRunner the way the real Session will.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pngjs from 'pngjs';
import { mkdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { onnxTestVerb } from '../../../src/cli/onnx-test.ts';
import { runVerb } from '../../../src/cli/run.ts';
import { decodeTensorProto } from '../../../src/graph/test-data.ts';
import { runOrt } from '../../../src/node/ort-runner.ts';
import { prepareRun } from '../../../src/cli/run.ts';
import { formatRunReport, runModel, summarize } from '../../../src/cli/run-model.ts';
import type { Engine } from '../../../src/engine/engine.ts';
import { fromNumbers } from '../../../src/graph/ir.ts';
import { attr, writeOnnx } from '../../../src/graph/onnx-writer.ts';
import { decodeOnnx } from '../../../src/graph/onnx-import.ts';
import type { Session } from '../../../src/graph/runtime-types.ts';
import { encodeTensorProto, sessionRunner } from '../../../src/graph/test-data.ts';
import { encodeNpy } from '../../../src/node/tensor-files.ts';

vi.mock('../../../src/graph/session.ts', () => ({
  // A Session stand-in: ONNX Runtime outputs, shapes from ORT, a one-row node table.
  async createSession(_engine: unknown, model: Uint8Array, opts: { inputShapes?: Record<string, number[]>; profile?: boolean }): Promise<Session> {
    const { runOrt } = await import('../../../src/node/ort-runner.ts');
    const g = decodeOnnx(model);
    const shapes = opts.inputShapes ?? {};
    let outs: { name: string; shape: number[]; dtype: 'float32' }[] = g.outputs.map((o) => ({ name: o.name, shape: [], dtype: 'float32' }));
    const info = {
      inputs: g.inputs.map((i) => ({ name: i.name, shape: shapes[i.name] ?? (i.shape as number[]), dtype: 'float32' as const })),
      get outputs() { return outs; },
      nodes: g.nodes.map((n) => ({ name: n.name, opType: n.opType, inputShapes: [], outputShapes: [[1, 2, 5, 5]], layouts: [], algorithm: n.opType === 'Conv' ? 'winograd4' : 'kernel', kernelIds: [], gpuMs: opts.profile ? 0.25 : undefined })),
      memory: { weightBytes: 80, arenaBytes: 4096, peakLiveBytes: 2048 },
      creationMs: 1.5,
      passes: {},
    };
    return {
      info,
      async run(inputs: Record<string, Float32Array | GPUBuffer>) {
        const t = Object.fromEntries(Object.entries(inputs).map(([n, d]) => [n, { name: n, dtype: 'float32' as const, dims: shapes[n], data: d as Float32Array }]));
        const { outputs } = await runOrt(model, t);
        outs = outputs.map((o) => ({ name: o.name, shape: o.dims, dtype: 'float32' }));
        return Object.fromEntries(outputs.map((o) => [o.name, Float32Array.from(o.data as Float32Array)]));
      },
      destroy() {},
    } as unknown as Session;
  },
}));

vi.mock('../../../src/node/engine.ts', () => ({ createNodeEngine: async () => ({ destroy() {} }) }));

const tmp = mkdtempSync(path.join(tmpdir(), 'winoconv-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function model(batch: number | string = 1): Uint8Array {
  return writeOnnx({
    opset: 13,
    inputs: [{ name: 'x', dtype: 'float32', shape: [batch, 3, 5, 5] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: undefined }],
    initializers: [fromNumbers('W', 'float32', [2, 3, 3, 3], Array.from({ length: 54 }, (_, i) => ((i % 7) - 3) / 10))],
    nodes: [
      { opType: 'Conv', name: 'conv', inputs: ['x', 'W'], outputs: ['c'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
      { opType: 'Relu', name: 'relu', inputs: ['c'], outputs: ['y'] },
    ],
  });
}

const fakeEngine = {} as Engine;

describe('prepareRun', () => {
  const file = path.join(tmp, 'm.onnx');
  writeFileSync(file, model());
  const sym = path.join(tmp, 'sym.onnx');
  writeFileSync(sym, model('N'));

  it('seeds inputs not given (same seed, same data) and names them', async () => {
    const a = await prepareRun(file, {});
    const b = await prepareRun(file, {});
    expect(a.inputShapes).toEqual({ x: [1, 3, 5, 5] });
    expect(a.inputs.x).toEqual(b.inputs.x);
    expect(Math.min(...a.inputs.x)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a.inputs.x)).toBeLessThan(1);
    expect(a.notes).toEqual(['input x [1, 3, 5, 5] seeded uniform [0, 1) (seed 1)']);
    expect((await prepareRun(file, { seed: '2' })).inputs.x).not.toEqual(a.inputs.x);
  });

  it('symbolic dims need --input-shape', async () => {
    await expect(prepareRun(sym, {})).rejects.toThrow(/input x \[N, 3, 5, 5\] has symbolic dims \(N\): give --input-shape x=SHAPE/);
    expect((await prepareRun(sym, { 'input-shape': ['x=2x3x5x5'] })).inputShapes).toEqual({ x: [2, 3, 5, 5] });
    await expect(prepareRun(sym, { 'input-shape': ['z=1x3x5x5'] })).rejects.toThrow(/no input 'z' \(inputs: x\)/);
  });

  it('reads .pb, .npy and images (NAME=FILE, or FILE for a one-input model)', async () => {
    const t = fromNumbers('x', 'float32', [1, 3, 5, 5], Array.from({ length: 75 }, (_, i) => i / 75));
    writeFileSync(path.join(tmp, 'x.pb'), encodeTensorProto(t));
    writeFileSync(path.join(tmp, 'x.npy'), encodeNpy(t));
    for (const f of ['x.pb', 'x.npy']) {
      const p = await prepareRun(file, { input: [`x=${path.join(tmp, f)}`] });
      expect(p.inputs.x).toEqual(t.data);
      expect(p.notes[0]).toMatch(new RegExp(`input x \\[1, 3, 5, 5\\] float32 from .*${f}`));
    }
    const png = new pngjs.PNG({ width: 10, height: 10 });
    png.data = Buffer.alloc(400, 255);
    writeFileSync(path.join(tmp, 'w.png'), pngjs.PNG.sync.write(png));
    const p = await prepareRun(file, { input: [path.join(tmp, 'w.png')], size: '5x5', mean: '0.5', std: '0.5' });
    expect(p.inputShapes.x).toEqual([1, 3, 5, 5]);
    expect(Array.from(new Set(p.inputs.x))).toEqual([1]);
    await expect(prepareRun(file, { input: [`x=${path.join(tmp, 'w.png')}`], 'input-shape': ['x=1x3x5x5'] })).rejects.toThrow(/--input-shape \[1, 3, 5, 5\] but the file holds \[1, 3, 10, 10\]/);
    await expect(prepareRun(path.join(tmp, 'none.onnx'), {})).rejects.toThrow(/none.onnx: no such file/);
    await expect(prepareRun(file, { layout: 'hwc' })).rejects.toThrow(/--layout hwc/);
  });
});

describe('runModel + formatRunReport (stand-in session)', () => {
  it('times creation, the first run and the steady median; summarizes outputs; the profile table and memory line', async () => {
    const p = await prepareRun(path.join(tmp, 'm.onnx'), {});
    const { report, outputs } = await runModel(fakeEngine, p.model, p.inputs, { inputShapes: p.inputShapes, runs: 3, profile: true });
    expect(report.steadyMs).toHaveLength(3);
    expect(report.info.outputs).toEqual([{ name: 'y', shape: [1, 2, 5, 5], dtype: 'float32' }]);
    expect(outputs.y).toHaveLength(50);
    const s = report.outputs[0];
    expect(s.min).toBeGreaterThanOrEqual(0);
    expect(s.argmax).toBe(Array.from(outputs.y).indexOf(Math.max(...outputs.y)));
    const text = formatRunReport(report, true).join('\n');
    console.log(text);
    expect(text).toMatch(/^session created in [\d.]+ ms \(session's own count 1.5 ms\)\nfirst run [\d.]+ ms; steady median [\d.]+ ms over 3 run\(s\)/);
    expect(text).toMatch(/ {2}y \[1, 2, 5, 5\] {2}min \S+ {2}max \S+ {2}mean \S+ {2}std \S+ {2}argmax \d+/);
    expect(text).toMatch(/node +op +output shape +algorithm +ms\n {2}conv +Conv +\[1, 2, 5, 5\] +winograd4 +0.250/);
    expect(text).toMatch(/memory: weights 0.1 KiB, arena 4.0 KiB, peak live 2.0 KiB/);
    expect(formatRunReport(report, false).join('\n')).not.toMatch(/memory:/);
  });

  it('summarize: NaN/Inf counted apart, argmax only for small outputs', () => {
    const s = summarize('o', [4], new Float32Array([1, NaN, 3, Infinity]));
    expect(s).toMatchObject({ min: 1, max: 3, mean: 2, std: 1, argmax: 2, nonFinite: 2 });
    expect(summarize('big', [200000], new Float32Array(200000)).argmax).toBeUndefined();
  });

  it("onnx-test's sessionRunner drives createSession: float32 inputs in, outputs with the session's shapes", async () => {
    const runner = sessionRunner(fakeEngine);
    const open = await runner.open(model(), { x: [1, 3, 5, 5] });
    const ys = await open.run({ x: fromNumbers('x', 'float32', [1, 3, 5, 5], Array.from({ length: 75 }, () => 0.5)) });
    expect(ys.y.dims).toEqual([1, 2, 5, 5]);
    expect(ys.y.data).toHaveLength(50);
    open.close();
  });
});

describe('the verbs end to end (stand-in engine and session)', () => {
  async function captured(f: () => Promise<number>): Promise<{ code: number; out: string }> {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    try {
      return { code: await f(), out: lines.join('\n') };
    } finally {
      spy.mockRestore();
    }
  }

  it('run: --runs, --profile, --output-dir writes output_K.pb equal to the run', async () => {
    const m = path.join(tmp, 'verb.onnx');
    writeFileSync(m, model());
    const outDir = path.join(tmp, 'out');
    const { code, out } = await captured(() => runVerb.run({ runs: '2', profile: true, 'output-dir': outDir }, [m]));
    expect(code).toBe(0);
    expect(out).toMatch(/^input x \[1, 3, 5, 5\] seeded uniform \[0, 1\) \(seed 1\)\nsession created in/);
    expect(out).toMatch(/over 2 run\(s\)/);
    expect(out).toMatch(/memory: weights/);
    const y = decodeTensorProto(readFileSync(path.join(outDir, 'output_0.pb')));
    expect(y).toMatchObject({ name: 'y', dtype: 'float32', dims: [1, 2, 5, 5] });
    const p = await prepareRun(m, {});
    const ref = (await runOrt(model(), { x: { name: 'x', dtype: 'float32', dims: [1, 3, 5, 5], data: p.inputs.x } })).outputs[0];
    expect(y.data).toEqual(ref.data);
    await expect(runVerb.run({ runs: '-1' }, [m])).rejects.toThrow(/--runs -1/);
    // --tapwise flags, refused before any GPU work
    await expect(runVerb.run({ calibrate: [m] }, [m])).rejects.toThrow(/--calibrate: only with --tapwise DB/);
    await expect(runVerb.run({ 'tapwise-check': 'top1' }, [m])).rejects.toThrow(/--tapwise-check: only with --tapwise DB/);
    await expect(runVerb.run({ tapwise: 'abc', calibrate: [m] }, [m])).rejects.toThrow(/--tapwise abc: the per-layer SQNR floor, a number of dB > 0/);
    await expect(runVerb.run({ tapwise: '20' }, [m])).rejects.toThrow(/--tapwise needs --calibrate PATH/);
    await expect(runVerb.run({ tapwise: '20', calibrate: [m], browser: true }, [m])).rejects.toThrow(/--tapwise: runs in Node only/);
    await expect(runVerb.run({ tapwise: '20', calibrate: [m], 'tapwise-check': 'top5' }, [m])).rejects.toThrow(/--tapwise-check top5: 'top1' or a number of dB > 0/);
    await expect(runVerb.run({ tapwise: '20', calibrate: [m] }, [m])).rejects.toThrow(/--calibrate .*verb\.onnx: expected a \.png, \.jpg, \.jpeg, \.pb or \.npy file/);
  });

  it('run --peers ort-wasm (a Node worker) --json: peer lines and the JSON document; flag errors', async () => {
    const m = path.join(tmp, 'peers.onnx');
    writeFileSync(m, model());
    const json = path.join(tmp, 'peers.json');
    const { code, out } = await captured(() => runVerb.run({ runs: '2', peers: 'ort-wasm', 'peer-runs': '2', json }, [m]));
    expect(code).toBe(0);
    expect(out).toMatch(/\nort-wasm: session created in [\d.]+ ms; first run…\nort-wasm: first run [\d.]+ ms\nort-wasm: steady run 1\/2 [\d.]+ ms\nort-wasm: steady run 2\/2/);
    expect(out).toMatch(/\n {2}ort-wasm \(onnxruntime-web [\d.]+ wasm, SIMD, 1 thread, Node worker\): created in [\d.]+ ms; first run [\d.]+ ms; steady median [\d.]+ ms over 2 run\(s\); [\d.e+-]+× winoconv's/);
    // the stand-in session is ORT itself (graph optimizations 'basic' against the peer's 'all'): the same numbers
    expect(out).toMatch(/\n {4}max abs diff (0|[\d.]+e-[\d]+), max rel diff (0|[\d.]+e-[\d]+)\n/);
    const j = JSON.parse(readFileSync(json, 'utf8'));
    expect(j).toMatchObject({ model: m, adapter: null, browser: null, winoconv: { runs: 2 } });
    expect(j.peers).toHaveLength(1);
    expect(j.peers[0]).toMatchObject({ name: 'ort-wasm', status: 'ok', runs: 2, outputs: [{ name: 'y' }] });
    expect(j.peers[0].maxRelDiff).toBeLessThan(1e-6);
    expect(j.peers[0].runMs).toHaveLength(2);
    await expect(runVerb.run({ peers: 'ort-webgpu' }, [m])).rejects.toThrow(/add --browser/);
    await expect(runVerb.run({ peers: 'ort-wasm', 'peer-runs': 'x' }, [m])).rejects.toThrow(/--peer-runs x/);
    await expect(runVerb.run({ peers: 'ort-wasm', 'peer-timeout': '-1' }, [m])).rejects.toThrow(/--peer-timeout -1/);
  });

  it('both are registered verbs with --help', async () => {
    const { main } = await import('../../../src/cli/main.ts');
    const { code, out } = await captured(() => main(['run', '--help']));
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: winoconv run MODEL.onnx \[--input NAME=FILE .../);
    expect((await captured(() => main(['onnx-test', '--help']))).out).toMatch(/^Usage: winoconv onnx-test DIR\.\.\. \[--browser\] \[--rtol R\] \[--atol A\] \[--int-tol N\] \[--json\]/);
  });

  it('onnx-test: the verb over a directory, --json', async () => {
    const dir = path.join(tmp, 'suite', 'conv');
    mkdirSync(path.join(dir, 'test_data_set_0'), { recursive: true });
    writeFileSync(path.join(dir, 'model.onnx'), model());
    const x = fromNumbers('x', 'float32', [1, 3, 5, 5], Array.from({ length: 75 }, (_, i) => Math.cos(i)));
    writeFileSync(path.join(dir, 'test_data_set_0', 'input_0.pb'), encodeTensorProto(x));
    writeFileSync(path.join(dir, 'test_data_set_0', 'output_0.pb'), encodeTensorProto((await runOrt(model(), { x })).outputs[0]));
    const { code, out } = await captured(() => onnxTestVerb.run({ json: true }, [path.join(tmp, 'suite')]));
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual([{ dir, dataset: 'test_data_set_0', status: 'pass', maxAbsError: 0, maxRelError: 0, message: '', differing: 0 }]);
    await expect(onnxTestVerb.run({}, [])).rejects.toThrow(/give at least one test-data directory/);
  });
});
