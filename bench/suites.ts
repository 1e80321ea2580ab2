/**
 * Benchmark suites as data. Each layer is a convolution geometry with a readable name; FLOPs are always
 * counted as direct convolution: 2·N·Ho·Wo·Cout·(Cin/groups)·Kh·Kw.
 */
import { type ConvGeometry } from '../src/conv/types.ts';
import { outputSize } from '../src/conv/geometry.ts';
import { geom } from './geometry.ts';

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

/** A 3×3 stride-1 pad-1 layer from cin to cout channels. */
const conv3x3To = (cin: number, cout: number, hw: number): BenchLayer => ({
  name: `${cin}→${cout} @${hw}x${hw} 3x3`,
  geom: geom({ inChannels: cin, outChannels: cout, inHeight: hw, inWidth: hw }),
});

/** MobileNet-style pointwise (1×1) and depthwise 3×3 layers. */
const pointwise = (cin: number, cout: number, hw: number): BenchLayer => ({
  name: `pw 1x1 ${cin}→${cout} @${hw}x${hw}`,
  geom: geom({ inChannels: cin, outChannels: cout, inHeight: hw, inWidth: hw, kernelH: 1, kernelW: 1, pads: [0, 0, 0, 0] }),
});
const depthwise = (c: number, hw: number, stride: 1 | 2 = 1): BenchLayer => ({
  name: `dw 3x3${stride === 2 ? ' s2' : ''} ${c} @${hw}x${hw}`,
  // TF "same" padding for stride 2 on an even size pads only bottom/right; pad 1 all round is what ONNX exports of MobileNet use
  geom: geom({ inChannels: c, outChannels: c, groups: c, inHeight: hw, inWidth: hw, strides: [stride, stride] }),
});

export const SUITES: BenchSuite[] = [
  {
    name: 'resnet18',
    description: 'ResNet-18 3x3 stride-1 pad-1 layers, batch 1, plus batch 8 of 64@32²',
    layers: [conv3x3(64, 56), conv3x3(128, 28), conv3x3(256, 14), conv3x3(512, 7), conv3x3(64, 32, 8)],
  },
  {
    name: 'vgg16',
    description: 'VGG-16 3x3 stride-1 pad-1 layers at 224x224, batch 1: each distinct shape once (conv3_2/3_3, conv4_2/4_3 and conv5_1..5_3 repeat a shape)',
    layers: [
      conv3x3To(3, 64, 224), conv3x3To(64, 64, 224),
      conv3x3To(64, 128, 112), conv3x3To(128, 128, 112),
      conv3x3To(128, 256, 56), conv3x3To(256, 256, 56),
      conv3x3To(256, 512, 28), conv3x3To(512, 512, 28),
      conv3x3To(512, 512, 14),
    ],
  },
  {
    name: 'mobilenet',
    description: 'MobileNet-v1-style (224x224 input) depthwise 3x3 and pointwise 1x1 layers, batch 1, pad 1 for the depthwise layers',
    layers: [
      depthwise(32, 112), pointwise(32, 64, 112),
      depthwise(64, 112, 2), pointwise(64, 128, 56),
      depthwise(128, 56), pointwise(128, 128, 56),
      depthwise(256, 28), pointwise(256, 256, 28),
      depthwise(512, 14), pointwise(512, 512, 14),
      depthwise(1024, 7), pointwise(1024, 1024, 7),
    ],
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
