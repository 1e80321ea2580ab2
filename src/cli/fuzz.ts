/**
 * `winoconv fuzz [--seconds N] [--seed S] [--runs N] [--case K] [--algorithm A] [--json]`: the differential fuzzer
 * (src/fuzz/) on Node's Dawn: random valid descriptors through every algorithm that says it can serve them plus
 * auto, int8 ties and saturation, random bad inputs; every failure printed with a one-line reproduction; closing
 * `N passed, N failed`; exit 1 on any failure.
 */
import type { Verb } from './verb.ts';

function intOption(name: string, v: unknown, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} = ${String(v)}: must be an integer >= ${min}`);
  return n;
}

export const fuzzVerb: Verb = {
  summary:
    'Differential fuzzer: random valid descriptors (every field, layout, activation, groups/depthwise, ugly shapes) forced through every algorithm ' +
    'engine.candidates() says can serve them plus auto, int8 descriptors with exact requantization ties and saturation, and random bad inputs; ' +
    'judged against the float64 / exact integer references with the tolerance helper. Default: 1000 plan runs at seed 1. --seconds N runs until ' +
    'time is up; --seed S another stream; --start K begins the stream at case K; --case K (repeatable, or K1,K2) replays cases; --algorithm A only that algorithm; --bad N then runs bad-input cases of the stream until N are done; --narrow the generator of the test slices (few kernel configurations); --json prints the summary ' +
    'and every failure as JSON. Each failure prints a one-line reproduction; closing "N passed, N failed"; exit 1 on any failure.',
  usage: 'winoconv fuzz [--seconds N] [--seed S] [--runs N] [--start K] [--case K] [--algorithm A] [--bad N] [--narrow] [--json] [--verbose]',
  options: {
    seconds: { type: 'string' }, seed: { type: 'string' }, runs: { type: 'string' }, case: { type: 'string', multiple: true },
    algorithm: { type: 'string' }, json: { type: 'boolean' }, verbose: { type: 'boolean' }, start: { type: 'string' }, narrow: { type: 'boolean' }, bad: { type: 'string' },
  },
  async run(values) {
    const { FUZZ_DEFAULT_SEED } = await import('../fuzz/generate.ts');
    const { runFuzz, formatFailure, formatSummary } = await import('../fuzz/run.ts');
    const seed = intOption('seed', values.seed, 0) ?? FUZZ_DEFAULT_SEED;
    const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
    if (seconds !== undefined && !(seconds > 0)) throw new Error(`--seconds = ${String(values.seconds)}: must be a number > 0`);
    const runs = intOption('runs', values.runs, 1);
    const startCase = intOption('start', values.start, 0);
    const badInputs = intOption('bad', values.bad, 0);
    const cases = (values.case as string[] | undefined)?.flatMap((s) => s.split(',')).map((s) => intOption('case', s, 0)!);
    const json = Boolean(values.json);
    const { createNodeEngine } = await import('../node/engine.ts');
    const engine = await createNodeEngine();
    const log = (s: string) => {
      if (!json) console.log(s);
    };
    log(`winoconv fuzz: seed ${seed}, ${cases ? `case(s) ${cases.join(', ')}` : seconds !== undefined ? `${seconds} s` : `${runs ?? 1000} plan runs`}${values.algorithm ? `, algorithm ${String(values.algorithm)}` : ''}`);
    let summary;
    let planRuns = 0;
    const t0 = performance.now();
    try {
      summary = await runFuzz(engine, {
        seed, seconds, runs, cases, startCase, algorithm: values.algorithm as string | undefined, narrow: Boolean(values.narrow), badInputs,
        onResult(r) {
          if (r.kind !== 'bad') planRuns++;
          if (!json && !cases && planRuns % 100 === 0 && r.kind !== 'bad') console.error(`… ${planRuns} plan runs, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
          if (!r.pass) log(formatFailure(r));
          else if (values.verbose || cases) log(`ok   seed ${r.seed} case ${r.index} ${r.kind} ${r.algorithm}: ${r.message}${cases ? `\n  repro: ${r.repro}` : ''}`);
        },
      });
    } finally {
      engine.destroy();
    }
    if (json) console.log(JSON.stringify(summary, null, 2));
    else console.log(formatSummary(summary));
    return summary.failed > 0 ? 1 : 0;
  },
};
