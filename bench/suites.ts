/**
 * Benchmark suites as data. Each layer is a convolution geometry with a readable name; FLOPs are always
 * counted as direct convolution: 2·N·Ho·Wo·Cout·(Cin/groups)·Kh·Kw.
 */
import { outputSize, type ConvGeometry } from '../src/conv/types.ts';
import { geom } from '../test/shapes.ts';

export interface BenchLayer {
  name: string;
  geom: ConvGeometry;
}

export interface BenchSuite {
  name: string;
  description: string;
  layers: BenchLayer[];
}

const conv3x3 = (c: number, hw: number, batch = 1): BenchLayer => ({
  name: `${c}@${hw}x${hw}${batch > 1 ? ` b${batch}` : ''} 3x3`,
  geom: geom({ batch, inChannels: c, outChannels: c, inHeight: hw, inWidth: hw }),
});

export const SUITES: BenchSuite[] = [
  {
    name: 'resnet18',
    description: 'ResNet-18 3x3 stride-1 pad-1 layers, batch 1, plus batch 8 of 64@32²',
    layers: [conv3x3(64, 56), conv3x3(128, 28), conv3x3(256, 14), conv3x3(512, 7), conv3x3(64, 32, 8)],
  },
  {
    name: 'others',
    description: 'a 1x1, a stride-2 3x3 and a depthwise 3x3',
    layers: [
      { name: '1x1 256→64 @28x28', geom: geom({ inChannels: 256, outChannels: 64, inHeight: 28, inWidth: 28, kernelH: 1, kernelW: 1, pads: [0, 0, 0, 0] }) },
      { name: '3x3 s2 64→128 @56x56', geom: geom({ inChannels: 64, outChannels: 128, inHeight: 56, inWidth: 56, strides: [2, 2] }) },
      { name: 'depthwise 3x3 128 @56x56', geom: geom({ inChannels: 128, outChannels: 128, groups: 128, inHeight: 56, inWidth: 56 }) },
    ],
  },
  {
    name: 'smoke',
    description: 'two small layers, for a quick check that the benchmark runs',
    layers: [conv3x3(16, 16), conv3x3(32, 12, 2)],
  },
];

export function findSuite(name: string): BenchSuite {
  const s = SUITES.find((x) => x.name === name);
  if (!s) throw new Error(`--suite = ${name}: no such suite (suites: ${SUITES.map((x) => x.name).join(', ')})`);
  return s;
}

export function directFlops(g: ConvGeometry): number {
  const { outHeight, outWidth } = outputSize(g);
  return 2 * g.batch * outHeight * outWidth * g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW;
}
