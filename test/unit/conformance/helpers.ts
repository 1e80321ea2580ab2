/** Where the shared conformance cases live, and small helpers to load and mutate them in tests. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { ConvDescError, formatValue } from '../../../src/conv/validate.ts';

export const CASES_DIR = process.env.WINOCONV_CONFORMANCE_DIR ?? path.resolve(process.cwd(), '../shared/conformance/cases');

export const CASE_FILES: string[] = readdirSync(CASES_DIR)
  .filter((n) => n.endsWith('.json'))
  .sort()
  .map((n) => path.join(CASES_DIR, n));

/** The repo's own cases (float16, expected outputs by ONNX Runtime CPU): scripts/make-conformance-cases.ts. */
export const REPO_CASES_DIR = path.resolve(process.cwd(), 'test/conformance/cases');
export const REPO_CASE_FILES: string[] = readdirSync(REPO_CASES_DIR)
  .filter((n) => n.endsWith('.json'))
  .sort()
  .map((n) => path.join(REPO_CASES_DIR, n));

export type RawCase = Record<string, any>;

/** A fresh, mutable copy of the raw JSON of the case whose file name starts with `id`. */
export function rawCase(id: string): RawCase {
  const file = CASE_FILES.find((f) => path.basename(f) === `${id}.json`);
  if (!file) throw new Error(`sample case ${id} not found in ${CASES_DIR}`);
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** `fn` must throw a ConvDescError with this field, value and rule, all three named in the message. */
export function expectReject(fn: () => unknown, field: string, value: unknown, rule: RegExp): ConvDescError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a ConvDescError for ${field}`).toBeInstanceOf(ConvDescError);
  const e = err as ConvDescError;
  expect(e.field).toBe(field);
  if (typeof value === 'number' && Number.isNaN(value)) expect(e.value).toBeNaN();
  else expect(e.value).toEqual(value);
  expect(e.rule).toMatch(rule);
  expect(e.message).toContain(`${field} = ${formatValue(value)}: ${e.rule}`);
  return e;
}
