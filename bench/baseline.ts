/**
 * The hand-written baseline in shaders/: one output per invocation (what a naive WGSL port does). It uses kernel
 * internals that are not the public API, so it lives apart from bench/impls.ts and is loaded only when asked for
 * (`--impl baseline`).
 */
import { outputSize } from '../src/conv/geometry.ts';
import { DIRECT_CONV_F32_NHWC, shaderKernel } from '../src/kernels/shader-manifest.ts';
import { packUniforms } from '../src/kernels/types.ts';
import { createKernelBindGroup, createKernelPipeline, linearDispatch } from '../src/runtime/pipeline.ts';
import { encodedRunner, uploadF32, type BenchImpl } from './impls.ts';

export const BASELINE_IMPL: BenchImpl = {
  name: 'baseline',
  kind: 'baseline',
  cannotServe: () => undefined,
  async prepare({ engine }, g, data) {
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
    const buffers = { params, input: uploadF32(device, data.input), weights: uploadF32(device, hwio), bias: uploadF32(device, data.bias) };
    const output = device.createBuffer({ size: total * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const bind = createKernelBindGroup(device, built, { ...buffers, output });
    const runner = encodedRunner(device, output, total, (enc, timestampWrites) => {
      const pass = enc.beginComputePass({ timestampWrites });
      pass.setPipeline(built.pipeline);
      pass.setBindGroup(0, bind);
      pass.dispatchWorkgroups(d.x, d.y);
      pass.end();
    });
    return {
      algorithm: 'baseline',
      kernelIds: [kernel.id],
      createMs: performance.now() - t0,
      outputLayout: 'NHWC',
      run: runner.run,
      lastGpuMs: runner.lastGpuMs,
      notes: [],
      destroy() {
        runner.destroy();
        for (const b of [...Object.values(buffers), output]) b.destroy();
      },
    };
  },
};
