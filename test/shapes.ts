/**
 * Convolution shapes as data, shared by the unit tests, the GPU tests and the benchmarks.
 * Always includes ugly shapes: odd H and W, C = 1, 3, 13, tiles that do not divide, batch > 1.
 */
import type { ActivationType, ConvGeometry } from '../src/conv/types.ts';
import { geom } from '../bench/geometry.ts';

export interface ShapeCase {
  name: string;
  geom: ConvGeometry;
  activation?: ActivationType;
  bias?: boolean;
}

export { geom };

/** Small shapes for the baseline direct kernel: cheap enough for SwiftShader in both environments. */
export const DIRECT_BASELINE_SHAPES: ShapeCase[] = [
  { name: 'c1_k1_7x5_3x3_pad1', geom: geom({ inChannels: 1, outChannels: 1, inHeight: 7, inWidth: 5 }) },
  { name: 'c3_k8_9x11_3x3_pad1_bias_relu', geom: geom({ inChannels: 3, outChannels: 8, inHeight: 9, inWidth: 11 }), bias: true, activation: 'relu' },
  { name: 'b2_c13_k5_6x7_3x3_nopad', geom: geom({ batch: 2, inChannels: 13, outChannels: 5, inHeight: 6, inWidth: 7, pads: [0, 0, 0, 0] }), bias: true },
  { name: 'c4_k6_10x9_5x5_stride2_asympad', geom: geom({ inChannels: 4, outChannels: 6, inHeight: 10, inWidth: 9, kernelH: 5, kernelW: 5, strides: [2, 2], pads: [2, 1, 1, 2] }), activation: 'sigmoid' },
  { name: 'c6_k4_g2_11x8_3x3_dil2_stride2', geom: geom({ inChannels: 6, outChannels: 4, groups: 2, inHeight: 11, inWidth: 8, dilations: [2, 2], strides: [2, 2], pads: [2, 2, 2, 2] }), bias: true, activation: 'leakyrelu' },
  { name: 'depthwise_c8_13x13_3x3', geom: geom({ inChannels: 8, outChannels: 8, groups: 8, inHeight: 13, inWidth: 13 }), bias: true, activation: 'relu6' },
  { name: 'c32_k16_14x14_1x1', geom: geom({ inChannels: 32, outChannels: 16, inHeight: 14, inWidth: 14, kernelH: 1, kernelW: 1, pads: [0, 0, 0, 0] }), activation: 'elu' },
  { name: 'c64_k32_12x12_3x3_pad1', geom: geom({ inChannels: 64, outChannels: 32, inHeight: 12, inWidth: 12 }), bias: true },
];
