/**
 * WebGPU in Node through Dawn (npm package `webgpu`).
 *
 * The object `create()` returns must stay alive for the whole process: once it is garbage-collected Dawn
 * crashes. It is therefore kept in a module-level variable and never released.
 */
import { vulkanLoaderEnv } from './vulkan-env.ts';

let gpuSingleton: GPU | undefined;
let pending: Promise<GPU> | undefined;

/** Dawn toggles/options passed to `create()`; override with WINOCONV_DAWN_OPTIONS="a=b,c=d". */
function dawnOptions(): string[] {
  const extra = process.env.WINOCONV_DAWN_OPTIONS;
  return extra ? extra.split(',').filter(Boolean) : [];
}

/** The process-wide `GPU` object of Dawn. Installs WebGPU's globals (GPUBufferUsage, ...) on globalThis. */
export async function getNodeGPU(): Promise<GPU> {
  if (gpuSingleton) return gpuSingleton;
  pending ??= (async () => {
    // VK_ICD_FILENAMES is read when Dawn creates its Vulkan instance, so setting it here is enough.
    const add = vulkanLoaderEnv(process.env);
    // Vulkan's window-system code logs "XDG_RUNTIME_DIR is invalid" on headless machines; a private folder quiets it.
    if (!process.env.XDG_RUNTIME_DIR) {
      const { mkdtempSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'winoconv-xdg-'));
    }
    if (add.VK_ICD_FILENAMES && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = add.VK_ICD_FILENAMES;
    let mod: { create(opts: string[]): GPU; globals: Record<string, unknown> };
    try {
      mod = (await import('webgpu')) as unknown as typeof mod;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
      throw new Error(
        "winoconv/node needs the package 'webgpu' (Dawn for Node), an optional peer dependency that npm does not install by itself: " +
          `npm install webgpu. (${(e as Error).message.split('\n')[0]})`,
      );
    }
    Object.assign(globalThis, mod.globals);
    gpuSingleton = mod.create(dawnOptions());
    (globalThis as { __winoconvDawnGPU?: GPU }).__winoconvDawnGPU = gpuSingleton;
    return gpuSingleton;
  })();
  return pending;
}

/** Why Dawn gave no adapter, in words a user can act on. */
export function noAdapterHint(): string {
  const add = vulkanLoaderEnv(process.env);
  const lines = ['Dawn (npm package "webgpu") returned no WebGPU adapter.'];
  if (add.LD_LIBRARY_PATH) {
    lines.push(
      `The Vulkan loader libvulkan.so.1 is not on the library path. Install it (Debian: apt-get install libvulkan1) ` +
        `or start node with LD_LIBRARY_PATH=${add.LD_LIBRARY_PATH} (the winoconv command does this itself).`,
    );
  }
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES) {
    lines.push('No Vulkan driver was named: install Chromium (it ships SwiftShader) or set VK_ICD_FILENAMES to a driver ICD json.');
  } else {
    lines.push(`Vulkan driver: ${process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES}`);
  }
  return lines.join('\n');
}

export async function requestNodeAdapter(options?: GPURequestAdapterOptions): Promise<GPUAdapter> {
  const gpu = await getNodeGPU();
  const adapter = await gpu.requestAdapter(options);
  if (!adapter) throw new Error(noAdapterHint());
  return adapter;
}
