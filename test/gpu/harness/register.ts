/**
 * Registers the GPU cases as vitest tests for one environment. `run` executes a case by name (in this
 * process for Node, inside the page for the browser) and returns the fixture's verdict.
 */
import { describe, expect, test } from 'vitest';
import { GPU_CASES } from '../cases/index.ts';
import { fixtureSelfTests } from '../cases/harness-selftest.ts';
import type { GpuCaseResult, GpuEnv } from './types.ts';

export interface GpuRunner {
  runCase(name: string): Promise<GpuCaseResult>;
  runSelfTest(key: keyof typeof fixtureSelfTests): Promise<GpuCaseResult>;
}

/** `skipReason`: the whole environment cannot run here (printed, and every test is skipped, never passed). */
export function registerGpuSuite(env: GpuEnv, getRunner: () => GpuRunner, skipReason?: string): void {
  const verbose = Boolean(process.env.WINOCONV_VERBOSE);
  if (skipReason) {
    console.log(`SKIPPED gpu-${env}: ${skipReason}`);
    describe(`gpu cases (${env})`, () => {
      test.skip(`all GPU cases: ${skipReason.split('\n')[0]}`, () => undefined);
    });
    return;
  }
  describe(`fixture self-test (${env})`, () => {
    test('a validation error fails the case', async () => {
      const r = await getRunner().runSelfTest('validationError');
      expect(r.status, r.message).toBe('fail');
      expect(r.message).toMatch(/validation/i);
    });
    test('a missing feature skips the case with the reason', async () => {
      const r = await getRunner().runSelfTest('missingFeature');
      expect(r.status).toBe('skip');
      expect(r.message).toContain('winoconv-no-such-feature');
    });
    test('a thrown mismatch fails the case', async () => {
      const r = await getRunner().runSelfTest('wrongResult');
      expect(r.status).toBe('fail');
      expect(r.message).toContain('expected 4 at [2], got 3');
    });
  });

  describe(`gpu cases (${env})`, () => {
    for (const c of GPU_CASES) {
      test(c.name, async (ctx) => {
        const r = await getRunner().runCase(c.name);
        if (verbose) for (const l of r.logs) console.log(`[${env}] ${c.name}: ${l}`);
        if (r.status === 'skip') {
          console.log(`SKIPPED [${env}] ${c.name}: ${r.message}`);
          ctx.skip(r.message);
        }
        if (r.status === 'fail') throw new Error(`[${env}] ${r.message}`);
      });
    }
  });
}
