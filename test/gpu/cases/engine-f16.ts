/**
 * float16 plans (binary16 storage of activations, weights and Winograd-domain operands; f32 arithmetic) through the
 * engine API, against the float64 reference of the rounded data with the engine's own float16 tolerance (the one
 * helper, src/conv/tolerance.ts): every float algorithm, NHWC and NCHW, channel counts that are and are not
 * multiples of 4 (scalar stores share words: the atomic half stores), residual, batch splitting; the caller's
 * buffers take half the bytes.
 */
import type { AlgorithmName } from '../../../src/conv/desc.ts';
import type { ConvGeometry, Layout } from '../../../src/conv/types.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { compareWithEngineTolerance } from '../../../src/engine/verify.ts';
import { roundF16 } from '../../../src/util/float16.ts';
import { mulberry32, randomF32 } from '../../../src/util/random.ts';
import { geom } from '../../shapes.ts';
import type { GpuCase, GpuTestContext } from '../harness/types.ts';

interface Spec {
  algorithm: AlgorithmName;
  layout: Layout;
  g: ConvGeometry;
  residual?: boolean;
  limits?: { maxStorageBufferBindingSize?: number };
  chunks?: number;
}

async function runSpec(t: GpuTestContext, s: Spec, seed: number): Promise<void> {
  const g = s.g;
  const rng = mulberry32(seed);
  const half = (n: number, scale = 1) => randomF32(n, rng, -scale, scale).map(roundF16);
  const x = half(g.batch * g.inChannels * g.inHeight * g.inWidth);
  const w = half(g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW, 1 / Math.sqrt((g.inChannels / g.groups) * g.kernelH * g.kernelW));
  const bias = randomF32(g.outChannels, rng, -0.5, 0.5);
  const engine = new Engine(t.device, s.limits ? { limits: s.limits } : {});
  const plan = await engine.createConv2d(
    { inChannels: g.inChannels, outChannels: g.outChannels, kernelSize: [g.kernelH, g.kernelW], strides: g.strides, pads: g.pads, dilations: g.dilations, groups: g.groups, layout: s.layout, dtype: 'float16', activation: 'relu', algorithm: s.algorithm },
    { weights: w, bias, residual: s.residual },
  );
  try {
    plan.resize({ batch: g.batch, height: g.inHeight, width: g.inWidth });
    const bytes = plan.byteSizes();
    const n = plan.sizes();
    if (bytes.input !== 4 * Math.ceil(n.input / 2) || bytes.output !== 4 * Math.ceil(n.output / 2)) throw new Error(`${plan.info.kernels.join('+')}: byteSizes ${JSON.stringify(bytes)} for ${JSON.stringify(n)} elements: expected 2 bytes each, whole words`);
    const res = s.residual ? half(n.output) : undefined;
    const got = await plan.run(x, undefined, res ? { residual: res } : undefined);
    const ops = { input: x, inputLayout: s.layout, weight: w, weightLayout: 'OIHW' as const, bias: { shape: [g.outChannels], data: bias, broadcast: 'channel' as const }, activation: { type: 'relu' as const }, residual: res };
    const cmp = compareWithEngineTolerance(got, g, ops, plan.info.algorithm, plan.desc);
    const where = `${plan.info.kernels.join('+')} ${JSON.stringify({ ...s, g: undefined, ...g })}`;
    if (s.chunks && !plan.info.notes.join('; ').includes(`split into ${s.chunks} chunks`)) throw new Error(`${where}: expected a split into ${s.chunks} chunks: ${plan.info.notes.join('; ')}`);
    if (!cmp.pass) throw new Error(`${where}\n${cmp.message}`);
    t.log(`${plan.info.kernels.join('+')}: maxRel ${cmp.maxRelError.toExponential(2)}, error/bound ${cmp.worstRatio.toFixed(3)} (${cmp.tolerance.dtype}/${cmp.tolerance.algorithm})`);
  } finally {
    plan.destroy();
  }
}

const shapes: { name: string; g: ConvGeometry }[] = [
  { name: 'b2_c8_k12_11x13', g: geom({ batch: 2, inChannels: 8, outChannels: 12, inHeight: 11, inWidth: 13 }) },
  { name: 'c13_k7_9x10_asympad', g: geom({ inChannels: 13, outChannels: 7, inHeight: 9, inWidth: 10, pads: [0, 2, 1, 0] }) },
];
const specs: { name: string; s: Spec }[] = [];
for (const algorithm of ['direct', 'im2col', 'winograd2', 'winograd4', 'auto'] as AlgorithmName[]) {
  for (const [i, sh] of shapes.entries()) {
    const layout: Layout = i % 2 ? 'NCHW' : 'NHWC';
    specs.push({ name: `engine float16 ${algorithm} ${layout} ${sh.name}`, s: { algorithm, layout, g: sh.g } });
  }
}
specs.push(
  { name: 'engine float16 depthwise NCHW c12_8x7', s: { algorithm: 'direct', layout: 'NCHW', g: geom({ inChannels: 12, outChannels: 12, groups: 12, inHeight: 8, inWidth: 7 }) } },
  { name: 'engine float16 im2col NHWC 5x5 s2 residual', s: { algorithm: 'im2col', layout: 'NHWC', g: geom({ inChannels: 6, outChannels: 8, inHeight: 13, inWidth: 11, kernelH: 5, kernelW: 5, strides: [2, 2], pads: [2, 2, 2, 2] }), residual: true } },
  // V and M of F(2×2) at 8×8, 16 channels: 16 taps × 16 tiles × 16 halves = 8 KiB per image; 20 000 bytes take 2.
  { name: 'engine float16 split: winograd2 V/M over maxStorageBufferBindingSize', s: { algorithm: 'winograd2', layout: 'NHWC', g: geom({ batch: 5, inChannels: 16, outChannels: 16, inHeight: 8, inWidth: 8 }), limits: { maxStorageBufferBindingSize: 20_000 }, chunks: 3 } },
);

export const engineF16Cases: GpuCase[] = specs.map(({ name, s }, i) => ({ name, run: (t) => runSpec(t, s, 61_000 + i) }));

/**
 * f16 arithmetic (TuningConfig.f16Math, 'shader-f16'): the autotuner's candidates include each GEMM tile with f16
 * products; each is verified against float64 with the float16-math tolerance and timed; at least one is usable and
 * its results pass the engine's comparison. Skipped where the device lacks 'shader-f16' (SwiftShader).
 */
engineF16Cases.push({
  name: 'engine float16 f16 arithmetic: f16Math tunings are verified and timed by the autotuner',
  features: ['shader-f16'],
  async run(t) {
    const g = geom({ inChannels: 32, outChannels: 32, inHeight: 16, inWidth: 16 });
    const rng = mulberry32(61_900);
    const w = randomF32(32 * 32 * 9, rng, -0.2, 0.2).map(roundF16);
    const engine = new Engine(t.device);
    for (const algorithm of ['im2col', 'winograd2', 'winograd4'] as AlgorithmName[]) {
      const found = await engine.findConv2d({ inChannels: 32, outChannels: 32, kernelSize: 3, pads: 1, dtype: 'float16', algorithm }, { weights: w, size: { batch: 1, height: g.inHeight, width: g.inWidth } });
      const f16 = found.results.filter((r) => r.tuning.f16Math);
      t.log(`${algorithm}: ${f16.map((r) => `${r.tuning.gemmTile} ${r.status} ${r.ms?.toFixed(3) ?? '-'} ms ${r.maxRelError?.toExponential(2) ?? ''}`).join('; ')}`);
      if (!f16.length) throw new Error(`${algorithm}: no f16Math tuning among the candidates on a device with shader-f16`);
      if (!f16.some((r) => r.status === 'usable')) throw new Error(`${algorithm}: no f16Math tuning usable: ${f16.map((r) => `${r.status}: ${r.reason}`).join('; ')}`);
      if (!f16.every((r) => r.kernels.some((k: string) => k.includes('_h16')))) throw new Error(`${algorithm}: f16Math kernels without 'h16' in their IDs`);
    }
  },
});
