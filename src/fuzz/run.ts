/**
 * The differential fuzzer's runner: generated cases through an Engine's public API (candidates, createConv2d,
 * run, destroy), each valid case forced through every algorithm that says it can serve it plus `auto`, each
 * result judged against the CPU references (judge.ts). Environment-agnostic: Node (Dawn) or a browser page.
 *
 * Outcomes: `ok`; `refused-valid` (a valid descriptor an algorithm claims to serve was refused); `out-of-bounds`
 * (output outside the tolerance, or NaN/Inf where the reference is finite); `bad-input-refused` (ok: a
 * ConvDescError before any GPU work); `bad-input-accepted` (a bad input accepted, or refused only after GPU work);
 * `crash` (any other exception, or a GPU validation / out-of-memory / internal error during the run).
 */
import { ConvDescError } from '../conv/validate.ts';
import type { AlgorithmName, Conv2dDesc } from '../conv/desc.ts';
import { Engine, type Conv2dOptions } from '../engine/engine.ts';
import { badOperands, FUZZ_DEFAULT_SEED, fuzzJson, fuzzOperands, generateCase, type BadFuzzCase, type FuzzCase, type ValidFuzzCase } from './generate.ts';
import { expectedOutput, judgeOutput } from './judge.ts';

export type FuzzOutcome = 'ok' | 'refused-valid' | 'out-of-bounds' | 'bad-input-refused' | 'bad-input-accepted' | 'crash';
export const FUZZ_OUTCOMES: FuzzOutcome[] = ['ok', 'refused-valid', 'out-of-bounds', 'bad-input-refused', 'bad-input-accepted', 'crash'];
export const FUZZ_FAILURES: FuzzOutcome[] = ['refused-valid', 'out-of-bounds', 'bad-input-accepted', 'crash'];

export interface FuzzResult {
  seed: number;
  index: number;
  kind: FuzzCase['kind'];
  /** The forced algorithm, `auto→chosen`, or '-' for a bad input. */
  algorithm: string;
  outcome: FuzzOutcome;
  pass: boolean;
  /** The error measured against its bound, the refusal, or the exception. */
  message: string;
  ms: number;
  /** One line: the command that replays it, then the case as JSON. */
  repro: string;
  /** A ready-to-paste TypeScript snippet (imports from src/fuzz/generate.ts) that builds the same plan and runs it. */
  snippet: string;
  kernels?: string[];
  /** refused-valid: the verification failures the refusal quotes (one line each), to trace cached records. */
  verificationFailures?: string[];
}

export interface FuzzOptions {
  seed?: number;
  /** Stop once this many valid plan runs are done (default 1000 when `seconds` is not given). */
  runs?: number;
  /** Stop at the first case boundary after this many seconds (overrides `runs`). */
  seconds?: number;
  /** First case index (default 0). */
  startCase?: number;
  /** Replay these cases only. */
  cases?: number[];
  /** Only this algorithm (and auto only when it is 'auto'); valid cases only. */
  algorithm?: string;
  /** Then run bad-input cases of the same stream (skipping the others) until this many bad inputs are done. */
  badInputs?: number;
  /** The generator's narrow mode (the fixed test slices): see GenerateOptions. */
  narrow?: boolean;
  /** Called after each result (printing, progress). */
  onResult?: (r: FuzzResult) => void;
}

export interface FuzzSummary {
  seed: number;
  narrow: boolean;
  cases: number;
  /** Valid descriptors through one algorithm (forced or auto). */
  planRuns: number;
  badInputs: number;
  counts: Record<FuzzOutcome, number>;
  byKind: Record<string, number>;
  passed: number;
  failed: number;
  seconds: number;
  distinctKernelSets: number;
  /** Tap-wise int8 plans declined by their own SQNR gate (counted as ok: documented for an approximate algorithm). */
  declinedApproximate: number;
  /** Whether GPU work could be counted (a bad input refused after GPU work is then caught). */
  gpuWorkCounted: boolean;
  failures: FuzzResult[];
}

const isDescError = (e: unknown) => e instanceof ConvDescError || (e as Error)?.name === 'ConvDescError';
const errLine = (e: unknown) => `${(e as Error)?.name ?? 'Error'}: ${String((e as Error)?.message ?? e).split('\n').slice(0, 4).join(' | ')}`;
const jsCrash = (e: unknown) => e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError || e instanceof SyntaxError;

/**
 * Counts the device calls that are GPU work (buffers, shader modules, pipelines, submits, writes), by wrapping
 * them on the device object once. Returns undefined where the device's methods cannot be wrapped.
 */
const counters = new WeakMap<GPUDevice, { n: number }>();
function gpuWorkCounter(device: GPUDevice): (() => number) | undefined {
  let c = counters.get(device);
  if (!c) {
    const box = { n: 0 };
    try {
      const dev = device as unknown as Record<string, unknown>;
      for (const m of ['createBuffer', 'createShaderModule', 'createComputePipeline', 'createComputePipelineAsync', 'createBindGroup']) {
        const orig = dev[m] as ((...a: unknown[]) => unknown) | undefined;
        if (typeof orig !== 'function') continue;
        dev[m] = (...a: unknown[]) => {
          box.n++;
          return orig.apply(device, a);
        };
      }
      const q = device.queue as unknown as Record<string, unknown>;
      for (const m of ['submit', 'writeBuffer']) {
        const orig = q[m] as (...a: unknown[]) => unknown;
        q[m] = (...a: unknown[]) => {
          box.n++;
          return orig.apply(device.queue, a);
        };
      }
    } catch {
      return undefined;
    }
    c = box;
    counters.set(device, c);
  }
  const box = c;
  return () => box.n;
}

const SCOPES: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];
async function withErrorScopes(device: GPUDevice, f: () => Promise<void>): Promise<{ gpuErrors: string[] }> {
  for (const s of SCOPES) device.pushErrorScope(s);
  let thrown: unknown;
  try {
    await f();
  } catch (e) {
    thrown = e;
  }
  // Popped whatever happened, so no scope leaks into the next run.
  const gpuErrors: string[] = [];
  for (const s of [...SCOPES].reverse()) {
    const e = await device.popErrorScope();
    if (e) gpuErrors.push(`${s} error: ${e.message.split('\n')[0]}`);
  }
  if (thrown !== undefined) throw thrown;
  return { gpuErrors };
}

function describeCase(c: FuzzCase): string {
  if (c.kind === 'bad') return `bad: ${c.name} | mutation ${fuzzJson(c.mutation, 4)} | base ${describeCase(c.base)}`;
  const parts = [`${c.kind} desc ${fuzzJson(c.desc)}`, `size ${fuzzJson(c.size)}`, `weights ${c.weightLayout}`];
  if (c.bias) parts.push(`bias ${c.bias}`);
  if (c.prelu) parts.push(`prelu ${c.prelu}`);
  if (c.kind === 'int8') parts.push(`quant ${fuzzJson(c.quant, 4)}`);
  parts.push(`[${c.tags.join(', ')}]`);
  return parts.join(' ');
}

/**
 * The one-line reproduction: the command, then the case. `before`: earlier cases to replay first, in the same
 * process (a verification record they left behind is part of the failure); then every algorithm of each case runs.
 */
export function reproLine(c: FuzzCase, algorithm?: string, before: number[] = []): string {
  const alg = algorithm && algorithm !== '-' && before.length === 0 ? ` --algorithm ${algorithm.split('→')[0]}` : '';
  return `npx winoconv fuzz --seed ${c.seed} --case ${[...before, c.index].join(',')}${c.narrow ? ' --narrow' : ''}${alg}   # ${describeCase(c)}`;
}

/** The verification failures quoted in a refusal (one per failed candidate), e.g. `im2col: FAILED on 2×10×10 random data: ...`. */
function verificationFailures(message: string): string[] {
  return message.split('\n').map((x) => x.trim()).filter((x) => /^[\w-]+: FAILED /.test(x));
}

export function snippetFor(c: FuzzCase, algorithm?: string): string {
  if (c.kind === 'bad') {
    return `const o = badOperands(generateCase(${c.seed}, ${c.index}${c.narrow ? ', { narrow: true }' : ''}) as BadFuzzCase); const plan = await engine.createConv2d(o.desc as Conv2dDesc, o.options as Conv2dOptions); await plan.run(o.x as Float32Array, o.size as PlanShape);`;
  }
  const a = (algorithm ?? 'auto').split('→')[0];
  return `const c = generateCase(${c.seed}, ${c.index}${c.narrow ? ', { narrow: true }' : ''}) as ValidFuzzCase; const o = fuzzOperands(c); const plan = await engine.createConv2d({ ...o.desc, algorithm: '${a}' }, o.options); const y = await plan.run(o.input, o.size); console.log(judgeOutput(c, plan.info.algorithm, y, expectedOutput(c, o)));`;
}

/** Algorithms that say they can serve a valid case (not rejected by `engine.candidates`), then auto. */
export function algorithmsFor(engine: Engine, c: ValidFuzzCase): string[] {
  const verdicts = engine.candidates({ ...c.desc, algorithm: 'auto' }, { expectedSize: { height: c.size.height, width: c.size.width } });
  const names = verdicts.filter((v) => v.status !== 'rejected').map((v) => v.algorithm as string);
  // Tap-wise int8 Winograd serves QLinearConv outputs only (int8/uint8), as its help says; candidates() does not see
  // the quantization options, so the fuzzer does not force it on int32 or dequantized outputs.
  // Saturating cases are not forced through them either: most outputs clamp, the SQNR (signal measured from the
  // zero point) says little, and the plan's own SQNR gate may refuse them by design.
  const noTap = c.kind === 'int8' && ((c.quant.output !== 'int8' && c.quant.output !== 'uint8') || c.flavour === 'saturate');
  const served = noTap ? names.filter((a) => !a.endsWith('-tap')) : names;
  return [...served, 'auto'];
}

async function runValid(engine: Engine, c: ValidFuzzCase, only: string | undefined, kernelSets: Set<string>, declined: { n: number }): Promise<FuzzResult[]> {
  const out: FuzzResult[] = [];
  const base = { seed: c.seed, index: c.index, kind: c.kind };
  let algorithms: string[];
  try {
    algorithms = algorithmsFor(engine, c);
  } catch (e) {
    return [{ ...base, algorithm: 'candidates', outcome: isDescError(e) ? 'refused-valid' : 'crash', pass: false, message: `engine.candidates threw ${errLine(e)}`, ms: 0, repro: reproLine(c), snippet: snippetFor(c) }];
  }
  if (only) algorithms = algorithms.filter((a) => a === only);
  const ops = fuzzOperands(c);
  const want = expectedOutput(c, ops);
  for (const a of algorithms) {
    const t0 = performance.now();
    let outcome: FuzzOutcome = 'ok';
    let message = '';
    let shown = a;
    let kernels: string[] | undefined;
    let records: string[] | undefined;
    const { gpuErrors } = await withErrorScopes(engine.device, async () => {
      let plan;
      const tap = a.endsWith('-tap');
      try {
        // Tap-wise (approximate) int8 plans measure their SQNR before use: on the fuzz input itself, so that the
        // gate and the judge below see the same data.
        const calibration = tap ? [{ data: ops.input, ...ops.size }] : undefined;
        plan = await engine.createConv2d({ ...ops.desc, algorithm: a as AlgorithmName }, tap ? { ...ops.options, calibration } : ops.options);
      } catch (e) {
        if (tap && /SQNR [\d.-]+ dB .* floor/.test(String((e as Error)?.message))) {
          // Documented behaviour of an approximate algorithm: refused when its measured SQNR is under the floor.
          declined.n++;
          message = `declined by its SQNR gate (approximate, documented): ${errLine(e)}`;
          return;
        }
        outcome = jsCrash(e) ? 'crash' : 'refused-valid';
        message = `createConv2d refused it: ${errLine(e)}`;
        records = verificationFailures(String((e as Error)?.message ?? ''));
        return;
      }
      try {
        if (a === 'auto') shown = `auto→${plan.info.algorithm}`;
        kernels = plan.info.kernels;
        kernelSets.add(kernels.join('+'));
        const got = await plan.run(ops.input, ops.size);
        const j = judgeOutput(c, plan.info.algorithm, got, want);
        message = j.detail;
        if (!j.pass) outcome = 'out-of-bounds';
      } catch (e) {
        outcome = 'crash';
        message = `run() threw ${errLine(e)}`;
      } finally {
        plan.destroy();
      }
    });
    if (gpuErrors.length) {
      if (outcome === 'ok' || outcome === 'out-of-bounds') outcome = 'crash';
      message = `${message}; GPU ${gpuErrors.join('; ')}`;
    }
    out.push({ ...base, algorithm: shown, outcome, pass: outcome === 'ok', message, ms: performance.now() - t0, repro: reproLine(c, shown), snippet: snippetFor(c, shown), kernels, verificationFailures: records });
  }
  return out;
}

async function runBad(engine: Engine, b: BadFuzzCase, counter: (() => number) | undefined): Promise<FuzzResult> {
  const t0 = performance.now();
  const ops = badOperands(b);
  const work = counter ?? (() => 0);
  let outcome: FuzzOutcome = 'bad-input-refused';
  let message = '';
  const { gpuErrors } = await withErrorScopes(engine.device, async () => {
    const w0 = work();
    let plan;
    try {
      plan = await engine.createConv2d(ops.desc as Conv2dDesc, ops.options as Conv2dOptions);
    } catch (e) {
      if (!isDescError(e)) {
        outcome = 'crash';
        message = `createConv2d threw ${errLine(e)} (not a ConvDescError)`;
      } else if (work() > w0) {
        outcome = 'bad-input-accepted';
        message = `refused only after GPU work (${work() - w0} GPU calls): ${errLine(e)}`;
      } else message = `createConv2d refused it: ${errLine(e)}`;
      return;
    }
    try {
      if (b.stage === 'create') {
        outcome = 'bad-input-accepted';
        message = `createConv2d accepted it (plan ${plan.info.algorithm})`;
        return;
      }
      // A bad x with a valid shape: size the plan first (valid work), so that only run()'s own work is counted.
      const badX = b.mutation.target === 'run' && b.mutation.path === 'x';
      if (badX) plan.resize(ops.size as { batch: number; height: number; width: number });
      const w1 = work();
      try {
        if (badX) await plan.run(ops.x as Float32Array);
        else await plan.run(ops.x as Float32Array, ops.size as { batch: number; height: number; width: number });
        outcome = 'bad-input-accepted';
        message = `run() accepted it (plan ${plan.info.algorithm})`;
      } catch (e) {
        if (!isDescError(e)) {
          outcome = 'crash';
          message = `run() threw ${errLine(e)} (not a ConvDescError)`;
        } else if (work() > w1) {
          outcome = 'bad-input-accepted';
          message = `run() refused only after GPU work (${work() - w1} GPU calls): ${errLine(e)}`;
        } else message = `run() refused it: ${errLine(e)}`;
      }
    } finally {
      plan.destroy();
    }
  });
  if (gpuErrors.length) {
    if (outcome === 'bad-input-refused') outcome = 'crash';
    message = `${message}; GPU ${gpuErrors.join('; ')}`;
  }
  return { seed: b.seed, index: b.index, kind: 'bad', algorithm: '-', outcome, pass: outcome === 'bad-input-refused', message: `${b.name}: ${message}`, ms: performance.now() - t0, repro: reproLine(b), snippet: snippetFor(b) };
}

/** Runs one case: every algorithm for a valid case (or only `algorithm`), one result for a bad input. */
export async function runFuzzCase(engine: Engine, c: FuzzCase, opts: { algorithm?: string } = {}, kernelSets = new Set<string>(), declined = { n: 0 }): Promise<FuzzResult[]> {
  if (c.kind === 'bad') return opts.algorithm ? [] : [await runBad(engine, c, gpuWorkCounter(engine.device))];
  return runValid(engine, c, opts.algorithm, kernelSets, declined);
}

/** Runs cases of one stream until `runs` valid plan runs (default 1000) or `seconds` are done; every result judged. */
export async function runFuzz(engine: Engine, opts: FuzzOptions = {}): Promise<FuzzSummary> {
  const seed = opts.seed ?? FUZZ_DEFAULT_SEED;
  const t0 = performance.now();
  const runs = opts.seconds === undefined ? (opts.runs ?? 1000) : Infinity;
  const deadline = opts.seconds === undefined ? Infinity : t0 + opts.seconds * 1000;
  const counts = Object.fromEntries(FUZZ_OUTCOMES.map((o) => [o, 0])) as Record<FuzzOutcome, number>;
  const byKind: Record<string, number> = { float32: 0, int8: 0, bad: 0 };
  const failures: FuzzResult[] = [];
  const kernelSets = new Set<string>();
  const declined = { n: 0 };
  let planRuns = 0;
  let badInputs = 0;
  let cases = 0;
  const gpuWorkCounted = gpuWorkCounter(engine.device) !== undefined;
  const indices = opts.cases ?? null;
  const done = new Set<number>();
  let extraBad = false;
  let badEngine: Engine | undefined;
  const firstFailure = new Map<string, number>();
  for (let i = 0; ; i++) {
    const index = indices ? indices[i] : (opts.startCase ?? 0) + i;
    if (index === undefined) break;
    if (!indices && !extraBad && (planRuns >= runs || performance.now() >= deadline)) {
      extraBad = true;
      i = -1;
      continue;
    }
    if (extraBad && (badInputs >= (opts.badInputs ?? 0) || performance.now() >= deadline)) break;
    if (extraBad && done.has(index)) continue;
    done.add(index);
    const c = generateCase(seed, index, { narrow: opts.narrow });
    if (extraBad && c.kind !== 'bad') continue;
    cases++;
    byKind[c.kind]++;
    let results: FuzzResult[];
    try {
      // Bad inputs run on a sibling engine (same device, own pipeline cache and verification records), so a bad
      // input the engine wrongly accepts cannot poison the verification records the valid cases rely on.
      if (c.kind === 'bad') badEngine ??= new Engine(engine.device);
      results = await runFuzzCase(c.kind === 'bad' ? badEngine! : engine, c, { algorithm: opts.algorithm }, kernelSets, declined);
    } catch (e) {
      // Anything the per-run classification did not catch (e.g. resize() of a bad case throwing) is a crash of that case.
      results = [{ seed, index, kind: c.kind, algorithm: '-', outcome: 'crash', pass: false, message: `uncaught: ${errLine(e)}`, ms: 0, repro: reproLine(c), snippet: snippetFor(c) }];
    }
    for (const r of results) {
      // The engine keeps one verification record per kernel set for the process, made on the geometry of the first
      // plan that needed it: a refusal quoting a record another case made replays only after that case.
      if (r.outcome === 'refused-valid') {
        const before = new Set<number>();
        for (const f of r.verificationFailures ?? []) {
          const first = firstFailure.get(f);
          if (first === undefined) firstFailure.set(f, index);
          else if (first !== index) before.add(first);
        }
        if (before.size) {
          r.repro = reproLine(c, r.algorithm, [...before].sort((a, b) => a - b));
          r.message = `${r.message} [verification record made by case ${[...before].join(', ')}]`;
        }
      }
      counts[r.outcome]++;
      if (r.kind === 'bad') badInputs++;
      else planRuns++;
      if (!r.pass) failures.push(r);
      opts.onResult?.(r);
    }
  }
  const failed = failures.length;
  return {
    seed, narrow: Boolean(opts.narrow), cases, planRuns, badInputs, counts, byKind, passed: planRuns + badInputs - failed, failed,
    seconds: (performance.now() - t0) / 1000, distinctKernelSets: kernelSets.size, declinedApproximate: declined.n, gpuWorkCounted, failures,
  };
}

/** Counts by outcome, one line: `ok 990, refused-valid 3, ...`. */
export function formatCounts(s: FuzzSummary): string {
  return FUZZ_OUTCOMES.map((o) => `${o} ${s.counts[o]}`).join(', ');
}

/** The summary block the CLI and the tests print. */
export function formatSummary(s: FuzzSummary): string {
  return [
    `seed ${s.seed}${s.narrow ? ' (narrow)' : ''}: ${s.cases} cases (${s.byKind.float32} float32, ${s.byKind.int8} int8, ${s.byKind.bad} bad inputs), ${s.planRuns} plan runs + ${s.badInputs} bad-input runs in ${s.seconds.toFixed(1)} s, ${s.distinctKernelSets} distinct kernel sets`,
    `outcomes: ${formatCounts(s)}${s.declinedApproximate ? ` (ok includes ${s.declinedApproximate} tap-wise plans declined by their SQNR gate)` : ''}${s.gpuWorkCounted ? '' : ' (GPU work not countable on this device: late refusals not detected)'}`,
    `${s.passed} passed, ${s.failed} failed`,
  ].join('\n');
}

/** One failure, as printed: the verdict, then the one-line reproduction. */
export function formatFailure(r: FuzzResult): string {
  return `FAIL ${r.outcome} seed ${r.seed} case ${r.index} ${r.kind} ${r.algorithm}: ${r.message}\n  repro: ${r.repro}`;
}
