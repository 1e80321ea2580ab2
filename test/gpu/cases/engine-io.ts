/**
 * The engine's io contract for a runtime that drives plans inside one memory arena: encode into the caller's
 * command encoder or compute pass, buffers as byte ranges, external workspace, shared-buffer bindings, the
 * fused epilogue's residual input and parametric activations, concurrent plan creation.
 */
import { normalizeActivation, type Conv2dDesc } from '../../../src/conv/desc.ts';
import type { ConvGeometry } from '../../../src/conv/types.ts';
import { compareWithEngineTolerance } from '../../../src/engine/verify.ts';
import { ConvDescError } from '../../../src/conv/validate.ts';
import { Engine } from '../../../src/engine/engine.ts';
import type { ConvIo } from '../../../src/engine/plan.ts';
import { mulberry32, randomF32 } from '../../../src/util/random.ts';
import type { GpuCase, GpuTestContext } from '../harness/types.ts';

async function expectFieldError(what: string, f: () => unknown, field: string, rule: RegExp): Promise<void> {
  let err: unknown;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof ConvDescError)) throw new Error(`${what}: expected a ConvDescError on '${field}' (${rule}), got ${err === undefined ? 'no error' : String(err)}`);
  if (err.field !== field || !rule.test(err.message)) throw new Error(`${what}: expected field '${field}' matching ${rule}, got field '${err.field}': ${err.message}`);
}

const SIZE = { batch: 2, height: 9, width: 7 };
const FP32_ALGOS = ['direct', 'im2col', 'winograd2', 'winograd4', 'winograd6'] as const;

function descFor(algorithm: string, extra: Partial<Conv2dDesc> = {}): Conv2dDesc {
  return { inChannels: 3, outChannels: 13, kernelSize: 3, pads: [1, 1, 1, 1], layout: 'NHWC', algorithm: algorithm as Conv2dDesc['algorithm'], ...extra };
}

function weightsFor(d: Conv2dDesc, seed: number): Float32Array {
  const k = typeof d.kernelSize === 'number' ? d.kernelSize * d.kernelSize : d.kernelSize[0] * d.kernelSize[1];
  return randomF32(d.outChannels * (d.inChannels / (d.groups ?? 1)) * k, mulberry32(seed), -0.5, 0.5);
}

/** Submits `record` and reads `bytes` of `buffer` from `offset`. */
async function submitAndRead(t: GpuTestContext, record: (enc: GPUCommandEncoder) => void, buffer: GPUBuffer, offset: number, count: number): Promise<Float32Array> {
  const staging = t.buffer({ size: count * 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const enc = t.device.createCommandEncoder();
  record(enc);
  enc.copyBufferToBuffer(buffer, offset, staging, 0, count * 4);
  t.device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  return out;
}

function sameValues(what: string, got: Float32Array, want: Float32Array): void {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} values, expected ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`${what}: [${i}] = ${got[i]}, expected ${want[i]} (as run() gives)`);
  }
}

/** Byte ranges at aligned offsets, encoded into the caller's pass and into the caller's encoder, equal run(). */
async function byteRanges(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const align = t.device.limits.minStorageBufferOffsetAlignment;
  for (const algorithm of FP32_ALGOS) {
    const d = descFor(algorithm);
    const plan = await engine.createConv2d(d, { weights: weightsFor(d, 3), bias: randomF32(13, mulberry32(4)) });
    const { outputShape } = plan.resize(SIZE);
    const x = randomF32(SIZE.batch * SIZE.height * SIZE.width * 3, mulberry32(5));
    const want = (await plan.run(x)) as Float32Array;
    const bytes = plan.byteSizes();
    const inOff = 2 * align;
    const outOff = 3 * align;
    const input = t.buffer({ size: inOff + bytes.input + align, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    t.device.queue.writeBuffer(input, inOff, x);
    const output = t.buffer({ size: outOff + 2 * bytes.output + 2 * align, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const outOff2 = Math.ceil((outOff + bytes.output) / align) * align;
    const where = `${algorithm} ${outputShape}`;
    const inPass = await submitAndRead(t, (enc) => {
      const pass = enc.beginComputePass();
      plan.encode(pass, { input: { buffer: input, offset: inOff, size: bytes.input }, output: { buffer: output, offset: outOff, size: bytes.output } });
      plan.encode(pass, { input: { buffer: input, offset: inOff }, output: { buffer: output, offset: outOff2 } });
      pass.end();
    }, output, outOff, want.length);
    sameValues(`${where}: encoded into the caller's pass`, inPass, want);
    const second = await submitAndRead(t, (enc) => plan.encode(enc, { input: { buffer: input, offset: inOff }, output: { buffer: output, offset: outOff2 } }), output, outOff2, want.length);
    sameValues(`${where}: encoded into the caller's encoder, second range`, second, want);
    t.log(`${where}: ranges ok (${plan.info.kernels.join(', ')})`);
    await expectFieldError('misaligned offset', () => plan.encode(t.device.createCommandEncoder(), { input: { buffer: input, offset: 4 }, output }), 'input.offset', new RegExp(`multiple of .*minStorageBufferOffsetAlignment \\(${align}\\)`));
    await expectFieldError('short range', () => plan.encode(t.device.createCommandEncoder(), { input: { buffer: input, offset: inOff, size: bytes.input - 4 }, output }), 'input.size', new RegExp(`>= ${bytes.input} bytes`));
    await expectFieldError('range past the end', () => plan.encode(t.device.createCommandEncoder(), { input, output: { buffer: output, offset: 0, size: output.size + 4 } }), 'output.size', /must fit in the buffer/);
    await expectFieldError('one buffer without sharedBuffers', () => plan.encode(t.device.createCommandEncoder(), { input: { buffer: output, offset: 0 }, output: { buffer: output, offset: outOff2 } }), 'output', /sharedBuffers/);
    plan.destroy();
  }
}

/** An external workspace: the plan allocates none; ranges of the caller's arena give run()'s results; refusals. */
async function externalWorkspace(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const align = t.device.limits.minStorageBufferOffsetAlignment;
  for (const algorithm of FP32_ALGOS) {
    const d = descFor(algorithm);
    const w = weightsFor(d, 6);
    const internal = await engine.createConv2d(d, { weights: w });
    const plan = await engine.createConv2d(d, { weights: w, workspace: 'external' });
    internal.resize(SIZE);
    const r = plan.resize(SIZE);
    if (plan.info.kernels.map((k) => k.replace(/_wsrw$/, '')).join() !== internal.info.kernels.join()) throw new Error(`${algorithm}: external-workspace kernels ${plan.info.kernels} differ from ${internal.info.kernels}`);
    if (algorithm.startsWith('winograd') !== r.workspaceBytes > 0) throw new Error(`${algorithm}: workspaceBytes ${r.workspaceBytes} for an external workspace`);
    const x = randomF32(SIZE.batch * SIZE.height * SIZE.width * 3, mulberry32(7));
    const want = (await internal.run(x)) as Float32Array;
    sameValues(`${algorithm}: run() with a temporary external workspace`, (await plan.run(x)) as Float32Array, want);
    const bytes = plan.byteSizes();
    const wsOff = align;
    const arena = t.buffer({ size: wsOff + Math.max(r.workspaceBytes, 16) + align, usage: GPUBufferUsage.STORAGE });
    const input = t.upload(x);
    const output = t.buffer({ size: bytes.output, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const io: ConvIo = { input, output };
    if (r.workspaceBytes > 0) io.workspace = { buffer: arena, offset: wsOff, size: r.workspaceBytes };
    else io.workspace = { buffer: arena, offset: wsOff };
    const got = await submitAndRead(t, (enc) => plan.encode(enc, io), output, 0, want.length);
    sameValues(`${algorithm}: encode with the workspace at offset ${wsOff} of an arena`, got, want);
    if (r.workspaceBytes > 0) await expectFieldError('no workspace', () => plan.encode(t.device.createCommandEncoder(), { input, output }), 'bindings.workspace', /is required: .*workspace: 'external'/);
    if (r.workspaceBytes > 16) await expectFieldError('short workspace', () => plan.encode(t.device.createCommandEncoder(), { input, output, workspace: { buffer: arena, offset: wsOff, size: r.workspaceBytes - 4 } }), 'workspace.size', new RegExp(`>= ${r.workspaceBytes} bytes`));
    await expectFieldError('workspace to an internal plan', () => internal.encode(t.device.createCommandEncoder(), { input, output, workspace: arena }), 'bindings.workspace', /workspace 'internal'/);
    t.log(`${algorithm}: external workspace ${r.workspaceBytes} bytes ok`);
    plan.destroy();
    internal.destroy();
  }
  await expectFieldError('workspace option', () => engine.createConv2d(descFor('direct'), { weights: weightsFor(descFor('direct'), 1), workspace: 'shared' as never }), 'workspace', /'internal' or 'external'/);
}

/** Ranges of one buffer as input, output, residual and workspace (sharedBuffers): no validation error, right values. */
async function sharedBuffers(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const align = t.device.limits.minStorageBufferOffsetAlignment;
  const up = (n: number) => Math.ceil(n / align) * align;
  for (const algorithm of [...FP32_ALGOS, 'depthwise'] as const) {
    const d = algorithm === 'depthwise' ? descFor('direct', { inChannels: 13, groups: 13 }) : descFor(algorithm);
    const w = weightsFor(d, 8);
    const opts = { weights: w, bias: randomF32(13, mulberry32(9)), residual: true, preActivation: 'relu' as const };
    const plain = await engine.createConv2d({ ...d, activation: 'relu6' }, opts);
    const plan = await engine.createConv2d({ ...d, activation: 'relu6' }, { ...opts, sharedBuffers: true, workspace: 'external' });
    if (!plan.info.kernels.every((k) => k.endsWith('_rw'))) throw new Error(`${algorithm}: shared-buffers kernels ${plan.info.kernels} do not all end in _rw`);
    plain.resize(SIZE);
    const r = plan.resize(SIZE);
    const bytes = plan.byteSizes();
    const x = randomF32(bytes.input / 4, mulberry32(10));
    const res = randomF32(bytes.output / 4, mulberry32(11));
    const want = (await plain.run(x, undefined, { residual: res })) as Float32Array;
    const inOff = 0;
    const resOff = up(inOff + bytes.input);
    const outOff = up(resOff + bytes.output);
    const wsOff = up(outOff + bytes.output);
    const one = t.buffer({ size: wsOff + Math.max(16, r.workspaceBytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    t.device.queue.writeBuffer(one, inOff, x);
    t.device.queue.writeBuffer(one, resOff, res);
    const io: ConvIo = {
      input: { buffer: one, offset: inOff, size: bytes.input },
      residual: { buffer: one, offset: resOff, size: bytes.output },
      output: { buffer: one, offset: outOff, size: bytes.output },
      workspace: { buffer: one, offset: wsOff },
    };
    t.device.pushErrorScope('validation');
    const got = await submitAndRead(t, (enc) => plan.encode(enc, io), one, outOff, want.length);
    const err = await t.device.popErrorScope();
    if (err) throw new Error(`${algorithm}: validation error with one shared buffer: ${err.message}`);
    sameValues(`${algorithm}: input, residual, output and workspace in one buffer`, got, want);
    await expectFieldError('overlapping output', () => plan.encode(t.device.createCommandEncoder(), { ...io, output: { buffer: one, offset: resOff, size: bytes.output } }), 'residual', /must not overlap output/);
    await expectFieldError('one buffer without sharedBuffers', () => plain.encode(t.device.createCommandEncoder(), { input: io.input, residual: io.residual, output: io.output }), 'output', /sharedBuffers: true/);
    t.log(`${algorithm}: ${plan.info.kernels.join(', ')} ok`);
    plan.destroy();
    plain.destroy();
  }
}

/**
 * A batch split into chunks (lowered maxStorageBufferBindingSize) with a residual and an external workspace, all
 * given as ranges at nonzero offsets: each chunk's residual range follows its output range; equals the unsplit plan.
 */
async function splitWithResidual(t: GpuTestContext): Promise<void> {
  const align = t.device.limits.minStorageBufferOffsetAlignment;
  const up = (n: number) => Math.ceil(n / align) * align;
  const split = new Engine(t.device, { limits: { maxStorageBufferBindingSize: 32768 } });
  const whole = new Engine(t.device);
  for (const [algorithm, batch] of [['winograd2', 4], ['direct', 20], ['im2col', 20]] as const) {
    const d: Conv2dDesc = { inChannels: 4, outChannels: 16, kernelSize: 3, pads: 1, algorithm, activation: 'relu' };
    const opts = { weights: weightsFor(d, 30), residual: true, preActivation: 'hardswish' as const, workspace: 'external' as const };
    const a = await split.createConv2d(d, opts);
    const b = await whole.createConv2d(d, opts);
    const size = { batch, height: 8, width: 8 };
    const ra = a.resize(size);
    b.resize(size);
    if (!a.info.notes.some((n) => /split into/.test(n))) throw new Error(`${algorithm}: expected a split batch, notes: ${a.info.notes.join('; ')}`);
    const bytes = a.byteSizes();
    const x = randomF32(bytes.input / 4, mulberry32(31));
    const res = randomF32(bytes.output / 4, mulberry32(32));
    const want = (await b.run(x, undefined, { residual: res })) as Float32Array;
    const inOff = align;
    const resOff = up(inOff + bytes.input);
    const wsOff = up(resOff + bytes.output);
    const src = t.buffer({ size: wsOff + Math.max(16, ra.workspaceBytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    t.device.queue.writeBuffer(src, inOff, x);
    t.device.queue.writeBuffer(src, resOff, res);
    const output = t.buffer({ size: align + bytes.output, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const io: ConvIo = { input: { buffer: src, offset: inOff, size: bytes.input }, residual: { buffer: src, offset: resOff, size: bytes.output }, output: { buffer: output, offset: align }, workspace: { buffer: src, offset: wsOff } };
    const split2 = await split.createConv2d(d, { ...opts, sharedBuffers: true });
    split2.resize(size);
    const got = await submitAndRead(t, (enc) => split2.encode(enc, io), output, align, want.length);
    sameValues(`${algorithm} batch ${batch} in chunks (${a.info.notes.join('; ')})`, got, want);
    t.log(`${algorithm}: ${a.info.notes.join('; ')}`);
    for (const p of [a, b, split2]) p.destroy();
  }
  split.destroy();
  whole.destroy();
}

/** int8 plans (direct, im2col, exact Winograd with its stage workspaces): external workspace and shared buffers give run()'s values. */
async function int8Io(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const align = t.device.limits.minStorageBufferOffsetAlignment;
  const up = (n: number) => Math.ceil(n / align) * align;
  for (const algorithm of ['direct', 'im2col', 'winograd2-exact'] as const) {
    const d: Conv2dDesc = { inChannels: 4, outChannels: 5, kernelSize: 3, pads: 1, dtype: 'uint8', algorithm };
    const weights = Array.from({ length: 5 * 4 * 9 }, (_, i) => ((i * 7) % 7) - 3);
    const quant = { output: 'uint8' as const, xScale: 0.1, wScale: 0.1, yScale: 0.5, yZeroPoint: 3 };
    const plain = await engine.createConv2d(d, { weights, quant });
    const plan = await engine.createConv2d(d, { weights, quant, workspace: 'external', sharedBuffers: true });
    const size = { batch: 2, height: 7, width: 5 };
    plain.resize(size);
    const r = plan.resize(size);
    const x = Array.from({ length: 2 * 7 * 5 * 4 }, (_, i) => (i * 37) % 256);
    const want = await plain.run(x);
    const packed = (await plan.run(x)) as Int32Array;
    if (packed.join() !== (want as Int32Array).join()) throw new Error(`${algorithm}: run() with an external workspace differs from the internal plan`);
    const bytes = plan.byteSizes();
    const one = t.buffer({ size: up(bytes.input) + up(bytes.output) + Math.max(16, r.workspaceBytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    const inputData = new Uint32Array(bytes.input / 4);
    const staged = t.buffer({ size: bytes.input, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    const plainOut = t.buffer({ size: bytes.output, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    t.device.queue.writeBuffer(staged, 0, inputData.map((_, i) => (i * 2654435761) >>> 0));
    const enc0 = t.device.createCommandEncoder();
    enc0.copyBufferToBuffer(staged, 0, one, 0, bytes.input);
    plain.encode(enc0, { input: staged, output: plainOut });
    t.device.queue.submit([enc0.finish()]);
    const ref = new Uint32Array(await t.read(plainOut, bytes.output));
    t.device.pushErrorScope('validation');
    const enc = t.device.createCommandEncoder();
    plan.encode(enc, { input: { buffer: one, offset: 0, size: bytes.input }, output: { buffer: one, offset: up(bytes.input), size: bytes.output }, workspace: { buffer: one, offset: up(bytes.input) + up(bytes.output) } });
    t.device.queue.submit([enc.finish()]);
    const err = await t.device.popErrorScope();
    if (err) throw new Error(`${algorithm}: validation error with one shared buffer: ${err.message}`);
    const got = new Uint32Array((await t.read(one, up(bytes.input) + bytes.output)).slice(up(bytes.input)));
    if (got.join() !== ref.join()) throw new Error(`${algorithm}: shared-buffer output differs from the plain plan's`);
    if ((algorithm === 'winograd2-exact') !== r.workspaceBytes > 0) throw new Error(`${algorithm}: workspaceBytes ${r.workspaceBytes} for an external workspace`);
    t.log(`${algorithm}: ${plan.info.kernels.join(', ')} (workspace ${r.workspaceBytes} bytes) ok`);
    plan.destroy();
    plain.destroy();
  }
}

const EPILOGUE_ALGOS: { name: string; desc: Partial<Conv2dDesc> & { algorithm: Conv2dDesc['algorithm'] } }[] = [
  { name: 'direct', desc: { algorithm: 'direct' } },
  { name: 'depthwise', desc: { algorithm: 'direct', inChannels: 13, groups: 13 } },
  { name: 'im2col', desc: { algorithm: 'im2col' } },
  { name: 'gemm 1×1', desc: { algorithm: 'im2col', kernelSize: 1, pads: [0, 0, 0, 0] } },
  { name: 'winograd2', desc: { algorithm: 'winograd2' } },
  { name: 'winograd4', desc: { algorithm: 'winograd4' } },
  { name: 'winograd6', desc: { algorithm: 'winograd6' } },
];

const EPILOGUE_CASES: { name: string; activation: Conv2dDesc['activation']; residual?: boolean; preActivation?: Conv2dDesc['activation'] }[] = [
  { name: 'clip', activation: { type: 'clip', min: -0.3, max: 0.4 } },
  { name: 'hardsigmoid', activation: { type: 'hardsigmoid', alpha: 0.7, beta: 0.4 } },
  { name: 'hardswish', activation: 'hardswish' },
  { name: 'residual + relu', activation: 'relu', residual: true },
  { name: 'residual with preActivation', activation: 'hardswish', residual: true, preActivation: { type: 'leakyrelu', alpha: 0.1 } },
];

/** One fp32 algorithm × the new epilogues on ugly shapes (C = 3 → 13, 9×7, batch 2, both layouts) against float64. */
async function epilogues(t: GpuTestContext, a: (typeof EPILOGUE_ALGOS)[number], ai: number): Promise<void> {
  const engine = new Engine(t.device);
  let k = ai * EPILOGUE_CASES.length;
  {
    for (const e of EPILOGUE_CASES) {
      const layout = k++ % 2 ? 'NCHW' : 'NHWC';
      const d = descFor(a.desc.algorithm!, { ...a.desc, layout, activation: e.activation });
      const w = weightsFor(d, 20 + k);
      const bias = randomF32(13, mulberry32(40 + k), -0.5, 0.5);
      const plan = await engine.createConv2d(d, { weights: w, bias, residual: e.residual, preActivation: e.preActivation });
      const { outputShape } = plan.resize(SIZE);
      const where = `${a.name} × ${e.name} (${layout}, output ${outputShape}, ${plan.info.kernels.join(', ')})`;
      const x = randomF32(SIZE.batch * SIZE.height * SIZE.width * d.inChannels, mulberry32(60 + k));
      const res = e.residual ? randomF32(outputShape.reduce((p, q) => p * q, 1), mulberry32(80 + k)) : undefined;
      const got = (await plan.run(x, undefined, res ? { residual: res } : undefined)) as Float32Array;
      const g: ConvGeometry = { batch: SIZE.batch, inChannels: d.inChannels, outChannels: 13, inHeight: SIZE.height, inWidth: SIZE.width, kernelH: plan.desc.kernelH, kernelW: plan.desc.kernelW, strides: plan.desc.strides, pads: plan.desc.pads, dilations: plan.desc.dilations, groups: plan.desc.groups };
      const cmp = compareWithEngineTolerance(got, g, {
        input: x, inputLayout: layout, weight: w, weightLayout: 'OIHW', bias: { shape: [13], data: bias, broadcast: 'channel' },
        activation: plan.desc.activation, residual: res, preActivation: e.preActivation === undefined ? undefined : normalizeActivation(e.preActivation, 'preActivation'),
      }, plan.info.algorithm, plan.desc);
      if (!cmp.pass) throw new Error(`${where}: ${cmp.message}`);
      const idPart = e.residual ? 'res' : (plan.desc.activation.type as string);
      if (!plan.info.kernels.some((id) => id.includes(idPart))) throw new Error(`${where}: no kernel ID carries '${idPart}'`);
      t.log(`${where}: error/bound ${cmp.worstRatio.toFixed(3)}`);
      plan.destroy();
    }
  }
}

/** The epilogue options' refusals: int8 plans, preActivation without residual, run() without the residual. */
async function epilogueRefusals(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const dq: Conv2dDesc = { inChannels: 4, outChannels: 4, kernelSize: 3, dtype: 'int8' };
  const quant = { output: 'int8' as const, xScale: 0.1, wScale: 0.1, yScale: 1 };
  const qw = Array.from({ length: 144 }, (_, i) => (i % 7) - 3);
  await expectFieldError('int8 residual', () => engine.createConv2d(dq, { weights: qw, quant, residual: true }), 'residual', /float32 plans/);
  await expectFieldError('int8 hardswish', () => engine.createConv2d({ ...dq, activation: 'hardswish' }, { weights: qw, quant }), 'activation.type', /not supported by int8/);
  await expectFieldError('preActivation without residual', () => engine.createConv2d(descFor('direct'), { weights: weightsFor(descFor('direct'), 1), preActivation: 'relu' }), 'preActivation', /only with residual/);
  await expectFieldError('run without residual', async () => {
    const p = await engine.createConv2d(descFor('direct'), { weights: weightsFor(descFor('direct'), 1), residual: true });
    try {
      await p.run(new Float32Array(2 * 9 * 7 * 3), SIZE);
    } finally {
      p.destroy();
    }
  }, 'extra.residual', /is required/);
}

/** ~20 plans created at once (a runtime's Promise.all over its layers) share compilations and each gives right values. */
async function concurrentPlans(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const algos = ['direct', 'im2col', 'winograd2', 'winograd4', 'direct'] as const;
  const specs = Array.from({ length: 20 }, (_, i) => {
    const d = descFor(algos[i % algos.length], { outChannels: i % 3 === 0 ? 8 : 13, layout: i % 2 ? 'NCHW' : 'NHWC', activation: i % 4 === 0 ? 'relu' : 'linear' });
    return { d, w: weightsFor(d, 100 + i) };
  });
  const before = engine.core.stats.compiled;
  const plans = await Promise.all(specs.map((s) => engine.createConv2d(s.d, { weights: s.w })));
  const ids = new Set(plans.flatMap((p) => p.info.kernels));
  const compiled = engine.core.stats.compiled - before;
  if (compiled !== ids.size) throw new Error(`${plans.length} concurrent plans use ${ids.size} distinct kernels but ${compiled} pipelines were compiled (in-flight compilations must be shared)`);
  for (const [i, plan] of plans.entries()) {
    const x = randomF32(SIZE.batch * SIZE.height * SIZE.width * 3, mulberry32(200 + i));
    const got = (await plan.run(x, SIZE)) as Float32Array;
    const d = plan.desc;
    const g: ConvGeometry = { batch: SIZE.batch, inChannels: 3, outChannels: d.outChannels, inHeight: SIZE.height, inWidth: SIZE.width, kernelH: 3, kernelW: 3, strides: d.strides, pads: d.pads, dilations: d.dilations, groups: 1 };
    const cmp = compareWithEngineTolerance(got, g, { input: x, inputLayout: d.layout, weight: specs[i].w, weightLayout: 'OIHW', activation: d.activation }, plan.info.algorithm, d);
    if (!cmp.pass) throw new Error(`plan ${i} (${plan.info.kernels.join(', ')}): ${cmp.message}`);
    plan.destroy();
  }
  t.log(`${plans.length} plans, ${ids.size} distinct kernels, ${compiled} compilations`);
}

export const engineIoCases: GpuCase[] = [
  { name: 'engine-io: byte ranges, encode into the caller pass or encoder, equal run() (every fp32 algorithm)', run: byteRanges },
  { name: 'engine-io: external workspace carved from the caller range (every fp32 algorithm)', run: externalWorkspace },
  { name: 'engine-io: sharedBuffers binds input, output, residual and workspace as ranges of one buffer', run: sharedBuffers },
  { name: 'engine-io: split batches bind residual and workspace ranges per chunk', run: splitWithResidual },
  { name: 'engine-io: int8 plans with external workspace and shared buffers', run: int8Io },
  ...EPILOGUE_ALGOS.map((a, i) => ({ name: `engine-io: epilogues clip, hardsigmoid, hardswish, residual (+ preActivation) vs float64: ${a.name}`, run: (t: GpuTestContext) => epilogues(t, a, i) })),
  { name: 'engine-io: epilogue refusals (int8, preActivation without residual, run() without residual)', run: epilogueRefusals },
  { name: 'engine-io: 20 plans created concurrently share pipeline compilations', run: concurrentPlans },
];
