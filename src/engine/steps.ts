/**
 * A prepared convolution is a short list of dispatches. A step names its pipeline, its uniform values and its
 * buffers; the caller's buffers (input, output, and where the plan takes them, workspace and residual) are
 * bound at encode time: an IoRef in the buffer map names one of them, whole or a byte range inside the caller's
 * range (a chunk of a split batch, a region of an external workspace). Each step keeps a few bind groups, keyed
 * by the buffers and byte ranges they were made for, so that a plan encoded with alternating arena ranges does
 * not rebuild them.
 */
import { packUniforms, uniformByteSize } from '../kernels/types.ts';
import { createKernelBindGroup, type BuiltPipeline } from '../runtime/pipeline.ts';
import type { EngineCore } from './engine-core.ts';

/** The caller's buffers a plan binds at encode time. */
export type IoName = 'input' | 'output' | 'workspace' | 'residual';

/** One of the caller's buffers, whole or a byte range inside the caller's range of it. */
export interface IoRef {
  io: IoName;
  offset?: number;
  size?: number;
}

export const INPUT: IoRef = { io: 'input' };
export const OUTPUT: IoRef = { io: 'output' };
export const RESIDUAL: IoRef = { io: 'residual' };

/** A caller's range: `size` undefined means to the end of the buffer. */
export interface IoRange {
  buffer: GPUBuffer;
  offset: number;
  size?: number;
}

/** The caller's ranges for one encode; input and output always, workspace and residual where the plan takes them. */
export type IoRanges = { input: IoRange; output: IoRange } & Partial<Record<'workspace' | 'residual', IoRange>>;

/** Whole buffers as ranges. */
export function wholeBuffers(io: { input: GPUBuffer; output: GPUBuffer; workspace?: GPUBuffer; residual?: GPUBuffer }): IoRanges {
  const r: IoRanges = { input: { buffer: io.input, offset: 0 }, output: { buffer: io.output, offset: 0 } };
  if (io.workspace) r.workspace = { buffer: io.workspace, offset: 0 };
  if (io.residual) r.residual = { buffer: io.residual, offset: 0 };
  return r;
}

/** A temporary workspace buffer for plans with an external workspace (run(), verification, timing). */
export function scratchWorkspace(device: GPUDevice, bytes: number): GPUBuffer {
  return device.createBuffer({ label: 'winoconv scratch workspace', size: Math.max(16, Math.ceil(bytes / 4) * 4), usage: GPUBufferUsage.STORAGE });
}

/**
 * Io ranges for the engine's own encodes (verification, timing): the given buffers, a scratch workspace when the
 * plan takes an external one, and a zero residual of the output's size when the plan takes one and none is given
 * (`names` from PreparedConv.ioNames()). `release` destroys what was made here.
 */
export function scratchIo(device: GPUDevice, names: IoName[], bufs: { input: GPUBuffer; output: GPUBuffer; residual?: GPUBuffer }, workspaceBytes: number): { io: IoRanges; release(): void } {
  const workspace = names.includes('workspace') ? scratchWorkspace(device, workspaceBytes) : undefined;
  const made = names.includes('residual') && !bufs.residual ? device.createBuffer({ label: 'winoconv scratch residual', size: bufs.output.size, usage: GPUBufferUsage.STORAGE }) : undefined;
  const residual = names.includes('residual') ? bufs.residual ?? made : undefined;
  return {
    io: wholeBuffers({ input: bufs.input, output: bufs.output, workspace, residual }),
    release: () => {
      workspace?.destroy();
      made?.destroy();
    },
  };
}

/** Bind groups each step keeps (the least recently used is dropped first). */
export const BIND_GROUP_CACHE_SIZE = 8;

export interface Step {
  built: BuiltPipeline;
  /** Binding name → buffer, or an IoRef for the caller's buffers. */
  buffers: Record<string, GPUBuffer | IoRef>;
  uniforms: Record<string, number>;
  workgroups: [number, number, number];
}

interface LiveStep extends Step {
  uniformBuffer?: GPUBuffer;
  /** Bind groups by the io ranges they bind (ioKey), least recently used first. */
  groups: Map<string, GPUBindGroup>;
  /** The io names this step binds. */
  uses: IoName[];
}

const bufferIds = new WeakMap<GPUBuffer, number>();
let nextBufferId = 1;
function bufferId(b: GPUBuffer): number {
  let id = bufferIds.get(b);
  if (id === undefined) {
    id = nextBufferId++;
    bufferIds.set(b, id);
  }
  return id;
}

function isPassEncoder(t: GPUCommandEncoder | GPUComputePassEncoder): t is GPUComputePassEncoder {
  return typeof (t as GPUComputePassEncoder).dispatchWorkgroups === 'function';
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
      const uses = [...new Set(Object.values(s.buffers).flatMap((b) => ('io' in b ? [b.io] : [])))];
      const live: LiveStep = { ...s, groups: new Map(), uses };
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

  /** The io names the steps bind (input and output always; workspace and residual where a step uses them). */
  ioNames(): IoName[] {
    return [...new Set(this.steps.flatMap((s) => s.uses))];
  }

  /**
   * Records the steps into the caller's compute pass, or, given a command encoder, in one compute pass of their
   * own; with `perStep`, each step in its own pass whose beginning and end are written to timestamps
   * perStep.base + 2i and + 2i + 1 (for stage profiles). Dispatches in one pass are separate usage scopes, so the
   * stages' dependencies through the workspace hold either way.
   */
  encode(target: GPUCommandEncoder | GPUComputePassEncoder, io: IoRanges, timestampWrites?: GPUComputePassTimestampWrites, perStep?: PerStepTimestamps): void {
    this.encoded = true;
    if (isPassEncoder(target)) {
      if (timestampWrites || perStep) throw new Error('timestamps need a GPUCommandEncoder (the plan opens its own pass)');
      for (const s of this.steps) this.record(target, s, io);
      return;
    }
    if (perStep) {
      this.steps.forEach((s, i) => {
        const pass = target.beginComputePass({ timestampWrites: { querySet: perStep.querySet, beginningOfPassWriteIndex: perStep.base + 2 * i, endOfPassWriteIndex: perStep.base + 2 * i + 1 } });
        this.record(pass, s, io);
        pass.end();
      });
      return;
    }
    const pass = target.beginComputePass({ timestampWrites });
    for (const s of this.steps) this.record(pass, s, io);
    pass.end();
  }

  private bindGroup(s: LiveStep, io: IoRanges): GPUBindGroup {
    const key = s.uses.map((name) => {
      const r = io[name];
      return r ? `${bufferId(r.buffer)}:${r.offset}:${r.size ?? '-'}` : '?';
    }).join('|');
    const hit = s.groups.get(key);
    if (hit) {
      s.groups.delete(key);
      s.groups.set(key, hit);
      return hit;
    }
    const buffers: Record<string, GPUBuffer | GPUBufferBinding> = {};
    for (const [name, b] of Object.entries(s.buffers)) {
      if (!('io' in b)) {
        buffers[name] = b;
        continue;
      }
      const r = io[b.io];
      if (!r) throw new Error(`${s.built.kernel.id}: binding '${name}' needs the caller's ${b.io} buffer (io.${b.io})`);
      const offset = r.offset + (b.offset ?? 0);
      const size = b.size ?? (r.size === undefined ? undefined : r.size - (b.offset ?? 0));
      buffers[name] = offset === 0 && size === undefined ? r.buffer : { buffer: r.buffer, offset, size };
    }
    if (s.uniformBuffer) buffers.params = s.uniformBuffer;
    const group = createKernelBindGroup(this.core.device, s.built, buffers);
    s.groups.set(key, group);
    if (s.groups.size > BIND_GROUP_CACHE_SIZE) s.groups.delete(s.groups.keys().next().value!);
    return group;
  }

  private record(pass: GPUComputePassEncoder, s: LiveStep, io: IoRanges): void {
    pass.setPipeline(s.built.pipeline);
    pass.setBindGroup(0, this.bindGroup(s, io));
    pass.dispatchWorkgroups(...s.workgroups);
  }

  destroy(): void {
    for (const s of this.steps) s.uniformBuffer?.destroy();
    this.steps = [];
    this.encoded = false;
    this.releaseRetired();
  }
}
