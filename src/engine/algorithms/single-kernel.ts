/**
 * A float32 plan of one kernel reading the caller's input and writing the caller's output, plus its weights and
 * the shared epilogue buffers (direct, depthwise, im2col+GEMM), described for the engine's one orchestration
 * (../described.ts): batches that exceed a device limit are split into chunks there.
 */
import type { NormalizedDesc } from '../../conv/desc.ts';
import { type ConvGeometry } from '../../conv/types.ts';
import { outputSize } from '../../conv/geometry.ts';
import type { BuiltPipeline } from '../../runtime/pipeline.ts';
import type { ConcreteAlgorithm, PreparedConv } from '../algorithm.ts';
import { preparedFrom } from '../described.ts';
import type { EngineCore } from '../engine-core.ts';
import { geometryAt, type EpilogueBuffers } from '../epilogue-buffers.ts';
import { elementBytes } from '../float-storage.ts';

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
  const shape = (height: number, width: number) => {
    const { outHeight, outWidth } = outputSize(geometryAt(d, 1, height, width));
    const e = elementBytes(d);
    return { outHeight, outWidth, inBytes: height * width * d.inChannels * e, outBytes: outHeight * outWidth * d.outChannels * e };
  };
  return preparedFrom(core, d, {
    algorithm: p.algorithm,
    kernels: [built],
    constants: { weights },
    epilogue: epi,
    shape,
    maxBatch: p.maxBatch ? (h, w) => { const s = shape(h, w); return p.maxBatch!(s.outHeight, s.outWidth); } : undefined,
    steps: (n, h, w) => [p.dispatch(geometryAt(d, n, h, w))],
    workspaceMode: p.externalWorkspace ? 'external' : 'internal',
  });
}
