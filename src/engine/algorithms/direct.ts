/** 'direct': the generated direct kernel, or the dedicated depthwise kernel when groups == inChannels. */
import { generateDepthwiseKernel, depthwiseConfigFor, depthwiseDispatch } from '../../kernels/depthwise.ts';
import { directConfigFor, directDispatch, generateDirectKernel } from '../../kernels/direct.ts';
import { isDepthwise, packDepthwiseWeights, packGroupedWeights } from '../../kernels/weight-pack.ts';
import type { AlgorithmImpl, PreparedConv } from '../algorithm.ts';
import { prepareInt8 } from './int8.ts';
import { EpilogueBuffers, representativeGeometry } from '../epilogue-buffers.ts';
import { singleKernelPrepared } from './single-kernel.ts';
import { readWriteMode, readWriteVariant } from '../../kernels/read-write-variant.ts';
import { storageData, storageKernel } from '../float-storage.ts';

export const directImpl: AlgorithmImpl = {
  name: 'direct',
  cannotServe: () => undefined,
  async prepare(ctx): Promise<PreparedConv> {
    if (ctx.quant) return prepareInt8(ctx, 'direct');
    const { core, desc: d } = ctx;
    const epi = new EpilogueBuffers(core, d, ctx.bias, ctx.prelu, { residual: ctx.residual, preActivation: ctx.preActivation });
    // Kernel configs depend on channel counts and a representative width only (not on the batch).
    const g0 = representativeGeometry(d);
    const depthwise = isDepthwise(g0);
    const cfgDw = depthwise ? depthwiseConfigFor(g0, d.layout, epi.config) : undefined;
    const cfgDi = depthwise ? undefined : directConfigFor(g0, d.layout, epi.config);
    const kernel = readWriteVariant(storageKernel(d, cfgDw ? generateDepthwiseKernel(cfgDw) : generateDirectKernel(cfgDi!)), readWriteMode(ctx));
    const packed = depthwise ? packDepthwiseWeights(ctx.weightsOIHW, 'OIHW', g0) : packGroupedWeights(ctx.weightsOIHW, 'OIHW', g0);
    const weights = core.createBufferFrom(storageData(d, packed), GPUBufferUsage.STORAGE, `${kernel.id} weights`);
    const built = await core.pipeline(kernel);
    const opts = { maxWorkgroupsPerDimension: core.limits.maxComputeWorkgroupsPerDimension, alpha: epi.params() };
    return singleKernelPrepared({
      algorithm: 'direct', core, desc: d, built, weights, epi, externalWorkspace: ctx.workspace === 'external',
      dispatch: (g) => (cfgDw ? depthwiseDispatch(cfgDw, g, opts) : directDispatch(cfgDi!, g, opts)),
    });
  },
};
