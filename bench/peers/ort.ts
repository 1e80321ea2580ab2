/**
 * Peer: ONNX Runtime Web with its WebGPU execution provider (onnxruntime-web, `onnxruntime-web/webgpu` bundle),
 * in the browser page. The model is one Conv (with bias) + Relu, built in memory (bench/onnx-model.ts), NCHW as
 * ONNX defines it; graph optimisation 'all' lets ORT fuse the Relu into the Conv. The input lives in a GPUBuffer
 * on ORT's own device (Tensor.fromGpuBuffer), so a run is session.run → GPU completion → output read back to the
 * CPU (preferredOutputLocation 'cpu'). The NHWC data are transposed to NCHW once, outside the timed region.
 *
 * The .wasm file is served locally: its URL comes from Vite (`?url`: node_modules in dev, a build asset in the
 * demo build) and goes to ort.env.wasm.wasmPaths. Single-threaded wasm (no cross-origin isolation needed).
 */
import type { BenchImpl } from '../impls.ts';
import type { PeerInfo } from '../types.ts';
import { buildConvReluModel } from '../onnx-model.ts';
import { loadOrt, type Ort } from './ort-load.ts';

export async function ortInfo(): Promise<PeerInfo> {
  const ort = await loadOrt();
  return {
    name: 'ort-webgpu',
    library: 'onnxruntime-web (webgpu bundle)',
    version: ort.env.versions.web ?? ort.env.versions.common,
    backend: 'webgpu execution provider',
    how: 'ONNX Conv(X, W, B) → Relu built in memory, NCHW, graphOptimizationLevel all; input GPU-resident (Tensor.fromGpuBuffer); run = session.run with output read back to the CPU',
  };
}

function nhwcToNchw(src: Float32Array, n: number, h: number, w: number, c: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(src.length);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    out[((b * c + k) * h + y) * w + x] = src[((b * h + y) * w + x) * c + k];
  }
  return out;
}

export const ORT_PEER: BenchImpl = {
  name: 'ort-webgpu',
  kind: 'peer',
  info: () => ortInfo(),
  cannotServe: () => undefined,
  async prepare(_ctx, g, data) {
    const t0 = performance.now();
    const ort = await loadOrt();
    const model = buildConvReluModel(g, data.weightOIHW, data.bias);
    const session = await ort.InferenceSession.create(model.bytes, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all', preferredOutputLocation: 'cpu' });
    const nchw = nhwcToNchw(data.input, g.batch, g.inHeight, g.inWidth, g.inChannels);
    const notes: string[] = [];
    let input: InstanceType<Ort['Tensor']>;
    let gpuBuffer: GPUBuffer | undefined;
    try {
      const device = (await ort.env.webgpu.device) as GPUDevice;
      gpuBuffer = device.createBuffer({ label: 'ort input', size: Math.ceil(nchw.byteLength / 16) * 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(gpuBuffer, 0, nchw);
      input = ort.Tensor.fromGpuBuffer(gpuBuffer, { dataType: 'float32', dims: model.inputDims });
    } catch (e) {
      gpuBuffer?.destroy();
      gpuBuffer = undefined;
      input = new ort.Tensor('float32', nchw, model.inputDims);
      notes.push(`input uploaded from the CPU in every run (no GPU-resident input: ${(e as Error).message})`);
    }
    const feeds = { [model.inputName]: input };
    return {
      algorithm: 'onnx Conv+Relu',
      kernelIds: [],
      createMs: performance.now() - t0,
      outputLayout: 'NCHW',
      async run() {
        const r = await session.run(feeds);
        return r[model.outputName].data as Float32Array;
      },
      notes,
      async destroy() {
        await session.release();
        gpuBuffer?.destroy();
      },
    };
  },
};
