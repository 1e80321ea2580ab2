/**
 * The staged Winograd CPU reference (oracle) for the engine's Winograd case: the four stages of
 * src/quant/winograd-stages.ts chained, every intermediate kept so each GPU stage can be checked against it.
 */
import type { Winograd2D } from '../winograd/types.ts';
import {
  type WinogradConvShape, type WinogradNumericMode, type WinogradTiling,
  winogradFilterTransform, winogradInputTransform, winogradOutputTransform, winogradTapProducts, winogradTiling,
} from '../quant/winograd-stages.ts';

export * from '../quant/winograd-stages.ts';

export interface WinogradReferenceResult {
  /** NHWC [N, outH, outW, O]. */
  readonly output: Float64Array;
  readonly outputShape: readonly [number, number, number, number];
  readonly tiling: WinogradTiling;
  readonly U: Float64Array;
  readonly V: Float64Array;
  readonly M: Float64Array;
}

/** The four stages chained: NHWC input, OIHW weights → NHWC output (plus every intermediate). */
export function winogradConvReference(
  algo: Winograd2D,
  input: ArrayLike<number>,
  weights: ArrayLike<number>,
  shape: WinogradConvShape,
  mode: WinogradNumericMode = 'f64',
): WinogradReferenceResult {
  const tiling = winogradTiling(algo, shape);
  const U = winogradFilterTransform(algo, weights, shape.outChannels, shape.inChannels, mode);
  const V = winogradInputTransform(algo, input, shape, mode);
  const M = winogradTapProducts(algo, U, V, shape, mode);
  const output = winogradOutputTransform(algo, M, shape, mode);
  return {
    output,
    outputShape: [shape.batch, tiling.outHeight, tiling.outWidth, shape.outChannels],
    tiling,
    U,
    V,
    M,
  };
}
