/**
 * The package as a library user gets it. `npm pack` (whose `prepack` runs the build, scripts/build.mjs) into a
 * temp folder; the tarball's contents are checked; it is installed with `webgpu` into a new project that has no
 * dev tools; then, each step failing the test when it fails:
 *  1. a plain `node` ES module imports `winoconv/node`, plans a 3×3 convolution and checks one output against a
 *     CPU reference computed in the module; the installed `winoconv` command runs with plain node;
 *  2. a strict TypeScript consumer (skipLibCheck off) passes `tsc --noEmit` with moduleResolution node16 and
 *     with bundler (the repo's tsc: the consumer has none);
 *  3. a tiny browser consumer is bundled with Vite (the repo's) and run in headless Chromium on a plain node
 *     http server: it plans a convolution on navigator.gpu and checks it against a CPU reference in the page.
 * The npm cache filled by `npm ci` serves the install (--prefer-offline). Timings are printed.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chromiumArgs, findChromium } from '../../src/node/browser.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const TSC = require.resolve('typescript/bin/tsc');
const VITE = path.join(path.dirname(require.resolve('vite/package.json')), 'bin/vite.js');
const WEBGPU_VERSION = (JSON.parse(readFileSync(path.join(REPO, 'node_modules/webgpu/package.json'), 'utf8')) as { version: string }).version;

// vitest's own variables stay out of the child processes (npm, node, tsc, vite).
const childEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|NODE_OPTIONS$|TEST$|NODE_ENV$)/.test(k)));

let tmp: string;
let tarball: string;
let project: string;

function timed<T>(label: string, f: () => T): T {
  const t0 = performance.now();
  try {
    return f();
  } finally {
    console.log(`consumer: ${label} took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}

/** Runs a command; a non-zero exit fails with its output. */
function run(cmd: string, args: string[], cwd: string, timeoutMs = 180_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: childEnv, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error || r.status !== 0) {
    throw new Error(`\`${[cmd, ...args].join(' ')}\` in ${cwd} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${out.slice(-6000)}`);
  }
  return r;
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

// The same convolution in every consumer: 3×3, pads 1, NHWC, 3 → 4 channels on 8×8, checked at one output.
const convCheck = (ts: boolean) => {
  const nn = ts ? '!' : '';
  return `
  const H = 8, W = 8, C = 3, K = 4;
  const desc = { inChannels: C, outChannels: K, kernelSize: 3, pads: 1, layout: 'NHWC'${ts ? ' as const' : ''} };
  const weights = Float32Array.from({ length: K * C * 9 }, (_, i) => (((i * 7) % 11) - 5) / 8); // OIHW
  const x = Float32Array.from({ length: H * W * C }, (_, i) => (((i * 5) % 13) - 6) / 8); // NHWC, batch 1
  const conv = await engine.createConv2d(desc, { weights, weightLayout: 'OIHW' });
  conv.resize({ batch: 1, height: H, width: W });
  const y = await conv.run(x);
  const oy = 3, ox = 0, co = 2; // one output at the left border (padding involved)
  let ref = 0;
  for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) for (let ci = 0; ci < C; ci++) {
    const iy = oy + ky - 1, ix = ox + kx - 1;
    if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
    ref += x[(iy * W + ix) * C + ci]${nn} * weights[((co * C + ci) * 3 + ky) * 3 + kx]${nn};
  }
  const got = y[(oy * W + ox) * K + co]${nn};
  const result = { ok: y.length === H * W * K && Math.abs(got - ref) <= 1e-4 * (1 + Math.abs(ref)), got, ref, length: y.length, algorithm: conv.info.algorithm };
`;
};

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'winoconv-consumer-'));
  timed('npm pack (prepack: the build)', () => run('npm', ['pack', '--pack-destination', tmp, '--no-audit', '--no-fund'], REPO, 240_000));
  const packed = readdirSync(tmp).filter((f) => /^winoconv-.*\.tgz$/.test(f));
  expect(packed).toHaveLength(1);
  tarball = path.join(tmp, packed[0]!);
  project = path.join(tmp, 'project');
  write(path.join(project, 'package.json'), JSON.stringify({ name: 'winoconv-consumer', version: '1.0.0', private: true, type: 'module' }, null, 2));
  timed('npm install of the tarball + webgpu', () =>
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, `webgpu@${WEBGPU_VERSION}`], project, 240_000),
  );
}, 480_000);

afterAll(() => {
  if (tmp && !process.env.WINOCONV_KEEP_CONSUMER) rmSync(tmp, { recursive: true, force: true });
  else if (tmp) console.log(`consumer: kept ${tmp}`);
});

describe('the npm package, installed into a new project', () => {
  test('the tarball holds dist/ (JS + .d.ts), bin, README, LICENSE; no tests, bench results, demo or .ts sources', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
    for (const f of ['package.json', 'README.md', 'LICENSE', 'bin/winoconv.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/node/index.js', 'dist/src/node/index.d.ts', 'dist/src/cli/main.js', 'dist/src/cli/browser/index.html']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /(^|\/)(test|tests|demo)\//.test(f) || f.startsWith('bench/') || f.includes('results/'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    const installed = readdirSync(path.join(project, 'node_modules')).sort();
    for (const dev of ['tsx', 'vite', 'vitest', 'typescript', 'puppeteer-core', 'wgsl_reflect', 'esbuild']) expect(installed, `${dev} must not be installed`).not.toContain(dev);
  });

  test('node: import winoconv/node, plan a 3×3 convolution, one output equals the CPU reference', () => {
    write(
      path.join(project, 'check-node.mjs'),
      `import { createEngine } from 'winoconv/node';\nconst engine = await createEngine();\n` +
        convCheck(false) +
        `\nconsole.log('RESULT ' + JSON.stringify({ adapter: engine.adapterKey, ...result }));\nengine.destroy();\nif (!result.ok) process.exitCode = 1;\n`,
    );
    const r = timed('node consumer', () => run(process.execPath, ['check-node.mjs'], project));
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, r.stdout + r.stderr).toBeDefined();
    const result = JSON.parse(line!.slice(7)) as { ok: boolean; got: number; ref: number; adapter: string };
    console.log(`consumer: node got ${result.got} ref ${result.ref} on ${result.adapter}`);
    expect(result.ok).toBe(true);
    expect(result.adapter).toMatch(/adapter/);
  });

  test('the installed winoconv command runs from dist/ with plain node', () => {
    const r = timed('winoconv info --json', () => run(process.execPath, [path.join(project, 'node_modules/winoconv/bin/winoconv.js'), 'info', '--json'], project));
    const info = JSON.parse(r.stdout) as { environment: string };
    expect(info.environment).toMatch(/Dawn/);
  });

  test('tsc --noEmit: a strict TypeScript consumer with moduleResolution node16 and bundler', () => {
    write(
      path.join(project, 'src/node-consumer.ts'),
      `import { createEngine, loadCase, FileTuningStore, type Conv2dDesc, type PlanInfo } from 'winoconv/node';\n` +
        `import { ALGORITHMS, type AlgorithmName } from 'winoconv';\n` +
        `export async function check(): Promise<boolean> {\n  const engine = await createEngine({ tuningStore: new FileTuningStore('tuning.json') });\n` +
        `  const device: GPUDevice = engine.device;\n  const algorithm: AlgorithmName = ALGORITHMS[0]!;\n  void device; void algorithm; void loadCase;\n` +
        convCheck(true).replace('const desc =', 'const desc: Conv2dDesc =') +
        `  const info: PlanInfo = conv.info;\n  void info;\n  return result.ok;\n}\n`,
    );
    write(
      path.join(project, 'src/browser-consumer.ts'),
      `import { createEngine, type Engine } from 'winoconv';\nexport async function check(): Promise<boolean> {\n  const engine: Engine = await createEngine();\n` +
        convCheck(true) +
        `  return result.ok;\n}\n`,
    );
    const base = { strict: true, skipLibCheck: false, noEmit: true, target: 'ES2022', lib: ['ES2022', 'DOM'], types: [] as string[], noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, verbatimModuleSyntax: true };
    write(path.join(project, 'tsconfig.node16.json'), JSON.stringify({ compilerOptions: { ...base, module: 'node16', moduleResolution: 'node16' }, include: ['src'] }, null, 2));
    write(path.join(project, 'tsconfig.bundler.json'), JSON.stringify({ compilerOptions: { ...base, module: 'ESNext', moduleResolution: 'bundler' }, include: ['src'] }, null, 2));
    for (const mode of ['node16', 'bundler']) {
      const r = timed(`tsc (${mode})`, () => spawnSync(process.execPath, [TSC, '-p', `tsconfig.${mode}.json`], { cwd: project, env: childEnv, encoding: 'utf8', timeout: 180_000 }));
      expect(`${r.stdout}${r.stderr}`.trim(), `tsc ${mode}`).toBe('');
      expect(r.status, `tsc ${mode}`).toBe(0);
    }
  });

  test('browser: a Vite bundle of a tiny consumer plans a convolution on navigator.gpu in headless Chromium', async () => {
    const site = path.join(project, 'web');
    write(path.join(site, 'index.html'), '<!doctype html><html><head><meta charset="utf-8"><title>winoconv consumer</title></head><body><script type="module" src="./main.ts"></script></body></html>\n');
    write(
      path.join(site, 'main.ts'),
      `import { createEngine } from 'winoconv';\nasync function main() {\n  const engine = await createEngine();\n` +
        convCheck(true) +
        `  return { adapter: engine.adapterKey, ...result };\n}\n` +
        `main().then((r) => { (window as unknown as { __result: unknown }).__result = r; }, (e: Error) => { (window as unknown as { __result: unknown }).__result = { ok: false, error: String(e && e.stack || e) }; });\n`,
    );
    const built = timed('vite build', () => run(process.execPath, [VITE, 'build', site, '--outDir', path.join(site, 'dist'), '--emptyOutDir'], project));
    const log = `${built.stdout}${built.stderr}`;
    expect(log, 'a node:* module reached the browser bundle').not.toMatch(/externalized for browser compatibility/);
    const js = readdirSync(path.join(site, 'dist/assets')).filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(0);
    for (const f of js) expect(readFileSync(path.join(site, 'dist/assets', f), 'utf8')).not.toMatch(/["']node:/);

    const server = await serveStatic(path.join(site, 'dist'));
    const chrome = findChromium().path;
    expect(chrome, 'Chromium (the global setup finds or installs it)').toBeDefined();
    const puppeteer = (await import('puppeteer-core')).default;
    const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'winoconv-consumer-chromium-'));
    const t0 = performance.now();
    // timeout: puppeteer's 30 s default for Chromium to start was exceeded once on a loaded 2-core machine.
    const browser = await puppeteer.launch({ executablePath: chrome, headless: true, userDataDir, args: chromiumArgs().filter((a) => a !== '--headless'), timeout: 180_000 });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      const addr = server.address();
      if (!addr || typeof addr === 'string') throw new Error('no server address');
      await page.goto(`http://127.0.0.1:${addr.port}/index.html`, { waitUntil: 'load' });
      await page.waitForFunction('window.__result !== undefined', { timeout: 120_000 });
      const result = (await page.evaluate('window.__result')) as { ok: boolean; got?: number; ref?: number; adapter?: string; error?: string };
      console.log(`consumer: browser got ${result.got} ref ${result.ref} on ${result.adapter ?? result.error} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      expect(errors).toEqual([]);
      expect(result.error).toBeUndefined();
      expect(result.ok).toBe(true);
    } finally {
      await browser.close().catch(() => undefined);
      server.close();
      rmSync(userDataDir, { recursive: true, force: true });
    }
  });
});

/** A plain static file server on 127.0.0.1 (a secure context for WebGPU). */
function serveStatic(root: string): Promise<Server> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.map': 'application/json' };
  const server = createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.join(root, rel === '/' ? 'index.html' : rel);
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
