/**
 * Finds ONNX test-data directories (Node): a directory with `model.onnx` and `test_data_set_N/` folders, or a folder
 * of such directories (one level down). Each data set lists its `input_K.pb` / `output_K.pb` in K order.
 */
import { type Dirent, existsSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DataSetFiles } from '../graph/test-data.ts';

/** A directory entry that is a folder, or a link to one. */
const isDir = (parent: string, e: Dirent): boolean => e.isDirectory() || (e.isSymbolicLink() && statSync(path.join(parent, e.name), { throwIfNoEntry: false })?.isDirectory() === true);

const numbered = (prefix: string, names: string[]): string[] =>
  names
    .map((n) => ({ n, k: new RegExp(`^${prefix}_(\\d+)\\.pb$`).exec(n)?.[1] }))
    .filter((x) => x.k !== undefined)
    .sort((a, b) => Number(a.k) - Number(b.k))
    .map((x) => x.n);

/** The data sets of one test directory (sorted by N), or [] when it has no model.onnx. */
export async function dataSetsOf(dir: string): Promise<DataSetFiles[]> {
  const model = path.join(dir, 'model.onnx');
  if (!existsSync(model)) return [];
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => isDir(dir, e) && /^test_data_set_\d+$/.test(e.name));
  entries.sort((a, b) => Number(a.name.split('_').pop()) - Number(b.name.split('_').pop()));
  const out: DataSetFiles[] = [];
  for (const e of entries) {
    const d = path.join(dir, e.name);
    const names = await readdir(d);
    out.push({ dir, dataset: e.name, model, inputs: numbered('input', names).map((n) => path.join(d, n)), outputs: numbered('output', names).map((n) => path.join(d, n)) });
  }
  return out;
}

/** Every data set under the given paths: each a test directory, or a folder whose subfolders are test directories. */
export async function findDataSets(paths: string[]): Promise<DataSetFiles[]> {
  const out: DataSetFiles[] = [];
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch {
      throw new Error(`${p}: no such folder`);
    }
    if (!st.isDirectory()) throw new Error(`${p}: not a folder (give a test-data directory with model.onnx, or a folder of them)`);
    const own = await dataSetsOf(p);
    if (existsSync(path.join(p, 'model.onnx'))) {
      if (own.length === 0) throw new Error(`${p}: has model.onnx but no test_data_set_N folders`);
      out.push(...own);
      continue;
    }
    const subs = (await readdir(p, { withFileTypes: true })).filter((e) => isDir(p, e)).map((e) => e.name).sort();
    const found: DataSetFiles[] = [];
    for (const s of subs) found.push(...(await dataSetsOf(path.join(p, s))));
    if (found.length === 0) throw new Error(`${p}: no test-data directories (model.onnx + test_data_set_N/) in it or one level down`);
    out.push(...found);
  }
  return out;
}
