/**
 * float16 storage as a setting of every float kernel (issue 14, point 4): the same generated kernel, with its
 * activation, weight and Winograd-domain bindings stored as binary16, two per u32 word (pack2x16float /
 * unpack2x16float: core WGSL, no device feature, so it runs on every adapter), and f32 arithmetic. A pure
 * function of the fp32 kernel, like the read_write variants (./read-write-variant.ts):
 * - a binding declared `array<vec4<f32>>` becomes `array<vec2<u32>>` (4 halves);
 * - `array<f32>` becomes `array<u32>` read through `name_ld(i)` (half i of word i/2); when the kernel stores
 *   single elements into it, `array<atomic<u32>>`: two invocations may own the two halves of one word, so a
 *   store clears its half with atomicAnd and sets it with atomicOr (each touches only its own 16 bits, so any
 *   interleaving is correct);
 * - every `name[i]` load becomes `name_ld(u32(i))` and every `name[i] = v;` store `name_st(u32(i), v);` (i32 indices
 *   convert; values are
 *   rounded to nearest even by pack2x16float).
 * Indices stay element (or vec4) indices, so uniforms, dispatch sizes and the host's index math are unchanged;
 * buffers take half the bytes (rounded up to whole words). The kernel ID's dtype token `f32` becomes `f16`.
 */
import type { KernelSource } from './types.ts';

/** The float kernels' bindings that hold activations, weights and Winograd-domain operands (f16 in a float16 plan). */
export const F16_BINDING_NAMES = ['input', 'output', 'epi_residual', 'weights', 'wino_v', 'wino_u', 'wino_m', 'gemm_a', 'gemm_b', 'gemm_c'] as const;

/** Bytes of `count` float values in a kernel binding of this storage dtype (float16: halves, whole words). */
export function floatStorageBytes(dtype: 'float32' | 'float16', count: number): number {
  return dtype === 'float16' ? 4 * Math.ceil(count / 2) : 4 * count;
}

/** Index of the `]` matching the `[` at `open`. */
function closing(code: string, open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === '[') depth++;
    else if (code[i] === ']' && --depth === 0) return i;
  }
  throw new Error(`unbalanced '[' at ${open}`);
}

/** Rewrites `name[i]` loads to `name_ld(i)` and `name[i] = v;` stores to `name_st(i, v);`; counts each. */
function rewrite(code: string, name: string): { code: string; loads: number; stores: number } {
  // Matching runs on a copy with the comments blanked out (same offsets), so text in comments is left alone.
  const masked = code.replace(/\/\/[^\n]*/g, (m) => ' '.repeat(m.length));
  const re = new RegExp(`(?<![\\w.])${name}\\[`, 'g');
  let out = '';
  let at = 0;
  let loads = 0;
  let stores = 0;
  for (let m = re.exec(masked); m; m = re.exec(masked)) {
    const open = m.index + name.length;
    const close = closing(masked, open);
    const index = code.slice(open + 1, close);
    const after = masked.slice(close + 1);
    const store = /^\s*=(?!=)/.exec(after);
    out += code.slice(at, m.index);
    if (store) {
      const end = masked.indexOf(';', close + 1 + store[0].length);
      const value = code.slice(close + 1 + store[0].length, end).trim();
      out += `${name}_st(u32(${index}), ${value});`;
      at = end + 1;
      stores++;
    } else {
      if (/^\s*[-+*/%&|^]=/.test(after)) throw new Error(`compound assignment to ${name}[…] is not rewritten for f16 storage`);
      out += `${name}_ld(u32(${index}))`;
      at = close + 1;
      loads++;
    }
    re.lastIndex = at;
  }
  return { code: out + code.slice(at), loads, stores };
}

function accessors(name: string, vec4: boolean, atomic: boolean, loads: number, stores: number): string {
  const L: string[] = [];
  if (vec4) {
    if (loads) L.push(`fn ${name}_ld(i: u32) -> vec4<f32> {`, `  let w = ${name}[i];`, '  return vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y));', '}');
    if (stores) L.push(`fn ${name}_st(i: u32, v: vec4<f32>) {`, `  ${name}[i] = vec2<u32>(pack2x16float(v.xy), pack2x16float(v.zw));`, '}');
    return L.join('\n');
  }
  if (loads) L.push(`fn ${name}_ld(i: u32) -> f32 {`, `  return unpack2x16float(${atomic ? `atomicLoad(&${name}[i >> 1u])` : `${name}[i >> 1u]`})[i & 1u];`, '}');
  if (stores) {
    L.push(
      `fn ${name}_st(i: u32, v: f32) {`,
      '  let sh = (i & 1u) * 16u;',
      `  atomicAnd(&${name}[i >> 1u], ~(0xffffu << sh));`,
      `  atomicOr(&${name}[i >> 1u], (pack2x16float(vec2<f32>(v, 0.0)) & 0xffffu) << sh);`,
      '}',
    );
  }
  return L.join('\n');
}

/**
 * The float16-storage variant of a float32 kernel: the bindings of `names` it declares as `array<f32>` or
 * `array<vec4<f32>>` are stored as halves (see the module comment); others are left as they are. Throws when the
 * kernel has no `f32` token in its ID or a binding is used in a way the rewrite does not cover. `idSuffix`: name the
 * half bindings at the end of the ID instead (op kernels, whose IDs carry no dtype token).
 */
export function f16StorageVariant(kernel: KernelSource, names: readonly string[] = F16_BINDING_NAMES, opts: { idSuffix?: boolean } = {}): KernelSource {
  let id: string;
  if (opts.idSuffix) {
    // Op kernels (the runtime's): which bindings hold halves depends on the node (a constant operand stays f32),
    // so the ID names them.
    id = `${kernel.id}_f16_${[...names].sort().join('_')}`;
  } else {
    const idParts = kernel.id.split('_');
    const at = idParts.indexOf('f32');
    if (at < 0) throw new Error(`${kernel.id}: no 'f32' dtype token in the kernel ID (f16 storage applies to float kernels)`);
    idParts[at] = 'f16';
    id = idParts.join('_');
  }
  if (!kernel.code.startsWith(`// ${kernel.id}\n`)) throw new Error(`${kernel.id}: the kernel does not open with its ID comment`);
  let code = `// ${id}\n${kernel.code.slice(kernel.id.length + 4)}`;
  const helpers: string[] = [];
  for (const b of kernel.bindings) {
    if (!names.includes(b.name) || b.kind === 'uniform') continue;
    const decl = new RegExp(`(@group\\(0\\) @binding\\(${b.binding}\\) var<storage, (?:read|read_write)> ${b.name}: )array<(f32|vec4<f32>)>;`);
    const m = decl.exec(code);
    if (!m) {
      if (opts.idSuffix) throw new Error(`${kernel.id}: binding '${b.name}' holds a float value but is not declared array<f32> or array<vec4<f32>>: no f16 storage variant`);
      continue;
    }
    const vec4 = m[2] === 'vec4<f32>';
    const declAt = m.index;
    const declEnd = declAt + m[0].length;
    const body = rewrite(code.slice(declEnd), b.name);
    const atomic = !vec4 && body.stores > 0;
    if (atomic && b.kind !== 'storage') throw new Error(`${kernel.id}: binding '${b.name}' is stored to but not read_write`);
    const type = vec4 ? 'array<vec2<u32>>' : atomic ? 'array<atomic<u32>>' : 'array<u32>';
    code = code.slice(0, declAt) + m[1] + `${type};` + body.code;
    helpers.push(accessors(b.name, vec4, atomic, body.loads, body.stores));
  }
  // The accessors go after the declarations (before the first function or struct that follows them).
  const lines = code.split('\n');
  let last = -1;
  lines.forEach((l, i) => {
    if (l.startsWith('@group(0) @binding(')) last = i;
  });
  lines.splice(last + 1, 0, '', ...helpers.filter(Boolean).join('\n\n').split('\n'));
  return { ...kernel, id, code: lines.join('\n') };
}
