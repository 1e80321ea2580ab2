/**
 * Making WebGPU available on this machine before the first GPU step: the one finder/installer behind
 * `winoconv ensure-browser`, the CLI's GPU verbs and the test runner's global setup.
 *
 * What is needed:
 * - Node (Dawn, npm `webgpu`): on Linux a Vulkan loader (`libvulkan.so.1`: the system's, Debian package
 *   libvulkan1, or the copy Chromium bundles) and a Vulkan driver (a driver the user named with
 *   VK_ICD_FILENAMES / VK_DRIVER_FILES, a system ICD json under /usr/share/vulkan/icd.d or /etc/vulkan/icd.d,
 *   or Chromium's SwiftShader). Elsewhere Dawn uses the platform's own API (Metal, D3D12).
 * - the browser: a Chromium or Chrome (`findChromium`).
 *
 * `planGpuSetup` decides from probes alone (pure: the unit tests inject them); `ensureGpu` probes this machine,
 * installs what is missing with apt-get when it runs as root on a machine that has it, probes again, and
 * otherwise throws a message that names exactly what to install.
 */
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { findChromium } from './browser.ts';
import { findSwiftShaderIcd, hasSystemVulkanLoader, resetVulkanLoaderCache, vulkanLoaderEnv } from './vulkan-env.ts';

/** Where Vulkan loaders look for installed drivers (ICD manifests). */
export const SYSTEM_ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

export interface GpuProbes {
  platform: NodeJS.Platform;
  /** A Chromium/Chrome executable, when one was found. */
  chromium?: string;
  /** Chromium's `vk_swiftshader_icd.json`, when present. */
  swiftshaderIcd?: string;
  /** True when Chromium's folder also holds its own `libvulkan.so.1` (usable through LD_LIBRARY_PATH). */
  chromiumLoader: boolean;
  /** A system `libvulkan.so.1` the dynamic linker finds. */
  systemLoader: boolean;
  /** ICD manifests under SYSTEM_ICD_DIRS. */
  systemIcds: string[];
  /** A driver the user named (VK_ICD_FILENAMES / VK_DRIVER_FILES). */
  userDriver?: string;
  isRoot: boolean;
  hasApt: boolean;
}

export interface GpuNeeds {
  /** Dawn in Node (gpu-node tests, the CLI's Node verbs). */
  node?: boolean;
  /** Headless Chromium (gpu-browser tests, `--browser`). */
  browser?: boolean;
}

export interface GpuSetupPlan {
  ok: boolean;
  /** What is missing, in words (empty when ok). */
  reasons: string[];
  /** Debian packages that supply what is missing. */
  packages: string[];
  /** True when this process may install `packages` itself (root, apt-get present, installing allowed). */
  canInstall: boolean;
}

/** Decides, from probes alone, whether the needed WebGPU paths are usable and what would make them so. */
export function planGpuSetup(p: GpuProbes, needs: GpuNeeds, opts: { install?: boolean } = {}): GpuSetupPlan {
  const reasons: string[] = [];
  const packages = new Set<string>();
  if (needs.browser && !p.chromium) {
    reasons.push('no Chromium or Chrome was found (CHROME_PATH, /usr/bin/chromium, google-chrome, the puppeteer cache)');
    packages.add('chromium');
  }
  if (needs.node && p.platform === 'linux') {
    const hasDriver = Boolean(p.userDriver || p.swiftshaderIcd || p.systemIcds.length > 0);
    const hasLoader = p.systemLoader || p.chromiumLoader;
    if (!hasDriver) {
      reasons.push('Dawn has no Vulkan driver: no VK_ICD_FILENAMES, no ICD json under ' + SYSTEM_ICD_DIRS.join(' or ') + ', no Chromium with SwiftShader');
      packages.add('chromium');
    }
    if (!hasLoader) {
      reasons.push('Dawn has no Vulkan loader: libvulkan.so.1 is not installed (and no Chromium copy of it was found)');
      packages.add('libvulkan1');
    }
  }
  // Installing anyway: bring the system loader too, so Dawn needs no LD_LIBRARY_PATH afterwards.
  if (packages.size > 0 && p.platform === 'linux' && !p.systemLoader) packages.add('libvulkan1');
  const canInstall = (opts.install ?? true) && p.platform === 'linux' && p.isRoot && p.hasApt;
  return { ok: reasons.length === 0, reasons, packages: [...packages].sort(), canInstall };
}

/** The message for a machine this process cannot fix: what is missing and exactly what to install. */
export function gpuSetupHint(plan: GpuSetupPlan, p: Pick<GpuProbes, 'platform' | 'isRoot' | 'hasApt'>): string {
  const lines = ['winoconv: WebGPU is not available here:', ...plan.reasons.map((r) => `  - ${r}`)];
  if (p.platform === 'linux') {
    const sudo = p.isRoot ? '' : 'sudo ';
    lines.push(
      'Install (Debian):   ' + `${sudo}apt-get install -y --no-install-recommends ${plan.packages.join(' ')}`,
      'Install (Ubuntu):   ' + `${sudo}apt-get install -y ${plan.packages.map((x) => (x === 'chromium' ? 'chromium-browser' : x)).join(' ')}`,
    );
    if (!p.hasApt) lines.push('(no apt-get here: install Chromium and the Vulkan loader libvulkan.so.1 with this system\'s package manager)');
    else if (p.isRoot) lines.push('(not installed automatically: installing was turned off, e.g. --no-install)');
    else lines.push('(run as root, e.g. `sudo npx winoconv ensure-browser`, and winoconv installs them itself)');
  } else {
    lines.push('Install Chrome or Chromium 113 or newer.');
  }
  lines.push('Or point at what you have: CHROME_PATH=/path/to/chrome; VK_ICD_FILENAMES=/path/to/driver_icd.json for Dawn.');
  return lines.join('\n');
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function hasAptGet(): boolean {
  return spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
}

function systemIcds(): string[] {
  const out: string[] = [];
  for (const dir of SYSTEM_ICD_DIRS) {
    try {
      for (const f of readdirSync(dir)) if (f.endsWith('.json')) out.push(path.join(dir, f));
    } catch {
      // no such folder
    }
  }
  return out;
}

/** Probes this machine (CHROME_PATH pointing at a missing file throws, as in findChromium). */
export function probeGpu(env: NodeJS.ProcessEnv = process.env): GpuProbes {
  const icd = findSwiftShaderIcd();
  return {
    platform: process.platform,
    chromium: findChromium().path,
    swiftshaderIcd: icd,
    chromiumLoader: Boolean(icd && existsSync(path.join(path.dirname(icd), 'libvulkan.so.1'))),
    systemLoader: process.platform === 'linux' ? hasSystemVulkanLoader() : true,
    systemIcds: process.platform === 'linux' ? systemIcds() : [],
    userDriver: env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES || undefined,
    isRoot: isRoot(),
    hasApt: process.platform === 'linux' && hasAptGet(),
  };
}

/** apt-get update + install as root; apt's own progress goes to stderr while it runs. */
export function aptInstall(packages: string[], log: (s: string) => void): void {
  const t0 = Date.now();
  log(`winoconv: installing ${packages.join(' ')} with apt-get (running as root; this takes a minute or two) ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log('winoconv: apt-get update ...');
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 2, 2], env });
  if (update.status !== 0) throw new Error(`apt-get update failed with exit code ${update.status}`);
  log(`winoconv: apt-get install ${packages.join(' ')} ...`);
  const inst = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: ['ignore', 2, 2], env });
  if (inst.status !== 0) throw new Error(`apt-get install ${packages.join(' ')} failed with exit code ${inst.status}`);
  log(`winoconv: installed ${packages.join(' ')} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

export interface EnsureGpuOptions extends GpuNeeds {
  /** Install with apt-get when root (default true). */
  install?: boolean;
  log?: (line: string) => void;
  /** For tests: the machine's probes and the installer. */
  probe?: () => GpuProbes;
  installer?: (packages: string[], log: (s: string) => void) => void;
}

export interface GpuSetupResult {
  /** The Chromium executable, when one was found (always set when `browser` was asked for). */
  chromium?: string;
  /** Packages this call installed (empty when nothing was missing). */
  installed: string[];
  /** What Dawn needs in the environment (VK_ICD_FILENAMES, LD_LIBRARY_PATH for Chromium's loader). */
  env: Record<string, string>;
}

export class GpuSetupError extends Error {
  override name = 'GpuSetupError';
}

/**
 * Makes the needed WebGPU paths usable or throws GpuSetupError saying exactly what to install. Call it before
 * anything loads Dawn: a loader installed here is then found by the dynamic linker without LD_LIBRARY_PATH.
 */
export function ensureGpu(opts: EnsureGpuOptions): GpuSetupResult {
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const probe = opts.probe ?? (() => probeGpu());
  let probes = probe();
  let plan = planGpuSetup(probes, opts, { install: opts.install });
  let installed: string[] = [];
  if (!plan.ok && plan.canInstall) {
    (opts.installer ?? aptInstall)(plan.packages, log);
    installed = plan.packages;
    resetVulkanLoaderCache();
    probes = probe();
    plan = planGpuSetup(probes, opts, { install: false });
    if (!plan.ok) throw new GpuSetupError(`winoconv: installed ${installed.join(' ')}, but WebGPU is still not available:\n${plan.reasons.map((r) => `  - ${r}`).join('\n')}`);
  }
  if (!plan.ok) throw new GpuSetupError(gpuSetupHint(plan, probes));
  return { chromium: probes.chromium, installed, env: opts.probe ? {} : vulkanLoaderEnv(process.env) };
}

/**
 * Returns a Chromium executable path, installing Debian's chromium (and the Vulkan loader) when none is
 * found and this process may do so (root with apt-get). Throws with exactly what to install otherwise.
 * The same finder/installer as the CLI's GPU verbs and the test runner's global setup (this module).
 */
export function ensureChromium(opts: { install?: boolean; log?: (s: string) => void } = {}): string {
  return ensureGpu({ browser: true, install: opts.install ?? true, log: opts.log }).chromium!;
}
