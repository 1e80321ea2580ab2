#!/usr/bin/env node
// The `winoconv` command. From the npm package it runs the compiled CLI in dist/ with plain node; in a checkout
// (src/ present, tsx installed as a dev dependency) it runs the TypeScript sources through tsx, no build step.
// First it makes sure Dawn can find a Vulkan loader: when only Chromium's bundled libvulkan.so.1 exists, the
// process re-executes itself once with LD_LIBRARY_PATH pointing at it (the dynamic linker reads that only at
// start-up). Installing what is missing (as root with apt-get) happens at the start of each GPU verb.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const source = new URL('../src/cli/main.ts', import.meta.url);
let fromSource = false;
if (existsSync(source) && !process.env.WINOCONV_USE_DIST) {
  try {
    const { register } = await import('tsx/esm/api');
    // The repo's tsconfig wherever the command is started from: its `paths` map the `winoconv` self-imports of
    // bench/ to src/ (the package's exports point at dist/).
    register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
    fromSource = true;
  } catch {
    // a checkout without dev dependencies: fall back to dist/ (npm run build)
  }
}
const mod = (p) => new URL(fromSource ? `../src/${p}.ts` : `../dist/src/${p}.js`, import.meta.url).href;
if (!fromSource && !existsSync(new URL(mod('cli/main'), import.meta.url))) {
  console.error('winoconv: dist/ is missing. In a checkout run `npm ci` (the CLI then runs from src/ through tsx) or `npm run build`.');
  process.exit(1);
}
const { vulkanLoaderEnv } = await import(mod('node/vulkan-env'));

const add = vulkanLoaderEnv(process.env);
if (add.LD_LIBRARY_PATH && !process.env.WINOCONV_REEXEC) {
  const r = spawnSync(process.execPath, [here, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, ...add, WINOCONV_REEXEC: '1' },
  });
  process.exit(r.status ?? 1);
}
const { main } = await import(mod('cli/main'));
process.exitCode = await main(process.argv.slice(2));
