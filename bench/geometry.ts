/**
 * `geom`: a convolution geometry with the defaults of most layers (batch 1, 3×3, stride 1, pad 1, no dilation,
 * one group). Shared by the benchmark suites and the test shape tables (test/shapes.ts re-exports it); it lives
 * here because the npm package ships the benchmark (`winoconv bench`) but not the tests.
 */
import type { ConvGeometry } from '../src/conv/types.ts';

export function geom(p: Partial<ConvGeometry> & Pick<ConvGeometry, 'inChannels' | 'outChannels' | 'inHeight' | 'inWidth'>): ConvGeometry {
  return {
    batch: 1,
    kernelH: 3,
    kernelW: 3,
    strides: [1, 1],
    pads: [1, 1, 1, 1],
    dilations: [1, 1],
    groups: 1,
    ...p,
  };
}
