/**
 * One model run for `winoconv run` (Node and the --browser page): create the session, run once (first-run latency),
 * then `runs` more (median), and summarize each output. Browser-safe.
 */
import type { Engine } from '../engine/engine.ts';
import type { SessionInfo } from '../graph/runtime-types.ts';
import type { TapwiseOptions } from '../graph/tapwise-select.ts';

export interface OutputSummary {
  name: string;
  shape: number[];
  count: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Flat index of the largest element (outputs of at most ARGMAX_LIMIT elements). */
  argmax?: number;
  nonFinite: number;
}

export interface RunModelReport {
  /** Wall milliseconds of createSession as seen by the caller; info.creationMs is the session's own count. */
  createMs: number;
  firstRunMs: number;
  steadyMs: number[];
  medianMs: number;
  info: Pick<SessionInfo, 'inputs' | 'outputs' | 'nodes' | 'memory' | 'creationMs' | 'passes' | 'tapwise'> & { precision?: SessionInfo['precision'] };
  outputs: OutputSummary[];
  /** The engine's adapter: 'vendor / architecture / device / description' (empty parts dropped), when known. */
  adapter?: string;
}

/** The adapter line from the engine's adapterKey (src/engine/tuner.ts), or undefined. */
function adapterName(engine: Engine): string | undefined {
  try {
    const a = (JSON.parse((engine as { adapterKey?: string }).adapterKey ?? '') as { adapter?: unknown }).adapter;
    return Array.isArray(a) ? a.filter((x) => typeof x === 'string' && x).join(' / ') || undefined : undefined;
  } catch {
    return undefined;
  }
}

export const ARGMAX_LIMIT = 100_000;

export function summarize(name: string, shape: number[], y: Float32Array): OutputSummary {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sum2 = 0;
  let n = 0;
  let nonFinite = 0;
  let argmax = -1;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) {
      max = v;
      argmax = i;
    }
    sum += v;
    sum2 += v * v;
    n++;
  }
  const mean = n ? sum / n : NaN;
  const std = n ? Math.sqrt(Math.max(0, sum2 / n - mean * mean)) : NaN;
  return { name, shape, count: y.length, min, max, mean, std, argmax: y.length <= ARGMAX_LIMIT && argmax >= 0 ? argmax : undefined, nonFinite };
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export interface RunModelOptions {
  inputShapes: Record<string, number[]>;
  /** Steady runs after the first (default 5). */
  runs?: number;
  profile?: boolean;
  /** SessionOptions.tapwise (winoconv run --tapwise DB --calibrate PATH...). */
  tapwise?: TapwiseOptions;
  /** SessionOptions.precision (winoconv run --precision). */
  precision?: 'float32' | 'float16';
}

export async function runModel(engine: Engine, model: Uint8Array, inputs: Record<string, Float32Array>, opts: RunModelOptions): Promise<{ report: RunModelReport; outputs: Record<string, Float32Array> }> {
  const { createSession } = await import('../graph/session.ts');
  const t0 = performance.now();
  const session = await createSession(engine, model, { inputShapes: opts.inputShapes, profile: opts.profile, ...(opts.tapwise ? { tapwise: opts.tapwise } : {}), ...(opts.precision ? { precision: opts.precision } : {}) });
  const createMs = performance.now() - t0;
  try {
    const t1 = performance.now();
    const raw = await session.run(inputs);
    const firstRunMs = performance.now() - t1;
    // integer outputs (int8/uint8/int32 models) are reported as float32 values (exact: all fit in 24 bits)
    const outputs = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v instanceof Float32Array ? v : Float32Array.from(v)]));
    const steadyMs: number[] = [];
    for (let i = 0; i < (opts.runs ?? 5); i++) {
      const t = performance.now();
      await session.run(inputs);
      steadyMs.push(performance.now() - t);
    }
    const { inputs: ins, outputs: outs, nodes, memory, creationMs, passes, tapwise, precision } = session.info;
    const info = structuredClone({ inputs: ins, outputs: outs, nodes, memory, creationMs, passes, tapwise, precision });
    const summaries = outs.map((o) => summarize(o.name, o.shape, outputs[o.name]));
    return { report: { createMs, firstRunMs, steadyMs, medianMs: median(steadyMs), info, outputs: summaries, adapter: adapterName(engine) }, outputs };
  } finally {
    session.destroy();
  }
}

const f = (v: number, digits = 4) => (Number.isFinite(v) ? (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(digits - 1) : v.toFixed(digits)) : String(v));

/** The text `winoconv run` prints. */
export function formatRunReport(r: RunModelReport, profile: boolean): string[] {
  const lines: string[] = [];
  lines.push(`session created in ${r.createMs.toFixed(1)} ms (session's own count ${r.info.creationMs.toFixed(1)} ms)`);
  lines.push(`first run ${r.firstRunMs.toFixed(2)} ms; steady median ${f(r.medianMs, 3)} ms over ${r.steadyMs.length} run(s)${r.steadyMs.length ? ` (min ${Math.min(...r.steadyMs).toFixed(2)}, max ${Math.max(...r.steadyMs).toFixed(2)})` : ''}`);
  const t = r.info.tapwise;
  if (t) {
    lines.push(`tap-wise int8 Winograd (floor ${t.minSqnrDb} dB; check: ${t.check}; ${t.calibrationInputs} calibration input(s)): ${t.chosen.length} of ${t.eligible.length} eligible layer(s)`);
    for (const n of r.info.nodes) {
      if (!n.tapwise) continue;
      const tried = n.tapwise.verdicts.filter((v) => !(v.status === 'passed' && v.sqnrDb === undefined)).map((v) => `${v.scheme} ${v.status}${v.sqnrDb !== undefined ? ` ${f(v.sqnrDb, 3)} dB` : v.status === 'refused' ? ` (${v.reason.split('\n')[0].slice(0, 100)})` : ''}`);
      lines.push(`  ${n.name}: ${n.tapwise.chosen === 'exact' ? `exact (${n.algorithm})` : n.tapwise.chosen}; ${tried.join(', ')}`);
    }
    for (const c of t.checks) lines.push(`  whole-model check ${c.passed ? 'passed' : 'FAILED'} with ${c.layers.length} layer(s): ${c.detail}`);
    if (t.notEligible.length) lines.push(`  not eligible: ${t.notEligible.join('; ')}`);
  }
  lines.push('outputs:');
  for (const o of r.outputs) {
    lines.push(
      `  ${o.name} [${o.shape.join(', ')}]  min ${f(o.min)}  max ${f(o.max)}  mean ${f(o.mean)}  std ${f(o.std)}` +
        (o.argmax !== undefined ? `  argmax ${o.argmax}` : '') + (o.nonFinite ? `  non-finite ${o.nonFinite}` : ''),
    );
  }
  if (profile) {
    lines.push('nodes:');
    const rows = r.info.nodes.map((n) => [n.name, n.opType, n.outputShapes.map((s) => `[${s.join(', ')}]`).join(' '), n.algorithm, n.gpuMs === undefined ? '-' : n.gpuMs.toFixed(3)]);
    const head = ['node', 'op', 'output shape', 'algorithm', 'ms'];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
    const fmtRow = (x: string[]) => '  ' + x.map((c, i) => (i === 4 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ');
    lines.push(fmtRow(head));
    for (const x of rows) lines.push(fmtRow(x));
    const total = r.info.nodes.reduce((a, n) => a + (n.gpuMs ?? 0), 0);
    lines.push(`  total GPU ${total.toFixed(3)} ms over ${r.info.nodes.length} node(s)`);
    const m = r.info.memory;
    const mb = (b: number) => (b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
    lines.push(`memory${r.info.precision === 'float16' ? ' (float16 activations)' : ''}: weights ${mb(m.weightBytes)}, arena ${mb(m.arenaBytes)}, peak live ${mb(m.peakLiveBytes)}`);
  }
  return lines;
}
