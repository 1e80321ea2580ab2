/**
 * `winoconv bench --models --check-auto`: for every conv layer of a model, auto's choice timed against the fastest
 * verified candidate findConv2d measures for that layer (issue 12, point 2). Stub: implemented on its own branch.
 */
import type { Engine } from '../../src/engine/engine.ts';
import type { AutoCheckRow, ModelCase } from './types.ts';

export interface AutoCheckOptions {
  runs?: number;
  progress?: (line: string) => void;
}

export async function checkAuto(engine: Engine, model: ModelCase, opts: AutoCheckOptions = {}): Promise<AutoCheckRow[]> {
  void engine;
  void model;
  void opts;
  throw new Error('checkAuto: not implemented yet');
}
