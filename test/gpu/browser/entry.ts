/** The page side of the browser GPU tests: exposes the same cases and fixture to puppeteer. */
import { runGpuCase } from '../harness/fixture.ts';
import { findCase, GPU_CASES } from '../cases/index.ts';
import { fixtureSelfTests } from '../cases/harness-selftest.ts';
import type { GpuCaseResult } from '../harness/types.ts';
import { createEngine } from '../../../src/engine/engine.ts';
import { runFuzz, type FuzzOptions, type FuzzSummary } from '../../../src/fuzz/run.ts';

declare global {
  interface Window {
    __winoconvTests?: {
      names: string[];
      adapter(): Promise<string>;
      runCase(name: string): Promise<GpuCaseResult>;
      runSelfTest(key: string): Promise<GpuCaseResult>;
      fuzz(opts: FuzzOptions): Promise<FuzzSummary>;
    };
  }
}

function gpu(): GPU {
  if (!navigator.gpu) throw new Error('navigator.gpu is missing: the page must be served over http://127.0.0.1 with --enable-unsafe-webgpu');
  return navigator.gpu;
}

window.__winoconvTests = {
  names: GPU_CASES.map((c) => c.name),
  async adapter() {
    const a = await gpu().requestAdapter();
    return a ? `${a.info.vendor} ${a.info.architecture} ${a.info.description}` : 'none';
  },
  runCase: (name) => runGpuCase(gpu(), findCase(name), 'browser'),
  runSelfTest: (key) => runGpuCase(gpu(), fixtureSelfTests[key as keyof typeof fixtureSelfTests], 'browser'),
  async fuzz(opts) {
    const engine = await createEngine({ gpu: gpu() });
    try {
      return await runFuzz(engine, opts);
    } finally {
      engine.destroy();
    }
  },
};
document.getElementById('status')!.textContent = 'ready';
