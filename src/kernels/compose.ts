/**
 * Composition of generated kernels from parts. A part is a piece of WGSL (functions) together with the
 * bindings and uniform fields it reads. `composeKernel` merges the parts' bindings (binding 0 is the
 * uniform struct `params` when any part has uniforms; storage bindings follow in first-use order), emits the
 * `struct Params` and the variable declarations, then the parts' code and the entry point.
 *
 * This is how the GEMM body is written once and combined with different operand readers (Winograd V/U,
 * implicit im2col, plain rows for 1×1) and output writers (Winograd M, epilogue into the caller's layout).
 */
import type { BindingKind, BindingSpec, KernelSource, UniformField } from './types.ts';

export interface PartBinding {
  /** WGSL variable name; parts that name the same binding share it (kinds and types must agree). */
  name: string;
  kind: Exclude<BindingKind, 'uniform'>;
  /** WGSL store type, e.g. 'array<f32>' or 'array<vec4<f32>>'. */
  type: string;
}

export interface WgslPart {
  /** Fragment for the kernel ID ('' when the part adds nothing to the ID). */
  idPart: string;
  bindings: PartBinding[];
  /** Fields of the shared uniform struct, read as `params.<name>`; identical fields are shared. */
  uniforms: UniformField[];
  /** WGSL module-scope code: functions, constants. */
  code: string;
}

export interface ComposeOptions {
  id: string;
  /** The opening comment: thread-to-data mapping, workgroup-memory tiles, barriers, dispatch formula. */
  header: string;
  parts: WgslPart[];
  /** Module-scope code of the kernel itself (workgroup vars, entry point). */
  main: string;
  entryPoint?: string;
  workgroupSize: [number, number, number];
  constants?: Record<string, number>;
}

export function mergeUniforms(parts: WgslPart[]): UniformField[] {
  const out: UniformField[] = [];
  for (const p of parts) {
    for (const f of p.uniforms) {
      const prev = out.find((x) => x.name === f.name);
      if (prev) {
        if (prev.type !== f.type) throw new Error(`uniform '${f.name}': parts disagree on its type (${prev.type} vs ${f.type})`);
        continue;
      }
      out.push(f);
    }
  }
  return out;
}

export function composeKernel(o: ComposeOptions): KernelSource {
  const uniforms = mergeUniforms(o.parts);
  const bindings: BindingSpec[] = [];
  const decls: string[] = [];
  if (uniforms.length) {
    bindings.push({ binding: 0, name: 'params', kind: 'uniform' });
    decls.push(`struct Params {\n${uniforms.map((f) => `  ${f.name}: ${f.type},`).join('\n')}\n}`);
    decls.push('@group(0) @binding(0) var<uniform> params: Params;');
  }
  const seen = new Map<string, PartBinding>();
  for (const p of o.parts) {
    for (const b of p.bindings) {
      const prev = seen.get(b.name);
      if (prev) {
        if (prev.kind !== b.kind || prev.type !== b.type) {
          throw new Error(`binding '${b.name}': parts disagree (${prev.kind} ${prev.type} vs ${b.kind} ${b.type})`);
        }
        continue;
      }
      seen.set(b.name, b);
      const index = bindings.length;
      bindings.push({ binding: index, name: b.name, kind: b.kind });
      const access = b.kind === 'storage' ? 'read_write' : 'read';
      decls.push(`@group(0) @binding(${index}) var<storage, ${access}> ${b.name}: ${b.type};`);
    }
  }
  const header = o.header
    .trim()
    .split('\n')
    .map((l) => `// ${l}`.trimEnd())
    .join('\n');
  const code = [`// ${o.id}`, header, '', ...decls, '', ...o.parts.map((p) => p.code.trim()).filter(Boolean), '', o.main.trim(), ''].join('\n');
  return {
    id: o.id,
    code,
    entryPoint: o.entryPoint ?? 'main',
    bindings,
    uniforms,
    workgroupSize: o.workgroupSize,
    constants: o.constants,
  };
}

/** A WGSL f32 literal that round-trips exactly (no exponent-less rounding surprises). */
export function f32Literal(v: number): string {
  const f = Math.fround(v);
  if (!Number.isFinite(f)) throw new Error(`f32Literal: ${v} is not a finite f32`);
  if (Number.isInteger(f) && Math.abs(f) < 1e21) return `${f}.0`;
  return `${f.toPrecision(9)}`.replace(/e\+?/, 'e');
}
