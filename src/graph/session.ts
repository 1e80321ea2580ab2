/**
 * createSession: an ONNX model planned for a GPUDevice (passes, layout, lowering, memory plan) and run with one
 * command encoder and one submit. Being built (issue 11); the signature is the contract the CLI codes against.
 */
import type { Engine } from '../engine/engine.ts';
import type { Session } from './runtime-types.ts';

export interface SessionOptions {
  /** Shapes of the model inputs (binds symbolic dimensions); required for inputs with symbolic dims. */
  inputShapes?: Record<string, readonly number[]>;
  /** Per-node algorithm override for convolutions, by node name (engine algorithm names, e.g. 'winograd4'). */
  algorithms?: Record<string, string>;
  /** Time each node with timestamp queries (info.nodes[i].gpuMs after each run). */
  profile?: boolean;
}

export async function createSession(engine: Engine, model: ArrayBuffer | Uint8Array, opts: SessionOptions = {}): Promise<Session> {
  void engine;
  void model;
  void opts;
  throw new Error('createSession: not implemented yet');
}
