/**
 * The `winoconv` command: argument parsing and dispatch. Each verb lives in its own module.
 */
import { parseArgs } from 'node:util';
import type { Verb } from './verb.ts';

export type { Verb } from './verb.ts';

const VERBS: Record<string, () => Promise<Verb>> = {
  info: async () => (await import('./info.ts')).infoVerb,
  transforms: async () => (await import('./transforms.ts')).transformsVerb,
  conformance: async () => (await import('./conformance.ts')).conformanceVerb,
  'gpu-test': async () => (await import('./gpu-test.ts')).gpuTestVerb,
  tune: async () => (await import('./tune.ts')).tuneVerb,
  bench: async () => (await import('./bench.ts')).benchVerb,
  'ensure-browser': async () => (await import('./ensure-browser.ts')).ensureBrowserVerb,
  fuzz: async () => (await import('./fuzz.ts')).fuzzVerb,
  run: async () => (await import('./run.ts')).runVerb,
  'onnx-test': async () => (await import('./onnx-test.ts')).onnxTestVerb,
  quantize: async () => (await import('./quantize.ts')).quantizeVerb,
};

async function help(): Promise<string> {
  const lines = ['winoconv: WebGPU Winograd convolution engine', '', 'Usage: winoconv <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(VERBS)) {
    const v = await load();
    lines.push(`  ${v.usage}`, `      ${v.summary}`);
  }
  lines.push('', 'Run `winoconv <command> --help` for the options of one command.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await help());
    return name ? 0 : 1;
  }
  const load = VERBS[name];
  if (!load) {
    console.error(`winoconv: unknown command '${name}'. Commands: ${Object.keys(VERBS).join(', ')}`);
    return 2;
  }
  const verb = await load();
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...verb.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: verb.allowPositionals ?? false, strict: true });
  } catch (e) {
    console.error(`winoconv ${name}: ${(e as Error).message}\nUsage: ${verb.usage}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(`Usage: ${verb.usage}\n\n${verb.summary}`);
    return 0;
  }
  try {
    const needs = verb.gpu?.(parsed.values as Record<string, unknown>);
    if (needs) {
      // The first GPU step finds WebGPU or makes it available (as root with apt-get), before Dawn is loaded.
      const { ensureGpu } = await import('../node/gpu-setup.ts');
      ensureGpu({ ...needs, install: !process.env.WINOCONV_NO_INSTALL });
    }
    return await verb.run(parsed.values as Record<string, unknown>, parsed.positionals);
  } catch (e) {
    console.error(`winoconv ${name}: ${(e as Error).message}`);
    if (process.env.WINOCONV_VERBOSE) console.error((e as Error).stack);
    return 1;
  }
}
