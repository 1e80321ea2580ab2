/**
 * auto against the fastest verified candidate, per conv layer, in Node (Dawn), without the bench CLI:
 *
 *   npx tsx bench/models/auto-check-run.ts [--runs N] [--filter REGEX] [--json FILE] MODEL...
 *
 * MODEL: a name of the onnx-tests cache (`npm run onnx-tests`; $WINOCONV_CACHE_DIR/onnx-tests/<name>) or a test
 * directory. Prints one line per distinct layer (auto alg/tile and ms, best alg/tile and ms, slowdown) and a closing
 * table; writes every row with each candidate's time to FILE (default bench/results/auto-check.json).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createNodeEngine } from '../../src/node/engine.ts';
import { decodeOnnx } from '../../src/graph/onnx-import.ts';
import { decodeTensorProto, toFloat32 } from '../../src/graph/test-data.ts';
import { dataSetsOf } from '../../src/node/onnx-test-dirs.ts';
import { onnxTestsDir } from '../../src/node/onnx-testgen.ts';
import { checkAuto, formatAutoCheckRow, type AutoCheckDetail } from './auto-check.ts';
import type { BenchTensor, ModelCase } from './types.ts';

const args = process.argv.slice(2);
const take = (flag: string) => {
  const at = args.indexOf(flag);
  return at >= 0 ? args.splice(at, 2)[1] : undefined;
};
const jsonFile = take('--json') ?? 'bench/results/auto-check.json';
const runs = Number(take('--runs') ?? 5);
const filterText = take('--filter');
const filter = filterText ? new RegExp(filterText) : undefined;
if (!args.length) {
  console.error('usage: npx tsx bench/models/auto-check-run.ts [--runs N] [--filter REGEX] [--json FILE] MODEL...');
  process.exit(2);
}

async function loadCase(nameOrDir: string): Promise<ModelCase> {
  const dir = existsSync(nameOrDir) ? nameOrDir : path.join(onnxTestsDir(), nameOrDir);
  const [set] = await dataSetsOf(dir);
  const bytes = new Uint8Array(readFileSync(set.model));
  const file = decodeOnnx(bytes);
  const tensor = (f: string, what: string): BenchTensor => {
    const t = decodeTensorProto(readFileSync(f), what);
    return { dims: [...t.dims].map(Number), data: toFloat32(t) };
  };
  const inputs = Object.fromEntries(file.inputs.map((v, k) => [v.name, tensor(set.inputs[k], `input_${k}.pb`)]));
  const reference = Object.fromEntries(file.outputs.map((v, k) => [v.name, tensor(set.outputs[k], `output_${k}.pb`)]).filter(([, t]) => t));
  const name = path.basename(dir);
  const input = Object.values(inputs)[0]?.dims.join('×') ?? '';
  return { spec: { name, label: name, input }, model: bytes, inputs, reference, convFlops: 0 };
}

const engine = await createNodeEngine();
const all: AutoCheckDetail[] = [];
const save = () => {
  mkdirSync(path.dirname(jsonFile), { recursive: true });
  writeFileSync(jsonFile, JSON.stringify({ schema: 'winoconv-auto-check/1', date: new Date().toISOString(), runs, rows: all }, null, 1));
};
try {
  for (const m of args) {
    const t0 = performance.now();
    const rows = await checkAuto(engine, await loadCase(m), { runs, filter, progress: (l) => console.log(l) });
    all.push(...rows);
    save();
    console.log(`${m}: ${rows.length} layers in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
} finally {
  engine.destroy();
}
console.log('\nmodel          layer                      auto                              ms           best                              ms        slowdown  node');
for (const r of all) console.log(formatAutoCheckRow(r));
const over = all.filter((r) => r.slowdown > 0.1);
console.log(`\n${all.length} layers; auto > 10 % slower than the best verified candidate on ${over.length}`);
save();
console.log(`wrote ${jsonFile}`);
