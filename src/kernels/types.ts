/**
 * What a kernel generator returns, and the binding/uniform contract between WGSL and the host.
 * Pure: no GPU objects, only descriptions of them.
 */

/** `uniform` → var<uniform>; `read-only-storage` → var<storage, read>; `storage` → var<storage, read_write>. */
export type BindingKind = 'uniform' | 'read-only-storage' | 'storage';

export interface BindingSpec {
  binding: number;
  /** The WGSL variable name. */
  name: string;
  kind: BindingKind;
}

export type ScalarType = 'u32' | 'i32' | 'f32';

/** One field of a uniform struct made only of 4-byte scalars, packed in order (offset = 4 · index). */
export interface UniformField {
  name: string;
  type: ScalarType;
}

export interface KernelSource {
  /** Kernel ID (DESIGN.md §3): pipeline-cache key, GPU object label, profiler row, snapshot name. */
  id: string;
  code: string;
  entryPoint: string;
  /** All bindings live in @group(0). */
  bindings: BindingSpec[];
  /** Layout of the struct bound at the binding of kind 'uniform' (if any). */
  uniforms: UniformField[];
  workgroupSize: [number, number, number];
  /** Values for WGSL `override` constants. */
  constants?: Record<string, number>;
}

/** Byte size of a uniform block: 4 bytes a field, rounded up to 16 as WGSL's uniform layout requires. */
export function uniformByteSize(fields: UniformField[]): number {
  return Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
}

/** Packs uniform values by field name; every field must be given, and no other. */
export function packUniforms(fields: UniformField[], values: Record<string, number>): ArrayBuffer {
  const buf = new ArrayBuffer(uniformByteSize(fields));
  const view = new DataView(buf);
  const known = new Set(fields.map((f) => f.name));
  for (const k of Object.keys(values)) {
    if (!known.has(k)) throw new Error(`uniforms.${k}: not a field of this kernel's uniform struct (fields: ${[...known].join(', ')})`);
  }
  fields.forEach((f, i) => {
    const v = values[f.name];
    if (v === undefined) {
      if (f.name.startsWith('_pad')) return;
      throw new Error(`uniforms.${f.name}: missing; every field of the uniform struct must be set`);
    }
    if (!Number.isFinite(v)) throw new Error(`uniforms.${f.name} = ${v}: must be a finite number`);
    if (f.type === 'f32') view.setFloat32(i * 4, v, true);
    else if (f.type === 'u32') {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`uniforms.${f.name} = ${v}: must be an integer in [0, 2^32)`);
      view.setUint32(i * 4, v, true);
    } else {
      if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new Error(`uniforms.${f.name} = ${v}: must be an integer in [-2^31, 2^31)`);
      view.setInt32(i * 4, v, true);
    }
  });
  return buf;
}
