/**
 * Finding (and on a bare Debian machine, installing) a Chromium that has WebGPU, for the browser tests,
 * the CLI's `--browser` mode and CI. Order: env `CHROME_PATH`, then system chromium/chrome, then
 * puppeteer's cache. With none found and running as root with apt-get: `apt-get install chromium`
 * (plus `libvulkan1`, the Vulkan loader Dawn uses in Node). Otherwise: print exactly what to install.
 */
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { hasSystemVulkanLoader, resetVulkanLoaderCache } from './vulkan-env.ts';

const SYSTEM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome-beta',
  '/usr/bin/google-chrome-unstable',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

/** The Chromium flags that give headless WebGPU on SwiftShader (and on a real GPU's Vulkan driver). */
export function chromiumArgs(opts: { swiftshader?: boolean } = {}): string[] {
  const swiftshader = opts.swiftshader ?? true;
  return [
    '--headless',
    '--no-sandbox',
    '--enable-unsafe-webgpu',
    '--enable-features=Vulkan',
    ...(swiftshader ? ['--use-webgpu-adapter=swiftshader'] : ['--use-angle=vulkan', '--ignore-gpu-blocklist']),
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    '--disable-dev-shm-usage',
  ];
}

function puppeteerCacheBrowsers(): string[] {
  const root = process.env.PUPPETEER_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'puppeteer');
  const found: string[] = [];
  for (const kind of ['chrome', 'chromium']) {
    const dir = path.join(root, kind);
    if (!existsSync(dir)) continue;
    for (const version of readdirSync(dir).sort().reverse()) {
      for (const rel of ['chrome-linux64/chrome', 'chrome-linux/chrome', 'chrome-mac-x64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing', 'chrome-mac-arm64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing']) {
        const p = path.join(dir, version, rel);
        if (existsSync(p)) found.push(p);
      }
    }
  }
  return found;
}

export interface BrowserLookup {
  path?: string;
  source?: 'CHROME_PATH' | 'system' | 'puppeteer-cache';
  tried: string[];
}

export function findChromium(): BrowserLookup {
  const tried: string[] = [];
  const env = process.env.CHROME_PATH;
  if (env) {
    tried.push(`CHROME_PATH=${env}`);
    if (existsSync(env)) return { path: env, source: 'CHROME_PATH', tried };
    throw new Error(`CHROME_PATH = ${env}: no such file; it must point at a Chromium or Chrome executable`);
  }
  for (const p of SYSTEM_CANDIDATES) {
    tried.push(p);
    if (existsSync(p)) return { path: p, source: 'system', tried };
  }
  const cached = puppeteerCacheBrowsers();
  tried.push('puppeteer cache');
  if (cached[0]) return { path: cached[0], source: 'puppeteer-cache', tried };
  return { tried };
}

export const INSTALL_HINT =
  'No Chromium with WebGPU was found. Install one of:\n' +
  '  Debian/Ubuntu: sudo apt-get install -y chromium libvulkan1   (Ubuntu: chromium-browser)\n' +
  '  or set CHROME_PATH=/path/to/chrome (Chrome 113+ or Chromium 113+).';

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function hasAptGet(): boolean {
  return spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
}

/** apt-get install as root; progress goes to stderr so that it is seen while it runs. */
function aptInstall(packages: string[], log: (s: string) => void): void {
  log(`winoconv: installing ${packages.join(' ')} with apt-get (running as root) ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (update.status !== 0) throw new Error(`apt-get update failed with exit code ${update.status}`);
  const inst = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (inst.status !== 0) throw new Error(`apt-get install ${packages.join(' ')} failed with exit code ${inst.status}`);
}

/**
 * Returns a Chromium executable path, installing Debian's chromium (and the Vulkan loader) when none is
 * found and this process may do so. Throws with INSTALL_HINT otherwise.
 */
export function ensureChromium(opts: { install?: boolean; log?: (s: string) => void } = {}): string {
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const install = opts.install ?? true;
  const found = findChromium();
  const missing: string[] = [];
  if (!found.path) missing.push('chromium');
  if (process.platform === 'linux' && !hasSystemVulkanLoader()) missing.push('libvulkan1');
  const canInstall = install && process.platform === 'linux' && isRoot() && hasAptGet();
  if (missing.length && canInstall) {
    aptInstall(missing, log);
    resetVulkanLoaderCache();
  }
  // A missing libvulkan1 alone is not fatal: Dawn then uses Chromium's own loader (see vulkan-env.ts).
  const again = found.path ? found : findChromium();
  if (!again.path) throw new Error(`${INSTALL_HINT}\nLooked in: ${again.tried.join(', ')}`);
  return again.path;
}
