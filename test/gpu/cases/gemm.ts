import type { GpuCase } from '../harness/types.ts';

export const gemmCases: GpuCase[] = [];
