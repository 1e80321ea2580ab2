/**
 * `winoconv run --peers`: the same model with the same inputs in ONNX Runtime Web, after winoconv's own timing.
 * This module holds the pure pieces (peer names, output comparison, the report lines, the --json document) and the
 * browser-safe runner that drives an ORT module (`runOrtPeer`; the page passes `onnxruntime-web/webgpu`).
 */

export const PEER_NAMES = ['ort-webgpu', 'ort-wasm'] as const;
export type PeerName = (typeof PEER_NAMES)[number];

/** "ort-webgpu,ort-wasm" → the peers in the order given (duplicates dropped); ort-webgpu needs --browser. */
export function parsePeers(s: string, browser: boolean): PeerName[] {
  const out: PeerName[] = [];
  for (const raw of s.split(',')) {
    const p = raw.trim();
    if (!p) continue;
    if (!(PEER_NAMES as readonly string[]).includes(p)) throw new Error(`--peers ${s}: unknown peer '${p}' (peers: ${PEER_NAMES.join(', ')})`);
    if (p === 'ort-webgpu' && !browser) throw new Error(`--peers ${s}: ort-webgpu runs in the browser page only: add --browser`);
    if (!out.includes(p as PeerName)) out.push(p as PeerName);
  }
  if (!out.length) throw new Error(`--peers ${s}: name at least one peer (${PEER_NAMES.join(', ')})`);
  return out;
}

/** A non-negative number of seconds (fractions allowed). */
export function parseSeconds(s: unknown, flag: string): number {
  const v = Number(s);
  if (typeof s !== 'string' || s.trim() === '' || !Number.isFinite(v) || v <= 0) throw new Error(`${flag} ${String(s)}: expected a number of seconds > 0`);
  return v;
}

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export interface OutputDiff {
  name: string;
  /** max |peer − winoconv| (Infinity when a NaN/Inf of one side is not matched by the other, or the sizes differ). */
  maxAbsDiff: number;
  /** maxAbsDiff / max |winoconv| (as `onnx-test` judges: relative to the output's largest magnitude). */
  maxRelDiff: number;
  /** Why the output could not be compared element for element (missing, other size). */
  note?: string;
}

/** One output of a peer against winoconv's: max abs and max rel (max|y − ref| / max|ref|) difference. */
export function compareOutput(name: string, ours: ArrayLike<number> | undefined, theirs: ArrayLike<number> | undefined): OutputDiff {
  if (!ours || !theirs) return { name, maxAbsDiff: Infinity, maxRelDiff: Infinity, note: ours ? 'the peer returned no such output' : 'winoconv returned no such output' };
  if (ours.length !== theirs.length) return { name, maxAbsDiff: Infinity, maxRelDiff: Infinity, note: `${theirs.length} element(s) against winoconv's ${ours.length}` };
  let maxAbs = 0;
  let maxRef = 0;
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i];
    const b = theirs[i];
    if (Number.isFinite(a)) maxRef = Math.max(maxRef, Math.abs(a));
    let d: number;
    if (Number.isNaN(a) || Number.isNaN(b)) d = Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
    else if (!Number.isFinite(a) || !Number.isFinite(b)) d = a === b ? 0 : Infinity;
    else d = Math.abs(a - b);
    if (d > maxAbs) maxAbs = d;
  }
  const maxRel = maxAbs === 0 ? 0 : maxRef > 0 ? maxAbs / maxRef : Infinity;
  return { name, maxAbsDiff: maxAbs, maxRelDiff: maxRel };
}

export type PeerStatus = 'ok' | 'timeout' | 'error';

/** What one peer did: times in ms (NaN where the peer did not get that far). */
export interface PeerResult {
  name: PeerName;
  status: PeerStatus;
  /** The error, or 'timed out after N s (while …)'. */
  message?: string;
  createMs: number;
  firstMs: number;
  /** Each steady run's ms. */
  runMs: number[];
  /** Per output, against winoconv's (empty unless the peer finished). */
  outputs: OutputDiff[];
  /** Where it ran and what it was ('onnxruntime-web 1.x, webgpu EP, in Chromium …'). */
  backend?: string;
}

/** What the peer runner reports as it goes: session created, first run done, steady run k of n done (ms each). */
export type PeerEvent = { stage: 'created'; ms: number } | { stage: 'first'; ms: number } | { stage: 'run'; k: number; of: number; ms: number };
export type PeerProgress = (e: PeerEvent) => void;

/** The page's console lines that carry a PeerEvent (JSON after the prefix). */
export const PEER_PROGRESS_PREFIX = '[winoconv-peer] ';

/** The progress line printed for an event. */
export function formatPeerEvent(name: PeerName, e: PeerEvent): string {
  if (e.stage === 'created') return `${name}: session created in ${e.ms.toFixed(1)} ms; first run…`;
  if (e.stage === 'first') return `${name}: first run ${e.ms.toFixed(1)} ms`;
  return `${name}: steady run ${e.k}/${e.of} ${e.ms.toFixed(1)} ms`;
}

/** Partial times from the events seen so far (what a timed-out peer got done). */
export function applyPeerEvent(p: { createMs?: number; firstMs?: number; runMs: number[] }, e: PeerEvent): void {
  if (e.stage === 'created') p.createMs = e.ms;
  else if (e.stage === 'first') p.firstMs = e.ms;
  else p.runMs.push(e.ms);
}

/** What a peer was doing when it stopped, from the events seen so far. */
export function peerStage(p: { createMs?: number; firstMs?: number; runMs: number[] }, runs: number): string {
  if (p.createMs === undefined) return 'creating the session';
  if (p.firstMs === undefined) return 'in the first run';
  return `in steady run ${p.runMs.length + 1}/${runs}`;
}

/** Timings and outputs of one ORT run; outputs as float32 (other dtypes converted). */
export interface OrtPeerRun {
  createMs: number;
  firstMs: number;
  runMs: number[];
  outputs: Record<string, { dims: number[]; data: Float32Array }>;
  version: string;
}

type OrtModule = typeof import('onnxruntime-web');

/**
 * Creates an ORT session for `name` (webgpu EP, or the wasm EP: SIMD, one thread), runs it once (first-run ms) and
 * `runs` more times (steady ms), outputs to the CPU. Browser-safe (the Node path runs the same steps in a worker).
 */
export async function runOrtPeer(
  ort: OrtModule,
  name: PeerName,
  model: Uint8Array,
  inputs: Record<string, { dims: number[]; data: Float32Array }>,
  runs: number,
  progress: PeerProgress,
): Promise<OrtPeerRun> {
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(model, {
    executionProviders: [name === 'ort-webgpu' ? 'webgpu' : 'wasm'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(name === 'ort-webgpu' ? { preferredOutputLocation: 'cpu' as const } : {}),
  });
  const createMs = performance.now() - t0;
  progress({ stage: 'created', ms: createMs });
  try {
    const feeds: Record<string, InstanceType<OrtModule['Tensor']>> = {};
    for (const n of session.inputNames) {
      const x = inputs[n];
      if (!x) throw new Error(`no data for the model input '${n}'`);
      feeds[n] = new ort.Tensor('float32', x.data, x.dims);
    }
    let t = performance.now();
    const r = await session.run(feeds);
    const firstMs = performance.now() - t;
    progress({ stage: 'first', ms: firstMs });
    const runMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      t = performance.now();
      await session.run(feeds);
      runMs.push(performance.now() - t);
      progress({ stage: 'run', k: i + 1, of: runs, ms: runMs[i] });
    }
    const outputs: OrtPeerRun['outputs'] = {};
    for (const n of session.outputNames) {
      const o = r[n];
      const d = o.data as ArrayLike<number | bigint>;
      outputs[n] = { dims: [...o.dims], data: d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>, (v) => Number(v)) };
    }
    return { createMs, firstMs, runMs, outputs, version: ort.env.versions?.web ?? ort.env.versions?.common ?? '?' };
  } finally {
    await session.release();
  }
}

/** A finished peer run judged against winoconv's outputs (in winoconv's output order, then the peer's extras). */
export function peerResult(name: PeerName, run: OrtPeerRun, ours: Record<string, Float32Array>, order: string[], backend?: string): PeerResult {
  const names = [...order, ...Object.keys(run.outputs).filter((n) => !order.includes(n))];
  return {
    name,
    status: 'ok',
    createMs: run.createMs,
    firstMs: run.firstMs,
    runMs: run.runMs,
    outputs: names.map((n) => compareOutput(n, ours[n], run.outputs[n]?.data)),
    backend,
  };
}

/** An error that came back from the page: its message without the 'Error: ' head and the stack frames puppeteer appends. */
export function pageErrorMessage(message: string): string {
  const frame = /^\s*(at\s|async\s)|(\(?(https?|file|blob):\/\/\S*:\d+:\d+\)?)\s*$/;
  const lines = message.replace(/^Error: /, '').split('\n');
  const keep = lines.filter((l) => !frame.test(l));
  return (keep.length ? keep : lines.slice(0, 1)).join('\n').trim();
}

export function failedPeer(name: PeerName, status: 'timeout' | 'error', message: string, partial: Partial<Pick<PeerResult, 'createMs' | 'firstMs' | 'runMs'>> = {}, backend?: string): PeerResult {
  return { name, status, message, createMs: partial.createMs ?? NaN, firstMs: partial.firstMs ?? NaN, runMs: partial.runMs ?? [], outputs: [], backend };
}

const maxOf = (xs: number[]): number => xs.reduce((a, b) => (Number.isNaN(b) ? a : Math.max(a, b)), 0);
const g = (v: number, digits = 3) => (v === 0 ? '0' : Number.isFinite(v) ? (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5) ? v.toExponential(digits - 1) : v.toPrecision(digits)) : String(v));
const ms = (v: number, d = 1) => (Number.isFinite(v) ? `${v.toFixed(d)} ms` : '-');

export interface WinoconvTimes {
  createMs: number;
  firstMs: number;
  runMs: number[];
}

/** The peer lines `winoconv run --peers` prints after winoconv's report. */
export function formatPeerReport(ours: WinoconvTimes, peers: PeerResult[]): string[] {
  const ourMedian = median(ours.runMs);
  const lines = ['peers (same model, same inputs; diff = peer − winoconv, rel = max|diff| / max|winoconv|):'];
  for (const p of peers) {
    const head = `  ${p.name}${p.backend ? ` (${p.backend})` : ''}`;
    if (p.status !== 'ok') {
      const got = [Number.isFinite(p.createMs) ? `created in ${ms(p.createMs)}` : '', Number.isFinite(p.firstMs) ? `first run ${ms(p.firstMs)}` : '', p.runMs.length ? `${p.runMs.length} steady run(s) done` : ''].filter(Boolean);
      lines.push(`${head}: ${p.status === 'timeout' ? '' : 'ERROR '}${p.message ?? p.status}${got.length ? ` (${got.join(', ')})` : ''}`);
      continue;
    }
    const m = median(p.runMs);
    const ratio = m / ourMedian;
    lines.push(
      `${head}: created in ${ms(p.createMs)}; first run ${ms(p.firstMs, 2)}; steady median ${p.runMs.length ? ms(m, 2) : '-'} over ${p.runMs.length} run(s)` +
        (Number.isFinite(ratio) ? `; ${g(ratio)}× winoconv's ${ms(ourMedian, 2)}` : ''),
    );
    lines.push(`    max abs diff ${g(maxOf(p.outputs.map((o) => o.maxAbsDiff)))}, max rel diff ${g(maxOf(p.outputs.map((o) => o.maxRelDiff)))}`);
    if (p.outputs.length > 1 || p.outputs.some((o) => o.note)) {
      for (const o of p.outputs) lines.push(`      ${o.name}: max abs ${g(o.maxAbsDiff)}, max rel ${g(o.maxRelDiff)}${o.note ? ` (${o.note})` : ''}`);
    }
  }
  return lines;
}

/** JSON numbers: NaN → null, ±Infinity → null (JSON has neither). */
const num = (v: number): number | null => (Number.isFinite(v) ? v : null);

export interface RunJson {
  model: string;
  adapter: string | null;
  browser: string | null;
  winoconv: { createMs: number | null; firstMs: number | null; steadyMs: number | null; runs: number; runMs: number[] };
  peers: {
    name: PeerName;
    status: PeerStatus;
    message?: string;
    backend?: string;
    createMs: number | null;
    firstMs: number | null;
    steadyMs: number | null;
    runs: number;
    runMs: number[];
    ratio: number | null;
    maxAbsDiff: number | null;
    maxRelDiff: number | null;
    outputs: { name: string; maxAbsDiff: number | null; maxRelDiff: number | null; note?: string }[];
  }[];
}

/** The `--json FILE` document. */
export function runJson(model: string, adapter: string | undefined, browser: string | undefined, ours: WinoconvTimes, peers: PeerResult[]): RunJson {
  const ourMedian = median(ours.runMs);
  return {
    model,
    adapter: adapter ?? null,
    browser: browser ?? null,
    winoconv: { createMs: num(ours.createMs), firstMs: num(ours.firstMs), steadyMs: num(ourMedian), runs: ours.runMs.length, runMs: ours.runMs },
    peers: peers.map((p) => {
      const m = median(p.runMs);
      const ok = p.status === 'ok';
      return {
        name: p.name,
        status: p.status,
        ...(p.message !== undefined ? { message: p.message } : {}),
        ...(p.backend !== undefined ? { backend: p.backend } : {}),
        createMs: num(p.createMs),
        firstMs: num(p.firstMs),
        steadyMs: num(m),
        runs: p.runMs.length,
        runMs: p.runMs,
        ratio: num(m / ourMedian),
        maxAbsDiff: ok ? num(maxOf(p.outputs.map((o) => o.maxAbsDiff))) : null,
        maxRelDiff: ok ? num(maxOf(p.outputs.map((o) => o.maxRelDiff))) : null,
        outputs: p.outputs.map((o) => ({ name: o.name, maxAbsDiff: num(o.maxAbsDiff), maxRelDiff: num(o.maxRelDiff), ...(o.note ? { note: o.note } : {}) })),
      };
    }),
  };
}
