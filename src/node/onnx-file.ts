/** Node file helpers for the runtime: an ONNX model from a path, imported or as a session. */
import { readFile } from 'node:fs/promises';
import type { Engine } from '../engine/engine.ts';
import type { Graph } from '../graph/ir.ts';
import { type ImportOptions, importOnnx } from '../graph/onnx-import.ts';
import type { Session } from '../graph/runtime-types.ts';
import { type SessionOptions, createSession } from '../graph/session.ts';

export async function importOnnxFile(path: string, options?: ImportOptions): Promise<Graph> {
  return importOnnx(await readFile(path), options);
}

/** createSession on the ONNX file at `path` (the browser passes the bytes to createSession itself). */
export async function createSessionFromFile(engine: Engine, path: string, options?: SessionOptions): Promise<Session> {
  return createSession(engine, await readFile(path), options);
}
