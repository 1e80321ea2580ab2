import { describe, expect, it } from 'vitest';
import { parseCase } from '../../../src/conformance/case.ts';
import { caseTolerance, describeTolerance, judge, judgeCase, unravelIndex } from '../../../src/conformance/judge.ts';
import { rawCase } from './helpers.ts';

describe('judge: float', () => {
  const tol = { kind: 'float' as const, atol: 1e-3, rtol: 1e-2 };

  it('passes on the bound |got - expected| <= atol + rtol·|expected| and fails just outside', () => {
    // bound at 100: 1e-3 + 1 = 1.001
    expect(judge([101], [100], tol).pass).toBe(true);
    expect(judge([101.0011], [100], tol).pass).toBe(false);
    expect(judge([-100.9], [-100], tol).pass).toBe(true);
    expect(judge([0.0009], [0], tol).pass).toBe(true);
    expect(judge([0.0011], [0], tol).pass).toBe(false);
  });

  it('reports maxAbsError, maxRelError = max|d| / max|expected|, the worst index and the failure count', () => {
    const r = judge([1, 2.5, 10.05, -4], [1, 2, 10, -4], tol);
    expect(r.pass).toBe(false);
    expect(r.failures).toBe(1);
    expect(r.maxAbsError).toBe(0.5);
    expect(r.maxRelError).toBe(0.05);
    expect(r.worstIndex).toBe(1);
    expect(r.message).toMatch(/worst at \[1\]: got 2.5, expected 2/);
    const ok = judge([1, 2.01, 10.05], [1, 2, 10], tol);
    expect(ok.pass).toBe(true);
    expect(ok.worstIndex).toBe(2);
  });

  it('fails on NaN and ±Inf whatever the tolerance', () => {
    const loose = { kind: 'float' as const, atol: 1e30, rtol: 1e30 };
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const r = judge([1, bad, 3, bad], [1, 2, 3, 4], loose);
      expect(r.pass).toBe(false);
      expect(r.nonFinite).toBe(2);
      expect(r.worstIndex).toBe(1);
    }
    expect(judge([Number.NaN], [Number.NaN], loose).pass).toBe(false);
  });

  it('fails on a length mismatch', () => {
    const r = judge([1, 2], [1, 2, 3], tol);
    expect(r.pass).toBe(false);
    expect(r.message).toMatch(/2 elements, expected 3/);
  });
});

describe('judge: integer', () => {
  it('is exact by default and reports the largest difference in LSB', () => {
    const r = judge([3, 7, 250], [3, 5, 251], { kind: 'exact' });
    expect(r.pass).toBe(false);
    expect(r.maxAbsError).toBe(2);
    expect(r.maxRelError).toBe(2);
    expect(r.failures).toBe(2);
    expect(r.worstIndex).toBe(1);
    expect(judge([3, 5, 251], [3, 5, 251], { kind: 'exact' }).pass).toBe(true);
  });

  it('accepts up to maxLsb when asked', () => {
    expect(judge([3, 6, 250], [3, 5, 251], { kind: 'exact', maxLsb: 1 }).pass).toBe(true);
    expect(judge([3, 7, 250], [3, 5, 251], { kind: 'exact', maxLsb: 1 }).pass).toBe(false);
    expect(describeTolerance({ kind: 'exact', maxLsb: 1 })).toBe('|got - expected| <= 1 LSB');
    expect(describeTolerance({ kind: 'exact' })).toBe('exact');
  });
});

describe('judgeCase', () => {
  it("uses the case's fp32 or fp16 suggestion, or the engine's where tighter", () => {
    const c = parseCase(rawCase('onnx_basic_conv_with_padding'));
    expect(caseTolerance(c)).toEqual({ kind: 'float', atol: 0.0016, rtol: 1e-4 });
    expect(caseTolerance(c, { precision: 'fp16' })).toEqual({ kind: 'float', atol: 0.32, rtol: 1e-2 });
    expect(caseTolerance(c, { engine: { atol: 1e-4, rtol: 1e-3 } })).toEqual({ kind: 'float', atol: 1e-4, rtol: 1e-4 });
    const exact = parseCase(rawCase('onnx_convinteger_with_padding'));
    expect(caseTolerance(exact)).toEqual({ kind: 'exact', maxLsb: 0 });
    expect(caseTolerance(exact, { allowLsbFallback: true })).toEqual({ kind: 'exact', maxLsb: 0 });
  });

  it('names the case and the worst element in layout coordinates', () => {
    const c = parseCase(rawCase('tfjs_fused_conv2d_002_basic_with_relu'));
    const got = Float64Array.from(c.expected.data);
    got[13] += 1;
    const r = judgeCase(c, got);
    expect(r.pass).toBe(false);
    expect(r.message).toMatch(/^tfjs_fused_conv2d_002_basic_with_relu: FAIL/);
    expect(r.message).toMatch(/\(NHWC \[1, 1, 0, 1\]\)$/);
    expect(unravelIndex(13, [2, 2, 2, 2])).toEqual([1, 1, 0, 1]);
  });
});
