/**
 * A prepared convolution is a short list of dispatches. A step names its pipeline, its uniform values and its
 * buffers; the caller's input and output buffers are bound at encode time ('$input' / '$output' in the
 * buffer map), with the last bind group kept for the next call with the same buffers.
 */
import { packUniforms, uniformByteSize } from '../kernels/types.ts';
import { createKernelBindGroup, type BuiltPipeline } from '../runtime/pipeline.ts';
import type { EngineCore } from './engine-core.ts';

export const INPUT = '$input';
export const OUTPUT = '$output';

export interface Step {
  built: BuiltPipeline;
  /** Binding name → buffer, or INPUT / OUTPUT for the caller's buffers. */
  buffers: Record<string, GPUBuffer | typeof INPUT | typeof OUTPUT>;
  uniforms: Record<string, number>;
  workgroups: [number, number, number];
}

interface LiveStep extends Step {
  uniformBuffer?: GPUBuffer;
  lastBind?: { input: GPUBuffer; output: GPUBuffer; group: GPUBindGroup };
}

/** Owns the uniform buffers of its steps; `set` replaces the steps (after a resize). */
export class StepList {
  private steps: LiveStep[] = [];

  constructor(private readonly core: EngineCore) {}

  set(steps: Step[]): void {
    this.destroy();
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

  encode(encoder: GPUCommandEncoder, input: GPUBuffer, output: GPUBuffer, timestampWrites?: GPUComputePassTimestampWrites): void {
    const pass = encoder.beginComputePass({ timestampWrites });
    for (const s of this.steps) {
      if (!s.lastBind || s.lastBind.input !== input || s.lastBind.output !== output) {
        const buffers: Record<string, GPUBuffer> = {};
        for (const [name, b] of Object.entries(s.buffers)) buffers[name] = b === INPUT ? input : b === OUTPUT ? output : b;
        if (s.uniformBuffer) buffers.params = s.uniformBuffer;
        s.lastBind = { input, output, group: createKernelBindGroup(this.core.device, s.built, buffers) };
      }
      pass.setPipeline(s.built.pipeline);
      pass.setBindGroup(0, s.lastBind.group);
      pass.dispatchWorkgroups(...s.workgroups);
    }
    pass.end();
  }

  destroy(): void {
    for (const s of this.steps) s.uniformBuffer?.destroy();
    this.steps = [];
  }
}
