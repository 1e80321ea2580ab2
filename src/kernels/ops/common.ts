/**
 * Shared pieces of the runtime's op kernels (src/kernels/ops/*): the 1-D thread mapping with its y-split, and the
 * WGSL that turns a linear index into coordinates of a shape held in uniforms. Pure: no GPU.
 *
 * Every op kernel addresses each operand through element strides in uniforms (i32, so Slice's negative steps work),
 * plus an element base offset; a shape of rank r is r u32 fields `<prefix>0..<prefix>{r-1}`.
 */
import type { PartBinding } from '../compose.ts';
import type { ScalarType, UniformField } from '../types.ts';

/** Invocations per workgroup of the 1-D op kernels. */
export const OP_WORKGROUP = 64;

/** The largest rank an op kernel is specialized for. */
export const MAX_OP_RANK = 6;

/** How an operand is bound: an arena value (read_write storage) or an uploaded constant (read-only storage). */
export type OperandKind = 'value' | 'constant';

export function operandBinding(name: string, kind: OperandKind, type = 'array<f32>'): PartBinding {
  return { name, kind: kind === 'value' ? 'storage' : 'read-only-storage', type };
}

/** 'v' or 'c' per operand, for kernel IDs. */
export function kindsId(kinds: readonly OperandKind[]): string {
  return kinds.map((k) => (k === 'value' ? 'v' : 'c')).join('');
}

export function fields(prefix: string, rank: number, type: ScalarType): UniformField[] {
  return Array.from({ length: rank }, (_, i) => ({ name: `${prefix}${i}`, type }));
}

/** Uniform values `<prefix>i = values[i]`. */
export function fieldValues(prefix: string, values: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  values.forEach((v, i) => (out[`${prefix}${i}`] = v));
  return out;
}

/** The uniforms of the linear mapping: element count and the x pitch of a y-split dispatch. */
export const LINEAR_UNIFORMS: UniformField[] = [
  { name: 'total', type: 'u32' },
  { name: 'pitch', type: 'u32' },
];

/** Entry point of a 1-D kernel: `i` is the linear work index (gid.x + gid.y · pitch), out-of-range threads return. */
export function linearMain(body: string, workgroup = OP_WORKGROUP): string {
  return `@compute @workgroup_size(${workgroup})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * params.pitch;
  if (i >= params.total) { return; }
${body}
}`;
}

/**
 * WGSL statements that split `index` (u32) into coordinates `<c>0..<c>{r-1}` (i32) of the shape in uniforms
 * `<shape>0..`, last dimension fastest.
 */
export function decompose(index: string, shape: string, c: string, rank: number, rem = `${c}_rem`): string {
  if (rank === 0) return '';
  const lines = [`  var ${rem} = ${index};`];
  for (let d = rank - 1; d >= 0; d--) {
    if (d === 0) lines.push(`  let ${c}${d} = i32(${rem});`);
    else lines.push(`  let ${c}${d} = i32(${rem} % params.${shape}${d});`, `  ${rem} = ${rem} / params.${shape}${d};`);
  }
  return lines.join('\n');
}

/** `base + Σ c_d · stride_d` as a WGSL i32 expression. */
export function offsetExpr(c: string, stride: string, rank: number, base?: string): string {
  const terms = Array.from({ length: rank }, (_, d) => `${c}${d} * params.${stride}${d}`);
  if (base) terms.unshift(base);
  return terms.length ? terms.join(' + ') : '0';
}

/** Workgroup counts of a 1-D kernel and the uniforms that go with them. */
export function linearWork(total: number, maxPerDim: number, workgroup = OP_WORKGROUP): { workgroups: [number, number, number]; uniforms: { total: number; pitch: number } } {
  const groups = Math.max(1, Math.ceil(total / workgroup));
  let x = groups;
  let y = 1;
  if (groups > maxPerDim) {
    y = Math.ceil(groups / maxPerDim);
    x = Math.ceil(groups / y);
    if (y > maxPerDim) throw new Error(`dispatch of ${total} invocations exceeds maxComputeWorkgroupsPerDimension² workgroups of ${workgroup}`);
  }
  return { workgroups: [x, y, 1], uniforms: { total, pitch: x * workgroup } };
}

export function checkRank(rank: number, what: string): void {
  if (!Number.isInteger(rank) || rank < 0 || rank > MAX_OP_RANK) throw new Error(`${what}: rank ${rank} is outside 0..${MAX_OP_RANK}`);
}
