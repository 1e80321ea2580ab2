/**
 * Conformance case files on disk (Node only; exported from `winoconv/node`). The parser itself
 * (`parseCase`, src/conformance/case.ts) stays free of `node:*` so that the browser entry imports none.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCase, type ConformanceCase } from '../conformance/case.ts';
import { ConvDescError } from '../conv/validate.ts';

/** Reads and parses a case file. */
export async function loadCase(path: string): Promise<ConformanceCase> {
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConvDescError('file', path, `must be valid JSON (${(e as Error).message})`);
  }
  try {
    return parseCase(json);
  } catch (e) {
    throw e instanceof ConvDescError ? e.within(path) : e;
  }
}

/** The case files a path names: the file itself, or every `*.json` in a folder (sorted). */
export async function caseFiles(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => n.endsWith('.json')).sort();
  return names.map((n) => join(path, n));
}
