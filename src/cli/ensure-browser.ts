/** `winoconv ensure-browser`: find a Chromium with WebGPU, installing Debian's chromium when root and none is found. */
import type { Verb } from './main.ts';
import { ensureChromium } from '../node/browser.ts';

export const ensureBrowserVerb: Verb = {
  summary: 'Find Chromium (CHROME_PATH, system, puppeteer cache); as root with apt-get, install Debian chromium + libvulkan1 when missing; else print what to install.',
  usage: 'winoconv ensure-browser [--no-install]',
  options: { 'no-install': { type: 'boolean' } },
  async run(values) {
    const p = ensureChromium({ install: !values['no-install'] });
    console.log(p);
    return 0;
  },
};
