/**
 * GPU cases for the hand-written baseline kernel shaders/conv2d_direct_f32_nhwc.wgsl, against the float64
 * reference. They prove the harness end to end in both environments.
 */
import { DIRECT_CONV_F32_NHWC, shaderKernel } from '../../../src/kernels/shader-manifest.ts';
import { packUniforms } from '../../../src/kernels/types.ts';
import { createKernelBindGroup, createKernelPipeline, linearDispatch } from '../../../src/runtime/pipeline.ts';
import { conv2dReference, maxAbsDot } from '../../../src/reference/conv2d.ts';
import { compareWithReference, toleranceFor } from '../../../src/conv/tolerance.ts';
import { type ActivationType } from '../../../src/conv/types.ts';
import { outputSize } from '../../../src/conv/geometry.ts';
import { mulberry32, randomF32 } from '../../../src/util/random.ts';
import { DIRECT_BASELINE_SHAPES, type ShapeCase } from '../../shapes.ts';
import type { GpuCase, GpuTestContext } from '../harness/types.ts';

// The hand-written baseline shader has codes for these activations only (-1: not in the shader).
const ACTIVATION_CODE: Record<ActivationType, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3, elu: 4, sigmoid: 5, prelu: -1, clip: -1, hardsigmoid: -1, hardswish: -1 };

async function runDirectBaseline(t: GpuTestContext, sc: ShapeCase, seed: number): Promise<void> {
  const g = sc.geom;
  const { outHeight, outWidth } = outputSize(g);
  const rng = mulberry32(seed);
  const cinG = g.inChannels / g.groups;
  const input = randomF32(g.batch * g.inHeight * g.inWidth * g.inChannels, rng);
  const weight = randomF32(g.kernelH * g.kernelW * cinG * g.outChannels, rng);
  const bias = randomF32(g.outChannels, rng);
  const activation = { type: sc.activation ?? 'linear', alpha: 0.2 } as const;
  const total = g.batch * outHeight * outWidth * g.outChannels;

  const kernel = shaderKernel(DIRECT_CONV_F32_NHWC, 64);
  const built = createKernelPipeline(t.device, kernel);
  const d = linearDispatch(total, 64, t.device.limits.maxComputeWorkgroupsPerDimension);
  const uniforms = packUniforms(kernel.uniforms, {
    batch: g.batch, in_h: g.inHeight, in_w: g.inWidth, in_c: g.inChannels,
    out_h: outHeight, out_w: outWidth, out_c: g.outChannels, groups: g.groups,
    kernel_h: g.kernelH, kernel_w: g.kernelW, stride_h: g.strides[0], stride_w: g.strides[1],
    pad_top: g.pads[0], pad_left: g.pads[1], dilation_h: g.dilations[0], dilation_w: g.dilations[1],
    total, row_pitch: d.rowPitch, has_bias: sc.bias ? 1 : 0, activation: ACTIVATION_CODE[activation.type], alpha: activation.alpha,
  });
  const params = t.upload(new Uint32Array(uniforms), GPUBufferUsage.UNIFORM);
  const output = t.buffer({ size: total * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const bind = createKernelBindGroup(t.device, built, {
    params, input: t.upload(input), weights: t.upload(weight), bias: t.upload(bias), output,
  });
  const enc = t.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(built.pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(d.x, d.y);
  pass.end();
  t.device.queue.submit([enc.finish()]);
  const got = await t.readF32(output, total);

  const refArgs = {
    input, inputLayout: 'NHWC' as const, weight, weightLayout: 'HWIO' as const,
    bias: sc.bias ? { shape: [g.outChannels], data: bias, broadcast: 'channel' as const } : undefined,
    activation,
  };
  const ref = conv2dReference(g, refArgs);
  const dots = maxAbsDot(g, refArgs);
  const cmp = compareWithReference(got, ref.data, dots.perOutput, toleranceFor('float32', 'direct'));
  t.log(cmp.message.split('\n')[0]);
  if (!cmp.pass) throw new Error(`direct baseline ${sc.name} seed ${seed} geom ${JSON.stringify(g)} activation ${activation.type} bias ${!!sc.bias}\n${cmp.message}`);
}

export const directBaselineCases: GpuCase[] = DIRECT_BASELINE_SHAPES.map((sc, i) => ({
  name: `direct-baseline f32 nhwc ${sc.name}`,
  run: (t) => runDirectBaseline(t, sc, 1000 + i),
}));
