import type { GpuCase } from '../harness/types.ts';

export const winogradStageCases: GpuCase[] = [];
