/**
 * The inference session (createSession) on small generated models: results against a float64 reference, the
 * session's info (algorithms, verification, memory plan), input checks before any GPU work, GPU-resident outputs,
 * destroy, and a few hundred corrupted model files (each refused with a clear error, none crashing or raising a
 * WebGPU validation error — the fixture fails the case on any).
 */
import { createEngine } from '../../../src/engine/engine.ts';
import { OnnxLoadError } from '../../../src/graph/errors.ts';
import { type Tensor } from '../../../src/graph/ir.ts';
import { graphToSpec, writeOnnx, type NodeSpec, attr } from '../../../src/graph/onnx-writer.ts';
import { decodeOnnx } from '../../../src/graph/onnx-import.ts';
import { float16Model } from '../../../src/graph/float16.ts';
import { FLOAT16_RTOL } from '../../../src/graph/test-data.ts';
import { roundF16 } from '../../../src/util/float16.ts';
import { SessionError, createSession } from '../../../src/graph/session.ts';
import { conv2dReference } from '../../../src/reference/conv2d.ts';
import { mulberry32, randomF32 } from '../../../src/util/random.ts';
import type { GpuCase, GpuTestContext } from '../harness/types.ts';
import { expectThrows } from './api.ts';
import { sessionInt8Cases } from './session-int8.ts';

const N = 2, C = 5, H = 9, W = 11, K = 6;

function t(name: string, dims: number[], data: Float32Array): Tensor {
  return { name, dtype: 'float32', dims, data };
}

/** X → Conv3×3+B → Relu → Conv3×3+B → Add(Conv1×1(X)) → Relu → Y: a ResNet basic block with a projection. */
function resBlock(seed: number, roundToHalf = false) {
  const r = mulberry32(seed);
  const h = (a: Float32Array) => (roundToHalf ? a.map(roundF16) : a);
  const w1 = h(randomF32(K * C * 9, r, -0.4, 0.4));
  const b1 = h(randomF32(K, r, -0.2, 0.2));
  const w2 = h(randomF32(K * K * 9, r, -0.3, 0.3));
  const b2 = h(randomF32(K, r, -0.2, 0.2));
  const wp = h(randomF32(K * C, r, -0.5, 0.5));
  const nodes: NodeSpec[] = [
    { opType: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
    { opType: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] },
    { opType: 'Conv', name: 'conv2', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
    { opType: 'Conv', name: 'proj', inputs: ['x', 'wp'], outputs: ['p'] },
    { opType: 'Add', name: 'add', inputs: ['c2', 'p'], outputs: ['s'] },
    { opType: 'Relu', name: 'relu2', inputs: ['s'], outputs: ['y'] },
  ];
  const bytes = writeOnnx({
    opset: 17,
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', C, H, W] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: undefined }],
    initializers: [t('w1', [K, C, 3, 3], w1), t('b1', [K], b1), t('w2', [K, K, 3, 3], w2), t('b2', [K], b2), t('wp', [K, C, 1, 1], wp)],
    nodes,
  });
  const reference = (x: Float32Array): Float64Array => {
    const geo = (cin: number, k: number, pad: number) => ({ batch: N, inChannels: cin, outChannels: K, inHeight: H, inWidth: W, kernelH: k, kernelW: k, strides: [1, 1] as [number, number], pads: [pad, pad, pad, pad] as [number, number, number, number], dilations: [1, 1] as [number, number], groups: 1 });
    const ch = (b: Float32Array) => ({ shape: [K], data: b, broadcast: 'channel' as const });
    const c1 = conv2dReference(geo(C, 3, 1), { input: x, weight: w1, bias: ch(b1), activation: { type: 'relu' }, inputLayout: 'NCHW', weightLayout: 'OIHW' }).data;
    const c2 = conv2dReference(geo(K, 3, 1), { input: c1, weight: w2, bias: ch(b2), inputLayout: 'NCHW', weightLayout: 'OIHW' }).data;
    const p = conv2dReference(geo(C, 1, 0), { input: x, weight: wp, inputLayout: 'NCHW', weightLayout: 'OIHW' }).data;
    return Float64Array.from(c2, (v, i) => Math.max(0, v + p[i]));
  };
  return { bytes, reference };
}

function maxRel(y: ArrayLike<number>, ref: ArrayLike<number>): { abs: number; rel: number } {
  let abs = 0;
  let mag = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(y[i] - ref[i]);
    abs = Number.isNaN(d) ? Infinity : Math.max(abs, d);
    mag = Math.max(mag, Math.abs(ref[i]));
  }
  return { abs, rel: abs / (mag || 1) };
}

async function resBlockMatchesReference(t: GpuTestContext): Promise<void> {
  const engine = await createEngine({ device: t.device });
  const { bytes, reference } = resBlock(7);
  const x = randomF32(N * C * H * W, mulberry32(11), -1, 1);
  const ref = reference(x);
  for (const algorithm of ['direct', 'im2col', 'winograd2', 'winograd4', undefined]) {
    const session = await createSession(engine, bytes, { inputShapes: { x: [N, C, H, W] }, algorithms: algorithm ? { conv2: algorithm } : undefined });
    try {
      const fused = session.info.nodes.filter((n) => n.opType === 'FusedConv' || n.opType === 'Conv');
      if (fused.length !== 3) throw new Error(`expected 3 convolutions after fusion, got ${session.info.nodes.map((n) => n.opType).join(', ')}`);
      const y = (await session.run({ x })).y;
      const e = maxRel(y, ref);
      t.log(`conv2=${algorithm ?? 'auto'}: ${session.info.nodes.map((n) => `${n.name}:${n.algorithm}`).join(' ')} maxAbs ${e.abs.toExponential(2)} maxRel ${e.rel.toExponential(2)}`);
      if (!(e.rel <= 1e-4)) throw new Error(`conv2=${algorithm ?? 'auto'}: max rel error ${e.rel} > 1e-4 (max abs ${e.abs})`);
      const again = (await session.run({ x })).y;
      if (again.some((v, i) => v !== y[i])) throw new Error('a second run gave different results');
      const m = session.info.memory;
      if (!(m.weightBytes > 0 && m.peakLiveBytes > 0 && m.arenaBytes <= 1.25 * m.peakLiveBytes)) throw new Error(`memory ${JSON.stringify(m)}: arena must be <= 1.25 x peak live bytes`);
      for (const n of fused) if (!n.verification || !n.kernelIds.length) throw new Error(`node ${n.name}: no verification/kernels in info: ${JSON.stringify(n)}`);
    } finally {
      session.destroy();
    }
  }
  engine.destroy();
}

async function runChecksAndGpuOutputs(t: GpuTestContext): Promise<void> {
  const engine = await createEngine({ device: t.device });
  const { bytes, reference } = resBlock(3);
  const session = await createSession(engine, bytes, { inputShapes: { x: [N, C, H, W] } });
  const x = randomF32(N * C * H * W, mulberry32(5), -1, 1);
  await expectThrows('wrong name', () => session.run({ images: x } as never), /'images' is not a model input.*'x'/);
  await expectThrows('missing input', () => session.run({}), /'x'.*missing/);
  await expectThrows('wrong size', () => session.run({ x: x.subarray(1) }), /'x' has 1088 elements.*needs 1089|'x' has \d+ elements/);
  await expectThrows('wrong dtype', () => session.run({ x: new Float64Array(x.length) } as never), /Float32Array or a GPUBuffer, got Float64Array/);
  const src = t.upload(x, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
  const out = await session.run({ x: src }, { keepOnGpu: true });
  const y = await t.readF32(out.y, N * K * H * W);
  out.y.destroy();
  const e = maxRel(y, reference(x));
  if (!(e.rel <= 1e-4)) throw new Error(`GPU input/output: max rel error ${e.rel}`);
  // A new input shape re-plans the session (resize): batch 1, then the old size again.
  await session.resize({ x: [1, C, H, W] });
  if (session.info.inputs[0].shape[0] !== 1) throw new Error(`after resize: input shape ${session.info.inputs[0].shape}`);
  const x1 = x.subarray(0, C * H * W);
  const y1 = (await session.run({ x: x1 })).y;
  const ref1 = reference(x).subarray(0, K * H * W);
  const e1 = maxRel(y1, ref1);
  if (!(e1.rel <= 1e-4)) throw new Error(`after resize to batch 1: max rel error ${e1.rel}`);
  await expectThrows('old size after resize', () => session.run({ x }), /'x' has \d+ elements; its shape \[1, 5, 9, 11\] needs 495/);
  session.destroy();
  await expectThrows('run after destroy', () => session.run({ x }), /destroyed/);
  await expectThrows('unknown option', () => createSession(engine, bytes, { inputShape: {} } as never), /options\.inputShape: unknown key/);
  await expectThrows('symbolic batch not given', () => createSession(engine, bytes), /symbolic shape.*inputShapes/);
  await expectThrows('bad algorithm node', () => createSession(engine, bytes, { inputShapes: { x: [1, C, H, W] }, algorithms: { relu1: 'direct' } }), /algorithms names 'relu1'/);
  engine.destroy();
}

async function corruptedModels(t: GpuTestContext): Promise<void> {
  const engine = await createEngine({ device: t.device });
  const { bytes } = resBlock(1);
  const r = mulberry32(99);
  let refused = 0;
  let loaded = 0;
  for (let i = 0; i < 240; i++) {
    const b = bytes.slice();
    let what: string;
    if (i % 2 === 0) {
      const len = Math.floor(r() * bytes.length);
      what = `truncated to ${len} bytes`;
      try {
        const s = await createSession(engine, b.subarray(0, len), { inputShapes: { x: [1, C, H, W] } });
        s.destroy();
        loaded++;
      } catch (e) {
        if (!(e instanceof OnnxLoadError || e instanceof SessionError)) throw new Error(`${what}: ${(e as Error).name}: ${(e as Error).message}`);
        refused++;
      }
      continue;
    }
    const pos = Math.floor(r() * bytes.length);
    b[pos] ^= 1 << Math.floor(r() * 8);
    what = `bit flip at byte ${pos}`;
    try {
      const s = await createSession(engine, b, { inputShapes: { x: [1, C, H, W] } });
      s.destroy();
      loaded++;
    } catch (e) {
      const name = (e as Error).name;
      if (!(e instanceof OnnxLoadError || e instanceof SessionError || name === 'ConvDescError')) throw new Error(`${what}: unexpected ${name}: ${(e as Error).message}`);
      refused++;
    }
  }
  t.log(`240 corrupted models: ${refused} refused with a clear error, ${loaded} still valid and loaded`);
  engine.destroy();
}

/**
 * float16 sessions (issue 14): an fp32 model with precision 'float16' (weights rounded at load, every float
 * activation stored as binary16: half the arena), and a float16 model with float32 I/O through Cast nodes (as ONNX
 * Runtime's converter writes with keep_io_types), which runs at precision 'float16' by default. Judged against the
 * float64 reference with FLOAT16_RTOL, the runtime's float16 tolerance (src/graph/test-data.ts).
 */
async function float16Sessions(t: GpuTestContext): Promise<void> {
  const engine = await createEngine({ device: t.device });
  const { bytes, reference } = resBlock(21);
  const x = randomF32(N * C * H * W, mulberry32(22), -1, 1).map(roundF16);
  const inputShapes = { x: [N, C, H, W] };
  const s32 = await createSession(engine, bytes, { inputShapes });
  const s16 = await createSession(engine, bytes, { inputShapes, precision: 'float16' });
  try {
    if (s32.info.precision !== 'float32' || s16.info.precision !== 'float16') throw new Error(`precision ${s32.info.precision} / ${s16.info.precision}`);
    const ratio = s16.info.memory.arenaBytes / s32.info.memory.arenaBytes;
    t.log(`arena float32 ${s32.info.memory.arenaBytes} bytes, float16 ${s16.info.memory.arenaBytes} bytes (${ratio.toFixed(3)}); kernels ${s16.info.nodes.map((n) => n.kernelIds.join('+')).join(' | ')}`);
    if (!(ratio >= 0.45 && ratio <= 0.55)) throw new Error(`float16 arena is ${ratio.toFixed(3)} of the float32 one; expected about half`);
    for (const n of s16.info.nodes) if (n.kernelIds.some((k) => !/_f16/.test(k))) throw new Error(`node ${n.name}: a kernel without f16 storage: ${n.kernelIds.join(', ')}`);
    const y = (await s16.run({ x })).y;
    if (!(y instanceof Float32Array)) throw new Error('a float16 session returns Float32Array outputs');
    const e = maxRel(y, reference(x));
    t.log(`precision float16: maxRel ${e.rel.toExponential(2)} vs float64`);
    if (!(e.rel <= FLOAT16_RTOL)) throw new Error(`precision float16: max rel error ${e.rel} > ${FLOAT16_RTOL}`);
    if (!(e.rel > 1e-5)) throw new Error(`precision float16: max rel error ${e.rel}: too small for binary16 storage (did it run in float32?)`);
  } finally {
    s32.destroy();
    s16.destroy();
  }
  // A float16 model with float32 input and output: x → Cast(FLOAT16) → the block in float16 → Cast(FLOAT) → y.
  const half = float16Model(bytes, inputShapes);
  const g = decodeOnnx(half);
  const spec = graphToSpec(g);
  spec.inputs = [{ name: 'x32', dtype: 'float32', shape: [N, C, H, W] }];
  spec.outputs = [{ name: 'y32', dtype: 'float32', shape: [N, K, H, W] }];
  spec.nodes = [{ opType: 'Cast', name: 'cast_in', inputs: ['x32'], outputs: ['x'], attributes: { to: attr.int(10) } }, ...spec.nodes, { opType: 'Cast', name: 'cast_out', inputs: ['y'], outputs: ['y32'], attributes: { to: attr.int(1) } }];
  const model = writeOnnx(spec);
  const s = await createSession(engine, model);
  try {
    if (s.info.precision !== 'float16') throw new Error(`a float16 model runs at precision ${s.info.precision}; expected float16 by default`);
    const y = (await s.run({ x32: x })).y32;
    // The reference takes the weights as the file holds them: rounded to binary16.
    const { reference: ref16 } = resBlock(21, true);
    const e = maxRel(y, ref16(x));
    t.log(`float16 model (Cast in/out): maxRel ${e.rel.toExponential(2)} vs float64 of its binary16 weights`);
    if (!(e.rel <= FLOAT16_RTOL)) throw new Error(`float16 model: max rel error ${e.rel} > ${FLOAT16_RTOL}`);
  } finally {
    s.destroy();
  }
  await expectThrows('bad precision', () => createSession(engine, bytes, { inputShapes, precision: 'half' as never }), /options\.precision = "half": must be 'float32' or 'float16'/);
  engine.destroy();
}

export const sessionCases: GpuCase[] = [
  { name: 'session float16: precision float16 halves the arena; a float16 model with Cast I/O runs at float16', run: float16Sessions },
  { name: 'session: ResNet block (conv, relu, projection, residual add) matches float64 for every algorithm', run: resBlockMatchesReference },
  { name: 'session: run() input checks before GPU work, GPU-buffer inputs and outputs, destroy, option checks', run: runChecksAndGpuOutputs },
  { name: 'session: 240 truncated or bit-flipped models are refused with a clear error or load', run: corruptedModels },
  ...sessionInt8Cases,
];
