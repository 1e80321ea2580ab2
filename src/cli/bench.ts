/** `winoconv bench [--suite NAME] [--browser [--peers]] [--json FILE] [--html FILE]`: the main job. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Verb } from './verb.ts';
import type { BenchResults } from '../../bench/types.ts';
import type { BenchOptions } from '../../bench/runner.ts';
import type { BenchLayer } from '../../bench/suites.ts';
import type { Engine } from '../engine/engine.ts';
import { FROM_SOURCE, importFromCheckout } from './source-only.ts';

/** Where `bench` writes its JSON when no --json is given: relative to the current directory. */
export const RESULTS_DIR = 'winoconv-results';

// The part of bench/browser-driver.ts used here (a checkout only: it serves demo/ with vite.config.ts).
interface BenchDriverModule {
  openBenchPage(o: { install?: boolean; progress?: (l: string) => void; dist?: boolean }): Promise<{
    url: string;
    version: string;
    run(opts: BenchOptions): Promise<BenchResults>;
    screenshot(file: string): Promise<void>;
    close(): Promise<void>;
  }>;
}

export const benchVerb: Verb = {
  summary:
    'Benchmark each layer of a suite (resnet18, vgg16, mobilenet, others, smoke; default resnet18) with every implementation that can serve it: ' +
    'median wall time (launch → GPU completion → read back) after warm-up, GPU time (timestamp queries), effective GFLOP/s (direct-convolution FLOPs), ' +
    'max relative error against float64, an FMA-ceiling probe. --browser runs in headless Chromium on the benchmark page (demo/bench.html); ' +
    '--peers adds TensorFlow.js WebGPU and ONNX Runtime Web WebGPU side by side there; --dist drives the production build (dist/demo) instead ' +
    '(--peers and --dist need a checkout of the repository; from the npm package --browser runs the CLI page without peers). Prints a table, writes JSON ' +
    '(default ./winoconv-results/<suite>-<env>-<time>.json) and with --html a self-contained report with charts. ' +
    '--int8 adds int8 rows (Node): every int8 algorithm on the suite\'s layers, GPU time, speed-up over int8 im2col, bit-exactness or SQNR. ' +
    '--fp16 adds float16 rows (Node): each float algorithm as a float32 and a float16 plan on the same data, GPU times, fp16/fp32, bytes moved, errors; ' +
    'with --models it runs each model once more as a session with precision float16 (implementation winoconv-fp16: time, arena and weight bytes, error beside float32). ' +
    '--models NAMES|all benchmarks whole ONNX models instead (bench/models/catalog.ts: blazeface-front, ppocr-cls, resnet18, ...): session creation on a cold engine, first run, ' +
    'median of --runs (default 5) rounds of session.run (Float32Array inputs → outputs on the CPU), max relative error against ONNX Runtime CPU, arena bytes, and a per-node GPU profile ' +
    '(time split winograd / other conv / non-conv, slowest nodes; --no-profile skips it); --budget S (default 60) caps the seconds per model and implementation; ' +
    '--check-auto times auto\'s choice per conv layer against the fastest candidate. In Node winoconv alone; --browser --peers adds ONNX Runtime Web WebGPU and wasm with 1 and 2 threads ' +
    '(demo/models.html, a checkout only). JSON default ./winoconv-results/models-<env>-<time>.json.',
  usage: 'winoconv bench [--suite NAME] [--impl NAME,...] [--runs N] [--warmup N] [--browser] [--peers] [--no-ceiling] [--json FILE] [--html FILE] [--screenshot FILE.png] [--dist] [--int8] [--fp16]\n       winoconv bench --models NAMES|all [--impl winoconv,ort-webgpu,ort-wasm-1,ort-wasm-2] [--runs N] [--budget S] [--no-profile] [--check-auto] [--fp16] [--browser [--peers]] [--json FILE] [--html FILE]',
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
    fp16: { type: 'boolean' },
    models: { type: 'string' },
    'check-auto': { type: 'boolean' },
    budget: { type: 'string' },
    'no-profile': { type: 'boolean' },
  },
  gpu: (v) => (v.browser ? { browser: true } : { node: true }),
  async run(values) {
    const count = (name: string, v: unknown, dflt: number, min: number) => {
      if (v === undefined) return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`--${name} = ${String(v)}: must be an integer >= ${min}`);
      return n;
    };
    if (values.models !== undefined) {
      const { runBenchModels } = await import('./bench-models.ts');
      return runBenchModels(values, values.runs === undefined ? undefined : count('runs', values.runs, 5, 1));
    }
    if (values['check-auto'] || values.budget !== undefined || values['no-profile']) throw new Error('--check-auto, --budget and --no-profile go with --models');
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
    if (values.browser && FROM_SOURCE) {
      // A checkout: the benchmark page demo/bench.html on the demo's Vite config (peers, production build).
      const { openBenchPage } = await importFromCheckout<BenchDriverModule>('bench/browser-driver.ts', 'bench --browser');
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
    } else if (values.browser) {
      // The npm package: the CLI's own page (dist/src/cli/browser/) runs the same runner without the peers,
      // which are dev dependencies loaded through the demo's Vite config.
      if (values.peers || values.dist) {
        throw new Error(`--${values.peers ? 'peers' : 'dist'} needs the benchmark page demo/bench.html and its Vite config, which the npm package does not ship; run it from a checkout of the winoconv repository (npm ci && npx winoconv bench --browser --peers)`);
      }
      const { openBrowserSession } = await import('../node/browser-session.ts');
      progress('starting the CLI page in headless Chromium (no peers: they run from a checkout) ...');
      const s = await openBrowserSession({ page: 'src/cli/browser/index.html', readyGlobal: '__winoconvCli', install: true, onConsole: progress });
      try {
        results = await s.page.evaluate((o) => window.__winoconvCli!.bench(o), opts);
        results.environment = `headless Chromium ${s.version} (${s.url})`;
        if (typeof values.screenshot === 'string') {
          mkdirSync(path.dirname(path.resolve(values.screenshot)), { recursive: true });
          await s.page.screenshot({ path: values.screenshot as `${string}.png`, fullPage: true });
          progress(`screenshot: ${values.screenshot}`);
        }
      } finally {
        await s.close();
      }
    } else {
      const { getNodeGPU } = await import('../node/dawn.ts');
      const { runBenchmark } = await import('../../bench/runner.ts');
      const { ENGINE_IMPLS } = await import('../../bench/impls.ts');
      const { BASELINE_IMPL } = await import('../../bench/baseline.ts');
      results = await runBenchmark(await getNodeGPU(), `Node ${process.version}, Dawn (npm webgpu)`, opts, { available: [...ENGINE_IMPLS, BASELINE_IMPL], progress });
    }
    console.log(formatBenchTable(results));
    // Extra rows on the suite's layers (Node, a fresh engine each): --int8, --fp16.
    type Rows = (engine: Engine, layers: BenchLayer[], o: { runs: number; warmup: number; progress: (l: string) => void }) => Promise<unknown[]>;
    const extraRows = async (flag: 'int8' | 'fp16', load: () => Promise<{ run: Rows; format: (rows: never[]) => string }>) => {
      if (values.browser) throw new Error(`--${flag} runs in Node (Dawn) for now; drop --browser`);
      const { getNodeGPU } = await import('../node/dawn.ts');
      const { createEngine } = await import('../engine/engine.ts');
      const { run, format } = await load();
      const engine = await createEngine({ gpu: await getNodeGPU() });
      try {
        const rows = await run(engine, findSuite(opts.suite).layers, { runs: opts.runs, warmup: opts.warmup, progress });
        (results as BenchResults & Record<string, unknown>)[flag] = rows;
        console.log(`\n${format(rows as never[])}`);
      } finally {
        engine.destroy();
      }
    };
    if (values.int8) await extraRows('int8', async () => { const m = await import('../../bench/int8.ts'); return { run: m.runInt8Bench, format: m.formatInt8Table }; });
    if (values.fp16) await extraRows('fp16', async () => { const m = await import('../../bench/fp16.ts'); return { run: m.runFp16Bench, format: m.formatFp16Table }; });
    const env = values.browser ? 'browser' : 'node';
    const file = (values.json as string | undefined) ?? path.join(RESULTS_DIR, `${results.suite}-${env}-${results.date.replace(/[:.]/g, '-')}.json`);
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
