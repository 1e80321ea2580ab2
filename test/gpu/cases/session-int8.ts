/**
 * The session on a quantized graph (issue 13): QLinearConv → QLinearConv (uint8 activations, int8 per-channel and
 * uint8 per-tensor weights, int32 bias, pad and stride) beside a ConvInteger whose x zero point is a run-time uint8
 * scalar (the zero-point correction path), built with onnx-writer and checked bit for bit against the exact
 * integer references (src/reference/integer.ts: QLinearConv and ConvInteger semantics); DynamicQuantizeLinear →
 * ConvInteger (the dynamic form, nothing read back between them); QLinearMatMul / MatMulInteger with batch broadcast,
 * per-column b scale and zero point and a run-time a zero point, against integer references (src/quant/requant.ts);
 * the com.microsoft QLinear* ops and MaxPool/Transpose on 8-bit values wired through the session, against the 8-bit
 * references (src/reference/quant-ops.ts).
 */
import { createEngine } from '../../../src/engine/engine.ts';
import type { Tensor } from '../../../src/graph/ir.ts';
import { attr, writeOnnx } from '../../../src/graph/onnx-writer.ts';
import { createSession } from '../../../src/graph/session.ts';
import { convIntegerReference, qlinearConvReference } from '../../../src/reference/integer.ts';
import {
  applyUnaryTableRef, buildUnaryTable, concatRef, dynamicQuantizeLinearRef, maxPoolI8Ref, qlinearBinaryRef, qlinearGlobalAveragePoolRef, qlinearSigmoidTable, stridedCopyRef,
} from '../../../src/reference/quant-ops.ts';
import { requantParams, requantizeCpu } from '../../../src/quant/requant.ts';
import { mulberry32, randomF32, randomInts } from '../../../src/util/random.ts';
import type { ConvGeometry } from '../../../src/conv/types.ts';
import type { GpuCase, GpuTestContext } from '../harness/types.ts';
import { expectThrows } from './api.ts';

const N = 2, C = 3, H = 9, W = 11, K1 = 6, K2 = 4, K3 = 5;

const scalar = (name: string, dtype: Tensor['dtype'], v: number): Tensor => ({
  name, dtype, dims: [], data: dtype === 'float32' ? new Float32Array([v]) : dtype === 'int8' ? new Int8Array([v]) : dtype === 'uint8' ? new Uint8Array([v]) : new Int32Array([v]),
});
const vec = (name: string, dtype: Tensor['dtype'], v: ArrayLike<number>, dims = [v.length]): Tensor => ({
  name, dtype, dims, data: dtype === 'float32' ? Float32Array.from(v) : dtype === 'int8' ? Int8Array.from(v) : dtype === 'uint8' ? Uint8Array.from(v) : Int32Array.from(v),
});

function geometry(cin: number, cout: number, h: number, w: number, k: number, stride: number, pad: number): ConvGeometry {
  return { batch: N, inChannels: cin, outChannels: cout, inHeight: h, inWidth: w, kernelH: k, kernelW: k, strides: [stride, stride], pads: [pad, pad, pad, pad], dilations: [1, 1], groups: 1 };
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 1;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** The model, its inputs and the exact expected outputs. */
function quantizedModel(seed: number, rounding: 'float32' | 'float64' = 'float32') {
  const r = mulberry32(seed);
  const x = randomInts(N * C * H * W, r, 0, 255);
  const xScale = Math.fround(0.02);
  const xZp = 131;
  // conv1: uint8 x · int8 per-channel weights (+ int32 bias), pads 1 → uint8
  const g1 = geometry(C, K1, H, W, 3, 1, 1);
  const w1 = randomInts(K1 * C * 9, r, -127, 127);
  const w1Zp = Array.from({ length: K1 }, (_, i) => (i % 3) - 1);
  const w1Scale = Array.from({ length: K1 }, () => Math.fround(0.002 + 0.01 * r()));
  const b1 = randomInts(K1, r, -3000, 3000);
  const acc1 = convIntegerReference(g1, { input: x, inputLayout: 'NCHW', weight: w1, weightLayout: 'OIHW', xZeroPoint: xZp, wZeroPoint: w1Zp }).data;
  const y1Scale = Math.fround((xScale * 0.012 * maxAbs(acc1)) / 100);
  const y1Zp = 120;
  const y1 = qlinearConvReference(g1, {
    input: x, inputLayout: 'NCHW', weight: w1, weightLayout: 'OIHW', xZeroPoint: xZp, wZeroPoint: w1Zp, xScale, wScale: w1Scale, yScale: y1Scale, yZeroPoint: y1Zp,
    outputDtype: 'uint8', bias: { shape: [K1], data: b1, broadcast: 'channel' }, rounding,
  }).data;
  // conv2: uint8 y1 · uint8 per-tensor weights (zp 128), stride 2 → int8
  const g2 = geometry(K1, K2, H, W, 3, 2, 0);
  const w2 = randomInts(K2 * K1 * 9, r, 0, 255);
  const w2Scale = Math.fround(0.004);
  const acc2 = convIntegerReference(g2, { input: y1, inputLayout: 'NCHW', weight: w2, weightLayout: 'OIHW', xZeroPoint: y1Zp, wZeroPoint: 128 }).data;
  const y2Scale = Math.fround((y1Scale * w2Scale * maxAbs(acc2)) / 100);
  const y2Zp = -5;
  const y2 = qlinearConvReference(g2, {
    input: y1, inputLayout: 'NCHW', weight: w2, weightLayout: 'OIHW', xZeroPoint: y1Zp, wZeroPoint: 128, xScale: y1Scale, wScale: w2Scale, yScale: y2Scale, yZeroPoint: y2Zp, outputDtype: 'int8', rounding,
  }).data;
  // conv3: ConvInteger(x, w3, x_zp at run time), pads 1 (border taps outside the image drop out of the correction)
  const g3 = geometry(C, K3, H, W, 3, 1, 1);
  const w3 = randomInts(K3 * C * 9, r, -100, 100);
  const w3Zp = 3;
  const runZp = 97;
  const acc3 = convIntegerReference(g3, { input: x, inputLayout: 'NCHW', weight: w3, weightLayout: 'OIHW', xZeroPoint: runZp, wZeroPoint: w3Zp }).data;
  const inits: Tensor[] = [
    scalar('xs', 'float32', xScale), scalar('xzp', 'uint8', xZp),
    vec('w1', 'int8', w1, [K1, C, 3, 3]), vec('w1s', 'float32', w1Scale), vec('w1zp', 'int8', w1Zp), scalar('y1s', 'float32', y1Scale), scalar('y1zp', 'uint8', y1Zp), vec('b1', 'int32', b1),
    vec('w2', 'uint8', w2, [K2, K1, 3, 3]), scalar('w2s', 'float32', w2Scale), scalar('w2zp', 'uint8', 128), scalar('y2s', 'float32', y2Scale), scalar('y2zp', 'int8', y2Zp),
    vec('w3', 'int8', w3, [K3, C, 3, 3]), scalar('w3zp', 'int8', w3Zp),
  ];
  const bytes = writeOnnx({
    opset: 17,
    inputs: [{ name: 'x', dtype: 'uint8', shape: [N, C, H, W] }, { name: 'x_zp', dtype: 'uint8', shape: [] }],
    outputs: [{ name: 'y', dtype: 'int8', shape: undefined }, { name: 'acc', dtype: 'int32', shape: undefined }],
    initializers: inits,
    nodes: [
      { opType: 'QLinearConv', name: 'qconv1', inputs: ['x', 'xs', 'xzp', 'w1', 'w1s', 'w1zp', 'y1s', 'y1zp', 'b1'], outputs: ['y1'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
      { opType: 'QLinearConv', name: 'qconv2', inputs: ['y1', 'y1s', 'y1zp', 'w2', 'w2s', 'w2zp', 'y2s', 'y2zp'], outputs: ['y'], attributes: { strides: attr.ints([2, 2]) } },
      { opType: 'ConvInteger', name: 'convint', inputs: ['x', 'w3', 'x_zp', 'w3zp'], outputs: ['acc'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
    ],
  });
  return { bytes, x: Uint8Array.from(x), runZp, y: y2, acc: acc3 };
}

function compare(what: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} elements, expected ${want.length}`);
  let bad = 0;
  const first: string[] = [];
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      bad++;
      if (first.length < 5) first.push(`[${i}] got ${got[i]}, expected ${want[i]}`);
    }
  }
  if (bad) throw new Error(`${what}: ${bad} of ${want.length} elements differ\n${first.join('\n')}`);
}

async function quantizedGraphExact(t: GpuTestContext): Promise<void> {
  for (const rounding of ['float32', 'float64'] as const) await quantizedGraphExactWith(t, rounding);
}

/** The session's requantization with ONNX Runtime's float32 product (its default) or the reference's float64 one. */
async function quantizedGraphExactWith(t: GpuTestContext, rounding: 'float32' | 'float64'): Promise<void> {
  const engine = await createEngine({ device: t.device });
  const m = quantizedModel(13, rounding);
  const session = await createSession(engine, m.bytes, rounding === 'float32' ? {} : { requantRounding: rounding });
  try {
    const info = session.info;
    const dt = (l: { name: string; dtype: string }[]) => l.map((v) => `${v.name}:${v.dtype}`).join(' ');
    if (dt(info.inputs) !== 'x:uint8 x_zp:uint8' || dt(info.outputs) !== 'y:int8 acc:int32') throw new Error(`info dtypes: inputs ${dt(info.inputs)}, outputs ${dt(info.outputs)}`);
    const out = await session.run({ x: m.x, x_zp: new Uint8Array([m.runZp]) });
    if (!(out.y instanceof Int8Array) || !(out.acc instanceof Int32Array)) throw new Error(`output types: y ${out.y?.constructor.name}, acc ${out.acc?.constructor.name}`);
    compare('QLinearConv → QLinearConv (y, int8)', out.y, m.y);
    compare('ConvInteger with a run-time x zero point (acc, int32)', out.acc, m.acc);
    const nodes = info.nodes.map((n) => `${n.name}: ${n.algorithm} ${n.kernelIds.join('+')}`);
    t.log(`${rounding} rounding: y ${m.y.length} and acc ${m.acc.length} elements bit-exact; ${nodes.join('; ')}`);
    await expectThrows('int8 input as Float32Array', () => session.run({ x: new Float32Array(m.x.length), x_zp: new Uint8Array(1) }), /'x' \(uint8\) must be a Uint8Array or a GPUBuffer, got Float32Array/);
    const addU8 = writeOnnx({
      opset: 17, inputs: [{ name: 'a', dtype: 'uint8', shape: [4] }], outputs: [{ name: 'b', dtype: 'uint8', shape: undefined }],
      nodes: [{ opType: 'Add', name: 'add', inputs: ['a', 'a'], outputs: ['b'] }],
    });
    await expectThrows('Add on uint8 refused at load', () => createSession(engine, addU8), /node 'add' \(Add\): value 'a' is uint8 at run time; Add runs on float32 values only/);
    const runScale = writeOnnx({
      opset: 17, inputs: [{ name: 'x', dtype: 'float32', shape: [4] }, { name: 's', dtype: 'float32', shape: [] }], outputs: [{ name: 'q', dtype: 'uint8', shape: undefined }],
      nodes: [{ opType: 'QuantizeLinear', name: 'q', inputs: ['x', 's'], outputs: ['q'] }],
    });
    await expectThrows('run-time scale refused at load', () => createSession(engine, runScale), /node 'q' \(QuantizeLinear\): the scale \(input 1, 's'\) must be known at load/);
  } finally {
    session.destroy();
    engine.destroy();
  }
}

/**
 * float x → DynamicQuantizeLinear → ConvInteger(x_q, w, x_zp) → Cast → Mul(y_scale) → Mul(w_scale), the dynamic form a
 * dynamically quantized model (imgly's ISNet) ships: y_scale, y_zero_point, the int32 result and the float result exact.
 */
async function dynamicConvInteger(t: GpuTestContext): Promise<void> {
  const r = mulberry32(21);
  const g = geometry(C, K3, H, W, 3, 1, 1);
  const w = randomInts(K3 * C * 9, r, -127, 127);
  const bytes = writeOnnx({
    opset: 17,
    inputs: [{ name: 'x', dtype: 'float32', shape: [N, C, H, W] }],
    outputs: [{ name: 'acc', dtype: 'int32', shape: undefined }, { name: 's', dtype: 'float32', shape: undefined }, { name: 'z', dtype: 'uint8', shape: undefined }, { name: 'f', dtype: 'float32', shape: undefined }],
    initializers: [vec('w', 'int8', w, [K3, C, 3, 3]), scalar('ws', 'float32', 0.01)],
    nodes: [
      { opType: 'DynamicQuantizeLinear', name: 'dq', inputs: ['x'], outputs: ['xq', 's', 'z'] },
      { opType: 'ConvInteger', name: 'ci', inputs: ['xq', 'w', 'z'], outputs: ['acc'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
      { opType: 'Cast', name: 'cast', inputs: ['acc'], outputs: ['accf'], attributes: { to: attr.int(1) } },
      { opType: 'Mul', name: 'scale', inputs: ['accf', 's'], outputs: ['sx'] },
      { opType: 'Mul', name: 'wscale', inputs: ['sx', 'ws'], outputs: ['f'] },
    ],
  });
  const engine = await createEngine({ device: t.device });
  const session = await createSession(engine, bytes);
  try {
    for (const [lo, hi] of [[-0.7, 2.3], [0.1, 0.9]]) {
      const x = randomF32(N * C * H * W, r, lo, hi);
      const q = dynamicQuantizeLinearRef(x);
      const acc = convIntegerReference(g, { input: q.y, inputLayout: 'NCHW', weight: w, weightLayout: 'OIHW', xZeroPoint: q.zeroPoint }).data;
      const out = await session.run({ x });
      compare(`y_scale (x in [${lo}, ${hi}])`, out.s, [Math.fround(q.scale)]);
      compare(`y_zero_point (x in [${lo}, ${hi}])`, out.z, [q.zeroPoint]);
      compare(`ConvInteger of the quantized x (x in [${lo}, ${hi}])`, out.acc, acc);
      const ws = Math.fround(0.01);
      compare(`Cast → Mul(y_scale) → Mul(w_scale) (x in [${lo}, ${hi}])`, out.f, Float32Array.from(acc, (v) => Math.fround(Math.fround(Math.fround(v) * Math.fround(q.scale)) * ws)));
      t.log(`x in [${lo}, ${hi}]: scale ${q.scale}, zero point ${q.zeroPoint}, ${acc.length} accumulators bit-exact`);
    }
  } finally {
    session.destroy();
    engine.destroy();
  }
}

/** QLinearMatMul [2, 3, 5] × constant int8 [5, 4] (per-column scale/zp) and MatMulInteger [3, 5] × [2, 5, 4] (a zp at run time). */
async function integerMatmuls(t: GpuTestContext): Promise<void> {
  const r = mulberry32(33);
  const a = randomInts(2 * 3 * 5, r, 0, 255);
  const b = randomInts(5 * 4, r, -128, 127);
  const bZp = [0, 3, -2, 7];
  const bScale = [0.01, 0.02, 0.015, 0.03].map(Math.fround);
  const aScale = Math.fround(0.05);
  const aZp = 120;
  const yScale = Math.fround(0.4);
  const yZp = 10;
  const a2 = randomInts(3 * 5, r, -128, 127);
  const b2 = randomInts(2 * 5 * 4, r, -128, 127);
  const runZp = -9;
  const bytes = writeOnnx({
    opset: 17,
    inputs: [{ name: 'a', dtype: 'uint8', shape: [2, 3, 5] }, { name: 'a2', dtype: 'int8', shape: [3, 5] }, { name: 'b2', dtype: 'int8', shape: [2, 5, 4] }, { name: 'azp', dtype: 'int8', shape: [] }],
    outputs: [{ name: 'y', dtype: 'uint8', shape: undefined }, { name: 'i', dtype: 'int32', shape: undefined }],
    initializers: [
      scalar('as', 'float32', aScale), scalar('az', 'uint8', aZp), vec('b', 'int8', b, [5, 4]), vec('bs', 'float32', bScale), vec('bz', 'int8', bZp),
      scalar('ys', 'float32', yScale), scalar('yz', 'uint8', yZp),
    ],
    nodes: [
      { opType: 'QLinearMatMul', name: 'qmm', inputs: ['a', 'as', 'az', 'b', 'bs', 'bz', 'ys', 'yz'], outputs: ['y'] },
      { opType: 'MatMulInteger', name: 'mmi', inputs: ['a2', 'b2', 'azp'], outputs: ['i'] },
    ],
  });
  const rq = requantParams(aScale, bScale, yScale);
  const y: number[] = [];
  for (let bt = 0; bt < 2; bt++) {
    for (let m = 0; m < 3; m++) {
      for (let n = 0; n < 4; n++) {
        let acc = 0;
        for (let k = 0; k < 5; k++) acc += (a[(bt * 3 + m) * 5 + k] - aZp) * (b[k * 4 + n] - bZp[n]);
        y.push(requantizeCpu(acc, rq.m0[n], rq.shift[n], yZp, 0, 255, 'float32'));
      }
    }
  }
  const i: number[] = [];
  for (let bt = 0; bt < 2; bt++) {
    for (let m = 0; m < 3; m++) {
      for (let n = 0; n < 4; n++) {
        let acc = 0;
        for (let k = 0; k < 5; k++) acc += (a2[m * 5 + k] - runZp) * b2[(bt * 5 + k) * 4 + n];
        i.push(acc);
      }
    }
  }
  const engine = await createEngine({ device: t.device });
  const session = await createSession(engine, bytes);
  try {
    const out = await session.run({ a: Uint8Array.from(a), a2: Int8Array.from(a2), b2: Int8Array.from(b2), azp: new Int8Array([runZp]) });
    compare('QLinearMatMul (uint8 × int8 per column → uint8)', out.y, y);
    compare('MatMulInteger (broadcast A, run-time a zero point)', out.i, i);
    t.log(`QLinearMatMul ${y.length} and MatMulInteger ${i.length} outputs bit-exact`);
  } finally {
    session.destroy();
    engine.destroy();
  }
}

/**
 * QLinearAdd → QLinearSigmoid → MaxPool → QLinearGlobalAveragePool, QLinearConcat along the last axis (two parts
 * requantized, a MaxPool output in the output's scale copied), Transpose and QLinearMul on uint8.
 */
async function qoperatorOps(t: GpuTestContext): Promise<void> {
  const r = mulberry32(45);
  const a = randomInts(4 * 6 * 6, r, 0, 255);
  const b = randomInts(4, r, 0, 255);
  const f = Math.fround;
  const q = { a: { scale: f(0.02), zeroPoint: 128 }, b: { scale: f(0.05), zeroPoint: 100 }, c: { scale: f(0.04), zeroPoint: 120 }, s: { scale: f(1 / 256), zeroPoint: 0 }, g: { scale: f(1 / 300), zeroPoint: 10 }, y: { scale: f(0.03), zeroPoint: 125 }, m: { scale: f(0.01), zeroPoint: 5 } };
  const init = (k: keyof typeof q) => [scalar(`s_${k}`, 'float32', q[k].scale), scalar(`z_${k}`, 'uint8', q[k].zeroPoint)];
  const ms = (opType: string, name: string, inputs: string[], outputs: string[], attributes = {}) => ({ opType, name, domain: 'com.microsoft', inputs, outputs, attributes });
  const bytes = writeOnnx({
    opset: { '': 17, 'com.microsoft': 1 },
    inputs: [{ name: 'a', dtype: 'uint8', shape: [1, 4, 6, 6] }, { name: 'b', dtype: 'uint8', shape: [1, 4, 1, 1] }],
    outputs: ['gap', 'cat', 'tr', 'mul', 'rs'].map((name) => ({ name, dtype: 'uint8' as const, shape: undefined })),
    initializers: [...(Object.keys(q) as (keyof typeof q)[]).flatMap(init), vec('rs_scales', 'float32', [1, 1, 2, 1.5])],
    nodes: [
      ms('QLinearAdd', 'add', ['a', 's_a', 'z_a', 'b', 's_b', 'z_b', 's_c', 'z_c'], ['add']),
      ms('QLinearSigmoid', 'sig', ['add', 's_c', 'z_c', 's_s', 'z_s'], ['sig']),
      { opType: 'MaxPool', name: 'mp', inputs: ['sig'], outputs: ['mp2'], attributes: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) } },
      { opType: 'MaxPool', name: 'mp6', inputs: ['sig'], outputs: ['mp'], attributes: { kernel_shape: attr.ints([1, 2]), strides: attr.ints([1, 2]) } },
      ms('QLinearGlobalAveragePool', 'gap', ['mp2', 's_s', 'z_s', 's_g', 'z_g'], ['gap']),
      ms('QLinearConcat', 'cat', ['s_y', 'z_y', 'a', 's_a', 'z_a', 'add', 's_c', 'z_c', 'mp', 's_y', 'z_y'], ['cat'], { axis: attr.int(3) }),
      { opType: 'Transpose', name: 'tr', inputs: ['sig'], outputs: ['tr'], attributes: { perm: attr.ints([0, 2, 3, 1]) } },
      ms('QLinearMul', 'mul', ['a', 's_a', 'z_a', 'a', 's_a', 'z_a', 's_m', 'z_m'], ['mul']),
      { opType: 'Resize', name: 'rs', inputs: ['sig', '', 'rs_scales'], outputs: ['rs'], attributes: { mode: attr.string('nearest') } },
    ],
  });
  const u8 = { dtype: 'uint8' as const };
  const add = qlinearBinaryRef('add', { shape: [1, 4, 6, 6], data: a, ...q.a }, { shape: [1, 4, 1, 1], data: b, ...q.b }, q.c, 'uint8').data;
  const sig = applyUnaryTableRef(add, qlinearSigmoidTable({ ...q.c, ...u8 }, { ...q.s, ...u8 }), 'uint8');
  const mp = maxPoolI8Ref(sig, [1, 4, 6, 6], { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], out: [3, 3] }, 'uint8');
  const gap = qlinearGlobalAveragePoolRef(mp, [1, 4, 3, 3], q.s, q.g, 'uint8');
  const mp6 = maxPoolI8Ref(sig, [1, 4, 6, 6], { kernel: [1, 2], strides: [1, 2], pads: [0, 0, 0, 0], dilations: [1, 1], out: [6, 3] }, 'uint8');
  const cat = concatRef([
    { shape: [1, 4, 6, 6], data: applyUnaryTableRef(a, buildUnaryTable((v) => v, { ...q.a, ...u8 }, { ...q.y, ...u8 }), 'uint8') },
    { shape: [1, 4, 6, 6], data: applyUnaryTableRef(add, buildUnaryTable((v) => v, { ...q.c, ...u8 }, { ...q.y, ...u8 }), 'uint8') },
    { shape: [1, 4, 6, 3], data: mp6 },
  ], 3).data;
  const tr = stridedCopyRef(sig, [1, 6, 6, 4], [144, 6, 1, 36]);
  const mul = qlinearBinaryRef('mul', { shape: [144], data: a, ...q.a }, { shape: [144], data: a, ...q.a }, q.m, 'uint8').data;
  // Resize nearest (half_pixel, round_prefer_floor) by 2 × 1.5: [1, 4, 6, 6] → [1, 4, 12, 9], indices in float64.
  const near = (o: number, scale: number, n: number) => Math.min(Math.max(Math.ceil((o + 0.5) / scale - 0.5 - 0.5), 0), n - 1);
  const rs: number[] = [];
  for (let c = 0; c < 4; c++) for (let y = 0; y < 12; y++) for (let x = 0; x < 9; x++) rs.push(sig[(c * 6 + near(y, 2, 6)) * 6 + near(x, 1.5, 6)]);
  const engine = await createEngine({ device: t.device });
  const session = await createSession(engine, bytes);
  try {
    const out = await session.run({ a: Uint8Array.from(a), b: Uint8Array.from(b) });
    compare('Resize nearest of uint8 (2 × 1.5)', out.rs, rs);
    compare('QLinearAdd → QLinearSigmoid → MaxPool → QLinearGlobalAveragePool', out.gap, gap);
    compare('QLinearConcat along the last axis (parts requantized or copied, not word-aligned)', out.cat, cat);
    compare('Transpose of uint8', out.tr, tr);
    compare('QLinearMul (A = B)', out.mul, mul);
    t.log(`gap ${gap.length}, concat ${cat.length}, transpose ${tr.length}, mul ${mul.length} outputs bit-exact; ${session.info.nodes.map((n) => n.kernelIds.join('+')).join(', ')}`);
  } finally {
    session.destroy();
    engine.destroy();
  }
}

/**
 * QLinearAdd with a scalar constant B and QLinearMul with a constant A of one repeated value (the hardswish pattern
 * of quantized PP-OCR: x · 1/6, x + 3): lowered to a 256-entry table on the other operand; every int8 byte, exact
 * against the general reference (qlinearBinaryRef), and the table kernel is the one that runs.
 */
async function qlinearConstOperand(t: GpuTestContext): Promise<void> {
  const f = Math.fround;
  const xs = Array.from({ length: 2 * 256 }, (_, i) => (i % 256) - 128);
  const q = { x: { scale: f(0.1173), zeroPoint: -3 }, k: { scale: f(0.0236), zeroPoint: -128 }, y: { scale: f(0.0235), zeroPoint: -128 }, m: { scale: f(0.16667 / 127), zeroPoint: 0 }, z: { scale: f(0.0089), zeroPoint: 4 } };
  const init = (k: keyof typeof q) => [scalar(`s_${k}`, 'float32', q[k].scale), scalar(`z_${k}`, 'int8', q[k].zeroPoint)];
  const ms = (opType: string, name: string, inputs: string[], outputs: string[]) => ({ opType, name, domain: 'com.microsoft', inputs, outputs, attributes: {} });
  const bytes = writeOnnx({
    opset: { '': 17, 'com.microsoft': 1 },
    inputs: [{ name: 'x', dtype: 'int8', shape: [2, 256] }],
    outputs: ['add', 'mul'].map((name) => ({ name, dtype: 'int8' as const, shape: undefined })),
    initializers: [...(Object.keys(q) as (keyof typeof q)[]).flatMap(init), scalar('three', 'int8', 97), vec('sixth', 'int8', [127, 127], [2, 1])],
    nodes: [
      ms('QLinearAdd', 'add', ['x', 's_x', 'z_x', 'three', 's_k', 'z_k', 's_y', 'z_y'], ['add']),
      ms('QLinearMul', 'mul', ['sixth', 's_m', 'z_m', 'x', 's_x', 'z_x', 's_z', 'z_z'], ['mul']),
    ],
  });
  const add = qlinearBinaryRef('add', { shape: [2, 256], data: xs, ...q.x }, { shape: [], data: [97], ...q.k }, q.y, 'int8').data;
  const mul = qlinearBinaryRef('mul', { shape: [2, 1], data: [127, 127], ...q.m }, { shape: [2, 256], data: xs, ...q.x }, q.z, 'int8').data;
  const engine = await createEngine({ device: t.device });
  const session = await createSession(engine, bytes);
  try {
    const out = await session.run({ x: Int8Array.from(xs) });
    compare('QLinearAdd with a scalar constant B', out.add, add);
    compare('QLinearMul with a constant A of one value', out.mul, mul);
    const ids = session.info.nodes.map((n) => n.kernelIds.join('+'));
    if (!ids.every((id) => id.startsWith('q_lut'))) throw new Error(`expected the table kernel for both nodes, got ${ids.join(', ')}`);
    t.log(`add ${add.length}, mul ${mul.length} outputs bit-exact; ${ids.join(', ')}`);
  } finally {
    session.destroy();
    engine.destroy();
  }
}

/**
 * Depthwise QLinearConv (group = C = M) on the depthwise op kernel (lowerQDepthwise): per-channel scales and weight
 * zero points, bias, stride 2, asymmetric pads, dilation, a 3×5 kernel, odd output widths (words straddle rows),
 * two images; uint8 → uint8 and int8 → int8; exact against qlinearConvReference.
 */
async function depthwiseQLinearConv(t: GpuTestContext): Promise<void> {
  const r = mulberry32(77);
  const engine = await createEngine({ device: t.device });
  try {
    for (const dt of ['uint8', 'int8'] as const) {
      const Cd = 6, Hd = 11, Wd = 13, kh = 3, kw = 5;
      const g: ConvGeometry = { batch: 2, inChannels: Cd, outChannels: Cd, inHeight: Hd, inWidth: Wd, kernelH: kh, kernelW: kw, strides: [2, dt === 'uint8' ? 2 : 1], pads: [1, 0, 2, 1], dilations: [dt === 'uint8' ? 2 : 1, 1], groups: Cd };
      const [lo, hi] = dt === 'uint8' ? [0, 255] : [-128, 127];
      const x = randomInts(2 * Cd * Hd * Wd, r, lo, hi);
      const w = randomInts(Cd * kh * kw, r, -127, 127);
      const wZp = randomInts(Cd, r, -3, 3);
      const wScale = Array.from({ length: Cd }, (_, i) => Math.fround(0.002 * (i + 1)));
      const b = randomInts(Cd, r, -2000, 2000);
      const xZp = dt === 'uint8' ? 120 : -7;
      const xScale = Math.fround(0.03);
      const yScale = Math.fround(0.4);
      const yZp = dt === 'uint8' ? 100 : 3;
      const want = qlinearConvReference(g, {
        input: x, inputLayout: 'NCHW', weight: w, weightLayout: 'OIHW', xZeroPoint: xZp, wZeroPoint: wZp, xScale, wScale, yScale, yZeroPoint: yZp,
        outputDtype: dt, bias: { shape: [Cd], data: b, broadcast: 'channel' }, rounding: 'float32',
      }).data;
      const bytes = writeOnnx({
        opset: 17,
        inputs: [{ name: 'x', dtype: dt, shape: [2, Cd, Hd, Wd] }],
        outputs: [{ name: 'y', dtype: dt, shape: undefined }],
        initializers: [
          scalar('xs', 'float32', xScale), scalar('xzp', dt, xZp), vec('w', 'int8', w, [Cd, 1, kh, kw]), vec('ws', 'float32', wScale), vec('wzp', 'int8', wZp),
          scalar('ys', 'float32', yScale), scalar('yzp', dt, yZp), vec('b', 'int32', b),
        ],
        nodes: [{
          opType: 'QLinearConv', name: 'dw', inputs: ['x', 'xs', 'xzp', 'w', 'ws', 'wzp', 'ys', 'yzp', 'b'], outputs: ['y'],
          attributes: { group: attr.int(Cd), kernel_shape: attr.ints([kh, kw]), strides: attr.ints(g.strides), pads: attr.ints([1, 0, 2, 1]), dilations: attr.ints(g.dilations) },
        }],
      });
      const session = await createSession(engine, bytes);
      try {
        const out = await session.run({ x: dt === 'uint8' ? Uint8Array.from(x) : Int8Array.from(x) });
        compare(`depthwise QLinearConv ${dt}`, out.y, want);
        const ids = session.info.nodes.map((n) => n.kernelIds.join('+'));
        if (!ids[0]?.startsWith('q_dwconv')) throw new Error(`expected the depthwise kernel, got ${ids.join(', ')}`);
        t.log(`${dt}: ${want.length} outputs bit-exact (${ids.join(', ')})`);
      } finally {
        session.destroy();
      }
    }
  } finally {
    engine.destroy();
  }
}

export const sessionInt8Cases: GpuCase[] = [
  { name: 'session int8: com.microsoft QLinearAdd/Sigmoid/GlobalAveragePool/Concat/Mul, MaxPool, Transpose and Resize on uint8, exact', run: qoperatorOps },
  { name: 'session int8: QLinearAdd/QLinearMul with a constant operand of one value run as a table, exact', run: qlinearConstOperand },
  { name: 'session int8: depthwise QLinearConv (per-channel, strides, pads, dilation) on its op kernel, exact', run: depthwiseQLinearConv },
  { name: 'session int8: DynamicQuantizeLinear → ConvInteger → Cast → Mul on the GPU (scale, zero point, accumulators and float result exact)', run: dynamicConvInteger },
  { name: 'session int8: QLinearMatMul and MatMulInteger (batch broadcast, per-column b, run-time a zero point) exact', run: integerMatmuls },
  { name: 'session int8: QLinearConv → QLinearConv and ConvInteger with a run-time x zero point, bit-exact against the integer references', run: quantizedGraphExact },
];
