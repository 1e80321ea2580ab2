/**
 * 'im2col': implicit im2col (no column buffer) through the shared GEMM body; groups are GEMM batches;
 * 1×1 stride-1 unpadded convolutions read input rows directly (a plain GEMM).
 */
import { outputSize } from '../../conv/types.ts';
import { generateGemmKernel, gemmDispatch } from '../../kernels/gemm.ts';
import { chooseGemmTile } from '../gemm-tile.ts';
import { im2colConfigFor, im2colGemmParts, im2colGemmShape, im2colGemmUniforms, pickUniforms } from '../../kernels/im2col.ts';
import { packGroupedWeights } from '../../kernels/weight-pack.ts';
import type { AlgorithmImpl, PreparedConv } from '../algorithm.ts';
import { EpilogueBuffers, geometryAt, representativeGeometry } from '../epilogue-buffers.ts';
import { INPUT, OUTPUT, StepList } from '../steps.ts';

export const im2colImpl: AlgorithmImpl = {
  name: 'im2col',
  cannotServe: () => undefined,
  async prepare(ctx): Promise<PreparedConv> {
    const { core, desc: d } = ctx;
    const epi = new EpilogueBuffers(core, d, ctx.bias, ctx.prelu);
    const g0 = representativeGeometry(d);
    const cfg = im2colConfigFor(g0, d.layout, epi.config);
    const tile = chooseGemmTile(core, d.outChannels / d.groups);
    const kernel = generateGemmKernel({ idPrefix: 'im2col_gemm_f32', operands: im2colGemmParts(cfg), tile });
    const weights = core.createBufferFrom(packGroupedWeights(ctx.weightsOIHW, 'OIHW', g0), GPUBufferUsage.STORAGE, `${kernel.id} weights`);
    const built = await core.pipeline(kernel);
    const steps = new StepList(core);
    return {
      algorithm: 'im2col',
      kernelIds: [kernel.id],
      resize(batch, height, width) {
        const g = geometryAt(d, batch, height, width);
        const { outHeight, outWidth } = outputSize(g);
        const shape = im2colGemmShape(g);
        const uniforms = pickUniforms(kernel.uniforms, im2colGemmUniforms(cfg, g, d.activation.alpha));
        const epiBytes = epi.resize(g);
        steps.set([{ built, buffers: { input: INPUT, output: OUTPUT, weights, ...epi.bindings() }, uniforms, workgroups: gemmDispatch(tile, shape.m, shape.n, shape.batches) }]);
        return { outHeight, outWidth, workspaceBytes: epiBytes, notes: [] };
      },
      encode: (enc, input, output, ts, perStep) => steps.encode(enc, input, output, ts, perStep),
      destroy() {
        steps.destroy();
        epi.destroy();
        weights.destroy();
      },
    };
  },
};
