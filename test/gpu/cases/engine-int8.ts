/**
 * int8/uint8 plans through the engine API (direct and im2col), bit for bit against the integer references:
 * int8 and uint8 activations, int8/uint8 weights per tensor and per channel, nonzero zero points, bias, fused
 * relu/relu6, ConvInteger / QLinearConv / dequantized outputs, NHWC and NCHW, ugly shapes up to 256 channels.
 */
import type { AlgorithmName } from '../../../src/conv/desc.ts';
import type { QuantOptions } from '../../../src/conv/quant-options.ts';
import type { ConvGeometry, Layout } from '../../../src/conv/types.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { convIntegerReference, qlinearConvReference } from '../../../src/reference/integer.ts';
import { mulberry32, randomInts } from '../../../src/util/random.ts';
import { geom } from '../../shapes.ts';
import { createWinogradAwareConv2d } from '../../../src/engine/winograd-aware.ts';
import { WINOGRAD_AWARE_FORMAT, runWinogradAwareLayer } from '../../../src/quant/winograd-aware.ts';
import { calibrateTapScales, tapScalesToJSON } from '../../../src/quant/tapwise.ts';
import { Fraction, formatFraction, userTransform1D, winograd2D, winogradFromName, type Winograd2D } from '../../../src/winograd/index.ts';
import type { GpuCase, GpuTestContext } from '../harness/types.ts';

interface Spec {
  algorithm: AlgorithmName;
  layout: Layout;
  g: ConvGeometry;
  input: 'int8' | 'uint8';
  weight: 'int8' | 'uint8';
  output: QuantOptions['output'];
  perChannel: boolean;
  activation?: 'relu' | 'relu6';
  bias?: boolean;
  /** Device limits the engine is given (batch splitting), and the chunks the plan must split the batch into. */
  limits?: { maxStorageBufferBindingSize?: number; maxComputeWorkgroupsPerDimension?: number };
  chunks?: number;
}

async function runSpec(t: GpuTestContext, s: Spec, seed: number): Promise<void> {
  const g = s.g;
  const rng = mulberry32(seed);
  const range = (d: 'int8' | 'uint8'): [number, number] => (d === 'int8' ? [-128, 127] : [0, 255]);
  const x = randomInts(g.batch * g.inChannels * g.inHeight * g.inWidth, rng, ...range(s.input));
  const w = randomInts(g.outChannels * (g.inChannels / g.groups) * 9 * (g.kernelH * g.kernelW / 9), rng, ...range(s.weight));
  const xZeroPoint = s.input === 'uint8' ? 128 + Math.floor(rng() * 20) : -3;
  const wZeroPoint = s.perChannel ? Array.from(randomInts(g.outChannels, rng, ...(s.weight === 'int8' ? [-5, 5] : [120, 135]) as [number, number])) : s.weight === 'uint8' ? 128 : 0;
  const wScale = s.perChannel ? Array.from({ length: g.outChannels }, () => Math.fround(0.002 + 0.01 * rng())) : Math.fround(0.006);
  const xScale = Math.fround(0.02);
  const acc = convIntegerReference(g, { input: x, inputLayout: s.layout, weight: w, weightLayout: 'OIHW', xZeroPoint, wZeroPoint }).data;
  let accMax = 1;
  for (const v of acc) accMax = Math.max(accMax, Math.abs(v));
  const yScale = Math.fround((xScale * 0.012 * accMax) / 100);
  const yZeroPoint = s.output === 'uint8' ? 110 : s.output === 'int8' ? -7 : 0;
  const biasInt = s.bias && (s.output === 'int8' || s.output === 'uint8') ? Array.from(randomInts(g.outChannels, rng, -5000, 5000)) : undefined;
  const quant: QuantOptions = { output: s.output, xZeroPoint, xScale, weightDtype: s.weight, wZeroPoint, wScale, yScale, yZeroPoint };
  const engine = new Engine(t.device, s.limits ? { limits: s.limits } : {});
  const plan = await engine.createConv2d(
    { inChannels: g.inChannels, outChannels: g.outChannels, kernelSize: [g.kernelH, g.kernelW], strides: g.strides, pads: g.pads, dilations: g.dilations, groups: g.groups, layout: s.layout, dtype: s.input, activation: s.activation ?? 'linear', algorithm: s.algorithm },
    { weights: w, quant, bias: biasInt },
  );
  const got = await plan.run(x, { batch: g.batch, height: g.inHeight, width: g.inWidth });
  const notes = plan.info.notes.join('; ');
  plan.destroy();
  if (s.chunks && !notes.includes(`split into ${s.chunks} chunks`)) throw new Error(`${s.algorithm} with limits ${JSON.stringify(s.limits)}: expected a split into ${s.chunks} chunks, plan notes: ${notes || '(none)'}`);
  let want: ArrayLike<number> = acc;
  if (s.output === 'int8' || s.output === 'uint8') {
    want = qlinearConvReference(g, {
      input: x, inputLayout: s.layout, weight: w, weightLayout: 'OIHW', xZeroPoint, wZeroPoint, xScale, wScale, yScale, yZeroPoint, outputDtype: s.output,
      bias: biasInt ? { shape: [g.outChannels], data: biasInt, broadcast: 'channel' } : undefined, activation: s.activation ? { type: s.activation } : undefined,
    }).data;
  }
  const where = `${plan.info.kernels.join('+')} ${JSON.stringify({ ...s, seed, xZeroPoint, wZeroPoint })}`;
  if (got.length !== want.length) throw new Error(`${where}: ${got.length} outputs, expected ${want.length}`);
  let bad = 0;
  const first: string[] = [];
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      bad++;
      if (first.length < 5) first.push(`[${i}] got ${got[i]}, expected ${want[i]}`);
    }
  }
  if (bad) throw new Error(`${where}: ${bad} of ${want.length} outputs differ\n${first.join('\n')}`);
  t.log(`${plan.info.kernels[0]}: ${want.length} outputs bit-exact`);
}

const specs: { name: string; s: Spec }[] = [];
const shapes: { name: string; g: ConvGeometry }[] = [
  { name: 'b2_c3_k13_9x11_asympad', g: geom({ batch: 2, inChannels: 3, outChannels: 13, inHeight: 9, inWidth: 11, pads: [0, 2, 1, 0] }) },
  { name: 'c16_k8_7x7_s2_dil2', g: geom({ inChannels: 16, outChannels: 8, inHeight: 7, inWidth: 7, strides: [2, 2], dilations: [2, 2], pads: [2, 2, 2, 2] }) },
  { name: 'depthwise_c12_6x5', g: geom({ inChannels: 12, outChannels: 12, groups: 12, inHeight: 6, inWidth: 5 }) },
  { name: 'c256_k16_5x5', g: geom({ inChannels: 256, outChannels: 16, inHeight: 5, inWidth: 5 }) },
];
const outputs: QuantOptions['output'][] = ['uint8', 'int32', 'int8', 'float32'];
let k = 0;
for (const algorithm of ['im2col', 'direct'] as AlgorithmName[]) {
  for (const layout of ['NHWC', 'NCHW'] as Layout[]) {
    for (const sh of shapes) {
      const output = outputs[k % outputs.length];
      const s: Spec = {
        algorithm, layout, g: sh.g, input: k % 2 ? 'int8' : 'uint8', weight: k % 3 === 2 ? 'uint8' : 'int8', output,
        perChannel: k % 2 === 0, activation: k % 3 === 0 ? 'relu' : k % 3 === 1 ? 'relu6' : undefined, bias: k % 2 === 0,
      };
      if (output === 'float32' || output === 'int32') s.activation = undefined;
      specs.push({ name: `engine int8 ${algorithm} ${layout} ${sh.name} ${s.input}x${s.weight} -> ${output}`, s });
      k++;
    }
  }
}

export const engineInt8Cases: GpuCase[] = specs
  .filter(({ s }) => s.output !== 'float32')
  .map(({ name, s }, i) => ({ name, run: (t) => runSpec(t, s, 51_000 + i) }));

// Exact integer Winograd through the engine: bit-exact on the Winograd-servable shapes.
const winoShapes: { name: string; g: ConvGeometry }[] = [
  { name: 'b2_c3_k13_9x11_asympad', g: geom({ batch: 2, inChannels: 3, outChannels: 13, inHeight: 9, inWidth: 11, pads: [0, 2, 1, 0] }) },
  { name: 'c64_k8_7x6', g: geom({ inChannels: 64, outChannels: 8, inHeight: 7, inWidth: 6 }) },
];
let e = 0;
for (const layout of ['NHWC', 'NCHW'] as Layout[]) {
  for (const sh of winoShapes) {
    const output = (['uint8', 'int32', 'int8'] as const)[e % 3];
    const s: Spec = { algorithm: 'winograd2-exact', layout, g: sh.g, input: e % 2 ? 'int8' : 'uint8', weight: e === 1 ? 'uint8' : 'int8', output, perChannel: e % 2 === 0, activation: e % 2 && output !== 'int32' ? 'relu' : undefined, bias: e % 2 === 0 && output !== 'int32' };
    engineInt8Cases.push({ name: `engine int8 winograd2-exact ${layout} ${sh.name} ${s.input}x${s.weight} -> ${output}`, run: (t) => runSpec(t, s, 52_000 + e) });
    e++;
  }
}

// Batches over the device's limits are split for int8 plans as for fp32 (one orchestration, engine/described.ts):
// each chunk bound to its byte range of the packed tensors, bit-exact against the reference.
const splitShape = (c: number, h: number, w: number) => geom({ batch: 5, inChannels: c, outChannels: 8, inHeight: h, inWidth: w });
const splitSpecs: { name: string; s: Spec }[] = [
  // NCHW uint8 packs images back to back (256 bytes each): GEMM rows 64 per image, y workgroups 4 per image, limit 8.
  { name: 'im2col NCHW GEMM rows over maxComputeWorkgroupsPerDimension', s: { algorithm: 'im2col', layout: 'NCHW', g: splitShape(4, 8, 8), input: 'uint8', weight: 'int8', output: 'uint8', perChannel: true, bias: true, activation: 'relu', limits: { maxComputeWorkgroupsPerDimension: 8 }, chunks: 3 } },
  { name: 'direct NHWC input/output over maxStorageBufferBindingSize', s: { algorithm: 'direct', layout: 'NHWC', g: splitShape(16, 8, 8), input: 'int8', weight: 'int8', output: 'int32', perChannel: false, limits: { maxStorageBufferBindingSize: 4_096 }, chunks: 3 } },
  // V and M take 8 KiB per image each (16 taps × 16 tiles × 4 channel words / 2 output groups): 20 000 bytes take 2 images.
  { name: 'winograd2-exact NHWC workspace over maxStorageBufferBindingSize', s: { algorithm: 'winograd2-exact', layout: 'NHWC', g: splitShape(16, 8, 8), input: 'uint8', weight: 'int8', output: 'int8', perChannel: true, bias: true, limits: { maxStorageBufferBindingSize: 20_000 }, chunks: 3 } },
];
splitSpecs.forEach(({ name, s }, i) => engineInt8Cases.push({ name: `engine int8 split: ${name}`, run: (t) => runSpec(t, s, 53_000 + i) }));

/** Tap-wise plans: SQNR measured before use; auto takes them only with minSqnrDb and only when they meet it. */
async function runTapwise(t: GpuTestContext, seed: number): Promise<void> {
  const rng = mulberry32(seed);
  const C = 32;
  const O = 16;
  const relu = (n: number) => Int32Array.from({ length: n }, () => Math.min(255, Math.round(Math.abs(Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())) * 40)));
  const calibration = [{ data: relu(2 * 10 * 10 * C), batch: 2, height: 10, width: 10 }];
  const w = randomInts(O * C * 9, rng, -127, 127);
  const quant: QuantOptions = { output: 'uint8', xScale: 0.02, wScale: Math.fround(0.004), yScale: 0.5, yZeroPoint: 0, weightDtype: 'int8' };
  const desc = { inChannels: C, outChannels: O, kernelSize: 3, pads: 1, dtype: 'uint8', activation: 'relu' } as const;
  const engine = new Engine(t.device);
  const auto = await engine.createConv2d(desc, { weights: w, quant, calibration });
  const tapVerdicts = auto.info.candidates.filter((c) => c.algorithm.endsWith('-tap'));
  auto.destroy();
  if (auto.info.algorithm.endsWith('-tap') || tapVerdicts.some((v) => v.status !== 'excluded')) throw new Error(`auto without minSqnrDb must not use tap-wise Winograd: chose ${auto.info.algorithm}`);
  const lines: string[] = [];
  const sqnr: Record<string, number> = {};
  for (const algorithm of ['winograd2-tap', 'winograd4-tap', 'winograd2x1-tap', 'winograd4x1-tap'] as AlgorithmName[]) {
    // minSqnrDb 1: measure and report without the scheme's own floor getting in the way
    const plan = await engine.createConv2d({ ...desc, algorithm }, { weights: w, quant, calibration, minSqnrDb: 1 });
    const m = /SQNR ([0-9.]+) dB/.exec(plan.info.verification);
    if (!m) throw new Error(`${algorithm}: no SQNR in plan.info.verification: ${plan.info.verification}`);
    sqnr[algorithm] = Number(m[1]);
    lines.push(`${algorithm}: ${plan.info.verification}`);
    plan.destroy();
  }
  t.log(lines.join('\n'));
  if (!(sqnr['winograd2-tap'] > sqnr['winograd4-tap'])) throw new Error(`F(2x2) tap-wise should measure above F(4x4):\n${lines.join('\n')}`);
  const opted = await engine.createConv2d(desc, { weights: w, quant, calibration, minSqnrDb: sqnr['winograd4-tap'] - 0.5 });
  const exported = opted.exportTapScales();
  opted.destroy();
  // the calibrated scales round-trip: a plan given them back measures the same
  const again = await engine.createConv2d({ ...desc, algorithm: 'winograd4-tap' }, { weights: w, quant, tapScales: exported, calibration, minSqnrDb: 1 });
  const m = /SQNR ([0-9.]+) dB/.exec(again.info.verification);
  again.destroy();
  if (!exported || !m || Math.abs(Number(m[1]) - sqnr['winograd4-tap']) > 1e-9) throw new Error(`exported tap scales did not round-trip: ${again.info.verification}`);
  if (opted.info.algorithm !== 'winograd4-tap') throw new Error(`auto with minSqnrDb just under winograd4-tap's measurement should take it: chose ${opted.info.algorithm}\n${lines.join('\n')}`);
  const strict = await engine.createConv2d(desc, { weights: w, quant, calibration, minSqnrDb: 80 });
  const rejected = strict.info.candidates.filter((c) => c.status === 'failed-verification').map((c) => c.algorithm);
  strict.destroy();
  if (strict.info.algorithm.endsWith('-tap') || !rejected.includes('winograd4-tap')) throw new Error(`minSqnrDb 80 dB: tap-wise plans must be rejected by measurement, chose ${strict.info.algorithm}, rejected ${rejected.join(', ')}`);
}

engineInt8Cases.push({ name: 'engine int8 tap-wise Winograd: SQNR measured before use, auto opts in only with minSqnrDb', run: (t) => runTapwise(t, 53_001) });

/**
 * A Winograd-aware layer document through the engine: learned matrices (F(4,3)'s A and B with a learned G: every
 * G entry moved by a few percent; the int8 tap-wise kernels need an integer Bᵀ), calibrated tap scales.
 */
engineInt8Cases.push({
  name: 'engine int8 Winograd-aware layer: learned transforms + tap scales, bit-identical to the CPU execution',
  async run(t) {
    const C = 8;
    const O = 6;
    const H = 9;
    const W = 7;
    const base = winogradFromName('F(4x4,3x3)') as Winograd2D;
    const rng = mulberry32(54_001);
    const learnedG = base.h.G.map((row) => row.map((f) => f.mul(new Fraction(100 + Math.floor(rng() * 9) - 4, 100))));
    const learned = userTransform1D({ AT: base.h.AT.map((r) => r.map(formatFraction)), G: learnedG.map((r) => r.map(formatFraction)), BT: base.h.BT.map((r) => r.map(formatFraction)) }, { m: 4, r: 3, name: 'learned' });
    const algo = winograd2D(learned, learned);
    const wdata = randomInts(O * C * 9, rng, -127, 127);
    const sample = { data: randomInts(H * W * C, rng, 0, 255), batch: 1, height: H, width: W };
    const scales = tapScalesToJSON(calibrateTapScales(algo, [sample], { data: wdata, outChannels: O, inChannels: C, zeroPoint: 0 }, { inputDtype: 'uint8', xZeroPoint: 0 }));
    const frac = (m: Winograd2D['h']['AT']) => m.map((r) => r.map(formatFraction));
    const side = (a: Winograd2D['h']) => ({ AT: frac(a.AT), G: frac(a.G), BT: frac(a.BT) });
    const doc = {
      format: WINOGRAD_AWARE_FORMAT, version: 1, name: 'gpu.case', kernel: [3, 3], tile: [4, 4], inChannels: C, outChannels: O, pads: [1, 1, 1, 1],
      transforms: { h: side(algo.h), w: side(algo.w) },
      input: { dtype: 'uint8', scale: 0.02, zeroPoint: 0 },
      weights: { dtype: 'int8', layout: 'OIHW', shape: [O, C, 3, 3], data: Array.from(wdata), scale: 0.01, zeroPoint: 0 },
      bias: { dtype: 'int32', data: Array.from(randomInts(O, rng, -300, 300)) },
      output: { dtype: 'uint8', scale: 0.05, zeroPoint: 3 },
      activation: 'relu',
      tapScales: { taps: scales.taps, outChannels: scales.outChannels, granularity: scales.granularity, method: scales.method, inputDtype: scales.inputDtype, inputScale: scales.inputScale, weightScale: scales.weightScale },
    };
    const engine = new Engine(t.device);
    const plan = await createWinogradAwareConv2d(engine, doc);
    const x = randomInts(2 * H * W * C, rng, 0, 255);
    const got = await plan.run(x, { batch: 2, height: H, width: W });
    plan.destroy();
    const want = runWinogradAwareLayer(plan.layer, x, 2, H, W).output;
    if (!plan.info.kernels[0].startsWith('winou4x4_')) throw new Error(`learned transforms must get their own kernel IDs: ${plan.info.kernels.join(', ')}`);
    let bad = 0;
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) bad++;
    t.log(`${plan.info.algorithm} ${plan.info.kernels.join('+')}: ${plan.info.verification}`);
    if (bad) throw new Error(`${bad} of ${want.length} outputs differ from runWinogradAwareLayer (CPU)`);
  },
});
