/** `winoconv info [--browser] [--json]`: the adapter, its features, WGSL language features and limits. */
import type { Verb } from './verb.ts';
import { describeAdapter, formatAdapterReport, type AdapterReport } from '../runtime/adapter-info.ts';

export const infoVerb: Verb = {
  summary: 'Print the WebGPU adapter (vendor, architecture), its features, WGSL language features and limits, in Node (Dawn) or with --browser in headless Chromium.',
  usage: 'winoconv info [--browser] [--json]',
  options: { browser: { type: 'boolean' }, json: { type: 'boolean' } },
  gpu: (v) => (v.browser ? { browser: true } : { node: true }),
  async run(values) {
    let report: AdapterReport;
    let where: string;
    if (values.browser) {
      const { openBrowserSession } = await import('../node/browser-session.ts');
      const s = await openBrowserSession({ page: 'src/cli/browser/index.html', readyGlobal: '__winoconvCli', install: true });
      try {
        report = await s.page.evaluate(() => window.__winoconvCli!.info());
        where = `headless Chromium ${s.version} (${s.executablePath})`;
      } finally {
        await s.close();
      }
    } else {
      const { getNodeGPU, noAdapterHint } = await import('../node/dawn.ts');
      const gpu = await getNodeGPU();
      try {
        report = await describeAdapter(gpu);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${noAdapterHint()}`);
      }
      where = `Node ${process.version}, Dawn (npm webgpu)`;
    }
    if (values.json) console.log(JSON.stringify({ environment: where, ...report }, null, 2));
    else console.log(formatAdapterReport(report, where));
    return 0;
  },
};
