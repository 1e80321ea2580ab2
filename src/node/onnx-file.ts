/** Node file helper for the runtime: an ONNX model from a path. */
import { readFile } from 'node:fs/promises';
import type { Graph } from '../graph/ir.ts';
import { type ImportOptions, importOnnx } from '../graph/onnx-import.ts';

export async function importOnnxFile(path: string, options?: ImportOptions): Promise<Graph> {
  return importOnnx(await readFile(path), options);
}
