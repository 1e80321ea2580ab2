/**
 * The differential fuzzer's fixed-seed slices as GPU tests (src/fuzz/): at least 200 plan runs in Node (Dawn) and a
 * smaller slice in headless Chromium, through the same runner as `winoconv fuzz`. Strict: any refused valid
 * descriptor, output out of bounds, accepted bad input or crash fails the test, and each failure is printed with
 * its one-line reproduction. The slices use the generator's narrow mode (few kernel configurations), so a fresh
 * process compiles few kernel sets; `winoconv fuzz` runs the full generator.
 */
import { describe, expect, test } from 'vitest';
import type { FuzzOptions, FuzzSummary } from '../../src/fuzz/run.ts';
import { formatFailure, formatSummary } from '../../src/fuzz/run.ts';

export const FUZZ_SLICES = {
  node: { seed: 1, runs: 200, badInputs: 60, narrow: true },
  browser: { seed: 2, runs: 30, badInputs: 15, narrow: true },
} satisfies Record<'node' | 'browser', FuzzOptions>;

/** Registers the slice for one environment; `run` runs it there (in this process, or in the page). */
export function registerFuzzSlice(env: 'node' | 'browser', run: (opts: FuzzOptions) => Promise<FuzzSummary>, skipReason?: string): void {
  const opts = FUZZ_SLICES[env];
  describe(`fuzz slice (${env})`, () => {
    if (skipReason) {
      test.skip(`fuzz slice: ${skipReason.split('\n')[0]}`, () => undefined);
      return;
    }
    test(`seed ${opts.seed}${opts.narrow ? ' (narrow)' : ''}: ${opts.runs} plan runs against the references and ${opts.badInputs} bad inputs, 0 failures`, async () => {
      const s = await run(opts);
      console.log(`[fuzz ${env}] ${formatSummary(s).split('\n').join(`\n[fuzz ${env}] `)}`);
      const failures = s.failures.map(formatFailure);
      for (const f of failures) console.log(f);
      expect(s.planRuns).toBeGreaterThanOrEqual(opts.runs);
      expect(s.badInputs).toBeGreaterThanOrEqual(opts.badInputs);
      expect(failures, `${s.failed} fuzz failures (each with its reproduction above)`).toEqual([]);
    }, 600_000);
  });
}
