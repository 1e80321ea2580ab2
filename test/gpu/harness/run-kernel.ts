/**
 * Runs one generated kernel inside a GPU case: checks its WGSL against its binding/uniform contract
 * (wgsl_reflect), packs its uniforms, binds buffers by name and dispatches.
 */
import { kernelContractMismatches } from '../../../src/kernels/reflect.ts';
import { packUniforms, type KernelSource } from '../../../src/kernels/types.ts';
import { createKernelBindGroup, createKernelPipeline } from '../../../src/runtime/pipeline.ts';
import type { GpuTestContext } from './types.ts';

export interface KernelRun {
  kernel: KernelSource;
  /** Storage buffers by binding name (the uniform buffer is made from `uniforms`). */
  buffers: Record<string, GPUBuffer>;
  uniforms?: Record<string, number>;
  dispatch: [number, number?, number?];
}

export async function runKernel(t: GpuTestContext, run: KernelRun): Promise<void> {
  const problems = kernelContractMismatches(run.kernel);
  if (problems.length) throw new Error(`${run.kernel.id}: WGSL does not match its contract:\n${problems.join('\n')}`);
  const built = createKernelPipeline(t.device, run.kernel);
  const buffers: Record<string, GPUBuffer> = { ...run.buffers };
  if (run.kernel.bindings.some((b) => b.kind === 'uniform')) {
    buffers.params = t.upload(new Uint32Array(packUniforms(run.kernel.uniforms, run.uniforms ?? {})), GPUBufferUsage.UNIFORM);
  }
  const bind = createKernelBindGroup(t.device, built, buffers);
  const enc = t.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(built.pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(run.dispatch[0], run.dispatch[1] ?? 1, run.dispatch[2] ?? 1);
  pass.end();
  t.device.queue.submit([enc.finish()]);
  await t.device.queue.onSubmittedWorkDone();
}
