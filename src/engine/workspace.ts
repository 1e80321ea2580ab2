/**
 * A plan's workspaces (Winograd V and M, int8 Winograd stages' intermediates): either buffers the plan allocates
 * itself ('internal', one per region, grown when a resize needs more), or regions of ONE range the caller gives
 * at encode time as io.workspace ('external': the plan allocates nothing; each region starts at a multiple of
 * minStorageBufferOffsetAlignment, and the range's size, alignment padding included, is resize()'s
 * workspaceBytes).
 */
import type { EngineCore } from './engine-core.ts';
import type { IoRef } from './steps.ts';

export type WorkspaceMode = 'internal' | 'external';

export interface WorkspaceRegion {
  name: string;
  bytes: number;
  /** GPU object label of an internal buffer. */
  label: string;
}

/** Offsets of regions packed into one range: each aligned, each at least 16 bytes and a multiple of 4. */
export function workspaceLayout(regions: { name: string; bytes: number }[], align: number): { offsets: Record<string, number>; sizes: Record<string, number>; bytes: number } {
  const offsets: Record<string, number> = {};
  const sizes: Record<string, number> = {};
  let end = 0;
  for (const r of regions) {
    const at = Math.ceil(end / align) * align;
    const size = Math.max(16, Math.ceil(r.bytes / 4) * 4);
    offsets[r.name] = at;
    sizes[r.name] = size;
    end = at + size;
  }
  return { offsets, sizes, bytes: end };
}

export class Workspace {
  private buffers: Record<string, GPUBuffer> = {};

  constructor(
    private readonly core: EngineCore,
    readonly mode: WorkspaceMode,
  ) {}

  /**
   * The binding of each region at this size; `retire` lets go of an internal buffer being replaced (StepList.retire
   * keeps those that recorded work may still use). `bytes`: the internal buffers' total, or the external range's size.
   */
  layout(regions: WorkspaceRegion[], retire: (b: GPUBuffer | undefined) => void): { refs: Record<string, GPUBuffer | IoRef>; bytes: number } {
    const refs: Record<string, GPUBuffer | IoRef> = {};
    if (this.mode === 'external') {
      const l = workspaceLayout(regions, this.core.device.limits.minStorageBufferOffsetAlignment);
      for (const r of regions) refs[r.name] = { io: 'workspace', offset: l.offsets[r.name], size: l.sizes[r.name] };
      return { refs, bytes: l.bytes };
    }
    for (const r of regions) {
      const size = Math.max(16, Math.ceil(r.bytes / 4) * 4);
      const have = this.buffers[r.name];
      if (!have || have.size < size) {
        retire(have);
        this.buffers[r.name] = this.core.device.createBuffer({ label: r.label, size, usage: GPUBufferUsage.STORAGE });
      }
      refs[r.name] = this.buffers[r.name];
    }
    return { refs, bytes: regions.reduce((a, r) => a + this.buffers[r.name].size, 0) };
  }

  destroy(): void {
    for (const b of Object.values(this.buffers)) b.destroy();
    this.buffers = {};
  }
}
