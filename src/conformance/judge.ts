/**
 * Judging an output against a case's expected values.
 *
 * Float: |got − expected| <= atol + rtol·|expected|, elementwise; NaN or ±Inf in the output always fails.
 * Integer: exact (or within `maxLsb`); the report gives the largest difference in LSB.
 * maxRelError is max|got − expected| / max|expected| (DESIGN.md §6); for integer outputs it is the largest
 * difference in LSB, like maxAbsError.
 */
import type { ConformanceCase } from './case.ts';

export type JudgeTolerance = { kind: 'float'; atol: number; rtol: number } | { kind: 'exact'; maxLsb?: number };

export interface JudgeResult {
  pass: boolean;
  count: number;
  /** Float: max |got − expected| over finite outputs. Integer: the largest difference in LSB. */
  maxAbsError: number;
  /** Float: maxAbsError / max|expected|. Integer: the largest difference in LSB. */
  maxRelError: number;
  /** Human-readable rule, e.g. `|got - expected| <= 1.6e-3 + 1e-4·|expected|`. */
  tolerance: string;
  /** Index of the element furthest outside (or closest to) its bound; the first non-finite output wins; -1 if empty. */
  worstIndex: number;
  /** Elements outside the tolerance (non-finite ones included). */
  failures: number;
  /** NaN or ±Inf outputs. */
  nonFinite: number;
  message: string;
}

export function describeTolerance(tol: JudgeTolerance): string {
  if (tol.kind === 'exact') return (tol.maxLsb ?? 0) === 0 ? 'exact' : `|got - expected| <= ${tol.maxLsb} LSB`;
  return `|got - expected| <= ${tol.atol.toPrecision(3)} + ${tol.rtol.toPrecision(3)}·|expected|`;
}

export function judge(got: ArrayLike<number>, expected: ArrayLike<number>, tol: JudgeTolerance): JudgeResult {
  const tolerance = describeTolerance(tol);
  if (got.length !== expected.length) {
    return {
      pass: false,
      count: got.length,
      maxAbsError: Infinity,
      maxRelError: Infinity,
      tolerance,
      worstIndex: -1,
      failures: Math.max(got.length, expected.length),
      nonFinite: 0,
      message: `FAIL: output has ${got.length} elements, expected ${expected.length}`,
    };
  }
  const exact = tol.kind === 'exact';
  const bound = (e: number) => (tol.kind === 'exact' ? (tol.maxLsb ?? 0) : tol.atol + tol.rtol * Math.abs(e));
  let maxAbs = 0;
  let maxExpected = 0;
  let worstIndex = -1;
  let worstRatio = -1;
  let failures = 0;
  let nonFinite = 0;
  for (let i = 0; i < got.length; i++) {
    const y = got[i];
    const e = expected[i];
    maxExpected = Math.max(maxExpected, Math.abs(e));
    if (!Number.isFinite(y) || !Number.isFinite(e)) {
      if (!Number.isFinite(y)) nonFinite++;
      failures++;
      if (worstRatio < Infinity) {
        worstRatio = Infinity;
        worstIndex = i;
      }
      continue;
    }
    const err = Math.abs(y - e);
    const b = bound(e);
    maxAbs = Math.max(maxAbs, err);
    if (err > b) failures++;
    const ratio = b > 0 ? err / b : err > 0 ? Infinity : 0;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worstIndex = i;
    }
  }
  const maxRel = exact ? maxAbs : maxExpected > 0 ? maxAbs / maxExpected : maxAbs;
  const pass = failures === 0;
  const parts = [
    `${pass ? 'pass' : 'FAIL'}: ${got.length} outputs, ${exact ? `max diff ${maxAbs} LSB` : `maxAbs ${maxAbs.toExponential(3)}, maxRel ${maxRel.toExponential(3)}`}, tolerance ${tolerance}`,
  ];
  if (!pass) {
    parts.push(`${failures} outside tolerance${nonFinite ? ` (${nonFinite} non-finite)` : ''}`);
    if (worstIndex >= 0) {
      parts.push(`worst at [${worstIndex}]: got ${got[worstIndex]}, expected ${expected[worstIndex]}, bound ${bound(expected[worstIndex])}`);
    }
  }
  return { pass, count: got.length, maxAbsError: maxAbs, maxRelError: maxRel, tolerance, worstIndex, failures, nonFinite, message: parts.join('; ') };
}

export interface CaseJudgeOptions {
  /** Which of the case's float suggestions applies (default fp32). */
  precision?: 'fp32' | 'fp16';
  /** The engine's own tolerance: where tighter than the case's, it wins (per component). */
  engine?: { atol: number; rtol: number };
  /** qlinear_conv: accept the schema's 1-LSB fallback instead of an exact match. */
  allowLsbFallback?: boolean;
}

/** The tolerance a case is judged with. */
export function caseTolerance(c: ConformanceCase, opts: CaseJudgeOptions = {}): JudgeTolerance {
  const t = c.tolerance;
  if (t.kind === 'exact') return { kind: 'exact', maxLsb: opts.allowLsbFallback ? t.fallbackLsb : 0 };
  const own = t[opts.precision ?? 'fp32'];
  const atol = opts.engine ? Math.min(own.atol, opts.engine.atol) : own.atol;
  const rtol = opts.engine ? Math.min(own.rtol, opts.engine.rtol) : own.rtol;
  return { kind: 'float', atol, rtol };
}

/** Coordinates of flat index `i` in a row-major tensor of `shape`. */
export function unravelIndex(i: number, shape: readonly number[]): number[] {
  const coords = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    coords[k] = i % shape[k];
    i = Math.floor(i / shape[k]);
  }
  return coords;
}

/** Judges `got` (in the case's layout) against the case's expected output. */
export function judgeCase(c: ConformanceCase, got: ArrayLike<number>, opts: CaseJudgeOptions = {}): JudgeResult {
  const r = judge(got, c.expected.data, caseTolerance(c, opts));
  if (r.pass || r.worstIndex < 0) return { ...r, message: `${c.id}: ${r.message}` };
  const at = unravelIndex(r.worstIndex, c.expected.shape).join(', ');
  return { ...r, message: `${c.id}: ${r.message} (${c.layout} [${at}])` };
}
