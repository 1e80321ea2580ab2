/**
 * Per-model session statistics in Node (Dawn): `npx tsx bench/models/session-stats.ts [DIR...]` over ONNX test-data
 * directories (default: every directory `npm run onnx-tests` generates). Prints, per model: nodes in the file and
 * after the passes, convolutions by chosen algorithm, arena against peak live bytes, weight bytes, session-creation
 * time, first-run and steady-state (median of 5) latency, and the max relative error against ONNX Runtime's stored
 * outputs. `--json FILE` writes the same as JSON.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createNodeEngine } from '../../src/node/engine.ts';
import { createSession } from '../../src/graph/session.ts';
import { decodeOnnx } from '../../src/graph/onnx-import.ts';
import { decodeTensorProto, judgeOutput, DEFAULT_TOLERANCE, toFloat32 } from '../../src/graph/test-data.ts';
import { dataSetsOf } from '../../src/node/onnx-test-dirs.ts';
import { ONNX_TEST_NAMES, onnxTestsDir } from '../../src/node/onnx-testgen.ts';

const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args.splice(jsonAt, 2)[1] : undefined;
const dirs = args.length ? args : ONNX_TEST_NAMES.map((n) => path.join(onnxTestsDir(), n));
const engine = await createNodeEngine();
const results = [];
for (const dir of dirs) {
  const [set] = await dataSetsOf(dir);
  const bytes = readFileSync(set.model);
  const file = decodeOnnx(bytes);
  const inputs = set.inputs.map((f, k) => decodeTensorProto(readFileSync(f), `input_${k}.pb`));
  const refs = set.outputs.map((f, k) => decodeTensorProto(readFileSync(f), `output_${k}.pb`));
  const inputShapes = Object.fromEntries(file.inputs.map((v, k) => [v.name, [...inputs[k].dims]]));
  const feeds = Object.fromEntries(file.inputs.map((v, k) => [v.name, toFloat32(inputs[k])]));
  const t0 = performance.now();
  const s = await createSession(engine, bytes, { inputShapes });
  const createMs = performance.now() - t0;
  let t = performance.now();
  const ys = await s.run(feeds);
  const firstMs = performance.now() - t;
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    t = performance.now();
    await s.run(feeds);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  let maxRel = 0;
  file.outputs.forEach((o, k) => {
    if (refs[k]) maxRel = Math.max(maxRel, judgeOutput(ys[o.name], s.info.outputs[k].shape, refs[k], DEFAULT_TOLERANCE).maxRelError);
  });
  const convs: Record<string, number> = {};
  for (const n of s.info.nodes) if (n.verification) convs[n.algorithm] = (convs[n.algorithm] ?? 0) + 1;
  const r = {
    model: path.basename(dir), nodesInFile: file.nodes.length, nodesRun: s.info.nodes.length, convs,
    arenaBytes: s.info.memory.arenaBytes, peakLiveBytes: s.info.memory.peakLiveBytes, weightBytes: s.info.memory.weightBytes,
    createMs: Math.round(createMs), firstMs: Math.round(firstMs), steadyMs: Math.round(times[2]), maxRelError: maxRel,
  };
  results.push(r);
  console.log(`${r.model}: nodes ${r.nodesInFile} → ${r.nodesRun}; convs ${Object.entries(convs).map(([a, c]) => `${a} ${c}`).join(', ')}; arena ${(r.arenaBytes / 2 ** 20).toFixed(2)} MiB / peak ${(r.peakLiveBytes / 2 ** 20).toFixed(2)} MiB (${(r.arenaBytes / r.peakLiveBytes).toFixed(3)}); weights ${(r.weightBytes / 2 ** 20).toFixed(1)} MiB; create ${r.createMs} ms; first ${r.firstMs} ms; steady ${r.steadyMs} ms; max rel ${maxRel.toExponential(2)}`);
  s.destroy();
}
if (jsonFile) writeFileSync(jsonFile, JSON.stringify(results, null, 1));
engine.destroy();
process.exit(0);
