/**
 * Checks, with wgsl_reflect, that WGSL declares exactly the bindings and uniform layout its host table says.
 * Used by unit tests for shaders/*.wgsl and for every generated kernel.
 */
// The package's "main" is a CommonJS file inside a "type": "module" package, so Node cannot load it; its ESM build can.
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import type { BindingSpec, KernelSource, UniformField } from './types.ts';

export interface ReflectedKernel {
  bindings: BindingSpec[];
  /** Members of the uniform struct with their byte offsets and WGSL type names. */
  uniformMembers: { name: string; offset: number; type: string }[];
  entryPoints: string[];
  overrides: string[];
}

export function reflectWgsl(code: string): ReflectedKernel {
  const r = new WgslReflect(code);
  const bindings: BindingSpec[] = [];
  for (const u of r.uniforms) {
    if (u.group !== 0) throw new Error(`uniform '${u.name}' is in @group(${u.group}); winoconv kernels use @group(0) only`);
    bindings.push({ binding: u.binding, name: u.name, kind: 'uniform' });
  }
  for (const s of r.storage) {
    if (s.group !== 0) throw new Error(`storage '${s.name}' is in @group(${s.group}); winoconv kernels use @group(0) only`);
    bindings.push({ binding: s.binding, name: s.name, kind: s.access === 'read_write' ? 'storage' : 'read-only-storage' });
  }
  bindings.sort((a, b) => a.binding - b.binding);
  const u0 = r.uniforms[0];
  const members = (u0?.type as { members?: { name: string; offset: number; type: { name: string } }[] } | undefined)?.members ?? [];
  return {
    bindings,
    uniformMembers: members.map((m) => ({ name: m.name, offset: m.offset, type: m.type.name })),
    entryPoints: r.entry.compute.map((e) => e.name),
    overrides: r.overrides.map((o) => o.name),
  };
}

/** Differences between what the WGSL declares and what the host expects; empty when they agree. */
export function contractMismatches(code: string, bindings: BindingSpec[], uniforms: UniformField[], entryPoint: string): string[] {
  const r = reflectWgsl(code);
  const out: string[] = [];
  const fmt = (b: BindingSpec) => `@binding(${b.binding}) ${b.name}: ${b.kind}`;
  const want = [...bindings].sort((a, b) => a.binding - b.binding).map(fmt);
  const got = r.bindings.map(fmt);
  if (want.join('|') !== got.join('|')) out.push(`bindings: host declares [${want.join(', ')}], WGSL declares [${got.join(', ')}]`);
  if (!r.entryPoints.includes(entryPoint)) out.push(`entry point '${entryPoint}' not found (WGSL has ${r.entryPoints.join(', ')})`);
  const hasUniform = bindings.some((b) => b.kind === 'uniform');
  if (hasUniform) {
    if (r.uniformMembers.length !== uniforms.length) out.push(`uniform struct: host packs ${uniforms.length} fields, WGSL has ${r.uniformMembers.length}`);
    uniforms.forEach((f, i) => {
      const m = r.uniformMembers[i];
      if (!m) return;
      if (m.name !== f.name || m.offset !== i * 4 || m.type !== f.type) {
        out.push(`uniform field ${i}: host packs ${f.name}: ${f.type} at offset ${i * 4}, WGSL has ${m.name}: ${m.type} at offset ${m.offset}`);
      }
    });
  }
  return out;
}

export function kernelContractMismatches(k: KernelSource): string[] {
  return contractMismatches(k.code, k.bindings, k.uniforms, k.entryPoint);
}
