/**
 * Float export of exact transform matrices. Each entry is rounded once, to nearest (ties to even), from
 * its exact rational value, so f32 constants never suffer double rounding through float64.
 */
import { fractionToFloat32, fractionToFloat64, wgslF32Literal } from './rational.ts';
import type { RationalMatrix } from './rational-matrix.ts';

/** The matrix as float64 numbers. */
export function toFloat64(matrix: RationalMatrix): number[][] {
  return matrix.map((row) => row.map(fractionToFloat64));
}

/** The matrix with every entry rounded to float32 (held in JS numbers; Math.fround leaves them unchanged). */
export function toFloat32(matrix: RationalMatrix): number[][] {
  return matrix.map((row) => row.map(fractionToFloat32));
}

/** The matrix as WGSL f32 literals (exact decimal of each float32 entry, see `wgslF32Literal`). */
export function toWgslLiterals(matrix: RationalMatrix): string[][] {
  return matrix.map((row) => row.map((v) => wgslF32Literal(v)));
}
