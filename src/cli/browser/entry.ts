/** The page the CLI drives with --browser: the same functions as in Node, run on the page's WebGPU. */
import { describeAdapter } from '../../runtime/adapter-info.ts';
import { runConformanceCase, type ConformanceRow } from '../../conformance/run.ts';
import { createEngine, type Engine } from '../../engine/engine.ts';
import type { AlgorithmName } from '../../conv/desc.ts';
import type { BenchOptions } from '../../../bench/runner.ts';
import type { BenchResults } from '../../../bench/types.ts';
// Imported on use (protobufjs is CommonJS: the dev server pre-bundles it only for the pages of onnx-test/run --browser).
import type { DataSetFiles, OnnxTestRow, Tolerance } from '../../graph/test-data.ts';
import type { RunModelReport } from '../run-model.ts';
import { PEER_PROGRESS_PREFIX, type OrtPeerRun, type PeerName } from '../peers.ts';

/** What `winoconv run --browser` hands the page: URLs the CLI serves (src/node/browser-session.ts `serve`). */
interface PageRunArgs {
  model: string;
  inputs: Record<string, string>;
  inputShapes: Record<string, number[]>;
  precision?: 'float32' | 'float16';
  runs: number;
  profile: boolean;
  returnOutputs: boolean;
}

/** What `winoconv run --browser --peers` hands the page for one peer (the same served model and inputs). */
interface PagePeerArgs {
  name: PeerName;
  model: string;
  inputs: Record<string, string>;
  runs: number;
}

declare global {
  interface Window {
    __winoconvCli?: {
      info(): ReturnType<typeof describeAdapter>;
      bench(opts: BenchOptions): Promise<BenchResults>;
      conformance(json: unknown, algorithm: AlgorithmName | null): Promise<ConformanceRow>;
      onnxTest(files: DataSetFiles, tol: Tolerance): Promise<OnnxTestRow>;
      /** Outputs come back as base64 TensorProto bytes (only with returnOutputs). */
      runModel(args: PageRunArgs): Promise<{ report: RunModelReport; outputs: Record<string, string> }>;
      /** ONNX Runtime Web on the same model; outputs as base64 float32 bytes. */
      ortPeer(args: PagePeerArgs): Promise<Omit<OrtPeerRun, 'outputs'> & { outputs: Record<string, { dims: number[]; data: string }> }>;
      userAgent: string;
    };
  }
}

let engine: Promise<Engine> | undefined;

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status} ${await r.text()}`);
  return new Uint8Array(await r.arrayBuffer());
}

function toBase64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

window.__winoconvCli = {
  conformance: async (json, algorithm) => runConformanceCase(await (engine ??= createEngine()), json, { algorithm: algorithm ?? undefined }),
  onnxTest: async (files, tol) => {
    const { runDataSet, sessionRunner } = await import('../../graph/test-data.ts');
    return runDataSet(files, fetchBytes, sessionRunner(await (engine ??= createEngine())), tol);
  },
  runModel: async (a) => {
    const [{ runModel }, { decodeTensorProto, encodeTensorProto }] = await Promise.all([import('../run-model.ts'), import('../../graph/test-data.ts')]);
    const inputs: Record<string, Float32Array> = {};
    for (const [n, url] of Object.entries(a.inputs)) inputs[n] = decodeTensorProto(await fetchBytes(url), n).data as Float32Array;
    const { report, outputs } = await runModel(await (engine ??= createEngine()), await fetchBytes(a.model), inputs, { inputShapes: a.inputShapes, runs: a.runs, profile: a.profile, precision: a.precision });
    const out: Record<string, string> = {};
    if (a.returnOutputs) for (const o of report.info.outputs) out[o.name] = toBase64(encodeTensorProto({ name: o.name, dtype: 'float32', dims: o.shape, data: outputs[o.name] }));
    return { report, outputs: out };
  },
  ortPeer: async (a) => {
    const [{ runPagePeer }, { decodeTensorProto }] = await Promise.all([import('./ort-peer.ts'), import('../../graph/test-data.ts')]);
    const inputs: Record<string, { dims: number[]; data: Float32Array }> = {};
    for (const [n, url] of Object.entries(a.inputs)) {
      const t = decodeTensorProto(await fetchBytes(url), n);
      inputs[n] = { dims: t.dims, data: t.data as Float32Array };
    }
    const r = await runPagePeer(a.name, await fetchBytes(a.model), inputs, a.runs, (e) => console.log(PEER_PROGRESS_PREFIX + JSON.stringify(e)));
    const outputs: Record<string, { dims: number[]; data: string }> = {};
    for (const [n, o] of Object.entries(r.outputs)) outputs[n] = { dims: o.dims, data: toBase64(new Uint8Array(o.data.buffer, o.data.byteOffset, o.data.byteLength)) };
    return { ...r, outputs };
  },
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
