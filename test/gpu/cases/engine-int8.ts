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
  const engine = new Engine(t.device);
  const plan = await engine.createConv2d(
    { inChannels: g.inChannels, outChannels: g.outChannels, kernelSize: [g.kernelH, g.kernelW], strides: g.strides, pads: g.pads, dilations: g.dilations, groups: g.groups, layout: s.layout, dtype: s.input, activation: s.activation ?? 'linear', algorithm: s.algorithm },
    { weights: w, quant, bias: biasInt },
  );
  const got = await plan.run(x, { batch: g.batch, height: g.inHeight, width: g.inWidth });
  plan.destroy();
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
      if (output === 'float32') s.activation = undefined;
      specs.push({ name: `engine int8 ${algorithm} ${layout} ${sh.name} ${s.input}x${s.weight} -> ${output}`, s });
      k++;
    }
  }
}

export const engineInt8Cases: GpuCase[] = specs
  .filter(({ s }) => s.output !== 'float32')
  .map(({ name, s }, i) => ({ name, run: (t) => runSpec(t, s, 51_000 + i) }));
