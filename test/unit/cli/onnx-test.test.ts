/**
 * `winoconv onnx-test` before the real Session exists: the pure judge, and the command end to end with an injected
 * runner backed by ONNX Runtime (onnxruntime-web wasm, one thread) on test-data dirs whose references ORT made,
 * including deliberately wrong outputs that must fail and a session-creation error that must be a line, not a crash.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTolerance, runOnnxTests } from '../../../src/cli/onnx-test.ts';
import { type Tensor, fromNumbers } from '../../../src/graph/ir.ts';
import { decodeOnnx } from '../../../src/graph/onnx-import.ts';
import { attr, writeOnnx } from '../../../src/graph/onnx-writer.ts';
import { type OnnxTestRow, type TestRunner, bindByName, dequantizedOutputScale, encodeTensorProto, judgeDequantized, judgeOutput } from '../../../src/graph/test-data.ts';
import { ensureOnnxTests } from '../../../src/node/onnx-testgen.ts';
import { findDataSets } from '../../../src/node/onnx-test-dirs.ts';
import { ortRunner, runOrt } from '../../../src/node/ort-runner.ts';

const TOL = { rtol: 1e-4, atol: 1e-6 };
const f32 = (dims: number[], v: number[]): Tensor => fromNumbers('', 'float32', dims, v);

describe('judgeOutput', () => {
  const ref = f32([4], [1, -2, 3, 4]);
  it('measures max abs and max rel = max|y − ref| / max|ref|', () => {
    const v = judgeOutput(new Float32Array([1, -2, 3, 4.0003]), [4], ref, TOL);
    expect(v.maxAbsError).toBeCloseTo(3e-4, 6);
    expect(v.maxRelError).toBeCloseTo(0.75e-4, 6);
    expect(v.pass).toBe(true);
    const bad = judgeOutput(new Float32Array([1, -2, 3.01, 4]), [4], ref, TOL);
    expect(bad.pass).toBe(false);
    expect(bad.message).toMatch(/max rel error 2.50e-3 > rtol 0.0001/);
  });
  it('passes on atol when the reference is (nearly) all zero; 0/0 is 0', () => {
    const z = f32([3], [0, 0, 0]);
    expect(judgeOutput(new Float32Array([0, 0, 0]), undefined, z, TOL)).toMatchObject({ pass: true, maxRelError: 0 });
    expect(judgeOutput(new Float32Array([0, 5e-7, 0]), undefined, z, TOL)).toMatchObject({ pass: true, maxRelError: Infinity });
    expect(judgeOutput(new Float32Array([0, 5e-6, 0]), undefined, z, TOL).pass).toBe(false);
    expect(judgeOutput(new Float32Array([0, 5e-6, 0]), undefined, z, { rtol: 1e-4, atol: 1e-5 }).pass).toBe(true);
  });
  it('NaN in y where ref has none fails; NaN/Inf matching the reference passes', () => {
    expect(judgeOutput(new Float32Array([1, NaN, 3, 4]), undefined, ref, TOL)).toMatchObject({ pass: false, message: 'element 1 is NaN, reference -2' });
    const special = f32([3], [NaN, Infinity, 1]);
    expect(judgeOutput(new Float32Array([NaN, Infinity, 1]), undefined, special, TOL).pass).toBe(true);
    expect(judgeOutput(new Float32Array([0, Infinity, 1]), undefined, special, TOL).pass).toBe(false);
    expect(judgeOutput(new Float32Array([NaN, -Infinity, 1]), undefined, special, TOL).pass).toBe(false);
  });
  it('integer and bool outputs compare exactly', () => {
    const ints = fromNumbers('', 'int64', [3], [1, 2, 3]);
    expect(judgeOutput(new Float32Array([1, 2, 3]), undefined, ints, TOL).pass).toBe(true);
    expect(judgeOutput(new BigInt64Array([1n, 2n, 3n]), undefined, ints, TOL).pass).toBe(true);
    const off = judgeOutput(new Float32Array([1, 2, 3.00001]), undefined, ints, { rtol: 1, atol: 1 });
    expect(off.pass).toBe(false);
    expect(off.message).toMatch(/int64 output differs \(exact compare\): 1 of 3 elements differ; element 2/);
    expect(judgeOutput(new Uint8Array([1, 0]), undefined, fromNumbers('', 'bool', [2], [1, 1]), TOL).pass).toBe(false);
  });
  it('quantized integer outputs pass within intTol LSB (default 1) and count the differing elements', () => {
    const q = fromNumbers('', 'uint8', [4], [10, 20, 30, 40]);
    const one = judgeOutput(new Uint8Array([11, 20, 29, 40]), undefined, q, TOL);
    expect(one).toMatchObject({ pass: true, maxAbsError: 1, differing: 2 });
    const two = judgeOutput(new Uint8Array([12, 20, 30, 40]), undefined, q, TOL);
    expect(two.pass).toBe(false);
    expect(two.message).toMatch(/uint8 output differs \(tolerance 1 LSB\): 1 of 4 elements differ; element 0 is 12, reference 10/);
    expect(judgeOutput(new Uint8Array([12, 20, 30, 40]), undefined, q, { ...TOL, intTol: 2 }).pass).toBe(true);
    const exact = judgeOutput(new Int32Array([11, 20, 30, 40]), undefined, fromNumbers('', 'int32', [4], [10, 20, 30, 40]), { ...TOL, intTol: 0 });
    expect(exact.message).toMatch(/int32 output differs \(exact compare\)/);
  });
  it('element count and shape must match', () => {
    expect(judgeOutput(new Float32Array(3), undefined, ref, TOL).message).toMatch(/3 elements, reference \[4\] has 4/);
    expect(judgeOutput(new Float32Array(4), [2, 2], ref, TOL).message).toMatch(/shape \[2, 2\], reference \[4\]/);
  });
  it('binds input_K by TensorProto name when it names a graph value, else by position', () => {
    const named = (name: string, v: number) => ({ ...f32([1], [v]), name });
    const bound = (ts: Tensor[]) => Object.fromEntries([...bindByName(ts, ['a', 'b'], 'input')].map(([k, t]) => [k, t.data[0]]));
    expect(bound([named('', 1), named('', 2)])).toEqual({ a: 1, b: 2 });
    expect(bound([named('b', 1), named('a', 2)])).toEqual({ a: 2, b: 1 });
    expect(bound([named('', 1), named('other', 2)])).toEqual({ a: 1, b: 2 });
    expect(() => bound([named('b', 1), named('', 2)])).toThrow(/input 'b' is given twice \(input_1.pb\)/);
    expect(() => bound([named('', 1), named('', 2), named('', 3)])).toThrow(/input_2.pb: the model has only 2 input\(s\): a, b/);
  });
  it('judges float16 references with FLOAT16_RTOL unless --rtol is given', () => {
    const ref = { name: 'y', dtype: 'float16' as const, dims: [2], data: Uint16Array.from([0x3c00, 0x4000]) };
    expect(judgeOutput([1.005, 2], [2], ref, parseTolerance({})).pass).toBe(true);
    expect(judgeOutput([1.05, 2], [2], ref, parseTolerance({})).pass).toBe(false);
    expect(judgeOutput([1.005, 2], [2], ref, parseTolerance({ rtol: '1e-4' })).pass).toBe(false);
  });
  it('parses --rtol/--atol/--int-tol', () => {
    expect(parseTolerance({})).toEqual({ ...TOL, intTol: 1 });
    expect(parseTolerance({ rtol: '1e-3', atol: '0', 'int-tol': '0' })).toEqual({ rtol: 1e-3, atol: 0, intTol: 0, rtol16: 1e-3 });
    expect(() => parseTolerance({ rtol: 'x' })).toThrow(/--rtol x/);
    expect(() => parseTolerance({ 'int-tol': '0.5' })).toThrow(/--int-tol 0.5: expected an integer ≥ 0/);
  });
});

// A small model: r = Relu(Conv(x, W, B)), s = Shape(x) (int64: the exact compare).
function tinyModel(): Uint8Array {
  const w = Array.from({ length: 2 * 1 * 3 * 3 }, (_, i) => ((i * 7) % 5) / 5 - 0.4);
  return writeOnnx({
    opset: 13,
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 1, 5, 5] }],
    outputs: [{ name: 'r', dtype: 'float32', shape: [1, 2, 5, 5] }, { name: 's', dtype: 'int64', shape: [4] }],
    initializers: [fromNumbers('W', 'float32', [2, 1, 3, 3], w), fromNumbers('B', 'float32', [2], [0.1, -0.2])],
    nodes: [
      { opType: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['y'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
      { opType: 'Relu', inputs: ['y'], outputs: ['r'] },
      { opType: 'Shape', inputs: ['x'], outputs: ['s'] },
    ],
  });
}

const root = mkdtempSync(path.join(tmpdir(), 'winoconv-onnx-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function writeSet(dir: string, n: number, inputs: Tensor[], outputs: Tensor[]): void {
  const d = path.join(dir, `test_data_set_${n}`);
  mkdirSync(d, { recursive: true });
  inputs.forEach((t, k) => writeFileSync(path.join(d, `input_${k}.pb`), encodeTensorProto(t)));
  outputs.forEach((t, k) => writeFileSync(path.join(d, `output_${k}.pb`), encodeTensorProto(t)));
}

async function run(paths: string[], opts: { runner?: TestRunner; json?: boolean } = {}): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runOnnxTests(await findDataSets(paths), { runner: opts.runner ?? ortRunner(), tol: TOL, json: opts.json, log: (l) => lines.push(l) });
  return { code, lines };
}

describe('onnx-test end to end (ONNX Runtime as the runner)', () => {
  const tiny = path.join(root, 'tests', 'tiny');
  const wrong = path.join(root, 'tests', 'tiny_wrong');
  beforeAll(async () => {
    const model = tinyModel();
    const x = { ...f32([1, 1, 5, 5], Array.from({ length: 25 }, (_, i) => Math.sin(i))), name: 'x' };
    const { outputs } = await runOrt(model, { x });
    expect(outputs.map((o) => [o.name, o.dtype])).toEqual([['r', 'float32'], ['s', 'int64']]);
    for (const d of [tiny, wrong]) {
      mkdirSync(d, { recursive: true });
      writeFileSync(path.join(d, 'model.onnx'), model);
    }
    writeSet(tiny, 0, [x], outputs);
    // outputs stored in the other order, found by their TensorProto names
    writeSet(tiny, 1, [x], [outputs[1], outputs[0]]);
    // deliberately wrong: one float element off by 1e-2 of the range; then the int64 shape off by one
    const r = outputs[0];
    const bad = new Float32Array(r.data as Float32Array);
    bad[7] += 0.01 * Math.max(...Array.from(bad, Math.abs));
    writeSet(wrong, 0, [x], [{ ...r, data: bad }, outputs[1]]);
    writeSet(wrong, 1, [x], [r, { ...outputs[1], data: BigInt64Array.from([1n, 1n, 5n, 6n]) }]);
  });

  it('a correct directory passes (order or names), one line per data set and the closing line', async () => {
    const { code, lines } = await run([tiny]);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/tiny {2}test_data_set_0 {2}max abs 0 {2}max rel 0 {2}pass$/);
    expect(lines[1]).toMatch(/test_data_set_1 .* pass$/);
    expect(lines[2]).toBe('2 passed, 0 failed');
    expect(code).toBe(0);
  });

  it('wrong outputs fail (float over tolerance, int64 exact), exit 1; a folder of dirs is searched one level down', async () => {
    const { code, lines } = await run([path.join(root, 'tests')]);
    expect(code).toBe(1);
    expect(lines.at(-1)).toBe('2 passed, 2 failed');
    const w = lines.filter((l) => l.includes('tiny_wrong'));
    expect(w[0]).toMatch(/test_data_set_0 {2}max abs \S+ {2}max rel 1.00e-2 {2}FAIL {2}output 'r': max rel error 1.00e-2 > rtol/);
    expect(w[1]).toMatch(/test_data_set_1 .* 1 integer element\(s\) differ {2}FAIL {2}output 's': int64 output differs \(exact compare\): 1 of 4 elements differ; element 3 is 5, reference 6/);
  });

  it('--json prints one array of {dir, dataset, status, maxAbsError, maxRelError, message, differing}', async () => {
    const { code, lines } = await run([wrong], { json: true });
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    const rows = JSON.parse(lines[0]) as OnnxTestRow[];
    expect(rows.map((r) => [r.dataset, r.status])).toEqual([['test_data_set_0', 'fail'], ['test_data_set_1', 'fail']]);
    expect(Object.keys(rows[0])).toEqual(['dir', 'dataset', 'status', 'maxAbsError', 'maxRelError', 'message', 'differing']);
    expect(rows[0].maxRelError).toBeCloseTo(0.01, 4);
  });

  it('a session-creation error (unsupported op) is an ERROR line naming the reason, not a crash', async () => {
    const refusing: TestRunner = { open: async () => { throw new Error("model uses 1 node(s) with unsupported ops: 'n0' (Foo)"); } };
    const { code, lines } = await run([tiny], { runner: refusing });
    expect(code).toBe(1);
    expect(lines[0]).toMatch(/ERROR {2}creating the session: model uses 1 node\(s\) with unsupported ops: 'n0' \(Foo\)$/);
    expect(lines.at(-1)).toBe('0 passed, 2 failed');
  });

  it('unreadable data and missing folders are clear', async () => {
    const broken = path.join(root, 'broken', 'b');
    mkdirSync(path.join(broken, 'test_data_set_0'), { recursive: true });
    writeFileSync(path.join(broken, 'model.onnx'), tinyModel());
    writeFileSync(path.join(broken, 'test_data_set_0', 'input_0.pb'), new Uint8Array([0xff, 0xff]));
    const { lines } = await run([broken]);
    expect(lines[0]).toMatch(/ERROR {2}reading the data set: input_0.pb: not a TensorProto/);
    await expect(findDataSets([path.join(root, 'nope')])).rejects.toThrow(/nope: no such folder/);
    await expect(findDataSets([root])).rejects.toThrow(/no test-data directories/);
  });
});

describe('generated test data (ORT oracle) judged by ORT itself', () => {
  it('squeezenet1_1, ppocr-cls, blazeface-front: generated on demand into the cache, every data set passes', async () => {
    const dirs = await ensureOnnxTests(['squeezenet1_1', 'ppocr-cls', 'blazeface-front'], { log: (l) => console.log(l) });
    const sets = (await findDataSets(dirs)).length; // ppocr-cls has a second set when the photo could be fetched
    expect(sets).toBeGreaterThanOrEqual(3);
    const { code, lines } = await run(dirs);
    console.log(lines.join('\n'));
    expect(lines.at(-1)).toBe(`${sets} passed, 0 failed`);
    expect(code).toBe(0);
  }, 180_000);
});

describe('dequantized outputs are judged in LSB of their DequantizeLinear scale', () => {
  const model = writeOnnx({
    opset: 13,
    inputs: [{ name: 'x', dtype: 'float32', shape: [4] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [4] }, { name: 'z', dtype: 'float32', shape: [4] }],
    initializers: [fromNumbers('s', 'float32', [], [0.25]), fromNumbers('zp', 'int8', [], [3])],
    nodes: [
      { opType: 'QuantizeLinear', inputs: ['x', 's', 'zp'], outputs: ['q'] },
      { opType: 'DequantizeLinear', inputs: ['q', 's', 'zp'], outputs: ['y'] },
      { opType: 'Relu', inputs: ['x'], outputs: ['z'] },
    ],
  });
  const g = decodeOnnx(model);
  it('finds the scale of an output a DequantizeLinear writes, and none for other outputs', () => {
    expect(dequantizedOutputScale(g, 'y')).toBe(0.25);
    expect(dequantizedOutputScale(g, 'z')).toBeUndefined();
  });
  const ref = fromNumbers('y', 'float32', [4], [0, 0.25, -0.5, 1]);
  it('1 LSB passes (counted), 2 LSB fail with the count and the first element', () => {
    const one = judgeDequantized(Float32Array.of(0, 0.5, -0.5, 1), [4], ref, 0.25, { rtol: 1e-4, atol: 1e-6 });
    expect(one).toMatchObject({ pass: true, differing: 1 });
    const two = judgeDequantized(Float32Array.of(0, 0.75, -0.5, 1.25), [4], ref, 0.25, { rtol: 1e-4, atol: 1e-6 });
    expect(two.pass).toBe(false);
    expect(two.message).toMatch(/differs by 2 LSB > 1: 2 of 4 elements differ; element 1 is 0.75/);
    expect(judgeDequantized(Float32Array.of(0, 0.75, -0.5, 1.25), [4], ref, 0.25, { rtol: 1e-4, atol: 1e-6, intTol: 2 }).pass).toBe(true);
  });
  it('NaN still fails', () => {
    expect(judgeDequantized(Float32Array.of(NaN, 0.25, -0.5, 1), [4], ref, 0.25, { rtol: 1e-4, atol: 1e-6 }).pass).toBe(false);
  });
});
