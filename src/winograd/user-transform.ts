/**
 * User-supplied 1-D transforms (e.g. learned, non-Cook-Toom ones). They are validated for shape and
 * finiteness and stored exactly: numbers at their exact binary value, strings as exact fractions. They are
 * NOT required to be an exact algorithm; `identityResidual` reports how far they are from one.
 */
import { Fraction, toRational } from './rational.ts';
import { freezeMatrix } from './rational-matrix.ts';
import type { Winograd1D } from './types.ts';

/** One matrix as rows of numbers or exact fraction strings ("1/6"). */
export type UserMatrix = readonly (readonly (number | string)[])[];

export interface UserTransforms {
  /** m×n */
  readonly AT: UserMatrix;
  /** n×r */
  readonly G: UserMatrix;
  /** n×n */
  readonly BT: UserMatrix;
}

export interface UserTransformOptions {
  readonly m: number;
  readonly r: number;
  /** Defaults to "F(m,r)-user". */
  readonly name?: string;
}

function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function checkDim(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${what}: expected a positive integer, got ${show(value)}`);
  }
  return value;
}

function readMatrix(value: unknown, what: string, rows: number, rowRule: string, cols: number, colRule: string): Fraction[][] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected an array of ${rows} rows (${rowRule}), got ${show(value)}`);
  if (value.length !== rows) throw new Error(`${what}: expected ${rows} rows (${rowRule}), got ${value.length}`);
  return value.map((row: unknown, i) => {
    if (!Array.isArray(row)) throw new Error(`${what}[${i}]: expected an array of ${cols} entries (${colRule}), got ${show(row)}`);
    if (row.length !== cols) throw new Error(`${what}[${i}]: expected ${cols} columns (${colRule}), got ${row.length}`);
    return row.map((entry: unknown, j) => {
      const where = `${what}[${i}][${j}]`;
      if (typeof entry === 'number') {
        if (!Number.isFinite(entry)) throw new Error(`${where}: expected a finite number, got ${entry}`);
        return toRational(entry, where);
      }
      if (typeof entry === 'string') return toRational(entry, where);
      throw new Error(`${where}: expected a finite number or a fraction string like "1/2", got ${show(entry)}`);
    });
  });
}

/**
 * Wraps user transforms as a 1-D algorithm F(m, r) after checking: m, r positive integers; AT is m×n,
 * G is n×r, BT is n×n with n = m + r - 1; every entry a finite number or a fraction string.
 * Every error names the parameter, the offending value and the rule.
 */
export function userTransform1D(transforms: UserTransforms, options: UserTransformOptions): Winograd1D {
  if (typeof options !== 'object' || options === null) throw new Error(`options: expected { m, r }, got ${show(options)}`);
  const m = checkDim(options.m, 'm');
  const r = checkDim(options.r, 'r');
  if (typeof transforms !== 'object' || transforms === null) {
    throw new Error(`transforms: expected an object { AT, G, BT }, got ${show(transforms)}`);
  }
  const n = m + r - 1;
  const nRule = `n = m + r - 1 = ${n}`;
  const AT = readMatrix(transforms.AT, 'AT', m, `m = ${m}`, n, nRule);
  const G = readMatrix(transforms.G, 'G', n, nRule, r, `r = ${r}`);
  const BT = readMatrix(transforms.BT, 'BT', n, nRule, n, nRule);
  const name = options.name ?? `F(${m},${r})-user`;
  if (typeof name !== 'string' || name.length === 0) throw new Error(`name: expected a non-empty string, got ${show(name)}`);
  return Object.freeze({
    dims: 1 as const,
    name,
    kind: 'user' as const,
    m,
    r,
    n,
    points: Object.freeze([]),
    AT: freezeMatrix(AT),
    G: freezeMatrix(G),
    BT: freezeMatrix(BT),
  });
}
