/**
 * ONNX Runtime Web for the benchmark pages, loaded once per page: the `onnxruntime-web/webgpu` bundle from
 * node_modules, its .wasm by a `?url` import (served by the local server, never a CDN), one wasm thread in the page
 * (the multi-threaded wasm peers run in their own workers: ort-wasm-worker.ts), no proxy worker.
 */
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

export type Ort = typeof import('onnxruntime-web/webgpu');

let loading: Promise<Ort> | undefined;

/** The .wasm's absolute URL (workers get it in their 'create' message). */
export const ortWasmUrl = (): string => new URL(wasmUrl, location.href).href;

/** The page's ORT module; a failed load is retried on the next call. */
export function loadOrt(): Promise<Ort> {
  return (loading ??= (async () => {
    const ort = await import('onnxruntime-web/webgpu');
    ort.env.wasm.wasmPaths = { wasm: ortWasmUrl() };
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';
    return ort;
  })().catch((e) => {
    loading = undefined;
    throw e;
  }));
}
