/** bench/models/vite-plugin.ts: the /__winoconv/onnx-tests route serves files under its folder and nothing outside it. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ISOLATION_HEADERS, onnxTestsPlugin } from '../../../bench/models/vite-plugin.ts';

type Handler = (req: { url?: string }, res: FakeRes, next: () => void) => void;
class FakeRes extends Writable {
  statusCode = 0;
  headers: Record<string, string> = {};
  body = '';
  setHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void) {
    this.body += chunk.toString();
    cb();
  }
  override end(s?: unknown): this {
    if (typeof s === 'string') this.body += s;
    return super.end();
  }
}

const root = mkdtempSync(path.join(tmpdir(), 'winoconv-plugin-'));
const dir = path.join(root, 'onnx-tests');
mkdirSync(path.join(dir, 'm', 'test_data_set_0'), { recursive: true });
writeFileSync(path.join(dir, 'm', 'model.onnx'), 'MODEL');
writeFileSync(path.join(root, 'secret'), 'SECRET');
afterAll(() => rmSync(root, { recursive: true, force: true }));

let route = '';
let handler: Handler | undefined;
(onnxTestsPlugin(dir).configureServer as (s: unknown) => void)({ middlewares: { use: (r: string, h: Handler) => ((route = r), (handler = h)) } });

async function get(url: string): Promise<{ res: FakeRes; next: boolean }> {
  const res = new FakeRes();
  let next = false;
  const done = new Promise<void>((resolve) => res.on('finish', () => resolve()));
  handler!({ url }, res, () => {
    next = true;
    res.end();
  });
  await done;
  return { res, next };
}

describe('onnxTestsPlugin', () => {
  it('serves a file of a test directory with the isolation headers', async () => {
    expect(route).toBe('/__winoconv/onnx-tests/');
    const { res, next } = await get('/m/model.onnx');
    expect(next).toBe(false);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('MODEL');
    expect(res.headers).toMatchObject(ISOLATION_HEADERS);
  });
  it('refuses paths out of the folder and passes missing files and folders on', async () => {
    expect((await get('/../secret')).res.statusCode).toBe(403);
    expect((await get('/m/%2e%2e/%2e%2e/secret')).res.statusCode).toBe(403);
    expect((await get('/m/missing.pb')).next).toBe(true);
    expect((await get('/m/test_data_set_0')).next).toBe(true);
  });
});
