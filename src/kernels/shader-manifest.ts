/**
 * Host-side contract of every hand-written shader in shaders/: its bindings and uniform layout.
 * A unit test reflects each WGSL file with wgsl_reflect and checks it declares exactly this.
 */
import { SHADER_FILES } from './shaders.gen.ts';
import type { BindingSpec, KernelSource, UniformField } from './types.ts';

export interface ShaderManifestEntry {
  file: string;
  entryPoint: string;
  bindings: BindingSpec[];
  uniformStruct: string;
  uniforms: UniformField[];
  /** Name of the override that sets the (1-D) workgroup size. */
  workgroupOverride: string;
}

const u = (name: string): UniformField => ({ name, type: 'u32' });

export const DIRECT_CONV_F32_NHWC: ShaderManifestEntry = {
  file: 'conv2d_direct_f32_nhwc.wgsl',
  entryPoint: 'main',
  bindings: [
    { binding: 0, name: 'params', kind: 'uniform' },
    { binding: 1, name: 'input', kind: 'read-only-storage' },
    { binding: 2, name: 'weights', kind: 'read-only-storage' },
    { binding: 3, name: 'bias', kind: 'read-only-storage' },
    { binding: 4, name: 'output', kind: 'storage' },
  ],
  uniformStruct: 'Params',
  uniforms: [
    ...['batch', 'in_h', 'in_w', 'in_c', 'out_h', 'out_w', 'out_c', 'groups'].map(u),
    ...['kernel_h', 'kernel_w', 'stride_h', 'stride_w', 'pad_top', 'pad_left', 'dilation_h', 'dilation_w'].map(u),
    ...['total', 'row_pitch', 'has_bias', 'activation'].map(u),
    { name: 'alpha', type: 'f32' },
    ...['_pad0', '_pad1', '_pad2'].map(u),
  ],
  workgroupOverride: 'WORKGROUP_SIZE',
};

export const SHADER_MANIFEST: ShaderManifestEntry[] = [DIRECT_CONV_F32_NHWC];

/** A hand-written shader as a KernelSource with the given workgroup size. */
export function shaderKernel(entry: ShaderManifestEntry, workgroupSize = 64): KernelSource {
  const code = SHADER_FILES[entry.file];
  if (code === undefined) throw new Error(`shader file ${entry.file} is not in shaders/ (run npm run gen:shaders)`);
  return {
    id: `${entry.file.replace(/\.wgsl$/, '')}_wg${workgroupSize}`,
    code,
    entryPoint: entry.entryPoint,
    bindings: entry.bindings,
    uniforms: entry.uniforms,
    workgroupSize: [workgroupSize, 1, 1],
    constants: { [entry.workgroupOverride]: workgroupSize },
  };
}
