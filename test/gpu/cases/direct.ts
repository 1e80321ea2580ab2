import type { GpuCase } from '../harness/types.ts';

export const directKernelCases: GpuCase[] = [];
