/**
 * The runtime demo pages (demo/readtext.html, faces.html, race.html) in headless Chromium (SwiftShader WebGPU),
 * served by the demo's own Vite dev server (vite.config.ts: the `winoconv` alias to src/, the model and sample
 * plugin demo/server/assets-plugin.ts, COOP/COEP headers), as `npm run demo` serves them. One browser, one page
 * after another: each page's `window.__winoconvDemo.ready` is awaited, a full-page screenshot is written to a
 * temporary folder (the path is printed) and the result is checked.
 *
 * Nothing passes silently: a page without WebGPU or without its sample photos fails with the page's own message
 * (the faces test names the reason the photos are missing: darknet's data/*.jpg, fetched by the plugin with
 * `apt-get download darknet`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs } from '../../src/node/browser.ts';
import { ensureChromium } from '../../src/node/gpu-setup.ts';
import type { FacesResult } from '../../demo/faces.ts';
import type { RaceResult } from '../../demo/race.ts';
import type { ReadTextResult } from '../../demo/readtext.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PAGE_TIMEOUT = 150_000;

let server: ViteDevServer;
let browser: Browser;
let base: string;
let userDataDir: string;
const shots = mkdtempSync(path.join(os.tmpdir(), 'winoconv-demo-shots-'));

beforeAll(async () => {
  const executablePath = ensureChromium({ install: false });
  const vite = await import('vite');
  server = await vite.createServer({
    configFile: path.join(ROOT, 'vite.config.ts'),
    mode: 'development',
    logLevel: 'error',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
  });
  await server.listen();
  const addr = server.httpServer?.address();
  if (!addr || typeof addr === 'string') throw new Error('the Vite dev server did not report a TCP address');
  base = `http://127.0.0.1:${addr.port}/`;
  userDataDir = mkdtempSync(path.join(os.tmpdir(), 'winoconv-demo-chromium-'));
  const puppeteer = (await import('puppeteer-core')).default;
  browser = await puppeteer.launch({
    executablePath,
    headless: true,
    userDataDir,
    args: chromiumArgs({ swiftshader: true }).filter((a) => a !== '--headless'),
    protocolTimeout: 600_000,
    timeout: 180_000,
    defaultViewport: { width: 1100, height: 900 },
  });
  console.log(`demo pages: ${base} (screenshots in ${shots})`);
}, 240_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await server?.close().catch(() => undefined);
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

/** Opens a page, waits for its result (or its error), takes the screenshot; returns the result and the page. */
async function openDemo<R>(file: string, query = ''): Promise<{ result: R; page: Page; shot: string }> {
  const page = await browser.newPage();
  const t0 = Date.now();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${base}${file}${query}`, { waitUntil: 'load' });
  try {
    await page.waitForFunction('Boolean(window.__winoconvDemo)', { timeout: 60_000 });
    await page.waitForFunction('window.__winoconvDemo.done === true', { timeout: PAGE_TIMEOUT, polling: 500 });
  } catch (e) {
    const log = await page.evaluate(() => window.__winoconvDemo?.log ?? []).catch(() => []);
    await page.screenshot({ path: path.join(shots, `${file.replace(/\.html$/, '')}-timeout.png`) as `${string}.png`, fullPage: true }).catch(() => undefined);
    throw new Error(`${file}${query}: ${(e as Error).message}\n  page log: ${log.join(' | ') || '(none)'}\n  console errors: ${errors.join(' | ') || '(none)'}`);
  }
  const state = await page.evaluate(() => ({ result: window.__winoconvDemo!.result, error: window.__winoconvDemo!.error, log: window.__winoconvDemo!.log }));
  const shot = path.join(shots, `${file.replace(/\.html$/, '')}.png`);
  await page.screenshot({ path: shot as `${string}.png`, fullPage: true });
  console.log(`${file}${query}: ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshot ${shot}`);
  if (state.error) throw new Error(`${file}: the page failed: ${state.error}\n  log: ${state.log.join(' | ')}${errors.length ? `\n  console: ${errors.join(' | ')}` : ''}`);
  return { result: state.result as R, page, shot };
}

/** Case-insensitive, spaces ignored. */
const squash = (s: string) => s.toLowerCase().replace(/\s+/g, '');

describe('demo pages in headless Chromium (SwiftShader WebGPU)', () => {
  it('index and bench (the older pages) load under the same server: no page error, cross-origin isolated', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}index.html`, { waitUntil: 'load' });
    await page.waitForFunction(() => !/looking for WebGPU/.test(document.getElementById('adapter')?.textContent ?? ''), { timeout: 60_000 });
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.evaluate(() => document.querySelectorAll('nav a[href="./readtext.html"], nav a[href="./faces.html"], nav a[href="./race.html"]').length)).toBe(3);
    await page.goto(`${base}bench.html`, { waitUntil: 'load' });
    await page.waitForFunction('Boolean(window.__winoconvBench)', { timeout: 60_000 });
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('faces: BlazeFace finds the face of the first sample that has one (score > 0.5, box inside the image)', async () => {
    const { result, page } = await openDemo<FacesResult>('faces.html', '?sample=0');
    console.log(`faces: ${result.source} ${result.imageWidth}×${result.imageHeight}, ${result.faces.length} face(s): ${JSON.stringify(result.faces.map((f) => ({ score: +f.score.toFixed(3), box: Object.values(f.box).map(Math.round) })))}; run ${result.ms.run.toFixed(1)} ms, session ${(result.sessionMs / 1000).toFixed(1)} s`);
    expect(result.faces.length).toBeGreaterThanOrEqual(1);
    const f = result.faces[0];
    expect(f.score).toBeGreaterThan(0.5);
    expect(f.box.w).toBeGreaterThan(4);
    expect(f.box.h).toBeGreaterThan(4);
    expect(f.box.x).toBeGreaterThanOrEqual(0);
    expect(f.box.y).toBeGreaterThanOrEqual(0);
    expect(f.box.x + f.box.w).toBeLessThanOrEqual(result.imageWidth);
    expect(f.box.y + f.box.h).toBeLessThanOrEqual(result.imageHeight);
    expect(f.keypoints.length).toBe(6);
    await page.close();
  }, PAGE_TIMEOUT + 30_000);

  it('readtext: PP-OCR det → cls → rec on winoconv sessions reads the rendered line', async () => {
    // The decoded lines, joined in reading order, must equal the rendered text exactly once letter case and
    // whitespace are ignored (PP-OCRv4's rec often drops the spaces between English words); every character counts.
    const { result, page } = await openDemo<ReadTextResult>('readtext.html');
    console.log(`readtext: rendered ${JSON.stringify(result.rendered)}, read ${JSON.stringify(result.lines.map((l) => [l.text, +l.score.toFixed(3)]))}; det ${result.detShape.join('×')}; ms: det ${result.ms.det.toFixed(0)}, cls ${result.ms.cls.toFixed(0)}, rec ${result.ms.rec.toFixed(0)}, readText ${result.ms.total.toFixed(0)} (with session creation: ${result.sessions.map((s) => `${s.model} ${s.shape} ${(s.createMs / 1000).toFixed(1)} s`).join(', ')}); profiled ${result.profiled}`);
    expect(result.rendered).toEqual(['winoconv reads this text']);
    expect(result.lines.length).toBeGreaterThanOrEqual(1);
    expect(squash(result.lines.map((l) => l.text).join(''))).toBe(squash(result.rendered.join('')));
    expect(result.sessions.map((s) => s.model).sort()).toEqual(['cls', 'det', 'rec']);
    // the per-layer table: a row per node of each session, with GPU ms where the device profiles
    const layers = await page.evaluate(() => ({ rows: document.querySelectorAll('#layers tr').length, timed: Array.from(document.querySelectorAll('#layers td.num')).filter((td) => /\d/.test(td.textContent ?? '')).length }));
    console.log(`readtext: per-layer table ${layers.rows} rows, ${layers.timed} with GPU ms`);
    expect(layers.rows).toBeGreaterThan(3 * 10);
    if (result.profiled) expect(layers.timed).toBeGreaterThan(0);
    await page.close();
  }, PAGE_TIMEOUT + 30_000);

  it('race: winoconv, ORT WebGPU and ORT wasm (1 and 2 threads, workers) each run blazeface-front (finite ms) and the chart is drawn', async () => {
    const { result, page } = await openDemo<RaceResult>('race.html', '?model=blazeface-front&rounds=2');
    console.log(`race ${result.model}: ${result.impls.map((i) => `${i.name} session ${i.createMs.toFixed(0)} ms, runs ${i.runs.map((v) => v.toFixed(1)).join(' / ')} ms${i.error ? ` ERROR ${i.error}` : ''}`).join('; ')}`);
    expect(result.impls.map((i) => i.name)).toEqual(['winoconv', 'ort-webgpu', 'ort-wasm-1', 'ort-wasm-2']);
    for (const i of result.impls) {
      expect(i.error, i.name).toBeUndefined();
      expect(i.runs.length, i.name).toBeGreaterThanOrEqual(1);
      expect(i.runs.every((v) => Number.isFinite(v) && v > 0), `${i.name}: ${i.runs}`).toBe(true);
    }
    const chart = await page.evaluate(() => {
      const svg = document.querySelector('#chart svg');
      return svg ? { circles: svg.querySelectorAll('circle').length, lines: svg.querySelectorAll('polyline').length } : undefined;
    });
    expect(chart, 'the chart SVG').toBeDefined();
    expect(chart!.circles).toBe(result.impls.reduce((a, i) => a + i.runs.length, 0));
    await page.close();
  }, PAGE_TIMEOUT + 30_000);
});
