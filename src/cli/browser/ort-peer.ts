/**
 * `winoconv run --browser --peers`: ONNX Runtime Web in the CLI page, loaded as bench/peers/ort.ts loads it (the
 * `onnxruntime-web/webgpu` bundle from node_modules through the dev server, its .wasm file by a `?url` import, so
 * nothing comes from anywhere but the local server; single-threaded wasm, no proxy worker). Both peers use this
 * bundle: ort-webgpu its WebGPU execution provider, ort-wasm its wasm (CPU, SIMD) one. Imported on use only, so
 * the page loads without onnxruntime-web (a dev dependency).
 */
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import { runOrtPeer, type OrtPeerRun, type PeerName, type PeerProgress } from '../peers.ts';

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

export async function runPagePeer(
  name: PeerName,
  model: Uint8Array,
  inputs: Record<string, { dims: number[]; data: Float32Array }>,
  runs: number,
  progress: PeerProgress,
): Promise<OrtPeerRun> {
  const ort = await (loading ??= load().catch((e) => {
    loading = undefined;
    throw e;
  }));
  return runOrtPeer(ort, name, model, inputs, runs, progress);
}
