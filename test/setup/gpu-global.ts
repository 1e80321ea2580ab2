/**
 * Vitest global setup of the GPU projects (gpu-node, gpu-browser, consumer): the first GPU step finds WebGPU or
 * makes it available before any test worker starts, with the same finder/installer as `winoconv ensure-browser`
 * (src/node/gpu-setup.ts): as root with apt-get it installs Debian's chromium (SwiftShader) and libvulkan1;
 * otherwise it throws with exactly what to install, and the run fails (no test silently passes or skips).
 *
 * Then it puts what Dawn needs into this process's environment (VK_ICD_FILENAMES, and LD_LIBRARY_PATH when only
 * Chromium's bundled Vulkan loader exists): the forked test workers, spawned after this, inherit it.
 * WINOCONV_NO_INSTALL=1 turns installing off.
 */
import type { TestProject } from 'vitest/node';
import { ensureGpu } from '../../src/node/gpu-setup.ts';
import { vulkanLoaderEnv } from '../../src/node/vulkan-env.ts';

const NEEDS: Record<string, { node?: boolean; browser?: boolean }> = {
  'gpu-node': { node: true },
  'gpu-browser': { browser: true },
  models: { node: true, browser: true },
  consumer: { node: true, browser: true },
  demo: { browser: true },
};

export default function setup(project: TestProject): void {
  const needs = NEEDS[project.name] ?? { node: true, browser: true };
  const t0 = Date.now();
  const r = ensureGpu({ ...needs, install: !process.env.WINOCONV_NO_INSTALL, log: (l) => process.stderr.write(`${l}\n`) });
  Object.assign(process.env, vulkanLoaderEnv(process.env));
  const what = [needs.node ? 'Dawn' : '', needs.browser ? `Chromium ${r.chromium}` : ''].filter(Boolean).join(' + ');
  const note = r.installed.length ? `, installed ${r.installed.join(' ')} in ${((Date.now() - t0) / 1000).toFixed(0)} s` : '';
  process.stderr.write(`${project.name}: WebGPU ready (${what}${note})\n`);
}
