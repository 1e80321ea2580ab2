/** `winoconv ensure-browser`: find (as root with apt-get, install) Chromium and what Dawn needs; the GPU verbs' first step. */
import type { Verb } from './verb.ts';
import { ensureGpu } from '../node/gpu-setup.ts';

export const ensureBrowserVerb: Verb = {
  summary:
    'Find Chromium (CHROME_PATH, system, puppeteer cache) and a Vulkan loader + driver for Dawn; as root with apt-get, install Debian chromium + libvulkan1 when missing; ' +
    'else print exactly what to install (exit 1). Prints the Chromium path. The GPU verbs and the test run do the same first.',
  usage: 'winoconv ensure-browser [--no-install]',
  options: { 'no-install': { type: 'boolean' } },
  async run(values) {
    const r = ensureGpu({ browser: true, node: true, install: !values['no-install'] });
    console.log(r.chromium);
    return 0;
  },
};
