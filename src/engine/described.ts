/**
 * The one way a plan is made from an algorithm (issue 14, point 2). Every algorithm, for every dtype, is a pure
 * description: its compiled kernels, its constants (weights transformed and packed once, at creation, uploaded
 * once), the bytes an image takes in the caller's input and output, its workspace for a chunk of n images, and
 * its steps for a chunk (uniforms and dispatch sizes of each kernel). The engine orchestrates the rest here, the
 * same for fp32, int8 and int8 Winograd:
 * - batches over a device limit (a binding over maxStorageBufferBindingSize, a dispatch over
 *   maxComputeWorkgroupsPerDimension) are split into chunks (./chunks.ts), each bound to its byte range;
 * - buffers are bound by binding name: `input` / `output` (the caller's, or the chunk's range), the epilogue's
 *   (bias, PReLU slopes, residual), the constants, and the workspace regions;
 * - workspaces are internal buffers or regions of the caller's range (./workspace.ts);
 * - resize never re-packs or re-uploads weights; buffers replaced at a resize are retired (./steps.ts).
 */
import type { BuiltPipeline } from '../runtime/pipeline.ts';
import type { ConcreteAlgorithm, PreparedConv } from './algorithm.ts';
import { chunkIo, planChunks } from './chunks.ts';
import type { EngineCore } from './engine-core.ts';
import { geometryAt, type EpilogueBuffers } from './epilogue-buffers.ts';
import type { NormalizedDesc } from '../conv/desc.ts';
import { StepList, type IoRef, type Step } from './steps.ts';
import { Workspace, type WorkspaceMode, type WorkspaceRegion } from './workspace.ts';

/** One kernel's call for a chunk: its uniform values and workgroup counts. */
export interface DescribedCall {
  uniforms: Record<string, number>;
  workgroups: [number, number, number];
}

export interface AlgorithmDescription {
  algorithm: ConcreteAlgorithm;
  /** The compiled kernels, in dispatch order; a chunk runs each once. */
  kernels: BuiltPipeline[];
  /** Buffers made once at creation (packed weights, transformed filters, channel parameters), bound by name. */
  constants: Record<string, GPUBuffer>;
  /** The float epilogue's buffers (bias, PReLU slopes, residual), rebuilt for a chunk's output shape. */
  epilogue?: EpilogueBuffers;
  /** Tap-wise int8 plans: the tap scales in use (TapScalesJSON). */
  tapScales?: unknown;
  /**
   * The output size and the bytes one image takes in the caller's input and output at this size (exact, not
   * rounded: int8 NCHW tensors pack images back to back); a chunk's range is rounded up to whole words.
   */
  shape(height: number, width: number): { outHeight: number; outWidth: number; inBytes: number; outBytes: number };
  /**
   * The largest batch one chunk may take by the algorithm's own limits (workspace bindings, dispatch sizes), with
   * the reason; `batch` is the call's (limits need not be searched past it).
   */
  maxBatch?(height: number, width: number, batch: number): { batch: number; reason: string } | undefined;
  /** The workspace regions a chunk of n images needs (none when absent). */
  workspace?(n: number, height: number, width: number): WorkspaceRegion[];
  /** Binding names served by another name's buffer (e.g. the plain GEMM's gemm_a is the Winograd workspace wino_v). */
  aliases?: Record<string, string>;
  /** Each kernel's call for a chunk of n images, in the order of `kernels`. */
  steps(n: number, height: number, width: number): DescribedCall[];
  /** Lines for plan.info at this size (the chunk size n). */
  notes?(n: number, height: number, width: number): string[];
  workspaceMode: WorkspaceMode;
}

const words = (bytes: number) => Math.ceil(bytes / 4) * 4;

/**
 * The largest n in [1, hi] for which `fits(n)` holds (fits is monotone: true up to some n), or 0. For limits
 * that are not a closed formula of n (dispatch sizes after tiling), found by bisection.
 */
export function largestFitting(hi: number, fits: (n: number) => boolean): number {
  if (fits(hi)) return hi;
  let lo = 0;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * An algorithm limit found by trying: the largest n ≤ batch for which `attempt(n)` returns no reason (attempt
 * returns why n images do not fit, e.g. a dispatch over maxComputeWorkgroupsPerDimension), with the reason of
 * the first n that does not fit. Undefined when the whole batch fits.
 */
export function triedLimit(batch: number, attempt: (n: number) => string | undefined): { batch: number; reason: string } | undefined {
  if (!attempt(batch)) return undefined;
  const n = largestFitting(batch, (k) => !attempt(k));
  return { batch: n, reason: attempt(n + 1)! };
}

/** Why `f` throws, or undefined. */
export function thrownReason(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** The PreparedConv of a description: the engine's orchestration, the same for every algorithm and dtype. */
export function preparedFrom(core: EngineCore, d: NormalizedDesc, a: AlgorithmDescription): PreparedConv {
  const steps = new StepList(core);
  const ws = new Workspace(core, a.workspaceMode);
  const constantBytes = Object.values(a.constants).reduce((s, b) => s + b.size, 0);
  return {
    algorithm: a.algorithm,
    kernelIds: a.kernels.map((k) => k.kernel.id),
    tapScales: a.tapScales,
    resize(batch, height, width) {
      const s = a.shape(height, width);
      const per = { inBytes: s.inBytes, outBytes: s.outBytes };
      const plan = planChunks(core, batch, per, a.maxBatch?.(height, width, batch));
      const split = plan.chunks.length > 1;
      const nMax = plan.chunks[0].count;
      const space = ws.layout(a.workspace?.(nMax, height, width) ?? [], (b) => steps.retire(b));
      const epiBytes = a.epilogue?.resize(geometryAt(d, nMax, height, width), split, (b) => steps.retire(b)) ?? 0;
      steps.set(
        plan.chunks.flatMap((c): Step[] => {
          const io = chunkIo(c, per, split);
          if (split) {
            io.input.size = words(io.input.size!);
            io.output.size = words(io.output.size!);
            io.residual.size = io.output.size;
          }
          const named: Record<string, GPUBuffer | IoRef> = { ...a.constants, ...space.refs, ...(a.epilogue?.bindings(io.residual) ?? {}), input: io.input, output: io.output };
          const calls = a.steps(c.count, height, width);
          if (calls.length !== a.kernels.length) throw new Error(`${a.algorithm}: ${calls.length} calls for ${a.kernels.length} kernels`);
          return calls.map((call, i) => {
            const built = a.kernels[i];
            const buffers: Step['buffers'] = {};
            for (const b of built.kernel.bindings) {
              if (b.kind === 'uniform') continue;
              const buf = named[a.aliases?.[b.name] ?? b.name];
              if (!buf) throw new Error(`${built.kernel.id}: no buffer for binding '${b.name}'`);
              buffers[b.name] = buf;
            }
            return { built, buffers, uniforms: call.uniforms, workgroups: call.workgroups };
          });
        }),
      );
      const notes = [...(a.notes?.(nMax, height, width) ?? [])];
      if (plan.note) notes.push(plan.note);
      return {
        outHeight: s.outHeight,
        outWidth: s.outWidth,
        // External: the one range the caller gives; internal: all the plan holds (workspace, constants, epilogue).
        workspaceBytes: a.workspaceMode === 'external' ? space.bytes : space.bytes + constantBytes + epiBytes,
        notes,
        constantBytes: constantBytes + epiBytes,
        scratchBytes: space.bytes,
        inputBytes: words(batch * s.inBytes),
        outputBytes: words(batch * s.outBytes),
      };
    },
    stepKernelIds: () => steps.kernelIds(),
    releaseRetired: () => steps.releaseRetired(),
    encode: (target, io, ts, perStep) => steps.encode(target, io, ts, perStep),
    ioNames: () => steps.ioNames(),
    destroy() {
      steps.destroy();
      a.epilogue?.destroy();
      for (const b of Object.values(a.constants)) b.destroy();
      ws.destroy();
    },
  };
}
