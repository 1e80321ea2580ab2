/**
 * Text and JSON renderings of the transforms, for the CLI and plan info.
 */
import { formatFraction } from './rational.ts';
import type { RationalMatrix } from './rational-matrix.ts';
import type { Winograd1D, Winograd2D } from './types.ts';

export { formatFraction };

export interface TransformsJSON {
  readonly AT: string[][];
  readonly G: string[][];
  readonly BT: string[][];
}

export interface Transforms2DJSON {
  /** The algorithm along H. */
  readonly H: TransformsJSON;
  /** The algorithm along W. */
  readonly W: TransformsJSON;
}

function matrixStrings(matrix: RationalMatrix): string[][] {
  return matrix.map((row) => row.map(formatFraction));
}

/** `{ AT, G, BT }` as exact fraction strings ("1/2", "-1/6", "0", "4"); a 2-D algorithm gives `{ H, W }`. */
export function transformsToJSON(algo: Winograd1D): TransformsJSON;
export function transformsToJSON(algo: Winograd2D): Transforms2DJSON;
export function transformsToJSON(algo: Winograd1D | Winograd2D): TransformsJSON | Transforms2DJSON;
export function transformsToJSON(algo: Winograd1D | Winograd2D): TransformsJSON | Transforms2DJSON {
  if (algo.dims === 2) return { H: transformsToJSON(algo.h), W: transformsToJSON(algo.w) };
  return { AT: matrixStrings(algo.AT), G: matrixStrings(algo.G), BT: matrixStrings(algo.BT) };
}

/** One matrix as right-aligned columns, each row in brackets, indented by `indent`. */
export function formatMatrix(matrix: RationalMatrix, indent = '  '): string {
  const cells = matrixStrings(matrix);
  const cols = cells.length === 0 ? 0 : cells[0].length;
  const widths = Array.from({ length: cols }, (_, j) => Math.max(...cells.map((row) => row[j].length)));
  return cells.map((row) => `${indent}[ ${row.map((c, j) => c.padStart(widths[j])).join('  ')} ]`).join('\n');
}

function describe1D(algo: Winograd1D): string {
  const points = algo.kind === 'cook-toom' ? `points: ${algo.points.map(formatFraction).join(', ')}, ∞` : algo.kind;
  return [
    `${algo.name}  (m = ${algo.m}, r = ${algo.r}, n = ${algo.n}; ${points})`,
    `AT (${algo.m}x${algo.n}) =`,
    formatMatrix(algo.AT),
    `G (${algo.n}x${algo.r}) =`,
    formatMatrix(algo.G),
    `BT (${algo.n}x${algo.n}) =`,
    formatMatrix(algo.BT),
  ].join('\n');
}

/** Plain-text listing of AT, G and BT (for a 2-D algorithm: both axes, H first). */
export function formatTransforms(algo: Winograd1D | Winograd2D): string {
  if (algo.dims === 1) return describe1D(algo);
  return [
    `${algo.name}: Y = AhT [(Gh g GwT) ⊙ (BhT d Bw)] Aw`,
    `along H: ${describe1D(algo.h)}`,
    `along W: ${describe1D(algo.w)}`,
  ].join('\n\n');
}
