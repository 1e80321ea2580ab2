/**
 * A prepared convolution is a short list of dispatches. A step names its pipeline, its uniform values and its
 * buffers; the caller's input and output buffers are bound at encode time (an IoRef in the buffer map: the
 * whole buffer, or a byte range of it when a batch is split into chunks), with the last bind group kept for
 * the next call with the same buffers.
 */
import { packUniforms, uniformByteSize } from '../kernels/types.ts';
import { createKernelBindGroup, type BuiltPipeline } from '../runtime/pipeline.ts';
import type { EngineCore } from './engine-core.ts';

/** The caller's input or output buffer, whole or a byte range of it. */
export interface IoRef {
  io: 'input' | 'output';
  offset?: number;
  size?: number;
}

export const INPUT: IoRef = { io: 'input' };
export const OUTPUT: IoRef = { io: 'output' };

export interface Step {
  built: BuiltPipeline;
  /** Binding name → buffer, or an IoRef for the caller's buffers. */
  buffers: Record<string, GPUBuffer | IoRef>;
  uniforms: Record<string, number>;
  workgroups: [number, number, number];
}

interface LiveStep extends Step {
  uniformBuffer?: GPUBuffer;
  lastBind?: { input: GPUBuffer; output: GPUBuffer; group: GPUBindGroup };
}

/** Per-step timestamp destination for stage profiles. */
export interface PerStepTimestamps {
  querySet: GPUQuerySet;
  base: number;
}

/**
 * Owns the uniform buffers of its steps; `set` replaces the steps (after a resize). Buffers the current steps
 * were recorded with (uniforms, and workspaces the algorithm hands to `retire`) are not destroyed when a resize
 * replaces them after an encode(): the caller may not have submitted that work yet. They are kept until
 * `releaseRetired()` (the plan's next run(), which waits for the queue) or destroy().
 */
export class StepList {
  private steps: LiveStep[] = [];
  /** Whether the current steps have been recorded into an encoder since they were set. */
  private encoded = false;
  private retired: GPUBuffer[] = [];

  constructor(private readonly core: EngineCore) {}

  /** A buffer the current steps use, being replaced: destroyed now if never recorded, else kept until releaseRetired(). */
  retire(b: GPUBuffer | undefined): void {
    if (!b) return;
    if (this.encoded) this.retired.push(b);
    else b.destroy();
  }

  /** Destroys the retired buffers: call when every submit that may use them is done. */
  releaseRetired(): void {
    for (const b of this.retired) b.destroy();
    this.retired = [];
  }

  /** Bytes of retired buffers still held. */
  retiredBytes(): number {
    return this.retired.reduce((a, b) => a + b.size, 0);
  }

  set(steps: Step[]): void {
    for (const s of this.steps) this.retire(s.uniformBuffer);
    this.steps = [];
    this.encoded = false;
    const limit = this.core.limits.maxComputeWorkgroupsPerDimension;
    this.steps = steps.map((s) => {
      s.workgroups.forEach((n, i) => {
        if (n > limit) throw new Error(`${s.built.kernel.id}: ${n} workgroups in dimension ${'xyz'[i]} exceed maxComputeWorkgroupsPerDimension (${limit}); the algorithm must split this dispatch`);
      });
      const live: LiveStep = { ...s };
      if (s.built.kernel.uniforms.length) {
        const data = packUniforms(s.built.kernel.uniforms, s.uniforms);
        live.uniformBuffer = this.core.device.createBuffer({ label: `${s.built.kernel.id} params`, size: uniformByteSize(s.built.kernel.uniforms), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
        this.core.device.queue.writeBuffer(live.uniformBuffer, 0, data);
      }
      return live;
    });
  }

  get length(): number {
    return this.steps.length;
  }

  /** Kernel IDs of the steps, in dispatch order. */
  kernelIds(): string[] {
    return this.steps.map((s) => s.built.kernel.id);
  }

  /**
   * Records the steps in one compute pass, or, with `perStep`, each step in its own pass whose beginning and end
   * are written to timestamps perStep.base + 2i and + 2i + 1 (for stage profiles).
   */
  encode(encoder: GPUCommandEncoder, input: GPUBuffer, output: GPUBuffer, timestampWrites?: GPUComputePassTimestampWrites, perStep?: PerStepTimestamps): void {
    this.encoded = true;
    if (perStep) {
      this.steps.forEach((s, i) => {
        const pass = encoder.beginComputePass({ timestampWrites: { querySet: perStep.querySet, beginningOfPassWriteIndex: perStep.base + 2 * i, endOfPassWriteIndex: perStep.base + 2 * i + 1 } });
        this.record(pass, s, input, output);
        pass.end();
      });
      return;
    }
    const pass = encoder.beginComputePass({ timestampWrites });
    for (const s of this.steps) this.record(pass, s, input, output);
    pass.end();
  }

  private record(pass: GPUComputePassEncoder, s: LiveStep, input: GPUBuffer, output: GPUBuffer): void {
    if (!s.lastBind || s.lastBind.input !== input || s.lastBind.output !== output) {
      const buffers: Record<string, GPUBuffer | GPUBufferBinding> = {};
      for (const [name, b] of Object.entries(s.buffers)) {
        if (!('io' in b)) buffers[name] = b;
        else {
          const buffer = b.io === 'input' ? input : output;
          buffers[name] = b.offset === undefined && b.size === undefined ? buffer : { buffer, offset: b.offset ?? 0, size: b.size };
        }
      }
      if (s.uniformBuffer) buffers.params = s.uniformBuffer;
      s.lastBind = { input, output, group: createKernelBindGroup(this.core.device, s.built, buffers) };
    }
    pass.setPipeline(s.built.pipeline);
    pass.setBindGroup(0, s.lastBind.group);
    pass.dispatchWorkgroups(...s.workgroups);
  }

  destroy(): void {
    for (const s of this.steps) s.uniformBuffer?.destroy();
    this.steps = [];
    this.encoded = false;
    this.releaseRetired();
  }
}
