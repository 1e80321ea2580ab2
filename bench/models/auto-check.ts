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
import type { FindCandidateResult } from '../../src/engine/tuner.ts';
import { scratchIo } from '../../src/engine/steps.ts';
import { timeEncode } from '../../src/runtime/timing.ts';
import { mulberry32, randomF32 } from '../../src/util/random.ts';
import type { AutoCheckRow, ModelCase } from './types.ts';

export interface AutoCheckOptions {
  runs?: number;
  progress?: (line: string) => void;
  /** Only layers whose conv text (e.g. '512→512 3×3 s1 @7×7') matches. */
  filter?: RegExp;
  /** Rounds of the duel between auto's and the best candidate's configuration (default 9; 0: no duel). */
  duelRounds?: number;
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
  /**
   * When findConv2d's fastest differs from auto's configuration: both re-timed in turns, one run each per round
   * (medians), so load from other processes hits them alike; autoMs / bestMs / best are then the duel's.
   */
  duel?: { rounds: number; autoMs: number; otherMs: number; findAutoMs: number; findBestMs: number };
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
    let autoMs = autoResult?.ms ?? NaN;
    let bestMs = best?.ms ?? NaN;
    let bestName = best ? `${best.algorithm} ${tuningText(best.tuning)}` : 'none';
    let duel: AutoCheckDetail['duel'];
    const rounds = opts.duelRounds ?? 9;
    if (rounds > 0 && autoResult && best && best !== autoResult) {
      const [a, o] = await duelTimes(engine, desc, { weights: c.weights, ...epilogue }, [autoResult, best], { batch, height, width }, rounds);
      duel = { rounds, autoMs: a, otherMs: o, findAutoMs: autoMs, findBestMs: bestMs };
      autoMs = a;
      if (o < a) bestMs = o;
      else {
        bestMs = a;
        bestName = `${autoAlgorithm} ${tuningText(autoResult.tuning)}`;
      }
    }
    const row: AutoCheckDetail = {
      model: model.spec.name,
      node: same.length > 1 ? `${c.node} (+${same.length - 1} identical)` : c.node,
      conv,
      autoAlgorithm: autoResult ? `${autoAlgorithm} ${tuningText(autoResult.tuning)}` : autoAlgorithm,
      autoMs,
      bestAlgorithm: bestName,
      bestMs,
      slowdown: autoMs / bestMs - 1,
      nodes: same.map((x) => x.node),
      inputShape: c.inputShape,
      autoKernels,
      bestKernels: best?.kernels ?? [],
      candidates: found.results.map((r) => ({ algorithm: r.algorithm, tuning: tuningText(r.tuning), status: r.status, ...(r.ms !== undefined ? { ms: r.ms } : {}) })),
      method: found.method,
      ...(duel ? { duel } : {}),
    };
    rows.push(row);
    opts.progress?.(formatAutoCheckRow(row));
  }
  return rows;
}

/** Medians of two verified configurations timed in turns (the tuner's timing: timestamp queries where available). */
export async function duelTimes(engine: Engine, desc: Conv2dDesc, planOpts: object, configs: FindCandidateResult[], size: { batch: number; height: number; width: number }, rounds: number): Promise<number[]> {
  const core = engine.core;
  const ctx = engine.context(desc, planOpts as Parameters<Engine['context']>[1]);
  const d = ctx.desc;
  const input = core.createBufferFrom(randomF32(size.batch * size.height * size.width * d.inChannels, mulberry32(5)), GPUBufferUsage.STORAGE, 'duel input');
  const made: { encode: (enc: GPUCommandEncoder, ts?: GPUComputePassTimestampWrites) => void; release: () => void }[] = [];
  const outputs: GPUBuffer[] = [];
  try {
    for (const r of configs) {
      const impl = engine.impls.find((i) => i.name === r.algorithm)!;
      const { prepared, record } = await engine.prepareVerified(impl, { ...ctx, tuning: r.tuning });
      if (!record.ok) throw new Error(`duel: ${r.algorithm} failed verification: ${record.detail}`);
      const rs = prepared.resize(size.batch, size.height, size.width);
      const output = core.device.createBuffer({ label: 'duel output', size: Math.max(16, size.batch * rs.outHeight * rs.outWidth * d.outChannels * 4), usage: GPUBufferUsage.STORAGE });
      outputs.push(output);
      const scratch = scratchIo(core.device, prepared.ioNames(), { input, output }, rs.workspaceBytes);
      made.push({ encode: (enc, ts) => prepared.encode(enc, scratch.io, ts), release: () => { scratch.release(); prepared.destroy(); } });
    }
    const times: number[][] = configs.map(() => []);
    for (const m of made) await timeEncode(core.device, m.encode, 1, 0);
    for (let i = 0; i < rounds; i++) {
      for (let k = 0; k < made.length; k++) times[k].push((await timeEncode(core.device, made[k].encode, 0, 1)).median);
    }
    return times.map((t) => [...t].sort((x, y) => x - y)[Math.floor(t.length / 2)]);
  } finally {
    for (const m of made) m.release();
    for (const o of outputs) o.destroy();
    input.destroy();
  }
}

export function formatAutoCheckRow(r: AutoCheckRow): string {
  const pct = Number.isFinite(r.slowdown) ? `${(100 * r.slowdown).toFixed(0)}%` : '?';
  return `${r.model.padEnd(14)} ${r.conv.padEnd(26)} auto ${r.autoAlgorithm.padEnd(28)} ${r.autoMs.toFixed(2).padStart(8)} ms  best ${r.bestAlgorithm.padEnd(28)} ${r.bestMs.toFixed(2).padStart(8)} ms  ${pct.padStart(5)}  ${r.node}`;
}
