import { readFileSync } from 'node:fs';
import { decodeOnnx } from '../src/graph/onnx-import.ts';
import { graphToSpec, writeOnnx } from '../src/graph/onnx-writer.ts';
import { decodeTensorProto } from '../src/graph/test-data.ts';
import { createSession } from '../src/graph/session.ts';
import { createNodeEngine } from '../src/node/engine.ts';
import { runOrt } from '../src/node/ort-runner.ts';
const [modelPath, inPath] = process.argv.slice(2);
const bytes = readFileSync(modelPath);
const g = decodeOnnx(bytes);
const x = decodeTensorProto(readFileSync(inPath), 'input_0.pb');
const qs = g.nodes.filter((n) => n.opType === 'QuantizeLinear');
const spec = graphToSpec(g);
const zpType = (n: (typeof qs)[0]) => g.initializers.get(n.inputs[2])?.dtype ?? 'uint8';
const outs = [...spec.outputs, ...qs.map((n) => ({ name: n.outputs[0], dtype: zpType(n) as 'int8', shape: undefined }))];
const aug = writeOnnx({ ...spec, outputs: outs });
const inName = g.inputs[0].name;
const ort = await runOrt(aug, { [inName]: { ...x, name: inName } });
const ortMap = new Map(ort.outputs.map((t) => [t.name, t]));
const engine = await createNodeEngine();
const session = await createSession(engine, aug, { inputShapes: { [inName]: x.dims } });
const mine = await session.run({ [inName]: x.data as Float32Array });
let shown = 0;
for (const n of qs) {
  const a = mine[n.outputs[0]] as ArrayLike<number>;
  const b = ortMap.get(n.outputs[0])!.data as ArrayLike<number>;
  let max = 0, diff = 0;
  for (let i = 0; i < b.length; i++) { const d = Math.abs(Number(a[i]) - Number(b[i])); if (d > 0) diff++; max = Math.max(max, d); }
  const prod = g.nodes.find((m) => m.outputs.includes(n.inputs[0]));
  if (max > 1 || shown < 3) console.log(`${max > 1 ? '<<' : '  '} ${n.outputs[0]}  max ${max} LSB, ${diff}/${b.length} differ; producer ${prod?.opType} ${prod?.name}`);
  if (max > 1 && ++shown > 6) break;
}
session.destroy();
process.exit(0);
