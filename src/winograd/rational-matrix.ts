/**
 * Small dense matrices of exact rationals. Row-major arrays of rows; every function returns a new,
 * frozen matrix and never mutates its arguments.
 */
import { Fraction, ONE, ZERO, type RationalInput, toRational } from './rational.ts';

export type RationalMatrix = readonly (readonly Fraction[])[];

/** Freezes the rows and the outer array (the Fraction objects themselves are treated as values). */
export function freezeMatrix(rows: Fraction[][]): RationalMatrix {
  for (const row of rows) Object.freeze(row);
  return Object.freeze(rows);
}

export function matrixFrom(rows: readonly (readonly RationalInput[])[], what = 'matrix'): RationalMatrix {
  return freezeMatrix(rows.map((row, i) => row.map((v, j) => toRational(v, `${what}[${i}][${j}]`))));
}

export function rowCount(a: RationalMatrix): number {
  return a.length;
}

export function colCount(a: RationalMatrix): number {
  return a.length === 0 ? 0 : a[0].length;
}

export function identity(size: number): RationalMatrix {
  return freezeMatrix(Array.from({ length: size }, (_, i) => Array.from({ length: size }, (_, j) => (i === j ? ONE : ZERO))));
}

export function transpose(a: RationalMatrix): RationalMatrix {
  const rows = rowCount(a);
  const cols = colCount(a);
  return freezeMatrix(Array.from({ length: cols }, (_, j) => Array.from({ length: rows }, (_, i) => a[i][j])));
}

export function matMul(a: RationalMatrix, b: RationalMatrix): RationalMatrix {
  const inner = colCount(a);
  if (inner !== rowCount(b)) {
    throw new Error(`matMul: inner dimensions differ (${rowCount(a)}x${inner} times ${rowCount(b)}x${colCount(b)})`);
  }
  const cols = colCount(b);
  return freezeMatrix(
    a.map((row) =>
      Array.from({ length: cols }, (_, j) => {
        let acc = ZERO;
        for (let k = 0; k < inner; k++) {
          if (row[k].n !== 0n && b[k][j].n !== 0n) acc = acc.add(row[k].mul(b[k][j]));
        }
        return acc;
      }),
    ),
  );
}

/** Element-wise (Hadamard) product. */
export function hadamard(a: RationalMatrix, b: RationalMatrix): RationalMatrix {
  if (rowCount(a) !== rowCount(b) || colCount(a) !== colCount(b)) {
    throw new Error(`hadamard: shapes differ (${rowCount(a)}x${colCount(a)} vs ${rowCount(b)}x${colCount(b)})`);
  }
  return freezeMatrix(a.map((row, i) => row.map((v, j) => v.mul(b[i][j]))));
}

export function matricesEqual(a: RationalMatrix, b: RationalMatrix): boolean {
  if (rowCount(a) !== rowCount(b) || colCount(a) !== colCount(b)) return false;
  return a.every((row, i) => row.every((v, j) => v.equals(b[i][j])));
}

/** Exact inverse by Gauss-Jordan elimination; throws on a singular matrix. */
export function inverse(a: RationalMatrix): RationalMatrix {
  const size = rowCount(a);
  if (colCount(a) !== size) throw new Error(`inverse: matrix is ${size}x${colCount(a)}, not square`);
  const work: Fraction[][] = a.map((row, i) => [...row, ...Array.from({ length: size }, (_, j) => (i === j ? ONE : ZERO))]);
  for (let col = 0; col < size; col++) {
    const pivot = work.findIndex((row, i) => i >= col && row[col].n !== 0n);
    if (pivot < 0) throw new Error(`inverse: matrix is singular (no pivot in column ${col})`);
    [work[col], work[pivot]] = [work[pivot], work[col]];
    const inv = work[col][col].inverse();
    work[col] = work[col].map((v) => v.mul(inv));
    for (let i = 0; i < size; i++) {
      const factor = work[i][col];
      if (i === col || factor.n === 0n) continue;
      work[i] = work[i].map((v, j) => v.sub(factor.mul(work[col][j])));
    }
  }
  return freezeMatrix(work.map((row) => row.slice(size)));
}
