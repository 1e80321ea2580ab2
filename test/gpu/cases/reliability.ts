/**
 * Engine reliability (issue 10): the verification gate on outputs with few or no terms, its cache, memory
 * errors and device limits, special values through Winograd, device loss, resize after encode. Each case
 * failed on the engine before its fix.
 */
import type { AlgorithmName, Conv2dDesc } from '../../../src/conv/desc.ts';
import { compareWithReference, epilogueValueMagnitude, tileMaxAbsDot, toleranceFor } from '../../../src/conv/tolerance.ts';
import type { BroadcastTensor, ConvGeometry, Layout } from '../../../src/conv/types.ts';
import { Engine, createEngine } from '../../../src/engine/engine.ts';
import { DeviceLostError, GpuOperationError } from '../../../src/engine/errors.ts';
import { ConvDescError } from '../../../src/conv/validate.ts';
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

/** The gate with a negative-side slope above 1 (leakyrelu alpha 20): the slope multiplies the sum's error. */
async function gateSteepSlope(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  for (let s = 0; s < 3; s++) {
    for (const algorithm of ['winograd4', 'winograd6', 'direct'] as AlgorithmName[]) {
      const rng = mulberry32(300 + s);
      const plan = await engine.createConv2d({ inChannels: 16, outChannels: 16, kernelSize: 3, pads: 1, algorithm, activation: { type: 'leakyrelu', alpha: 20 } }, { weights: randomF32(16 * 16 * 9, rng), bias: randomF32(16, rng) });
      t.log(`${algorithm} seed ${s}: ${plan.info.verification.split('\n')[0]}`);
      plan.destroy();
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

async function expectReject(p: Promise<unknown> | (() => unknown), check: (e: unknown) => boolean, what: string): Promise<unknown> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new Error(`${what}: expected an error, got none`);
  if (!check(err)) throw new Error(`${what}: wrong error: ${(err as Error)?.name}: ${(err as Error)?.message}`);
  return err;
}

/** Issue 10 (4): sizes past maxBufferSize are refused at resize with a ConvDescError, before any allocation. */
async function refuseOverMaxBufferSize(t: GpuTestContext): Promise<void> {
  const weights = randomF32(16 * 16 * 9, mulberry32(4));
  const small = new Engine(t.device, { limits: { maxBufferSize: 1 << 20 } });
  for (const algorithm of ['winograd4', 'im2col', 'direct'] as AlgorithmName[]) {
    const plan = await small.createConv2d({ inChannels: 16, outChannels: 16, kernelSize: 3, pads: 1, algorithm }, { weights });
    const e = await expectReject(() => plan.resize({ batch: 100, height: 64, width: 64 }), (x) => x instanceof ConvDescError && /maxBufferSize \(1048576\)/.test((x as Error).message), `${algorithm} batch 100 at 64×64 under maxBufferSize 1 MiB`);
    t.log(`${algorithm}: ${(e as Error).message}`);
    plan.resize({ batch: 2, height: 8, width: 8 });
    plan.destroy();
  }
  const engine = new Engine(t.device);
  const plan = await engine.createConv2d({ inChannels: 16, outChannels: 16, kernelSize: 3, pads: 1, algorithm: 'winograd2' }, { weights });
  const t0 = performance.now();
  await expectReject(() => plan.resize({ batch: 1e9, height: 8, width: 8 }), (x) => x instanceof ConvDescError && /maxBufferSize/.test((x as Error).message), 'batch 1e9');
  const ms = performance.now() - t0;
  if (ms > 500) throw new Error(`refusing batch 1e9 took ${ms.toFixed(0)} ms`);
  plan.destroy();
}

/**
 * A device whose createBuffer reports out-of-memory in the innermost open 'out-of-memory' scope for buffers whose
 * label matches (the buffer itself is made, so only the engine's error scopes can tell).
 */
function oomInjectingDevice(real: GPUDevice): { device: GPUDevice; arm(label: RegExp | undefined): void; injected(): number } {
  const stack: { filter: GPUErrorFilter; fail?: string }[] = [];
  let armed: RegExp | undefined;
  let count = 0;
  const device = new Proxy(real, {
    get(target, key) {
      if (key === 'pushErrorScope') return (f: GPUErrorFilter) => { stack.push({ filter: f }); target.pushErrorScope(f); };
      if (key === 'popErrorScope') {
        return () => {
          const scope = stack.pop();
          const p = target.popErrorScope();
          return scope?.fail ? p.then(() => ({ message: scope.fail })) : p;
        };
      }
      if (key === 'createBuffer') {
        return (desc: GPUBufferDescriptor) => {
          if (armed && armed.test(desc.label ?? '')) {
            const scope = [...stack].reverse().find((s) => s.filter === 'out-of-memory');
            if (scope) {
              scope.fail = `injected: out of memory allocating ${desc.size} bytes for '${desc.label}'`;
              count++;
            }
          }
          return target.createBuffer(desc);
        };
      }
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { device, arm: (l) => (armed = l), injected: () => count };
}

/** Issue 10 (3): a failed allocation makes run() reject with the bytes, never resolve with zeros. */
async function injectedOutOfMemory(t: GpuTestContext): Promise<void> {
  const rng = mulberry32(0x0e);
  const weights = randomF32(16 * 16 * 9, rng);
  const x = randomF32(2 * 24 * 24 * 16, rng);
  for (const [label, what] of [[/ [VM]$/, 'the Winograd workspace (resize)'], [/^run output$/, "run()'s output buffer"]] as const) {
    const inj = oomInjectingDevice(t.device);
    const engine = new Engine(inj.device);
    const plan = await engine.createConv2d({ inChannels: 16, outChannels: 16, kernelSize: 3, pads: 1, algorithm: 'winograd4' }, { weights });
    inj.arm(label);
    const e = await expectReject(plan.run(x, { batch: 2, height: 24, width: 24 }), (x) => x instanceof GpuOperationError && /out of memory/.test((x as Error).message) && /\d+ bytes/.test((x as Error).message), `OOM in ${what}`);
    t.log(`${what}: ${(e as Error).message.split('\n')[0]}`);
    if (inj.injected() === 0) throw new Error(`nothing was injected for ${what}`);
    // the same plan runs once the device can allocate again
    inj.arm(undefined);
    const ok = await plan.run(x, { batch: 2, height: 24, width: 24 });
    if (!ok.some((v) => v !== 0)) throw new Error('run after recovery returned zeros');
    plan.destroy();
  }
}

function nonFiniteInput(g: ConvGeometry, rng: () => number, poison: [number, number][]): Float32Array {
  const x = randomF32(g.batch * g.inChannels * g.inHeight * g.inWidth, rng);
  // NHWC: pixel (y, x) channel c at ((y·W + x)·C + c)
  for (const [i, v] of poison) x[i] = v;
  return x;
}

/**
 * Issue 10 (8): special values. 'propagate' (default): a Winograd output is non-finite wherever direct is, and
 * every finite output is within the tolerance (tile maximum); a fused ReLU/ReLU6 keeps NaN. 'exact': no Winograd,
 * and the Inf/NaN pattern of direct convolution, output by output.
 */
async function specialValues(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const g = geometry({ inChannels: 4, outChannels: 6, k: 3, pads: [1, 1, 1, 1] }, 1, 14, 14);
  const px = (y: number, x: number, c: number) => (y * g.inWidth + x) * g.inChannels + c;
  const cases: { name: string; poison: [number, number][] }[] = [
    { name: '+Inf pixel', poison: [[px(5, 6, 1), Infinity]] },
    { name: 'NaN pixel', poison: [[px(9, 3, 0), NaN]] },
    { name: '3e38 pixel', poison: [[px(6, 7, 2), 3e38]] },
    { name: '1e30 pixel', poison: [[px(6, 7, 2), 1e30]] },
  ];
  for (const c of cases) {
    const rng = mulberry32(0x5e + c.name.length);
    const x = nonFiniteInput(g, rng, c.poison);
    const weights = randomF32(g.outChannels * g.inChannels * 9, rng);
    const bias = randomF32(g.outChannels, rng, -0.5, 0.5);
    for (const activation of c.name === '+Inf pixel' ? (['linear', 'relu', 'relu6'] as const) : (['relu'] as const)) {
      for (const [algorithm, nonFinite] of [['winograd4', 'propagate'], ['winograd6', 'propagate'], ['auto', 'exact'], ['im2col', 'exact'], ['direct', 'exact']] as const) {
        const plan = await engine.createConv2d({ inChannels: g.inChannels, outChannels: g.outChannels, kernelSize: 3, pads: 1, activation, algorithm }, { weights, bias, nonFinite });
        const got = await plan.run(x, { batch: 1, height: g.inHeight, width: g.inWidth });
        plan.destroy();
        const b = { shape: [g.outChannels], data: bias, broadcast: 'channel' as const };
        const ops = { input: x, inputLayout: 'NHWC' as const, weight: weights, weightLayout: 'OIHW' as const, bias: b, activation: { type: activation } };
        const ref = conv2dReference(g, ops).data;
        const tile = winogradOutputTile(plan.info.algorithm);
        const dots = maxAbsDot(g, ops).perOutput;
        const absDot = tile ? tileMaxAbsDot(dots, 'NHWC', { n: 1, c: g.outChannels, h: 14, w: 14 }, tile[0], tile[1]) : dots;
        const tol = toleranceFor('float32', toleranceFamily(plan.info.algorithm, plan.desc, false));
        const where = `${c.name} ${activation} ${algorithm} (${plan.info.algorithm}) nonFinite ${nonFinite}`;
        if (nonFinite === 'exact' && plan.info.algorithm.startsWith('winograd')) throw new Error(`${where}: exact chose Winograd`);
        let nanTiles = 0;
        for (let i = 0; i < ref.length; i++) {
          const r = ref[i];
          const y = got[i];
          if (nonFinite === 'exact') {
            if (!Object.is(r, y) && !(Number.isNaN(r) && Number.isNaN(y)) && !(Number.isFinite(r) && Number.isFinite(y))) throw new Error(`${where}: output ${i} is ${y}, direct gives ${r}`);
          } else if (!Number.isFinite(r) && Number.isFinite(y)) throw new Error(`${where}: output ${i} is finite ${y} where direct gives ${r}`);
          if (!Number.isFinite(y)) {
            nanTiles++;
            continue;
          }
          if (!Number.isFinite(r)) continue;
          const bound = tol.perTerm * absDot[i] + tol.perValue * Math.abs(r);
          if (Math.abs(y - r) > bound) throw new Error(`${where}: output ${i} is ${y}, direct gives ${r}: finite but wrong (error ${Math.abs(y - r)}, bound ${bound})`);
        }
        if (activation === 'relu') t.log(`${where}: ${nanTiles} non-finite outputs, direct ${ref.filter((v) => !Number.isFinite(v)).length}`);
      }
    }
  }
  await expectReject(engine.createConv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, algorithm: 'winograd4' }, { weights: randomF32(144, mulberry32(1)), nonFinite: 'exact' }), (e) => e instanceof ConvDescError && /nonFinite 'exact'/.test((e as Error).message), 'forced winograd4 with nonFinite exact');
}

/** Issue 10 (9): resize() between encode() and submit must not destroy what the recorded commands use. */
async function resizeAfterEncode(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const rng = mulberry32(0x9e);
  const weights = randomF32(8 * 8 * 9, rng);
  // Varies along W (so the plan holds it as a full tensor, rebuilt at each resize) and broadcasts to both sizes.
  const numpy: BroadcastTensor = { shape: [1, 1, 7, 8], data: randomF32(7 * 8, rng), broadcast: 'numpy' };
  for (const [algorithm, bias] of [['winograd4', undefined], ['im2col', numpy]] as [AlgorithmName, BroadcastTensor | undefined][]) {
    const plan = await engine.createConv2d({ inChannels: 8, outChannels: 8, kernelSize: 3, pads: 1, algorithm }, { weights, bias });
    const g = geometry({ inChannels: 8, outChannels: 8, k: 3, pads: [1, 1, 1, 1] }, 1, 6, 7);
    plan.resize({ batch: 1, height: 6, width: 7 });
    const x = randomF32(6 * 7 * 8, rng);
    const input = t.upload(x);
    const output = t.buffer({ size: 6 * 7 * 8 * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const enc = t.device.createCommandEncoder();
    plan.encode(enc, { input, output });
    plan.resize({ batch: 3, height: 20, width: 7 }); // new workspaces, uniforms and bias tensor
    t.device.pushErrorScope('validation');
    t.device.queue.submit([enc.finish()]);
    const err = await t.device.popErrorScope();
    if (err) throw new Error(`${algorithm}: submitting work recorded before resize failed: ${err.message}`);
    const got = await t.readF32(output, 6 * 7 * 8);
    const ops = { input: x, inputLayout: 'NHWC' as const, weight: weights, weightLayout: 'OIHW' as const, bias: bias ? { ...bias, shape: [1, 7, 8] } : undefined };
    const cmp = compareWithReference(got, conv2dReference(g, ops).data, tileMaxAbsDot(maxAbsDot(g, ops).perOutput, 'NHWC', { n: 1, c: 8, h: 6, w: 7 }, 4, 4), toleranceFor('float32', toleranceFamily(algorithm, plan.desc, false)));
    if (!cmp.pass) throw new Error(`${algorithm}: work recorded before resize computed wrong values:\n${cmp.message}`);
    await plan.run(randomF32(3 * 20 * 7 * 8, rng));
    plan.destroy();
  }
}

/** Issue 10 (9): device loss gives DeviceLostError everywhere, never a plan on a dead device; recreate() re-plans. */
async function deviceLoss(t: GpuTestContext): Promise<void> {
  const engine = await createEngine({ gpu: t.gpu });
  const rng = mulberry32(0xde);
  const weights = randomF32(8 * 8 * 9, rng);
  const desc = { inChannels: 8, outChannels: 8, kernelSize: 3, pads: 1, algorithm: 'winograd4' as const };
  const plan = await engine.createConv2d(desc, { weights });
  const x = randomF32(2 * 9 * 9 * 8, rng);
  await plan.run(x, { batch: 2, height: 9, width: 9 });
  // loss while a run is in flight: it rejects, it does not resolve with zeros
  const inFlight = plan.run(x);
  engine.device.destroy();
  await expectReject(inFlight, (e) => e instanceof DeviceLostError, 'run in flight at the loss');
  await engine.core.lost;
  const isLost = (e: unknown) => e instanceof DeviceLostError && (e as DeviceLostError).reason === 'destroyed';
  await expectReject(plan.run(x), isLost, 'run after loss');
  await expectReject(() => plan.resize({ batch: 1, height: 9, width: 9 }), isLost, 'resize after loss');
  await expectReject(engine.createConv2d(desc, { weights }), isLost, 'createConv2d of an already-verified kernel set after loss');
  if (engine.lost?.reason !== 'destroyed') throw new Error(`engine.lost: ${JSON.stringify(engine.lost)}`);
  await engine.recreate();
  const again = await engine.createConv2d(desc, { weights });
  const y = await again.run(x, { batch: 2, height: 9, width: 9 });
  const g = geometry({ inChannels: 8, outChannels: 8, k: 3, pads: [1, 1, 1, 1] }, 2, 9, 9);
  const ops = { input: x, inputLayout: 'NHWC' as const, weight: weights, weightLayout: 'OIHW' as const };
  const cmp = compareWithReference(y, conv2dReference(g, ops).data, tileMaxAbsDot(maxAbsDot(g, ops).perOutput, 'NHWC', { n: 2, c: 8, h: 9, w: 9 }, 4, 4), toleranceFor('float32', 'winograd4'));
  if (!cmp.pass) throw new Error(`after recreate():\n${cmp.message}`);
  again.destroy();
  engine.device.destroy();
}

export const reliabilityCases: GpuCase[] = [
  { name: 'reliability gate accepts padding-only outputs (winograd2/4/6, pads 3-4)', run: gatePaddingOnly },
  { name: 'reliability gate accepts single-term elu/sigmoid with bias (auto, direct, im2col)', run: gateSingleTermExp },
  { name: 'reliability gate accepts leakyrelu with alpha 20 (slope gain)', run: gateSteepSlope },
  { name: 'reliability verification cache keyed by data, data failures not cached', run: gateCacheByData },
  { name: 'reliability sizes past maxBufferSize refused at resize (ConvDescError)', run: refuseOverMaxBufferSize },
  { name: 'reliability injected out-of-memory makes run() reject', run: injectedOutOfMemory },
  { name: 'reliability special values (Inf/NaN/huge) through Winograd and nonFinite exact', run: specialValues },
  { name: 'reliability resize between encode and submit keeps recorded buffers', run: resizeAfterEncode },
  { name: 'reliability device loss: DeviceLostError, recreate', run: deviceLoss },
];
