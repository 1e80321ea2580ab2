/**
 * `npx tsx scripts/qdq-bisect.ts MODEL.onnx [--input NAME=FILE ...] [image flags of winoconv run] [--match SUFFIX]
 * [--ort-opt all|disabled]`: finds the first node of a QDQ model where winoconv and ONNX Runtime part.
 * Every tensor whose name ends in SUFFIX (default `_QuantizeLinear_Output`: the 8-bit activations, which the QLinear*
 * nodes of the QDQ pass write under exactly these names) becomes a graph output (its dtype from the QuantizeLinear
 * zero point); the model runs once in a winoconv session (Node/Dawn) and once in onnxruntime-web's wasm backend (a
 * Node worker, as `winoconv run --peers ort-wasm`), and each tensor is printed in node order with its max difference
 * in LSB (integer units) and the number of elements that differ (by 1, and by more). The first line marked `<<` (off
 * by more than 1 LSB) names the culprit. Float graph outputs are compared too (max abs difference).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { IMAGE_OPTIONS } from '../src/cli/inputs.ts';
import { prepareRun } from '../src/cli/run.ts';
import type { DType, ValueInfo } from '../src/graph/ir.ts';
import { decodeOnnx } from '../src/graph/onnx-import.ts';
import { graphToSpec, writeOnnx } from '../src/graph/onnx-writer.ts';
import { createSession } from '../src/graph/session.ts';
import { createNodeEngine } from '../src/node/engine.ts';
import { runWasmPeerInWorker } from '../src/node/ort-peer-worker.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    input: { type: 'string', multiple: true },
    'input-shape': { type: 'string', multiple: true },
    seed: { type: 'string' },
    ...IMAGE_OPTIONS,
    match: { type: 'string' },
    'ort-opt': { type: 'string' },
    mode: { type: 'string' },
  },
});
if (positionals.length !== 1) throw new Error('usage: npx tsx scripts/qdq-bisect.ts MODEL.onnx [--input NAME=FILE ...] [--size HxW ...] [--match SUFFIX]');
const suffix = (values.match as string | undefined) ?? '_QuantizeLinear_Output';
const ortOpt = (values['ort-opt'] as string | undefined) ?? 'all';
if (ortOpt !== 'all' && ortOpt !== 'disabled') throw new Error(`--ort-opt ${ortOpt}: all or disabled`);
const mode = (values.mode as string | undefined) ?? 'isolated';
if (mode !== 'isolated' && mode !== 'chain') throw new Error(`--mode ${mode}: isolated or chain`);

const prepared = await prepareRun(positionals[0], values);
for (const l of prepared.notes) console.log(l);
const graph = decodeOnnx(await readFile(positionals[0]));
const producer = new Map<string, { opType: string; name: string; inputs: string[] }>();
for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
// the output zero point's input of each op that writes an 8-bit tensor (QuantizeLinear and the QOperator ops)
const Y_ZP: Record<string, number> = {
  QuantizeLinear: 2, QLinearConv: 7, QLinearMatMul: 7, QLinearAdd: 7, QLinearMul: 7, QLinearSigmoid: 4, QLinearLeakyRelu: 4,
  QLinearGlobalAveragePool: 4, QLinearAveragePool: 4, QLinearConcat: 1,
};
const taps: { name: string; dtype: DType }[] = [];
const tapDtype = new Map<string, DType>();
for (const n of graph.nodes) {
  for (const o of n.outputs) {
    if (!o.endsWith(suffix)) continue;
    const k = Y_ZP[n.opType];
    const zp = k !== undefined && n.inputs[k] ? graph.initializers.get(n.inputs[k]) : undefined;
    // ops that move bytes (MaxPool, Reshape, Transpose, ...) keep their input's type
    const dtype = zp?.dtype ?? tapDtype.get(n.inputs[0]) ?? 'uint8';
    tapDtype.set(o, dtype);
    taps.push({ name: o, dtype });
  }
}
const spec = graphToSpec(graph);
const have = new Set(spec.outputs.map((o) => o.name));
const outs: ValueInfo[] = [...spec.outputs, ...taps.filter((t) => !have.has(t.name)).map((t) => ({ name: t.name, dtype: t.dtype, shape: undefined }))];
const fullModel = writeOnnx({ ...spec, outputs: outs });
console.log(`${taps.length} tensor(s) ending in '${suffix}' added as outputs`);
type Feed = { dims: number[]; data: Float32Array | Int8Array | Uint8Array; type?: 'float32' | 'int8' | 'uint8' };
const floatInputs: Record<string, Feed> = Object.fromEntries(Object.entries(prepared.inputs).map(([n, data]) => [n, { dims: prepared.inputShapes[n], data }]));

async function ortRun(m: Uint8Array, feeds: Record<string, Feed>) {
  const r = await runWasmPeerInWorker(m, feeds, 0, 3_600_000, () => undefined, ortOpt as 'all' | 'disabled');
  if (r.status !== 'ok') throw new Error(`ORT: ${r.status === 'error' ? r.message : 'timeout'}`);
  console.log(`ORT (onnxruntime-web ${r.run.version}, wasm, graphOptimizationLevel ${ortOpt}): run ${r.run.firstMs.toFixed(0)} ms`);
  return r.run.outputs;
}

let model = fullModel;
let feeds = floatInputs;
let ort: Record<string, { dims: number[]; data: Float32Array }>;
if (mode === 'isolated') {
  const full = await ortRun(fullModel, floatInputs);
  const tapType = new Map(taps.map((t) => [t.name, t.dtype]));
  const cut = new Map<string, string>();
  const nodes = spec.nodes.map((n) => {
    if (n.opType !== 'DequantizeLinear' || !tapType.has(n.inputs[0])) return n;
    const src = n.inputs[0];
    cut.set(`${src}__cut`, src);
    return { ...n, inputs: [`${src}__cut`, ...n.inputs.slice(1)] };
  });
  const cutInputs: ValueInfo[] = [...cut].map(([c, src]) => ({ name: c, dtype: tapType.get(src)!, shape: full[src].dims }));
  model = writeOnnx({ ...spec, nodes, inputs: [...spec.inputs, ...cutInputs], outputs: outs });
  feeds = { ...floatInputs };
  for (const [c, src] of cut) {
    const t = tapType.get(src)!;
    feeds[c] = { dims: full[src].dims, data: t === 'int8' ? Int8Array.from(full[src].data) : Uint8Array.from(full[src].data), type: t as 'int8' | 'uint8' };
  }
  console.log(`isolated: ${cut.size} 8-bit activation(s) cut; each node unit reads ORT's values of its inputs`);
}

const engine = await createNodeEngine();
let ours: Record<string, ArrayLike<number>>;
try {
  const t0 = performance.now();
  const session = await createSession(engine, model, { inputShapes: Object.fromEntries(Object.entries(feeds).map(([n, f]) => [n, f.dims])) });
  const t1 = performance.now();
  ours = await session.run(Object.fromEntries(Object.entries(feeds).map(([n, f]) => [n, f.data])));
  console.log(`winoconv: session ${(t1 - t0).toFixed(0)} ms, run ${(performance.now() - t1).toFixed(0)} ms`);
  session.destroy();
} finally {
  engine.destroy();
}
ort = await ortRun(model, feeds);

let first: string | undefined;
const rows: string[] = [];
for (const o of outs) {
  const a = ours[o.name];
  const b = ort[o.name]?.data;
  const p = producer.get(o.name);
  const q = p?.opType === 'QuantizeLinear' ? producer.get(p.inputs[0]) : undefined;
  const what = q ? `${q.opType} ${q.name}` : p ? `${p.opType} ${p.name}` : '?';
  if (!a || !b || a.length !== b.length) {
    rows.push(`  ${o.name}  (${what}): missing or size mismatch (winoconv ${a?.length}, ORT ${b?.length})`);
    continue;
  }
  let max = 0;
  let one = 0;
  let more = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > max) max = d;
    if (d > 1) more++;
    else if (d > 0) one++;
  }
  const integer = o.dtype !== 'float32';
  const bad = integer && max > 1;
  if (bad && first === undefined) first = `${o.name} (${what})`;
  rows.push(
    `${bad ? '<<' : '  '} ${o.name}  [${what}] ` +
      (integer ? `max ${max} LSB, ${one} off by 1, ${more} off by more (of ${a.length})` : `max abs ${max.toExponential(3)} (of ${a.length})`),
  );
}
for (const l of rows) console.log(l);
console.log(first ? `first tensor off by more than 1 LSB: ${first}` : 'every 8-bit tensor within 1 LSB');
process.exit(0);
