/** `winoconv conformance PATH... [--browser] [--algorithm A] [--json]` (DESIGN.md §6). */
import type { Verb } from './verb.ts';
import { ALGORITHMS, type AlgorithmName } from '../conv/desc.ts';
import { formatConformanceRow, type ConformanceRow } from '../conformance/run.ts';

export const conformanceVerb: Verb = {
  summary:
    'Run conformance case files (schema: shared/conformance/SCHEMA.md; a folder means every *.json in it): one line per case ' +
    '(id, algorithm, max abs error, tolerance, pass/fail) and a closing "N passed, N failed" line; exit 1 on any failure. ' +
    `--algorithm A (${ALGORITHMS.join(', ')}) forces one algorithm; cases it cannot serve are listed as n/a. ` +
    '--json prints one JSON array of {id, status, algorithm, dtype, maxAbsError, maxRelError, tolerance, message}.',
  usage: 'winoconv conformance PATH... [--browser] [--algorithm A] [--json]',
  options: { browser: { type: 'boolean' }, algorithm: { type: 'string' }, json: { type: 'boolean' } },
  gpu: (v) => (v.browser ? { browser: true } : { node: true }),
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals.length === 0) throw new Error('give at least one case file or folder: winoconv conformance PATH...');
    const algorithm = values.algorithm as AlgorithmName | undefined;
    if (algorithm !== undefined && !ALGORITHMS.includes(algorithm)) throw new Error(`--algorithm = ${algorithm}: must be one of ${ALGORITHMS.join(', ')}`);
    const { caseFiles } = await import('../node/conformance-files.ts');
    const { readFile } = await import('node:fs/promises');
    const files: string[] = [];
    for (const p of positionals) {
      try {
        files.push(...(await caseFiles(p)));
      } catch (e) {
        throw new Error(`${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (e as Error).message}`);
      }
    }
    if (files.length === 0) throw new Error(`no *.json case files in ${positionals.join(', ')}`);
    const jsons: unknown[] = [];
    const rows: ConformanceRow[] = [];
    for (const f of files) {
      try {
        jsons.push(JSON.parse(await readFile(f, 'utf8')));
      } catch (e) {
        rows.push({ id: f, status: 'error', algorithm: '-', dtype: '-', maxAbsError: null, maxRelError: null, tolerance: '-', message: `cannot read ${f}: ${(e as Error).message}` });
      }
    }
    const print = (r: ConformanceRow) => {
      if (!values.json) console.log(formatConformanceRow(r));
    };
    rows.forEach(print);
    if (values.browser) {
      const { openBrowserSession } = await import('../node/browser-session.ts');
      const s = await openBrowserSession({ page: 'src/cli/browser/index.html', readyGlobal: '__winoconvCli', install: true });
      try {
        for (const j of jsons) {
          const r = await s.page.evaluate((jj, a) => window.__winoconvCli!.conformance(jj, a), j, algorithm ?? null);
          rows.push(r);
          print(r);
        }
      } finally {
        await s.close();
      }
    } else {
      const { createNodeEngine } = await import('../node/engine.ts');
      const { runConformanceCase } = await import('../conformance/run.ts');
      const engine = await createNodeEngine();
      try {
        for (const j of jsons) {
          const r = await runConformanceCase(engine, j, { algorithm });
          rows.push(r);
          print(r);
        }
      } finally {
        engine.destroy();
      }
    }
    const passed = rows.filter((r) => r.status === 'pass').length;
    const failed = rows.filter((r) => r.status === 'fail' || r.status === 'error').length;
    const na = rows.filter((r) => r.status === 'n/a').length;
    if (values.json) console.log(JSON.stringify(rows, null, 2));
    else console.log(`${passed} passed, ${failed} failed${na ? `, ${na} not applicable` : ''}`);
    return failed > 0 ? 1 : 0;
  },
};
