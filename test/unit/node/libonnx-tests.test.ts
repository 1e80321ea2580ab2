/** The libonnx-testdata selection (ops read from each model.onnx) and the e-mail image extraction, on synthetic input. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DType, fromNumbers } from '../../../src/graph/ir.ts';
import { writeOnnx } from '../../../src/graph/onnx-writer.ts';
import { encodeTensorProto } from '../../../src/graph/test-data.ts';
import { mimeImage } from '../../../src/node/debian-assets.ts';
import { RUNTIME_OPS, scanNodeTests } from '../../../src/node/libonnx-tests.ts';

const root = mkdtempSync(path.join(tmpdir(), 'winoconv-libonnx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function nodeTest(name: string, opType: string, dtype: DType, withData = true): void {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'test_data_set_0'), { recursive: true });
  writeFileSync(path.join(dir, 'model.onnx'), writeOnnx({
    inputs: [{ name: 'x', dtype, shape: [2] }],
    outputs: [{ name: 'y', dtype, shape: [2] }],
    nodes: [{ opType, inputs: ['x'], outputs: ['y'] }],
  }));
  if (withData) writeFileSync(path.join(dir, 'test_data_set_0', 'input_0.pb'), encodeTensorProto(fromNumbers('x', dtype, [2], [1, 2])));
}

describe('scanNodeTests', () => {
  it('selects tests whose every op is in the op set (by the model, not the name) and notes other dtypes', () => {
    nodeTest('test_relu', 'Relu', 'float32');
    nodeTest('test_relu_named_but_erf', 'Erf', 'float32');
    nodeTest('test_abs_is_really_sigmoid', 'Sigmoid', 'float32');
    nodeTest('test_identity_int64', 'Identity', 'int64');
    nodeTest('test_identity_uint8', 'Identity', 'uint8');
    mkdirSync(path.join(root, 'test_no_data'));
    writeFileSync(path.join(root, 'not_a_test.txt'), '');
    const all = scanNodeTests(root);
    const pick = (n: string) => all.find((t) => t.name === n)!;
    expect(all.map((t) => t.name)).toEqual(['test_abs_is_really_sigmoid', 'test_identity_int64', 'test_identity_uint8', 'test_relu', 'test_relu_named_but_erf']);
    expect(pick('test_relu')).toMatchObject({ ops: ['Relu'], dtypes: ['float32'], inOpSet: true, note: '' });
    expect(pick('test_relu_named_but_erf')).toMatchObject({ ops: ['Erf'], inOpSet: false });
    expect(pick('test_abs_is_really_sigmoid').inOpSet).toBe(true);
    expect(pick('test_identity_int64')).toMatchObject({ inOpSet: true, dtypes: ['int64'] });
    expect(pick('test_identity_int64').note).toMatch(/^uses int64: the runtime holds values as float32, int8, uint8 or int32/);
    expect(pick('test_identity_uint8')).toMatchObject({ inOpSet: true, dtypes: ['uint8'], note: '' });
    expect(RUNTIME_OPS).toHaveLength(51);
    expect(RUNTIME_OPS).toEqual(expect.arrayContaining(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'QLinearConv', 'ConvInteger', 'QLinearMatMul', 'MatMulInteger']));
  });
});

describe('mimeImage', () => {
  it('finds the first base64 part of a type', () => {
    const eml = ['--b', 'Content-Type: text/plain', '', 'hi', '--b', 'Content-Type: image/jpeg;', '\tname="a.jpg"', 'Content-Transfer-Encoding: base64', '', 'AAEC', 'AwQ=', '', '--b--'].join('\r\n');
    expect(Array.from(mimeImage(eml, 'image/jpeg')!)).toEqual([0, 1, 2, 3, 4]);
    expect(mimeImage(eml, 'image/png')).toBeUndefined();
  });
});
