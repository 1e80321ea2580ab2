/**
 * `winoconv quantize`'s calibration on the GPU (Node, Dawn): a small conv model (Conv 3×3 → Relu → Conv 3×3 →
 * GlobalAveragePool, built with onnx-writer) calibrated through a real winoconv session on seeded tensors; the ranges
 * must match ONNX Runtime's float run of the same model (max rel 1e-4 of each range's width), and the QDQ model,
 * run in ONNX Runtime (wasm, CPU) against the float model, must keep the output SQNR above 25 dB (printed).
 * Skips, with the reason printed, where no WebGPU adapter can be had.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.ts';
import { calibrateRanges, calibrationModel, createMinMaxCollector } from '../../src/graph/calibrate.ts';
import type { Tensor } from '../../src/graph/ir.ts';
import { importOnnx } from '../../src/graph/onnx-import.ts';
import { attr, writeOnnx } from '../../src/graph/onnx-writer.ts';
import { quantizeGraph, tensorsToCalibrate } from '../../src/graph/quantizer.ts';
import { createNodeEngine } from '../../src/node/engine.ts';
import { runOrt } from '../../src/node/ort-runner.ts';
import { mulberry32 } from '../../src/util/random.ts';

let engine: Engine | undefined;
let skipReason = '';
beforeAll(async () => {
  try {
    engine = await createNodeEngine();
  } catch (e) {
    skipReason = `no WebGPU adapter: ${(e as Error).message.split('\n')[0]}`;
    console.log(`quantize GPU test skipped: ${skipReason}`);
  }
}, 120_000);
afterAll(() => engine?.destroy());

const H = 17;
const W = 15;
function model(): Uint8Array {
  const rng = mulberry32(41);
  const rnd = (n: number, s: number) => Float32Array.from({ length: n }, () => (rng() * 2 - 1) * s);
  return writeOnnx({
    opset: 13,
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, H, W] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 16, 1, 1] }],
    initializers: [
      { name: 'w1', dtype: 'float32', dims: [8, 3, 3, 3], data: rnd(8 * 27, 0.5) },
      { name: 'b1', dtype: 'float32', dims: [8], data: rnd(8, 0.2) },
      { name: 'w2', dtype: 'float32', dims: [16, 8, 3, 3], data: rnd(16 * 72, 0.3) },
      { name: 'b2', dtype: 'float32', dims: [16], data: rnd(16, 0.2) },
    ],
    nodes: [
      { name: 'conv1', opType: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
      { name: 'relu1', opType: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { name: 'conv2', opType: 'Conv', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
      { name: 'gap', opType: 'GlobalAveragePool', inputs: ['c2'], outputs: ['y'] },
    ],
  });
}

describe('quantize: calibration through a winoconv session', () => {
  it('ranges equal ORT\'s float run; the QDQ model keeps > 25 dB output SQNR in ORT', async (ctx) => {
    if (!engine) return ctx.skip();
    const bytes = model();
    const graph = importOnnx(bytes);
    const names = tensorsToCalibrate(graph);
    const rng = mulberry32(43);
    const xs = [0, 1, 2, 3].map((): Tensor => ({ name: 'x', dtype: 'float32', dims: [1, 3, H, W], data: Float32Array.from({ length: 3 * H * W }, () => rng() * 2 - 1) }));
    const lines: string[] = [];
    const ranges = await calibrateRanges(engine, graph, names, xs.map((x, k) => ({ label: `seeded ${k}`, inputs: { x: { dims: x.dims, data: x.data as Float32Array } } })), { progress: (l) => lines.push(l) });
    console.log(lines.join('\n'));
    expect(lines).toHaveLength(5);

    const ref = createMinMaxCollector();
    const aug = calibrationModel(graph, names);
    for (const x of xs) {
      ref.add('x', x.data as Float32Array);
      for (const o of (await runOrt(aug, { x })).outputs) ref.add(o.name, o.data as Float32Array);
    }
    for (const [n, r] of ref.ranges()) {
      const got = ranges.get(n)!;
      const tol = 1e-4 * (r.max - r.min);
      expect(Math.abs(got.min - r.min), `${n} min`).toBeLessThanOrEqual(tol);
      expect(Math.abs(got.max - r.max), `${n} max`).toBeLessThanOrEqual(tol);
    }

    for (const perChannel of [false, true]) {
      const q = writeOnnx(quantizeGraph(graph, ranges, { perChannel }).spec);
      for (const x of xs) {
        const f = (await runOrt(bytes, { x })).outputs[0].data as Float32Array;
        const y = (await runOrt(q, { x })).outputs[0].data as Float32Array;
        let s = 0;
        let e = 0;
        f.forEach((v, i) => {
          s += v * v;
          e += (v - y[i]) ** 2;
        });
        const db = 10 * Math.log10(s / e);
        console.log(`QDQ (${perChannel ? 'per channel' : 'per tensor'}) vs float, ORT CPU: SQNR ${db.toFixed(1)} dB`);
        expect(db).toBeGreaterThan(25);
      }
    }
  });
});
