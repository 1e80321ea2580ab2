/** `winoconv tune [--suite NAME] [--file FILE] [--export FILE]`: findConv2d per layer; winners kept in the tuning file. */
import type { Verb } from './verb.ts';

export const tuneVerb: Verb = {
  summary:
    'Autotune each layer of a benchmark suite (default smoke): every algorithm × GEMM tile is verified against float64, ' +
    'then timed; a candidate that fails verification is listed and never chosen. Winners go to the tuning file ' +
    '(default $WINOCONV_TUNING_FILE or ~/.cache/winoconv/tuning.json), keyed by adapter, engine version, layer and size; ' +
    '--export FILE writes them as JSON for shipping with a model.',
  usage: 'winoconv tune [--suite NAME] [--file FILE] [--export FILE] [--runs N]',
  options: { suite: { type: 'string' }, file: { type: 'string' }, export: { type: 'string' }, runs: { type: 'string' } },
  gpu: () => ({ node: true }),
  async run(values) {
    const { findSuite } = await import('../../bench/suites.ts');
    const { createNodeEngine } = await import('../node/engine.ts');
    const { FileTuningStore } = await import('../node/tuning-store.ts');
    const { tuningKey } = await import('../engine/tuner.ts');
    const { writeFileSync } = await import('node:fs');
    const suite = findSuite((values.suite as string | undefined) ?? 'smoke');
    const runs = values.runs === undefined ? 5 : Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs = ${String(values.runs)}: must be an integer >= 1`);
    const store = new FileTuningStore((values.file as string | undefined) ?? undefined);
    const engine = await createNodeEngine({ tuningStore: store });
    try {
      for (const [i, layer] of suite.layers.entries()) {
        const g = layer.geom;
        const desc = { inChannels: g.inChannels, outChannels: g.outChannels, kernelSize: [g.kernelH, g.kernelW] as [number, number], strides: g.strides, pads: g.pads, dilations: g.dilations, groups: g.groups, activation: 'relu' as const };
        process.stderr.write(`[${i + 1}/${suite.layers.length}] ${layer.name}: verifying and timing every candidate ...\n`);
        const size = { batch: g.batch, height: g.inHeight, width: g.inWidth };
        const found = await engine.findConv2d(desc, { size, runs });
        console.log(`${layer.name} (${found.method})`);
        for (const r of found.results) {
          const mark = r === found.best ? '*' : ' ';
          console.log(`  ${mark} ${r.algorithm.padEnd(11)} ${(r.tuning.gemmTile ?? '-').padEnd(20)} ${r.status.padEnd(19)} ${r.ms === undefined ? '        -' : `${r.ms.toFixed(3).padStart(9)} ms`}  ${r.maxRelError === undefined ? '' : `maxRel ${r.maxRelError.toExponential(2)}`}${r.status === 'usable' ? '' : `  ${r.reason.split('\n')[0]}`}`);
        }
        if (found.best) store.set(tuningKey(engine, engine.context(desc, { weights: new Float32Array(g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW) }).desc, size), { algorithm: found.best.algorithm, tuning: found.best.tuning, ms: found.best.ms ?? 0, method: found.method });
      }
    } finally {
      engine.destroy();
    }
    console.log(`tuning file: ${store.file} (${Object.keys(store.export()).length} entries)`);
    if (values.export) {
      writeFileSync(values.export as string, JSON.stringify(store.export(), null, 2) + '\n');
      console.log(`exported: ${values.export}`);
    }
    return 0;
  },
};
