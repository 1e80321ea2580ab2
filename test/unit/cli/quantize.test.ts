/**
 * `winoconv quantize` without a GPU: the verb end to end on a stand-in createSession backed by ONNX Runtime (vi.mock of
 * src/graph/session.ts, as test/unit/cli/run.test.ts does): calibration from PNG images (run's preprocessing flags),
 * .npy tensors and a folder, progress on stderr, the written QDQ model run in ONNX Runtime against the float model; and
 * every flag error, named.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pngjs from 'pngjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { quantizeVerb } from '../../../src/cli/quantize.ts';
import type { Tensor } from '../../../src/graph/ir.ts';
import { decodeOnnx } from '../../../src/graph/onnx-import.ts';
import { attr, graphToSpec, readMetadataProps, writeOnnx } from '../../../src/graph/onnx-writer.ts';
import { quantizeNhwc, tapwiseLayers } from '../../../src/node/tapwise-calibrate.ts';
import { calibrateTapScales, tapScalesFromJSON, tapScalesToJSON } from '../../../src/quant/tapwise.ts';
import type { Winograd2D } from '../../../src/winograd/types.ts';
import { winogradFromName } from '../../../src/winograd/winograd-2d.ts';
import type { Session } from '../../../src/graph/runtime-types.ts';
import { runOrt } from '../../../src/node/ort-runner.ts';
import { encodeNpy, readTensorFile } from '../../../src/node/tensor-files.ts';
import { mulberry32 } from '../../../src/util/random.ts';

vi.mock('../../../src/graph/session.ts', () => ({
  // A Session stand-in: ONNX Runtime's outputs.
  async createSession(_engine: unknown, model: Uint8Array, opts: { inputShapes?: Record<string, number[]> }): Promise<Session> {
    const { runOrt } = await import('../../../src/node/ort-runner.ts');
    const shapes = opts.inputShapes ?? {};
    return {
      async run(inputs: Record<string, Float32Array>) {
        const t = Object.fromEntries(Object.entries(inputs).map(([n, d]) => [n, { name: n, dtype: 'float32' as const, dims: shapes[n], data: d }]));
        const { outputs } = await runOrt(model, t);
        return Object.fromEntries(outputs.map((o) => [o.name, Float32Array.from(o.data as Float32Array)]));
      },
      destroy() {},
    } as unknown as Session;
  },
}));
vi.mock('../../../src/node/engine.ts', () => ({ createNodeEngine: async () => ({ destroy() {} }) }));

const tmp = mkdtempSync(path.join(tmpdir(), 'winoconv-quantize-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Conv 3×3 → Relu → Conv 3×3 → MaxPool 2×2, input [1, 3, H, W] with symbolic H, W. */
function model(): Uint8Array {
  const rng = mulberry32(21);
  const rnd = (n: number, s: number) => Float32Array.from({ length: n }, () => (rng() * 2 - 1) * s);
  return writeOnnx({
    opset: 13,
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 'h', 'w'] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 8, 'h2', 'w2'] }],
    initializers: [
      { name: 'w1', dtype: 'float32', dims: [6, 3, 3, 3], data: rnd(6 * 27, 0.5) },
      { name: 'b1', dtype: 'float32', dims: [6], data: rnd(6, 0.2) },
      { name: 'w2', dtype: 'float32', dims: [8, 6, 3, 3], data: rnd(8 * 54, 0.3) },
    ],
    nodes: [
      { name: 'conv1', opType: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
      { name: 'relu', opType: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { name: 'conv2', opType: 'Conv', inputs: ['r1', 'w2'], outputs: ['c2'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
      { name: 'pool', opType: 'MaxPool', inputs: ['c2'], outputs: ['y'], attributes: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) } },
    ],
  });
}

function png(file: string, w: number, h: number, seed: number): void {
  const rng = mulberry32(seed);
  const img = new pngjs.PNG({ width: w, height: h });
  for (let i = 0; i < w * h * 4; i++) img.data[i] = i % 4 === 3 ? 255 : Math.floor(rng() * 256);
  writeFileSync(file, pngjs.PNG.sync.write(img));
}

async function captured(f: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const a = vi.spyOn(console, 'log').mockImplementation((...x: unknown[]) => void out.push(x.join(' ')));
  const b = vi.spyOn(console, 'error').mockImplementation((...x: unknown[]) => void err.push(x.join(' ')));
  try {
    return { code: await f(), out: out.join('\n'), err: err.join('\n') };
  } finally {
    a.mockRestore();
    b.mockRestore();
  }
}

const sqnr = (ref: Float32Array, y: Float32Array) => {
  let s = 0;
  let e = 0;
  ref.forEach((v, i) => {
    s += v * v;
    e += (v - y[i]) ** 2;
  });
  return 10 * Math.log10(s / e);
};

describe('winoconv quantize (stand-in session)', () => {
  const m = path.join(tmp, 'm.onnx');
  writeFileSync(m, model());
  const imgDir = path.join(tmp, 'imgs');
  mkdirSync(imgDir);
  for (let k = 0; k < 3; k++) png(path.join(imgDir, `cal${k}.png`), 20, 14, k + 1);

  it('PNG images with --size/--mean/--std, a folder, per channel: a QDQ model ORT runs within 25 dB of the float one', async () => {
    const out = path.join(tmp, 'q.onnx');
    const r = await captured(() => quantizeVerb.run({ calibrate: [imgDir], out, 'per-channel': true, size: '16x16', mean: '0.5', std: '0.25' }, [m]));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/calibration 1\/3 cal0\.png: \d+ ms\n.*\n.*\ncalibration: 3 input\(s\), 5 tensor\(s\), minmax, [\d.]+ s/);
    expect(r.out).toMatch(/quantized: Conv 2, MaxPool 1; removed 1 Relu\/Clip; 4 activation Q\/DQ pairs \(int8\), 2 weights \(int8, per channel\), 1 biases \(int32\)/);
    const q = new Uint8Array(readFileSync(out));
    const g = decodeOnnx(q);
    expect(g.inputs[0].shape).toEqual([1, 3, 'h', 'w']);
    expect(g.nodes.filter((n) => n.opType === 'QuantizeLinear')).toHaveLength(4);
    // a fourth image of the same kind, preprocessed the same way
    const probe = path.join(tmp, 'probe.png');
    png(probe, 20, 14, 99);
    const x: Tensor = { ...(await readTensorFile(probe, { size: [16, 16], mean: [0.5], std: [0.25] })), name: 'x' };
    const f = (await runOrt(model(), { x })).outputs[0].data as Float32Array;
    const y = (await runOrt(q, { x })).outputs[0].data as Float32Array;
    const db = sqnr(f, y);
    console.log(`quantize verb, calibrated on 3 PNGs: SQNR ${db.toFixed(1)} dB on a fourth image`);
    expect(db).toBeGreaterThan(25);
  });

  it('.npy tensors, --method percentile --percentile 99.9, --activation-type uint8', async () => {
    const files = [0, 1].map((k) => {
      const rng = mulberry32(30 + k);
      const f = path.join(tmp, `t${k}.npy`);
      writeFileSync(f, encodeNpy({ name: 'x', dtype: 'float32', dims: [1, 3, 9, 11], data: Float32Array.from({ length: 297 }, () => rng() * 2 - 1) }));
      return f;
    });
    const out = path.join(tmp, 'q2.onnx');
    const r = await captured(() => quantizeVerb.run({ calibrate: files, out, method: 'percentile', percentile: '99.9', 'activation-type': 'uint8' }, [m]));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/calibration: 2 input\(s\), 5 tensor\(s\), percentile/);
    const g = decodeOnnx(readFileSync(out));
    expect(g.initializers.get('x_zero_point')!.dtype).toBe('uint8');
  });

  it('--tapwise: per-tap scales for both 3×3 convs and 4 algorithms in metadata_props, equal to calibrateTapScales on ORT\'s activations', async () => {
    const out = path.join(tmp, 'qt.onnx');
    const files = [0, 1].map((k) => {
      const rng = mulberry32(50 + k);
      const f = path.join(tmp, `tw${k}.npy`);
      writeFileSync(f, encodeNpy({ name: 'x', dtype: 'float32', dims: [1, 3, 10, 9], data: Float32Array.from({ length: 270 }, () => rng() * 2 - 1) }));
      return f;
    });
    const r = await captured(() => quantizeVerb.run({ calibrate: files, out, tapwise: true }, [m]));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/tap-wise pass: 2 input\(s\), 2 tensor\(s\)/);
    expect(r.out).toMatch(/tap scales for 2 3×3 stride-1 Conv\(s\) in metadata_props\['winoconv\.tapScales'\]/);
    const bytes = new Uint8Array(readFileSync(out));
    const doc = JSON.parse(readMetadataProps(bytes)['winoconv.tapScales']);
    expect(doc.format).toBe('winoconv-model-tap-scales');
    expect(Object.keys(doc.nodes)).toEqual(['conv1', 'conv2']);
    expect(Object.keys(doc.nodes.conv2)).toEqual(['F(2x2,3x3)', 'F(4x4,3x3)', 'F(2x1,3x3)', 'F(4x1,3x3)']);
    for (const n of ['conv1', 'conv2']) for (const j of Object.values(doc.nodes[n])) tapScalesFromJSON(j);
    // conv2 reads the ReLU'd tensor (int8 zp −128): F(2×2,3×3)'s tap (1,1) is unsigned; conv1's input is signed
    expect(doc.nodes.conv2['F(2x2,3x3)'].inputDtype[5]).toBe('uint8');
    expect(doc.nodes.conv1['F(2x2,3x3)'].inputDtype.every((d: string) => d === 'int8')).toBe(true);
    // the same calibration from ORT's float activations, quantized with the model's own Q parameters
    const g = decodeOnnx(bytes);
    const { layers } = tapwiseLayers(graphToSpec(g));
    const l2 = layers.find((l) => l.node === 'conv2')!;
    expect(l2.input).toBe('r1');
    const probe = writeOnnx({ ...graphToSpec(decodeOnnx(model())), outputs: [{ name: 'r1', dtype: 'float32', shape: undefined }] });
    const samples = [];
    for (const f of files) {
      const x = await readTensorFile(f);
      const r1 = (await runOrt(probe, { x: { ...x, name: 'x' } })).outputs[0];
      samples.push(quantizeNhwc(r1.data as Float32Array, r1.dims, l2.xScale, l2.xZeroPoint, l2.inputDtype));
    }
    const algo = winogradFromName('F(4x4,3x3)') as Winograd2D;
    const want = tapScalesToJSON(calibrateTapScales(algo, samples, l2.weights, { inputDtype: l2.inputDtype, xZeroPoint: l2.xZeroPoint, pads: l2.pads }));
    expect(doc.nodes.conv2['F(4x4,3x3)']).toEqual(want);
  });

  it('names each bad flag and input', async () => {
    const out = path.join(tmp, 'bad.onnx');
    const cal = [path.join(imgDir, 'cal0.png')];
    await expect(quantizeVerb.run({ calibrate: cal }, [m])).rejects.toThrow(/--out OUT\.onnx is required/);
    await expect(quantizeVerb.run({ calibrate: cal, out: 'x.pb' }, [m])).rejects.toThrow(/--out x\.pb: expected a path ending in \.onnx/);
    await expect(quantizeVerb.run({ out }, [m])).rejects.toThrow(/--calibrate PATH is required/);
    await expect(quantizeVerb.run({ calibrate: cal, out, method: 'kl' }, [m])).rejects.toThrow(/--method kl: one of minmax, percentile, entropy/);
    await expect(quantizeVerb.run({ calibrate: cal, out, percentile: '99' }, [m])).rejects.toThrow(/--percentile 99: only with --method percentile/);
    await expect(quantizeVerb.run({ calibrate: cal, out, method: 'percentile', percentile: '101' }, [m])).rejects.toThrow(/--percentile 101: a number in \(0, 100\]/);
    await expect(quantizeVerb.run({ calibrate: cal, out, method: 'entropy', bins: '12' }, [m])).rejects.toThrow(/--bins 12: an integer in \[128, 65536\]/);
    await expect(quantizeVerb.run({ calibrate: cal, out, 'op-types': 'Conv,Softmax' }, [m])).rejects.toThrow(/--op-types Conv,Softmax: Softmax not supported/);
    await expect(quantizeVerb.run({ calibrate: cal, out, 'op-types': 'Conv,+BatchNormalization' }, [m])).rejects.toThrow(/either a full list or only \+Op entries/);
    await expect(quantizeVerb.run({ calibrate: cal, out, 'activation-type': 'int4' }, [m])).rejects.toThrow(/--activation-type int4: int8 or uint8/);
    await expect(quantizeVerb.run({ calibrate: [path.join(tmp, 'nope')], out }, [m])).rejects.toThrow(/--calibrate .*nope: no such file or folder/);
    await expect(quantizeVerb.run({ calibrate: [m], out }, [m])).rejects.toThrow(/--calibrate .*m\.onnx: expected a \.png, \.jpg, \.jpeg, \.pb or \.npy file/);
    const npy = path.join(tmp, 'rank3.npy');
    writeFileSync(npy, encodeNpy({ name: 'x', dtype: 'float32', dims: [3, 4, 4], data: new Float32Array(48) }));
    await expect(quantizeVerb.run({ calibrate: [npy], out }, [m])).rejects.toThrow(/shape \[3, 4, 4\] for input 'x' of rank 4/);
  });

  it('is a registered verb with --help', async () => {
    const { main } = await import('../../../src/cli/main.ts');
    const r = await captured(() => main(['quantize', '--help']));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: winoconv quantize MODEL\.onnx --calibrate PATH\.\.\. --out OUT\.onnx \[--per-channel\]/);
  });
});
