/**
 * Node side of `winoconv bench --browser`: starts the demo's Vite dev server (vite.config.ts: the `winoconv`
 * alias to src/, the peers' local builds) on 127.0.0.1, opens demo/bench.html in headless Chromium with WebGPU
 * and runs a suite through the page's `window.__winoconvBench`, the same code path as its Run button. With
 * `dist`, it serves the production build (dist/demo, which imports dist/src/index.js) with `vite preview` instead.
 *
 * src/node/browser-session.ts serves pages with no Vite config (the tests' pages need none); the benchmark page
 * needs the config's aliases, hence this small driver with the same Chromium flags.
 *
 * openModelsPage opens demo/models.html (`winoconv bench --models --browser`) on the same server, with two
 * additions in the inline config: COOP/COEP headers on every response (a cross-origin-isolated page, so ORT
 * wasm can use threads: SharedArrayBuffer), and a plugin serving the ONNX test directories of `npm run onnx-tests`
 * at /__winoconv/onnx-tests/<name>/<file>.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumArgs } from '../src/node/browser.ts';
import { ensureChromium } from '../src/node/gpu-setup.ts';
import type { BenchOptions } from './runner.ts';
import type { BenchResults } from './types.ts';
import type { ModelsBenchOptions } from './models/runner.ts';
import type { ModelsBenchResults } from './models/types.ts';
import { ISOLATION_HEADERS, MODELS_PREBUNDLE, onnxTestsPlugin } from './models/vite-plugin.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchPageOptions {
  /** Use SwiftShader (default: true unless WINOCONV_BROWSER_ADAPTER=default). */
  swiftshader?: boolean;
  install?: boolean;
  progress?: (line: string) => void;
  /** Page console and errors (default: dropped unless WINOCONV_VERBOSE). */
  onConsole?: (line: string) => void;
  timeoutMs?: number;
  /** Serve the production build in dist/demo (`npm run build && npm run demo:build`) with `vite preview` instead. */
  dist?: boolean;
}

export interface BenchPage {
  /** The puppeteer page, for scripts that want more than run() (screenshots, probes). */
  page: import('puppeteer-core').Page;
  url: string;
  version: string;
  run(opts: BenchOptions): Promise<BenchResults>;
  screenshot(file: string): Promise<void>;
  close(): Promise<void>;
}

export async function openBenchPage(opts: BenchPageOptions = {}): Promise<BenchPage> {
  const p = await openPage('bench', opts);
  return { ...p, run: (o) => p.page.evaluate((x) => window.__winoconvBench!.run(x), o) };
}

export interface ModelsPage extends Omit<BenchPage, 'run'> {
  run(opts: ModelsBenchOptions & { models: string[] }): Promise<ModelsBenchResults>;
}

/** demo/models.html, cross-origin isolated, with the ONNX test directories served (dev server only). */
export async function openModelsPage(opts: Omit<BenchPageOptions, 'dist'> = {}): Promise<ModelsPage> {
  const p = await openPage('models', opts);
  return {
    ...p,
    run: (o) =>
      p.page.evaluate(
        (x) => (window as unknown as { __winoconvModelsBench: { run(y: typeof x): Promise<ModelsBenchResults> } }).__winoconvModelsBench.run(x),
        o,
      ),
  };
}

async function openPage(which: 'bench' | 'models', opts: BenchPageOptions): Promise<Omit<BenchPage, 'run'>> {
  const executablePath = ensureChromium({ install: opts.install ?? false });
  const vite = await import('vite');
  const puppeteer = (await import('puppeteer-core')).default;
  if (opts.dist && !existsSync(path.join(REPO_ROOT, 'dist/demo/bench.html'))) throw new Error('dist/demo/bench.html is missing: run `npm run build && npm run demo:build` first');
  const configFile = path.join(REPO_ROOT, 'vite.config.ts');
  const common = { configFile, logLevel: 'error' as const, clearScreen: false };
  const server = opts.dist
    ? await vite.preview({ ...common, preview: { host: '127.0.0.1', port: 0, strictPort: false } })
    : await vite.createServer({
        ...common,
        mode: 'development',
        server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null, ...(which === 'models' ? { headers: ISOLATION_HEADERS } : {}) },
        // protobufjs (ONNX decoding: the library's graph runtime, which both pages import through 'winoconv') is
        // CommonJS: pre-bundled at start, as src/node/browser-session.ts does.
        optimizeDeps: { include: MODELS_PREBUNDLE },
        ...(which === 'models' ? { plugins: [onnxTestsPlugin((await import('../src/node/onnx-testgen.ts')).onnxTestsDir())] } : {}),
      });
  if ('listen' in server) await server.listen();
  const addr = server.httpServer?.address();
  if (!addr || typeof addr === 'string') {
    await server.close();
    throw new Error('vite server did not report a TCP address');
  }
  const url = `http://127.0.0.1:${addr.port}/${which}.html`;
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'winoconv-bench-chromium-'));
  const swiftshader = opts.swiftshader ?? process.env.WINOCONV_BROWSER_ADAPTER !== 'default';
  const timeout = opts.timeoutMs ?? 3_600_000;
  let browser: import('puppeteer-core').Browser | undefined;
  const close = async () => {
    await browser?.close().catch(() => undefined);
    await server.close().catch(() => undefined);
    rmSync(userDataDir, { recursive: true, force: true });
  };
  try {
    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      userDataDir,
      args: chromiumArgs({ swiftshader }).filter((a) => a !== '--headless'),
      protocolTimeout: timeout,
      // Chromium's start (puppeteer waits 30 s by default) took longer than that on a loaded 2-core machine.
      timeout: 180_000,
      defaultViewport: { width: 1280, height: 900 },
    });
    const page = await browser.newPage();
    page.setDefaultTimeout(timeout);
    const verbose = Boolean(process.env.WINOCONV_VERBOSE);
    const onConsole = opts.onConsole ?? (verbose ? (l: string) => console.error(`[page] ${l}`) : () => undefined);
    page.on('console', (m) => onConsole(m.text()));
    page.on('pageerror', (e) => (opts.onConsole ?? ((l: string) => console.error(`[page error] ${l}`)))(String(e)));
    await page.exposeFunction('__winoconvBenchProgress', (line: string) => opts.progress?.(line));
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(which === 'models' ? 'Boolean(window.__winoconvModelsBench)' : 'Boolean(window.__winoconvBench)', { timeout: 120_000 });
    return {
      page,
      url,
      version: await browser.version(),
      screenshot: async (file) => {
        await page.screenshot({ path: file as `${string}.png`, fullPage: true });
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
