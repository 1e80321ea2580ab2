/**
 * The implementations the benchmark can time. Each prepares its pipelines and buffers once per layer, then
 * encodes one forward pass (bias + ReLU fused) into the caller's encoder.
 */
import type { ConvGeometry } from '../src/conv/types.ts';
import { outputSize } from '../src/conv/types.ts';
import { DIRECT_CONV_F32_NHWC, shaderKernel } from '../src/kernels/shader-manifest.ts';
import { packUniforms } from '../src/kernels/types.ts';
import { createKernelBindGroup, createKernelPipeline, linearDispatch } from '../src/runtime/pipeline.ts';

export interface PreparedImpl {
  kernelIds: string[];
  output: GPUBuffer;
  encode(enc: GPUCommandEncoder, timestampWrites?: GPUComputePassTimestampWrites): void;
  destroy(): void;
}

export interface BenchImpl {
  name: string;
  /** Why this implementation cannot serve the layer, or undefined when it can. */
  cannotServe(g: ConvGeometry): string | undefined;
  /** Data is NHWC input, HWIO weights, per-channel bias. */
  prepare(device: GPUDevice, g: ConvGeometry, data: { input: Float32Array; weight: Float32Array; bias: Float32Array }): PreparedImpl;
}

function storage(device: GPUDevice, data: Float32Array): GPUBuffer {
  const b = device.createBuffer({ size: Math.max(16, data.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
  return b;
}

/** The hand-written baseline in shaders/: one output per invocation. */
const directBaseline: BenchImpl = {
  name: 'direct-baseline',
  cannotServe: () => undefined,
  prepare(device, g, data) {
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
    const buffers = { params, input: storage(device, data.input), weights: storage(device, data.weight), bias: storage(device, data.bias) };
    const output = device.createBuffer({ size: total * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const bind = createKernelBindGroup(device, built, { ...buffers, output });
    return {
      kernelIds: [kernel.id],
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

export const BENCH_IMPLS: BenchImpl[] = [directBaseline];
