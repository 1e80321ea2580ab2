/**
 * 'im2col': implicit im2col (no column buffer) through the shared GEMM body; groups are GEMM batches;
 * 1×1 stride-1 unpadded convolutions read input rows directly (a plain GEMM).
 */
import { generateGemmKernel, gemmDispatch } from '../../kernels/gemm.ts';
import { gemmFormatFor, gemmTileFor, gemmTilings } from '../gemm-tile.ts';
import { im2colConfigFor, im2colGemmParts, im2colGemmShape, im2colGemmUniforms, pickUniforms } from '../../kernels/im2col.ts';
import { packGroupedWeights } from '../../kernels/weight-pack.ts';
import type { AlgorithmImpl, PreparedConv } from '../algorithm.ts';
import { prepareInt8 } from './int8.ts';
import { EpilogueBuffers, representativeGeometry } from '../epilogue-buffers.ts';
import { singleKernelPrepared } from './single-kernel.ts';
import { readWriteMode, readWriteVariant } from '../../kernels/read-write-variant.ts';
import { storageData, storageKernel } from '../float-storage.ts';

export const im2colImpl: AlgorithmImpl = {
  name: 'im2col',
  cannotServe: () => undefined,
  tunings: (d, core) => (d.dtype === 'float32' || d.dtype === 'float16' ? gemmTilings(core, d.dtype) : [{}]),
  async prepare(ctx): Promise<PreparedConv> {
    if (ctx.quant) return prepareInt8(ctx, 'im2col');
    const { core, desc: d } = ctx;
    const epi = new EpilogueBuffers(core, d, ctx.bias, ctx.prelu, { residual: ctx.residual, preActivation: ctx.preActivation });
    const g0 = representativeGeometry(d);
    const cfg = im2colConfigFor(g0, d.layout, epi.config);
    const tile = gemmTileFor(core, d.outChannels / d.groups, ctx.tuning);
    const kernel = readWriteVariant(storageKernel(d, generateGemmKernel({ idPrefix: 'im2col_gemm_f32', operands: im2colGemmParts(cfg), tile, format: gemmFormatFor(core, ctx.tuning) })), readWriteMode(ctx));
    const weights = core.createBufferFrom(storageData(d, packGroupedWeights(ctx.weightsOIHW, 'OIHW', g0)), GPUBufferUsage.STORAGE, `${kernel.id} weights`);
    const built = await core.pipeline(kernel);
    return singleKernelPrepared({
      algorithm: 'im2col', core, desc: d, built, weights, epi, externalWorkspace: ctx.workspace === 'external',
      dispatch(g) {
        const shape = im2colGemmShape(g);
        return { uniforms: pickUniforms(kernel.uniforms, im2colGemmUniforms(cfg, g, epi.params())), workgroups: gemmDispatch(tile, shape.m, shape.n, shape.batches) };
      },
      // GEMM rows are the chunk's output pixels: the y dispatch (rows / (tm·wgy)) must fit the per-dimension limit.
      maxBatch(outHeight, outWidth) {
        const rowsPerCall = core.limits.maxComputeWorkgroupsPerDimension * tile.tm * tile.wgy;
        return { batch: Math.floor(rowsPerCall / (outHeight * outWidth)), reason: `GEMM rows ${outHeight * outWidth} per image, ${rowsPerCall} per dispatch (maxComputeWorkgroupsPerDimension)` };
      },
    });
  },
};
