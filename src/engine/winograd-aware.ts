/**
 * Winograd-aware quantized layers (learned A, B, G + tap scales + int8 weights; JSON format in
 * src/quant/winograd-aware.ts) run on the engine's tap-wise int8 Winograd path with their own matrices. The int8
 * tap-wise kernels need an integer Bᵀ (so the input transform is exact in f32); A and G may be any floats.
 * The layer's SQNR against a plain QLinearConv of its weights is measured and reported in plan.info, but the floor
 * defaults to 1 dB: the model was trained with its own transforms, so the plain convolution is not its reference.
 * Bit-identity with runWinogradAwareLayer (the CPU execution of the same document) is what the GPU tests check.
 */
import type { AlgorithmName } from '../conv/desc.ts';
import type { Layout } from '../conv/types.ts';
import { tapScalesToJSON } from '../quant/tapwise.ts';
import { parseWinogradAwareLayer, type WinogradAwareLayer } from '../quant/winograd-aware.ts';
import { ConvDescError } from '../conv/validate.ts';
import type { Engine } from './engine.ts';
import type { ConvPlan } from './plan.ts';

const SCHEME: Record<string, AlgorithmName> = { '2x2': 'winograd2-tap', '4x4': 'winograd4-tap', '2x1': 'winograd2x1-tap', '4x1': 'winograd4x1-tap' };

/** F(1, r) as plain matrices: direct along an axis whose learned transform the document omits. */
function directMatrices(r: number) {
  const eye = Array.from({ length: r }, (_, i) => Array.from({ length: r }, (_, j) => (i === j ? 1 : 0)));
  return { AT: [Array.from({ length: r }, () => 1)], G: eye, BT: eye };
}

export async function createWinogradAwareConv2d(engine: Engine, json: unknown, opts: { layout?: Layout; minSqnrDb?: number } = {}): Promise<ConvPlan & { layer: WinogradAwareLayer }> {
  const layer = parseWinogradAwareLayer(json);
  const algorithm = SCHEME[`${layer.tile[0]}x${layer.tile[1]}`];
  if (!algorithm) throw new ConvDescError('tile', layer.tile, `must be one of ${Object.keys(SCHEME).join(', ')} for the engine's tap-wise kernels`);
  const plan = await engine.createConv2d(
    {
      inChannels: layer.inChannels, outChannels: layer.outChannels, kernelSize: layer.kernel, pads: layer.pads, layout: opts.layout ?? 'NHWC',
      dtype: layer.input.dtype, activation: layer.activation, algorithm,
    },
    {
      weights: layer.weights.data, weightLayout: 'OIHW',
      bias: layer.bias ?? undefined,
      transforms: { h: layer.transforms.h, w: layer.transforms.w ?? directMatrices(layer.kernel[1]) },
      tapScales: tapScalesToJSON(layer.tapScales),
      minSqnrDb: opts.minSqnrDb ?? 1,
      quant: {
        output: layer.output.dtype, xScale: layer.input.scale, xZeroPoint: layer.input.zeroPoint, weightDtype: layer.weights.dtype,
        wScale: Array.from(layer.weights.scale), wZeroPoint: Array.from(layer.weights.zeroPoint), yScale: layer.output.scale, yZeroPoint: layer.output.zeroPoint,
      },
    },
  );
  return Object.assign(plan, { layer });
}
