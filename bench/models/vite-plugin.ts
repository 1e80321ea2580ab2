/**
 * What the Vite dev server needs for demo/models.html (the model benchmark page): COOP/COEP headers (a
 * cross-origin-isolated page: ORT Web's wasm threads need SharedArrayBuffer), protobufjs pre-bundled (ONNX decoding
 * in the page; CommonJS), and the route /__winoconv/onnx-tests/<name>/<file> to the `npm run onnx-tests` cache
 * (model.onnx, test_data_set_0/*.pb). bench/browser-driver.ts puts them in its inline config; `npm run demo` can
 * take them from here too (vite.config.ts). Node only (a Vite config module).
 */
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'vite';

/** CommonJS dependencies of the demo pages (protobufjs: the graph runtime's ONNX decoding), pre-bundled by the dev server at start. */
export const MODELS_PREBUNDLE = ['protobufjs/light.js'];

/** Headers that make a page cross-origin isolated (workers and their scripts included). */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' };

/** A Vite plugin serving `dir`/<name>/<file> at /__winoconv/onnx-tests/<name>/<file> (read-only, no `..`). */
export function onnxTestsPlugin(dir: string): Plugin {
  return {
    name: 'winoconv-onnx-tests',
    configureServer(server) {
      server.middlewares.use('/__winoconv/onnx-tests/', (req, res, next) => {
        const rel = decodeURIComponent((req.url ?? '').split('?')[0]).replace(/^\/+/, '');
        const file = path.resolve(dir, rel);
        if (!file.startsWith(path.resolve(dir) + path.sep) || rel.split('/').includes('..')) {
          res.statusCode = 403;
          res.end('forbidden');
          return;
        }
        let size: number;
        try {
          const st = statSync(file);
          if (!st.isFile()) throw new Error('not a file');
          size = st.size;
        } catch {
          next();
          return;
        }
        res.statusCode = 200;
        for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Length', String(size));
        createReadStream(file).pipe(res);
      });
    },
  };
}
