/** The GPU cases on WebGPU in Node, through Dawn. */
import { beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { CASE_FILES, REPO_CASE_FILES } from '../unit/conformance/helpers.ts';
import { createNodeEngine } from '../../src/node/engine.ts';
import { runConformanceCase } from '../../src/conformance/run.ts';
import type { AlgorithmName } from '../../src/conv/desc.ts';
import { getNodeGPU, requestNodeAdapter } from '../../src/node/dawn.ts';
import { runGpuCase } from './harness/fixture.ts';
import { registerGpuSuite, type GpuRunner } from './harness/register.ts';
import { findCase } from './cases/index.ts';
import { fixtureSelfTests } from './cases/harness-selftest.ts';
import { registerFuzzSlice } from './fuzz-slice.ts';
import { runFuzz } from '../../src/fuzz/run.ts';

let runner: GpuRunner;

beforeAll(async () => {
  const gpu = await getNodeGPU();
  const adapter = await requestNodeAdapter();
  console.log(`gpu-node adapter: ${adapter.info.vendor} ${adapter.info.architecture} ${adapter.info.description}`);
  runner = {
    runCase: (name) => runGpuCase(gpu, findCase(name), 'node'),
    runSelfTest: (key) => runGpuCase(gpu, fixtureSelfTests[key], 'node'),
  };
});

registerGpuSuite('node', () => runner);

registerFuzzSlice('node', async (opts) => {
  const engine = await createNodeEngine();
  try {
    return await runFuzz(engine, opts);
  } finally {
    engine.destroy();
  }
});

// The conformance runner end to end on Dawn: every sample case through the engine, with auto and each family.

describe('conformance samples through the engine (node)', () => {
  for (const algorithm of ['auto', 'direct', 'im2col', 'winograd4'] as AlgorithmName[]) {
    test(`every sample case passes or is n/a with --algorithm ${algorithm}`, async () => {
      const engine = await createNodeEngine();
      try {
        for (const f of [...CASE_FILES, ...REPO_CASE_FILES]) {
          const r = await runConformanceCase(engine, JSON.parse(readFileSync(f, 'utf8')), { algorithm });
          expect(['pass', 'n/a'], `${r.id} (${algorithm}): ${r.status} ${r.message}`).toContain(r.status);
          if (r.status === 'n/a') expect(r.message.length).toBeGreaterThan(0);
        }
      } finally {
        engine.destroy();
      }
    });
  }
  test('a corrupted expected value fails the case', async () => {
    const engine = await createNodeEngine();
    try {
      const json = JSON.parse(readFileSync(CASE_FILES.find((f) => f.includes('onnx_basic_conv_with_padding'))!, 'utf8'));
      json.expected.data[3] += 0.01;
      const r = await runConformanceCase(engine, json);
      expect(r.status).toBe('fail');
    } finally {
      engine.destroy();
    }
  });
  test('a float16 case runs as a float16 plan and fails with a corrupted expected value', async () => {
    const engine = await createNodeEngine();
    try {
      const json = JSON.parse(readFileSync(REPO_CASE_FILES.find((f) => f.includes('winoconv_fp16_conv3x3_pad1_c8_k12_11x13_bias'))!, 'utf8'));
      const ok = await runConformanceCase(engine, json);
      expect(ok.status, ok.message).toBe('pass');
      expect(ok.kernels?.every((k) => k.includes('_f16'))).toBe(true);
      // The fp16 tolerance at this value is atol 0.0064 + 1% of it: a 0.05 error must fail.
      json.expected.data[3] += 0.05;
      const r = await runConformanceCase(engine, json);
      expect(r.status).toBe('fail');
    } finally {
      engine.destroy();
    }
  });
});
