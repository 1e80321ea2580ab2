/** The GPU cases on WebGPU in headless Chromium (puppeteer-core), page served from 127.0.0.1. */
import { afterAll, beforeAll } from 'vitest';
import { findChromium, INSTALL_HINT } from '../../src/node/browser.ts';
import { openBrowserSession, type BrowserSession } from '../../src/node/browser-session.ts';
import { registerGpuSuite, type GpuRunner } from './harness/register.ts';
import type { GpuCaseResult } from './harness/types.ts';
import { registerFuzzSlice } from './fuzz-slice.ts';

let session: BrowserSession | undefined;
let runner: GpuRunner;

// In CI a missing browser is a failure (beforeAll throws with the install hint), not a skip.
const requireBrowser = Boolean(process.env.CI || process.env.WINOCONV_REQUIRE_BROWSER);
const skipReason = !requireBrowser && !findChromium().path ? INSTALL_HINT : undefined;

beforeAll(async () => {
  if (skipReason) return;
  // protobufjs (the session cases write their models with the repo's ONNX writer) is CommonJS: pre-bundled for the page.
  session = await openBrowserSession({ page: 'test/gpu/browser/index.html', readyGlobal: '__winoconvTests', prebundle: ['protobufjs/light.js'] });
  const adapter = await session.page.evaluate(() => window.__winoconvTests!.adapter());
  console.log(`gpu-browser: ${session.version} adapter: ${adapter}`);
  const page = session.page;
  runner = {
    runCase: (name) => page.evaluate((n) => window.__winoconvTests!.runCase(n), name) as Promise<GpuCaseResult>,
    runSelfTest: (key) => page.evaluate((k) => window.__winoconvTests!.runSelfTest(k), key) as Promise<GpuCaseResult>,
  };
});

afterAll(async () => {
  await session?.close();
});

registerGpuSuite('browser', () => runner, skipReason);

registerFuzzSlice('browser', (opts) => session!.page.evaluate((o) => window.__winoconvTests!.fuzz(o), opts), skipReason);
