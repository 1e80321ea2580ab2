/**
 * A float32 plan of one kernel reading the caller's input and writing the caller's output, plus its weights and
 * the shared epilogue buffers (direct, depthwise, im2col+GEMM). Batches that exceed a device limit are split into
 * chunks (engine/chunks.ts), one dispatch per chunk.
 */
import type { NormalizedDesc } from '../../conv/desc.ts';
import { type ConvGeometry } from '../../conv/types.ts';
import { outputSize } from '../../conv/geometry.ts';
import type { BuiltPipeline } from '../../runtime/pipeline.ts';
import type { ConcreteAlgorithm, PreparedConv } from '../algorithm.ts';
import { chunkIo, planChunks } from '../chunks.ts';
import type { EngineCore } from '../engine-core.ts';
import { geometryAt, type EpilogueBuffers } from '../epilogue-buffers.ts';
import { StepList } from '../steps.ts';

export interface SingleKernelPlan {
  algorithm: ConcreteAlgorithm;
  core: EngineCore;
  desc: NormalizedDesc;
  built: BuiltPipeline;
  weights: GPUBuffer;
  epi: EpilogueBuffers;
  /** Uniform values and workgroup counts for a chunk of `g.batch` images. */
  dispatch(g: ConvGeometry): { uniforms: Record<string, number>; workgroups: [number, number, number] };
  /** Option workspace 'external': workspaceBytes is then the caller's range, 0 (these kernels use no workspace). */
  externalWorkspace?: boolean;
  /** The largest batch one dispatch may take (its own limits), with the reason. */
  maxBatch?(outHeight: number, outWidth: number): { batch: number; reason: string };
}

export function singleKernelPrepared(p: SingleKernelPlan): PreparedConv {
  const { core, desc: d, built, weights, epi } = p;
  const steps = new StepList(core);
  return {
    algorithm: p.algorithm,
    kernelIds: [built.kernel.id],
    resize(batch, height, width) {
      const { outHeight, outWidth } = outputSize(geometryAt(d, 1, height, width));
      const per = { inBytes: height * width * d.inChannels * 4, outBytes: outHeight * outWidth * d.outChannels * 4 };
      const plan = planChunks(core, batch, per, p.maxBatch?.(outHeight, outWidth));
      const epiBytes = epi.resize(geometryAt(d, plan.chunks[0].count, height, width), plan.chunks.length > 1, (b) => steps.retire(b));
      steps.set(plan.chunks.map((c) => {
        const disp = p.dispatch(geometryAt(d, c.count, height, width));
        const io = chunkIo(c, per, plan.chunks.length > 1);
        return { built, buffers: { input: io.input, output: io.output, weights, ...epi.bindings(io.residual) }, uniforms: disp.uniforms, workgroups: disp.workgroups };
      }));
      return { outHeight, outWidth, workspaceBytes: p.externalWorkspace ? 0 : epiBytes, notes: plan.note ? [plan.note] : [] };
    },
    stepKernelIds: () => steps.kernelIds(),
    releaseRetired: () => steps.releaseRetired(),
    encode: (target, io, ts, perStep) => steps.encode(target, io, ts, perStep),
    ioNames: () => steps.ioNames(),
    destroy() {
      steps.destroy();
      epi.destroy();
      weights.destroy();
    },
  };
}
