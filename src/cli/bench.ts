/** `winoconv bench [--suite NAME] [--browser [--peers]] [--json FILE] [--html FILE]`: the main job. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Verb } from './main.ts';
import type { BenchResults } from '../../bench/types.ts';

export const benchVerb: Verb = {
  summary:
    'Benchmark each layer of a suite (resnet18, vgg16, mobilenet, others, smoke; default resnet18) with every implementation that can serve it: ' +
    'median wall time (launch → GPU completion → read back) after warm-up, GPU time (timestamp queries), effective GFLOP/s (direct-convolution FLOPs), ' +
    'max relative error against float64, an FMA-ceiling probe. --browser runs in headless Chromium on the benchmark page (demo/bench.html); ' +
    '--peers adds TensorFlow.js WebGPU and ONNX Runtime Web WebGPU side by side there; --dist drives the production build (dist/demo) instead. Prints a table, writes JSON ' +
    '(default bench/results/local/<suite>-<env>-<time>.json) and with --html a self-contained report with charts. ' +
    '--int8 adds int8 rows (Node): every int8 algorithm on the suite\'s layers, GPU time, speed-up over int8 im2col, bit-exactness or SQNR.',
  usage: 'winoconv bench [--suite NAME] [--impl NAME,...] [--runs N] [--warmup N] [--browser] [--peers] [--no-ceiling] [--json FILE] [--html FILE] [--screenshot FILE.png] [--dist] [--int8]',
  options: {
    suite: { type: 'string' },
    impl: { type: 'string' },
    runs: { type: 'string' },
    warmup: { type: 'string' },
    browser: { type: 'boolean' },
    peers: { type: 'boolean' },
    'no-ceiling': { type: 'boolean' },
    json: { type: 'string' },
    html: { type: 'string' },
    screenshot: { type: 'string' },
    dist: { type: 'boolean' },
    int8: { type: 'boolean' },
  },
  async run(values) {
    const count = (name: string, v: unknown, dflt: number, min: number) => {
      if (v === undefined) return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`--${name} = ${String(v)}: must be an integer >= ${min}`);
      return n;
    };
    if (values.peers && !values.browser) throw new Error('--peers needs --browser: the peers (TensorFlow.js, ONNX Runtime Web) run in the browser page');
    if (values.screenshot && !values.browser) throw new Error('--screenshot needs --browser');
    if (values.dist && !values.browser) throw new Error('--dist needs --browser');
    const opts = {
      suite: (values.suite as string | undefined) ?? 'resnet18',
      impls: typeof values.impl === 'string' ? values.impl.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
      peers: Boolean(values.peers),
      runs: count('runs', values.runs, 9, 1),
      warmup: count('warmup', values.warmup, 2, 0),
      ceiling: !values['no-ceiling'],
    };
    const { findSuite } = await import('../../bench/suites.ts');
    findSuite(opts.suite);
    const progress = (l: string) => process.stderr.write(`${l}\n`);
    const { formatBenchTable } = await import('../../bench/table.ts');
    let results: BenchResults;
    if (values.browser) {
      const { openBenchPage } = await import('../../bench/browser-driver.ts');
      progress(`starting the benchmark page (${values.dist ? 'dist/demo/bench.html, the production build' : 'demo/bench.html on the Vite dev server'}) in headless Chromium ...`);
      const page = await openBenchPage({ install: true, progress, dist: Boolean(values.dist) });
      try {
        results = await page.run(opts);
        results.environment = `headless Chromium ${page.version} (${page.url})`;
        if (typeof values.screenshot === 'string') {
          mkdirSync(path.dirname(path.resolve(values.screenshot)), { recursive: true });
          await page.screenshot(values.screenshot);
          progress(`screenshot: ${values.screenshot}`);
        }
      } finally {
        await page.close();
      }
    } else {
      const { getNodeGPU } = await import('../node/dawn.ts');
      const { runBenchmark } = await import('../../bench/runner.ts');
      const { ENGINE_IMPLS } = await import('../../bench/impls.ts');
      const { BASELINE_IMPL } = await import('../../bench/baseline.ts');
      results = await runBenchmark(await getNodeGPU(), `Node ${process.version}, Dawn (npm webgpu)`, opts, { available: [...ENGINE_IMPLS, BASELINE_IMPL], progress });
    }
    console.log(formatBenchTable(results));
    if (values.int8) {
      if (values.browser) throw new Error('--int8 runs in Node (Dawn) for now; drop --browser');
      const { getNodeGPU } = await import('../node/dawn.ts');
      const { createEngine } = await import('../engine/engine.ts');
      const { runInt8Bench, formatInt8Table } = await import('../../bench/int8.ts');
      const engine = await createEngine({ gpu: await getNodeGPU() });
      try {
        const rows = await runInt8Bench(engine, findSuite(opts.suite).layers, { runs: opts.runs, warmup: opts.warmup, progress });
        (results as BenchResults & { int8?: unknown }).int8 = rows;
        console.log(`\n${formatInt8Table(rows)}`);
      } finally {
        engine.destroy();
      }
    }
    const env = values.browser ? 'browser' : 'node';
    const file = (values.json as string | undefined) ?? path.join('bench', 'results', 'local', `${results.suite}-${env}-${results.date.replace(/[:.]/g, '-')}.json`);
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
    console.log(`results: ${file}`);
    if (typeof values.html === 'string') {
      const { renderHtmlReport } = await import('../../bench/report-html.ts');
      mkdirSync(path.dirname(path.resolve(values.html)), { recursive: true });
      writeFileSync(values.html, renderHtmlReport(results));
      console.log(`report: ${values.html}`);
    }
    return 0;
  },
};
