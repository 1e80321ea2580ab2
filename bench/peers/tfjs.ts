/**
 * Peer: TensorFlow.js on its WebGPU backend (@tensorflow/tfjs-core + @tensorflow/tfjs-backend-webgpu 4.22), in
 * the browser page. The op is `tf.fused.conv2d` (or `tf.fused.depthwiseConv2d` for groups = channels) with bias
 * and ReLU fused, NHWC, pads as one number (all the suites' pads are symmetric). Input, filter and bias are tensors created once; a run is the op, then
 * `await y.data()` (GPU completion and read back), then disposing y. tfjs keeps its own GPUDevice.
 */
import type { BenchImpl } from '../impls.ts';
import type { PeerInfo } from '../types.ts';

type Tf = typeof import('@tensorflow/tfjs-core');

let loading: Promise<Tf> | undefined;

async function load(): Promise<Tf> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  // No CPU backend is registered; keep every op on the GPU in any case.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") failed: no WebGPU for TensorFlow.js here');
  await tf.ready();
  return tf;
}

export async function tfjsInfo(): Promise<PeerInfo> {
  const tf = await (loading ??= load());
  return {
    name: 'tfjs-webgpu',
    library: '@tensorflow/tfjs-core + @tensorflow/tfjs-backend-webgpu',
    version: tf.version_core,
    backend: tf.getBackend(),
    how: 'tf.fused.conv2d / tf.fused.depthwiseConv2d, NHWC, bias + relu fused; run = op + await y.data()',
  };
}

export const TFJS_PEER: BenchImpl = {
  name: 'tfjs-webgpu',
  kind: 'peer',
  info: () => tfjsInfo(),
  cannotServe(_ctx, g) {
    if (g.groups !== 1 && !(g.groups === g.inChannels && g.outChannels === g.inChannels)) return `groups = ${g.groups}: tfjs has conv2d (groups 1) and depthwise (groups = channels) only`;
    if ((g.strides[0] > 1 || g.strides[1] > 1) && (g.dilations[0] > 1 || g.dilations[1] > 1)) return 'tfjs conv2d does not take strides > 1 with dilations > 1';
    if (!g.pads.every((p) => p === g.pads[0])) return `pads [${g.pads.join(', ')}]: tf.fused ops take one number (or 'same'/'valid'), not per-side pads`;
    return undefined;
  },
  async prepare(_ctx, g, data) {
    const t0 = performance.now();
    const tf = await (loading ??= load());
    const depthwise = g.groups > 1;
    const cinG = g.inChannels / g.groups;
    // OIHW → HWIO (conv2d: [kh, kw, cin, cout]); depthwise: [kh, kw, channels, 1]
    const filterData = new Float32Array(data.weightOIHW.length);
    for (let o = 0; o < g.outChannels; o++) for (let i = 0; i < cinG; i++) for (let y = 0; y < g.kernelH; y++) for (let x = 0; x < g.kernelW; x++) {
      const src = ((o * cinG + i) * g.kernelH + y) * g.kernelW + x;
      const dst = depthwise ? (y * g.kernelW + x) * g.outChannels + o : ((y * g.kernelW + x) * cinG + i) * g.outChannels + o;
      filterData[dst] = data.weightOIHW[src];
    }
    const x = tf.tensor4d(data.input, [g.batch, g.inHeight, g.inWidth, g.inChannels]);
    const filter = tf.tensor4d(filterData, depthwise ? [g.kernelH, g.kernelW, g.inChannels, 1] : [g.kernelH, g.kernelW, cinG, g.outChannels]);
    const bias = tf.tensor1d(data.bias);
    const args = { x, filter, bias, strides: g.strides, pad: g.pads[0], dilations: g.dilations, dataFormat: 'NHWC' as const, activation: 'relu' as const };
    const op = () => (depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args));
    const notes: string[] = [];
    return {
      algorithm: depthwise ? 'tf.fused.depthwiseConv2d' : 'tf.fused.conv2d',
      kernelIds: [],
      createMs: performance.now() - t0,
      outputLayout: 'NHWC',
      async run() {
        const y = op();
        const out = (await y.data()) as Float32Array;
        y.dispose();
        return out;
      },
      async describeKernels() {
        const p = await tf.profile(() => op());
        tf.dispose(p.result);
        // three more runs through tf.time: its kernelMs is tfjs's own GPU time (timestamp queries where available)
        const kernel: number[] = [];
        for (let i = 0; i < 3; i++) {
          const t = await tf.time(() => op().dispose());
          if (typeof t.kernelMs === 'number') kernel.push(t.kernelMs);
        }
        if (kernel.length) notes.push(`tf.time after the runs: kernelMs ${kernel.sort((a, b) => a - b)[Math.floor(kernel.length / 2)].toFixed(2)} (tfjs's GPU time, median of ${kernel.length})`);
        return p.kernelNames;
      },
      notes,
      destroy() {
        x.dispose();
        filter.dispose();
        bias.dispose();
      },
    };
  },
};
