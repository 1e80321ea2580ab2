/** A `winoconv` subcommand (src/cli/main.ts dispatches to them; each lives in its own module). */
import type { ParseArgsConfig } from 'node:util';
import type { GpuNeeds } from '../node/gpu-setup.ts';

export interface Verb {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  allowPositionals?: boolean;
  /** What WebGPU this run needs (Dawn in Node, headless Chromium); made available before `run` (gpu-setup.ts). */
  gpu?(values: Record<string, unknown>): GpuNeeds | undefined;
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}
