/**
 * `winoconv bench --models --check-auto`: for every conv layer of a model, auto's choice timed against the fastest
 * verified candidate findConv2d measures for that layer (issue 12, point 2).
 *
 * The layers are the session's own (src/graph/session.ts sessionConvs: after the passes, NHWC, fused epilogue,
 * residual input), planned at the model's input size. Per distinct layer (descriptor, epilogue and input size; the
 * repeats of one are timed once and named in `node` as "+N identical"):
 * - auto: engine.createConv2d(desc, {weights, expectedSize}) → plan.info.algorithm and kernel IDs;
 * - findConv2d(desc, {size}) times every verified candidate × GEMM tiling (src/engine/tuner.ts), one after another;
 * - autoMs is findConv2d's time of the candidate with exactly auto's kernel IDs (auto's algorithm and GEMM tile),
 *   so both numbers come from the same timing loop in the same run; bestMs the fastest usable candidate.
 * On a shared CPU (SwiftShader) candidates timed seconds apart see different load: repeat rows that are close.
 */
import type { Conv2dDesc } from '../../src/conv/desc.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { sessionConvs, type SessionConv } from '../../src/graph/session.ts';
import type { AutoCheckRow, ModelCase } from './types.ts';

export interface AutoCheckOptions {
  runs?: number;
  progress?: (line: string) => void;
  /** Only layers whose conv text (e.g. '512→512 3×3 s1 @7×7') matches. */
  filter?: RegExp;
}

/** A row with what produced it: every candidate's time, auto's tuning, the repeats. */
export interface AutoCheckDetail extends AutoCheckRow {
  /** Nodes with this exact layer (the first is `node`). */
  nodes: string[];
  inputShape: number[];
  autoKernels: string[];
  bestKernels: string[];
  /** Every candidate findConv2d timed: 'winograd4 r16x16_wg4x1_q' → ms (usable ones), or its status. */
  candidates: { algorithm: string; tuning: string; status: string; ms?: number }[];
  method: string;
}

export function convText(desc: Conv2dDesc, inputShape: number[]): string {
  const k = Array.isArray(desc.kernelSize) ? desc.kernelSize : [desc.kernelSize, desc.kernelSize];
  const s = Array.isArray(desc.strides) ? desc.strides[0] : (desc.strides ?? 1);
  const g = (desc.groups ?? 1) > 1 ? ` g${desc.groups}` : '';
  return `${desc.inChannels}→${desc.outChannels} ${k[0]}×${k[1]} s${s}${g} @${inputShape[2]}×${inputShape[3]}`;
}

const layerKey = (c: SessionConv) =>
  JSON.stringify({ d: { ...c.desc, algorithm: undefined }, s: c.inputShape, r: c.residual, p: c.preActivation ?? null, pr: !!c.preluWeights, b: !!c.bias });

const tuningText = (t: object) => Object.values(t).join(',') || '-';

export async function checkAuto(engine: Engine, model: ModelCase, opts: AutoCheckOptions = {}): Promise<AutoCheckDetail[]> {
  const inputShapes = Object.fromEntries(Object.entries(model.inputs).map(([k, v]) => [k, v.dims]));
  const convs = sessionConvs(model.model, { inputShapes });
  const groups = new Map<string, SessionConv[]>();
  for (const c of convs) {
    const k = layerKey(c);
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  opts.progress?.(`${model.spec.name}: ${convs.length} conv nodes, ${groups.size} distinct layers`);
  const rows: AutoCheckDetail[] = [];
  for (const same of groups.values()) {
    const c = same[0];
    const conv = convText(c.desc, c.inputShape);
    if (opts.filter && !opts.filter.test(conv)) continue;
    const [batch, , height, width] = c.inputShape;
    const epilogue = { bias: c.bias, preluWeights: c.preluWeights, ...(c.residual ? { residual: true, preActivation: c.preActivation } : {}) };
    const desc = { ...c.desc, dtype: 'float32' as const, algorithm: 'auto' as const };
    const plan = await engine.createConv2d(desc, { weights: c.weights, expectedSize: { batch, height, width }, ...epilogue } as Parameters<Engine['createConv2d']>[1]);
    const autoAlgorithm = plan.info.algorithm;
    const autoKernels = [...plan.info.kernels];
    plan.destroy();
    const found = await engine.findConv2d(desc, { size: { batch, height, width }, weights: c.weights, runs: opts.runs, ...epilogue } as Parameters<Engine['findConv2d']>[1]);
    const same4 = (r: { kernels: string[] }) => r.kernels.length === autoKernels.length && r.kernels.every((k, i) => k === autoKernels[i]);
    const autoResult = found.results.find((r) => r.status === 'usable' && same4(r));
    const best = found.best;
    const autoMs = autoResult?.ms ?? NaN;
    const bestMs = best?.ms ?? NaN;
    const row: AutoCheckDetail = {
      model: model.spec.name,
      node: same.length > 1 ? `${c.node} (+${same.length - 1} identical)` : c.node,
      conv,
      autoAlgorithm: autoResult ? `${autoAlgorithm} ${tuningText(autoResult.tuning)}` : autoAlgorithm,
      autoMs,
      bestAlgorithm: best ? `${best.algorithm} ${tuningText(best.tuning)}` : 'none',
      bestMs,
      slowdown: autoMs / bestMs - 1,
      nodes: same.map((x) => x.node),
      inputShape: c.inputShape,
      autoKernels,
      bestKernels: best?.kernels ?? [],
      candidates: found.results.map((r) => ({ algorithm: r.algorithm, tuning: tuningText(r.tuning), status: r.status, ...(r.ms !== undefined ? { ms: r.ms } : {}) })),
      method: found.method,
    };
    rows.push(row);
    opts.progress?.(formatAutoCheckRow(row));
  }
  return rows;
}

export function formatAutoCheckRow(r: AutoCheckRow): string {
  const pct = Number.isFinite(r.slowdown) ? `${(100 * r.slowdown).toFixed(0)}%` : '?';
  return `${r.model.padEnd(14)} ${r.conv.padEnd(26)} auto ${r.autoAlgorithm.padEnd(28)} ${r.autoMs.toFixed(2).padStart(8)} ms  best ${r.bestAlgorithm.padEnd(28)} ${r.bestMs.toFixed(2).padStart(8)} ms  ${pct.padStart(5)}  ${r.node}`;
}
