/** The page the CLI drives with --browser: the same functions as in Node, run on the page's WebGPU. */
import { describeAdapter } from '../../runtime/adapter-info.ts';
import { runConformanceCase, type ConformanceRow } from '../../conformance/run.ts';
import { createEngine, type Engine } from '../../engine/engine.ts';
import type { AlgorithmName } from '../../conv/desc.ts';
import type { BenchOptions } from '../../../bench/runner.ts';
import type { BenchResults } from '../../../bench/types.ts';

declare global {
  interface Window {
    __winoconvCli?: {
      info(): ReturnType<typeof describeAdapter>;
      bench(opts: BenchOptions): Promise<BenchResults>;
      conformance(json: unknown, algorithm: AlgorithmName | null): Promise<ConformanceRow>;
      userAgent: string;
    };
  }
}

let engine: Promise<Engine> | undefined;

window.__winoconvCli = {
  conformance: async (json, algorithm) => runConformanceCase(await (engine ??= createEngine()), json, { algorithm: algorithm ?? undefined }),
  userAgent: navigator.userAgent,
  info: () => {
    if (!navigator.gpu) throw new Error('navigator.gpu is missing: this browser has no WebGPU (flags: --enable-unsafe-webgpu)');
    return describeAdapter(navigator.gpu);
  },
  // `winoconv bench --browser` drives demo/bench.html (bench/browser-driver.ts); this hook runs the same runner
  // on this page (no peers: they need the demo's Vite config), progress lines to the console.
  bench: async (opts) => {
    const [{ runBenchmark }, { ENGINE_IMPLS }, { BASELINE_IMPL }] = await Promise.all([import('../../../bench/runner.ts'), import('../../../bench/impls.ts'), import('../../../bench/baseline.ts')]);
    return runBenchmark(navigator.gpu, navigator.userAgent, opts, { available: [...ENGINE_IMPLS, BASELINE_IMPL], progress: (l) => console.log(l) });
  },
};
document.getElementById('status')!.textContent = 'ready';
