/** createEngine for Node: WebGPU through Dawn unless a device is given. */
import { createEngine, type Engine, type EngineOptions } from '../engine/engine.ts';
import { getNodeGPU, noAdapterHint } from './dawn.ts';

export async function createNodeEngine(opts: EngineOptions = {}): Promise<Engine> {
  if (opts.device) return createEngine(opts);
  const gpu = opts.gpu ?? (await getNodeGPU());
  try {
    return await createEngine({ ...opts, gpu });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${noAdapterHint()}`);
  }
}
