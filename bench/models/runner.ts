/**
 * The runner of `winoconv bench --models` (issue 12): whole models, winoconv against ONNX Runtime Web, side by side.
 * Environment-agnostic (no Node APIs): Node passes Dawn's GPU object, the page navigator.gpu and its peers.
 *
 * Per model: every implementation creates its session (winoconv: a fresh engine, so a cold pipeline and
 * verification cache) and runs once (firstMs, the warm-up); then `runs` rounds in which the implementations take
 * turns, one run each. A run is launch → every output on the CPU, wall clock. An implementation whose time on the
 * model (create + runs) passes `budgetS` takes no more rounds (it keeps at least one timed run). Outputs of the first
 * run are judged against ONNX Runtime CPU's (judgeOutput). Then, with `profile`, a separate winoconv session with
 * timestamp queries runs 3 times: per-node GPU ms (median), classed winograd / otherConv / nonConv.
 */
import { createEngine, type Engine } from '../../src/engine/engine.ts';
import { createSession } from '../../src/graph/session.ts';
import { importOnnx } from '../../src/graph/onnx-import.ts';
import { runPasses } from '../../src/graph/passes.ts';
import { DEFAULT_TOLERANCE, judgeOutput } from '../../src/graph/test-data.ts';
import type { Graph } from '../../src/graph/ir.ts';
import { describeAdapter } from '../../src/runtime/adapter-info.ts';
import { quantile } from '../summary.ts';
import { checkAuto } from './auto-check.ts';
import { classifyNode, convText, profileSplit, runStats, summarizeModels, type ConvAttrs } from './summary.ts';
import { MODEL_IMPLS, type BenchTensor, type LayerProfile, type ModelCase, type ModelImpl, type ModelProfile, type ModelRow, type ModelsBenchResults } from './types.ts';

export interface ModelsBenchOptions {
  /** Model names (informational: the cases given are what runs). */
  models?: string[];
  /** Default: every implementation the context can run (winoconv and the peers it has). */
  impls?: ModelImpl[];
  /** Timed rounds after the first run (default 5). */
  runs?: number;
  /** Seconds per model per implementation before it stops taking rounds (default 60). */
  budgetS?: number;
  /** A profiled winoconv session after the timing (default true). */
  profile?: boolean;
  /** auto's choice per conv layer against the fastest verified candidate (bench/models/auto-check.ts). */
  checkAuto?: boolean;
}

/** One implementation's session on one model. */
export interface ImplSession {
  /** Where it runs: 'onnxruntime-web 1.22.0 webgpu EP'. */
  backend: string;
  /** One run: ms of launch → outputs on the CPU; outputs when asked (the first run, for the error check). */
  run(wantOutputs: boolean): Promise<{ ms: number; outputs?: Record<string, BenchTensor> }>;
  destroy(): Promise<void> | void;
}

/** Creates a peer's session for a model (the page's ORT Web; never called for winoconv). */
export type PeerFactory = (c: ModelCase) => Promise<ImplSession>;

export interface ModelsBenchContext {
  gpu: GPU;
  environment: string;
  /** The page's crossOriginIsolated; null in Node. */
  crossOriginIsolated: boolean | null;
  peers?: Partial<Record<ModelImpl, PeerFactory>>;
  /** Implementations skipped with a reason (a 'skipped' row per model), e.g. ort-wasm-2 without isolation. */
  skip?: Partial<Record<ModelImpl, string>>;
  progress?: (line: string) => void;
  /** Each row as soon as it is final, and each profile. */
  onRow?: (row: ModelRow) => void;
  onProfile?: (p: ModelProfile) => void;
  /** Polled between runs: true stops the benchmark (the rows so far are returned). */
  shouldStop?: () => boolean;
}

const now = () => performance.now();
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 400);

/** max over the reference's outputs of judgeOutput's maxRelError (Infinity for a missing output). */
export function maxRelErrorOf(outputs: Record<string, BenchTensor>, reference: Record<string, BenchTensor>): number {
  let worst = 0;
  for (const [name, ref] of Object.entries(reference)) {
    const y = outputs[name];
    if (!y) return Infinity;
    const v = judgeOutput(y.data, y.dims, { name, dtype: 'float32', dims: ref.dims, data: ref.data }, DEFAULT_TOLERANCE);
    worst = Math.max(worst, v.maxRelError);
  }
  return worst;
}

/** winoconv's session on a fresh engine (cold caches); the engine is destroyed with the session. */
async function winoconvSession(gpu: GPU, c: ModelCase, engineOut: { engine?: Engine }, precision?: 'float16'): Promise<ImplSession> {
  const engine = await createEngine({ gpu });
  if (!precision) engineOut.engine = engine;
  try {
    const inputShapes = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, v.dims]));
    const session = await createSession(engine, c.model, { inputShapes, ...(precision ? { precision } : {}) });
    const feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, v.data]));
    const dims = Object.fromEntries(session.info.outputs.map((o) => [o.name, o.shape]));
    const algos: Record<string, number> = {};
    for (const n of session.info.nodes) if (n.verification) algos[n.algorithm] = (algos[n.algorithm] ?? 0) + 1;
    return {
      backend: `winoconv, fresh engine; convs: ${Object.entries(algos).map(([a, k]) => `${a} ${k}`).join(', ') || 'none'}`,
      async run(wantOutputs) {
        const t0 = now();
        const ys = await session.run(feeds);
        const ms = now() - t0;
        return { ms, outputs: wantOutputs ? Object.fromEntries(Object.entries(ys).map(([k, v]) => [k, { dims: dims[k], data: v }])) : undefined };
      },
      destroy() {
        session.destroy();
      },
      get info() {
        return session.info;
      },
    } as ImplSession & { info: typeof session.info };
  } catch (e) {
    engine.destroy();
    engineOut.engine = undefined;
    throw e;
  }
}

/** Conv attributes by node name, from the graph after the passes (the names the session's nodes carry). */
export function convAttrsByNode(c: ModelCase): Map<string, ConvAttrs> {
  const inputShapes = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, v.dims]));
  const { graph } = runPasses(importOnnx(c.model, { inputShapes }));
  return convAttrsOf(graph);
}

export function convAttrsOf(g: Graph): Map<string, ConvAttrs> {
  const out = new Map<string, ConvAttrs>();
  const ints = (n: Graph['nodes'][number], k: string, d: number[]) => {
    const a = n.attributes[k];
    return a?.type === 'ints' ? a.value : d;
  };
  for (const n of g.nodes) {
    if (n.opType !== 'Conv' && n.opType !== 'FusedConv' && n.opType !== 'ConvTranspose') continue;
    const w = g.initializers.get(n.inputs[1])?.dims ?? g.folded.get(n.inputs[1])?.dims ?? (g.values.get(n.inputs[1])?.shape as number[] | undefined);
    const x = g.values.get(n.inputs[0])?.shape as number[] | undefined;
    if (!w || w.length !== 4 || !x) continue;
    const ga = n.attributes.group;
    const group = ga?.type === 'int' ? ga.value : 1;
    const s = ints(n, 'strides', [1, 1]);
    const d = ints(n, 'dilations', [1, 1]);
    const transpose = n.opType === 'ConvTranspose';
    out.set(n.name, {
      kernel: [w[2], w[3]],
      strides: [s[0], s[1]],
      dilations: [d[0], d[1]],
      group,
      inChannels: x[1],
      outChannels: transpose ? w[1] * group : w[0],
    });
  }
  return out;
}

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

/** The profiled winoconv session: 3 runs with timestamp queries, per-node median GPU ms. */
async function profileModel(engine: Engine, c: ModelCase, progress: (l: string) => void): Promise<ModelProfile> {
  const attrs = convAttrsByNode(c);
  const inputShapes = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, v.dims]));
  const feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, v.data]));
  const hasTs = engine.device.features.has('timestamp-query');
  const session = await createSession(engine, c.model, { inputShapes, profile: hasTs });
  try {
    const times: number[][] = session.info.nodes.map(() => []);
    if (hasTs) {
      for (let i = 0; i < 3; i++) {
        await session.run(feeds);
        session.info.nodes.forEach((n, k) => times[k].push(n.gpuMs ?? NaN));
      }
    }
    const layers: LayerProfile[] = session.info.nodes.map((n, k) => {
      const a = attrs.get(n.name);
      const isConv = n.opType === 'Conv' || n.opType === 'FusedConv' || n.opType === 'ConvTranspose';
      const ms = hasTs && times[k].every(Number.isFinite) ? median(times[k]) : null;
      return {
        node: n.name,
        opType: n.opType,
        algorithm: n.algorithm,
        kernels: [...n.kernelIds],
        outputShape: [...(n.outputShapes[0] ?? [])],
        ...(isConv && a ? { conv: convText(a) } : {}),
        gpuMs: ms,
        class: classifyNode(n.opType, a),
      };
    });
    const p: ModelProfile = { model: c.spec.name, layers, split: profileSplit(layers) };
    if (!hasTs) p.message = "no GPU times: the device has no 'timestamp-query' feature";
    else progress(`  ${c.spec.name}: profiled ${layers.length} nodes (3 runs with timestamp queries)`);
    return p;
  } finally {
    session.destroy();
  }
}

interface Live {
  impl: ModelImpl;
  session: ImplSession;
  row: ModelRow;
  spentMs: number;
}

function emptyRow(model: string, impl: ModelImpl, status: ModelRow['status'], message?: string): ModelRow {
  return { model, impl, status, ...(message ? { message } : {}), createMs: null, firstMs: null, runMs: [], medianMs: null, minMs: null, maxMs: null, spread: null, gflops: null, maxRelError: null };
}

export async function runModelsBench(cases: ModelCase[], opts: ModelsBenchOptions, ctx: ModelsBenchContext): Promise<ModelsBenchResults> {
  const progress = ctx.progress ?? (() => undefined);
  const runs = opts.runs ?? 5;
  const budgetMs = (opts.budgetS ?? 60) * 1000;
  const profile = opts.profile ?? true;
  const impls = opts.impls ?? MODEL_IMPLS.filter((i) => i === 'winoconv' || ctx.peers?.[i] || ctx.skip?.[i]);
  for (const i of impls) if (!MODEL_IMPLS.includes(i)) throw new Error(`unknown implementation '${i}' (known: ${MODEL_IMPLS.join(', ')})`);
  const report = await describeAdapter(ctx.gpu).catch(() => undefined);
  const adapter = report ? [report.vendor, report.architecture, report.device, report.description].filter(Boolean).join(' / ') : 'unknown';
  const rows: ModelRow[] = [];
  const profiles: ModelProfile[] = [];
  const stopped = () => ctx.shouldStop?.() ?? false;
  const done = (r: ModelRow) => {
    rows.push(r);
    ctx.onRow?.(r);
  };

  for (const [mi, c] of cases.entries()) {
    if (stopped()) break;
    const tag = `[${mi + 1}/${cases.length} ${c.spec.name}]`;
    progress(`${tag} ${c.spec.label}, input ${c.spec.input}, ${(c.convFlops / 1e9).toFixed(3)} conv GFLOP`);
    const live: Live[] = [];
    const engineBox: { engine?: Engine } = {};
    try {
      // Create + first run, one implementation after the other.
      for (const impl of impls) {
        if (stopped()) break;
        const skip = ctx.skip?.[impl];
        const factory =
          impl === 'winoconv' ? (x: ModelCase) => winoconvSession(ctx.gpu, x, engineBox)
          : impl === 'winoconv-fp16' ? (x: ModelCase) => winoconvSession(ctx.gpu, x, {}, 'float16')
          : ctx.peers?.[impl];
        if (skip !== undefined || !factory) {
          done(emptyRow(c.spec.name, impl, 'skipped', skip ?? `${impl} is not available here`));
          continue;
        }
        const row = emptyRow(c.spec.name, impl, 'ok');
        const t0 = now();
        try {
          progress(`${tag} ${impl}: creating the session ...`);
          const session = await factory(c);
          row.createMs = now() - t0;
          row.backend = session.backend;
          const first = await session.run(true);
          row.firstMs = first.ms;
          if (first.outputs) row.maxRelError = maxRelErrorOf(first.outputs, c.reference);
          if (impl === 'winoconv' || impl === 'winoconv-fp16') {
            const info = (session as ImplSession & { info: { memory: { arenaBytes: number; peakLiveBytes: number; weightBytes: number } } }).info;
            row.arenaBytes = info.memory.arenaBytes;
            row.peakLiveBytes = info.memory.peakLiveBytes;
            row.weightBytes = info.memory.weightBytes;
          }
          progress(`${tag} ${impl}: create ${row.createMs.toFixed(0)} ms, first run ${first.ms.toFixed(1)} ms, max rel err ${row.maxRelError?.toExponential(2) ?? '—'}`);
          live.push({ impl, session, row, spentMs: now() - t0 });
        } catch (e) {
          row.status = 'error';
          row.message = errText(e);
          progress(`${tag} ${impl}: error: ${row.message}`);
          done(row);
        }
      }
      // Timed rounds, implementations taking turns.
      for (let r = 0; r < runs && !stopped(); r++) {
        const turn = live.filter((l) => l.row.status === 'ok' && (l.row.runMs.length === 0 || l.spentMs < budgetMs));
        if (turn.length === 0) break;
        const line: string[] = [];
        for (const l of turn) {
          const t0 = now();
          try {
            const { ms } = await l.session.run(false);
            l.row.runMs.push(ms);
            line.push(`${l.impl} ${ms.toFixed(1)}`);
          } catch (e) {
            l.row.status = 'error';
            l.row.message = errText(e);
            line.push(`${l.impl} error`);
          }
          l.spentMs += now() - t0;
        }
        progress(`${tag} round ${r + 1}/${runs}: ${line.join(', ')} ms`);
      }
      for (const l of live) {
        if (l.row.runMs.length < runs && l.row.status === 'ok') {
          l.row.message = `budget ${(budgetMs / 1000).toFixed(0)} s spent: ${l.row.runMs.length} of ${runs} timed runs`;
        }
        const s = runStats(l.row.runMs);
        Object.assign(l.row, s, { gflops: s.medianMs ? c.convFlops / 1e6 / s.medianMs : null });
      }
    } finally {
      for (const l of live) {
        try {
          await l.session.destroy();
        } catch {
          /* ignore */
        }
      }
    }
    for (const l of live) done(l.row);
    // Profile (and --check-auto) on the model's engine, after the timing.
    if ((profile || opts.checkAuto) && engineBox.engine && !stopped()) {
      let p: ModelProfile = { model: c.spec.name, layers: [], split: null };
      if (profile) {
        try {
          p = await profileModel(engineBox.engine, c, progress);
        } catch (e) {
          p.message = `profile failed: ${errText(e)}`;
          progress(`${tag} ${p.message}`);
        }
      }
      if (opts.checkAuto) {
        try {
          p.autoCheck = await checkAuto(engineBox.engine, c, { progress });
        } catch (e) {
          p.autoCheckError = errText(e);
          progress(`${tag} check-auto: ${p.autoCheckError}`);
        }
      }
      profiles.push(p);
      ctx.onProfile?.(p);
    }
    engineBox.engine?.destroy();
  }
  const models = cases.map((c) => c.spec.name);
  return {
    schema: 'winoconv-bench-models/1',
    date: new Date().toISOString(),
    environment: ctx.environment,
    adapter,
    crossOriginIsolated: ctx.crossOriginIsolated,
    options: { models: opts.models ?? models, impls, runs, budgetS: budgetMs / 1000, profile, checkAuto: Boolean(opts.checkAuto) },
    specs: cases.map((c) => ({ ...c.spec, convGflop: c.convFlops / 1e9 })),
    rows,
    profiles,
    summary: summarizeModels(rows, models),
  };
}
