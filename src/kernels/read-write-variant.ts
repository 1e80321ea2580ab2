/**
 * The read_write variants of a kernel. WebGPU refuses a buffer bound both read-only and writable in one dispatch
 * (usage scope), but allows several writable storage bindings of it. So
 * - 'workspace': the plan's workspace bindings are declared `var<storage, read_write>` (binding kind 'storage'):
 *   with an external workspace they are regions of one caller range, one stage reading a region while writing
 *   another (Winograd's GEMM reads V and writes M);
 * - 'shared': the caller's input, output and residual as well, so that all of them may be byte ranges of one
 *   GPUBuffer in a dispatch (option sharedBuffers).
 * Constant operands (weights, bias, slopes) stay read-only. The variant's kernel ID is the base ID plus
 * readWriteIdSuffix(mode).
 */
import type { KernelSource } from './types.ts';

export type ReadWriteMode = 'none' | 'workspace' | 'shared';

/** Kernel ID suffix of a read_write variant ('' for the plain kernel). */
export function readWriteIdSuffix(mode: ReadWriteMode): string {
  return mode === 'shared' ? '_rw' : mode === 'workspace' ? '_wsrw' : '';
}

/** The mode a plan's options call for. */
export function readWriteMode(o: { sharedBuffers?: boolean; workspace?: 'internal' | 'external' }): ReadWriteMode {
  return o.sharedBuffers ? 'shared' : o.workspace === 'external' ? 'workspace' : 'none';
}

/** Binding names of the float32 kernels' workspaces, and of the caller's buffers. */
export const WORKSPACE_BINDING_NAMES = ['wino_v', 'wino_m', 'gemm_a', 'gemm_c'] as const;
export const IO_BINDING_NAMES = ['input', 'output', 'epi_residual'] as const;

/**
 * `kernel` with the bindings `mode` makes read_write (those of `names` it has: `names.workspace` in both modes,
 * `names.io` too in 'shared'), or `kernel` itself for 'none'. A pure function of the kernel, the mode and the
 * names: the declarations composeKernel wrote are rewritten in place, and the ID (and its opening comment) gets
 * the mode's suffix.
 */
export function readWriteVariant(kernel: KernelSource, mode: ReadWriteMode, names: { workspace: readonly string[]; io: readonly string[] } = { workspace: WORKSPACE_BINDING_NAMES, io: IO_BINDING_NAMES }): KernelSource {
  if (mode === 'none') return kernel;
  const rw = mode === 'shared' ? [...names.workspace, ...names.io] : names.workspace;
  const id = `${kernel.id}${readWriteIdSuffix(mode)}`;
  let code = kernel.code;
  if (!code.startsWith(`// ${kernel.id}\n`)) throw new Error(`${kernel.id}: the kernel does not open with its ID comment`);
  code = `// ${id}\n${code.slice(kernel.id.length + 4)}`;
  const bindings = kernel.bindings.map((b) => {
    if (b.kind !== 'read-only-storage' || !rw.includes(b.name)) return b;
    const decl = new RegExp(`(@group\\(0\\) @binding\\(${b.binding}\\) var<storage, )read(> ${b.name}:)`);
    if (!decl.test(code)) throw new Error(`${kernel.id}: no read-only declaration of binding '${b.name}' (@binding(${b.binding}))`);
    code = code.replace(decl, '$1read_write$2');
    return { ...b, kind: 'storage' as const };
  });
  return { ...kernel, id, code, bindings };
}
