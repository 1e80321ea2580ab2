/**
 * Pipelines with explicit bind-group layouts built from a kernel's binding table (never layout: 'auto').
 */
import type { BindingSpec, KernelSource } from '../kernels/types.ts';

function bufferType(kind: BindingSpec['kind']): GPUBufferBindingType {
  return kind === 'uniform' ? 'uniform' : kind === 'storage' ? 'storage' : 'read-only-storage';
}

export function createBindGroupLayout(device: GPUDevice, bindings: BindingSpec[], label?: string): GPUBindGroupLayout {
  return device.createBindGroupLayout({
    label,
    entries: bindings.map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: bufferType(b.kind) } })),
  });
}

export interface BuiltPipeline {
  kernel: KernelSource;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

export function createKernelPipeline(device: GPUDevice, kernel: KernelSource): BuiltPipeline {
  const layout = createBindGroupLayout(device, kernel.bindings, kernel.id);
  const module = device.createShaderModule({ label: kernel.id, code: kernel.code });
  const pipeline = device.createComputePipeline({
    label: kernel.id,
    layout: device.createPipelineLayout({ label: kernel.id, bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: kernel.entryPoint, constants: kernel.constants },
  });
  return { kernel, pipeline, layout };
}

/**
 * The same pipeline compiled with createComputePipelineAsync: the compilation does not block the thread, so
 * several (the pipelines of many plans created together) proceed in parallel.
 */
export async function createKernelPipelineAsync(device: GPUDevice, kernel: KernelSource): Promise<BuiltPipeline> {
  const layout = createBindGroupLayout(device, kernel.bindings, kernel.id);
  const module = device.createShaderModule({ label: kernel.id, code: kernel.code });
  const pipeline = await device.createComputePipelineAsync({
    label: kernel.id,
    layout: device.createPipelineLayout({ label: kernel.id, bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: kernel.entryPoint, constants: kernel.constants },
  });
  return { kernel, pipeline, layout };
}

/** Binds buffers by binding name; every binding of the table must be given. */
export function createKernelBindGroup(device: GPUDevice, built: BuiltPipeline, buffers: Record<string, GPUBuffer | GPUBufferBinding>): GPUBindGroup {
  const entries: GPUBindGroupEntry[] = built.kernel.bindings.map((b) => {
    const res = buffers[b.name];
    if (!res) throw new Error(`bind group for ${built.kernel.id}: binding '${b.name}' (@binding(${b.binding})) was not given a buffer`);
    return { binding: b.binding, resource: 'buffer' in res ? res : { buffer: res } };
  });
  return device.createBindGroup({ label: built.kernel.id, layout: built.layout, entries });
}

/**
 * Workgroup counts for `total` invocations in 1-D, split over y when x would exceed the device limit.
 * Returns the x pitch (invocations per y row) that the kernel uses to rebuild the linear index.
 */
export function linearDispatch(total: number, workgroupSize: number, maxPerDim: number): { x: number; y: number; rowPitch: number } {
  const groups = Math.max(1, Math.ceil(total / workgroupSize));
  if (groups <= maxPerDim) return { x: groups, y: 1, rowPitch: groups * workgroupSize };
  const y = Math.ceil(groups / maxPerDim);
  const x = Math.ceil(groups / y);
  if (y > maxPerDim) throw new Error(`dispatch of ${total} invocations exceeds maxComputeWorkgroupsPerDimension² (${maxPerDim}²) workgroups of ${workgroupSize}`);
  return { x, y, rowPitch: x * workgroupSize };
}
