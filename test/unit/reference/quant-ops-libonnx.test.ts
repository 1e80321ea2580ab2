/**
 * The 8-bit references against ONNX's stored node-test outputs (Debian's libonnx-testdata, in the shared cache; the
 * test skips, saying why, when it has not been fetched: `npm run onnx-testdata`): DynamicQuantizeLinear (y, y_scale,
 * y_zero_point) and QuantizeLinear / DequantizeLinear, per tensor and per axis (axis 1, the tests' default), bit for bit.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeTensorProto } from '../../../src/graph/test-data.ts';
import { cacheDir } from '../../../src/node/debian-assets.ts';
import { dequantizeLinearRef, dynamicQuantizeLinearRef, quantizeLinearRef } from '../../../src/reference/quant-ops.ts';

const NODE = path.join(cacheDir('debian', 'libonnx-testdata'), 'root/usr/share/libonnx-testdata/data/node');
const have = existsSync(path.join(NODE, 'test_dynamicquantizelinear'));
if (!have) console.log(`quant-ops-libonnx: skipped, ${NODE} is not there (npm run onnx-testdata fetches it)`);

function load(test: string, file: string) {
  return decodeTensorProto(readFileSync(path.join(NODE, test, 'test_data_set_0', file)), `${test}/${file}`);
}
const nums = (d: ArrayLike<number | bigint>) => Array.from(d, Number);

describe.skipIf(!have)('quant-ops references vs libonnx-testdata', () => {
  for (const test of ['test_dynamicquantizelinear', 'test_dynamicquantizelinear_max_adjusted', 'test_dynamicquantizelinear_min_adjusted']) {
    it(test, () => {
      const x = load(test, 'input_0.pb');
      const r = dynamicQuantizeLinearRef(nums(x.data));
      expect(Array.from(r.y)).toEqual(nums(load(test, 'output_0.pb').data));
      expect(r.scale).toBe(nums(load(test, 'output_1.pb').data)[0]);
      expect(r.zeroPoint).toBe(nums(load(test, 'output_2.pb').data)[0]);
    });
  }
  for (const test of ['test_quantizelinear', 'test_quantizelinear_axis']) {
    it(test, () => {
      const x = load(test, 'input_0.pb');
      const s = load(test, 'input_1.pb');
      const z = load(test, 'input_2.pb');
      const y = load(test, 'output_0.pb');
      const axis = s.dims.length ? 1 : undefined;
      const got = quantizeLinearRef(nums(x.data), x.dims, { scale: nums(s.data), zeroPoint: nums(z.data), axis }, z.dtype as 'int8' | 'uint8');
      expect(Array.from(got)).toEqual(nums(y.data));
    });
  }
  for (const test of ['test_dequantizelinear', 'test_dequantizelinear_axis']) {
    it(test, () => {
      const x = load(test, 'input_0.pb');
      const s = load(test, 'input_1.pb');
      const z = load(test, 'input_2.pb');
      const y = load(test, 'output_0.pb');
      const axis = s.dims.length ? 1 : undefined;
      const got = dequantizeLinearRef(nums(x.data), x.dims, { scale: nums(s.data), zeroPoint: nums(z.data), axis });
      expect(Array.from(got)).toEqual(nums(y.data));
    });
  }
});
