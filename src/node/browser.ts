/**
 * Finding (and on a bare Debian machine, installing) a Chromium that has WebGPU, for the browser tests,
 * the CLI's `--browser` mode and CI. Order: env `CHROME_PATH`, then system chromium/chrome, then
 * puppeteer's cache. Installing what is missing is gpu-setup.ts's job (`ensureChromium` calls it).
 */
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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
