/**
 * Exact Winograd transforms: modified Cook-Toom generation (1-D and nested 2-D), user-supplied
 * transforms, identity checks, error measures, float export and formatting. Pure: no GPU.
 */
export type { Winograd1D, Winograd2D, WinogradAlgorithm, WinogradKind } from './types.ts';
export {
  Fraction,
  type RationalInput,
  exactDecimal,
  exactFromNumber,
  fractionToFloat32,
  fractionToFloat64,
  toRational,
  wgslF32Literal,
} from './rational.ts';
export {
  type RationalMatrix,
  colCount,
  freezeMatrix,
  hadamard,
  identity,
  inverse,
  matMul,
  matricesEqual,
  matrixFrom,
  rowCount,
  transpose,
} from './rational-matrix.ts';
export { type PointSet, WINOGRAD_POINT_SETS, cookToom, directAlgorithm, pointSet, winograd1D } from './cook-toom.ts';
export { winograd2D, winogradFromName, winogradSquare } from './winograd-2d.ts';
export { type UserMatrix, type UserTransformOptions, type UserTransforms, userTransform1D } from './user-transform.ts';
export { type ExactIdentityResult, exactIdentityCheck, identityResidual, transformErrorScale } from './analysis.ts';
export { toFloat32, toFloat64, toWgslLiterals } from './float.ts';
export { type Transforms2DJSON, type TransformsJSON, formatFraction, formatMatrix, formatTransforms, transformsToJSON } from './format.ts';
