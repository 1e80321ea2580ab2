/**
 * `winoconv gpu-test [--filter TEXT] [--json FILE]`: the GPU test cases (test/gpu/cases) in Node through Dawn,
 * each in the device fixture, without the test runner: what a machine with a real GPU but no dev toolchain
 * runs (see scripts/gpu-machine/). Prints one line per case and a closing "N passed, N failed, N skipped".
 */
import { writeFileSync } from 'node:fs';
import type { Verb } from './verb.ts';
import { importFromCheckout } from './source-only.ts';

// The shapes used here of test/gpu/cases and test/gpu/harness/fixture.ts (not imported: the npm package has no test/).
interface CasesModule {
  GPU_CASES: { name: string }[];
}
interface FixtureModule {
  runGpuCase(gpu: GPU, c: { name: string }, env: 'node'): Promise<{ status: 'pass' | 'fail' | 'skip'; ms: number; message: string }>;
}

export const gpuTestVerb: Verb = {
  summary:
    'Run the GPU test cases in Node (Dawn) inside the device fixture (error scopes, resources destroyed, missing features skipped with the reason): ' +
    'one line per case and a closing "N passed, N failed, N skipped"; exit 1 on any failure. --filter keeps cases whose name contains TEXT; ' +
    '--json FILE writes every result.',
  usage: 'winoconv gpu-test [--filter TEXT] [--json FILE]',
  options: { filter: { type: 'string' }, json: { type: 'string' } },
  gpu: () => ({ node: true }),
  async run(values) {
    const { getNodeGPU, requestNodeAdapter } = await import('../node/dawn.ts');
    const { GPU_CASES } = await importFromCheckout<CasesModule>('test/gpu/cases/index.ts', 'gpu-test');
    const { runGpuCase } = await importFromCheckout<FixtureModule>('test/gpu/harness/fixture.ts', 'gpu-test');
    const gpu = await getNodeGPU();
    const adapter = await requestNodeAdapter();
    console.log(`adapter: ${adapter.info.vendor} ${adapter.info.architecture} ${adapter.info.description}`);
    const filter = values.filter as string | undefined;
    const cases = GPU_CASES.filter((c) => !filter || c.name.includes(filter));
    const results = [];
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const t0 = performance.now();
    for (const [i, c] of cases.entries()) {
      const r = await runGpuCase(gpu, c, 'node');
      results.push(r);
      if (r.status === 'pass') passed++;
      else if (r.status === 'fail') failed++;
      else skipped++;
      const tag = r.status === 'pass' ? 'PASS' : r.status === 'fail' ? 'FAIL' : 'SKIP';
      console.log(`${tag} [${i + 1}/${cases.length}] ${c.name} (${r.ms.toFixed(0)} ms)${r.status === 'pass' ? '' : `\n      ${r.message.split('\n').slice(0, 12).join('\n      ')}`}`);
    }
    if (values.json) writeFileSync(values.json as string, JSON.stringify({ adapter: { vendor: adapter.info.vendor, architecture: adapter.info.architecture, description: adapter.info.description }, seconds: (performance.now() - t0) / 1000, results }, null, 2) + '\n');
    console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
    return failed > 0 ? 1 : 0;
  },
};
