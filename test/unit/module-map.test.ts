/**
 * The import rules of DESIGN.md §2 over all of src/ (every import: static, type-only, re-export and dynamic):
 *
 * - arrows point down the module table and never up: a folder imports only folders of a lower row (or its own);
 *   rows: util, winograd < conv < quant < reference < kernels < runtime < engine < graph, conformance, fuzz (one row,
 *   no imports between them) < node + cli (one row); ocr imports nothing but itself; src/index.ts (the library's
 *   entry) imports no node/ or cli/;
 * - no import cycles between files;
 * - the generators and the engine never borrow from the oracle: kernels/, runtime/ and graph/ import nothing from
 *   reference/, engine/ only in verify.ts (the check against it);
 * - quant/ holds math only: no WGSL text;
 * - nothing below node/ + cli/ imports node:* (the library runs in the browser), and the library never imports
 *   bench/ or test/ (the node/ + cli/ row, the tools, may: the test generators and the benchmark verbs).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../../src/', import.meta.url));
const files = readdirSync(src, { withFileTypes: true, recursive: true })
  .filter((e) => e.isFile() && /\.ts$/.test(e.name) && !e.name.endsWith('.d.ts'))
  .map((e) => path.relative(src, path.join(e.parentPath, e.name)).split(path.sep).join('/'));

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every import specifier of a file (comments stripped first). */
function specifiers(file: string): string[] {
  const text = readFileSync(src + file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** The src-relative file a relative specifier names, or undefined (a package, node:*, or outside src/). */
function resolve(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const rel = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  return rel.startsWith('..') ? undefined : rel;
}

const folderOf = (f: string) => (f.includes('/') ? f.split('/')[0] : '(root)');
const RANK: Record<string, number> = {
  util: 0, winograd: 0, conv: 1, quant: 2, reference: 3, kernels: 4, runtime: 5, engine: 6,
  graph: 7, conformance: 7, fuzz: 7, node: 8, cli: 8, ocr: 0, types: 0,
};
const SHARED_ROW = [['node', 'cli']];

const edges = new Map<string, { spec: string; to?: string }[]>(files.map((f) => [f, specifiers(f).map((spec) => ({ spec, to: resolve(f, spec) }))]));

describe('module map (DESIGN.md §2)', () => {
  it('scans every file of src/', () => {
    expect(files.length).toBeGreaterThan(100);
    for (const f of files) if (folderOf(f) !== '(root)') expect(RANK[folderOf(f)], `folder of ${f} has a row`).toBeDefined();
    // the scanner sees static, type-only, re-export and dynamic imports
    const all = [...edges.values()].flat().map((e) => e.spec);
    expect(all).toContain('../node/gpu-setup.ts');
  });

  it('arrows point down the table (a folder imports only lower rows, or its own)', () => {
    const bad: string[] = [];
    for (const [f, list] of edges) {
      const a = folderOf(f);
      for (const e of list) {
        if (!e.to) continue;
        const b = folderOf(e.to);
        if (a === b || b === 'types') continue;
        if (a === '(root)') {
          if (b === 'node' || b === 'cli') bad.push(`${f} → ${e.to} (the library entry imports no node/ or cli/)`);
          continue;
        }
        if (SHARED_ROW.some((row) => row.includes(a) && row.includes(b))) continue;
        if (a === 'ocr' || b === 'ocr' ? !(b === 'ocr' && a !== 'ocr' && RANK[a] >= 7) : RANK[b] >= RANK[a]) bad.push(`${f} → ${e.to} (${a} row ${RANK[a]} → ${b} row ${RANK[b]})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('no import cycles between files', () => {
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const on = new Set<string>();
    const cycles: string[][] = [];
    let n = 0;
    const visit = (v: string): void => {
      index.set(v, n);
      low.set(v, n++);
      stack.push(v);
      on.add(v);
      for (const e of edges.get(v) ?? []) {
        const w = e.to && edges.has(e.to) ? e.to : undefined;
        if (!w) continue;
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) === index.get(v)) {
        const c: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          on.delete(w);
          c.push(w);
        } while (w !== v);
        if (c.length > 1 || (edges.get(v) ?? []).some((e) => e.to === v)) cycles.push(c.sort());
      }
    };
    for (const f of files) if (!index.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it('generators and the engine never borrow from the oracle (reference/ only in engine/verify.ts and the checkers)', () => {
    const bad = [...edges].flatMap(([f, list]) =>
      list.filter((e) => e.to?.startsWith('reference/') && ['kernels', 'runtime', 'graph', 'engine', 'quant'].includes(folderOf(f)) && f !== 'engine/verify.ts').map((e) => `${f} → ${e.to}`),
    );
    expect(bad).toEqual([]);
  });

  it('quant/ holds math only: no WGSL text', () => {
    const bad = files.filter((f) => folderOf(f) === 'quant').filter((f) => /\bfn [a-z_][a-z0-9_]*\s*\(|@compute|@group|var<(storage|uniform|workgroup)/.test(readFileSync(src + f, 'utf8')));
    expect(bad).toEqual([]);
  });

  it('the library imports no node:* below node/ + cli/, and bench/ or test/ only from node/ + cli/', () => {
    const bad: string[] = [];
    for (const [f, list] of edges) {
      const a = folderOf(f);
      for (const e of list) {
        if (e.spec.startsWith('node:') && a !== 'node' && a !== 'cli') bad.push(`${f}: ${e.spec}`);
        if (/(^|\/)(bench|test)\//.test(e.spec) && a !== 'cli' && a !== 'node' && !e.to) bad.push(`${f}: ${e.spec}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
