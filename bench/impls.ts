/**
 * The implementations the benchmark times: each engine algorithm (forced, so every one that can serve a layer
 * gets a row), `auto`, and the hand-written baseline shader. Each prepares once per layer, then encodes one
 * forward pass (bias + ReLU fused) into the caller's encoder.
 */
import type { AlgorithmName } from '../src/conv/desc.ts';
import type { ConvGeometry } from '../src/conv/types.ts';
import { outputSize } from '../src/conv/types.ts';
import type { Engine } from '../src/engine/engine.ts';
import { DIRECT_CONV_F32_NHWC, shaderKernel } from '../src/kernels/shader-manifest.ts';
import { packUniforms } from '../src/kernels/types.ts';
import { createKernelBindGroup, createKernelPipeline, linearDispatch } from '../src/runtime/pipeline.ts';

export interface PreparedImpl {
  kernelIds: string[];
  /** The algorithm actually used (auto resolves to one). */
  algorithm: string;
  /** Plan creation (weight transform, pipeline compilation, verification), ms. */
  createMs: number;
  output: GPUBuffer;
  encode(enc: GPUCommandEncoder, timestampWrites?: GPUComputePassTimestampWrites): void;
  destroy(): void;
}

export interface BenchData {
  /** NHWC input, OIHW weights, per-channel bias. */
  input: Float32Array<ArrayBuffer>;
  weightOIHW: Float32Array<ArrayBuffer>;
  bias: Float32Array<ArrayBuffer>;
}

export interface BenchImpl {
  name: string;
  /** Why this implementation cannot serve the layer, or undefined when it can. */
  cannotServe(engine: Engine, g: ConvGeometry): string | undefined;
  prepare(engine: Engine, g: ConvGeometry, data: BenchData): Promise<PreparedImpl>;
}

function storage(device: GPUDevice, data: Float32Array<ArrayBuffer>, extra = 0): GPUBuffer {
  const b = device.createBuffer({ size: Math.max(16, data.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | extra });
  device.queue.writeBuffer(b, 0, data);
  return b;
}

function descOf(g: ConvGeometry, algorithm: AlgorithmName) {
  return {
    inChannels: g.inChannels, outChannels: g.outChannels, kernelSize: [g.kernelH, g.kernelW] as [number, number], strides: g.strides, pads: g.pads,
    dilations: g.dilations, groups: g.groups, layout: 'NHWC' as const, activation: 'relu' as const, algorithm,
  };
}

function engineImpl(algorithm: AlgorithmName): BenchImpl {
  return {
    name: algorithm,
    cannotServe(engine, g) {
      if (algorithm === 'auto') return undefined;
      const v = engine.candidates(descOf(g, algorithm)).find((x) => x.algorithm === algorithm);
      return !v ? 'unknown algorithm' : v.status === 'rejected' ? v.reason : undefined;
    },
    async prepare(engine, g, data) {
      const t0 = performance.now();
      const plan = await engine.createConv2d(descOf(g, algorithm), { weights: data.weightOIHW, weightLayout: 'OIHW', bias: data.bias, expectedSize: { height: g.inHeight, width: g.inWidth } });
      const createMs = performance.now() - t0;
      plan.resize({ batch: g.batch, height: g.inHeight, width: g.inWidth });
      const dev = engine.device;
      const input = storage(dev, data.input);
      const output = dev.createBuffer({ size: Math.max(16, plan.sizes().output * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
      return {
        kernelIds: plan.info.kernels,
        algorithm: plan.info.algorithm,
        createMs,
        output,
        encode: (enc, ts) => plan.encode(enc, { input, output }, ts),
        destroy() {
          plan.destroy();
          input.destroy();
          output.destroy();
        },
      };
    },
  };
}

/** The hand-written baseline in shaders/: one output per invocation (what a naive WGSL port does). */
const directBaseline: BenchImpl = {
  name: 'baseline',
  cannotServe: () => undefined,
  async prepare(engine, g, data) {
    const t0 = performance.now();
    const device = engine.device;
    const { outHeight, outWidth } = outputSize(g);
    const total = g.batch * outHeight * outWidth * g.outChannels;
    const kernel = shaderKernel(DIRECT_CONV_F32_NHWC, 64);
    const built = createKernelPipeline(device, kernel);
    const d = linearDispatch(total, 64, device.limits.maxComputeWorkgroupsPerDimension);
    const params = device.createBuffer({ size: 96, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(params, 0, packUniforms(kernel.uniforms, {
      batch: g.batch, in_h: g.inHeight, in_w: g.inWidth, in_c: g.inChannels, out_h: outHeight, out_w: outWidth, out_c: g.outChannels, groups: g.groups,
      kernel_h: g.kernelH, kernel_w: g.kernelW, stride_h: g.strides[0], stride_w: g.strides[1], pad_top: g.pads[0], pad_left: g.pads[1],
      dilation_h: g.dilations[0], dilation_w: g.dilations[1], total, row_pitch: d.rowPitch, has_bias: 1, activation: 1, alpha: 0,
    }));
    // the baseline reads HWIO weights
    const cinG = g.inChannels / g.groups;
    const hwio = new Float32Array(data.weightOIHW.length);
    for (let o = 0; o < g.outChannels; o++) for (let i = 0; i < cinG; i++) for (let y = 0; y < g.kernelH; y++) for (let x = 0; x < g.kernelW; x++) {
      hwio[((y * g.kernelW + x) * cinG + i) * g.outChannels + o] = data.weightOIHW[((o * cinG + i) * g.kernelH + y) * g.kernelW + x];
    }
    const buffers = { params, input: storage(device, data.input), weights: storage(device, hwio), bias: storage(device, data.bias) };
    const output = device.createBuffer({ size: total * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const bind = createKernelBindGroup(device, built, { ...buffers, output });
    return {
      kernelIds: [kernel.id],
      algorithm: 'baseline',
      createMs: performance.now() - t0,
      output,
      encode(enc, timestampWrites) {
        const pass = enc.beginComputePass({ timestampWrites });
        pass.setPipeline(built.pipeline);
        pass.setBindGroup(0, bind);
        pass.dispatchWorkgroups(d.x, d.y);
        pass.end();
      },
      destroy() {
        for (const b of [...Object.values(buffers), output]) b.destroy();
      },
    };
  },
};

export const BENCH_IMPLS: BenchImpl[] = [
  engineImpl('auto'),
  engineImpl('winograd4'),
  engineImpl('winograd2'),
  engineImpl('winograd6'),
  engineImpl('im2col'),
  engineImpl('direct'),
  directBaseline,
];

/** Implementations run when none are named: the baseline is slow on big layers, so it is opt-in. */
export const DEFAULT_BENCH_IMPLS = BENCH_IMPLS.filter((i) => i.name !== 'baseline').map((i) => i.name);
