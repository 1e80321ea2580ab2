/**
 * The peers of `winoconv bench --models` in the page (bench/models/runner.ts PeerFactory), ONNX Runtime Web from
 * node_modules (the `onnxruntime-web/webgpu` bundle, its .wasm by a `?url` import: nothing from a CDN):
 * - ort-webgpu: the WebGPU execution provider in the page's main thread, graphOptimizationLevel 'all',
 *   preferredOutputLocation 'cpu'; a run is session.run with CPU tensors in, outputs in CPU memory.
 * - ort-wasm-1 / ort-wasm-2: the wasm EP (SIMD) with 1 / 2 threads, each in its own module worker
 *   (./ort-wasm-worker.ts), since ORT fixes env.wasm.numThreads once per wasm instance (the session option
 *   intraOpNumThreads is not passed on by ORT Web). The run is timed inside the worker. 2 threads need
 *   SharedArrayBuffer, so a cross-origin-isolated page (COOP same-origin + COEP require-corp).
 */
import { loadOrt, ortWasmUrl } from './ort-load.ts';
import type { ImplSession, PeerFactory } from '../models/runner.ts';
import type { BenchTensor, ModelCase, ModelImpl } from '../models/types.ts';

function toF32(data: unknown): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float32Array.from(data, (v) => Number(v));
  return Float32Array.from(data as ArrayLike<number>);
}

async function ortWebgpu(c: ModelCase): Promise<ImplSession> {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(c.model, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all', preferredOutputLocation: 'cpu' });
  const feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]));
  return {
    backend: `onnxruntime-web ${ort.env.versions.web ?? ort.env.versions.common} webgpu EP (main thread)`,
    async run(wantOutputs) {
      const t0 = performance.now();
      const out = await session.run(feeds);
      const ms = performance.now() - t0;
      const outputs: Record<string, BenchTensor> | undefined = wantOutputs ? Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dims: [...t.dims], data: toF32(t.data) }])) : undefined;
      for (const t of Object.values(out)) t.dispose();
      return { ms, outputs };
    },
    async destroy() {
      await session.release();
    },
  };
}

/** A worker's request/response: one message in flight at a time. */
function workerCall(w: Worker, msg: unknown, transfer: Transferable[] = []): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    w.onmessage = (ev) => {
      const d = ev.data as Record<string, unknown>;
      if (d.type === 'error') reject(new Error(String(d.message)));
      else resolve(d);
    };
    w.onerror = (ev) => {
      ev.preventDefault();
      reject(new Error(`ORT wasm worker: ${ev.message || 'failed to load'}`));
    };
    w.postMessage(msg, transfer);
  });
}

function ortWasm(numThreads: number): PeerFactory {
  return async (c) => {
    const w = new Worker(new URL('./ort-wasm-worker.ts', import.meta.url), { type: 'module', name: `ort-wasm-${numThreads}` });
    try {
      const created = await workerCall(w, { type: 'create', model: c.model.slice(), numThreads, wasmUrl: ortWasmUrl(), inputs: c.inputs });
      return {
        backend: String(created.backend),
        async run(wantOutputs) {
          const r = await workerCall(w, { type: 'run', wantOutputs });
          return { ms: r.ms as number, outputs: r.outputs as Record<string, BenchTensor> | undefined };
        },
        async destroy() {
          await workerCall(w, { type: 'dispose' }).catch(() => undefined);
          w.terminate();
        },
      };
    } catch (e) {
      w.terminate();
      throw e;
    }
  };
}

/** The page's peer factories, and the peers skipped here with the reason. */
export function ortModelPeers(): { peers: Partial<Record<ModelImpl, PeerFactory>>; skip: Partial<Record<ModelImpl, string>> } {
  const skip: Partial<Record<ModelImpl, string>> = {};
  if (!globalThis.crossOriginIsolated) {
    skip['ort-wasm-2'] = 'the page is not cross-origin isolated (COOP same-origin + COEP require-corp): ORT wasm threads need SharedArrayBuffer';
  }
  return { peers: { 'ort-webgpu': ortWebgpu, 'ort-wasm-1': ortWasm(1), 'ort-wasm-2': ortWasm(2) }, skip };
}
