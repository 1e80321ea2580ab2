/**
 * API strictness on the engine (issue 9 point 4, issue 10 points 5–7 and 9): destroy semantics, unknown keys,
 * bias/PReLU checks at creation and at resize, run()/encode() argument checks before any state change,
 * candidates() agreeing with forcing, and huge strides. Public API only (createEngine, createConv2d, ConvPlan).
 * Every refusal must be a ConvDescError naming the field, with the rule in its message.
 */
import type { Conv2dDesc } from '../../../src/conv/desc.ts';
import type { QuantOptions } from '../../../src/conv/quant-options.ts';
import { ConvDescError } from '../../../src/conv/validate.ts';
import { createEngine, Engine } from '../../../src/engine/engine.ts';
import type { ConvPlan } from '../../../src/engine/plan.ts';
import { conv2dReference } from '../../../src/reference/conv2d.ts';
import { mulberry32, randomF32, randomInts } from '../../../src/util/random.ts';
import type { GpuCase, GpuTestContext } from '../harness/types.ts';

const D4: Conv2dDesc = { inChannels: 4, outChannels: 4, kernelSize: 3 };
const W4 = (seed = 1) => randomF32(4 * 4 * 9, mulberry32(seed), -0.5, 0.5);

/** `f` must throw (or reject with) a ConvDescError on `field` whose message matches `rule`. */
async function expectFieldError(what: string, f: () => unknown, field: string, rule: RegExp): Promise<ConvDescError> {
  let err: unknown;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof ConvDescError)) {
    throw new Error(`${what}: expected a ConvDescError on '${field}' (${rule}), got ${err === undefined ? 'no error (accepted)' : `${(err as Error)?.name}: ${(err as Error)?.message ?? String(err)}`}`);
  }
  if (err.field !== field || !rule.test(err.message)) throw new Error(`${what}: expected field '${field}' matching ${rule}, got field '${err.field}': ${err.message}`);
  return err;
}

/** `f` must throw (or reject with) an error whose message matches `rule`. */
export async function expectThrows(what: string, f: () => unknown, rule: RegExp): Promise<void> {
  let err: unknown;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new Error(`${what}: expected an error matching ${rule}, but it was accepted`);
  if (!rule.test((err as Error).message)) throw new Error(`${what}: expected an error matching ${rule}, got ${(err as Error).name}: ${(err as Error).message}`);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function destroyKeepsCallerDevice(t: GpuTestContext): Promise<void> {
  const engine = await createEngine({ device: t.device });
  const plan = await engine.createConv2d({ ...D4, algorithm: 'direct' }, { weights: W4() });
  engine.destroy();
  engine.destroy(); // idempotent
  // The device is the caller's: still usable after the engine is gone.
  const b = t.buffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  t.device.queue.writeBuffer(b, 0, new Float32Array([1, 2, 3, 4]));
  const back = new Float32Array(await t.read(b, 16));
  if (back.join(',') !== '1,2,3,4') throw new Error(`device unusable after engine.destroy(): read back ${Array.from(back)}`);
  await expectThrows('plan.run after engine.destroy()', () => plan.run(new Float32Array(64 * 4), { batch: 1, height: 8, width: 8 }), /destroyed.*engine was destroyed/);
  await expectThrows('plan.resize after engine.destroy()', () => plan.resize({ batch: 1, height: 8, width: 8 }), /destroyed/);
  await expectThrows('engine.createConv2d after destroy()', () => engine.createConv2d(D4, { weights: W4() }), /Engine: used after destroy/);
  await expectThrows('engine.candidates after destroy()', () => engine.candidates(D4), /Engine: used after destroy/);
  const own = new Engine(t.device);
  const p2 = await own.createConv2d({ ...D4, algorithm: 'im2col' }, { weights: W4() });
  p2.destroy();
  await expectThrows('plan.run after plan.destroy()', () => p2.run(new Float32Array(64 * 4), { batch: 1, height: 8, width: 8 }), /ConvPlan: used after it was destroyed \(destroy\(\) was called\)/);
  own.destroy();
}

async function destroyOwnDevice(t: GpuTestContext): Promise<void> {
  const g = globalThis as { navigator?: { gpu?: GPU }; __winoconvDawnGPU?: GPU };
  const gpu = g.__winoconvDawnGPU ?? g.navigator?.gpu;
  if (!gpu) throw new Error('no GPU object (navigator.gpu / Dawn) to create an engine-owned device from');
  const engine = await createEngine({ gpu });
  if (engine.device === t.device) throw new Error('createEngine({gpu}) returned the fixture device');
  const lost = engine.device.lost.then((i) => i.reason);
  engine.destroy();
  const reason = await Promise.race([lost, new Promise<string>((r) => setTimeout(() => r('timeout: not lost after 5 s'), 5000))]);
  if (reason !== 'destroyed') throw new Error(`the device createEngine() made was not destroyed by engine.destroy(): ${reason}`);
}

async function unknownKeys(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const w = W4();
  const desc = (extra: object) => ({ ...D4, ...extra }) as Conv2dDesc;
  for (const [extra, field, near] of [
    [{ stride: 2, pad: 1 }, 'stride', 'strides'], [{ dilation: 2 }, 'dilation', 'dilations'], [{ group: 2 }, 'group', 'groups'],
    [{ padding: 1 }, 'padding', 'pads'], [{ activaton: 'relu' }, 'activaton', 'activation'],
  ] as const) {
    await expectFieldError(`desc ${JSON.stringify(extra)}`, () => engine.createConv2d(desc(extra), { weights: w }), field, new RegExp(`unknown key; did you mean '${near}'`));
  }
  await expectFieldError('options.biases', () => engine.createConv2d(D4, { weights: w, biases: [1, 2, 3, 4] } as never), 'options.biases', /did you mean 'bias'/);
  await expectFieldError('activation.aplha', () => engine.createConv2d(desc({ activation: { type: 'leakyrelu', aplha: 0.1 } }), { weights: w }), 'activation.aplha', /did you mean 'alpha'/);
  await expectFieldError('bias tensor key', () => engine.createConv2d(D4, { weights: w, bias: { shape: [4], data: [1, 2, 3, 4], broadcast: 'channel', layout: 'NHWC' } as never }), 'bias.layout', /unknown key/);
  const qdesc: Conv2dDesc = { ...D4, dtype: 'uint8' };
  const qw = Array.from(randomInts(4 * 4 * 9, mulberry32(2), -20, 20));
  await expectFieldError('quant.yZeroPt', () => engine.createConv2d(qdesc, { weights: qw, quant: { output: 'uint8', xScale: 0.1, wScale: 0.1, yScale: 1, yZeroPt: 3 } as never }), 'quant.yZeroPt', /did you mean 'yZeroPoint'/);
  const plan = await engine.createConv2d({ ...D4, algorithm: 'direct' }, { weights: w });
  await expectFieldError('resize channels', () => plan.resize({ batch: 1, height: 8, width: 8, channels: 4 } as never), 'channels', /unknown key \(valid: batch, height, width\)/);
  await expectFieldError('run shape heigth', () => plan.run(new Float32Array(256), { batch: 1, heigth: 8, width: 8 } as never), 'heigth', /did you mean 'height'/);
  plan.resize({ batch: 1, height: 8, width: 8 });
  const input = t.buffer({ size: plan.byteSizes().input, usage: GPUBufferUsage.STORAGE });
  const output = t.buffer({ size: plan.byteSizes().output, usage: GPUBufferUsage.STORAGE });
  await expectFieldError('encode workspace', () => plan.encode(t.device.createCommandEncoder(), { input, output, workspace: input } as never), 'bindings.workspace', /unknown key/);
  plan.destroy();
}

async function biasValues(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const w = W4();
  await expectFieldError('bias NaN', () => engine.createConv2d({ ...D4, algorithm: 'direct' }, { weights: w, bias: [0, NaN, 0, 0] }), 'bias[1]', /finite/);
  await expectFieldError('bias tensor Inf', () => engine.createConv2d({ ...D4, algorithm: 'direct' }, { weights: w, bias: { shape: [1, 4], data: [0, 0, Infinity, 0], broadcast: 'numpy' } }), 'bias.data[2]', /finite/);
  await expectFieldError('prelu Inf', () => engine.createConv2d({ ...D4, activation: 'prelu', algorithm: 'direct' }, { weights: w, preluWeights: [Infinity, 0, 0, 0] }), 'preluWeights[0]', /finite/);
  await expectFieldError('prelu NaN in activation', () => engine.createConv2d({ ...D4, activation: { type: 'prelu', preluWeights: { shape: [4], data: [0, 0, 0, NaN], broadcast: 'channel' } }, algorithm: 'direct' }, { weights: w }), 'activation.preluWeights.data[3]', /finite/);
  await expectFieldError('bias [5], 4 channels', () => engine.createConv2d(D4, { weights: w, bias: { shape: [5], data: [1, 2, 3, 4, 5], broadcast: 'numpy' } }), 'bias.shape', /not broadcastable.*\[N, H, W, 4\]/);
  await expectFieldError('bias null', () => engine.createConv2d(D4, { weights: w, bias: null } as never), 'bias', /must be an array/);
  await expectFieldError('preluWeights with relu', () => engine.createConv2d({ ...D4, activation: 'relu' }, { weights: w, preluWeights: [1, 1, 1, 1] }), 'preluWeights', /only to activation 'prelu', not relu/);
  await expectFieldError('expectedSize malformed', () => engine.createConv2d(D4, { weights: w, expectedSize: { height: -1, width: 'x' } } as never), 'expectedSize.height', /integer >= 1/);
  await expectFieldError('minSqnrDb on float32', () => engine.createConv2d(D4, { weights: w, minSqnrDb: 30 }), 'minSqnrDb', /int8 or uint8/);
}

async function numpyBiasAtResize(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const rng = mulberry32(77);
  const w = W4(3);
  for (const [kind, field] of [['bias', 'bias'], ['prelu', 'preluWeights']] as const) {
    // [4, 4, 4] (H, W, C) fits a 4×4 output (6×6 input) and not a 6×6 one: 56 of 144 outputs were NaN.
    const tensor = { shape: [4, 4, 4], data: randomF32(64, rng, -0.5, 0.5), broadcast: 'numpy' as const };
    const opts = kind === 'bias' ? { weights: w, bias: tensor } : { weights: w, preluWeights: tensor };
    const plan = await engine.createConv2d({ ...D4, algorithm: 'direct', activation: kind === 'prelu' ? 'prelu' : 'linear' }, opts);
    const x = randomF32(36 * 4, rng);
    const y = await plan.run(x, { batch: 1, height: 6, width: 6 });
    const g = { batch: 1, inChannels: 4, outChannels: 4, inHeight: 6, inWidth: 6, kernelH: 3, kernelW: 3, strides: [1, 1] as [number, number], pads: [0, 0, 0, 0] as [number, number, number, number], dilations: [1, 1] as [number, number], groups: 1 };
    const ref = conv2dReference(g, { input: x, inputLayout: 'NHWC', weight: w, weightLayout: 'OIHW', bias: kind === 'bias' ? tensor : undefined, activation: kind === 'prelu' ? { type: 'prelu', preluWeights: tensor } : undefined });
    if (!(maxDiff(y, ref.data) < 1e-4)) throw new Error(`${kind} [4,4,4] at 4×4 output: max diff ${maxDiff(y, ref.data)} against the reference`);
    await expectFieldError(`${kind} [4,4,4] resized to 6×6 output`, () => plan.resize({ batch: 1, height: 8, width: 8 }), `${field}.shape`, /\[4, 4, 4\].*not broadcastable.*\[1, 6, 6, 4\]/);
    await expectFieldError(`${kind} [4,4,4] run at 6×6 output`, () => plan.run(randomF32(64 * 4, rng), { batch: 1, height: 8, width: 8 }), `${field}.shape`, /output shape \[1, 6, 6, 4\]/);
    const s = plan.sizes();
    if (s.input !== 36 * 4) throw new Error(`a refused resize changed the plan's size: input ${s.input} elements, want ${36 * 4}`);
    plan.destroy();
  }
  // [8, 8, 4] was silently cropped at a 6×6 output.
  const big = await engine.createConv2d({ ...D4, algorithm: 'im2col' }, { weights: w, bias: { shape: [8, 8, 4], data: randomF32(256, rng), broadcast: 'numpy' } });
  await expectFieldError('bias [8,8,4] at 6×6', () => big.run(randomF32(64 * 4, rng), { batch: 1, height: 8, width: 8 }), 'bias.shape', /not broadcastable.*\[1, 6, 6, 4\]/);
  big.destroy();
}

async function runArgs(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const plan = await engine.createConv2d({ ...D4, algorithm: 'direct' }, { weights: W4() });
  plan.resize({ batch: 1, height: 8, width: 8 });
  await expectFieldError('run wrong length with a new shape', () => plan.run(new Float32Array(10), { batch: 1, height: 6, width: 6 }), 'x.length', /must equal batch·height·width·inChannels \(1·6·6·4\) = 144/);
  if (plan.sizes().input !== 256) throw new Error(`a refused run() resized the plan: input ${plan.sizes().input} elements, want 256 (8×8×4)`);
  await expectFieldError('run(null)', () => plan.run(null as never), 'x', /array or typed array of numbers/);
  await expectFieldError('run(strings)', () => plan.run(new Array(256).fill('a') as never), 'x[0]', /must be a number/);
  await expectFieldError('run(object)', () => plan.run({ length: 256 } as never), 'x', /array or typed array/);
  const y = await plan.run(new Float32Array(256));
  if (!((y as unknown) instanceof Float32Array) || y.length !== 36 * 4) throw new Error(`float32 run returned ${(y as object)?.constructor?.name}[${y?.length}]`);
  plan.destroy();
  const q = await engine.createConv2d({ ...D4, dtype: 'uint8', algorithm: 'im2col' }, { weights: Array.from(randomInts(144, mulberry32(5), -9, 9)), quant: { output: 'int32' } });
  await expectFieldError('uint8 run 300', () => q.run(Array.from({ length: 64 * 4 }, (_, i) => (i === 7 ? 300 : 1)), { batch: 1, height: 8, width: 8 }), 'x[7]', /uint8 range \[0, 255\]/);
  const acc = await q.run(new Array(256).fill(1), { batch: 1, height: 8, width: 8 });
  if (!((acc as unknown) instanceof Int32Array)) throw new Error(`int32 run returned ${(acc as object)?.constructor?.name}`);
  q.destroy();
}

async function encodeArgs(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const plan = await engine.createConv2d({ ...D4, algorithm: 'direct' }, { weights: W4() });
  plan.resize({ batch: 1, height: 8, width: 8 });
  const input = t.buffer({ size: plan.byteSizes().input, usage: GPUBufferUsage.STORAGE });
  const output = t.buffer({ size: plan.byteSizes().output, usage: GPUBufferUsage.STORAGE });
  const fake = { size: 1 << 20, usage: 0xffff } as unknown as GPUBuffer;
  await expectFieldError('undefined encoder', () => plan.encode(undefined as never, { input, output }), 'encoder', /GPUCommandEncoder/);
  await expectFieldError('fake input buffer', () => plan.encode(t.device.createCommandEncoder(), { input: fake, output }), 'input', /GPUBuffer/);
  await expectFieldError('fake output buffer', () => plan.encode(t.device.createCommandEncoder(), { input, output: fake }), 'output', /GPUBuffer/);
  await expectFieldError('bindings null', () => plan.encode(t.device.createCommandEncoder(), null as never), 'bindings', /object \{input, output\}/);
  const enc = t.device.createCommandEncoder();
  plan.encode(enc, { input, output });
  t.device.queue.submit([enc.finish()]);
  plan.destroy();
}

/** Every candidate listed as servable is accepted when forced; every rejected one is refused before GPU work. */
async function candidatesAgree(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const rng = mulberry32(9);
  const desc: Conv2dDesc = { inChannels: 8, outChannels: 8, kernelSize: 3, pads: 1, dtype: 'uint8' };
  const weights = Array.from(randomInts(8 * 8 * 9, rng, -40, 40));
  const calibration = [{ data: Array.from(randomInts(8 * 10 * 10, rng, 0, 255)), batch: 1, height: 10, width: 10 }];
  const quants: QuantOptions[] = [{ output: 'int32' }, { output: 'float32', xScale: 0.02, wScale: 0.01 }, { output: 'uint8', xScale: 0.02, wScale: 0.01, yScale: 0.5, yZeroPoint: 3 }];
  for (const quant of quants) {
    const extra = quant.output === 'uint8' ? { calibration } : {};
    const verdicts = engine.candidates(desc, { quant, weights });
    for (const v of verdicts) {
      const what = `uint8 3×3 8→8, quant.output ${quant.output}, forced ${v.algorithm} (listed ${v.status}: ${v.reason})`;
      if (v.status === 'rejected') {
        await expectFieldError(what, () => engine.createConv2d({ ...desc, algorithm: v.algorithm }, { weights, quant, ...extra }), 'algorithm', /cannot serve/);
        continue;
      }
      let plan: ConvPlan | undefined;
      try {
        plan = await engine.createConv2d({ ...desc, algorithm: v.algorithm }, { weights, quant, ...extra });
      } catch (e) {
        throw new Error(`${what}: listed as servable, but forcing threw: ${(e as Error).message}`);
      }
      t.log(`${what}: ok (${plan.info.kernels.join(' + ')})`);
      plan.destroy();
    }
    if (quant.output !== 'uint8' && verdicts.some((v) => v.algorithm.endsWith('-tap') && v.status !== 'rejected')) throw new Error(`quant.output ${quant.output}: a tap-wise scheme is listed as servable: ${JSON.stringify(verdicts)}`);
  }
  // Exact integer Winograd above its int32 bound (uint8 × uint8: 917 input channels) is listed as rejected.
  const wide: Conv2dDesc = { inChannels: 1000, outChannels: 1, kernelSize: 3, dtype: 'uint8', algorithm: 'winograd2-exact' };
  const wq: QuantOptions = { output: 'int32', weightDtype: 'uint8' };
  const ww = Array.from({ length: 9000 }, (_, i) => (i * 37) % 256);
  const v = engine.candidates(wide, { quant: wq, weights: ww }).find((x) => x.algorithm === 'winograd2-exact');
  if (v?.status !== 'rejected') throw new Error(`winograd2-exact at C_in 1000 uint8×uint8: listed ${v?.status} (${v?.reason}); forcing refuses it`);
  await expectFieldError('forced winograd2-exact over the bound', () => engine.createConv2d(wide, { weights: ww, quant: wq }), 'algorithm', /int32 overflow bound/);
}

async function hugeStrides(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const rng = mulberry32(1234);
  const shapes = [
    { name: 'dense 3→5', inChannels: 3, outChannels: 5, groups: 1 },
    { name: 'depthwise 6', inChannels: 6, outChannels: 6, groups: 6 },
  ];
  for (const sh of shapes) {
    for (const algorithm of ['direct', 'im2col', 'auto'] as const) {
      for (const layout of ['NHWC', 'NCHW'] as const) {
        for (const s of [1e9, [1, 2 ** 31 - 1]] as const) {
          const strides: [number, number] = typeof s === 'number' ? [s, s] : [s[0], s[1]];
          const cinG = sh.inChannels / sh.groups;
          const w = randomF32(sh.outChannels * cinG * 9, rng, -0.5, 0.5);
          const x = randomF32(2 * sh.inChannels * 9 * 7, rng);
          const where = `${sh.name} ${algorithm} ${layout} strides ${strides}`;
          let plan;
          try {
            plan = await engine.createConv2d({ inChannels: sh.inChannels, outChannels: sh.outChannels, groups: sh.groups, kernelSize: 3, strides, pads: 1, algorithm, layout }, { weights: w });
          } catch (e) {
            throw new Error(`${where}: refused: ${(e as Error).message}`);
          }
          const { outputShape } = plan.resize({ batch: 2, height: 9, width: 7 });
          const y = await plan.run(x);
          const g = { batch: 2, inChannels: sh.inChannels, outChannels: sh.outChannels, inHeight: 9, inWidth: 7, kernelH: 3, kernelW: 3, strides, pads: [1, 1, 1, 1] as [number, number, number, number], dilations: [1, 1] as [number, number], groups: sh.groups };
          const ref = conv2dReference(g, { input: x, inputLayout: layout, weight: w, weightLayout: 'OIHW' });
          const diff = maxDiff(y, ref.data);
          if (!(diff < 1e-5)) throw new Error(`${where} (${plan.info.algorithm}, output ${outputShape}): max diff ${diff} against the float64 reference`);
          t.log(`${where}: ${plan.info.algorithm} output ${outputShape} ok`);
          plan.destroy();
        }
      }
    }
  }
}

export const apiCases: GpuCase[] = [
  { name: 'api: engine.destroy() leaves a caller device alive; destroyed engine and plans throw', run: destroyKeepsCallerDevice },
  { name: 'api: engine.destroy() destroys a device the engine created', run: destroyOwnDevice },
  { name: 'api: unknown keys are refused with the nearest valid key (desc, options, quant, activation, bias, shapes, bindings)', run: unknownKeys },
  { name: 'api: NaN/Inf and misplaced bias/preluWeights, malformed expectedSize refused at creation', run: biasValues },
  { name: 'api: numpy bias/PReLU checked against the output shape at resize, before any change', run: numpyBiasAtResize },
  { name: 'api: run() checks its arguments before resizing; result types', run: runArgs },
  { name: 'api: encode() argument errors are field errors', run: encodeArgs },
  { name: 'api: candidates() agree with forcing (int8 outputs, exact Winograd bound)', run: candidatesAgree },
  { name: 'api: strides 1e9 and 2^31-1 give output size 1 (direct, im2col, depthwise, auto)', run: hugeStrides },
];
