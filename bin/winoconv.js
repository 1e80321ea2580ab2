#!/usr/bin/env node
// The `winoconv` command. Runs the TypeScript sources through tsx (no build step), after making sure Dawn
// can find a Vulkan loader: when only Chromium's bundled libvulkan.so.1 exists, the process re-executes
// itself once with LD_LIBRARY_PATH pointing at it (the dynamic linker reads that only at start-up).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const here = fileURLToPath(import.meta.url);
const { vulkanLoaderEnv } = await import('../src/node/vulkan-env.ts');

const add = vulkanLoaderEnv(process.env);
if (add.LD_LIBRARY_PATH && !process.env.WINOCONV_REEXEC) {
  const r = spawnSync(process.execPath, [here, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, ...add, WINOCONV_REEXEC: '1' },
  });
  process.exit(r.status ?? 1);
}
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
