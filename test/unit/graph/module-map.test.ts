import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// DESIGN.md §2: src/graph sits below the engine: it may import conv/, quant/, reference/ (quantization tables), kernels/, runtime/, engine/ and util/, never the reverse; nothing in src/graph imports node:*
// (it runs in the browser); the pure modules and the engine know no graph.
const src = fileURLToPath(new URL('../../../src/', import.meta.url));
const files = (dir: string): string[] =>
  readdirSync(src + dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => `${e.parentPath.slice(src.length)}/${e.name}`.replace(/\/+/g, '/'));
const imports = (file: string) => [...readFileSync(src + file, 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1]);

describe('module map around src/graph', () => {
  it('src/graph imports no node:* module and nothing outside graph/ but conv/, quant/, reference/, kernels/, runtime/, engine/, util/ and protobufjs', () => {
    const bad = files('graph').flatMap((f) =>
      imports(f).filter((i) => i.startsWith('node:') || (i.startsWith('../') && !/^\.\.\/(conv|quant|reference|kernels|runtime|engine|util)\//.test(i)) || (!i.startsWith('.') && i !== 'protobufjs/light.js')).map((i) => `${f}: ${i}`),
    );
    expect(bad).toEqual([]);
    expect(files('graph').length).toBeGreaterThan(5);
  });
  it.each(['winograd', 'conv', 'quant', 'reference', 'kernels', 'runtime', 'engine'])('src/%s does not import src/graph', (dir) => {
    const bad = files(dir).flatMap((f) => imports(f).filter((i) => /(^|\/)graph\//.test(i)).map((i) => `${f}: ${i}`));
    expect(bad).toEqual([]);
  });
});
