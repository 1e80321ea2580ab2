import { defineConfig, type Alias, type UserConfig } from 'vite';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoAssetsPlugin } from './demo/server/assets-plugin.ts';
import { cacheDir } from './src/node/debian-assets.ts';
import { ISOLATION_HEADERS, MODELS_PREBUNDLE, onnxTestsPlugin } from './bench/models/vite-plugin.ts';

/**
 * Two jobs, one file (the library itself is built by `npm run build`: tsc, scripts/build.mjs → dist/src/):
 *
 * - `npm run demo` (`vite --config vite.config.ts demo`): the dev server for demo/ on 127.0.0.1 (WebGPU needs a
 *   secure context; 127.0.0.1 is one). In dev, `winoconv` is an alias of src/index.ts, so edits show at once.
 *   `winoconv bench --browser` starts this same server (bench/browser-driver.ts) and drives demo/bench.html.
 * - `npm run demo:build` (`vite build --mode demo`, after `npm run build`): the demo pages as static files in
 *   dist/demo/, importing the library from the package build dist/src/index.js (not from src/); `npm run demo:preview`
 *   serves them.
 *
 * The benchmark peers load from node_modules, never a CDN: TensorFlow.js through its single-file ESM builds
 * (`*.fesm.js`: its per-file ESM imports CommonJS packages, which would need Vite's dependency optimizer, and
 * that optimizer is off here because a late optimisation pass reloads the page under a running benchmark), and
 * ONNX Runtime Web through its `webgpu` bundle, whose .wasm file bench/peers/ort.ts imports with `?url`
 * (served from node_modules in dev, emitted as an asset by the demo build).
 *
 * The runtime demos (readtext, faces, race) fetch `/models/<name>.onnx` (every bench/models/catalog.ts model), the
 * OCR dictionary and sample photos from demo/server/assets-plugin.ts, in dev and in preview; the static build has
 * none of them (its pages say so). Both servers send COOP/COEP headers (cross-origin isolation: SharedArrayBuffer,
 * so ONNX Runtime Web's wasm can use threads); everything the pages load is same-origin.
 */
const root = dirname(fileURLToPath(import.meta.url));
const r = (p: string) => resolve(root, p);

export const PEER_ALIASES: Alias[] = [
  { find: /^@tensorflow\/tfjs-core$/, replacement: r('node_modules/@tensorflow/tfjs-core/dist/tf-core.fesm.js') },
  { find: /^@tensorflow\/tfjs-backend-webgpu$/, replacement: r('node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.fesm.js') },
];

/** The pages (models.html: the whole-model benchmark, `winoconv bench --models --browser`). */
const demoPages: Record<string, string> = {
  index: r('demo/index.html'),
  bench: r('demo/bench.html'),
  readtext: r('demo/readtext.html'),
  faces: r('demo/faces.html'),
  race: r('demo/race.html'),
  models: r('demo/models.html'),
};

export { ISOLATION_HEADERS };

export default defineConfig(({ command, mode, isPreview }): UserConfig => {
  const server = { host: '127.0.0.1', fs: { allow: [root] }, headers: ISOLATION_HEADERS };
  // protobufjs (the ONNX import behind createSession) is CommonJS: pre-bundled at server start (an explicit list,
  // no discovery, so no late optimisation pass reloads a page).
  const optimizeDeps = { noDiscovery: true, include: [...MODELS_PREBUNDLE] };
  // The models page's data (ONNX Runtime CPU reference outputs) come from the `npm run onnx-tests` cache, dev only.
  const plugins = [demoAssetsPlugin({ root }), ...(command === 'serve' && !isPreview ? [onnxTestsPlugin(cacheDir('onnx-tests'))] : [])];
  if (isPreview) return { root: r('demo'), plugins, preview: { host: '127.0.0.1', headers: ISOLATION_HEADERS }, build: { outDir: r('dist/demo') } };
  if (command === 'build' && mode === 'demo') {
    const lib = r('dist/src/index.js');
    if (!existsSync(lib)) throw new Error('demo build: dist/src/index.js is missing; run `npm run build` first (the demo imports the package build)');
    return {
      root: r('demo'),
      base: './',
      resolve: { alias: [...PEER_ALIASES, { find: /^winoconv$/, replacement: lib }] },
      build: { outDir: r('dist/demo'), emptyOutDir: true, sourcemap: true, target: 'es2022', rollupOptions: { input: demoPages } },
    };
  }
  if (command === 'serve') {
    return {
      root: r('demo'),
      plugins,
      server,
      optimizeDeps,
      resolve: { alias: [...PEER_ALIASES, { find: /^winoconv$/, replacement: r('src/index.ts') }] },
    };
  }
  throw new Error('vite build builds the demo only (`npm run demo:build`); the library is built by `npm run build` (tsc → dist/)');
});
