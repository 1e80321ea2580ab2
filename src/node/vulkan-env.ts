/**
 * Where Dawn (npm `webgpu`) finds Vulkan on Linux.
 *
 * Dawn dlopen()s `libvulkan.so.1` (the Vulkan loader) and the loader reads `VK_ICD_FILENAMES` for the
 * driver. On a machine with no GPU the driver is SwiftShader, which Chromium ships together with its own
 * copy of the loader. `VK_ICD_FILENAMES` can be set in-process before `create()`; the loader's search path
 * (`LD_LIBRARY_PATH`) is read by the dynamic linker only at process start, so it must be in the
 * environment of the process that loads Dawn: the CLI re-executes itself with it, and the test runner sets
 * it before forking workers.
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Folders that hold Chromium's `libvk_swiftshader.so`, `vk_swiftshader_icd.json` and `libvulkan.so.1`. */
export const CHROMIUM_LIB_DIRS = ['/usr/lib/chromium', '/usr/lib/chromium-browser', '/opt/google/chrome', '/snap/chromium/current/usr/lib/chromium-browser'];

export function findSwiftShaderIcd(extraDirs: string[] = []): string | undefined {
  for (const dir of [...extraDirs, ...CHROMIUM_LIB_DIRS]) {
    const icd = path.join(dir, 'vk_swiftshader_icd.json');
    if (existsSync(icd)) return icd;
  }
  return undefined;
}

let systemLoaderCache: boolean | undefined;
/** True when the dynamic linker can find a system `libvulkan.so.1` (Debian: package libvulkan1). */
export function hasSystemVulkanLoader(): boolean {
  if (process.platform !== 'linux') return true;
  if (systemLoaderCache !== undefined) return systemLoaderCache;
  try {
    systemLoaderCache = execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' }).includes('libvulkan.so.1');
  } catch {
    systemLoaderCache = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'].some(existsSync);
  }
  return systemLoaderCache;
}

export function resetVulkanLoaderCache(): void {
  systemLoaderCache = undefined;
}

/**
 * Environment additions that let Dawn find a Vulkan loader and a driver. Leaves anything the user set alone:
 * `VK_ICD_FILENAMES` / `VK_DRIVER_FILES` set by the caller (a real GPU's driver) win.
 */
export function vulkanLoaderEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  if (process.platform !== 'linux') return out;
  const userChoseDriver = Boolean(env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES || env.WINOCONV_VULKAN_DRIVER === 'system');
  const icd = findSwiftShaderIcd();
  if (!userChoseDriver && icd) out.VK_ICD_FILENAMES = icd;
  if (!hasSystemVulkanLoader() && icd) {
    const dir = path.dirname(icd);
    if (existsSync(path.join(dir, 'libvulkan.so.1'))) {
      const cur = env.LD_LIBRARY_PATH ?? '';
      if (!cur.split(':').includes(dir)) out.LD_LIBRARY_PATH = cur ? `${cur}:${dir}` : dir;
    }
  }
  return out;
}

/** True when `vulkanLoaderEnv` asks for a loader path that this process did not start with. */
export function needsReexecForLoader(env: NodeJS.ProcessEnv): boolean {
  return vulkanLoaderEnv(env).LD_LIBRARY_PATH !== undefined;
}
