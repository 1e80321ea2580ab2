/**
 * Runs conformance cases on an engine (environment-agnostic: Node/Dawn or a browser page). Each case is
 * judged against its expected output with the case's tolerance and, where the engine's own bound is
 * tighter, against the float64 reference with the engine's tolerance.
 */
import type { AlgorithmName } from '../conv/desc.ts';
import type { Engine } from '../engine/engine.ts';
import { compareWithEngineTolerance } from '../engine/verify.ts';
import { caseOperands, parseCase, type ConformanceCase } from './case.ts';
import { describeTolerance, judgeCase, caseTolerance } from './judge.ts';

export interface ConformanceRow {
  id: string;
  status: 'pass' | 'fail' | 'n/a' | 'error';
  algorithm: string;
  dtype: string;
  maxAbsError: number | null;
  maxRelError: number | null;
  tolerance: string;
  message: string;
  kernels?: string[];
}

export async function runConformanceCase(engine: Engine, json: unknown, opts: { algorithm?: AlgorithmName } = {}): Promise<ConformanceRow> {
  let c: ConformanceCase;
  const id = (json as { id?: string })?.id ?? '(no id)';
  try {
    c = parseCase(json);
  } catch (e) {
    return { id, status: 'error', algorithm: '-', dtype: '-', maxAbsError: null, maxRelError: null, tolerance: '-', message: `malformed case: ${(e as Error).message}` };
  }
  const dtype = c.input.dtype;
  const base = { id: c.id, dtype, maxAbsError: null, maxRelError: null };
  const integer = c.op === 'conv_integer' || c.op === 'qlinear_conv';
  if (!integer && dtype !== 'float32' && dtype !== 'float16') {
    return { ...base, status: 'n/a', algorithm: opts.algorithm ?? 'auto', tolerance: '-', message: `input dtype ${dtype}: float32, float16, int8 and uint8 are implemented` };
  }
  // float16 cases run as float16 plans (binary16 storage, f32 arithmetic) and are judged with the case's fp16 tolerance.
  const precision = dtype === 'float16' ? ('fp16' as const) : ('fp32' as const);
  if (integer && dtype !== 'int8' && dtype !== 'uint8') {
    return { ...base, status: 'n/a', algorithm: opts.algorithm ?? 'auto', tolerance: 'exact', message: `${c.op} with input dtype ${dtype}: int8 and uint8 are implemented` };
  }
  const g = c.geometry;
  const desc = {
    inChannels: g.inChannels, outChannels: g.outChannels, kernelSize: [g.kernelH, g.kernelW] as [number, number], strides: g.strides, pads: g.pads,
    dilations: g.dilations, groups: g.groups, layout: c.layout, activation: { type: c.activation.type, alpha: c.activation.alpha }, algorithm: opts.algorithm ?? 'auto',
    dtype: integer ? (dtype as 'int8' | 'uint8') : (dtype as 'float32' | 'float16'),
  };
  const q = c.quant;
  const perChannel = (v: number[] | undefined) => (v === undefined ? undefined : v.length === 1 ? v[0] : v);
  const quant = integer && q ? {
    output: c.op === 'conv_integer' ? ('int32' as const) : (c.expected.dtype as 'int8' | 'uint8'),
    xZeroPoint: q.xZeroPoint, xScale: q.xScale, weightDtype: c.weight.dtype as 'int8' | 'uint8',
    wZeroPoint: perChannel(q.wZeroPoint), wScale: perChannel(q.wScale), yScale: q.yScale, yZeroPoint: q.yZeroPoint,
  } : undefined;
  if (opts.algorithm && opts.algorithm !== 'auto') {
    const v = engine.candidates(desc).find((x) => x.algorithm === opts.algorithm);
    if (!v || v.status === 'rejected') return { ...base, status: 'n/a', algorithm: opts.algorithm, tolerance: '-', message: `not applicable: ${v?.reason ?? 'unknown algorithm'}` };
  }
  let plan;
  try {
    plan = await engine.createConv2d(desc, {
      weights: c.weight.data, weightLayout: c.weight.layout, bias: c.bias, preluWeights: c.activation.preluWeights, quant,
      expectedSize: { height: g.inHeight, width: g.inWidth },
    });
  } catch (e) {
    return { ...base, status: 'error', algorithm: opts.algorithm ?? 'auto', tolerance: '-', message: `plan creation failed: ${(e as Error).message}` };
  }
  try {
    const got = await plan.run(c.input.data, { batch: g.batch, height: g.inHeight, width: g.inWidth });
    const vsCase = judgeCase(c, got, { precision });
    if (integer) {
      return {
        ...base, status: vsCase.pass ? 'pass' : 'fail', algorithm: plan.info.algorithm, maxAbsError: vsCase.maxAbsError, maxRelError: vsCase.maxRelError,
        tolerance: describeTolerance(caseTolerance(c)), message: vsCase.pass ? '' : vsCase.message, kernels: plan.info.kernels,
      };
    }
    const ops = caseOperands(c);
    const own = compareWithEngineTolerance(got, g, ops, plan.info.algorithm, plan.desc);
    const pass = vsCase.pass && own.pass;
    return {
      ...base,
      status: pass ? 'pass' : 'fail',
      algorithm: plan.info.algorithm,
      maxAbsError: vsCase.maxAbsError,
      maxRelError: vsCase.maxRelError,
      tolerance: `${describeTolerance(caseTolerance(c, { precision }))} vs expected; ${own.tolerance.perTerm.toExponential(1)}·Σ|xw| vs float64 (${own.tolerance.algorithm})`,
      message: pass ? '' : [vsCase.pass ? '' : vsCase.message, own.pass ? '' : `engine tolerance vs float64: ${own.message}`].filter(Boolean).join('\n'),
      kernels: plan.info.kernels,
    };
  } catch (e) {
    return { ...base, status: 'error', algorithm: plan.info.algorithm, tolerance: '-', message: `run failed: ${(e as Error).message}` };
  } finally {
    plan.destroy();
  }
}

export function formatConformanceRow(r: ConformanceRow): string {
  const err = r.maxAbsError === null ? '-' : r.maxAbsError.toExponential(2);
  const tag = r.status === 'pass' ? 'PASS' : r.status === 'fail' ? 'FAIL' : r.status === 'n/a' ? 'N/A ' : 'ERR ';
  const head = `${tag}  ${r.id.padEnd(64)} ${r.algorithm.padEnd(11)} maxAbs ${err.padStart(9)}  tol ${r.tolerance}`;
  return r.message ? `${head}\n      ${r.message.split('\n').join('\n      ')}` : head;
}
