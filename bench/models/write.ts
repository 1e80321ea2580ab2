/** Writes a zoo model as `<dir>/model.onnx` (the ONNX test-data layout: model.onnx beside test_data_set_*). Node only. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZOO, type ZooModelName, type ZooOptions } from './zoo.ts';

/** Builds `model` and writes it to `<dir>/model.onnx` (creating dir); returns the file's path. */
export function writeZooModel(dir: string, model: ZooModelName, opts: ZooOptions = {}): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'model.onnx');
  writeFileSync(path, ZOO[model](opts));
  return path;
}
