/** `winoconv onnx-test DIR... [--browser] [--rtol R] [--atol A] [--json]` (DESIGN.md §2a, §6). */
import type { Verb } from './verb.ts';
import { DEFAULT_TOLERANCE, FLOAT16_RTOL, type DataSetFiles, type OnnxTestRow, type TestRunner, type Tolerance, formatOnnxTestRow, runDataSet } from '../graph/test-data.ts';

export const onnxTestVerb: Verb = {
  summary:
    'Run ONNX test-data directories (model.onnx + test_data_set_N/input_K.pb, output_K.pb; a folder of them is searched ' +
    'one level down) through a winoconv session and judge each output against the stored one: pass iff ' +
    `max|y − ref| / max|ref| ≤ rtol (default ${DEFAULT_TOLERANCE.rtol}; ${FLOAT16_RTOL} for float16 reference outputs) or max|y − ref| ≤ atol (default ${DEFAULT_TOLERANCE.atol}); ` +
    'NaN where the reference has none fails; integer outputs pass within --int-tol N LSB (default ' +
    `${DEFAULT_TOLERANCE.intTol}; 0 = exact) and the line says how many elements differ at all; bool outputs compare exactly. ` +
    'One line per data set (dir, data set, ' +
    'max abs, max rel, pass/FAIL/ERROR and why), closing "N passed, N failed"; exit 1 on any failure. --json prints one ' +
    'JSON array of {dir, dataset, status, maxAbsError, maxRelError, message, differing}. --browser runs it in headless Chromium.',
  usage: 'winoconv onnx-test DIR... [--browser] [--rtol R] [--atol A] [--int-tol N] [--json]',
  options: { browser: { type: 'boolean' }, rtol: { type: 'string' }, atol: { type: 'string' }, 'int-tol': { type: 'string' }, json: { type: 'boolean' } },
  gpu: (v) => (v.browser ? { browser: true } : { node: true }),
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals.length === 0) throw new Error('give at least one test-data directory: winoconv onnx-test DIR...');
    const tol = parseTolerance(values);
    const { findDataSets } = await import('../node/onnx-test-dirs.ts');
    const sets = await findDataSets(positionals);
    if (values.browser) return runOnnxTestsInBrowser(sets, tol, Boolean(values.json));
    const { createNodeEngine } = await import('../node/engine.ts');
    const { sessionRunner } = await import('../graph/test-data.ts');
    const engine = await createNodeEngine();
    try {
      return await runOnnxTests(sets, { runner: sessionRunner(engine), tol, json: Boolean(values.json) });
    } finally {
      engine.destroy();
    }
  },
};

export function parseTolerance(values: Record<string, unknown>): Tolerance {
  const num = (k: 'rtol' | 'atol'): number => {
    const s = values[k] as string | undefined;
    if (s === undefined) return DEFAULT_TOLERANCE[k];
    const v = Number(s);
    if (!Number.isFinite(v) || v < 0 || s.trim() === '') throw new Error(`--${k} ${s}: expected a number ≥ 0`);
    return v;
  };
  const it = values['int-tol'] as string | undefined;
  let intTol = DEFAULT_TOLERANCE.intTol;
  if (it !== undefined) {
    intTol = Number(it);
    if (it.trim() === '' || !Number.isInteger(intTol) || intTol < 0) throw new Error(`--int-tol ${it}: expected an integer ≥ 0 (LSB)`);
  }
  // --rtol applies to float16 references too; without it they take FLOAT16_RTOL.
  return { rtol: num('rtol'), atol: num('atol'), intTol, ...(values.rtol !== undefined ? { rtol16: num('rtol') } : {}) };
}

export interface OnnxTestOptions {
  runner: TestRunner;
  tol?: Tolerance;
  json?: boolean;
  /** Reads a data set's file reference (default: the file at that path). */
  read?: (ref: string) => Promise<Uint8Array>;
  /** Where lines go (default console.log). */
  log?: (line: string) => void;
}

/** Runs data sets through `runner`, prints the rows (or the JSON array) and the closing line; returns the exit code. */
export async function runOnnxTests(sets: DataSetFiles[], opts: OnnxTestOptions): Promise<number> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const tol = opts.tol ?? DEFAULT_TOLERANCE;
  let read = opts.read;
  if (!read) {
    const { readFile } = await import('node:fs/promises');
    // one model read per directory, not per data set
    const cache = new Map<string, Promise<Uint8Array>>();
    read = (ref) => {
      if (!ref.endsWith('model.onnx')) return readFile(ref);
      let p = cache.get(ref);
      if (!p) {
        cache.clear();
        p = readFile(ref);
        cache.set(ref, p);
      }
      return p;
    };
  }
  const rows: OnnxTestRow[] = [];
  for (const s of sets) {
    const r = await runDataSet(s, read, opts.runner, tol);
    rows.push(r);
    if (!opts.json) log(formatOnnxTestRow(r));
  }
  return finish(rows, Boolean(opts.json), log);
}

function finish(rows: OnnxTestRow[], json: boolean, log: (l: string) => void): number {
  const passed = rows.filter((r) => r.status === 'pass').length;
  const failed = rows.length - passed;
  if (json) log(JSON.stringify(rows, null, 2));
  else log(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

/** The same on the CLI page: files are served to it by index (never copied), the page reads, runs and judges. */
async function runOnnxTestsInBrowser(sets: DataSetFiles[], tol: Tolerance, json: boolean): Promise<number> {
  const files: string[] = [];
  const ref = (f: string) => {
    let i = files.indexOf(f);
    if (i < 0) i = files.push(f) - 1;
    return `/__winoconv/files/${i}`;
  };
  const pageSets = sets.map((s) => ({ ...s, model: ref(s.model), inputs: s.inputs.map(ref), outputs: s.outputs.map(ref) }));
  const { openBrowserSession } = await import('../node/browser-session.ts');
  const session = await openBrowserSession({
    page: 'src/cli/browser/index.html',
    readyGlobal: '__winoconvCli',
    install: true,
    prebundle: ['protobufjs/light.js'],
    serve: (p) => (p.startsWith('/__winoconv/files/') ? files[Number(p.slice('/__winoconv/files/'.length))] : undefined),
  });
  const rows: OnnxTestRow[] = [];
  try {
    for (const s of pageSets) {
      const r = await session.page.evaluate((ss, t) => window.__winoconvCli!.onnxTest(ss, t), s, tol);
      // the page saw URLs; report the paths
      const orig = sets[pageSets.indexOf(s)];
      rows.push({ ...r, dir: orig.dir, dataset: orig.dataset });
      if (!json) console.log(formatOnnxTestRow(rows[rows.length - 1]));
    }
  } finally {
    await session.close();
  }
  return finish(rows, json, (l) => console.log(l));
}
