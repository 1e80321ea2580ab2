/**
 * `winoconv bench --models [NAMES|all]`: whole models, winoconv against ONNX Runtime Web (bench/models/). In Node,
 * winoconv alone on Dawn; with --browser, demo/models.html in headless Chromium with the peers (ORT Web WebGPU,
 * ORT wasm 1 and 2 threads). The data are the ONNX test directories of `npm run onnx-tests`, made here when missing.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ModelsBenchResults, ModelImpl } from '../../bench/models/types.ts';
import type { ModelsBenchOptions } from '../../bench/models/runner.ts';
import { importFromCheckout } from './source-only.ts';

interface ModelsDriverModule {
  openModelsPage(o: { install?: boolean; progress?: (l: string) => void }): Promise<{
    url: string;
    version: string;
    run(opts: ModelsBenchOptions & { models: string[] }): Promise<ModelsBenchResults>;
    close(): Promise<void>;
  }>;
}

export async function runBenchModels(values: Record<string, unknown>, runs: number | undefined): Promise<number> {
  const { MODEL_CATALOG, catalogEntry } = await import('../../bench/models/catalog.ts');
  const { MODEL_IMPLS } = await import('../../bench/models/types.ts');
  const arg = String(values.models ?? 'all').trim();
  const models = arg === '' || arg === 'all' ? MODEL_CATALOG.map((m) => m.name) : arg.split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of models) catalogEntry(m);
  let budgetS = 60;
  if (values.budget !== undefined) {
    budgetS = Number(values.budget);
    if (!Number.isFinite(budgetS) || budgetS <= 0) throw new Error(`--budget = ${String(values.budget)}: must be a number of seconds > 0`);
  }
  const impls = typeof values.impl === 'string' ? (values.impl.split(',').map((s) => s.trim()).filter(Boolean) as ModelImpl[]) : undefined;
  for (const i of impls ?? []) if (!MODEL_IMPLS.includes(i)) throw new Error(`--impl ${i}: unknown (the --models implementations: ${MODEL_IMPLS.join(', ')})`);
  if (values.peers && !values.browser) {
    throw new Error('--models --peers needs --browser: the peers (ONNX Runtime Web WebGPU, wasm with 1 and 2 threads) run in the browser page demo/models.html');
  }
  if (impls?.some((i) => !i.startsWith('winoconv')) && !values.browser) throw new Error(`--impl ${impls.join(',')}: the ORT peers run in the browser (--browser --peers)`);
  // --fp16: winoconv's session once more with precision 'float16' (arena, time and error beside the float32 run).
  const own: ModelImpl[] = values.fp16 ? ['winoconv', 'winoconv-fp16'] : ['winoconv'];
  const opts: ModelsBenchOptions & { models: string[] } = { models, runs: runs ?? 5, budgetS, profile: !values['no-profile'], checkAuto: Boolean(values['check-auto']) };
  const progress = (l: string) => process.stderr.write(`${l}\n`);
  const { ensureOnnxTests, onnxTestsDir } = await import('../node/onnx-testgen.ts');
  progress(`ONNX test data (${onnxTestsDir()}): ${models.join(', ')}`);
  await ensureOnnxTests(models, { log: progress });
  let results: ModelsBenchResults;
  if (values.browser) {
    const { openModelsPage } = await importFromCheckout<ModelsDriverModule>('bench/browser-driver.ts', 'bench --models --browser');
    progress('starting the model benchmark page (demo/models.html on the Vite dev server) in headless Chromium ...');
    const page = await openModelsPage({ install: true, progress });
    try {
      opts.impls = impls ?? (values.peers ? [...MODEL_IMPLS].filter((i) => i !== 'winoconv-fp16' || values.fp16) : own);
      results = await page.run(opts);
      results.environment = `headless Chromium ${page.version} (${page.url})`;
    } finally {
      await page.close();
    }
  } else {
    const { getNodeGPU } = await import('../node/dawn.ts');
    const { loadModelCase } = await import('../../bench/models/load.ts');
    const { runModelsBench } = await import('../../bench/models/runner.ts');
    const cases = [];
    for (const m of models) {
      const dir = path.join(onnxTestsDir(), m);
      cases.push(await loadModelCase(m, async (rel) => new Uint8Array(readFileSync(path.join(dir, rel)))));
    }
    results = await runModelsBench(cases, { ...opts, impls: impls ?? own }, { gpu: await getNodeGPU(), environment: `Node ${process.version}, Dawn (npm webgpu)`, crossOriginIsolated: null, progress });
  }
  const { formatModelsTable } = await import('../../bench/models/table.ts');
  console.log(formatModelsTable(results));
  const env = values.browser ? 'browser' : 'node';
  const file = (values.json as string | undefined) ?? path.join('winoconv-results', `models-${env}-${results.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  console.log(`results: ${file}`);
  if (typeof values.html === 'string') {
    const { renderModelsHtml } = await import('../../bench/models/report-html.ts');
    mkdirSync(path.dirname(path.resolve(values.html)), { recursive: true });
    writeFileSync(values.html, renderModelsHtml(results));
    console.log(`report: ${values.html}`);
  }
  return 0;
}
