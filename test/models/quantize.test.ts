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
import { createSession } from '../../src/graph/session.ts';
import { createNodeEngine } from '../../src/node/engine.ts';
import { TAP_SCALES_KEY, calibrateTapwise } from '../../src/node/tapwise-calibrate.ts';
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
/** Conv 3×3 (3→8) → Relu → Conv 3×3 (8→16) → `tail` ('gap': GlobalAveragePool; 'classifier': + Flatten; 'none'), seeded weights. */
function twoConvModel(h: number, w: number, seed: number, tail: 'gap' | 'classifier' | 'none'): Uint8Array {
  const rng = mulberry32(seed);
  const rnd = (n: number, s: number) => Float32Array.from({ length: n }, () => (rng() * 2 - 1) * s);
  const pads = { pads: attr.ints([1, 1, 1, 1]) };
  return writeOnnx({
    opset: 13,
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, h, w] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: tail === 'gap' ? [1, 16, 1, 1] : tail === 'classifier' ? [1, 16] : [1, 16, h, w] }],
    initializers: [
      { name: 'w1', dtype: 'float32', dims: [8, 3, 3, 3], data: rnd(8 * 27, 0.5) },
      { name: 'b1', dtype: 'float32', dims: [8], data: rnd(8, 0.2) },
      { name: 'w2', dtype: 'float32', dims: [16, 8, 3, 3], data: rnd(16 * 72, 0.3) },
      { name: 'b2', dtype: 'float32', dims: [16], data: rnd(16, 0.2) },
    ],
    nodes: [
      { name: 'conv1', opType: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attributes: pads },
      { name: 'relu1', opType: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { name: 'conv2', opType: 'Conv', inputs: ['r1', 'w2', 'b2'], outputs: [tail === 'none' ? 'y' : 'c2'], attributes: pads },
      ...(tail === 'gap' ? [{ name: 'gap', opType: 'GlobalAveragePool', inputs: ['c2'], outputs: ['y'] }] : []),
      ...(tail === 'classifier' ? [
        { name: 'gap', opType: 'GlobalAveragePool', inputs: ['c2'], outputs: ['g'] },
        { name: 'flat', opType: 'Flatten', inputs: ['g'], outputs: ['y'] },
      ] : []),
    ],
  });
}
const model = () => twoConvModel(H, W, 41, 'gap');

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

/**
 * SessionOptions.tapwise on the QDQ model above (conv1: 3→8 on int8 x; conv2: 8→16 on the uint8 ReLU output):
 * both layers are 3×3 stride 1, so both are tried; the session's own record (info.tapwise, info.nodes[i].tapwise)
 * is checked against what the test measures itself against the exact session.
 */
describe('session: tap-wise int8 Winograd chosen per layer by measurement', () => {
  const HT = 24;
  const WT = 20;
  async function qdqModel(classifier: boolean, tapScales = false): Promise<{ q: Uint8Array; cal: Record<string, Float32Array>[] }> {
    const bytes = twoConvModel(HT, WT, 7, classifier ? 'classifier' : 'none');
    const graph = importOnnx(bytes);
    const xr = mulberry32(9);
    const cal = [0, 1, 2].map(() => ({ x: Float32Array.from({ length: 3 * HT * WT }, () => xr() * 2 - 1) }));
    const data = cal.map((c, k) => ({ label: `seeded ${k}`, inputs: { x: { dims: [1, 3, HT, WT], data: c.x } } }));
    const ranges = await calibrateRanges(engine!, graph, tensorsToCalibrate(graph), data);
    const spec = quantizeGraph(graph, ranges, { perChannel: true, activationType: 'uint8' }).spec;
    if (tapScales) spec.metadata = { [TAP_SCALES_KEY]: JSON.stringify((await calibrateTapwise(engine!, graph, spec, data)).doc) };
    return { q: writeOnnx(spec), cal };
  }
  const sqnr = (ref: ArrayLike<number>, got: ArrayLike<number>) => {
    let s = 0;
    let e = 0;
    for (let i = 0; i < ref.length; i++) {
      s += ref[i] * ref[i];
      e += (got[i] - ref[i]) ** 2;
    }
    return e === 0 ? Infinity : 10 * Math.log10(s / e);
  };

  it('chooses a scheme per layer whose SQNR meets the floor; the model check passes; outputs measured here agree', async (ctx) => {
    if (!engine) return ctx.skip();
    const { q, cal } = await qdqModel(false);
    const exact = await createSession(engine, q);
    const t0 = performance.now();
    const s = await createSession(engine, q, { tapwise: { calibration: cal, minSqnrDb: 15 } });
    const wallMs = performance.now() - t0;
    try {
      const t = s.info.tapwise!;
      console.log(JSON.stringify(t, null, 1));
      for (const n of s.info.nodes.filter((x) => x.tapwise)) console.log(n.name, n.algorithm, JSON.stringify(n.tapwise));
      expect(t.eligible.sort()).toEqual(['conv1', 'conv2']);
      expect(s.info.creationMs).toBeGreaterThan(0.9 * wallMs); // the whole selection, not only the last plan
      expect(t.checks.at(-1)!.passed).toBe(true);
      expect(t.chosen.length).toBeGreaterThan(0);
      for (const name of t.chosen) {
        const n = s.info.nodes.find((x) => x.name === name)!;
        expect(n.algorithm).toBe(n.tapwise!.chosen);
        expect(n.algorithm).toMatch(/-tap$/);
        expect(n.tapwise!.sqnrDb!).toBeGreaterThanOrEqual(15);
        // Every scheme before the chosen one in the order was measured below the floor or refused, with its reason.
        const verdicts = n.tapwise!.verdicts;
        const at = verdicts.findIndex((v) => v.status === 'chosen');
        for (const v of verdicts.slice(0, at)) expect(['below-floor', 'refused']).toContain(v.status);
        for (const v of verdicts) expect(v.reason.length).toBeGreaterThan(0);
      }
      // The check's measure: one SQNR over every calibration input's output.
      const ref: number[] = [];
      const got: number[] = [];
      for (const c of cal) {
        ref.push(...((await exact.run(c)).y as Float32Array));
        got.push(...((await s.run(c)).y as Float32Array));
      }
      const db = sqnr(ref, got);
      console.log(`tap-wise session vs exact int8 session: output SQNR ${db.toFixed(2)} dB`);
      expect(db).toBeCloseTo(Number(/y (\S+) dB/.exec(t.checks.at(-1)!.detail)![1]), 1);
      expect(db).toBeGreaterThanOrEqual(15);
      expect(db).toBeLessThan(Infinity); // tap-wise is approximate: if this were exact, nothing tap-wise ran
    } finally {
      s.destroy();
      exact.destroy();
    }
  }, 600_000);

  it('a floor no scheme meets, or a model check no tap-wise set passes, leaves the exact model (bit for bit)', async (ctx) => {
    if (!engine) return ctx.skip();
    const { q, cal } = await qdqModel(false);
    const exact = await createSession(engine, q);
    const high = await createSession(engine, q, { tapwise: { calibration: cal, minSqnrDb: 200 } });
    const strict = await createSession(engine, q, { tapwise: { calibration: cal, minSqnrDb: 10, check: { outputSqnrDb: 300 } } });
    try {
      expect(high.info.tapwise!.chosen).toEqual([]);
      expect(high.info.tapwise!.checks).toEqual([]);
      for (const n of high.info.nodes.filter((x) => x.tapwise)) {
        expect(n.tapwise!.chosen).toBe('exact');
        expect(n.tapwise!.verdicts.every((v) => v.status === 'below-floor' || v.status === 'refused')).toBe(true);
      }
      expect(strict.info.tapwise!.chosen).toEqual([]);
      expect(strict.info.tapwise!.checks.length).toBeGreaterThan(0);
      expect(strict.info.tapwise!.checks.every((c) => !c.passed)).toBe(true);
      const dropped = strict.info.nodes.flatMap((n) => n.tapwise?.verdicts.filter((v) => v.status === 'dropped') ?? []);
      expect(dropped.length).toBeGreaterThan(0);
      for (const c of cal) {
        const r = (await exact.run(c)).y as Float32Array;
        expect(Array.from((await high.run(c)).y as Float32Array)).toEqual(Array.from(r));
        expect(Array.from((await strict.run(c)).y as Float32Array)).toEqual(Array.from(r));
      }
    } finally {
      for (const x of [exact, high, strict]) x.destroy();
    }
  }, 600_000);

  it("reads the tap scales `winoconv quantize --tapwise` writes into metadata_props", async (ctx) => {
    if (!engine) return ctx.skip();
    const { q, cal } = await qdqModel(false, true);
    const s = await createSession(engine, q, { tapwise: { calibration: cal, minSqnrDb: 12, schemes: ['winograd2-tap'] } });
    try {
      const layers = s.info.nodes.filter((n) => n.tapwise);
      expect(layers.map((n) => n.name).sort()).toEqual(['conv1', 'conv2']);
      for (const n of layers) {
        console.log(n.name, JSON.stringify(n.tapwise));
        expect(n.tapwise!.verdicts.map((v) => v.scheme)).toEqual(['winograd2-tap']);
        expect(n.tapwise!.verdicts[0].reason).toMatch(/tap scales: given by the caller/);
      }
      expect(s.info.tapwise!.chosen.length).toBeGreaterThan(0);
    } finally {
      s.destroy();
    }
  }, 600_000);

  it("'top1' on a classifier: the chosen set keeps every calibration input's top-1", async (ctx) => {
    if (!engine) return ctx.skip();
    const { q, cal } = await qdqModel(true);
    const exact = await createSession(engine, q);
    const s = await createSession(engine, q, { tapwise: { calibration: cal, minSqnrDb: 15, check: 'top1' } });
    try {
      console.log(JSON.stringify(s.info.tapwise));
      expect(s.info.tapwise!.check).toMatch(/top-1/);
      for (const c of cal) {
        const r = (await exact.run(c)).y as Float32Array;
        const g = (await s.run(c)).y as Float32Array;
        expect(g.indexOf(Math.max(...g))).toBe(r.indexOf(Math.max(...r)));
      }
    } finally {
      s.destroy();
      exact.destroy();
    }
  }, 600_000);
});
