/**
 * One model of `winoconv bench --models` loaded from its ONNX test directory (model.onnx, test_data_set_0/input_K.pb,
 * output_K.pb), through a reader of repo-relative paths: files in Node, fetch() in the page. Environment-agnostic.
 */
import { decodeOnnx, importOnnx } from '../../src/graph/onnx-import.ts';
import { decodeTensorProto, toFloat32 } from '../../src/graph/test-data.ts';
import { catalogEntry } from './catalog.ts';
import type { BenchTensor, ModelCase } from './types.ts';
import { convFlops } from './zoo.ts';

/** Reads a file of the model's test directory by its relative path ('model.onnx', 'test_data_set_0/input_0.pb'). */
export type TestDirReader = (relPath: string) => Promise<Uint8Array>;

export async function loadModelCase(name: string, read: TestDirReader): Promise<ModelCase> {
  const entry = catalogEntry(name);
  const model = await read('model.onnx');
  const file = decodeOnnx(model);
  const inputs: Record<string, BenchTensor> = {};
  for (let k = 0; k < file.inputs.length; k++) {
    const t = decodeTensorProto(await read(`test_data_set_0/input_${k}.pb`), `${name} input_${k}.pb`);
    inputs[file.inputs[k].name] = { dims: [...t.dims], data: toFloat32(t) };
  }
  const reference: Record<string, BenchTensor> = {};
  for (let k = 0; k < file.outputs.length; k++) {
    const t = decodeTensorProto(await read(`test_data_set_0/output_${k}.pb`), `${name} output_${k}.pb`);
    reference[file.outputs[k].name] = { dims: [...t.dims], data: toFloat32(t) };
  }
  const inputShapes = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.dims]));
  const spec = { name: entry.name, label: entry.label, input: entry.input };
  return { spec, model, inputs, reference, convFlops: convFlops(importOnnx(model, { inputShapes })) };
}
