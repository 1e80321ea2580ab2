/** `winoconv bench [--suite NAME] [--browser] [--json FILE]`: the main job. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Verb } from './main.ts';
import type { BenchResults } from '../../bench/runner.ts';

export const benchVerb: Verb = {
  summary:
    'Benchmark each layer of a suite (resnet18, others, smoke; default resnet18) with every implementation that can serve it: ' +
    'median time after warm-up, effective GFLOP/s (direct-convolution FLOPs), max relative error against float64. ' +
    'Prints a table and writes JSON (default bench/results/local/<suite>-<env>-<time>.json).',
  usage: 'winoconv bench [--suite NAME] [--impl NAME,...] [--runs N] [--warmup N] [--browser] [--json FILE]',
  options: {
    suite: { type: 'string' },
    impl: { type: 'string' },
    runs: { type: 'string' },
    warmup: { type: 'string' },
    browser: { type: 'boolean' },
    json: { type: 'string' },
  },
  async run(values) {
    const count = (name: string, v: unknown, dflt: number, min: number) => {
      if (v === undefined) return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`--${name} = ${String(v)}: must be an integer >= ${min}`);
      return n;
    };
    const opts = {
      suite: (values.suite as string | undefined) ?? 'resnet18',
      impls: typeof values.impl === 'string' ? values.impl.split(',') : undefined,
      runs: count('runs', values.runs, 9, 1),
      warmup: count('warmup', values.warmup, 2, 0),
    };
    const progress = (l: string) => process.stderr.write(`${l}\n`);
    const { runBenchmark, formatBenchTable } = await import('../../bench/runner.ts');
    let results: BenchResults;
    if (values.browser) {
      const { openBrowserSession } = await import('../node/browser-session.ts');
      const s = await openBrowserSession({
        page: 'src/cli/browser/index.html',
        readyGlobal: '__winoconvCli',
        install: true,
        onConsole: (l) => (/^\[\d+\/\d+\]/.test(l) ? progress(l) : undefined),
      });
      try {
        results = await s.page.evaluate((o) => window.__winoconvCli!.bench(o), opts);
        results.environment = `headless Chromium ${s.version}`;
      } finally {
        await s.close();
      }
    } else {
      const { getNodeGPU } = await import('../node/dawn.ts');
      results = await runBenchmark(await getNodeGPU(), `Node ${process.version}, Dawn (npm webgpu)`, { ...opts, progress });
    }
    console.log(formatBenchTable(results));
    const env = values.browser ? 'browser' : 'node';
    const file = (values.json as string | undefined) ?? path.join('bench', 'results', 'local', `${results.suite}-${env}-${results.date.replace(/[:.]/g, '-')}.json`);
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
    console.log(`results: ${file}`);
    return 0;
  },
};
