/**
 * A headless Chromium page with WebGPU, served from http://127.0.0.1 (about:blank has no navigator.gpu),
 * used by the browser GPU tests and the CLI's --browser mode. The page is one of the repo's HTML files,
 * served by Vite's dev server: in a checkout from the TypeScript sources (no build step); in the npm package
 * from dist/ (the build copies src/cli/browser/index.html next to the compiled entry.js).
 */
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumArgs } from './browser.ts';
import { ensureChromium } from './gpu-setup.ts';

/** True when this module runs from the TypeScript sources (a checkout), false from the package's dist/. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** The folder pages are served from: the repository root (src/node/ → ../..), or dist/ (dist/src/node/ → ../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** `node_modules` folders on the way up from `dir`, where a page's bare imports (fraction.js) resolve. */
function nodeModulesAbove(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'node_modules'))) out.push(path.join(d, 'node_modules'));
    if (path.dirname(d) === d) return out;
  }
}

export interface BrowserSession {
  // puppeteer's Page, kept structural so the library's types do not leak into callers that never use it
  page: import('puppeteer-core').Page;
  url: string;
  executablePath: string;
  version: string;
  close(): Promise<void>;
}

export interface BrowserSessionOptions {
  /** Repo-relative path of the HTML page, e.g. 'test/gpu/browser/index.html'. */
  page: string;
  /** Use SwiftShader (default: true unless WINOCONV_BROWSER_ADAPTER=default). */
  swiftshader?: boolean;
  /** Install Chromium with apt-get when none is found and running as root. */
  install?: boolean;
  /** Page console lines go here (default: dropped unless WINOCONV_VERBOSE). */
  onConsole?: (line: string) => void;
  /** A global the page sets when it is ready. */
  readyGlobal?: string;
  timeoutMs?: number;
  /**
   * Extra files for the page, by URL path (e.g. '/__winoconv/files/3'): an absolute file path to stream, bytes, or
   * undefined for the dev server's own routes. How `onnx-test --browser` and `run --browser` hand models and tensors
   * from anywhere on disk to the page without copying them under the served root.
   */
  serve?: (urlPath: string) => string | Uint8Array | undefined;
  /** CommonJS dependencies the page imports (e.g. 'protobufjs/light.js'), pre-bundled by the dev server at start. */
  prebundle?: string[];
}

async function importOrExplain<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    const how = FROM_SOURCE
      ? 'run npm ci in the winoconv checkout'
      : 'winoconv does not install it (only --browser needs it): npm install -D vite@^8 puppeteer-core@^24 in your project';
    throw new Error(`--browser needs the package '${name}' (a dev dependency of winoconv): ${how}. (${(e as Error).message})`);
  }
}

function servePlugin(serve: NonNullable<BrowserSessionOptions['serve']>): import('vite').Plugin {
  return {
    name: 'winoconv-serve-files',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        let body;
        try {
          body = serve(decodeURIComponent((req.url ?? '').split('?')[0]));
        } catch (e) {
          res.statusCode = 500;
          res.end(String(e));
          return;
        }
        if (body === undefined) return next();
        res.setHeader('Content-Type', 'application/octet-stream');
        if (typeof body === 'string') {
          createReadStream(body)
            .on('error', (e) => {
              res.statusCode = 404;
              res.end(String(e));
            })
            .pipe(res);
        } else res.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
      });
    },
  };
}

export async function openBrowserSession(opts: BrowserSessionOptions): Promise<BrowserSession> {
  const executablePath = ensureChromium({ install: opts.install ?? false });
  const vite = await importOrExplain('vite', () => import('vite'));
  const puppeteer = (await importOrExplain('puppeteer-core', () => import('puppeteer-core'))).default;
  const server = await vite.createServer({
    root: REPO_ROOT,
    configFile: false,
    logLevel: 'error',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null, fs: { allow: [REPO_ROOT, ...nodeModulesAbove(REPO_ROOT)] } },
    // bench/ imports the library as 'winoconv' (public API only): the sources here, or the package's own build.
    resolve: { alias: [{ find: /^winoconv$/, replacement: path.join(REPO_ROOT, FROM_SOURCE ? 'src/index.ts' : 'src/index.js') }] },
    // No dependency discovery: a late optimisation pass would reload the page under the test.
    optimizeDeps: { noDiscovery: true, include: opts.prebundle ?? [] },
    plugins: opts.serve ? [servePlugin(opts.serve)] : [],
  });
  await server.listen();
  const addr = server.httpServer?.address();
  if (!addr || typeof addr === 'string') throw new Error('vite dev server did not report a TCP address');
  const url = `http://127.0.0.1:${addr.port}/${opts.page}`;
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'winoconv-chromium-'));
  const swiftshader = opts.swiftshader ?? process.env.WINOCONV_BROWSER_ADAPTER !== 'default';
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    userDataDir,
    args: chromiumArgs({ swiftshader }).filter((a) => a !== '--headless'),
    protocolTimeout: opts.timeoutMs ?? 600_000,
    // Chromium's start (puppeteer waits 30 s by default) took longer than that on a loaded 2-core machine.
    timeout: 180_000,
  });
  const close = async () => {
    await browser.close().catch(() => undefined);
    await server.close().catch(() => undefined);
    rmSync(userDataDir, { recursive: true, force: true });
  };
  try {
    const page = await browser.newPage();
    const verbose = Boolean(process.env.WINOCONV_VERBOSE);
    page.on('console', (m) => (opts.onConsole ?? (verbose ? (l: string) => console.log(`[page] ${l}`) : () => undefined))(m.text()));
    page.on('pageerror', (e) => (opts.onConsole ?? ((l: string) => console.error(`[page error] ${l}`)))(String(e)));
    page.setDefaultTimeout(opts.timeoutMs ?? 600_000);
    await page.goto(url, { waitUntil: 'load' });
    if (opts.readyGlobal) await page.waitForFunction(`Boolean(window.${opts.readyGlobal})`, { timeout: 60_000 });
    return { page, url, executablePath, version: await browser.version(), close };
  } catch (e) {
    await close();
    throw e;
  }
}
