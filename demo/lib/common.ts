/**
 * What the runtime demo pages share: the navigation bar, fetching the models and files the demo server serves
 * (demo/server/assets-plugin.ts), the engine, the status line, and `window.__winoconvDemo` (how a test waits for a
 * page's result: test/demo/pages.test.ts).
 */
import { createEngine, type Engine } from 'winoconv';

export interface DemoHandle<R> {
  /** Resolves with the page's first result (rejects on a failure that stops the page). */
  ready: Promise<R>;
  done: boolean;
  result?: R;
  error?: string;
  /** Status lines so far (progress), newest last. */
  log: string[];
}

declare global {
  interface Window {
    __winoconvDemo?: DemoHandle<unknown>;
  }
}

export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo page: no element #${id}`);
  return el as T;
};

export const PAGES = [
  { href: './index.html', label: 'winoconv' },
  { href: './readtext.html', label: 'Read text' },
  { href: './faces.html', label: 'Find faces' },
  { href: './race.html', label: 'Race' },
  { href: './bench.html', label: 'Benchmark' },
];

/** Fills <nav id="nav"> with links to every page (the current one in bold). */
export function renderNav(): void {
  const nav = document.getElementById('nav');
  if (!nav) return;
  const here = location.pathname.split('/').pop() || 'index.html';
  nav.innerHTML = PAGES.map((p) => (p.href.endsWith(here) ? `<b>${p.label}</b>` : `<a href="${p.href}">${p.label}</a>`)).join(' · ');
}

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const median = (xs: readonly number[]): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const fmtMs = (ms: number | undefined): string => (ms === undefined || !Number.isFinite(ms) ? '—' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

/** Why a served file is missing: the static build has no server plugin. */
const SERVER_NOTE = 'models and samples are served by the demo server plugin (demo/server/assets-plugin.ts): run `npm run demo` (dev) or `npm run demo:preview` (after `npm run demo:build`); a plain static copy of dist/demo has none of them';

/** GET a file the demo server serves (relative to the page: the build uses base './'). */
export async function fetchServed(path: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(new URL(path, location.href));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}; ${SERVER_NOTE}`);
  }
  const type = res.headers.get('content-type') ?? '';
  // a static server (or Vite's SPA fallback) answers 404 or index.html for files it does not have
  if (!res.ok || type.startsWith('text/html')) throw new Error(`${path}: ${res.ok ? 'an HTML page came back' : `HTTP ${res.status} ${await res.text().catch(() => '')}`.trim()}; ${SERVER_NOTE}`);
  return res;
}

export async function fetchModel(name: string): Promise<Uint8Array> {
  return new Uint8Array(await (await fetchServed(`models/${name}.onnx`)).arrayBuffer());
}

/** The engine on this browser's WebGPU, or a readable error. `timestamps`: whether sessions can profile. */
export async function demoEngine(): Promise<{ engine: Engine; timestamps: boolean }> {
  if (!navigator.gpu) throw new Error('this browser has no WebGPU (navigator.gpu is missing): use Chrome/Edge 113+ or enable WebGPU');
  const engine = await createEngine({ gpu: navigator.gpu });
  return { engine, timestamps: engine.device.features.has('timestamp-query') };
}

/** The page's handle for tests, and a status line writer. */
export function demoHandle<R>(statusEl: HTMLElement): {
  handle: DemoHandle<R>;
  status: (line: string) => void;
  resolve: (r: R) => void;
  fail: (e: unknown) => void;
} {
  let resolve!: (r: R) => void;
  let reject!: (e: unknown) => void;
  const ready = new Promise<R>((res, rej) => { resolve = res; reject = rej; });
  ready.catch(() => undefined); // a failure is shown on the page and kept in handle.error
  const handle: DemoHandle<R> = { ready, done: false, log: [] };
  window.__winoconvDemo = handle as DemoHandle<unknown>;
  const status = (line: string) => {
    handle.log.push(line);
    statusEl.textContent = line;
    statusEl.classList.remove('error');
  };
  return {
    handle,
    status,
    resolve: (r) => { handle.result = r; if (!handle.done) { handle.done = true; resolve(r); } },
    fail: (e) => {
      const msg = e instanceof Error ? e.message : String(e);
      handle.error = msg;
      handle.log.push(`error: ${msg}`);
      statusEl.textContent = `Error: ${msg}`;
      statusEl.classList.add('error');
      console.error(e);
      if (!handle.done) { handle.done = true; reject(e); }
    },
  };
}

/** Seeded uniform values in [lo, hi) (mulberry32). */
export function seededValues(n: number, seed = 1, lo = 0, hi = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** Shared page CSS (each page adds its own). */
export const DEMO_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem 2rem; max-width: 72rem; }
nav { margin-bottom: 0.5rem; }
#status { padding: 0.4rem 0.6rem; background: #eef3fb; border-radius: 4px; white-space: pre-wrap; }
#status.error { background: #fde8e8; color: #8a1010; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
canvas { border: 1px solid #bbb; max-width: 100%; }
.note { color: #666; font-size: 12px; }
`;

export function addCss(extra = ''): void {
  const style = document.createElement('style');
  style.textContent = DEMO_CSS + extra;
  document.head.append(style);
}
