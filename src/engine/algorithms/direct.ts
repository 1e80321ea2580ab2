/** 'direct': the generated direct kernel, or the dedicated depthwise kernel when groups == inChannels. */
import { outputSize } from '../../conv/types.ts';
import { generateDepthwiseKernel, depthwiseConfigFor, depthwiseDispatch } from '../../kernels/depthwise.ts';
import { directConfigFor, directDispatch, generateDirectKernel } from '../../kernels/direct.ts';
import { isDepthwise, packDepthwiseWeights, packGroupedWeights } from '../../kernels/weight-pack.ts';
import type { AlgorithmImpl, PreparedConv } from '../algorithm.ts';
import { prepareInt8 } from './int8.ts';
import { EpilogueBuffers, geometryAt, representativeGeometry } from '../epilogue-buffers.ts';
import { INPUT, OUTPUT, StepList } from '../steps.ts';
import { chunkIo, planChunks } from '../chunks.ts';

export const directImpl: AlgorithmImpl = {
  name: 'direct',
  cannotServe: () => undefined,
  async prepare(ctx): Promise<PreparedConv> {
    if (ctx.quant) return prepareInt8(ctx, 'direct');
    const { core, desc: d } = ctx;
    const epi = new EpilogueBuffers(core, d, ctx.bias, ctx.prelu);
    // Kernel configs depend on channel counts and a representative width only (not on the batch).
    const g0 = representativeGeometry(d);
    const depthwise = isDepthwise(g0);
    const cfgDw = depthwise ? depthwiseConfigFor(g0, d.layout, epi.config) : undefined;
    const cfgDi = depthwise ? undefined : directConfigFor(g0, d.layout, epi.config);
    const kernel = cfgDw ? generateDepthwiseKernel(cfgDw) : generateDirectKernel(cfgDi!);
    const weights = core.createBufferFrom(depthwise ? packDepthwiseWeights(ctx.weightsOIHW, 'OIHW', g0) : packGroupedWeights(ctx.weightsOIHW, 'OIHW', g0), GPUBufferUsage.STORAGE, `${kernel.id} weights`);
    const built = await core.pipeline(kernel);
    const steps = new StepList(core);
    return {
      algorithm: 'direct',
      kernelIds: [kernel.id],
      resize(batch, height, width) {
        const { outHeight, outWidth } = outputSize(geometryAt(d, 1, height, width));
        const per = { inBytes: height * width * d.inChannels * 4, outBytes: outHeight * outWidth * d.outChannels * 4 };
        const plan = planChunks(core, batch, per);
        const epiBytes = epi.resize(geometryAt(d, plan.chunks[0].count, height, width), plan.chunks.length > 1);
        const opts = { maxWorkgroupsPerDimension: core.limits.maxComputeWorkgroupsPerDimension, alpha: d.activation.alpha };
        steps.set(plan.chunks.map((c) => {
          const g = geometryAt(d, c.count, height, width);
          const disp = cfgDw ? depthwiseDispatch(cfgDw, g, opts) : directDispatch(cfgDi!, g, opts);
          const io = plan.chunks.length > 1 ? chunkIo(c, per) : { input: INPUT, output: OUTPUT };
          return { built, buffers: { input: io.input, output: io.output, weights, ...epi.bindings() }, uniforms: disp.uniforms, workgroups: disp.workgroups };
        }));
        return { outHeight, outWidth, workspaceBytes: epiBytes, notes: plan.note ? [plan.note] : [] };
      },
      stepKernelIds: () => steps.kernelIds(),
        encode: (enc, input, output, ts, perStep) => steps.encode(enc, input, output, ts, perStep),
      destroy() {
        steps.destroy();
        epi.destroy();
        weights.destroy();
      },
    };
  },
};
