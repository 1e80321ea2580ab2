/** The page the CLI drives with --browser: the same functions as in Node, run on the page's WebGPU. */
import { describeAdapter } from '../../runtime/adapter-info.ts';
import { runConformanceCase, type ConformanceRow } from '../../conformance/run.ts';
import { createEngine, type Engine } from '../../engine/engine.ts';
import type { AlgorithmName } from '../../conv/desc.ts';
import { runBenchmark, type BenchOptions, type BenchResults } from '../../../bench/runner.ts';

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
  // Progress lines go to the console, which the CLI forwards to its stderr.
  bench: (opts) => runBenchmark(navigator.gpu, navigator.userAgent, { ...opts, progress: (l) => console.log(l) }),
};
document.getElementById('status')!.textContent = 'ready';
