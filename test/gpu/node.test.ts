/** The GPU cases on WebGPU in Node, through Dawn. */
import { beforeAll } from 'vitest';
import { getNodeGPU, requestNodeAdapter } from '../../src/node/dawn.ts';
import { runGpuCase } from './harness/fixture.ts';
import { registerGpuSuite, type GpuRunner } from './harness/register.ts';
import { findCase } from './cases/index.ts';
import { fixtureSelfTests } from './cases/harness-selftest.ts';

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
