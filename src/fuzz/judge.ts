/**
 * The fuzzer's oracle (pure): the reference output of a valid case and the verdict on an engine's output.
 * float32: the float64 reference (`conv2dReference`) with the tolerance helper (`toleranceFor` by the plan's
 * algorithm family, scaled per output by Σ|x·w| + |bias|); NaN/Inf always fail.
 * int8/uint8: the exact integer references (`convIntegerReference` for int32, `qlinearConvReference` for int8/uint8),
 * bit for bit; dequantized float32 outputs against acc·x_scale·w_scale + bias in float64 with the fp32 direct
 * tolerance; tap-wise (approximate) plans by their SQNR floor against the exact QLinearConv result.
 */
import { compareWithReference, toleranceFor, type ToleranceAlgorithm } from '../conv/tolerance.ts';
import type { BroadcastTensor, ConvGeometry } from '../conv/types.ts';
import { conv2dReference, maxAbsDot, type ConvOperands } from '../reference/conv2d.ts';
import { convIntegerReference, qlinearConvReference } from '../reference/integer.ts';
import { normalizeDesc, type Conv2dDesc, type NormalizedDesc } from '../conv/desc.ts';
import { compareWithEngineTolerance, toleranceFamily } from '../engine/verify.ts';
import { TAP_SQNR_FLOOR_DB } from '../engine/algorithms/int8-winograd.ts';
import { fuzzOperands, resolved, type FuzzOperands, type ValidFuzzCase } from './generate.ts';

/** SQNR floors of the tap-wise int8 algorithms: the engine's own (its gate measures the same). */
export const TAP_FLOORS_DB: Record<string, number> = TAP_SQNR_FLOOR_DB;

export function caseGeometry(c: ValidFuzzCase): ConvGeometry {
  const r = resolved(c.desc);
  return {
    batch: c.size.batch, inChannels: c.desc.inChannels, outChannels: c.desc.outChannels, inHeight: c.size.height, inWidth: c.size.width,
    kernelH: r.kh, kernelW: r.kw, strides: [r.sh, r.sw], pads: r.pads, dilations: [r.dh, r.dw], groups: r.groups,
  };
}

function asTensor(v: ArrayLike<number> | BroadcastTensor | undefined, cout: number): BroadcastTensor | undefined {
  if (v === undefined) return undefined;
  if (typeof (v as BroadcastTensor).broadcast === 'string') return v as BroadcastTensor;
  const a = v as ArrayLike<number>;
  return a.length === 1 ? { shape: [1], data: a, broadcast: 'scalar' } : { shape: [cout], data: a, broadcast: 'channel' };
}

/** The plan algorithm's tolerance family, keyed as the engine's verification gate keys it (engine/verify.ts). */
export function toleranceFamilyOf(algorithm: string, kernelH: number, kernelW: number): ToleranceAlgorithm {
  return toleranceFamily(algorithm, { kernelH, kernelW } as NormalizedDesc, false);
}

export interface Expected {
  kind: 'float' | 'exact' | 'dequant';
  data: Float64Array;
  /** Per output error scale (Σ|x·w| + |bias|) for float and dequantized outputs. */
  scale?: Float64Array;
  /** int8/uint8 outputs: y_zero_point (the SQNR signal is measured from it). */
  zeroPoint?: number;
  /** float32: what the engine's own rule (compareWithEngineTolerance) needs to judge a result. */
  engineRule?: { geometry: ConvGeometry; refOps: ConvOperands };
}

/** The reference output of a valid case for its operands. */
export function expectedOutput(c: ValidFuzzCase, ops: FuzzOperands = fuzzOperands(c)): Expected {
  const g = caseGeometry(c);
  const r = resolved(c.desc);
  const cout = c.desc.outChannels;
  if (c.kind === 'float32') {
    const act = { ...r.act, preluWeights: asTensor(ops.options.preluWeights, cout) };
    const refOps = { input: ops.input, inputLayout: r.layout, weight: ops.options.weights, weightLayout: c.weightLayout, bias: asTensor(ops.options.bias, cout), activation: act };
    return { kind: 'float', data: conv2dReference(g, refOps).data, scale: maxAbsDot(g, refOps).perOutput, engineRule: { geometry: g, refOps } };
  }
  const q = c.quant;
  const base = { input: ops.input, inputLayout: r.layout, weight: ops.options.weights, weightLayout: c.weightLayout, xZeroPoint: q.xZeroPoint, wZeroPoint: q.wZeroPoint };
  if (q.output === 'int32') return { kind: 'exact', data: convIntegerReference(g, base).data };
  if (q.output === 'int8' || q.output === 'uint8') {
    const bias = asTensor(ops.options.bias, cout);
    const data = qlinearConvReference(g, {
      ...base, xScale: q.xScale!, wScale: q.wScale!, yScale: q.yScale!, yZeroPoint: q.yZeroPoint, outputDtype: q.output,
      bias: bias && bias.data.length === 1 ? { shape: [cout], data: new Array(cout).fill(bias.data[0]), broadcast: 'channel' } : bias,
      activation: r.act.type === 'linear' ? undefined : { type: r.act.type },
    }).data;
    return { kind: 'exact', data, zeroPoint: q.yZeroPoint ?? 0 };
  }
  // Dequantized: y = acc·x_scale·w_scale[o] + bias[o], then the relu/relu6 clamp.
  const acc = convIntegerReference(g, base).data;
  const hw = acc.length / (g.batch * cout);
  const ws = typeof q.wScale === 'number' ? [q.wScale] : Array.from(q.wScale as ArrayLike<number>);
  const b = ops.options.bias as ArrayLike<number> | undefined;
  const data = new Float64Array(acc.length);
  const scale = new Float64Array(acc.length);
  for (let i = 0; i < acc.length; i++) {
    const o = r.layout === 'NHWC' ? i % cout : Math.floor(i / hw) % cout;
    const m = acc[i] * Math.fround(q.xScale!) * Math.fround(ws[ws.length === 1 ? 0 : o]);
    const bb = b ? Math.fround(b[b.length === 1 ? 0 : o]) : 0;
    const v = m + bb;
    data[i] = r.act.type === 'relu' ? Math.max(v, 0) : r.act.type === 'relu6' ? Math.min(Math.max(v, 0), 6) : v;
    scale[i] = Math.abs(m) + Math.abs(bb);
  }
  return { kind: 'dequant', data, scale };
}

export interface Judgement {
  pass: boolean;
  /** One line: the measured error against its bound. */
  detail: string;
  worstRatio?: number;
}

/** Judges `got` from a plan of `algorithm` against the expected output. */
export function judgeOutput(c: ValidFuzzCase, algorithm: string, got: ArrayLike<number>, want: Expected): Judgement {
  if (got.length !== want.data.length) return { pass: false, detail: `${got.length} outputs, expected ${want.data.length}` };
  const r = resolved(c.desc);
  if (want.kind === 'float' || want.kind === 'dequant') {
    const family: ToleranceAlgorithm = want.kind === 'dequant' ? 'direct' : toleranceFamilyOf(algorithm, r.kh, r.kw);
    // float32: the verification gate's own rule (Winograd's tile maximum of Σ|x·w|, the exp-aware floor, slopes > 1),
    // so the fuzzer and the gate can never disagree on what is within bounds.
    const cmp = want.engineRule
      ? compareWithEngineTolerance(got, want.engineRule.geometry, want.engineRule.refOps, algorithm, normalizeDesc(c.desc as Conv2dDesc))
      : compareWithReference(got, want.data, want.scale!, toleranceFor('float32', family));
    const where = cmp.worst && !cmp.pass ? `; worst [${cmp.worst.index}] got ${cmp.worst.got}, ref ${cmp.worst.ref}, bound ${cmp.worst.bound.toExponential(2)}` : '';
    const nf = cmp.nonFinite ? `; ${cmp.nonFinite} non-finite, first [${cmp.firstNonFinite}] = ${got[cmp.firstNonFinite!]}` : '';
    return { pass: cmp.pass, worstRatio: cmp.worstRatio, detail: `maxAbs ${cmp.maxAbsError.toExponential(2)}, error/bound ${cmp.worstRatio.toFixed(3)} (float32/${family})${where}${nf}` };
  }
  if (algorithm.endsWith('-tap')) {
    let signal = 0;
    let noise = 0;
    for (let i = 0; i < got.length; i++) {
      signal += (want.data[i] - (want.zeroPoint ?? 0)) ** 2;
      noise += (got[i] - want.data[i]) ** 2;
    }
    const sqnr = noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
    const floor = TAP_FLOORS_DB[algorithm];
    return { pass: sqnr >= floor, worstRatio: floor / sqnr, detail: `SQNR ${sqnr.toFixed(2)} dB vs exact QLinearConv, floor ${floor} dB` };
  }
  let bad = 0;
  let first = -1;
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== want.data[i]) {
      bad++;
      if (first < 0) first = i;
    }
  }
  return bad === 0
    ? { pass: true, worstRatio: 0, detail: `${got.length} outputs bit-exact` }
    : { pass: false, worstRatio: Infinity, detail: `${bad} of ${got.length} outputs differ from the exact reference; first [${first}] got ${got[first]}, expected ${want.data[first]}` };
}
