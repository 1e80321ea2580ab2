/**
 * ONNX's backend node tests (Debian's libonnx-testdata) that fall in the runtime's op set: each test's ops are read
 * from its model.onnx (decodeOnnx), not guessed from its name. The selected tests are linked into one folder of the
 * cache, so `winoconv onnx-test <that folder>` runs them all; tests with dtypes the runtime does not hold at run time
 * (other than float32, int8, uint8, int32) are listed with a reason, as candidates for a skip list.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeOnnx } from '../graph/onnx-import.ts';
import { decodeTensorProto } from '../graph/test-data.ts';
import { type Log, cacheDir, libonnxNodeTestsDir } from './debian-assets.ts';

/** The runtime's op set (issue list; default ONNX domain). */
export const RUNTIME_OPS: readonly string[] = [
  'Conv', 'ConvTranspose', 'BatchNormalization', 'Relu', 'LeakyRelu', 'PRelu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish',
  'Elu', 'Tanh', 'Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow', 'MaxPool', 'AveragePool', 'GlobalAveragePool',
  'GlobalMaxPool', 'Concat', 'Split', 'Slice', 'Pad', 'Resize', 'Transpose', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze',
  'Gemm', 'MatMul', 'Softmax', 'ReduceMean', 'Sqrt', 'Cast', 'Identity', 'Constant', 'ConstantOfShape', 'Shape', 'Gather',
  // issue 13: quantized ops (int8/uint8/int32 run-time values)
  'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'QLinearConv', 'ConvInteger', 'QLinearMatMul', 'MatMulInteger',
];

/** dtypes a session holds at run time (runtime-types.ts RUNTIME_DTYPES). */
const RUNTIME_VALUE_DTYPES = ['float32', 'int8', 'uint8', 'int32'];

export interface NodeTestInfo {
  name: string;
  dir: string;
  /** Op types of the model's nodes (sorted, unique; 'domain.Op' outside the default domain). */
  ops: string[];
  /** dtypes of the graph inputs and outputs (and of the data set's tensors). */
  dtypes: string[];
  /** Every op is in RUNTIME_OPS. */
  inOpSet: boolean;
  /** Why it is not a test of run-time dtypes only ('' when it is), or why it could not be read. */
  note: string;
}

/** Reads every test_* directory under `nodeDir`. */
export function scanNodeTests(nodeDir: string): NodeTestInfo[] {
  const out: NodeTestInfo[] = [];
  for (const name of readdirSync(nodeDir).sort()) {
    const dir = path.join(nodeDir, name);
    const model = path.join(dir, 'model.onnx');
    if (!name.startsWith('test_') || !existsSync(model) || !existsSync(path.join(dir, 'test_data_set_0'))) continue;
    let ops: string[] = [];
    const dtypes = new Set<string>();
    let note = '';
    try {
      const g = decodeOnnx(readFileSync(model));
      ops = [...new Set(g.nodes.map((n) => (n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType)))].sort();
      for (const v of [...g.inputs, ...g.outputs]) dtypes.add(v.dtype);
    } catch (e) {
      note = `model not readable: ${(e as Error).message}`;
    }
    const set0 = path.join(dir, 'test_data_set_0');
    for (const f of readdirSync(set0).filter((f) => f.endsWith('.pb'))) {
      try {
        dtypes.add(decodeTensorProto(readFileSync(path.join(set0, f)), f).dtype);
      } catch (e) {
        if (!note) note = `data set not readable: ${(e as Error).message}`;
      }
    }
    const inOpSet = !note && ops.length > 0 && ops.every((o) => RUNTIME_OPS.includes(o));
    const other = [...dtypes].filter((d) => !RUNTIME_VALUE_DTYPES.includes(d));
    if (!note && other.length) note = `uses ${other.join(', ')}: the runtime holds values as float32, int8, uint8 or int32${other.includes('int64') ? ' (int64 index/shape tensors folded at load or converted; exact only below 2^24)' : ''}`;
    out.push({ name, dir, ops, dtypes: [...dtypes].sort(), inOpSet, note });
  }
  return out;
}

export interface LibonnxSelection {
  /** The folder of links to the selected tests (run it with `winoconv onnx-test`). */
  folder: string;
  selected: NodeTestInfo[];
  all: NodeTestInfo[];
}

/** Fetches libonnx-testdata if needed, scans it, links the tests in the op set into <cache>/libonnx-node-tests/. */
export function selectLibonnxTests(log: Log = console.log): LibonnxSelection {
  const nodeDir = libonnxNodeTestsDir(log);
  const all = scanNodeTests(nodeDir);
  const selected = all.filter((t) => t.inOpSet);
  const folder = cacheDir('libonnx-node-tests');
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  for (const t of selected) symlinkSync(t.dir, path.join(folder, t.name), 'dir');
  writeFileSync(path.join(folder, '..', 'libonnx-node-tests.json'), JSON.stringify(selected.map(({ dir: _d, ...r }) => r), null, 1));
  return { folder, selected, all };
}
