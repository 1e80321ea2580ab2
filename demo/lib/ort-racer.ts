/**
 * The race page's ONNX Runtime Web contestants, behind one seam: `createOrtRacer`. They are the whole-model
 * benchmark's peers (bench/peers/ort-models.ts), so the page and `winoconv bench --models --browser --peers` time
 * ORT the same way: the `onnxruntime-web/webgpu` bundle from node_modules (the .wasm by a `?url` import, served
 * locally, never from a CDN):
 *   ort-webgpu   its WebGPU execution provider, in the page's main thread (outputs read back to the CPU)
 *   ort-wasm-1   its wasm (CPU, SIMD) execution provider, 1 thread, in its own worker
 *   ort-wasm-2   the same with 2 threads (needs a cross-origin-isolated page: the demo servers send COOP/COEP)
 * A run is session.run, CPU tensors in, outputs in CPU memory (timed inside the worker for the wasm ones).
 */
import { ortModelPeers } from '../../bench/peers/ort-models.ts';
import type { ModelCase } from '../../bench/models/types.ts';

/** One contestant: a prepared session and its input; run() is one inference (inputs in, outputs out), its ms. */
export interface Racer {
  name: string;
  /** What it is and where it runs, for the table. */
  backend: string;
  run(): Promise<number>;
  release(): Promise<void>;
}

export type OrtRacerName = 'ort-webgpu' | 'ort-wasm-1' | 'ort-wasm-2';
export const ORT_RACERS: OrtRacerName[] = ['ort-webgpu', 'ort-wasm-1', 'ort-wasm-2'];

/** The seam: an ORT contestant for `model` with one float32 input. Throws (with the reason) when it cannot run here. */
export async function createOrtRacer(name: OrtRacerName, model: Uint8Array, input: { name: string; dims: number[]; data: Float32Array }): Promise<Racer> {
  const { peers, skip } = ortModelPeers();
  if (skip[name]) throw new Error(`${name}: ${skip[name]}`);
  const c: ModelCase = {
    spec: { name: 'race', label: 'race', input: input.dims.join('×') },
    model,
    inputs: { [input.name]: { dims: input.dims, data: input.data } },
    reference: {},
    convFlops: 0,
  };
  const s = await peers[name]!(c);
  return {
    name,
    backend: s.backend,
    run: async () => (await s.run(false)).ms,
    release: async () => {
      await s.destroy();
    },
  };
}
