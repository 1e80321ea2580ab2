#!/usr/bin/env node
// `npm run build` (and `prepack`): the package build in dist/.
//  1. tsc -p tsconfig.build.json: ES modules + .d.ts for the browser entry (src/index.ts), the Node entry
//     (src/node/index.ts), the CLI (src/cli/main.ts) and the CLI's browser page, with what they import from bench/.
//  2. .d.ts files: relative `.ts` specifiers become `.js` (tsc rewrites them in JS only), and the entry .d.ts
//     files reference @webgpu/types so that a consumer's tsc knows GPUDevice & co.
//  3. the CLI page's index.html next to its compiled entry.js.
//  4. checks: no test/ folder, no .ts sources other than .d.ts, no `.ts` specifier left, no node:* import in
//     the browser entry's module graph.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const t0 = Date.now();
const fail = (msg) => {
  console.error(`build: ${msg}`);
  process.exit(1);
};

rmSync(dist, { recursive: true, force: true });
const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  // `npm pack` of a fresh clone: prepack runs before anything is installed. The build needs the dev dependencies.
  console.error('build: typescript (a dev dependency) is not installed: running `npm ci` first ...');
  const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (ci.status !== 0) fail(`npm ci failed (exit ${ci.status}); run it yourself, then npm run build`);
  tsc = require.resolve('typescript/bin/tsc');
}
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) fail(`tsc failed (exit ${r.status})`);

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}

const relTs = /((?:from\s+|import\s*\(\s*|import\s+)['"])(\.{1,2}\/[^'"]*?)\.ts(['"])/g;
const reference = '/// <reference types="@webgpu/types" />\n';
for (const file of walk(dist)) {
  if (!file.endsWith('.d.ts')) continue;
  let text = readFileSync(file, 'utf8').replace(relTs, '$1$2.js$3');
  const rel = path.relative(dist, file);
  if ((rel === path.join('src', 'index.d.ts') || rel === path.join('src', 'node', 'index.d.ts')) && !text.startsWith(reference)) text = reference + text;
  writeFileSync(file, text);
}

const page = path.join(root, 'src/cli/browser/index.html');
const html = readFileSync(page, 'utf8');
if (!html.includes('./entry.ts')) fail('src/cli/browser/index.html no longer loads ./entry.ts');
writeFileSync(path.join(dist, 'src/cli/browser/index.html'), html.replace('./entry.ts', './entry.js'));

const problems = [];
if (existsSync(path.join(dist, 'test'))) problems.push('dist/test exists: something shipped imports test/ (move it out of test/)');
for (const file of walk(dist)) {
  const rel = path.relative(root, file);
  if (file.endsWith('.ts') && !file.endsWith('.d.ts')) problems.push(`${rel}: a .ts source in dist`);
  if (/\.(d\.ts|js)$/.test(file)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(relTs)) problems.push(`${rel}: relative import '${m[2]}.ts' left`);
  }
}
// The browser entry's static import graph must not reach node:* (dynamic imports are followed too).
const seen = new Set();
const queue = [path.join(dist, 'src/index.js')];
while (queue.length) {
  const f = queue.pop();
  if (seen.has(f)) continue;
  seen.add(f);
  const text = readFileSync(f, 'utf8');
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)) {
    const spec = m[1];
    if (spec.startsWith('node:')) problems.push(`${path.relative(root, f)} imports ${spec}: the browser entry must not reach node:*`);
    else if (spec.startsWith('.')) queue.push(path.resolve(path.dirname(f), spec));
  }
}
if (problems.length) fail(`\n  ${problems.join('\n  ')}`);
console.log(`build: dist/ in ${((Date.now() - t0) / 1000).toFixed(1)} s (${seen.size} modules in the browser entry's graph)`);
