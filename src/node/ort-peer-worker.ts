/**
 * `winoconv run --peers ort-wasm` in Node: onnxruntime-web's wasm backend (SIMD, one thread) in a worker thread,
 * so that --peer-timeout can stop a run that holds the thread (a wasm session.run does not yield) by terminating
 * the worker. The worker's code is plain JavaScript (an eval worker: no TypeScript loader there) doing what
 * `runOrtPeer` (src/cli/peers.ts) does in the page; onnxruntime-web is resolved here and imported there by URL.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { OrtPeerRun, PeerEvent } from '../cli/peers.ts';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const m = await import(workerData.ortUrl);
  const ort = m.default ?? m;
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(workerData.model, { executionProviders: ['wasm'], graphOptimizationLevel: workerData.optimization, logSeverityLevel: 3 });
  const createMs = performance.now() - t0;
  parentPort.postMessage({ type: 'event', event: { stage: 'created', ms: createMs } });
  const feeds = {};
  for (const n of session.inputNames) {
    const x = workerData.inputs[n];
    if (!x) throw new Error("no data for the model input '" + n + "'");
    feeds[n] = new ort.Tensor(x.type || 'float32', x.data, x.dims);
  }
  let t = performance.now();
  const r = await session.run(feeds);
  const firstMs = performance.now() - t;
  parentPort.postMessage({ type: 'event', event: { stage: 'first', ms: firstMs } });
  const runMs = [];
  for (let i = 0; i < workerData.runs; i++) {
    t = performance.now();
    await session.run(feeds);
    runMs.push(performance.now() - t);
    parentPort.postMessage({ type: 'event', event: { stage: 'run', k: i + 1, of: workerData.runs, ms: runMs[i] } });
  }
  const outputs = {};
  for (const n of session.outputNames) {
    const d = r[n].data;
    outputs[n] = { dims: [...r[n].dims], data: d instanceof Float32Array ? d : Float32Array.from(d, (v) => Number(v)) };
  }
  await session.release();
  const version = (ort.env.versions && (ort.env.versions.web || ort.env.versions.common)) || '?';
  parentPort.postMessage({ type: 'done', result: { createMs, firstMs, runMs, outputs, version } });
})().catch((e) => parentPort.postMessage({ type: 'error', message: e && e.message ? e.message : String(e) }));
`;

export type WorkerOutcome = { status: 'ok'; run: OrtPeerRun } | { status: 'timeout' } | { status: 'error'; message: string };

/**
 * Runs the wasm peer in a worker; `onEvent` gets its progress; after `timeoutMs` the worker is terminated.
 * `optimization`: ORT's graphOptimizationLevel ('disabled' keeps its own QDQ fusion out, for scripts/qdq-bisect.ts).
 */
export async function runWasmPeerInWorker(
  model: Uint8Array,
  inputs: Record<string, { dims: number[]; data: Float32Array | Int8Array | Uint8Array; type?: 'float32' | 'int8' | 'uint8' }>,
  runs: number,
  timeoutMs: number,
  onEvent: (e: PeerEvent) => void,
  optimization: 'all' | 'disabled' = 'all',
): Promise<WorkerOutcome> {
  let ortUrl: string;
  try {
    ortUrl = pathToFileURL(createRequire(import.meta.url).resolve('onnxruntime-web')).href;
  } catch (e) {
    return { status: 'error', message: `--peers ort-wasm needs onnxruntime-web (a dev dependency of winoconv): run npm ci in the checkout, or npm install -D onnxruntime-web (${(e as Error).message})` };
  }
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortUrl, model, inputs, runs, optimization } });
  return new Promise<WorkerOutcome>((resolve) => {
    let settled = false;
    const finish = (o: WorkerOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ status: 'timeout' }), timeoutMs);
    worker.on('message', (m: { type: 'event'; event: PeerEvent } | { type: 'done'; result: OrtPeerRun } | { type: 'error'; message: string }) => {
      if (m.type === 'event') onEvent(m.event);
      else if (m.type === 'done') finish({ status: 'ok', run: m.result });
      else finish({ status: 'error', message: m.message });
    });
    worker.on('error', (e) => finish({ status: 'error', message: e.message }));
    worker.on('exit', (code) => finish({ status: 'error', message: `the ORT worker exited (code ${code}) before it finished` }));
  });
}
