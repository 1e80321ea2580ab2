/**
 * The race page's ONNX Runtime Web contestants, behind one seam: `createOrtRacer`. For now both run in the page's
 * main thread, from the `onnxruntime-web/webgpu` bundle in node_modules (as src/cli/browser/ort-peer.ts loads it: the
 * .wasm by a `?url` import, served locally, never from a CDN), with one wasm thread and no proxy worker:
 *   ort-webgpu  its WebGPU execution provider (outputs read back to the CPU)
 *   ort-wasm    its wasm (CPU, SIMD) execution provider
 * Worker-based wasm peers (1 and 2 threads; the pages are cross-origin isolated) can replace this function without
 * touching the page: it only needs `Racer`.
 */
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

/** One contestant: a prepared session and its input; run() is one timed inference (inputs in, outputs out). */
export interface Racer {
  name: string;
  /** What it is and where it runs, for the table. */
  backend: string;
  run(): Promise<void>;
  release(): Promise<void>;
}

export type OrtRacerName = 'ort-webgpu' | 'ort-wasm';
export const ORT_RACERS: OrtRacerName[] = ['ort-webgpu', 'ort-wasm'];

type Ort = typeof import('onnxruntime-web');
let loading: Promise<Ort> | undefined;

async function load(): Promise<Ort> {
  const ort = (await import('onnxruntime-web/webgpu')) as unknown as Ort;
  ort.env.wasm.wasmPaths = { wasm: new URL(wasmUrl, location.href).href };
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  return ort;
}

/** The seam: an ORT contestant for `model` with one float32 input. */
export async function createOrtRacer(name: OrtRacerName, model: Uint8Array, input: { name: string; dims: number[]; data: Float32Array }): Promise<Racer> {
  const ort = await (loading ??= load().catch((e) => { loading = undefined; throw e; }));
  const session = await ort.InferenceSession.create(model, {
    executionProviders: [name === 'ort-webgpu' ? 'webgpu' : 'wasm'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(name === 'ort-webgpu' ? { preferredOutputLocation: 'cpu' as const } : {}),
  });
  const feeds = { [input.name]: new ort.Tensor('float32', input.data, input.dims) };
  const version = ort.env.versions.web ?? ort.env.versions.common;
  return {
    name,
    backend: `onnxruntime-web ${version}, ${name === 'ort-webgpu' ? 'WebGPU EP' : 'wasm EP (SIMD, 1 thread)'}, main thread`,
    run: async () => { await session.run(feeds); },
    release: () => session.release(),
  };
}
