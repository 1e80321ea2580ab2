/**
 * A module Web Worker holding one ONNX Runtime Web wasm session (bench/peers/ort-models.ts starts one per thread
 * count): ORT fixes env.wasm.numThreads once per wasm instance, so 1 and 2 threads need instances of their own.
 * 'create' {model, numThreads, wasmUrl, inputs} → 'created' {backend}; 'run' {wantOutputs} → 'ran' {ms, outputs?},
 * ms = session.run inside the worker (CPU tensors in, outputs in CPU memory); any failure → 'error' {message}.
 */
/// <reference lib="webworker" />
type Ort = typeof import('onnxruntime-web/webgpu');
type Tensor = { dims: number[]; data: Float32Array };

let ort: Ort | undefined;
let session: import('onnxruntime-web/webgpu').InferenceSession | undefined;
let feeds: Record<string, import('onnxruntime-web/webgpu').Tensor> = {};

function toF32(data: unknown): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float32Array.from(data, (v) => Number(v));
  return Float32Array.from(data as ArrayLike<number>);
}

self.onmessage = async (ev: MessageEvent) => {
  const msg = ev.data as { type: string; [k: string]: unknown };
  try {
    if (msg.type === 'create') {
      ort = await import('onnxruntime-web/webgpu');
      ort.env.wasm.wasmPaths = { wasm: msg.wasmUrl as string };
      ort.env.wasm.numThreads = msg.numThreads as number;
      ort.env.wasm.proxy = false;
      ort.env.logLevel = 'error';
      session = await ort.InferenceSession.create(msg.model as Uint8Array, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      const inputs = msg.inputs as Record<string, Tensor>;
      feeds = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, new ort!.Tensor('float32', v.data, v.dims)]));
      const threads = ort.env.wasm.numThreads;
      postMessage({ type: 'created', backend: `onnxruntime-web ${ort.env.versions.web ?? ort.env.versions.common} wasm EP (SIMD), ${threads} thread${threads === 1 ? '' : 's'}, own worker; crossOriginIsolated ${self.crossOriginIsolated}` });
    } else if (msg.type === 'run') {
      const t0 = performance.now();
      const out = await session!.run(feeds);
      const ms = performance.now() - t0;
      const outputs = msg.wantOutputs ? Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dims: [...t.dims], data: toF32(t.data) }])) : undefined;
      postMessage({ type: 'ran', ms, outputs });
    } else if (msg.type === 'dispose') {
      await session?.release();
      session = undefined;
      postMessage({ type: 'disposed' });
    }
  } catch (e) {
    postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
};
